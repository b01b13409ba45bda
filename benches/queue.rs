//! The window with a very long download queue (not a test): 100,000 URLs pasted and Download
//! pressed, against a loopback server that holds every request open, so 16 download and the rest
//! wait in the queue, as when a dataset's list is being fetched. Headless through egui_kittest.
//!
//! 1. The time from pressing Download until every row is in the queue.
//! 2. UI-thread CPU per frame with the queue on screen: idle, and while the queue is scrolled
//!    (median and p99).
//! 3. Resident memory at each step, per URL queued, and at its peak.
//! 4. Showing only the rows in progress: the frame that finds them, then frames after.
//! 5. The window closed and opened again on the folder: the time until every download the
//!    engine resumed has its row back, and the longest frame meanwhile.
//!
//! Run: `cargo bench --bench queue` (env: N, default 100000).

mod support;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use magpie::config::Config;
use magpie::ui::AppOptions;
use support::window::{App, app, harness, thread_cpu_ns, wheel};

/// Steps frames until `done`; returns the time it took and the UI thread's CPU in the longest
/// frame (what a person sees as a stall).
fn step_until(
    h: &mut Harness<'_, App>,
    what: &str,
    done: impl Fn(&Harness<'_, App>) -> bool,
) -> (Duration, f64) {
    let start = Instant::now();
    let mut worst = 0.0f64;
    loop {
        let cpu = thread_cpu_ns();
        h.step();
        let ms = (thread_cpu_ns() - cpu) as f64 / 1e6;
        worst = worst.max(ms);
        if done(h) {
            return (start.elapsed(), worst);
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Median and p99 of the UI thread's CPU per frame over `frames` frames, `before` run ahead of
/// each one.
fn frame_cpu(
    h: &mut Harness<'_, App>,
    frames: usize,
    before: impl Fn(&mut Harness<'_, App>),
) -> (f64, f64) {
    let mut ms = Vec::with_capacity(frames);
    for _ in 0..frames {
        before(h);
        let cpu = thread_cpu_ns();
        h.step();
        ms.push((thread_cpu_ns() - cpu) as f64 / 1e6);
        std::thread::sleep(Duration::from_millis(4));
    }
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() * 99 / 100])
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = support::env_number("N", 100_000);
    // Every request is held open for the whole bench: the queue stays as it is.
    let app_router = axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        axum::http::StatusCode::NOT_FOUND
    });
    let addr = support::serve(app_router, 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut config = Config::default();
    config.fetch.concurrency = 16;
    config.fetch.per_host = 16;
    let options = AppOptions {
        out_dir: Some(tmp.path().join("out")),
        config,
        config_path: Some(tmp.path().join("config.toml")),
        // Journaled, as the window runs: the engine's record of what is queued counts too.
        journal_dir: Some(tmp.path().join("journals")),
        ..AppOptions::default()
    };
    let mut h = harness(options.clone(), egui::vec2(1280.0, 900.0));
    h.step();
    let at_start = support::own_rss_mb(false);
    let text: String = (0..n)
        .map(|i| format!("http://{addr}/dataset/{i:06}/photo-{i}.jpg\n"))
        .collect();
    h.get_by_label("Image URLs").focus();
    h.step();
    h.event(egui::Event::Paste(text));
    let (_, parse_worst) = step_until(&mut h, "the pasted list parsed", |h| {
        h.query_by_label_contains("⬇ Download").is_some()
            && h.query_by_label_contains(&format!("{n} URLs")).is_some()
    });
    let parsed = support::own_rss_mb(false);
    h.get_by_label("⬇ Download").click();
    let (queued, queue_worst) = step_until(&mut h, "every row queued", |h| {
        app(h).items().totals().downloads == n
    });
    let rows = support::own_rss_mb(false);
    println!("Queue bench: {n} URLs, 16 downloading (held open by the server), window 1280×900");
    println!(
        "rows queued after Download: {:.0} ms",
        queued.as_secs_f64() * 1e3
    );
    println!(
        "longest frame (UI-thread CPU): {parse_worst:.1} ms while the paste is parsed, \
         {queue_worst:.1} ms from Download until every row is queued"
    );
    println!(
        "resident memory: {at_start:.0} MB at start, {parsed:.0} MB with the list pasted and \
         parsed, {rows:.0} MB with every row queued ({:.0} bytes per URL)",
        (rows - parsed) * 1e6 / n as f64
    );

    // The engine's word on each of the rows ("queued") arrives over the next frames.
    let (settling, settling_p99) = frame_cpu(&mut h, 60, |_| {});
    println!("frame CPU, the 60 frames after: median {settling:.2} ms, p99 {settling_p99:.2} ms");
    let (idle_median, idle_p99) = frame_cpu(&mut h, 200, |_| {});
    println!("frame CPU, queue on screen, idle: median {idle_median:.2} ms, p99 {idle_p99:.2} ms");
    h.hover_at(egui::pos2(180.0, 600.0));
    let (scroll_median, scroll_p99) = frame_cpu(&mut h, 300, |h| {
        wheel(h, -400.0);
    });
    println!(
        "frame CPU, scrolling the queue: median {scroll_median:.2} ms, p99 {scroll_p99:.2} ms"
    );

    // Only the rows in progress (here every one): the first frame finds them all.
    h.get_by_label_contains("In progress (").click();
    let (_, part_worst) = step_until(&mut h, "the rows in progress shown", |h| {
        h.query_all_by_label_contains("waiting for the server…")
            .next()
            .is_some()
    });
    let (part_median, part_p99) = frame_cpu(&mut h, 200, |_| {});
    println!(
        "queue showing the rows in progress: first frame {part_worst:.1} ms, then median \
         {part_median:.2} ms, p99 {part_p99:.2} ms"
    );
    println!("peak resident memory: {:.0} MB", support::own_rss_mb(true));

    // Quit with the list unfinished and open the window again: the engine resumes every
    // download from the folder's journal, and their rows come back.
    drop(h);
    let mut h = harness(options, egui::vec2(1280.0, 900.0));
    let (back, back_worst) = step_until(&mut h, "every row resumed", |h| {
        app(h).items().totals().downloads == n
    });
    println!(
        "reopened with {n} left unfinished: every row back in {:.0} ms, longest frame {back_worst:.1} ms",
        back.as_secs_f64() * 1e3
    );
}
