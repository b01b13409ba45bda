//! Download throughput of `magpie fetch` against its physical bound (not a test).
//!
//! Starts a loopback server that answers every request after 50 ms (a simulated round trip), serves
//! 500 JPEGs of ~150 KB, and times the real release binary at `-j 16` and `-j 64` (per-host limit
//! raised to match). The bound is ceil(N/C)·L + bytes / loopback bandwidth, the bandwidth measured
//! on the same server without latency. Prints medians and their ratio to the bound.
//!
//! Run: `cargo bench --bench download` (env: N, LAT_MS, RUNS, BENCH_TMP, BENCH_NO_SYNC). Loopback timings on a shared
//! 2-core machine swing by ±20% from run to run: compare medians of several runs.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

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

/// A valid JPEG of about `target` bytes: noisy pixels compress badly, like photos.
fn jpeg_near(target: usize) -> Vec<u8> {
    let mut side = 256u32;
    loop {
        let mut rng = fastrand::Rng::with_seed(42);
        let img = image::RgbImage::from_fn(side, side * 3 / 4, |x, y| {
            let n = rng.u8(..);
            image::Rgb([
                (x as u8) ^ n,
                (y as u8).wrapping_add(n / 2),
                n.wrapping_mul(3),
            ])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg)
            .expect("encode");
        let bytes = out.into_inner();
        if bytes.len() >= target || side > 2048 {
            return bytes;
        }
        side += 32;
    }
}

async fn file(State(c): State<Arc<Corpus>>, UrlPath(_name): UrlPath<String>) -> impl IntoResponse {
    tokio::time::sleep(c.latency).await;
    ([(header::CONTENT_TYPE, "image/jpeg")], c.image.clone())
}

async fn blob(State(c): State<Arc<Corpus>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        c.blob.clone(),
    )
}

fn start_server(corpus: Arc<Corpus>) -> SocketAddr {
    let app = Router::new()
        .route("/files/{name}", get(file))
        .route("/blob", get(blob))
        .with_state(corpus);
    support::serve(app, 2)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn run_magpie(list: &Path, out: &Path, c: usize, expect: usize) -> f64 {
    let _ = std::fs::remove_dir_all(out);
    let home = out.with_extension("xdg");
    // Every URL serves the same bytes here: keep each copy, as the peers do.
    let mut config_text = String::from("[fetch]\nkeep_duplicates = true\n");
    if std::env::var_os("BENCH_NO_SYNC").is_some() {
        // Measures what flushing each file before naming it costs.
        config_text.push_str("sync_files = false\n");
    }
    let config = home.join("magpie");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(config.join("config.toml"), config_text).expect("config");
    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_magpie"))
        .args(["fetch", "--out"])
        .arg(out)
        .args(["-j", &c.to_string(), "--per-host", &c.to_string()])
        .arg(list)
        // Its own settings and journals: the user's config must not change what is measured.
        .env("XDG_CONFIG_HOME", &home)
        .env("XDG_DATA_HOME", &home)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run magpie");
    let secs = t.elapsed().as_secs_f64();
    assert!(status.success(), "magpie fetch failed");
    let saved = std::fs::read_dir(out).expect("out dir").count();
    assert_eq!(saved, expect, "every file must arrive");
    secs
}

fn main() {
    // `cargo test --benches` runs this with no arguments worth honouring; only run when benching.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = env_or("N", 500);
    let lat_ms: u64 = env_or("LAT_MS", 50);
    let runs: usize = env_or("RUNS", 9);
    let image = jpeg_near(150_000);
    let corpus = Arc::new(Corpus {
        blob: vec![7u8; 64 * 1024 * 1024],
        image,
        latency: Duration::from_millis(lat_ms),
    });
    let addr = start_server(corpus.clone());
    let bw = support::loopback_bandwidth(addr, corpus.blob.len());
    let total_bytes = (n * corpus.image.len()) as f64;

    // BENCH_TMP=/dev/shm takes the disk out of the measurement.
    let work = match std::env::var_os("BENCH_TMP") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("tempdir");
    let list = work.path().join("urls.txt");
    let urls: String = (0..n)
        .map(|i| format!("http://{addr}/files/img{i:04}.jpg\n"))
        .collect();
    std::fs::write(&list, urls).expect("write list");
    let out = work.path().join("out");

    println!(
        "download bench: {n} files × {} KB = {:.1} MB, {lat_ms} ms latency per request, loopback {:.0} MB/s, {runs} runs",
        corpus.image.len() / 1000,
        total_bytes / 1e6,
        bw / 1e6
    );
    println!("| concurrency | median wall | best | bound | median ÷ bound |");
    println!("|---|---|---|---|---|");
    for c in [16usize, 64] {
        let _warmup = run_magpie(&list, &out, c, n);
        let times: Vec<f64> = (0..runs).map(|_| run_magpie(&list, &out, c, n)).collect();
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        let wall = median(times);
        let bound = (n.div_ceil(c) as f64) * (lat_ms as f64 / 1000.0) + total_bytes / bw;
        println!(
            "| -j {c} | {wall:.3} s | {best:.3} s | {bound:.3} s | {:.2}× |",
            wall / bound
        );
    }
}
