//! Real websites: Referer, cookies and headers by host, never leaking to another host, and a
//! proxy; each against servers on loopback started by the test.

use std::collections::BTreeMap;

use crate::support::*;
use magpie::config::{FetchSettings, HostSettings};
use magpie::engine::Engine;

fn start(settings: FetchSettings) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::start(settings, None).unwrap();
    open_folder(&engine, dir.path());
    (engine, dir)
}

#[test]
fn a_host_that_wants_a_referer_gets_its_origin_once_and_the_item_says_so() {
    let server = TestServer::start();
    let (engine, dir) = start(fast_settings());
    let ids = engine.submit(dir.path(), [server.url("/hotlink/cat.png")]);
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["cat.png"]);
    assert_eq!(
        server.stats.hits("/hotlink/cat.png"),
        2,
        "one refusal, one retry"
    );
    let origin = format!("http://{}/", server.addr);
    assert_eq!(
        *server.stats.referers.lock().unwrap(),
        std::slice::from_ref(&origin)
    );
    let note = &out.notes[&ids[0]];
    assert!(note.contains("Referer") && note.contains(&origin), "{note}");
}

#[test]
fn a_configured_referer_is_sent_from_the_start_and_a_403_then_fails() {
    let server = TestServer::start();
    let settings = FetchSettings {
        referer: "https://gallery.example/page".into(),
        ..fast_settings()
    };
    let (engine, dir) = start(settings);
    engine.submit(
        dir.path(),
        [server.url("/hotlink/a.png"), server.url("/status/403")],
    );
    let out = run_to_end(&engine);
    assert_eq!(files_in(dir.path()), ["a.png"]);
    assert_eq!(server.stats.hits("/hotlink/a.png"), 1);
    assert_eq!(
        server.stats.hits("/status/403"),
        1,
        "no Referer retry: one was set"
    );
    assert_eq!(out.failed.len(), 1);
}

#[test]
fn cookies_from_a_cookies_txt_reach_their_host() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let jar = work.path().join("cookies.txt");
    std::fs::write(
        &jar,
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\n\
         127.0.0.1\tFALSE\t/elsewhere\tFALSE\t0\tother\t1\n",
    )
    .unwrap();
    let settings = FetchSettings {
        cookies_file: Some(jar),
        ..fast_settings()
    };
    let (engine, dir) = start(settings);
    engine.submit(dir.path(), [server.url("/members/m.png")]);
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["m.png"]);
    assert_eq!(*server.stats.cookies.lock().unwrap(), ["session=abc"]);
}

#[test]
fn cookies_and_headers_never_follow_a_redirect_to_another_host() {
    let first = TestServer::start(); // 127.0.0.1
    let second = TestServer::start_on("127.0.0.2");
    let mut headers = BTreeMap::new();
    headers.insert("X-Token".to_string(), "secret".to_string());
    let mut hosts = BTreeMap::new();
    hosts.insert(
        "127.0.0.1".to_string(),
        HostSettings {
            cookie: Some("session=abc".into()),
            headers,
            ..HostSettings::default()
        },
    );
    let settings = FetchSettings {
        hosts,
        ..fast_settings()
    };
    let (engine, dir) = start(settings);
    let target = second.url("/img/far.png");
    engine.submit(dir.path(), [first.url(&format!("/away/{target}"))]);
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["far.png"]);
    // The first host got its cookie and header; the second, where the redirect led, neither.
    assert_eq!(*first.stats.cookies.lock().unwrap(), ["session=abc"]);
    assert_eq!(*first.stats.tokens.lock().unwrap(), ["secret"]);
    assert_eq!(second.stats.hits("/img/far.png"), 1);
    assert!(second.stats.cookies.lock().unwrap().is_empty());
    assert!(second.stats.tokens.lock().unwrap().is_empty());
}

#[test]
fn a_proxy_setting_sends_every_request_through_the_proxy() {
    // The proxy is a test server: for plain http a proxy receives the whole URL and answers.
    let proxy = TestServer::start();
    let settings = FetchSettings {
        proxy: format!("http://{}", proxy.addr),
        ..fast_settings()
    };
    let (engine, dir) = start(settings);
    engine.submit(
        dir.path(),
        [url::Url::parse("http://images.invalid/img/through.png").unwrap()],
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["through.png"]);
    assert_eq!(proxy.stats.hits("/img/through.png"), 1);
}

#[test]
fn the_browser_preset_and_per_host_user_agents_are_sent() {
    let server = TestServer::start();
    let mut hosts = BTreeMap::new();
    hosts.insert(
        "127.0.0.1".to_string(),
        HostSettings {
            user_agent: Some("browser".into()),
            ..HostSettings::default()
        },
    );
    let (engine, dir) = start(FetchSettings {
        hosts,
        ..fast_settings()
    });
    engine.submit(dir.path(), [server.url("/img/ua.png")]);
    run_to_end(&engine);
    let ua = server.stats.user_agent.lock().unwrap().clone();
    assert!(
        ua.starts_with("Mozilla/5.0") && ua.contains("Firefox"),
        "{ua}"
    );
}

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

/// Waits for the engine to say something about a host; returns what it said.
fn host_event(engine: &Engine) -> (String, magpie::engine::HostState) {
    loop {
        match engine.recv_timeout(std::time::Duration::from_secs(30)) {
            Some(magpie::engine::Event::Host { host, state }) => return (host, state),
            Some(_) => {}
            None => panic!("no word about the host"),
        }
    }
}

#[test]
fn a_host_answering_503_slows_down_while_another_keeps_its_pace() {
    let busy = TestServer::start(); // 127.0.0.1
    let calm = TestServer::start_on("127.0.0.2");
    let (engine, dir) = start(FetchSettings {
        per_host: 6,
        ..fast_settings()
    });
    // The busy host's first answer is 503 + Retry-After: 1.
    engine.submit(dir.path(), [busy.url("/flaky/1/first.png")]);
    let (host, state) = host_event(&engine);
    assert!(host.starts_with("127.0.0.1:"), "{host}");
    assert_eq!(
        state,
        magpie::engine::HostState::Waiting {
            wait: std::time::Duration::from_secs(1),
            status: 503
        }
    );
    // Now six downloads from each host: the busy one gets half its connections, the calm one
    // all six, and everything arrives.
    let held = |s: &TestServer, p: &str| {
        (0..6)
            .map(|i| s.url(&format!("/hold/{p}{i}.png")))
            .collect::<Vec<_>>()
    };
    engine.submit(
        dir.path(),
        held(&busy, "b").into_iter().chain(held(&calm, "c")),
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()).len(), 13);
    assert!(
        busy.stats.peak() <= 3,
        "busy host peak {}",
        busy.stats.peak()
    );
    assert_eq!(calm.stats.peak(), 6, "the calm host was not slowed");
}

#[test]
fn a_host_failing_twenty_times_in_a_row_is_paused_and_the_rest_finish() {
    let dead = TestServer::start();
    let fine = TestServer::start_on("127.0.0.2");
    let (engine, dir) = start(FetchSettings {
        per_host: 1,
        ..fast_settings()
    });
    let urls: Vec<url::Url> = (0..25)
        .map(|i| dead.url(&format!("/status/404?n={i}")))
        .chain((0..5).map(|i| fine.url(&format!("/img/ok{i}.png"))))
        .collect();
    engine.submit(dir.path(), urls);
    let out = run_to_end(&engine);
    assert_eq!(
        files_in(dir.path()).len(),
        5,
        "the other host's images all arrived"
    );
    assert_eq!(
        dead.stats.hits("/status/404"),
        20,
        "no request after the pause"
    );
    assert_eq!(out.failed.len(), 25);
    let paused = out
        .failed
        .values()
        .filter(|e| e.contains("failed 20 times in a row and was paused"))
        .count();
    assert_eq!(paused, 5, "{:?}", out.failed);
}

/// An extended attribute of `path`, if set.
#[cfg(target_os = "linux")]
fn xattr(path: &std::path::Path, name: &str) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    let n = rustix::fs::getxattr(path, name, &mut buf[..]).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[cfg(target_os = "linux")]
#[test]
fn a_saved_file_remembers_its_address_and_page_in_extended_attributes() {
    let server = TestServer::start();
    // tmpfs keeps user attributes; so does the usual disk.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let engine = Engine::start(fast_settings(), None).unwrap();
    open_folder(&engine, dir.path());
    let page = server.url("/gallery.html");
    let image = server.url("/img/kept.png?token=abc&w=2");
    engine.submit_jobs(dir.path(), from_page(&page, std::slice::from_ref(&image)));
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    let file = dir.path().join("kept.png");
    let Some(origin) = xattr(&file, "user.xdg.origin.url") else {
        // A file system without user attributes: nothing to check, and nothing failed.
        return;
    };
    assert_eq!(
        origin,
        format!("http://{}/img/kept.png?token=***&w=2", server.addr)
    );
    assert_eq!(
        xattr(&file, "user.xdg.referrer.url").as_deref(),
        Some(page.as_str())
    );
}

#[test]
fn a_socks5_proxy_carries_the_downloads_and_resolves_the_names() {
    let server = TestServer::start();
    let (proxy, asked) = socks5_proxy(server.addr);
    let settings = FetchSettings {
        // socks5h: the proxy resolves host names (the name is not looked up here).
        proxy: format!("socks5h://{proxy}"),
        ..fast_settings()
    };
    let (engine, dir) = start(settings);
    engine.submit(
        dir.path(),
        [url::Url::parse("http://images.invalid/img/socks.png").unwrap()],
    );
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["socks.png"]);
    assert_eq!(*asked.lock().unwrap(), ["images.invalid"]);
    assert_eq!(server.stats.hits("/img/socks.png"), 1);
}

#[test]
fn a_broken_certificate_is_refused_unless_that_host_is_trusted_anyway() {
    let addr = self_signed_https_server();
    let url = url::Url::parse(&format!("https://127.0.0.1:{}/cam/snap.png", addr.port())).unwrap();

    let (engine, dir) = start(fast_settings());
    let ids = engine.submit(dir.path(), [url.clone()]);
    let out = run_to_end(&engine);
    assert!(files_in(dir.path()).is_empty());
    let error = &out.failed[&ids[0]];
    assert!(error.to_lowercase().contains("certificate"), "{error}");

    let mut hosts = BTreeMap::new();
    hosts.insert(
        "127.0.0.1".to_string(),
        HostSettings {
            accept_invalid_certs: true,
            ..HostSettings::default()
        },
    );
    let (engine, dir) = start(FetchSettings {
        hosts,
        ..fast_settings()
    });
    engine.submit(dir.path(), [url]);
    let out = run_to_end(&engine);
    assert!(out.failed.is_empty(), "{:?}", out.failed);
    assert_eq!(files_in(dir.path()), ["snap.png"]);
}

/// Jobs for images found on `page` (their Referer).
fn from_page(page: &url::Url, images: &[url::Url]) -> Vec<(url::Url, magpie::engine::JobInfo)> {
    images
        .iter()
        .map(|u| {
            let info = magpie::engine::JobInfo {
                page: Some(page.clone()),
                ..Default::default()
            };
            (u.clone(), info)
        })
        .collect()
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
