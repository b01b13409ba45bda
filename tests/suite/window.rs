//! The window driven like a person would: by labels, typing, clicking and dropping files, with the
//! engine talking to a real HTTP server on loopback.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::window::*;
use crate::support::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use magpie::config::Config;
use magpie::ui::{AppOptions, MagpieApp};

#[test]
fn paste_five_urls_download_and_see_five_thumbnails() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    assert!(
        h.query_by_label_contains("Paste image URLs or drop a list here")
            .is_some(),
        "empty state tells what to do"
    );

    let urls: String = (1..=5)
        .map(|i| format!("{}\n", server.url(&format!("/img/photo{i}.png"))))
        .collect();
    paste_urls(&mut h, &urls);
    assert!(
        h.query_by_label_contains("5 URLs from 1 host").is_some(),
        "pre-flight line shows the count"
    );
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "5 thumbnails", |h| thumbnails_shown(h) == 5);
    assert_eq!(files_in(dir.path()).len(), 5);
    assert!(h.query_by_label_contains("5/5 done").is_some());
}

#[test]
fn preflight_reports_rejected_lines_and_duplicates() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    let a = server.url("/img/a.png");
    paste_urls(&mut h, &format!("{a}\njavascript:alert(1)\n{a}\n"));
    assert!(
        h.query_by_label_contains(
            "1 URL from 1 host · 1 duplicate · 1 line rejected (line 2: javascript: is not http(s))"
        )
        .is_some()
    );
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the image", |h| thumbnails_shown(h) == 1);
    // Said once, and not as an error: the rest of the list is downloading.
    let notice = app(&h).notice().cloned().unwrap();
    assert!(!notice.error, "{notice:?}");
    assert_eq!(
        notice.text.matches("javascript:").count(),
        2,
        "{}",
        notice.text
    );
}

#[test]
fn a_failed_download_stays_in_the_queue_not_as_an_empty_tile() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    paste_urls(
        &mut h,
        &format!(
            "{}\n{}\n",
            server.url("/status/404"),
            server.url("/img/ok.png")
        ),
    );
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "both finished", |h| {
        h.query_by_label_contains("failed: HTTP 404 Not Found")
            .is_some()
            && thumbnails_shown(h) == 1
    });
    assert!(h.query_by_label_contains("Gallery (1)").is_some());
}

#[test]
fn not_found_shows_its_reason_on_the_item() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    paste_urls(&mut h, &format!("{}\n", server.url("/status/404")));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the 404 reason", |h| {
        h.query_by_label_contains("failed: HTTP 404 Not Found")
            .is_some()
    });
    assert!(files_in(dir.path()).is_empty());
}

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
fn retry_failed_succeeds_once_the_server_recovers() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.config.fetch.max_attempts = 2;
    let mut h = harness(opts);
    server.set_healthy(false);
    paste_urls(&mut h, &format!("{}\n", server.url("/switch/back.png")));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the failure", |h| {
        h.query_by_label_contains("failed: HTTP 503").is_some()
    });
    assert!(files_in(dir.path()).is_empty());

    server.set_healthy(true);
    h.get_by_label("Retry failed").click();
    step_until(&mut h, "the retried image", |h| thumbnails_shown(h) == 1);
    assert_eq!(files_in(dir.path()), ["back.png"]);
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
fn opening_on_a_folder_shows_the_images_in_it() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3u8 {
        std::fs::write(dir.path().join(format!("old{i}.png")), png(40, 30, i)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), b"not an image").unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "3 thumbnails from the folder", |h| {
        thumbnails_shown(h) == 3
    });
    assert!(h.query_by_label_contains("old1.png, image 40×30").is_some());
}

#[test]
fn clicking_a_thumbnail_opens_the_viewer_and_escape_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.png"), png(40, 30, 1)).unwrap();
    std::fs::write(dir.path().join("b.png"), png(40, 30, 2)).unwrap();
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "thumbnails", |h| thumbnails_shown(h) == 2);
    // Newest first: b.png (scanned second) comes first, then a.png.
    h.get_by_label_contains("b.png, image").click();
    step_until(&mut h, "the viewer", |h| {
        h.query_by_label("⬅ Gallery").is_some()
    });
    h.key_press(egui::Key::ArrowRight);
    step_until(&mut h, "the next image", |h| {
        h.query_by_label_contains("a.png").is_some()
            && h.query_by_label_contains("b.png").is_none()
            && h.query_by_label("⬅ Gallery").is_some()
    });
    h.key_press(egui::Key::ArrowLeft);
    step_until(&mut h, "the previous image", |h| {
        h.query_by_label_contains("b.png").is_some() && h.query_by_label_contains("a.png").is_none()
    });
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the gallery again", |h| {
        h.query_by_label("⬅ Gallery").is_none() && thumbnails_shown(h) == 2
    });
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

#[test]
fn thousands_of_images_lay_out_and_decode_only_what_is_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = png(24, 16, 3);
    for i in 0..3000 {
        std::fs::write(dir.path().join(format!("img{i:04}.png")), &bytes).unwrap();
    }
    let mut h = harness(options(dir.path()));
    step_until(&mut h, "the folder listed", |h| {
        h.query_by_label_contains("Gallery (3000)").is_some()
    });
    step_until(&mut h, "the first screenful of thumbnails", |h| {
        let shown = thumbnails_shown(h);
        shown > 0 && shown == h.query_all_by_label_contains(".png, ").count()
    });
    let tiles = h.query_all_by_label_contains(".png, ").count();
    assert!(tiles < 100, "only visible tiles are laid out, got {tiles}");
    assert_eq!(
        app(&h).thumbnails_loaded(),
        tiles,
        "only visible tiles are decoded"
    );
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
fn settings_panel_changes_the_limit_for_the_next_downloads_and_saves_it() {
    let server = TestServer::start(); // each /hold/ request takes 150 ms
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = dir.path().join("config.toml");
    let mut opts = options(&out);
    opts.config_path = Some(config.clone());
    let mut h = harness(opts);
    h.get_by_label("⚙ Settings").click();
    step_until(&mut h, "the settings window", |h| {
        h.query_by_label("Attempts per file").is_some()
    });
    retype(&mut h, "Downloads at once", "1");
    h.get_by_label("Save").click();
    step_until(&mut h, "the settings saved", |_| {
        Config::load(&config).config.fetch.concurrency == 1
    });
    assert_eq!(app(&h).config().fetch.concurrency, 1);

    let urls: Vec<String> = (0..4)
        .map(|i| server.url(&format!("/hold/s{i}.png")).to_string())
        .collect();
    paste_urls(&mut h, &urls.join("\n"));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "four images", |h| thumbnails_shown(h) == 4);
    assert_eq!(
        server.stats.peak(),
        1,
        "one download at a time, as set (the default would run all four at once)"
    );
}

#[test]
fn a_bad_settings_value_is_explained_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    h.get_by_label("⚙ Settings").click();
    step_until(&mut h, "the settings window", |h| {
        h.query_by_label("Attempts per file").is_some()
    });
    retype(&mut h, "Stall timeout", "soon");
    h.get_by_label("Save").click();
    step_until(&mut h, "the reason", |h| {
        h.query_by_label_contains("Stall timeout: a duration such as")
            .is_some()
    });
    assert_eq!(app(&h).config().fetch, fast_settings());
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
fn events_are_taken_in_while_the_window_is_not_drawn() {
    // A minimized window gets `logic` calls but no `ui`: downloads must still be taken in.
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    paste_urls(&mut h, &format!("{}\n", server.url("/img/hidden.png")));
    h.get_by_label("⬇ Download").click();
    h.step();
    let start = Instant::now();
    loop {
        let app = h.state_mut().as_mut().unwrap();
        app.drain();
        if app.items().totals().saved == 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never saved");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_huge_paste_shows_as_a_summary_not_as_megabytes_of_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.config.fetch.max_attempts = 1;
    let mut h = harness(opts);
    // A closed port on 20 loopback hosts: each download fails at once, nothing leaves the machine.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A JSON array of 5,000 URLs on one line, about 200 KB.
    let urls: Vec<String> = (0..5_000)
        .map(|i| format!("http://127.0.0.{}:{port}/p/{i}.jpg", 1 + i % 20))
        .collect();
    paste_urls(&mut h, &format!("[\"{}\"]", urls.join("\",\"")));
    step_until(&mut h, "the summary of the pasted list", |h| {
        h.query_by_label_contains("Pasted list: 5000 URLs from 20 hosts")
            .is_some()
    });
    assert_eq!(
        h.get_by_label("Image URLs").value().unwrap_or_default(),
        "",
        "the text box does not hold the megabytes"
    );
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "5,000 rows", |h| {
        app(h).items().totals().downloads == 5_000
    });
    h.step();
    assert!(
        h.query_by_label_contains("Pasted list:").is_none(),
        "the summary goes once it is queued"
    );
}

#[test]
fn a_site_whose_certificates_are_not_checked_is_named_in_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[hosts.\"old-camera.local\"]\naccept_invalid_certs = true\nreferer = \"origin\"\n",
    )
    .unwrap();
    let mut options = AppOptions::load(Some(config));
    options.out_dir = Some(dir.path().join("out"));
    let mut h = harness(options);
    h.step();
    assert!(
        h.query_by_label_contains("Certificates are not checked for old-camera.local")
            .is_some(),
        "the window says which site is unprotected"
    );
}

#[test]
fn pasting_a_page_address_offers_its_images_to_choose_from() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    paste_urls(&mut h, &format!("{}\n", server.url("/gallery.html")));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the page's checklist", |h| {
        h.query_by_label_contains("⬇ Download 6 images").is_some()
    });
    assert!(
        h.query_by_label_contains("Images on “Test gallery”")
            .is_some()
    );
    // Untick the lazy-loaded one, then download the other five.
    h.get_by_label("lazy.png").click();
    h.step();
    h.get_by_label("⬇ Download 5 images").click();
    step_until(&mut h, "five files", |_| files_in(dir.path()).len() == 5);
    let mut files = files_in(dir.path());
    files.sort();
    assert_eq!(
        files,
        ["bg.png", "guarded.png", "large.png", "og.png", "one.png"]
    );
    assert!(
        h.query_by_label_contains("Images on “Test gallery”")
            .is_none(),
        "the checklist closed"
    );
}

#[test]
fn a_file_named_in_japanese_shows_real_glyphs() {
    // Needs a CJK font on the machine (CI installs fonts-noto-cjk); elsewhere there is nothing
    // to fall back to, and the test says so instead of failing.
    let has_cjk_font = std::process::Command::new("fc-list")
        .arg(":lang=ja")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    if !has_cjk_font {
        eprintln!("no Japanese font installed: skipping the glyph check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("猫の写真.png"), png(40, 30, 1)).unwrap();
    // What eframe installs in the real window (its `system_fonts` feature), added before the
    // app's first frame. Without it egui's own fonts have no kanji, and a test harness refuses
    // to draw boxes instead (it panics).
    let provider = Arc::new(egui_system_font_provider::SystemFontProvider::new());
    let options = options(dir.path());
    let mut h: Harness<'static, App> = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(
            move |ui, app: &mut App| {
                app.get_or_insert_with(|| {
                    ui.ctx().add_font_provider(provider.clone());
                    MagpieApp::new(ui.ctx(), options.clone())
                })
                .show(ui);
            },
            None,
        );
    step_until(&mut h, "the tile", |h| {
        h.query_all_by_label_contains("猫の写真.png")
            .next()
            .is_some()
    });
    let font = egui::FontId::proportional(14.0);
    assert!(
        h.ctx.fonts_mut(|f| f.has_glyphs(&font, "猫の写真")),
        "the name is drawn with real glyphs, not empty boxes"
    );
}

#[test]
fn failed_urls_are_exported_as_a_list_magpie_fetch_takes() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    let missing = server.url("/status/404?token=secret");
    paste_urls(
        &mut h,
        &format!("{}\n{missing}\n", server.url("/img/ok.png")),
    );
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "one saved, one failed", |h| {
        h.query_by_label_contains("2/2 done").is_some()
    });
    h.get_by_label("Export failed").click();
    let list = dir.path().join("failed-urls.txt");
    step_until(&mut h, "the list", |_| list.exists());
    assert_eq!(
        std::fs::read_to_string(&list).unwrap(),
        format!("{missing}\n"),
        "whole URLs, one per line"
    );
    step_until(&mut h, "the notice", |h| {
        h.query_by_label_contains("Wrote 1 failed URL").is_some()
    });
}
