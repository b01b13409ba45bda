//! The engine and the store against a real HTTP server on loopback.

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
fn content_disposition_with_parent_dirs_lands_inside_the_folder() {
    let server = TestServer::start();
    let parent = tempfile::tempdir().unwrap();
    let inner = parent.path().join("out");
    let store = Store::open(&inner).unwrap();
    // The three answer the same bytes: kept, since this is about their names.
    let settings = FetchSettings {
        keep_duplicates: true,
        ..fast_settings()
    };
    let engine = Engine::start(settings, None).unwrap();
    let ids = engine.submit(
        store.dir(),
        [
            server.url("/cd/traversal"),
            server.url("/cd/absolute"),
            server.url("/cd/con"),
        ],
    );
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 3, "{:?}", out.failed);
    assert_eq!(files_in(&inner), ["_CON.jpg", "evil.jpg", "x.jpg"]);
    assert_eq!(out.saved[&ids[0]], store.dir().join("x.jpg"));
    assert_eq!(files_in(parent.path()), ["out"], "nothing written outside");
}

#[test]
fn same_file_name_from_two_urls_keeps_both() {
    let server = TestServer::start();
    // Both answer the same bytes: kept anyway here, to see that names never collide.
    let (engine, dir, store) = setup(FetchSettings {
        keep_duplicates: true,
        ..fast_settings()
    });
    engine.submit(
        store.dir(),
        [server.url("/a/same.png"), server.url("/b/same.png")],
    );
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 2);
    assert_eq!(files_in(dir.path()), ["same (1).png", "same.png"]);
}

#[test]
fn existing_file_and_symlink_are_never_touched() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    std::fs::write(dir.path().join("cat.png"), b"my own file").unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("target.png");
    std::fs::write(&target, b"outside").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("dog.png")).unwrap();

    engine.submit(
        store.dir(),
        [server.url("/img/cat.png"), server.url("/img/dog.png")],
    );
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 2);
    assert_eq!(
        std::fs::read(dir.path().join("cat.png")).unwrap(),
        b"my own file"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"outside");
    assert_eq!(
        files_in(dir.path()),
        ["cat (1).png", "cat.png", "dog (1).png", "dog.png"]
    );
}

#[test]
fn extension_follows_the_sniffed_content() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    engine.submit(store.dir(), [server.url("/webp-as-jpg.jpg")]);
    run_to_end(&engine);
    assert_eq!(files_in(dir.path()), ["webp-as-jpg.webp"]);
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

#[test]
fn folder_that_disappears_fails_each_item_clearly() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    std::fs::remove_dir(dir.path()).unwrap();
    let ids = engine.submit(
        store.dir(),
        [server.url("/img/a.png"), server.url("/img/b.png")],
    );
    let out = run_to_end(&engine);
    for id in ids {
        assert!(
            out.failed[&id].starts_with("cannot write in the output folder"),
            "{}",
            out.failed[&id]
        );
        assert!(out.failed[&id].contains("No such file or directory"));
    }
    assert!(
        !dir.path().exists(),
        "nothing recreated the folder behind the user's back"
    );
}

#[test]
fn same_name_in_nfc_and_nfd_is_kept_twice() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    engine.submit(
        store.dir(),
        [
            server.url("/a/caf%C3%A9.png"),
            server.url("/b/cafe%CC%81.png"),
        ],
    );
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 2);
    assert_eq!(files_in(dir.path()), ["caf\u{e9} (1).png", "caf\u{e9}.png"]);
}

#[test]
fn names_differing_only_in_case_stay_distinct_on_any_disk() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(fast_settings());
    std::fs::write(dir.path().join("CAT.png"), b"mine").unwrap();
    engine.submit(
        store.dir(),
        [
            server.url("/a/Photo.png"),
            server.url("/b/photo.png"),
            server.url("/img/cat.png"),
        ],
    );
    let out = run_to_end(&engine);
    assert_eq!(out.saved.len(), 3);
    let mut lower: Vec<String> = files_in(dir.path())
        .iter()
        .map(|n| n.to_lowercase())
        .collect();
    lower.sort();
    lower.dedup();
    assert_eq!(lower.len(), 4, "{:?}", files_in(dir.path()));
    assert_eq!(std::fs::read(dir.path().join("CAT.png")).unwrap(), b"mine");
    assert!(dir.path().join("cat (1).png").exists());
}

/// Unmounts the small file system when the test ends, however it ends.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A 256 KB tmpfs: a disk that fills up (tests and CI run as root on Linux).
fn small_disk() -> (tempfile::TempDir, Mounted) {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(dir.path())
        .status()
        .expect("run mount");
    assert!(
        status.success(),
        "this test needs to mount a tmpfs (root on Linux)"
    );
    let mounted = Mounted(dir.path().to_path_buf());
    (dir, mounted)
}

#[test]
fn a_full_disk_fails_the_item_and_removes_the_partial_file() {
    let (dir, _mounted) = small_disk();

    let server = TestServer::start();
    let store = Store::open(dir.path()).unwrap();
    // One at a time: the small image comes after the big one has failed and been removed.
    let settings = FetchSettings {
        concurrency: 1,
        ..fast_settings()
    };
    let engine = Engine::start(settings, None).unwrap();
    let ids = engine.submit(
        store.dir(),
        [server.url("/big"), server.url("/img/small.png")],
    );
    let out = run_to_end(&engine);
    assert!(
        out.failed[&ids[0]].starts_with("the disk is full while writing"),
        "{}",
        out.failed[&ids[0]]
    );
    assert_eq!(
        files_in(dir.path()),
        ["small.png"],
        "the small one still fits; no .part left"
    );
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
fn a_nearly_full_disk_starts_no_doomed_downloads() {
    let (dir, _mounted) = small_disk();
    // Leaves about 8 KB free: under 5% of 256 KB, the floor on a disk this small.
    std::fs::write(dir.path().join("filler.bin"), vec![0u8; 250_000]).unwrap();

    let server = TestServer::start();
    let store = Store::open(dir.path()).unwrap();
    let engine = Engine::start(fast_settings(), None).unwrap();
    let urls: Vec<url::Url> = (0..20)
        .map(|i| server.url(&format!("/img/n{i}.png")))
        .collect();
    let ids = engine.submit(store.dir(), urls);
    let out = run_to_end(&engine);
    for id in ids {
        assert!(
            out.failed[&id].starts_with("the disk is nearly full ("),
            "{}",
            out.failed[&id]
        );
    }
    assert_eq!(
        server
            .stats
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no request for a file that cannot be saved"
    );
    assert_eq!(files_in(dir.path()), ["filler.bin"]);
}

#[test]
fn identical_bytes_under_several_addresses_are_saved_once_also_against_files_already_there() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(FetchSettings {
        concurrency: 1,
        ..fast_settings()
    });
    // A copy of the image is in the folder before Magpie runs, under another name (fetched
    // here into another folder first, to have its bytes).
    let bytes = {
        let (other, other_dir, other_store) = setup(fast_settings());
        other.submit(other_store.dir(), [server.url("/same/probe.png")]);
        run_to_end(&other);
        std::fs::read(other_dir.path().join("probe.png")).unwrap()
    };
    std::fs::write(dir.path().join("mine.png"), &bytes).unwrap();
    let ids = engine.submit(
        store.dir(),
        [server.url("/same/one.png"), server.url("/same/two.png")],
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(
        files_in(dir.path()),
        ["mine.png"],
        "nothing new was written"
    );
    for id in &ids {
        assert!(
            out.notes[id].starts_with("duplicate of mine.png"),
            "{:?}",
            out.notes
        );
    }
}

#[test]
fn the_same_image_twice_is_saved_once_unless_duplicates_are_kept() {
    let server = TestServer::start();
    let (engine, dir, store) = setup(FetchSettings {
        concurrency: 1,
        ..fast_settings()
    });
    let ids = engine.submit(
        store.dir(),
        [server.url("/same/one.png"), server.url("/same/two.png")],
    );
    let out = run_to_end(&engine);
    assert_eq!(files_in(dir.path()), ["one.png"]);
    assert_eq!(
        out.notes.get(&ids[1]).map(String::as_str),
        Some("duplicate of one.png: the same image is already in the folder")
    );

    let (engine, dir, store) = setup(FetchSettings {
        keep_duplicates: true,
        ..fast_settings()
    });
    engine.submit(
        store.dir(),
        [server.url("/same/one.png"), server.url("/same/two.png")],
    );
    run_to_end(&engine);
    assert_eq!(files_in(dir.path()), ["one.png", "two.png"]);
}
