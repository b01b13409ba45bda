//! A real HTTP server on 127.0.0.1:0 for tests, serving images the test generates, plus routes that
//! misbehave the way real servers do. Servers run on one shared background runtime so tests can
//! block on the engine's events like a front end does.
#![allow(dead_code)]

pub mod cli;
pub mod window;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use magpie::config::FetchSettings;
use magpie::engine::{Engine, Event, JobId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The runtime all test servers live on.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

/// A PNG of `w`×`h` whose pixels depend on `seed`, so files differ.
pub fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    encode(w, h, seed, image::ImageFormat::Png)
}

/// A JPEG like [`png`].
pub fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    encode(w, h, seed, image::ImageFormat::Jpeg)
}

fn encode(w: u32, h: u32, seed: u8, format: image::ImageFormat) -> Vec<u8> {
    encode_tagged(w, h, seed, 0, format)
}

/// Like [`encode`], with `tag` written into the first pixels, so images of different tags differ
/// (Magpie keeps one copy of identical bytes).
fn encode_tagged(w: u32, h: u32, seed: u8, tag: u64, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let mark = if y < 8 && x < 64 {
            Some((tag >> (8 * (x / 8))) as u8)
        } else {
            None
        };
        image::Rgb([
            mark.unwrap_or((x as u8).wrapping_add(seed)),
            (y as u8).wrapping_mul(3),
            seed.wrapping_mul(37),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// A PNG chunk with its checksum, for PNGs built by hand.
pub fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32fast::hash(&crc_input).to_be_bytes());
    out
}

/// Counters the server keeps so tests can see what the client did.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    inflight: AtomicUsize,
    pub peak_inflight: AtomicUsize,
    /// Requests per path, to check retries.
    pub hits: Mutex<HashMap<String, usize>>,
    /// User-Agent of the last request.
    pub user_agent: Mutex<String>,
    /// Referer headers received, in order.
    pub referers: Mutex<Vec<String>>,
    /// Cookie headers received, in order.
    pub cookies: Mutex<Vec<String>>,
    /// `X-Token` headers received, in order.
    pub tokens: Mutex<Vec<String>>,
}

impl Stats {
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
    pub fn peak(&self) -> usize {
        self.peak_inflight.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct AppState {
    stats: Arc<Stats>,
    /// Shared by several servers, to see the global limit.
    global: Arc<Stats>,
    hold: Duration,
    fail_first: Arc<Mutex<HashMap<String, usize>>>,
    healthy: Arc<AtomicBool>,
}

/// A server on 127.0.0.1 with a random port.
pub struct TestServer {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    healthy: Arc<AtomicBool>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_shared(Arc::new(Stats::default()), Duration::from_millis(150))
    }

    /// A server whose `/hold/…` requests take `hold`, counting in-flight requests in its own
    /// stats and in `global`.
    pub fn start_shared(global: Arc<Stats>, hold: Duration) -> Self {
        Self::start_at("127.0.0.1", global, hold)
    }

    /// A server on another loopback address (`127.0.0.2` is another host to a cookie).
    pub fn start_on(ip: &str) -> Self {
        Self::start_at(ip, Arc::new(Stats::default()), Duration::from_millis(150))
    }

    fn start_at(ip: &str, global: Arc<Stats>, hold: Duration) -> Self {
        let stats = Arc::new(Stats::default());
        let healthy = Arc::new(AtomicBool::new(true));
        let state = AppState {
            stats: stats.clone(),
            global,
            hold,
            fail_first: Arc::new(Mutex::new(HashMap::new())),
            healthy: healthy.clone(),
        };
        let app = Router::new()
            .route("/img/{name}", get(img))
            .route("/a/{name}", get(img))
            .route("/b/{name}", get(img))
            .route("/hold/{name}", get(hold_img))
            .route("/status/{code}", get(status))
            .route("/flaky/{times}/{name}", get(flaky))
            .route("/switch/{name}", get(switch))
            .route("/gate/{name}", get(gate))
            .route("/html-as-jpeg", get(html_as_jpeg))
            .route("/big", get(big))
            .route("/redirect-file", get(redirect_file))
            .route("/moved/{name}", get(moved))
            .route("/redirect-loop/{n}", get(redirect_loop))
            .route("/cd/{kind}", get(content_disposition))
            .route("/webp-as-jpg.jpg", get(webp_as_jpg))
            .route("/stall-mid-body/{name}", get(stall_mid_body))
            .route("/hostile/{case}", get(hostile))
            .route("/hotlink/{name}", get(hotlink))
            .route("/gallery.html", get(gallery_page))
            .route("/titled/{title}", get(titled_page))
            .route("/sizes.html", get(sizes_page))
            .route("/kind/{kind}/{name}", get(kind_sample))
            .route("/sized/{w}/{h}/{name}", get(sized))
            .route("/same/{name}", get(same))
            .route("/members/{name}", get(members))
            .route("/away/{*to}", get(away))
            .with_state(state);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let listener = runtime()
            .block_on(async { tokio::net::TcpListener::bind((ip, 0)).await.expect("bind") });
        let addr = listener.local_addr().expect("addr");
        runtime().spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            addr,
            stats,
            healthy,
            shutdown: Some(tx),
        }
    }

    /// While unhealthy, `/switch/…` answers 503 (without Retry-After).
    pub fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::SeqCst);
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{path}", self.addr)).expect("url")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn count(state: &AppState, path: &str, headers: &HeaderMap) {
    state.stats.requests.fetch_add(1, Ordering::SeqCst);
    *state
        .stats
        .hits
        .lock()
        .unwrap()
        .entry(path.to_string())
        .or_default() += 1;
    if let Some(ua) = headers.get(header::USER_AGENT) {
        *state.stats.user_agent.lock().unwrap() = ua.to_str().unwrap_or("").to_string();
    }
    if let Some(r) = headers.get(header::REFERER) {
        let r = r.to_str().unwrap_or("").to_string();
        state.stats.referers.lock().unwrap().push(r);
    }
    if let Some(c) = headers.get(header::COOKIE) {
        let c = c.to_str().unwrap_or("").to_string();
        state.stats.cookies.lock().unwrap().push(c);
    }
    if let Some(t) = headers.get("x-token") {
        let t = t.to_str().unwrap_or("").to_string();
        state.stats.tokens.lock().unwrap().push(t);
    }
}

/// A gallery page: images by relative links, a srcset, a lazy one, og:image, a style
/// background, a hotlink-checked one, and one twice.
async fn gallery_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
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
async fn sizes_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/sizes.html", &headers);
    let html = r#"<!doctype html><html><head><title>Sizes</title></head><body>
<img src="/sized/640/480/big.png"><img src="/sized/120/90/icon.png">
<img src="/sized/300/200/mid.jpg"><img src="/status/404">
</body></html>"#;
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A page titled by its path (decoded: `/titled/..%2Fup` is titled `../up`) with two images.
async fn titled_page(
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

/// A 16×12 JPEG XL (lossless, made with libjxl's cjxl).
pub const JXL_16X12: &[u8] = &[
    0xff, 0x0a, 0x58, 0x30, 0x10, 0x50, 0x5c, 0x08, 0x08, 0x02, 0x01, 0x00, 0x58, 0x01, 0x4b, 0x38,
    0x68, 0x98, 0xc2, 0x83, 0xf7, 0x15, 0x14, 0x4c, 0x80, 0x11, 0x75, 0xa3, 0x62, 0xe3, 0x65, 0x26,
    0xd2, 0x02, 0x51, 0x31, 0x06, 0xef, 0x81, 0x85, 0x08, 0x30, 0x00, 0x90, 0xbd, 0x57, 0x1c, 0x0a,
    0x80, 0x41, 0x7e, 0xa4, 0xaa, 0xaa, 0xf3, 0xa1, 0x00, 0xd0, 0xee, 0x08, 0x42, 0xff, 0x8f, 0x20,
    0xf4, 0x1f, 0x49, 0xe8, 0xff, 0x09, 0x84, 0xfe, 0x8b, 0x08, 0xfd, 0x2f, 0x60, 0x71, 0x91, 0xc7,
    0xdd, 0x21, 0x93, 0x18, 0x28, 0x08, 0xe0, 0x61, 0xfe, 0x0f, 0xb4, 0xf8, 0x01, 0x00, 0x00, 0xa0,
    0x5f, 0x1c, 0x62, 0x00,
];

/// An ISO media file that starts like a photo of `brand` (`heic`, `avif`): its `ftyp` box and
/// an empty `mdat`; enough to be recognised, not to be decoded.
pub fn iso_media(brand: &[u8; 4]) -> Vec<u8> {
    let mut b = 24u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftyp");
    b.extend_from_slice(brand);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(b"mif1miaf");
    b.extend_from_slice(&16u32.to_be_bytes());
    b.extend_from_slice(b"mdat");
    b.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]);
    b
}

/// A sample of `kind` (`jxl`, `heic`, `avif`, `svg`, `qoi`, `bad-svg`) whatever the name, sent
/// as `application/octet-stream`: only the content says what it is.
async fn kind_sample(
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
async fn sized(
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
async fn same(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/same/{name}"), &headers);
    ([(header::CONTENT_TYPE, "image/png")], png(64, 48, 9)).into_response()
}

/// An image only for requests that carry a Referer (a hotlink check).
async fn hotlink(
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
async fn members(
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
async fn away(
    State(s): State<AppState>,
    UrlPath(to): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, "/away", &headers);
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// `name` decides the bytes: `*.jpg` is a JPEG, anything else a PNG; digits in it seed pixels.
fn image_for(name: &str) -> (Vec<u8>, &'static str) {
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
fn image_response(name: &str) -> Response {
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

async fn img(
    State(s): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    count(&s, &format!("/img/{name}"), &headers);
    image_response(&name)
}

struct Inflight(Arc<Stats>, Arc<Stats>);
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

async fn hold_img(
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

async fn status(
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
async fn flaky(
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

async fn switch(
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
async fn gate(
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

async fn html_as_jpeg(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/html-as-jpeg", &headers);
    (
        [(header::CONTENT_TYPE, "image/jpeg")],
        "<!DOCTYPE html><html><body>Rate limited, please log in</body></html>",
    )
        .into_response()
}

/// A PNG header followed by 4 MB of zeros, streamed without Content-Length.
async fn big(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/big", &headers);
    let head = png(8, 8, 1);
    let chunks = std::iter::once(Ok::<_, std::io::Error>(bytes::Bytes::from(head)))
        .chain((0..64).map(|_| Ok(bytes::Bytes::from(vec![0u8; 64 * 1024]))));
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    ([(header::CONTENT_TYPE, "image/png")], body).into_response()
}

/// Redirects to `/img/{name}` (a page with a secret in its query sends the user here).
async fn moved(
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

async fn redirect_file(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/redirect-file", &headers);
    (
        StatusCode::FOUND,
        [(header::LOCATION, "file:///etc/passwd")],
    )
        .into_response()
}

async fn redirect_loop(
    State(s): State<AppState>,
    UrlPath(n): UrlPath<u32>,
    headers: HeaderMap,
) -> Response {
    count(&s, "/redirect-loop", &headers);
    let next = format!("/redirect-loop/{}", n + 1);
    (StatusCode::FOUND, [(header::LOCATION, next)]).into_response()
}

async fn content_disposition(
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

async fn webp_as_jpg(State(s): State<AppState>, headers: HeaderMap) -> Response {
    count(&s, "/webp-as-jpg.jpg", &headers);
    let img = image::RgbaImage::from_pixel(16, 16, image::Rgba([10, 200, 30, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::WebP)
        .expect("webp");
    ([(header::CONTENT_TYPE, "image/jpeg")], out.into_inner()).into_response()
}

/// Sends 1.5 MB of a PNG-looking body (enough to be written to a `.part` file), then nothing,
/// forever (until the client goes away).
async fn stall_mid_body(
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
async fn hostile(
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
                let params = brotli::enc::BrotliEncoderParams::default();
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

/// A bare TCP server that answers every connection with `response`, byte for byte, then closes:
/// for responses no HTTP library would send.
pub fn raw_server(response: Vec<u8>) -> SocketAddr {
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    let response = Arc::new(response);
    runtime().spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                break;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock.write_all(&response).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

/// A minimal SOCKS5 proxy (no authentication, CONNECT only) that records the host names it was
/// asked for and splices the connection to `target` whatever the name (so `images.invalid` can
/// stand for a test server).
pub fn socks5_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    runtime().spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                // Greeting: VER, NMETHODS, METHODS…; answer "no authentication".
                let mut head = [0u8; 2];
                if client.read_exact(&mut head).await.is_err() {
                    return;
                }
                let mut methods = vec![0u8; usize::from(head[1])];
                if client.read_exact(&mut methods).await.is_err() {
                    return;
                }
                if client.write_all(&[5, 0]).await.is_err() {
                    return;
                }
                // Request: VER, CMD=1 (CONNECT), RSV, ATYP, address, port.
                let mut req = [0u8; 4];
                if client.read_exact(&mut req).await.is_err() {
                    return;
                }
                let host = match req[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        let _ = client.read_exact(&mut ip).await;
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        let _ = client.read_exact(&mut len).await;
                        let mut name = vec![0u8; usize::from(len[0])];
                        let _ = client.read_exact(&mut name).await;
                        String::from_utf8_lossy(&name).into_owned()
                    }
                    _ => return,
                };
                let mut port = [0u8; 2];
                if client.read_exact(&mut port).await.is_err() {
                    return;
                }
                seen.lock().unwrap().push(host);
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    let _ = client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                    return;
                };
                if client
                    .write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, asked)
}

/// An https server on 127.0.0.1 with a self-signed certificate (what an old camera or NAS web
/// server has): every request gets a small PNG. Returns its address.
pub fn self_signed_https_server() -> SocketAddr {
    use tokio_rustls::rustls;
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("cert");
    let cert = key.cert.der().clone();
    let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("tls versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], private)
    .expect("tls config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    let body = png(32, 24, 4);
    runtime().spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let body = body.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(&body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// A server that accepts connections and never says a word.
pub fn silent_server() -> SocketAddr {
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    runtime().spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    addr
}

/// Settings for tests: short waits so retries and failures show up fast.
pub fn fast_settings() -> FetchSettings {
    FetchSettings {
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_secs(2),
        stall_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    }
}

/// What happened to each job, collected until the engine reports `Finished`.
#[derive(Debug, Default)]
pub struct Outcome {
    pub saved: HashMap<JobId, PathBuf>,
    pub failed: HashMap<JobId, String>,
    pub cancelled: Vec<JobId>,
    pub skipped: Vec<JobId>,
    pub retries: Vec<(JobId, Duration, String)>,
    /// What the user is told about how a file was fetched.
    pub notes: HashMap<JobId, String>,
}

/// Opens `dir` in `engine` and waits for the answer.
pub fn open_folder(engine: &Engine, dir: &Path) -> magpie::engine::OpenedFolder {
    engine.open_folder(dir, false);
    loop {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::FolderOpened { folder, .. }) => return folder,
            Some(Event::FolderFailed { error, .. }) => {
                panic!("cannot open {}: {error}", dir.display())
            }
            Some(_) => {}
            None => panic!("no answer opening {}", dir.display()),
        }
    }
}

/// Drains events until `Finished` (or panics after 60 s of silence).
pub fn run_to_end(engine: &Engine) -> Outcome {
    let mut out = Outcome::default();
    loop {
        let event = engine
            .recv_timeout(Duration::from_secs(60))
            .expect("engine went quiet without finishing");
        match event {
            Event::Saved { id, saved } => {
                if let Some(note) = saved.note {
                    out.notes.insert(id, note);
                }
                out.saved.insert(id, saved.path);
            }
            Event::Failed { id, error } => {
                out.failed.insert(id, error.to_string());
            }
            Event::Cancelled { id } => out.cancelled.push(id),
            Event::Skipped { id, .. } => out.skipped.push(id),
            Event::Retrying {
                id, wait, reason, ..
            } => out.retries.push((id, wait, reason)),
            Event::Finished => return out,
            _ => {}
        }
    }
}

/// Waits until process `pid` has `n` files open in `dir` that are downloads in progress: unnamed
/// files (`O_TMPFILE`, shown by the kernel as `DIR/#INODE (deleted)`) or `.part` files. The
/// folder's listing cannot tell, since unnamed files have no entry in it.
pub fn wait_for_downloads_on_disk(pid: u32, dir: &Path, n: usize) {
    let dir = std::fs::canonicalize(dir).expect("canonical dir");
    let prefix = format!("{}/", dir.display());
    let start = std::time::Instant::now();
    loop {
        let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter(|target| {
                let t = target.to_string_lossy();
                t.starts_with(&prefix)
                    && (t.contains("/#") || t.ends_with(".part") || t.ends_with(".part (deleted)"))
            })
            .count();
        if open >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never saw {n} downloads on disk in {} ({open} seen)",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (bounded) until `dir` holds `n` entries.
pub fn wait_for_entries(dir: &Path, n: usize) {
    let start = std::time::Instant::now();
    while files_in(dir).len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never saw {n} entries in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every file name in `dir`, sorted.
/// Every file under `dir`, as `sub/name` paths, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().expect("file type").is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
