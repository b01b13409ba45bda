//! The gallery with 10,000 12-megapixel photos (not a test): the window's own code, headless
//! through egui_kittest (layout and textures as in the app; no GPU).
//!
//! 1. Cold: an empty thumbnail cache; the time from opening the window until the first screen of
//!    tiles is drawn. The folder is listed newest first, a slice per frame, and later slices go
//!    below the first: that screen is final as soon as it is drawn, listed or not.
//! 2. A fast wheel scroll through the folder, then stop: the time until every tile on screen is
//!    drawn (requests for tiles scrolled past are dropped, so this does not wait for them).
//! 3. Steady scrolling: CPU time of each frame on the UI thread, median and p99.
//! 4. Warm: the window opened again on the same folder; the time from opening until the first
//!    screen is drawn from the shared cache.
//!
//! 5. Typing `photo_0123` into the gallery's filter, a key a frame: the longest frame's CPU (each
//!    keystroke is a pass over every tile), and the matches' first screen drawn.
//!
//! With each opening: the time until every image is listed, and the longest frame meanwhile.
//! 6. Peak resident memory of the whole run.
//!
//! The 10,000 files are hard links to 50 photos (distinct paths, distinct cache entries, real
//! decodes) so the bench needs 100 MB of disk, not 20 GB; their bytes are in the page cache, so
//! "cold" means no thumbnails, not a cold disk.
//!
//! Run: `cargo bench --bench gallery` (env: BENCH_CORPUS=DIR with `jpeg_large/` from
//! `../shared/bench/make_corpus.py`, else 50 photo-like JPEGs are generated; N=10000; PPP=2 for a
//! HiDPI screen, where 200-point tiles take 512 px thumbnails instead of 256 px ones).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use magpie::config::Config;
use magpie::thumbs::ThumbCache;
use magpie::ui::{AppOptions, MagpieApp};
use support::window::{App, app, harness_scaled, thread_cpu_ns, wheel};

mod support;

fn peak_rss_mb() -> f64 {
    support::own_rss_mb(true)
}

fn step_until(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&MagpieApp) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        h.step();
        if done(app(h)) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn screen_drawn(a: &MagpieApp) -> bool {
    let (done, total) = a.tiles_on_screen();
    total > 0 && done == total
}

fn photos(tmp: &Path) -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("BENCH_CORPUS") {
        let mut v: Vec<PathBuf> = std::fs::read_dir(Path::new(&dir).join("jpeg_large"))
            .expect("corpus")
            .map(|e| e.expect("entry").path())
            .collect();
        v.sort();
        return v;
    }
    eprintln!("generating 50 photos (set BENCH_CORPUS to use make_corpus.py's)…");
    let dir = tmp.join("src");
    std::fs::create_dir_all(&dir).expect("dir");
    (0..50u64)
        .map(|i| {
            let path = dir.join(format!("p{i}.jpg"));
            let mut rng = fastrand::Rng::with_seed(i);
            let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
                let g = rng.u8(..24);
                image::Rgb([(x / 16) as u8 ^ g, (y / 12) as u8 ^ g, (i * 5) as u8])
            });
            let file = std::fs::File::create(&path).expect("create");
            image::codecs::jpeg::JpegEncoder::new_with_quality(file, 85)
                .encode_image(&img)
                .expect("encode");
            path
        })
        .collect()
}

/// Opens the window on the folder of `n` images: (first screen drawn, every image listed, the
/// UI thread's CPU in the longest frame until both), each time from opening.
fn open(
    options: &AppOptions,
    n: usize,
    pixels_per_point: f32,
) -> (Harness<'static, App>, Duration, Duration, f64) {
    let opened = Instant::now();
    let mut h = harness_scaled(
        options.clone(),
        egui::vec2(1600.0, 1000.0),
        pixels_per_point,
    );
    let (mut drawn, mut listed, mut worst) = (None, None, 0.0f64);
    loop {
        let cpu = thread_cpu_ns();
        h.step();
        worst = worst.max((thread_cpu_ns() - cpu) as f64 / 1e6);
        let a = app(&h);
        if drawn.is_none() && screen_drawn(a) {
            drawn = Some(opened.elapsed());
        }
        if listed.is_none() && a.items().len() >= n {
            listed = Some(opened.elapsed());
        }
        if let (Some(drawn), Some(listed)) = (drawn, listed) {
            return (h, drawn, listed, worst);
        }
        assert!(
            opened.elapsed() < Duration::from_secs(120),
            "timed out opening"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Scrolls a wheel step a frame for `frames` frames: the UI thread's CPU per frame, median and
/// p99, in ms.
fn scrolling_frames(h: &mut Harness<'_, App>, frames: usize) -> (f64, f64) {
    let mut cpu_ms = Vec::new();
    for _ in 0..frames {
        wheel(h, -60.0);
        let cpu = thread_cpu_ns();
        h.step();
        cpu_ms.push((thread_cpu_ns() - cpu) as f64 / 1e6);
        std::thread::sleep(Duration::from_millis(4));
    }
    cpu_ms.sort_by(f64::total_cmp);
    (cpu_ms[cpu_ms.len() / 2], cpu_ms[cpu_ms.len() * 99 / 100])
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = support::env_number("N", 10_000);
    let pixels_per_point = support::env_number("PPP", 1) as f32;
    let tmp = tempfile::tempdir().expect("tempdir");
    let sources = photos(tmp.path());
    let folder = tmp.path().join("photos");
    std::fs::create_dir_all(&folder).expect("folder");
    for i in 0..n {
        std::fs::hard_link(
            &sources[i % sources.len()],
            folder.join(format!("photo_{i:05}.jpg")),
        )
        .expect("link");
    }
    let cache = ThumbCache::at(tmp.path().join("thumbnails"));
    let options = AppOptions {
        out_dir: Some(folder.clone()),
        config: Config::default(),
        thumb_cache: Some(cache),
        // Journaled, as the window runs.
        journal_dir: Some(tmp.path().join("journals")),
        ..AppOptions::default()
    };

    println!(
        "Gallery bench: {n} photos of 12 MP, window 1600×1000 points at {pixels_per_point} px \
         a point, thumbnail pool of {} threads",
        magpie::thumbs::Thumbnailer::default_threads()
    );
    let (mut h, first, listed, worst) = open(&options, n, pixels_per_point);
    let (_, tiles) = app(&h).tiles_on_screen();
    println!(
        "folder listed ({n} items): {:.0} ms from opening, longest frame {worst:.1} ms",
        listed.as_secs_f64() * 1e3
    );
    println!(
        "first screen ({tiles} tiles), empty cache: {:.0} ms from opening",
        first.as_secs_f64() * 1e3
    );

    // A fast flick: 40 frames of big wheel steps, then the hand stops.
    h.hover_at(egui::pos2(1100.0, 500.0));
    for _ in 0..40 {
        wheel(&mut h, -1500.0);
        h.step();
    }
    for _ in 0..30 {
        h.step(); // let the smooth scroll come to rest
    }
    let before = app(&h).thumbnails_loaded();
    let settle = step_until(&mut h, "tiles after a fast scroll", screen_drawn);
    println!(
        "after a fast scroll stops, tiles on screen drawn in {:.0} ms (target ≤ 1000 ms); \
         thumbnails made: {before} before, {} after",
        settle.as_secs_f64() * 1e3,
        app(&h).thumbnails_loaded()
    );

    // Steady scrolling: per-frame CPU on the UI thread.
    let (median, p99) = scrolling_frames(&mut h, 300);
    println!(
        "frame CPU while scrolling: median {median:.2} ms, p99 {p99:.2} ms (targets ≤ 8 / ≤ 16 ms)"
    );
    let rss_one = peak_rss_mb();
    drop(h);

    // Reopen on the same folder: the first screen comes from the shared cache.
    let (mut h, first, listed, worst) = open(&options, n, pixels_per_point);
    println!(
        "folder listed again: {:.0} ms from opening, longest frame {worst:.1} ms",
        listed.as_secs_f64() * 1e3
    );
    println!(
        "first screen after reopening, warm cache: {:.0} ms from opening (target ≤ 300 ms)",
        first.as_secs_f64() * 1e3
    );

    // The filter, typed a key a frame.
    h.get_by_label("🔍 Filter").focus();
    h.step();
    let (mut longest, start) = (0f64, Instant::now());
    for key in "photo_0123".chars() {
        h.get_by_label("🔍 Filter").type_text(&key.to_string());
        let cpu = thread_cpu_ns();
        h.step();
        longest = longest.max((thread_cpu_ns() - cpu) as f64 / 1e6);
    }
    let shown = step_until(&mut h, "the filter's matches", screen_drawn) + start.elapsed();
    println!(
        "filter typed a key a frame over {n} tiles: longest frame {longest:.1} ms CPU; \
         {} matches drawn {:.0} ms after the first key",
        app(&h).tiles_on_screen().1,
        shown.as_secs_f64() * 1e3
    );

    // Every tile selected (Ctrl+A), then scrolling with all of them tinted and ticked.
    h.get_by_label("✖").click();
    h.step();
    h.key_press(egui::Key::Escape); // out of the filter box
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    let cpu = thread_cpu_ns();
    h.step();
    let select_all = (thread_cpu_ns() - cpu) as f64 / 1e6;
    let all = format!("{} selected", magpie::format::count(n));
    assert!(h.query_by_label(&all).is_some(), "{all}");
    let (median, p99) = scrolling_frames(&mut h, 100);
    println!(
        "Ctrl+A over {n} tiles: {select_all:.1} ms CPU in its frame; frame CPU while scrolling \
         with all selected: median {median:.2} ms, p99 {p99:.2} ms"
    );
    drop(h);
    println!(
        "peak resident memory: {rss_one:.0} MB after the first window, {:.0} MB in all (target ≤ 300 MB)",
        peak_rss_mb()
    );
}
