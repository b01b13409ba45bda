//! Folders owned by the engine: several Magpies on one folder (each URL fetched once, no journal
//! line lost, nobody's partial files deleted), resume, and tidying only when alone.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;
use magpie::engine::{Engine, Event, JobId, SkipReason};
use magpie::journal::{self, Journal, Record};
use url::Url;

fn journaled(journals: &Path) -> Engine {
    Engine::start_journaled(fast_settings(), Some(journals.to_path_buf()), None).unwrap()
}

/// Opens `dir` as the window does (taking over what a dead run left pending).
fn open_resuming(engine: &Engine, dir: &Path) -> magpie::engine::OpenedFolder {
    engine.open_folder(dir, true);
    loop {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::FolderOpened { folder, .. }) => return folder,
            Some(Event::FolderFailed { error, .. }) => panic!("{error}"),
            Some(_) => {}
            None => panic!("no answer opening {}", dir.display()),
        }
    }
}

/// Waits until `n` jobs were accepted (journaled as queued) or skipped; returns the skipped.
fn wait_claimed(engine: &Engine, n: usize) -> Vec<(JobId, SkipReason)> {
    let (mut seen, mut skipped) = (0, Vec::new());
    while seen < n {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::Queued { .. }) => seen += 1,
            Some(Event::Skipped { id, reason }) => {
                seen += 1;
                skipped.push((id, reason));
            }
            Some(_) => {}
            None => panic!("only {seen} of {n} claimed"),
        }
    }
    skipped
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap()
}

#[test]
fn two_magpies_in_one_folder_fetch_each_image_once() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let a_urls: Vec<Url> = (0..30)
        .map(|i| server.url(&format!("/gate/a{i}.png")))
        .collect();
    server.set_healthy(false); // the /gate/ downloads hang until opened

    // The first Magpie streams its list: the first 20 now, the rest later.
    let a = journaled(journals.path());
    assert!(!open_folder(&a, out.path()).shared);
    a.submit(out.path(), a_urls[..20].iter().cloned());
    assert!(wait_claimed(&a, 20).is_empty());

    // A second Magpie with --resume: 10 URLs the first has queued, 10 it has not reached yet,
    // 10 of its own.
    let b = journaled(journals.path());
    let opened = open_resuming(&b, out.path());
    assert!(
        opened.shared,
        "the second Magpie knows it shares the folder"
    );
    assert!(
        opened.resumed.is_empty(),
        "the live Magpie's pending downloads are left to it"
    );
    let b_own: Vec<Url> = (0..10)
        .map(|i| server.url(&format!("/img/b{i}.png")))
        .collect();
    let b_ids = b.submit(
        out.path(),
        a_urls[10..]
            .iter()
            .chain(&b_own)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let skipped_b = wait_claimed(&b, 30);
    assert_eq!(
        skipped_b.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        b_ids[..10],
        "the 10 the first Magpie has queued are skipped"
    );
    assert!(
        skipped_b
            .iter()
            .all(|(_, r)| *r == SkipReason::ElsewhereInProgress)
    );

    // The first Magpie reaches the rest of its list: the second has those now.
    a.submit(out.path(), a_urls[20..].iter().cloned());
    server.set_healthy(true);
    let out_a = run_to_end(&a);
    let out_b = run_to_end(&b);
    assert_eq!((out_a.saved.len(), out_a.skipped.len()), (20, 10));
    assert_eq!(out_b.saved.len(), 20);

    let files = files_in(out.path());
    assert_eq!(files.len(), 40, "{files:?}");
    assert!(files.iter().all(|f| !f.contains(" (")), "{files:?}");
    for i in 0..30 {
        assert_eq!(server.stats.hits(&format!("/gate/a{i}.png")), 1);
    }

    // A URL the other Magpie saved meanwhile is not fetched again.
    let again = a.submit(out.path(), [b_own[0].clone()]);
    let out_again = run_to_end(&a);
    assert_eq!(out_again.skipped, again);
    assert_eq!(server.stats.hits("/img/b0.png"), 1);
}

#[test]
fn a_window_opening_a_folder_while_fetch_runs_loses_no_journal_line() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let fetch = journaled(journals.path());
    let fetch_urls: Vec<Url> = (0..12)
        .map(|i| server.url(&format!("/hold/f{i}.png")))
        .collect();
    fetch.submit(out.path(), fetch_urls.iter().cloned());
    wait_claimed(&fetch, 12);

    // The window opens the same folder while the downloads run, and downloads too.
    let window = journaled(journals.path());
    assert!(open_resuming(&window, out.path()).shared);
    let window_urls: Vec<Url> = (0..6)
        .map(|i| server.url(&format!("/img/w{i}.png")))
        .collect();
    window.submit(out.path(), window_urls.iter().cloned());
    assert_eq!(run_to_end(&window).saved.len(), 6);
    assert_eq!(run_to_end(&fetch).saved.len(), 12);
    drop(window);
    drop(fetch);

    let path = journal::path_for(journals.path(), &canonical(out.path()));
    let history = journal::load(&path).unwrap().history;
    let saved: Vec<&Url> = history.saved().collect();
    assert_eq!(saved.len(), 18, "{history:?}");
    for url in fetch_urls.iter().chain(&window_urls) {
        assert!(saved.contains(&url), "{url} lost from the journal");
    }
    assert_eq!(history.pending().count(), 0);
}

#[test]
fn leftover_part_files_are_removed_when_alone_never_under_a_live_magpie() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let dir = canonical(out.path());
    std::fs::write(dir.join(".magpie-dead.part"), b"left by a killed run").unwrap();
    // A killed run also left a download pending (held at the gate until the end of the test).
    server.set_healthy(false);
    let pending = server.url("/gate/pending.png");
    let mut j = Journal::open(&journal::path_for(journals.path(), &dir)).unwrap();
    j.append(&[Record::Queued {
        url: pending.clone(),
        session: 0,
        info: Default::default(),
    }])
    .unwrap();
    drop(j);

    let first = journaled(journals.path());
    let opened = open_resuming(&first, out.path());
    assert_eq!(opened.parts_removed, 1);
    assert!(!dir.join(".magpie-dead.part").exists());
    assert_eq!(
        opened.resumed.iter().map(|(_, u)| u).collect::<Vec<_>>(),
        [&pending]
    );
    // Asked for again by the same Magpie while it runs: fetched once.
    let again = first.submit(&dir, [pending.clone()]);

    // While the first Magpie is alive, a partial file in the folder may be one of its own.
    std::fs::write(dir.join(".magpie-live.part"), b"a download in flight").unwrap();
    let second = journaled(journals.path());
    let opened = open_resuming(&second, out.path());
    assert!(opened.shared);
    assert_eq!(opened.parts_removed, 0);
    assert!(opened.resumed.is_empty());
    assert!(dir.join(".magpie-live.part").exists());

    server.set_healthy(true);
    let done = run_to_end(&first);
    assert_eq!(done.saved.len(), 1);
    assert_eq!(done.skipped, again);
    assert_eq!(server.stats.hits("/gate/pending.png"), 1);
}

#[test]
fn a_folder_that_cannot_be_created_is_reported_and_its_downloads_fail_in_words() {
    let server = TestServer::start();
    let base = tempfile::tempdir().unwrap();
    let file = base.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let journals = tempfile::tempdir().unwrap();
    let engine = journaled(journals.path());
    let ids = engine.submit(&file, [server.url("/img/x.png")]);
    let mut folder_error = None;
    let mut job_error = None;
    while job_error.is_none() {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::FolderFailed { error, .. }) => folder_error = Some(error.to_string()),
            Some(Event::Failed { id, error }) if id == ids[0] => {
                job_error = Some(error.to_string());
            }
            Some(_) => {}
            None => panic!("no answer"),
        }
    }
    let expected = format!("the output path is not a folder: {}", file.display());
    assert_eq!(job_error.unwrap(), expected);
    assert_eq!(folder_error.unwrap(), expected);
    assert_eq!(std::fs::read(&file).unwrap(), b"not a folder");
}

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
fn a_folder_let_go_of_becomes_free_for_another_magpie_once_its_downloads_end() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    server.set_healthy(false);
    let first = journaled(journals.path());
    open_folder(&first, out.path());
    first.submit(out.path(), [server.url("/gate/last.png")]);
    wait_claimed(&first, 1);
    // The window switched to another folder: this one is let go of once its download ends.
    first.send(magpie::engine::Command::CloseFolder {
        dir: out.path().to_path_buf(),
    });
    let peek = journaled(journals.path());
    assert!(open_resuming(&peek, out.path()).shared, "still downloading");
    drop(peek);

    server.set_healthy(true);
    loop {
        match first.recv_timeout(Duration::from_secs(30)) {
            Some(Event::FolderClosed { dir }) => {
                assert_eq!(dir, canonical(out.path()));
                break;
            }
            Some(_) => {}
            None => panic!("the folder was never let go of"),
        }
    }
    let other = journaled(journals.path());
    let opened = open_resuming(&other, out.path());
    assert!(!opened.shared, "nobody else holds it now");
    assert_eq!(files_in(out.path()), ["last.png"]);
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
            page: Some(page.clone()),
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
