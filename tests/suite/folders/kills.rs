//! Resuming a folder after a Magpie was killed mid-way: a download named just before the kill, a
//! torn journal line, a page image's Referer and place, and the folder's remembered hashes.

use std::io::Write as _;
use std::time::Duration;

use super::{canonical, journaled, open_resuming, wait_claimed};
use crate::support::*;
use magpie::engine::{Engine, Event, SkipReason};
use magpie::journal::{self, Journal, Record};
use url::Url;

#[test]
fn a_download_named_just_before_a_kill_is_recognised_not_fetched_again() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let dir = canonical(out.path());
    // A killed run: two downloads got their names, but their "saved" lines never came. The
    // first file is there as the run left it; the second name holds other bytes.
    let kept = png(30, 20, 1);
    std::fs::write(dir.join("kept (1).png"), &kept).unwrap();
    std::fs::write(dir.join("kept.png"), png(30, 20, 9)).unwrap();
    std::fs::write(dir.join("other.png"), png(30, 20, 2)).unwrap();
    let naming = |url: Url, file: &str, bytes: &[u8]| Record::Naming {
        url,
        file: file.into(),
        bytes: bytes.len() as u64,
        blake3: blake3::hash(bytes).to_hex().to_string(),
        session: 0,
    };
    let kept_url = server.url("/img/kept.png");
    let other_url = server.url("/img/other.png");
    let mut j = Journal::open(&journal::path_for(journals.path(), &dir)).unwrap();
    j.append(&[
        naming(kept_url.clone(), "kept.png", &kept),
        naming(other_url.clone(), "other.png", &png(30, 20, 3)),
    ])
    .unwrap();
    drop(j);

    let engine = journaled(journals.path());
    let opened = open_resuming(&engine, out.path());
    assert_eq!(opened.recognised, 1);
    assert_eq!(
        opened.resumed.iter().map(|(_, u)| u).collect::<Vec<_>>(),
        [&other_url],
        "only the one whose bytes are not in the folder is fetched again"
    );
    assert!(opened.history.entries.contains(&Record::Saved {
        url: kept_url,
        file: "kept (1).png".into(),
        bytes: kept.len() as u64,
        page: None,
        session: 0,
        at: 0,
    }));
    run_to_end(&engine);
    assert_eq!(server.stats.hits("/img/kept.png"), 0);
    assert_eq!(server.stats.hits("/img/other.png"), 1);
    assert_eq!(
        files_in(&dir),
        ["kept (1).png", "kept.png", "other (1).png", "other.png"]
    );
}

#[test]
fn a_line_torn_by_a_killed_magpie_does_not_swallow_the_next_record() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let engine = journaled(journals.path());
    open_folder(&engine, out.path());
    // Another Magpie on the folder dies in the middle of writing a line.
    let path = journal::path_for(journals.path(), &canonical(out.path()));
    let mut torn = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut torn, b"{\"event\":\"queued\",\"url\":\"http://x/").unwrap();

    let url = server.url("/img/after.png");
    engine.submit(out.path(), [url.clone()]);
    assert_eq!(run_to_end(&engine).saved.len(), 1);
    drop(engine);
    let loaded = journal::load(&path).unwrap();
    assert_eq!(loaded.skipped, 1, "the torn line is skipped");
    assert_eq!(loaded.history.saved().collect::<Vec<_>>(), [&url]);
    let text = std::fs::read(&path).unwrap();
    let about_it: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| l.windows(9).any(|w| w == b"after.png"))
        .collect();
    assert_eq!(
        about_it.len(),
        3,
        "queued, naming and saved, each on a line of its own"
    );
    for line in about_it {
        assert!(serde_json::from_slice::<Record>(line).is_ok());
    }
}

#[test]
fn a_resumed_page_image_keeps_its_referer_and_its_place_in_the_template() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let dir = canonical(out.path());
    let page = server.url("/gallery.html");
    let image = server.url("/hotlink/guarded.png");
    // A killed run had queued an image from a page (the server 403s without a Referer).
    let mut j = Journal::open(&journal::path_for(journals.path(), &dir)).unwrap();
    j.append(&[Record::Queued {
        url: image.clone(),
        session: 0,
        info: magpie::engine::JobInfo {
            page: Some(Box::new(page.clone())),
            page_title: Some("Trip".into()),
            index: Some((7, 12)),
            again: false,
        },
    }])
    .unwrap();
    drop(j);

    let mut settings = fast_settings();
    settings.template = magpie::store::Template::parse("{page_title}/{index}-{name}").unwrap();
    let engine =
        Engine::start_journaled(settings, Some(journals.path().to_path_buf()), None).unwrap();
    let opened = open_resuming(&engine, out.path());
    assert_eq!(opened.resumed.len(), 1);
    let done = run_to_end(&engine);
    assert_eq!(done.saved.len(), 1, "{:?}", done.failed);
    assert_eq!(
        server.stats.hits("/hotlink/guarded.png"),
        1,
        "asked once, with the page as Referer, as the first run would have"
    );
    assert_eq!(
        server.stats.referers.lock().unwrap().as_slice(),
        [page.to_string()]
    );
    assert_eq!(files_under(&dir), ["Trip/07-guarded.png"]);
}

#[test]
fn a_file_named_into_a_subfolder_before_a_kill_is_recognised_not_fetched_again() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let dir = canonical(out.path());
    let url = server.url("/img/kept.png");
    let bytes = png(10, 10, 3);
    std::fs::create_dir(dir.join("127.0.0.1")).unwrap();
    std::fs::write(dir.join("127.0.0.1/kept.png"), &bytes).unwrap();
    // Killed between naming the file and journaling it saved.
    let mut j = Journal::open(&journal::path_for(journals.path(), &dir)).unwrap();
    j.append(&[Record::Naming {
        url: url.clone(),
        file: "127.0.0.1/kept.png".into(),
        bytes: bytes.len() as u64,
        blake3: blake3::hash(&bytes).to_hex().to_string(),
        session: 0,
    }])
    .unwrap();
    drop(j);
    let engine = journaled(journals.path());
    let opened = open_resuming(&engine, out.path());
    assert_eq!(opened.recognised, 1);
    assert!(opened.resumed.is_empty());
    assert_eq!(server.stats.hits("/img/kept.png"), 0);
}

#[test]
fn hashes_of_the_folders_files_are_remembered_until_a_file_changes() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let dir = canonical(out.path());
    let image = png(64, 48, 9); // what every /same/ address serves
    let hash = blake3::hash(&image).to_hex().to_string();
    std::fs::write(dir.join("old.png"), &image).unwrap();
    let index = journal::path_for(journals.path(), &dir).with_extension("hashes");

    // Run 1: old.png is read once to compare, and its hash remembered.
    let first = journaled(journals.path());
    open_folder(&first, &dir);
    let id = first.submit(&dir, [server.url("/same/one.png")])[0];
    let out1 = run_to_end(&first);
    assert!(
        out1.notes[&id].starts_with("duplicate of old.png"),
        "{:?}",
        out1.notes
    );
    drop(first);
    assert!(
        std::fs::read_to_string(&index)
            .unwrap()
            .contains("\"file\":\"old.png\"")
    );

    // A decoy of the same size, which the index (falsely) says has the same hash: a run that
    // trusts the index without reading the file calls it a duplicate.
    let decoy = dir.join("decoy.png");
    std::fs::write(&decoy, vec![0u8; image.len()]).unwrap();
    let mtime = std::fs::metadata(&decoy).unwrap().modified().unwrap();
    let t = mtime.duration_since(std::time::UNIX_EPOCH).unwrap();
    let mut lines = std::fs::OpenOptions::new()
        .append(true)
        .open(&index)
        .unwrap();
    writeln!(
        lines,
        r#"{{"file":"decoy.png","size":{},"secs":{},"nanos":{},"blake3":"{hash}"}}"#,
        image.len(),
        t.as_secs(),
        t.subsec_nanos()
    )
    .unwrap();
    drop(lines);
    std::fs::remove_file(dir.join("old.png")).unwrap();
    let second = journaled(journals.path());
    open_folder(&second, &dir);
    let id = second.submit(&dir, [server.url("/same/two.png")])[0];
    let out2 = run_to_end(&second);
    assert!(
        out2.notes[&id].starts_with("duplicate of decoy.png"),
        "the remembered hash was used: {:?}",
        out2.notes
    );
    drop(second);

    // Once the file changes (its time), it is read again: the decoy is no duplicate.
    let later = mtime + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&decoy)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let third = journaled(journals.path());
    open_folder(&third, &dir);
    let id = third.submit(&dir, [server.url("/same/three.png")])[0];
    let out3 = run_to_end(&third);
    assert!(
        out3.saved.contains_key(&id) && !out3.notes.contains_key(&id),
        "{:?}",
        out3.notes
    );
    assert!(dir.join("three.png").exists());
}

#[test]
fn within_one_run_a_url_being_fetched_or_saved_is_not_fetched_again() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let engine = journaled(journals.path());
    open_folder(&engine, out.path());
    let slow = server.url("/gate/slow.png");
    let quick = server.url("/img/quick.png");
    server.set_healthy(false); // /gate/ waits until opened
    engine.submit(out.path(), [slow.clone(), quick.clone()]);
    assert!(wait_claimed(&engine, 2).is_empty());
    // Saved lines are journaled by the thread that names the file; the claim must see them.
    loop {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::Saved { .. }) => break,
            Some(Event::Failed { error, .. }) => panic!("{error}"),
            Some(_) => {}
            None => panic!("quick.png was not saved"),
        }
    }
    engine.submit(out.path(), [slow.clone(), quick.clone()]);
    let skipped = wait_claimed(&engine, 2);
    let reasons: Vec<&SkipReason> = skipped.iter().map(|(_, r)| r).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(*reasons[0], SkipReason::AlreadyQueued);
    assert!(
        matches!(reasons[1], SkipReason::DownloadedBefore(_)),
        "{reasons:?}"
    );
    server.set_healthy(true);
    let outcome = run_to_end(&engine);
    assert_eq!(outcome.saved.len(), 1, "the slow one finishes once");
    assert_eq!(server.stats.hits("/img/quick.png"), 1);
    assert_eq!(server.stats.hits("/gate/slow.png"), 1);
    assert_eq!(files_in(out.path()), ["quick.png", "slow.png"]);
}
