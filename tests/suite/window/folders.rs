//! The window's folder: the one shown and typed, dropped folders and lists, a folder without a
//! dialog, a slow one, leftovers from a crash, and its history on start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::support::window::*;
use crate::support::*;
use egui_kittest::kittest::Queryable;
use magpie::config::Config;
use magpie::ui::AppOptions;

/// A file dropped on the window, as the windowing system hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropped_txt_file_adds_its_urls() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let lists = tempfile::tempdir().unwrap();
    let list = lists.path().join("cats.txt");
    std::fs::write(
        &list,
        format!(
            "{}\n{}\n",
            server.url("/img/cat1.jpg"),
            server.url("/img/cat2.jpg")
        ),
    )
    .unwrap();
    let mut h = harness(options(dir.path()));
    h.input_mut().dropped_files.push(Arc::new(Dropped(list)));
    step_until(&mut h, "2 thumbnails from the dropped list", |h| {
        thumbnails_shown(h) == 2
    });
    assert_eq!(files_in(dir.path()), ["cat1.jpg", "cat2.jpg"]);
}

#[test]
fn a_dropped_folder_is_saved_into_with_the_lists_dropped_with_it() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start");
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let list = dir.path().join("cats.txt");
    std::fs::write(&list, format!("{}\n", server.url("/img/cat1.jpg"))).unwrap();
    let mut h = opened_on(&start, &dir.path().join("config.toml"));
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(other.clone())));
    h.input_mut().dropped_files.push(Arc::new(Dropped(list)));
    step_until(&mut h, "the dropped list's image", |h| {
        thumbnails_shown(h) == 1
    });
    let other = std::fs::canonicalize(&other).unwrap();
    assert_eq!(app(&h).out_dir(), other);
    assert_eq!(
        h.get_by_label("Saving to:").value(),
        Some(other.display().to_string())
    );
    assert_eq!(files_in(&other), ["cat1.jpg"]);
    assert!(files_in(&start).is_empty());
}

#[test]
fn folder_shown_is_the_configured_one() {
    let dir = tempfile::tempdir().unwrap();
    let chosen = dir.path().join("chosen");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[window]\nfolder = {:?}\n", chosen.display().to_string()),
    )
    .unwrap();
    let mut h = harness(AppOptions::load(Some(config)));
    step_until(&mut h, "the folder opened", |h| {
        h.query_by_label_contains("Opening the folder").is_none()
    });
    let shown = h.get_by_label("Saving to:").value().unwrap_or_default();
    let expected = std::fs::canonicalize(&chosen).unwrap();
    assert_eq!(shown, expected.display().to_string());
    assert_eq!(app(&h).out_dir(), expected);
}

#[test]
fn typed_folder_is_used_and_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let start = dir.path().join("start");
    let other = dir.path().join("other");
    let mut h = harness(AppOptions {
        out_dir: Some(start),
        config_path: Some(config.clone()),
        ..AppOptions::default()
    });
    h.get_by_label("Saving to:").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("Saving to:")
        .type_text(other.to_str().unwrap());
    h.step();
    h.key_press(egui::Key::Enter);
    step_until(&mut h, "the new folder saved in the config", |_| {
        Config::load(&config).config.window.folder
            == Some(std::fs::canonicalize(&other).unwrap_or_default())
    });
    assert!(other.is_dir());
}

#[test]
fn an_emptied_folder_box_keeps_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start");
    let mut h = opened_on(&start, &dir.path().join("config.toml"));
    let start = std::fs::canonicalize(&start).unwrap();
    h.get_by_label("Saving to:").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.key_press(egui::Key::Backspace);
    h.step();
    assert_eq!(h.get_by_label("Saving to:").value().as_deref(), Some(""));
    h.key_press(egui::Key::Enter);
    step_until(&mut h, "the folder shown again", |h| {
        h.get_by_label("Saving to:").value() == Some(start.display().to_string())
    });
    assert_eq!(app(&h).out_dir(), start);
    assert!(h.query_by_label_contains("Opening the folder").is_none());
}

#[test]
fn without_a_folder_dialog_the_window_says_so_and_keeps_the_folder() {
    // Test machines have no desktop portal and no zenity, so rfd returns at once.
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    h.get_by_label("Choose folder…").click();
    step_until(&mut h, "the no-dialog notice", |h| {
        h.query_by_label_contains("No folder dialog is available")
            .is_some()
    });
    assert_eq!(
        app(&h).out_dir(),
        std::fs::canonicalize(dir.path()).unwrap()
    );
}

#[test]
fn the_window_removes_leftover_partial_files_when_it_opens_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let leftover = dir.path().join(".magpie-killed.part");
    std::fs::write(&leftover, b"half an image").unwrap();
    let mut opts = options(dir.path());
    opts.journal_dir = Some(journals.path().to_path_buf());
    let mut h = harness(opts);
    step_until(&mut h, "the leftover removed", |_| !leftover.exists());
}

#[test]
fn a_folder_that_takes_long_to_open_does_not_freeze_the_window() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let out = std::fs::canonicalize(dir.path()).unwrap();
    // Another Magpie holds the folder's lock (as while it tidies a huge journal): opening waits.
    let lock_path = magpie::journal::path_for(journals.path(), &out).with_extension("lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();

    let mut opts = options(&out);
    opts.journal_dir = Some(journals.path().to_path_buf());
    let mut h = harness(opts);
    for _ in 0..20 {
        h.step(); // every frame is drawn while the open waits
    }
    assert!(h.query_by_label_contains("Opening the folder").is_some());
    paste_urls(&mut h, &format!("{}\n", server.url("/img/early.png")));
    h.get_by_label("⬇ Download").click();
    h.step();
    assert_eq!(
        app(&h).items().len(),
        1,
        "the download is queued while the folder opens"
    );
    assert_eq!(server.stats.hits("/img/early.png"), 0);

    lock.unlock().unwrap();
    step_until(&mut h, "the image, once the folder opened", |h| {
        thumbnails_shown(h) == 1
    });
    assert!(h.query_by_label_contains("Opening the folder").is_none());
    assert_eq!(files_in(&out), ["early.png"]);
}

#[test]
fn history_is_shown_and_pending_downloads_resume_on_start() {
    use magpie::journal::{self, Journal, Record};
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let journals = tempfile::tempdir().unwrap();
    let out = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(out.join("kept.png"), png(20, 20, 1)).unwrap();
    let mut j = Journal::open(&journal::path_for(journals.path(), &out)).unwrap();
    j.append(&[
        Record::Saved {
            url: server.url("/img/kept.png"),
            file: "kept.png".into(),
            bytes: 10,
            page: None,
            session: 0,
            at: 0,
        },
        Record::Failed {
            url: server.url("/status/404"),
            error: "HTTP 404 Not Found".into(),
        },
        Record::Queued {
            url: server.url("/img/unfinished.png"),
            session: 0,
            info: Default::default(),
        },
    ])
    .unwrap();
    drop(j);

    let mut opts = options(&out);
    opts.journal_dir = Some(journals.path().to_path_buf());
    let mut h = harness(opts);
    step_until(&mut h, "the unfinished download saved", |h| {
        thumbnails_shown(h) == 2
    });
    assert!(out.join("unfinished.png").exists());
    assert_eq!(
        server.stats.hits("/img/kept.png"),
        0,
        "saved files are not fetched again"
    );
    assert!(
        h.query_by_label_contains("failed: HTTP 404 Not Found")
            .is_some()
    );
    assert!(h.query_by_label_contains("Resuming 1 download").is_some());
}

/// A folder of `n` small PNGs, with a journal that remembers where each came from and `failed`
/// downloads that failed; returns the folder (canonical) and the journals' folder.
fn folder_with_history(n: usize, failed: usize) -> (tempfile::TempDir, PathBuf, PathBuf) {
    use magpie::journal::{self, Journal, Record};
    let dir = tempfile::tempdir().unwrap();
    let out = std::fs::canonicalize(dir.path()).unwrap().join("photos");
    let journals = dir.path().join("journals");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&journals).unwrap();
    let bytes = png(8, 8, 1);
    let mut records = Vec::new();
    for i in 0..n {
        let file = format!("img{i:05}.png");
        std::fs::write(out.join(&file), &bytes).unwrap();
        records.push(Record::Saved {
            url: url::Url::parse(&format!("http://example.test/{file}")).unwrap(),
            file,
            bytes: bytes.len() as u64,
            page: None,
            session: 0,
            at: 0,
        });
    }
    for i in 0..failed {
        records.push(Record::Failed {
            url: url::Url::parse(&format!("http://example.test/gone/{i}.png")).unwrap(),
            error: "HTTP 404 Not Found".into(),
        });
    }
    let mut j = Journal::open(&journal::path_for(&journals, &out)).unwrap();
    j.append(&records).unwrap();
    (dir, out, journals)
}

#[test]
fn a_folder_of_thousands_fills_in_over_frames_with_every_source_and_failure() {
    let (_tmp, out, journals) = folder_with_history(20_000, 2_000);
    let mut opts = options(&out);
    opts.journal_dir = Some(journals);
    let mut h = harness(opts);
    // No frame takes the whole folder at once: it is seen part-listed on the way.
    step_until(&mut h, "the folder part-listed", |h| {
        let listed = app(h).items().totals().in_folder;
        listed > 0 && listed < 20_000
    });
    step_until(&mut h, "every image and past failure", |h| {
        h.query_by_label_contains("Gallery (20,000)").is_some()
            && app(h).items().totals().failed == 2_000
    });
    step_until(&mut h, "every image's source", |h| {
        app(h)
            .items()
            .as_slice()
            .iter()
            .filter(|i| i.path.is_some() && i.url.is_some())
            .count()
            == 20_000
    });
    let items = app(&h).items().as_slice();
    let first = items
        .iter()
        .find(|i| i.name == "img00000.png")
        .expect("the first image");
    assert_eq!(
        first.url.as_ref().map(|u| u.as_str()),
        Some("http://example.test/img00000.png")
    );
}

#[test]
fn a_folder_left_while_its_images_are_listed_leaves_none_of_them_behind() {
    let (_tmp, out, journals) = folder_with_history(20_000, 0);
    let other = out.parent().unwrap().join("other");
    std::fs::create_dir(&other).unwrap();
    let mut opts = options(&out);
    opts.journal_dir = Some(journals);
    let mut h = harness(opts);
    step_until(&mut h, "the folder part-listed", |h| {
        app(h).items().totals().in_folder > 0
    });
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(other.clone())));
    step_until(&mut h, "the dropped folder open", |h| {
        app(h).out_dir() == other && h.query_by_label_contains("Opening the folder").is_none()
    });
    for _ in 0..30 {
        h.step();
    }
    let strays = app(&h)
        .items()
        .as_slice()
        .iter()
        .filter(|i| i.path.as_ref().is_some_and(|p| p.starts_with(&out)))
        .count();
    assert_eq!(strays, 0, "images of the folder left behind are not shown");
    assert!(
        h.query_by_label_contains("0 images in this folder")
            .is_some()
    );
}

#[test]
fn thousands_of_downloads_resumed_on_start_each_end_in_their_own_row() {
    use magpie::journal::{self, Journal, Record};
    let dir = tempfile::tempdir().unwrap();
    let out = std::fs::canonicalize(dir.path()).unwrap();
    let journals = tempfile::tempdir().unwrap();
    // Nothing listens there: each resumed download fails at once, faster than rows are added,
    // so most of them report before their row is in.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let n = 20_000;
    let records: Vec<Record> = (0..n)
        .map(|i| Record::Queued {
            url: url::Url::parse(&format!("http://127.0.0.1:{port}/left/{i}.png")).unwrap(),
            session: 0,
            info: Default::default(),
        })
        .collect();
    let mut j = Journal::open(&journal::path_for(journals.path(), &out)).unwrap();
    j.append(&records).unwrap();
    drop(j);

    let mut opts = options(&out);
    opts.journal_dir = Some(journals.path().to_path_buf());
    opts.config.fetch.max_attempts = 1;
    let mut h = harness(opts);
    step_until(&mut h, "every resumed download failed", |h| {
        app(h).items().totals().failed == n
    });
    let totals = app(&h).items().totals();
    assert_eq!(
        (totals.downloads, totals.active),
        (n, 0),
        "no row left waiting"
    );
    assert!(
        h.query_by_label_contains("Resuming 20,000 download")
            .is_some()
    );
}
