//! The test server's routes: images by name, pages, and responses that misbehave the way real
//! servers do (flaky, stalling, redirect loops, lying about their type, hostile).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::images::*;
use super::server::*;

/// A gallery page: images by relative links, a srcset, a lazy one, og:image, a style
/// background, a hotlink-checked one, and one twice.
pub(super) async fn gallery_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/gallery.html", &headers);
    let html = r#"<!doctype html><html><head><title>Test gallery</title>
<meta property="og:image" content="/img/og.png"></head><body>
<img src="img/one.png">
<img src="img/small.png" srcset="img/small.png 300w, img/large.png 1200w">
<img data-src="img/lazy.png" src="data:image/gif;base64,R0lGOD">
<div style="background-image:url(img/bg.png)"></div>
<img src="hotlink/guarded.png">
<a href="img/one.png">again</a>
</body></html>"#;
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A page with images of three sizes (and one that is not an image).
pub(super) async fn sizes_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/sizes.html", &headers);
    let html = r#"<!doctype html><html><head><title>Sizes</title></head><body>
<img src="/sized/640/480/big.png"><img src="/sized/120/90/icon.png">
<img src="/sized/300/200/mid.jpg"><img src="/status/404">
</body></html>"#;
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A page titled by its path (decoded: `/titled/..%2Fup` is titled `../up`) with two images.
pub(super) async fn titled_page(
    State(s): State<AppState>,
    UrlPath(title): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, "/titled", &headers);
    let title = title.replace('&', "&amp;").replace('<', "&lt;");
    let html = format!(
        "<!doctype html><html><head><title>{title}</title></head><body>\
         <img src=\"/img/first.png\"><img src=\"/img/second.jpg\"></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A sample of `kind` (`jxl`, `heic`, `avif`, `svg`, `qoi`, `bad-svg`) whatever the name, sent
/// as `application/octet-stream`: only the content says what it is.
pub(super) async fn kind_sample(
    State(s): State<AppState>,
    UrlPath((kind, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/kind/{kind}/{name}"), &headers);
    let body = match kind.as_str() {
        "jxl" => JXL_16X12.to_vec(),
        "heic" => iso_media(b"heic"),
        "avif" => iso_media(b"avif"),
        "svg" => br##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><circle cx="20" cy="15" r="10" fill="#c33"/></svg>"##
            .to_vec(),
        "bad-svg" => b"<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"3\"".to_vec(),
        "qoi" => {
            let mut out = std::io::Cursor::new(Vec::new());
            image::RgbaImage::from_pixel(9, 7, image::Rgba([1, 2, 3, 255]))
                .write_to(&mut out, image::ImageFormat::Qoi)
                .expect("qoi");
            out.into_inner()
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

/// A PNG (or JPEG, for `*.jpg`) of the size the path gives: `/sized/120/90/icon.png`.
pub(super) async fn sized(
    State(s): State<AppState>,
    UrlPath((w, h, name)): UrlPath<(u32, u32, String)>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/sized/{w}/{h}/{name}"), &headers);
    if name.ends_with(".jpg") {
        ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(w, h, 5)).into_response()
    } else {
        ([(header::CONTENT_TYPE, "image/png")], png(w, h, 5)).into_response()
    }
}

/// The same PNG whatever the name: one image under many addresses.
pub(super) async fn same(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/same/{name}"), &headers);
    ([(header::CONTENT_TYPE, "image/png")], png(64, 48, 9)).into_response()
}

/// An image only for requests that carry a Referer (a hotlink check).
pub(super) async fn hotlink(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/hotlink/{name}"), &headers);
    if headers.contains_key(header::REFERER) {
        let (bytes, kind) = image_for(&name);
        ([(header::CONTENT_TYPE, kind)], bytes).into_response()
    } else {
        StatusCode::FORBIDDEN.into_response()
    }
}

/// An image only for requests with the cookie `session=abc`.
pub(super) async fn members(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/members/{name}"), &headers);
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    if cookie.split("; ").any(|c| c == "session=abc") {
        let (bytes, kind) = image_for(&name);
        ([(header::CONTENT_TYPE, kind)], bytes).into_response()
    } else {
        StatusCode::FORBIDDEN.into_response()
    }
}

/// A redirect to the URL in the rest of the path (`/away/http://other/img/a.png`).
pub(super) async fn away(
    State(s): State<AppState>,
    UrlPath(to): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, "/away", &headers);
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// `name` decides the bytes: `*.jpg` is a JPEG, anything else a PNG; digits in it seed pixels.
pub(super) fn image_for(name: &str) -> (Vec<u8>, &'static str) {
    let seed = name
        .bytes()
        .fold(7u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    // FNV-1a of the name: every name its own image.
    let tag = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    if name.ends_with(".jpg") || name.ends_with(".jpeg") {
        (
            encode_tagged(64, 48, seed, tag, image::ImageFormat::Jpeg),
            "image/jpeg",
        )
    } else {
        (
            encode_tagged(64, 48, seed, tag, image::ImageFormat::Png),
            "image/png",
        )
    }
}

/// When every `/img/` image was last modified, as its server says.
pub const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";

/// The image for `name`, with its content type and a Last-Modified time.
pub(super) fn image_response(name: &str) -> Response {
    let (bytes, ct) = image_for(name);
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::LAST_MODIFIED, LAST_MODIFIED),
        ],
        bytes,
    )
        .into_response()
}

pub(super) async fn img(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/img/{name}"), &headers);
    image_response(&name)
}

pub(super) struct Inflight(Arc<Stats>, Arc<Stats>);
impl Inflight {
    fn enter(a: Arc<Stats>, b: Arc<Stats>) -> Self {
        for s in [&a, &b] {
            let now = s.inflight.fetch_add(1, Ordering::SeqCst) + 1;
            s.peak_inflight.fetch_max(now, Ordering::SeqCst);
        }
        Inflight(a, b)
    }
}
impl Drop for Inflight {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::SeqCst);
        self.1.inflight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(super) async fn hold_img(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/hold/{name}"), &headers);
    let _guard = Inflight::enter(s.stats.clone(), s.global.clone());
    // Server-side latency: holds the request so overlapping requests can be observed.
    tokio::time::sleep(s.hold).await;
    image_response(&name)
}

pub(super) async fn status(
    State(s): State<AppState>,
    UrlPath(code): UrlPath<u16>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/status/{code}"), &headers);
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT),
        "<html>nope</html>",
    )
        .into_response()
}

/// Fails with 503 + `Retry-After: 1` the first `times` requests, then serves the image.
pub(super) async fn flaky(
    State(s): State<AppState>,
    UrlPath((times, name)): UrlPath<(usize, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/flaky/{times}/{name}");
    count(&s, &path, &headers);
    let failed = {
        let mut map = s.fail_first.lock().unwrap();
        let n = map.entry(path).or_default();
        *n += 1;
        *n <= times
    };
    if failed {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "busy",
        )
            .into_response();
    }
    image_response(&name)
}

pub(super) async fn switch(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/switch/{name}"), &headers);
    if !s.healthy.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    image_response(&name)
}

/// Holds the request while the server is unhealthy (the gate is closed), then serves the image.
pub(super) async fn gate(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/gate/{name}"), &headers);
    while !s.healthy.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    image_response(&name)
}

pub(super) async fn html_as_jpeg(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/html-as-jpeg", &headers);
    (
        [(header::CONTENT_TYPE, "image/jpeg")],
        "<!DOCTYPE html><html><body>Rate limited, please log in</body></html>",
    )
        .into_response()
}

/// A PNG header followed by 4 MB of zeros, streamed without Content-Length.
pub(super) async fn big(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/big", &headers);
    let head = png(8, 8, 1);
    let chunks = std::iter::once(Ok::<_, std::io::Error>(bytes::Bytes::from(head)))
        .chain((0..64).map(|_| Ok(bytes::Bytes::from(vec![0u8; 64 * 1024]))));
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    ([(header::CONTENT_TYPE, "image/png")], body).into_response()
}

/// Redirects to `/img/{name}` (a page with a secret in its query sends the user here).
pub(super) async fn moved(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/moved/{name}"), &headers);
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/img/{name}"))],
    )
        .into_response()
}

pub(super) async fn redirect_file(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/redirect-file", &headers);
    (
        StatusCode::FOUND,
        [(header::LOCATION, "file:///etc/passwd")],
    )
        .into_response()
}

pub(super) async fn redirect_loop(
    State(s): State<AppState>,
    UrlPath(n): UrlPath<u32>,
    headers: HeaderMap,
) -> Response {
    count(&s, "/redirect-loop", &headers);
    let next = format!("/redirect-loop/{}", n + 1);
    (StatusCode::FOUND, [(header::LOCATION, next)]).into_response()
}

pub(super) async fn content_disposition(
    State(s): State<AppState>,
    UrlPath(kind): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/cd/{kind}"), &headers);
    let value = match kind.as_str() {
        "traversal" => "attachment; filename=\"../../x.jpg\"",
        "absolute" => "attachment; filename=\"/etc/cron.d/evil.jpg\"",
        "con" => "attachment; filename=\"CON.jpg\"",
        _ => "attachment; filename=\"plain.jpg\"",
    };
    let mut resp = ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(32, 32, 9)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(value).expect("header"),
    );
    resp
}

pub(super) async fn webp_as_jpg(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/webp-as-jpg.jpg", &headers);
    let img = image::RgbaImage::from_pixel(16, 16, image::Rgba([10, 200, 30, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::WebP)
        .expect("webp");
    ([(header::CONTENT_TYPE, "image/jpeg")], out.into_inner()).into_response()
}

/// Sends 1.5 MB of a PNG-looking body (enough to be written to a `.part` file), then nothing,
/// forever (until the client goes away).
pub(super) async fn stall_mid_body(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/stall-mid-body/{name}"), &headers);
    let mut bytes = png(8, 8, 3);
    bytes.resize(1_500_000, 0);
    let first = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(bytes))]);
    let never = futures_util::stream::pending();
    let body = Body::from_stream(futures_util::StreamExt::chain(first, never));
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CONTENT_LENGTH, "5000000"),
        ],
        body,
    )
        .into_response()
}

/// Misbehaving responses for the hostile-server tests, by name.
pub(super) async fn hostile(
    State(s): State<AppState>,
    UrlPath(case): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/hostile/{case}"), &headers);
    let png_ct = [(header::CONTENT_TYPE, "image/png")];
    match case.as_str() {
        "empty" => (png_ct, Vec::new()).into_response(),
        "json" => (png_ct, r#"{"error": "quota exceeded"}"#).into_response(),
        "truncated-jpeg" => {
            let mut bytes = jpeg(200, 150, 4);
            bytes.truncate(bytes.len() * 2 / 3);
            ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response()
        }
        "bad-crc-png" => {
            let mut bytes = png(64, 64, 5);
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x10;
            (png_ct, bytes).into_response()
        }
        "gzip-bomb" | "brotli-bomb" => {
            // A PNG signature, then 20 MB of zeros: tiny on the wire, huge decoded.
            let mut plain = png(8, 8, 1);
            plain.resize(20 * 1024 * 1024, 0);
            let (encoding, body) = if case == "gzip-bomb" {
                use std::io::Write as _;
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                enc.write_all(&plain).expect("gzip");
                ("gzip", enc.finish().expect("gzip"))
            } else {
                let mut out = Vec::new();
                // Quality 11 (the default) took seconds for 20 MB in a debug build on a busy
                // machine, and the download stalled waiting; zeros shrink as well at 5.
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 5,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut plain.as_slice(), &mut out, &params).expect("brotli");
                ("br", out)
            };
            (
                [
                    (header::CONTENT_TYPE, "image/png"),
                    (header::CONTENT_ENCODING, encoding),
                ],
                body,
            )
                .into_response()
        }
        "drip" => {
            // The start of a PNG, then one byte every 100 ms, forever.
            let head = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(
                png(8, 8, 1)[..16].to_vec(),
            ))]);
            let drip = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"\0")),
                    (),
                ))
            });
            let body = Body::from_stream(futures_util::StreamExt::chain(head, drip));
            (png_ct, body).into_response()
        }
        "redirect-ftp" => (
            StatusCode::FOUND,
            [(header::LOCATION, "ftp://example.com/a.jpg")],
        )
            .into_response(),
        "redirect-data" => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, "data:image/png;base64,AAAA")],
        )
            .into_response(),
        "redirect-hidden" => {
            (StatusCode::FOUND, [(header::LOCATION, "/img/.bashrc.png")]).into_response()
        }
        "gone" => (StatusCode::GONE, "gone").into_response(),
        "too-many-requests" => {
            let n = {
                let mut map = s.fail_first.lock().unwrap();
                let n = map.entry("429".into()).or_default();
                *n += 1;
                *n
            };
            if n == 1 {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "1")],
                    "slow down",
                )
                    .into_response()
            } else {
                (png_ct, png(16, 16, 6)).into_response()
            }
        }
        _ => (StatusCode::NOT_FOUND, "no such case").into_response(),
    }
}
