//! The window driven like a person would: by labels, typing, clicking and dropping files, with the
//! engine talking to a real HTTP server on loopback. This file: pasting and downloading;
//! `folders.rs`: drops and the folder; `gallery.rs`: browsing; `filter.rs`: the gallery's filter;
//! `followed.rs`: the folder changed by other programs; `queue.rs`: the queue's parts;
//! `selection.rs`: several images at once; `settings.rs`: the Settings panel.

mod filter;
mod folders;
mod followed;
mod gallery;
mod queue;
mod selection;
mod settings;

use std::time::{Duration, Instant};

use crate::support::window::*;
use crate::support::*;
use egui_kittest::kittest::Queryable;
use magpie::ui::AppOptions;
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

/// Ctrl+Enter with an empty box asks for URLs; once they are pasted and downloading, the request
/// goes (it stayed above the gallery, telling a user who had done it to do it).
#[test]
fn the_hint_to_paste_first_goes_once_urls_download() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    h.get_by_label("Image URLs").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    h.step();
    assert!(h.query_by_label_contains("into the box first").is_some());
    paste_urls(&mut h, &format!("{}\n", server.url("/img/a.png")));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "the image", |h| thumbnails_shown(h) == 1);
    assert!(h.query_by_label_contains("into the box first").is_none());
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
fn queued_downloads_wait_in_the_queue_and_join_the_gallery_as_they_start() {
    let server = TestServer::start();
    server.set_healthy(false); // every /gate/ request is held until the gate opens
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.config.fetch.concurrency = 4;
    opts.config.fetch.per_host = 4;
    let mut h = harness(opts);
    let urls: String = (0..40)
        .map(|i| format!("{}\n", server.url(&format!("/gate/p{i:02}.png"))))
        .collect();
    paste_urls(&mut h, &urls);
    h.step(); // the box grew: the button settles one frame later
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "four downloads under way", |h| {
        h.query_by_label_contains("Queue (40)").is_some()
            && h.query_by_label_contains("Gallery (4)").is_some()
    });
    // The first four of the list, not 36 placeholders ahead of them.
    assert_eq!(
        h.query_all_by_label_contains(", downloading").count(),
        4,
        "the tiles are the four downloads under way"
    );
    assert!(h.query_by_label_contains("p00.png, downloading").is_some());

    server.set_healthy(true);
    step_until(&mut h, "every image", |h| {
        h.query_by_label_contains("Gallery (40)").is_some() && files_in(dir.path()).len() == 40
    });
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

/// A window saving into `dir` that tries each download once, and a loopback port nothing listens
/// on (on any 127.0.0.x): a download from it fails at once, and nothing leaves the machine.
fn window_and_closed_port(dir: &std::path::Path) -> (egui_kittest::Harness<'static, App>, u16) {
    let mut opts = options(dir);
    opts.config.fetch.max_attempts = 1;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    (harness(opts), port)
}

#[test]
fn a_huge_paste_shows_as_a_summary_not_as_megabytes_of_text() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, port) = window_and_closed_port(dir.path());
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
    let rows: Vec<String> = app(&h)
        .items()
        .as_slice()
        .iter()
        .filter_map(|i| i.url.as_ref().map(|u| u.to_string()))
        .collect();
    assert_eq!(rows, urls, "every URL once, in the list's order");
}

#[test]
fn a_huge_paste_replaces_the_selected_text_and_the_box_reports_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, port) = window_and_closed_port(dir.path());
    retype(&mut h, "Image URLs", "not a url");
    // Selected, then pasted over: the paste replaces it, as in any text box.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    let urls: String = (0..5_000)
        .map(|i| format!("http://127.0.0.1:{port}/p/{i}.jpg\n"))
        .collect();
    h.event(egui::Event::Paste(urls));
    step_until(&mut h, "the summary of the pasted list", |h| {
        h.query_by_label_contains("Pasted list: 5000 URLs")
            .is_some()
    });
    assert_eq!(
        h.get_by_label("Image URLs").value().unwrap_or_default(),
        "",
        "the selected text went"
    );
    // A line typed beside the pasted list is reported as the box's, not the list's.
    h.get_by_label("Image URLs").type_text("abc");
    h.step();
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "5,000 rows", |h| {
        app(h).items().totals().downloads == 5_000
    });
    let notice = app(&h).notice().cloned().unwrap();
    assert!(
        notice.text.starts_with("URL box: ") && notice.text.ends_with("— abc"),
        "{}",
        notice.text
    );
}

#[test]
fn a_second_huge_paste_joins_the_first_in_the_order_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, port) = window_and_closed_port(dir.path());
    let url = |i: usize| format!("http://127.0.0.1:{port}/p/{i}.jpg");
    // A JSON array of 3,000, then a plain list of 3,000 whose first is also in the first list.
    let first: Vec<String> = (0..3_000).map(url).collect();
    let second: Vec<String> = (2_999..5_999).map(url).collect();
    paste_urls(&mut h, &format!("[\"{}\"]", first.join("\",\"")));
    step_until(&mut h, "the first list", |h| {
        h.query_by_label_contains("Pasted list: 3000 URLs")
            .is_some()
    });
    paste_urls(&mut h, &second.join("\n"));
    step_until(&mut h, "both lists", |h| {
        h.query_by_label_contains("Pasted list: 5999 URLs")
            .is_some()
    });
    h.get_by_label("⬇ Download").click();
    // 5,999 downloads, then the URL pasted twice as a row saying so (rows join a slice a frame).
    step_until(&mut h, "every row", |h| app(h).items().len() == 6_000);
    let rows: Vec<String> = (app(&h).items().as_slice().iter())
        .filter_map(|i| i.url.as_ref().map(|u| u.to_string()))
        .collect();
    let expected: Vec<String> = (0..5_999).chain([2_999]).map(url).collect();
    assert_eq!(
        rows, expected,
        "both lists, in the order pasted, the shared URL once"
    );
    assert_eq!(app(&h).items().totals().downloads, 5_999);
    let last = app(&h).items().as_slice().last().map(|i| i.state.label());
    assert_eq!(last.as_deref(), Some("duplicate (already in the list)"));

    // Forgotten with ×, a pasted list is gone; the next paste stands alone.
    paste_urls(&mut h, &first.join("\n"));
    step_until(&mut h, "a third list", |h| {
        h.query_by_label_contains("Pasted list: 3000 URLs")
            .is_some()
    });
    // The × beside the summary: the highest of the ×s (the queue's rows have theirs).
    let forget = h
        .query_all_by_label("×")
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap();
    forget.click();
    step_until(&mut h, "the list forgotten", |h| {
        h.query_by_label_contains("Pasted list:").is_none()
    });
    paste_urls(&mut h, &second.join("\n"));
    step_until(&mut h, "only the fourth", |h| {
        h.query_by_label_contains("Pasted list: 3000 URLs")
            .is_some()
    });
}

#[test]
fn a_long_list_joins_the_queue_over_several_frames_and_cancel_all_stops_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, port) = window_and_closed_port(dir.path());
    let n = 30_000;
    let urls: String = (0..n)
        .map(|i| format!("http://127.0.0.1:{port}/p/{i}.jpg\n"))
        .collect();
    paste_urls(&mut h, &urls);
    step_until(&mut h, "the summary of the pasted list", |h| {
        h.query_by_label_contains(&format!("Pasted list: {n} URLs"))
            .is_some()
    });
    h.get_by_label("⬇ Download").click();
    // The frame stays short: the rows arrive over several frames, and the status bar says so.
    step_until(&mut h, "the first rows, with more to come", |h| {
        app(h).items().totals().downloads > 0
            && h.query_by_label_contains("more joining the queue")
                .is_some()
    });
    assert!(app(&h).items().totals().downloads < n);

    h.get_by_label("Cancel all").click();
    step_until(&mut h, "the rest dropped", |h| {
        h.query_by_label_contains("more joining the queue")
            .is_none()
    });
    // Rows, not the downloads total: that one still falls as the engine's word that each was
    // cancelled arrives (CI once read 10,239 after 10,240).
    let queued = app(&h).items().len();
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(
        app(&h).items().len(),
        queued,
        "no row joined after Cancel all"
    );
    assert!(queued < n, "{queued} of {n} rows: the rest never joined");
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
    assert!(
        h.query_by_label_contains("looking for the images on it")
            .is_none(),
        "the checklist is the answer: the notice that it was being looked for is gone"
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
    // Said once the list is written (the file can exist a moment before it is whole).
    step_until(&mut h, "the notice", |h| {
        h.query_by_label_contains("Wrote 1 failed URL").is_some()
    });
    let list = dir.path().join("failed-urls.txt");
    assert_eq!(
        std::fs::read_to_string(&list).unwrap(),
        format!("{missing}\n"),
        "whole URLs, one per line"
    );
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
