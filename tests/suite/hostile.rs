//! Servers that lie, stall and attack: every case ends with a clear reason, no file left behind
//! (or a safe one), and no hang. Each case has its own route or raw server.

use std::time::Duration;

use crate::support::*;
use magpie::config::FetchSettings;
use magpie::engine::Engine;
use magpie::store::Store;
use url::Url;

/// Fetches one URL with `settings`; returns (failure reason or None, files in the folder).
fn fetch_one(url: Url, settings: FetchSettings) -> (Option<String>, Vec<String>, Outcome) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let engine = Engine::start(settings, None).unwrap();
    let ids = engine.submit(store.dir(), [url]);
    let out = run_to_end(&engine);
    (out.failed.get(&ids[0]).cloned(), files_in(dir.path()), out)
}

fn raw_url(addr: std::net::SocketAddr) -> Url {
    Url::parse(&format!("http://{addr}/x.png")).unwrap()
}

#[test]
fn gone_fails_without_retry() {
    let server = TestServer::start();
    let (err, files, out) = fetch_one(server.url("/hostile/gone"), fast_settings());
    assert_eq!(err.as_deref(), Some("HTTP 410 Gone"));
    assert!(out.retries.is_empty());
    assert!(files.is_empty());
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let server = TestServer::start();
    let (err, files, out) = fetch_one(server.url("/hostile/too-many-requests"), fast_settings());
    assert_eq!(err, None);
    assert_eq!(out.retries.len(), 1);
    assert_eq!(out.retries[0].1, Duration::from_secs(1));
    assert!(out.retries[0].2.contains("429"));
    assert_eq!(files.len(), 1);
}

#[test]
fn redirects_to_ftp_and_data_fail() {
    let server = TestServer::start();
    let (err, files, _) = fetch_one(server.url("/hostile/redirect-ftp"), fast_settings());
    assert_eq!(
        err.as_deref(),
        Some("redirected to a non-http(s) address: ftp://example.com/a.jpg")
    );
    assert!(files.is_empty());
    let (err, _, _) = fetch_one(server.url("/hostile/redirect-data"), fast_settings());
    assert!(
        err.unwrap()
            .starts_with("redirected to a non-http(s) address: data:")
    );
}

#[test]
fn redirect_to_a_hidden_name_is_saved_visible() {
    let server = TestServer::start();
    let (err, files, _) = fetch_one(server.url("/hostile/redirect-hidden"), fast_settings());
    assert_eq!(err, None);
    assert_eq!(files, ["bashrc.png"]);
}

#[test]
fn empty_body_is_not_an_image() {
    let server = TestServer::start();
    let (err, files, _) = fetch_one(server.url("/hostile/empty"), fast_settings());
    assert_eq!(
        err.as_deref(),
        Some("not an image: the server sent an empty body")
    );
    assert!(files.is_empty());
}

#[test]
fn json_served_as_png_is_rejected() {
    let server = TestServer::start();
    let (err, files, _) = fetch_one(server.url("/hostile/json"), fast_settings());
    assert_eq!(err.as_deref(), Some("not an image: the server sent JSON"));
    assert!(files.is_empty());
}

#[test]
fn truncated_jpeg_is_not_saved() {
    let server = TestServer::start();
    let (err, files, _) = fetch_one(server.url("/hostile/truncated-jpeg"), fast_settings());
    assert_eq!(
        err.as_deref(),
        Some("damaged image: the JPEG is cut short (no end-of-image marker)")
    );
    assert!(files.is_empty());
}

#[test]
fn png_with_bad_crc_is_not_saved() {
    let server = TestServer::start();
    let (err, files, _) = fetch_one(server.url("/hostile/bad-crc-png"), fast_settings());
    let err = err.unwrap();
    assert!(
        err.starts_with("damaged image: the PNG is damaged (bad checksum"),
        "{err}"
    );
    assert!(files.is_empty());
}

#[test]
fn gzip_and_brotli_bombs_hit_the_decoded_size_cap() {
    let server = TestServer::start();
    let settings = FetchSettings {
        max_bytes: 2 * 1024 * 1024,
        ..fast_settings()
    };
    for case in ["gzip-bomb", "brotli-bomb"] {
        let (err, files, _) = fetch_one(server.url(&format!("/hostile/{case}")), settings.clone());
        assert_eq!(
            err.as_deref(),
            Some("larger than the 2.1 MB limit"),
            "{case}"
        );
        assert!(files.is_empty(), "{case}");
    }
}

#[test]
fn a_dripping_server_is_given_up_on() {
    let server = TestServer::start();
    let settings = FetchSettings {
        min_speed: 1000,
        min_speed_window: Duration::from_millis(500),
        max_attempts: 1,
        ..fast_settings()
    };
    let (err, files, _) = fetch_one(server.url("/hostile/drip"), settings);
    assert_eq!(
        err.as_deref(),
        Some("too slow: under 1.0 KB per second for 0.5 s")
    );
    assert!(files.is_empty());
}

#[test]
fn a_server_silent_before_the_headers_times_out() {
    let addr = silent_server();
    let settings = FetchSettings {
        stall_timeout: Duration::from_millis(300),
        max_attempts: 1,
        ..fast_settings()
    };
    let (err, _, _) = fetch_one(raw_url(addr), settings);
    assert_eq!(err.as_deref(), Some("timed out: no data for 0.3 s"));
}

#[test]
fn huge_content_length_is_refused_before_reading() {
    let addr = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 10000000000\r\n\r\n\x89PNG"
            .to_vec(),
    );
    let (err, files, _) = fetch_one(raw_url(addr), fast_settings());
    assert_eq!(err.as_deref(), Some("larger than the 100 MB limit"));
    assert!(files.is_empty());
}

#[test]
fn garbage_that_is_not_http_fails_clearly() {
    let addr = raw_server(b"SSH-2.0-OpenSSH_9.2\r\n\r\nProtocol mismatch.\n".to_vec());
    let settings = FetchSettings {
        max_attempts: 1,
        ..fast_settings()
    };
    let (err, files, _) = fetch_one(raw_url(addr), settings);
    assert_eq!(
        err.as_deref(),
        Some("the server sent something that is not HTTP: invalid HTTP version parsed")
    );
    assert!(files.is_empty());
}

#[test]
fn hundreds_of_huge_headers_fail_clearly() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n".to_vec();
    for i in 0..400 {
        response.extend_from_slice(format!("X-Junk-{i}: {}\r\n", "a".repeat(1000)).as_bytes());
    }
    response.extend_from_slice(b"Content-Length: 4\r\n\r\n\x89PNG");
    let addr = raw_server(response);
    let settings = FetchSettings {
        max_attempts: 1,
        ..fast_settings()
    };
    let (err, files, _) = fetch_one(raw_url(addr), settings);
    assert_eq!(
        err.as_deref(),
        Some("the server sent something that is not HTTP: message head is too large")
    );
    assert!(files.is_empty());
}

#[test]
fn chunked_body_cut_short_leaves_no_file() {
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    let body = png(64, 64, 3);
    response.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    response.extend_from_slice(&body[..body.len() / 2]);
    let addr = raw_server(response);
    let (err, files, _) = fetch_one(raw_url(addr), fast_settings());
    assert!(err.unwrap().starts_with("the connection broke"));
    assert!(files.is_empty());
}

#[test]
fn bad_chunk_size_leaves_no_file() {
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    let body = png(16, 16, 3);
    response.extend_from_slice(b"zz\r\n");
    response.extend_from_slice(&body);
    let addr = raw_server(response);
    let (err, files, _) = fetch_one(raw_url(addr), fast_settings());
    assert!(err.is_some());
    assert!(files.is_empty());
}

#[test]
fn a_png_promising_more_pixels_than_it_carries_is_not_saved() {
    // 50000×50000 in the header, one row of pixels: all checksums right, a few hundred bytes.
    let mut ihdr = 50_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &vec![0u8; 1 + 50_000 * 3]).unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(b"IDAT", &z.finish().unwrap()));
    png.extend(png_chunk(b"IEND", &[]));
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        png.len()
    )
    .into_bytes();
    response.extend_from_slice(&png);
    let (err, files, _) = fetch_one(raw_url(raw_server(response)), fast_settings());
    let err = err.unwrap();
    assert!(
        err.starts_with("damaged image: the PNG's pixel data is cut short"),
        "{err}"
    );
    assert!(files.is_empty());
}

#[test]
fn text_that_starts_like_an_image_is_not_saved_as_one() {
    let reply = |content_type: &str, body: &[u8]| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        raw_url(raw_server(r))
    };
    for (content_type, body, expected) in [
        (
            "image/x-portable-bitmap",
            &b"P1 is our plan for the quarter, see the attached notes"[..],
            "not an image: the server sent text",
        ),
        (
            "image/bmp",
            &b"BM: Board Meeting minutes, draft 3, do not circulate"[..],
            "damaged image: the BMP header cannot be read",
        ),
        (
            "image/x-icon",
            &b"\x00\x00\x01\x00 not really an icon, just a short reply"[..],
            "damaged image: the ICO header cannot be read",
        ),
    ] {
        let (err, files, _) = fetch_one(reply(content_type, body), fast_settings());
        assert_eq!(err.as_deref(), Some(expected), "{content_type}");
        assert!(files.is_empty(), "{content_type}: {files:?}");
    }
}
