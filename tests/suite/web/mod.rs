//! Real websites: Referer, cookies and headers by host, never leaking to another host, proxies,
//! certificates and where a file came from; each against servers on loopback started by the test.
//! `pages.rs`: web pages and filters; `pacing.rs`: hosts that push back.

mod pacing;
mod pages;

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

/// Jobs for images found on `page` (their Referer).
fn from_page(page: &url::Url, images: &[url::Url]) -> Vec<(url::Url, magpie::engine::JobInfo)> {
    images
        .iter()
        .map(|u| {
            let info = magpie::engine::JobInfo {
                page: Some(Box::new(page.clone())),
                ..Default::default()
            };
            (u.clone(), info)
        })
        .collect()
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
