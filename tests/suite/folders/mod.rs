//! Folders owned by the engine: several Magpies on one folder (each URL fetched once, no journal
//! line lost, nobody's partial files deleted), and tidying only when alone. `kills.rs`: resuming
//! after a Magpie was killed, and what the folder remembers.

mod kills;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;
use magpie::engine::{Command, Engine, Event, JobId, SkipReason};
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

/// A list of thousands is journaled whole when it is queued, however it is sliced into writes: a
/// URL given twice is skipped as already queued, and a second Magpie on the folder leaves every
/// one of them to the first.
#[test]
fn a_list_of_thousands_is_journaled_whole_and_a_second_magpie_leaves_it_alone() {
    let out = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    // Nothing is fetched: both engines are paused, and the addresses go nowhere.
    let urls: Vec<Url> = (0..2_500)
        .map(|i| Url::parse(&format!("http://127.0.0.1:9/list/{i}.png")).unwrap())
        .collect();
    let first = journaled(journals.path());
    first.send(Command::Pause);
    let mut given = urls.clone();
    given.push(urls[1_234].clone());
    first.submit(out.path(), given);
    let skipped = wait_claimed(&first, urls.len() + 1);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(matches!(skipped[0].1, SkipReason::AlreadyQueued));

    let second = journaled(journals.path());
    second.send(Command::Pause);
    second.submit(out.path(), urls.clone());
    let skipped = wait_claimed(&second, urls.len());
    assert_eq!(skipped.len(), urls.len());
    assert!(
        skipped
            .iter()
            .all(|(_, r)| matches!(r, SkipReason::ElsewhereInProgress)),
        "{:?}",
        skipped
            .iter()
            .find(|(_, r)| !matches!(r, SkipReason::ElsewhereInProgress))
    );
}
