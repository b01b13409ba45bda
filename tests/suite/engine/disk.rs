//! What the engine puts in the folder: names, files already there, Unicode and case, a full or
//! vanishing disk, and identical images kept once.

use super::setup;
use crate::support::*;
use magpie::config::FetchSettings;
use magpie::engine::Engine;
use magpie::store::Store;

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
