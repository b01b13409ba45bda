//! Soak: every image arrives exactly once through faults and a kill -9 (not a test).
//!
//! A loopback server on 20 hosts (127.0.0.1 to 127.0.0.20) serves 10,000 distinct PNGs with
//! faults on their first attempts: one in 50 is cut mid-body after a full Content-Length, one in
//! 50 answers 503, one in 50 answers 429 with `Retry-After: 1`, and one in 200 is cut twice.
//! 1. `magpie fetch` downloads them all.
//! 2. Into a second folder, `magpie fetch` is killed with SIGKILL at a random moment, then
//!    `magpie fetch --resume` finishes.
//!
//! For each run it prints files saved, duplicates, missing, damaged, `.part` files left, the most
//! attempts any URL needed, peak RSS and wall time; required: 10,000 saved once and byte-identical
//! to what was served, no `.part` left, at most 4 attempts per URL per process, peak RSS under
//! 200 MB.
//!
//! Run: `cargo bench --bench soak` (env: N, J).

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Served {
    images: Vec<bytes::Bytes>,
    /// Requests per image in the current process's run.
    attempts: Mutex<HashMap<usize, u32>>,
}

/// A small PNG that differs from every other one (noise seeded by `i`).
fn image(i: usize) -> Vec<u8> {
    let mut seed = i as u64 * 2_654_435_761 + 1;
    let img = image::RgbImage::from_fn(24, 24, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// Loopback hosts the images are spread over.
const HOSTS: usize = 20;

async fn serve_image(State(s): State<Arc<Served>>, UrlPath(name): UrlPath<String>) -> Response {
    let Some(i) = name
        .strip_prefix('s')
        .and_then(|n| n.strip_suffix(".png"))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&i| i < s.images.len())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let attempt = {
        let mut a = s.attempts.lock().expect("lock");
        let n = a.entry(i).or_default();
        *n += 1;
        *n
    };
    let bytes = s.images[i].clone();
    // Chosen by the image's place among its host's (URL i goes to host i % 20), so every host
    // sees each fault 1 time in 50; choosing by `i` put all the 503s on two hosts (1 in 5 of
    // theirs) and all the 429s on two others.
    let k = i / HOSTS;
    let cut = (k % 50 == 1 && attempt == 1) || (k % 200 == 4 && attempt <= 2);
    if cut {
        // The full length is promised, half is sent, then the connection breaks.
        let half = bytes.slice(..bytes.len() / 2);
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
            vec![Ok(half), Err(std::io::Error::other("cut"))];
        return (
            [
                (header::CONTENT_TYPE, "image/png".to_string()),
                (header::CONTENT_LENGTH, bytes.len().to_string()),
            ],
            Body::from_stream(futures_util::stream::iter(chunks)),
        )
            .into_response();
    }
    match (k % 50, attempt) {
        (2, 1) => (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
        (3, 1) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "slow down",
        )
            .into_response(),
        _ => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
    }
}

/// What a folder holds after a run.
#[derive(Default)]
struct Tally {
    saved: usize,
    duplicates: usize,
    damaged: usize,
    parts: usize,
    missing: usize,
}

fn tally(dir: &Path, expected: &HashMap<String, blake3::Hash>) -> Tally {
    let mut t = Tally::default();
    let mut found = 0;
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".magpie-") {
            t.parts += 1;
            continue;
        }
        match expected.get(&name) {
            Some(hash) => {
                found += 1;
                let bytes = std::fs::read(entry.path()).expect("read file");
                if blake3::hash(&bytes) == *hash {
                    t.saved += 1;
                } else {
                    t.damaged += 1;
                }
            }
            None => t.duplicates += 1,
        }
    }
    t.missing = expected.len() - found;
    t
}

fn fetch(out: &Path, list: &Path, home: &Path, jobs: usize, resume: bool) -> std::process::Child {
    let j = jobs.to_string();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_magpie"));
    cmd.args(["fetch", "-j", &j, "--per-host", "8", "--out"])
        .arg(out);
    if resume {
        cmd.arg("--resume");
    }
    cmd.arg(list)
        .env("XDG_DATA_HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run magpie")
}

fn most_attempts(served: &Served) -> u32 {
    let mut a = served.attempts.lock().expect("lock");
    let most = a.values().copied().max().unwrap_or(0);
    a.clear();
    most
}

fn row(label: &str, t: &Tally, attempts: u32, peak: f64, secs: f64) {
    println!(
        "| {label} | {} | {} | {} | {} | {} | {attempts} | {peak:.0} MB | {secs:.1} s |",
        t.saved, t.duplicates, t.missing, t.damaged, t.parts
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let n = env("N", 10_000);
    let jobs = env("J", 64);
    let images: Vec<bytes::Bytes> = (0..n).map(|i| image(i).into()).collect();
    let expected: HashMap<String, blake3::Hash> = images
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("s{i}.png"), blake3::hash(b)))
        .collect();
    let served = Arc::new(Served {
        images,
        attempts: Mutex::new(HashMap::new()),
    });
    let app = axum::Router::new()
        .route("/img/{name}", axum::routing::get(serve_image))
        .with_state(served.clone());
    let ips: Vec<std::net::IpAddr> = (1..=HOSTS)
        .map(|h| format!("127.0.0.{h}").parse().expect("ip"))
        .collect();
    let addrs = support::serve_on(&ips, app, 2);

    let work = tempfile::tempdir().expect("tempdir");
    let list = work.path().join("list.txt");
    let text: String = (0..n)
        .map(|i| format!("http://{}/img/s{i}.png\n", addrs[i % addrs.len()]))
        .collect();
    std::fs::write(&list, text).expect("write list");

    println!(
        "soak: {n} PNGs on 20 loopback hosts, -j {jobs} --per-host 8; faults on first attempts: \
         1 in 50 cut mid-body, 1 in 50 HTTP 503, 1 in 50 HTTP 429 + Retry-After 1, 1 in 200 cut twice"
    );
    println!(
        "| run | saved once, byte-identical | duplicates | missing | damaged | .part left | most attempts | peak RSS | wall |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");

    // 1. A plain run.
    let out1 = work.path().join("run1");
    let t = Instant::now();
    let mut child = fetch(&out1, &list, &work.path().join("home1"), jobs, false);
    let peak = support::wait_peak_mb(&mut child);
    let secs = t.elapsed().as_secs_f64();
    row(
        "whole run",
        &tally(&out1, &expected),
        most_attempts(&served),
        peak,
        secs,
    );

    // 2. Killed at a random moment, then resumed.
    let out2 = work.path().join("run2");
    let home2 = work.path().join("home2");
    let kill_after = Duration::from_secs_f64(secs * (0.2 + fastrand::f64() * 0.5));
    let t = Instant::now();
    let mut child = fetch(&out2, &list, &home2, jobs, false);
    let mut killed_peak: f64 = 0.0;
    while t.elapsed() < kill_after && child.try_wait().expect("wait").is_none() {
        killed_peak = killed_peak.max(support::peak_mb(child.id()));
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill(); // SIGKILL: no cleanup runs
    let _ = child.wait();
    let killed = tally(&out2, &expected);
    row(
        &format!("killed after {:.1} s", kill_after.as_secs_f64()),
        &killed,
        most_attempts(&served),
        killed_peak,
        t.elapsed().as_secs_f64(),
    );
    let t = Instant::now();
    let mut child = fetch(&out2, &list, &home2, jobs, true);
    let peak = support::wait_peak_mb(&mut child);
    let secs = t.elapsed().as_secs_f64();
    let resumed = tally(&out2, &expected);
    row(
        "then --resume",
        &resumed,
        most_attempts(&served),
        peak,
        secs,
    );

    let ok = |t: &Tally| t.saved == n && t.duplicates == 0 && t.damaged == 0 && t.parts == 0;
    println!(
        "\n{}",
        if ok(&tally(&out1, &expected)) && ok(&resumed) {
            "every image saved exactly once and byte-identical in both runs, no .part left"
        } else {
            "FAILED: see the table"
        }
    );
}
