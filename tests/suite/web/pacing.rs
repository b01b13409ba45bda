//! Hosts that push back: one answering 503 is slowed down while another keeps its pace, and one
//! failing again and again is paused while the rest finish; one answering 404 is not failing.

use super::start;
use crate::support::*;
use magpie::config::FetchSettings;
use magpie::engine::Engine;

/// Waits for the engine to say something about a host; returns what it said.
fn host_event(engine: &Engine) -> (String, magpie::engine::HostState) {
    loop {
        match engine.recv_timeout(std::time::Duration::from_secs(30)) {
            Some(magpie::engine::Event::Host { host, state }) => return (host, state),
            Some(_) => {}
            None => panic!("no word about the host"),
        }
    }
}

#[test]
fn a_host_answering_503_slows_down_while_another_keeps_its_pace() {
    let busy = TestServer::start(); // 127.0.0.1
    let calm = TestServer::start_on("127.0.0.2");
    let (engine, dir) = start(FetchSettings {
        per_host: 6,
        ..fast_settings()
    });
    // The busy host's first answer is 503 + Retry-After: 1.
    engine.submit(dir.path(), [busy.url("/flaky/1/first.png")]);
    let (host, state) = host_event(&engine);
    assert!(host.starts_with("127.0.0.1:"), "{host}");
    assert_eq!(
        state,
        magpie::engine::HostState::Waiting {
            wait: std::time::Duration::from_secs(1),
            status: 503
        }
    );
    // Now six downloads from each host: the busy one gets half its connections, the calm one
    // all six, and everything arrives.
    let held = |s: &TestServer, p: &str| {
        (0..6)
            .map(|i| s.url(&format!("/hold/{p}{i}.png")))
            .collect::<Vec<_>>()
    };
    engine.submit(
        dir.path(),
        held(&busy, "b").into_iter().chain(held(&calm, "c")),
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()).len(), 13);
    assert!(
        busy.stats.peak() <= 3,
        "busy host peak {}",
        busy.stats.peak()
    );
    assert_eq!(calm.stats.peak(), 6, "the calm host was not slowed");
}

#[test]
fn a_host_failing_twenty_times_in_a_row_is_paused_and_the_rest_finish() {
    let dead = TestServer::start();
    let fine = TestServer::start_on("127.0.0.2");
    let (engine, dir) = start(FetchSettings {
        per_host: 1,
        max_attempts: 1,
        ..fast_settings()
    });
    let urls: Vec<url::Url> = (0..25)
        .map(|i| dead.url(&format!("/status/500?n={i}")))
        .chain((0..5).map(|i| fine.url(&format!("/img/ok{i}.png"))))
        .collect();
    engine.submit(dir.path(), urls);
    let out = run_to_end(&engine);
    assert_eq!(
        files_in(dir.path()).len(),
        5,
        "the other host's images all arrived"
    );
    assert_eq!(
        dead.stats.hits("/status/500"),
        20,
        "no request after the pause"
    );
    assert_eq!(out.failed.len(), 25);
    let paused: Vec<&String> = out
        .failed
        .values()
        .filter(|e| e.contains("failed 20 times in a row and was paused"))
        .collect();
    assert_eq!(paused.len(), 5, "{:?}", out.failed);
    // The port is named: two servers on one machine must read apart.
    let port = dead.url("/").port().unwrap();
    assert!(
        paused[0].contains(&format!("127.0.0.1:{port} failed")),
        "{}",
        paused[0]
    );
}

/// An old list loses whole folders to 404s; the host still answers, and the images it still has
/// must arrive, not be skipped by a pause meant for dead hosts.
#[test]
fn a_run_of_404s_does_not_pause_a_host_that_still_has_images() {
    let server = TestServer::start();
    let (engine, dir) = start(FetchSettings {
        per_host: 1,
        ..fast_settings()
    });
    let urls: Vec<url::Url> = (0..30)
        .map(|i| server.url(&format!("/status/404?n={i}")))
        .chain((0..5).map(|i| server.url(&format!("/img/ok{i}.png"))))
        .collect();
    engine.submit(dir.path(), urls);
    let out = run_to_end(&engine);
    assert_eq!(files_in(dir.path()).len(), 5, "{:?}", out.failed);
    assert_eq!(server.stats.hits("/status/404"), 30, "each 404 asked once");
    assert!(
        out.failed.values().all(|e| e.contains("404")),
        "{:?}",
        out.failed
    );
}
