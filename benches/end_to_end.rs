//! From Download to thumbnails, through the window (not a test): 500 JPEGs over loopback with
//! 50 ms latency per request, pasted into the window's URL box (egui_kittest, headless), timed
//! from the click on Download until every file is saved and every tile on screen shows its
//! thumbnail, against the bound N·L/C + bytes ÷ loopback bandwidth.
//!
//! Run: `cargo bench --bench end_to_end` (env: N=500, LAT_MS=50, C=16, RUNS=3).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use egui_kittest::kittest::Queryable;
use magpie::config::{Config, FetchSettings};
use magpie::ui::AppOptions;
use magpie::ui::items::ItemState;

struct Corpus {
    image: Vec<u8>,
    blob: Vec<u8>,
    latency: Duration,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn file(State(c): State<Arc<Corpus>>, UrlPath(_n): UrlPath<String>) -> impl IntoResponse {
    tokio::time::sleep(c.latency).await;
    ([(header::CONTENT_TYPE, "image/jpeg")], c.image.clone())
}

async fn blob(State(c): State<Arc<Corpus>>) -> impl IntoResponse {
    c.blob.clone()
}

/// A 1024×768 photo-like JPEG (~150-200 KB at q85).
fn photo() -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(3);
    let img = image::RgbImage::from_fn(1024, 768, |x, y| {
        let g = rng.u8(..40);
        image::Rgb([(x / 4) as u8 ^ g, (y / 3) as u8 ^ g, g])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("encode");
    out
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = env_or("N", 500);
    let lat_ms: u64 = env_or("LAT_MS", 50);
    let c: usize = env_or("C", 16);
    let runs: usize = env_or("RUNS", 3);
    let corpus = Arc::new(Corpus {
        image: photo(),
        blob: vec![7; 64 * 1024 * 1024],
        latency: Duration::from_millis(lat_ms),
    });
    let app = Router::new()
        .route("/files/{name}", get(file))
        .route("/blob", get(blob))
        .with_state(corpus.clone());
    let addr = support::serve(app, 2);
    let bytes = (n * corpus.image.len()) as f64;
    let bound = (n as f64 / c as f64) * lat_ms as f64 / 1e3
        + bytes / support::loopback_bandwidth(addr, corpus.blob.len());
    let urls: String = (0..n)
        .map(|i| format!("http://{addr}/files/photo{i:04}.jpg\n"))
        .collect();
    println!(
        "end to end: {n} JPEGs × {} KB, {lat_ms} ms latency, -j {c}; bound N·L/C + bytes/bw = {bound:.3} s",
        corpus.image.len() / 1000
    );

    let mut times = Vec::new();
    for run in 0..runs {
        let dir = tempfile::tempdir().expect("tempdir");
        // Journaled, as the window runs.
        let journals = tempfile::tempdir().expect("tempdir");
        let options = AppOptions {
            out_dir: Some(dir.path().to_path_buf()),
            journal_dir: Some(journals.path().to_path_buf()),
            config: Config {
                fetch: FetchSettings {
                    concurrency: c,
                    per_host: c,
                    // Every URL serves the same photo here: keep each copy.
                    keep_duplicates: true,
                    ..FetchSettings::default()
                },
                ..Config::default()
            },
            thumb_cache: None,
            ..AppOptions::default()
        };
        let mut h = support::window::harness(options, egui::vec2(1600.0, 1000.0));
        h.step();
        h.get_by_label("Image URLs").focus();
        h.step();
        h.event(egui::Event::Paste(urls.clone()));
        h.step();
        h.step();
        h.get_by_label("⬇ Download").click();
        let start = Instant::now();
        loop {
            h.step();
            let a = h.state().as_ref().expect("app");
            let saved = a
                .items()
                .as_slice()
                .iter()
                .filter(|i| matches!(i.state, ItemState::Saved))
                .count();
            let (drawn, on_screen) = a.tiles_on_screen();
            if saved == n && on_screen > 0 && drawn == on_screen {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "run {run}: stuck at {saved}/{n}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "run {}: {secs:.3} s ({:.2}× the bound)",
            run + 1,
            secs / bound
        );
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "median {median:.3} s = {:.2}× the bound (target ≤ 1.3×)",
        median / bound
    );
}
