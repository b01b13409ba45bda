//! Thumbnail speed (not a test), on the same files in the same run:
//!
//! 1. One thread, ms per image to a 256 px thumbnail: Magpie's pipeline (JPEG shrink-on-load +
//!    SIMD resize), the `image` crate's full decode + `thumbnail()` (what Magpie did before), and
//!    Pillow with draft mode (libjpeg-turbo's shrink-on-load) when python3 has PIL; on the 12 MP
//!    photos, the 1024×768 ones, and ten of the 12 MP saved progressive.
//! 2. Two cores: `magpie thumbs -j 2` into an empty cache against Pillow in two processes saving
//!    the same PNG thumbnails; wall and CPU time, median of RUNS.
//!
//! Run: `cargo bench --bench thumbs` (env: BENCH_CORPUS=DIR with `jpeg_large/` and `jpeg/` from
//! `../shared/bench/make_corpus.py`; without it a photo-like corpus is generated; RUNS=5).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// CPU seconds used by this process's waited-for children so far (utime + stime).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the state field (3).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // cutime and cstime are fields 16 and 17, i.e. 13 and 14 after the state.
    (f.get(13).unwrap_or(&0.0) + f.get(14).unwrap_or(&0.0)) / 100.0
}

/// Runs `cmd`, returning (wall seconds, CPU seconds).
fn timed(cmd: &mut Command) -> (f64, f64) {
    let cpu = children_cpu();
    let t = Instant::now();
    let status = cmd.status().expect("run");
    assert!(status.success(), "{cmd:?} failed");
    (t.elapsed().as_secs_f64(), children_cpu() - cpu)
}

/// Photo-like JPEGs: a smooth colour field, grain, and hard edges (q85, 4:2:0).
fn generate(dir: &Path, count: usize, width: u32, height: u32) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("corpus dir");
    (0..count)
        .map(|i| {
            let path = dir.join(format!("photo_{i:04}.jpg"));
            if !path.exists() {
                let mut rng = fastrand::Rng::with_seed(i as u64);
                let (a, b, c) = (rng.f32(), rng.f32(), rng.f32());
                let img = image::RgbImage::from_fn(width, height, |x, y| {
                    let (u, v) = (x as f32 / width as f32, y as f32 / height as f32);
                    let grain = rng.u8(..24);
                    let edge = if (x / 97 + y / 89) % 7 == 0 { 60 } else { 0 };
                    image::Rgb([
                        ((u * 200.0 * a) as u8).wrapping_add(grain + edge),
                        ((v * 200.0 * b) as u8).wrapping_add(grain),
                        (((u + v) * 100.0 * c) as u8).wrapping_add(grain / 2 + edge),
                    ])
                });
                let file = std::fs::File::create(&path).expect("create");
                image::codecs::jpeg::JpegEncoder::new_with_quality(file, 85)
                    .encode_image(&img)
                    .expect("encode");
            }
            path
        })
        .collect()
}

/// The same photos saved progressive (as many web sites serve them), by libjpeg at q85.
fn progressive_copies(files: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("dir");
    files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let img = image::open(file).expect("open").to_rgb8();
            let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
            c.set_size(img.width() as usize, img.height() as usize);
            c.set_quality(85.0);
            c.set_progressive_mode();
            let mut c = c.start_compress(Vec::new()).expect("compress");
            c.write_scanlines(img.as_raw()).expect("encode");
            let path = dir.join(format!("progressive_{i:02}.jpg"));
            std::fs::write(&path, c.finish().expect("finish")).expect("write");
            path
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

fn per_image_ms(files: &[PathBuf], f: impl Fn(&Path)) -> f64 {
    let times = files
        .iter()
        .map(|p| {
            let t = Instant::now();
            f(p);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(times)
}

fn pillow_available() -> bool {
    Command::new("python3")
        .args(["-c", "import PIL"])
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (large, small) = match std::env::var_os("BENCH_CORPUS") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            (
                files_in(&dir.join("jpeg_large")),
                files_in(&dir.join("jpeg")),
            )
        }
        None => {
            eprintln!("generating a corpus (set BENCH_CORPUS to use make_corpus.py's)…");
            (
                generate(&tmp.path().join("large"), 50, 4000, 3000),
                generate(&tmp.path().join("small"), 200, 1024, 768),
            )
        }
    };
    let progressive = progressive_copies(&large[..large.len().min(10)], &tmp.path().join("prog"));
    let pillow = pillow_available();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/thumbs_pillow.py");

    println!("One thread, 256 px thumbnail, median ms per image (same files, same run)");
    println!(
        "{:<28} {:>12} {:>12} {:>12}",
        "", "12 MP JPEG", "1024×768 JPEG", "12 MP progr."
    );
    for (name, f) in [
        ("magpie (shrink-on-load)", magpie_thumb as fn(&Path)),
        ("image crate full decode", image_crate_thumb as fn(&Path)),
    ] {
        // Warm the page cache and the allocator first.
        per_image_ms(&large[..3], f);
        println!(
            "{name:<28} {:>12.2} {:>12.2} {:>12.2}",
            per_image_ms(&large, f),
            per_image_ms(&small, f),
            per_image_ms(&progressive, f)
        );
    }
    if pillow {
        let each = |files: &[PathBuf]| {
            let out = Command::new("python3")
                .arg(script)
                .arg("each")
                .args(files)
                .output()
                .expect("python3");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .unwrap_or(f64::NAN)
        };
        println!(
            "{:<28} {:>12.2} {:>12.2} {:>12.2}",
            "Pillow draft + thumbnail",
            each(&large),
            each(&small),
            each(&progressive)
        );
    } else {
        println!("(Pillow not installed: pip install Pillow to compare)");
    }

    println!(
        "\nTwo cores, {} photos of 12 MP into an empty cache, median of {runs}",
        large.len()
    );
    let bin = env!("CARGO_BIN_EXE_magpie");
    let (mut mw, mut mc, mut pw, mut pc) = (vec![], vec![], vec![], vec![]);
    for run in 0..runs {
        let cache = tmp.path().join(format!("cache-{run}"));
        let (w, c) = timed(
            Command::new(bin)
                .args(["thumbs", "-j", "2"])
                .args(&large)
                .env("XDG_CACHE_HOME", &cache)
                .stdout(std::process::Stdio::null()),
        );
        mw.push(w);
        mc.push(c);
        if pillow {
            let out = tmp.path().join(format!("pillow-{run}"));
            std::fs::create_dir_all(&out).expect("out");
            let half = large.len() / 2;
            let cpu = children_cpu();
            let t = Instant::now();
            let mut kids: Vec<_> = [&large[..half], &large[half..]]
                .iter()
                .enumerate()
                .map(|(k, files)| {
                    let dir = out.join(k.to_string());
                    std::fs::create_dir_all(&dir).expect("out");
                    Command::new("python3")
                        .arg(script)
                        .arg("save")
                        .arg(&dir)
                        .args(*files)
                        .spawn()
                        .expect("python3")
                })
                .collect();
            for k in &mut kids {
                assert!(k.wait().expect("wait").success());
            }
            pw.push(t.elapsed().as_secs_f64());
            pc.push(children_cpu() - cpu);
        }
    }
    let (w, c) = (median(mw), median(mc));
    println!(
        "magpie thumbs -j 2           wall {w:.3} s  CPU {c:.2} s  ({:.1} images/s)",
        large.len() as f64 / w
    );
    if pillow {
        let (pw, pc) = (median(pw), median(pc));
        println!(
            "Pillow draft, 2 processes    wall {pw:.3} s  CPU {pc:.2} s  ({:.1} images/s)",
            large.len() as f64 / pw
        );
        println!(
            "ratio magpie/Pillow: wall {:.2}×, CPU {:.2}×",
            w / pw,
            c / pc
        );
    }
}

fn magpie_thumb(path: &Path) {
    let px = magpie::thumbs::decode(path, 256).expect("decode");
    std::hint::black_box(px);
}

fn image_crate_thumb(path: &Path) {
    let img = image::open(path).expect("open").thumbnail(256, 256);
    std::hint::black_box(img);
}
