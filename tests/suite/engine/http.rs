//! The engine against servers that get HTTP wrong: errors, retries, short or oversized bodies,
//! lies about the type, redirects that go nowhere, stalls and refusals.

use std::time::Duration;

use super::setup;
use crate::support::*;
use magpie::config::FetchSettings;
use magpie::engine::{Command, Event};

#[test]
fn not_found_fails_without_retry() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(store.dir(), [server.url("/status/404")]);
    let out = run_to_end(&engine);
    assert_eq!(out.failed[&ids[0]], "HTTP 404 Not Found");
    assert_eq!(server.stats.hits("/status/404"), 1);
    assert!(out.retries.is_empty());
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn service_unavailable_with_retry_after_then_success() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(store.dir(), [server.url("/flaky/1/recovered.png")]);
    let out = run_to_end(&engine);
    assert!(out.saved.contains_key(&ids[0]), "{:?}", out.failed);
    assert_eq!(server.stats.hits("/flaky/1/recovered.png"), 2);
    // The wait honoured the server's Retry-After: 1, not the 20 ms backoff.
    assert_eq!(out.retries.len(), 1);
    assert_eq!(out.retries[0].1, Duration::from_secs(1));
    assert!(out.retries[0].2.contains("503"), "{}", out.retries[0].2);
    assert_eq!(files_in(dir.path()), ["recovered.png"]);
}

#[test]
fn server_errors_give_up_after_max_attempts() {
    let server = TestServer::start();
    let settings = FetchSettings {
        max_attempts: 3,
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let ids = engine.submit(store.dir(), [server.url("/status/500")]);
    let out = run_to_end(&engine);
    assert_eq!(out.failed[&ids[0]], "HTTP 500 Internal Server Error");
    assert_eq!(server.stats.hits("/status/500"), 3);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn body_shorter_than_content_length_fails_and_leaves_no_file() {
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"
            .to_vec();
    response.extend_from_slice(&png(64, 64, 1)[..200]);
    let addr = raw_server(response);
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(
        store.dir(),
        [url::Url::parse(&format!("http://{addr}/short.png")).unwrap()],
    );
    let out = run_to_end(&engine);
    let reason = &out.failed[&ids[0]];
    assert!(
        reason.contains("broke") || reason.contains("ended early"),
        "{reason}"
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn html_served_as_jpeg_is_rejected() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(store.dir(), [server.url("/html-as-jpeg")]);
    let out = run_to_end(&engine);
    assert_eq!(
        out.failed[&ids[0]],
        "not an image: the server sent an HTML page"
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn body_over_the_cap_is_cut_off_and_removed() {
    let server = TestServer::start();
    let settings = FetchSettings {
        max_bytes: 1024 * 1024,
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let ids = engine.submit(store.dir(), [server.url("/big")]);
    let out = run_to_end(&engine);
    assert_eq!(out.failed[&ids[0]], "larger than the 1.0 MB limit");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn redirect_to_file_url_fails() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(store.dir(), [server.url("/redirect-file")]);
    let out = run_to_end(&engine);
    assert_eq!(
        out.failed[&ids[0]],
        "redirected to a non-http(s) address: file:///etc/passwd"
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn endless_redirects_stop_after_ten() {
    let server = TestServer::start();
    let (engine, _dir, store) = setup(fast_settings());
    let ids = engine.submit(store.dir(), [server.url("/redirect-loop/0")]);
    let out = run_to_end(&engine);
    assert_eq!(out.failed[&ids[0]], "too many redirects (more than 10)");
    assert_eq!(server.stats.hits("/redirect-loop"), 11);
}

#[test]
fn a_redirect_does_not_leak_the_first_url_as_referer() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(
        store.dir(),
        [server.url("/moved/followed.png?token=s3cret")],
    );
    let out = run_to_end(&engine);
    assert!(out.saved.contains_key(&ids[0]), "{out:?}");
    assert_eq!(files_in(dir.path()), ["followed.png"]);
    assert_eq!(server.stats.hits("/img/followed.png"), 1);
    assert!(
        server.stats.referers.lock().unwrap().is_empty(),
        "no Referer sent: {:?}",
        server.stats.referers.lock().unwrap()
    );
}

#[test]
fn redirect_without_location_fails() {
    let addr = raw_server(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n".to_vec());
    let (engine, _dir, store) = setup(fast_settings());
    let ids = engine.submit(
        store.dir(),
        [url::Url::parse(&format!("http://{addr}/r")).unwrap()],
    );
    let out = run_to_end(&engine);
    assert_eq!(
        out.failed[&ids[0]],
        "HTTP 302 redirect without a Location header"
    );
}

#[test]
fn stall_mid_body_times_out() {
    let server = TestServer::start();
    let settings = FetchSettings {
        stall_timeout: Duration::from_millis(300),
        max_attempts: 1,
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let ids = engine.submit(store.dir(), [server.url("/stall-mid-body/s.png")]);
    let out = run_to_end(&engine);
    assert_eq!(out.failed[&ids[0]], "timed out: no data for 0.3 s");
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn connection_refused_is_reported() {
    // Bind then drop, so nothing listens on the port.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let settings = FetchSettings {
        max_attempts: 2,
        ..fast_settings()
    };
    let (engine, _dir, store) = setup(settings);
    let ids = engine.submit(
        store.dir(),
        [url::Url::parse(&format!("http://{addr}/x.png")).unwrap()],
    );
    let out = run_to_end(&engine);
    assert!(
        out.failed[&ids[0]].starts_with("could not connect"),
        "{}",
        out.failed[&ids[0]]
    );
    assert_eq!(out.retries.len(), 1);
}

/// An address that never answers (a dead server behind a firewall) costs a connect timeout per
/// try, holding a download slot: it is tried twice, not `max_attempts` times, and said plainly.
#[test]
fn a_site_that_never_answers_is_tried_twice_and_said_so() {
    let addr = unanswering_address();
    let settings = FetchSettings {
        max_attempts: 4,
        connect_timeout: Duration::from_millis(500),
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let ids = engine.submit(
        store.dir(),
        [url::Url::parse(&format!("http://{addr}/x.png")).unwrap()],
    );
    let out = run_to_end(&engine);
    assert_eq!(
        out.failed[&ids[0]],
        "could not connect: no answer from the site"
    );
    assert_eq!(out.retries.len(), 1, "{:?}", out.retries);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn unrequested_partial_content_fails() {
    let mut resp =
        b"HTTP/1.1 206 Partial Content\r\nContent-Type: image/png\r\nContent-Length: 100\r\n\r\n"
            .to_vec();
    resp.extend_from_slice(&png(32, 32, 2)[..100]);
    let addr = raw_server(resp);
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(
        store.dir(),
        [url::Url::parse(&format!("http://{addr}/p.png")).unwrap()],
    );
    let out = run_to_end(&engine);
    assert!(out.failed[&ids[0]].contains("206"));
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn content_length_smaller_than_the_body_is_a_damaged_image() {
    let body = png(64, 64, 7);
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100\r\n\r\n".to_vec();
    response.extend_from_slice(&body);
    let addr = raw_server(response);
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(
        store.dir(),
        [url::Url::parse(&format!("http://{addr}/cl.png")).unwrap()],
    );
    let out = run_to_end(&engine);
    assert!(
        out.failed[&ids[0]].starts_with("damaged image: the PNG is cut short"),
        "{}",
        out.failed[&ids[0]]
    );
    assert!(files_in(dir.path()).is_empty());
}

/// A download waiting to try again gives its slot to the next one meanwhile: with one slot and
/// three URLs of a failing site first in the queue, the images behind them arrive while those
/// wait out a long backoff, instead of after it.
#[test]
fn a_retry_waits_without_holding_a_download_slot() {
    let failing = TestServer::start();
    let images = TestServer::start();
    let settings = FetchSettings {
        concurrency: 1,
        max_attempts: 2,
        backoff_base: Duration::from_secs(300),
        backoff_max: Duration::from_secs(300),
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let dead = engine.submit(
        store.dir(),
        (0..3).map(|n| failing.url(&format!("/status/500?n={n}"))),
    );
    let wanted = engine.submit(
        store.dir(),
        ["a.png", "b.png", "c.png"].map(|n| images.url(&format!("/img/{n}"))),
    );
    let (mut waiting, mut saved) = (0, 0);
    while saved < wanted.len() {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::Retrying { id, .. }) if dead.contains(&id) => waiting += 1,
            Some(Event::Saved { id, .. }) if wanted.contains(&id) => {
                assert!(waiting > 0, "the failing site's first try came first");
                saved += 1;
            }
            Some(Event::Failed { id, error }) => panic!("{id:?} failed: {error}"),
            Some(_) => {}
            None => panic!("{saved} of 3 images saved: the rest waited behind a retry's wait"),
        }
    }
    assert_eq!(
        waiting, 3,
        "every URL of the failing site waits to try again"
    );
    assert_eq!(
        failing.stats.hits("/status/500"),
        3,
        "each tried once so far"
    );
    // Their second tries are five minutes away: stop them.
    for id in dead {
        engine.send(Command::Cancel(id));
    }
    let out = run_to_end(&engine);
    assert_eq!(out.cancelled.len(), 3, "{out:?}");
    assert_eq!(files_in(dir.path()), ["a.png", "b.png", "c.png"]);
}

/// A site slow to answer (an address that takes no connection, a server that says nothing) stops
/// holding the download slot after a few seconds: with one slot, the images queued behind two
/// such sites arrive while those still wait for their long timeouts.
#[test]
fn sites_that_do_not_answer_do_not_hold_up_the_rest_of_the_list() {
    let images = TestServer::start();
    let settings = FetchSettings {
        concurrency: 1,
        max_attempts: 1,
        connect_timeout: Duration::from_secs(300),
        stall_timeout: Duration::from_secs(300),
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let slow = engine.submit(
        store.dir(),
        [unanswering_address(), silent_server()]
            .map(|addr| url::Url::parse(&format!("http://{addr}/x.png")).unwrap()),
    );
    let wanted = engine.submit(
        store.dir(),
        ["a.png", "b.png", "c.png"].map(|n| images.url(&format!("/img/{n}"))),
    );
    let (mut started, mut saved) = (0, 0);
    while saved < wanted.len() {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::Started { id }) if slow.contains(&id) => started += 1,
            Some(Event::Saved { id, .. }) if wanted.contains(&id) => {
                assert_eq!(started, 2, "both silent sites were tried first");
                saved += 1;
            }
            Some(Event::Failed { id, error }) => panic!("{id:?} failed: {error}"),
            Some(_) => {}
            None => panic!("{saved} of 3 images saved: the rest waited behind the silent sites"),
        }
    }
    for id in slow {
        engine.send(Command::Cancel(id));
    }
    let out = run_to_end(&engine);
    assert_eq!(out.cancelled.len(), 2, "{out:?}");
    assert_eq!(files_in(dir.path()), ["a.png", "b.png", "c.png"]);
}
