//! The engine and the store against a real HTTP server on loopback. This file: downloads, limits,
//! cancelling and pausing; `http.rs`: what servers get wrong; `disk.rs`: what lands in the folder.

mod disk;
mod http;

use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use magpie::config::FetchSettings;
use magpie::engine::{Command, Engine, Event};
use magpie::store::Store;
/// An engine with a temp folder open, as the front ends set it up.
fn setup(settings: FetchSettings) -> (Engine, tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let engine = Engine::start(settings, None).unwrap();
    open_folder(&engine, store.dir());
    (engine, dir, store)
}

#[test]
fn saves_images_with_their_names_and_user_agent() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(
        store.dir(),
        [server.url("/img/cat.png"), server.url("/img/dog.jpg")],
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["cat.png", "dog.jpg"]);
    assert_eq!(out.saved[&ids[0]], store.dir().join("cat.png"));
    let bytes = std::fs::read(dir.path().join("cat.png")).unwrap();
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Png
    );
    assert!(
        server
            .stats
            .user_agent
            .lock()
            .unwrap()
            .starts_with("Magpie/")
    );
}

#[test]
fn fifty_urls_reach_but_never_exceed_global_and_per_host_limits() {
    let global = Arc::new(Stats::default());
    let servers: Vec<TestServer> = (0..3)
        .map(|_| TestServer::start_shared(global.clone(), Duration::from_millis(200)))
        .collect();
    let settings = FetchSettings {
        concurrency: 8,
        per_host: 3,
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let urls = (0..50).map(|i| servers[i % 3].url(&format!("/hold/{i}.png")));
    engine.submit(store.dir(), urls);
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 50, "{:?}", out.failed);
    assert_eq!(files_in(dir.path()).len(), 50);
    assert_eq!(global.peak(), 8, "global limit reached, never exceeded");
    for s in &servers {
        assert_eq!(s.stats.peak(), 3, "per-host limit reached, never exceeded");
    }
}

#[test]
fn per_host_limit_holds_for_one_host() {
    let global = Arc::new(Stats::default());
    let server = TestServer::start_shared(global.clone(), Duration::from_millis(200));
    let settings = FetchSettings {
        concurrency: 16,
        per_host: 6,
        ..fast_settings()
    };
    let (engine, _dir, store) = setup(settings);
    engine.submit(
        store.dir(),
        (0..30).map(|i| server.url(&format!("/hold/{i}.png"))),
    );
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 30);
    assert_eq!(server.stats.peak(), 6);
}

#[test]
fn cancelling_mid_body_leaves_no_part_file() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    let ids = engine.submit(store.dir(), [server.url("/stall-mid-body/x.png")]);
    // Wait until the first megabyte is on disk (in an unnamed file where the folder allows).
    wait_for_downloads_on_disk(std::process::id(), dir.path(), 1);

    engine.send(Command::Cancel(ids[0]));
    let out = run_to_end(&engine);
    assert_eq!(out.cancelled, ids);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn cancel_all_drops_queued_jobs_and_running_ones() {
    let server = TestServer::start();
    let settings = FetchSettings {
        concurrency: 2,
        ..fast_settings()
    };
    let (engine, dir, store) = setup(settings);
    let ids = engine.submit(
        store.dir(),
        (0..10).map(|i| server.url(&format!("/stall-mid-body/{i}.png"))),
    );
    engine.send(Command::CancelAll);
    let out = run_to_end(&engine);
    assert_eq!(out.cancelled.len(), ids.len());
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn pause_holds_queued_jobs_until_resume() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    engine.send(Command::Pause);
    engine.submit(
        store.dir(),
        [server.url("/img/p1.png"), server.url("/img/p2.png")],
    );
    // Queued events arrive, but nothing starts while paused.
    for _ in 0..2 {
        match engine.recv_timeout(Duration::from_secs(10)) {
            Some(Event::Queued { .. }) => {}
            other => panic!("expected Queued, got {other:?}"),
        }
    }
    assert!(engine.recv_timeout(Duration::from_millis(300)).is_none());
    assert_eq!(
        server
            .stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    engine.send(Command::Resume);
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 2);
    assert_eq!(files_in(dir.path()).len(), 2);
}
