//! `magpie thumbs`: fills the shared thumbnail cache for files and folders, so galleries and file
//! managers open them at once, and measures the thumbnail pipeline (count, time, images/s).

use std::io::{self, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::thumbs::cache::{Origin, thumbnail_from};
use crate::thumbs::{CacheSize, ThumbCache, is_image_file};

/// Options of `magpie thumbs`.
#[derive(Debug, Clone, clap::Args)]
pub struct ThumbsArgs {
    /// Thumbnail size: normal 128 px, large 256 px (the gallery's), x-large 512, xx-large 1024
    #[arg(long, value_enum, default_value = "large")]
    pub size: CacheSize,
    /// Images decoded at once [default: one per core]
    #[arg(short = 'j', long, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Image files, or folders (searched with their subfolders)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// What one run did.
#[derive(Debug, Default)]
struct Tally {
    made: AtomicUsize,
    cached: AtomicUsize,
    small: AtomicUsize,
    no_preview: AtomicUsize,
    failed: AtomicUsize,
}

/// Runs `magpie thumbs`.
pub fn thumbs(args: ThumbsArgs) -> anyhow::Result<ExitCode> {
    // A headless run is batch work through and through; the workers inherit it.
    crate::background::mark_current_thread();
    let Some(cache) = ThumbCache::user() else {
        eprintln!("magpie thumbs: no cache folder on this system (set XDG_CACHE_HOME)");
        return Ok(ExitCode::from(2));
    };
    // A path that cannot be read is named and the others still run, as a bad line in a list.
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for path in &args.paths {
        collect(path, &mut files, &mut unreadable);
    }
    for (path, e) in &unreadable {
        eprintln!("magpie thumbs: {}: {e}", path.display());
    }
    if files.is_empty() && !unreadable.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let jobs = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(crate::thumbs::Thumbnailer::default_threads)
        .min(files.len().max(1));
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{pos}/{len} images [{wide_bar}] {per_sec} · ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });

    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let tally = Tally::default();
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for i in 0..jobs {
            let work = || {
                while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let counter = match thumbnail_from(&cache, file, args.size) {
                        Ok((_, Origin::Made)) => &tally.made,
                        Ok((_, Origin::Cached)) => &tally.cached,
                        Ok((_, Origin::Small)) => &tally.small,
                        Err(crate::thumbs::ThumbError::NoPreview(_)) => &tally.no_preview,
                        Err(e) => {
                            if let Ok(mut f) = failures.lock() {
                                f.push((file.clone(), e));
                            }
                            &tally.failed
                        }
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
                }
            };
            let spawned = std::thread::Builder::new()
                .name(format!("magpie-thumbs-{i}"))
                .spawn_scoped(scope, work);
            if let Err(e) = spawned {
                eprintln!("magpie thumbs: cannot start a worker: {e}");
            }
        }
    });
    let elapsed = started.elapsed();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    let failures = failures.into_inner().unwrap_or_default();
    for (file, error) in &failures {
        eprintln!("magpie thumbs: {}: {error}", file.display());
    }
    let count = files.len();
    let rate = count as f64 / elapsed.as_secs_f64().max(1e-9);
    let no_preview = match tally.no_preview.load(Ordering::Relaxed) {
        0 => String::new(),
        n => format!("{n} without a preview (HEIC, AVIF), "),
    };
    println!(
        "{count} images in {:.2} s ({rate:.1} images/s, {jobs} at once): {} made, {} already \
         cached, {} small enough to show as they are, {no_preview}{} failed",
        elapsed.as_secs_f64(),
        tally.made.load(Ordering::Relaxed),
        tally.cached.load(Ordering::Relaxed),
        tally.small.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    println!("cache: {}", cache.root().join(args.size.folder()).display());
    Ok(if failures.is_empty() && unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The image files at `path`: the file itself, or those in a folder and its subfolders (sorted,
/// hidden entries and symbolic links to folders left out). A path or subfolder that cannot be
/// read goes to `unreadable`, with why.
fn collect(path: &Path, out: &mut Vec<PathBuf>, unreadable: &mut Vec<(PathBuf, io::Error)>) {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            unreadable.push((path.to_path_buf(), e));
            return;
        }
    };
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return;
    }
    let mut stack = vec![path.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                unreadable.push((dir, e));
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let p = entry.path();
            if kind.is_dir() {
                stack.push(p);
            } else if is_image_file(&p) {
                found.push(p);
            }
        }
    }
    found.sort();
    out.extend(found);
}
