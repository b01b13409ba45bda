//! Web pages as input (their images listed once, fetched with the page as Referer, previewed) and
//! the filters that leave images out.

use super::{from_page, start};
use crate::support::*;
use magpie::config::FetchSettings;
use magpie::engine::Engine;

#[test]
fn a_page_lists_its_images_once_and_they_are_fetched_with_the_page_as_referer() {
    let server = TestServer::start();
    let (engine, dir) = start(fast_settings());
    let page = server.url("/gallery.html");
    engine.send(magpie::engine::Command::FetchPage { url: page.clone() });
    let found = loop {
        match engine.recv_timeout(std::time::Duration::from_secs(30)) {
            Some(magpie::engine::Event::PageFetched { result, .. }) => break result.unwrap(),
            Some(_) => {}
            None => panic!("no answer about the page"),
        }
    };
    assert_eq!(found.title.as_deref(), Some("Test gallery"));
    let names: Vec<&str> = found.images.iter().map(|u| u.path()).collect();
    assert_eq!(
        names,
        [
            "/img/og.png",
            "/img/one.png",
            "/img/large.png",
            "/img/lazy.png",
            "/img/bg.png",
            "/hotlink/guarded.png",
        ]
    );
    engine.submit_jobs(dir.path(), from_page(&found.url, &found.images));
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()).len(), 6);
    // Every image went with the page as Referer, so the hotlink check passed at once.
    assert_eq!(server.stats.hits("/hotlink/guarded.png"), 1);
    let referers = server.stats.referers.lock().unwrap().clone();
    assert_eq!(referers.len(), 6);
    assert!(referers.iter().all(|r| r == page.as_str()), "{referers:?}");
}

#[test]
fn an_image_address_given_as_a_page_is_said_to_be_an_image() {
    let server = TestServer::start();
    let (engine, _dir) = start(fast_settings());
    engine.send(magpie::engine::Command::FetchPage {
        url: server.url("/img/x.png"),
    });
    let error = loop {
        match engine.recv_timeout(std::time::Duration::from_secs(30)) {
            Some(magpie::engine::Event::PageFetched { result, .. }) => break result.unwrap_err(),
            Some(_) => {}
            None => panic!("no answer about the page"),
        }
    };
    assert!(
        error.to_string().contains("is an image, not a web page"),
        "{error}"
    );
}

#[test]
fn the_page_checklist_shows_pictures_sizes_and_types_and_selects_by_size() {
    use crate::support::window::*;
    use egui_kittest::kittest::Queryable;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(options(dir.path()));
    paste_urls(&mut h, &format!("{}\n", server.url("/sizes.html")));
    h.get_by_label("⬇ Download").click();
    step_until(&mut h, "each image previewed", |h| {
        h.query_by_label_contains("640×480 · ").is_some()
            && h.query_by_label_contains("120×90 · ").is_some()
            && h.query_by_label_contains("300×200 · ").is_some()
            && h.query_by_label_contains("HTTP 404").is_some()
            && h.query_by_label("picture of big.png").is_some()
            && h.query_by_label("picture of mid.jpg").is_some()
    });
    // The 404 is not offered: three of the four are ticked.
    step_until(&mut h, "the missing image unticked", |h| {
        h.query_by_label("⬇ Download 3 images").is_some()
    });
    assert_eq!(h.query_all_by_label_contains("· PNG").count(), 2);
    assert_eq!(h.query_all_by_label_contains("· JPEG").count(), 1);
    assert!(
        files_in(dir.path()).is_empty(),
        "previews go nowhere near the folder"
    );
    retype(&mut h, "types", "jpg");
    h.get_by_label("Select these").click();
    step_until(&mut h, "the JPEG ticked", |h| {
        h.query_by_label("⬇ Download 1 image").is_some()
    });
    retype(&mut h, "types", "png, jpeg");
    retype(&mut h, "At least width", "200");
    retype(&mut h, "height", "150");
    h.get_by_label("Select these").click();
    step_until(&mut h, "two ticked", |h| {
        h.query_by_label("⬇ Download 2 images").is_some()
    });
    h.get_by_label("⬇ Download 2 images").click();
    step_until(&mut h, "two files", |_| files_in(dir.path()).len() == 2);
    assert_eq!(files_in(dir.path()), ["big.png", "mid.jpg"]);
    assert_eq!(
        server.stats.hits("/sized/640/480/big.png"),
        1,
        "the preview is the download: the server is asked once"
    );
    // Previewed with the page as Referer, as a browser showing the page would.
    assert!(
        server
            .stats
            .referers
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.ends_with("/sizes.html"))
    );
}

#[test]
fn previews_are_fetched_as_from_the_page_and_their_files_go_when_the_engine_stops() {
    let server = TestServer::start();
    let engine = Engine::start(fast_settings(), None).unwrap();
    let page = server.url("/sizes.html");
    let big = server.url("/sized/640/480/big.png");
    let gone = server.url("/status/404");
    engine.send(magpie::engine::Command::PreviewImages {
        page: page.clone(),
        urls: vec![big.clone(), gone.clone()],
    });
    let mut previews = Vec::new();
    while previews.len() < 2 {
        match engine.recv_timeout(std::time::Duration::from_secs(30)) {
            Some(magpie::engine::Event::Previewed(p)) => previews.push(*p),
            Some(_) => {}
            None => panic!("no previews"),
        }
    }
    let (b, g) = if previews[0].url == big {
        (&previews[0], &previews[1])
    } else {
        (&previews[1], &previews[0])
    };
    assert_eq!(b.dims, Some((640, 480)));
    assert_eq!(b.kind.map(|k| k.extension()), Some("png"));
    let file = b.file.clone().expect("a file for the picture");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), b.bytes.unwrap());
    assert_eq!(g.error.as_deref(), Some("HTTP 404 Not Found"));
    assert_eq!(
        server.stats.referers.lock().unwrap().as_slice(),
        [page.to_string(), page.to_string()]
    );
    drop(engine);
    assert!(!file.exists() && !file.parent().unwrap().exists());
}

#[test]
fn filters_leave_out_small_images_and_other_types_saving_nothing_for_them() {
    let server = TestServer::start();
    let settings = FetchSettings {
        min_width: 300,
        min_height: 300,
        types: vec!["png".into()],
        ..fast_settings()
    };
    let (engine, dir) = start(settings);
    let ids = engine.submit(
        dir.path(),
        [
            server.url("/sized/120/90/icon.png"),
            server.url("/sized/640/480/photo.png"),
            server.url("/sized/640/480/photo.jpg"),
        ],
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["photo.png"]);
    assert_eq!(out.skipped.len(), 2);
    assert_eq!(out.saved.len(), 1);
    assert!(out.saved.contains_key(&ids[1]));
}

#[test]
fn a_largest_size_leaves_out_bigger_images_as_skipped_not_failed() {
    let server = TestServer::start();
    let (small, big) = (png(120, 90, 5).len() as u64, png(640, 480, 5).len() as u64);
    assert!(big > small);
    let settings = FetchSettings {
        max_size: (small + big) / 2,
        ..fast_settings()
    };
    let (engine, dir) = start(settings);
    let ids = engine.submit(
        dir.path(),
        [
            server.url("/sized/120/90/icon.png"),
            server.url("/sized/640/480/photo.png"),
        ],
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["icon.png"]);
    assert_eq!(out.skipped, [ids[1]]);
}
