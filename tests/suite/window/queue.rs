//! The download queue among many rows: only the failed downloads (also from "N failed" in the
//! status bar, counted by reason), only those in progress, or all of them.

use egui_kittest::kittest::Queryable;

use crate::support::window::*;
use crate::support::*;

fn saved_rows(h: &egui_kittest::Harness<'_, App>) -> usize {
    h.query_all_by_label_contains("saved · ").count()
}

/// Pastes the server's `paths` as a list, one per line, and presses Download.
fn download(h: &mut egui_kittest::Harness<'_, App>, server: &TestServer, paths: &[&str]) {
    let list: String = paths
        .iter()
        .map(|p| format!("{}\n", server.url(p)))
        .collect();
    paste_urls(h, &list);
    h.get_by_label("⬇ Download").click();
}

#[test]
fn clicking_n_failed_shows_only_the_failed_downloads_with_why() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    download(
        &mut h,
        &server,
        &[
            "/img/a.png",
            "/status/404?n=1",
            "/status/410",
            "/img/b.png",
            "/status/404?n=2",
            "/status/404?n=3",
        ],
    );
    step_until(&mut h, "two saved, four failed", |h| {
        saved_rows(h) == 2 && h.query_by_label("4 failed").is_some()
    });

    h.get_by_label("4 failed").click();
    step_until(&mut h, "only the failures", |h| {
        saved_rows(h) == 0
            && h.query_all_by_label_contains("failed: HTTP 404 Not Found")
                .count()
                == 3
    });
    // Above them, how many failed for each reason.
    assert!(h.query_by_label("3 × HTTP 404 Not Found").is_some());
    assert!(h.query_by_label("1 × HTTP 410 Gone").is_some());

    h.get_by_label("All (6)").click();
    step_until(&mut h, "every row again", |h| saved_rows(h) == 2);
    assert!(h.query_by_label("3 × HTTP 404 Not Found").is_none());
}

#[test]
fn many_paused_sites_share_a_line_so_the_queue_stays_in_view() {
    let sites: Vec<TestServer> = (0..7).map(|_| TestServer::start()).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.config.fetch.max_attempts = 1;
    opts.config.fetch.pause_after_failures = 2;
    let mut h = harness(opts);
    let list: String = (sites.iter())
        .flat_map(|site| [site.url("/status/500?n=1"), site.url("/status/500?n=2")])
        .map(|url| format!("{url}\n"))
        .collect();
    paste_urls(&mut h, &list);
    // Ctrl+Enter: the box is still growing to its 14 lines, and the button moving down with it.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    step_until(&mut h, "every site paused", |h| {
        app(h).items().totals().failed == 14
            && h.query_by_label_contains("and 3 more sites slowed down or paused")
                .is_some()
    });
    let lines = h
        .query_all_by_label_contains(": paused after 2 failures in a row")
        .count();
    assert_eq!(lines, 4, "four sites on lines of their own");
    // One button resumes them all.
    assert_eq!(h.query_all_by_label("Resume all").count(), 1);
}

#[test]
fn in_progress_shows_the_downloads_under_way_until_they_finish() {
    let server = TestServer::start();
    server.set_healthy(false); // every /gate/ request is held until the gate opens
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    download(
        &mut h,
        &server,
        &["/gate/p1.png", "/img/done.png", "/gate/p2.png"],
    );
    step_until(&mut h, "one saved, two held", |h| saved_rows(h) == 1);

    h.get_by_label("In progress (2)").click();
    step_until(&mut h, "the two held", |h| {
        saved_rows(h) == 0 && h.query_all_by_label("waiting for the server…").count() == 2
    });

    server.set_healthy(true);
    step_until(&mut h, "nothing left in progress", |h| {
        h.query_by_label("Nothing in progress.").is_some()
    });
    assert_eq!(files_in(dir.path()).len(), 3);
}

#[test]
fn retrying_from_the_failed_rows_follows_them_into_progress() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.config.fetch.max_attempts = 1;
    let mut h = harness(opts);
    server.set_healthy(false); // /switch/ answers 503
    download(&mut h, &server, &["/switch/back.png"]);
    step_until(&mut h, "the failure", |h| {
        h.query_by_label("1 failed").is_some()
    });
    h.get_by_label("1 failed").click();
    step_until(&mut h, "the failed row", |h| {
        h.query_by_label_contains("failed: HTTP 503").is_some()
    });

    server.set_healthy(true);
    h.get_by_label("Retry failed").click();
    step_until(&mut h, "the retried image saved", |h| {
        files_in(dir.path()).len() == 1 && thumbnails_shown(h) == 1
    });
    // The queue went on showing what was retried, not an empty list of failures.
    step_until(&mut h, "the queue showing downloads in progress", |h| {
        h.query_by_label("Nothing in progress.").is_some()
    });
    assert!(h.query_by_label("No download failed.").is_none());
}

#[test]
fn failures_cleared_or_opened_as_a_page_do_not_come_back_when_the_folder_reopens() {
    use magpie::journal::{self, Journal, Record};
    let server = TestServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = std::fs::canonicalize(tmp.path()).unwrap().join("photos");
    let journals = tmp.path().join("journals");
    std::fs::create_dir_all(&out).unwrap();
    let past: Vec<Record> = (0..2)
        .map(|i| Record::Failed {
            url: url::Url::parse(&format!("http://example.test/gone/{i}.png")).unwrap(),
            error: "HTTP 404 Not Found".into(),
        })
        .collect();
    let mut journal = Journal::open(&journal::path_for(&journals, &out)).unwrap();
    journal.append(&past).unwrap();
    drop(journal);
    let mut opts = options(&out);
    opts.config.fetch.max_attempts = 1;
    opts.journal_dir = Some(journals);

    let mut h = harness(opts.clone());
    step_until(&mut h, "the two past failures", |h| {
        app(h).items().totals().failed == 2
    });
    h.get_by_label("Clear").click();
    step_until(&mut h, "the failures cleared", |h| {
        app(h).items().totals().failed == 0
    });
    // A web page's address, opened as a page and its checklist closed.
    download(&mut h, &server, &["/gallery.html"]);
    step_until(&mut h, "the page's checklist", |h| {
        h.query_by_label_contains("Images on “Test gallery”")
            .is_some()
    });
    h.get_by_label("Cancel").click();
    // One failure left as it is.
    download(&mut h, &server, &["/status/404"]);
    step_until(&mut h, "the new failure", |h| {
        app(h).items().totals().failed == 1
    });
    drop(h);

    let mut h = harness(opts);
    step_until(&mut h, "the failure left as it was", |h| {
        app(h).items().totals().failed == 1
    });
    let shown: Vec<String> = app(&h)
        .items()
        .as_slice()
        .iter()
        .filter_map(|i| i.url.as_ref().map(|u| u.path().to_string()))
        .collect();
    assert_eq!(shown, ["/status/404"]);
}
