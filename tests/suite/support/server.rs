//! The test HTTP server: [`TestServer`] on 127.0.0.1 with a random port, and the counters it
//! keeps so tests can see what the client did. Its routes are in `routes.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::get;

use super::routes::*;
use super::runtime;

/// Counters the server keeps so tests can see what the client did.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub(super) inflight: AtomicUsize,
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
pub(super) struct AppState {
    pub(super) stats: Arc<Stats>,
    /// Shared by several servers, to see the global limit.
    pub(super) global: Arc<Stats>,
    pub(super) hold: Duration,
    pub(super) fail_first: Arc<Mutex<HashMap<String, usize>>>,
    pub(super) healthy: Arc<AtomicBool>,
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

pub(super) fn count(state: &AppState, path: &str, headers: &HeaderMap) {
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
