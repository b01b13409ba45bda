//! The headless front end: `magpie fetch`.
//!
//! Reads URL lists from files or stdin, runs the engine, and reports as a terminal user or a
//! script expects: a progress bar on a terminal, plain lines otherwise, JSON lines with `--json`,
//! a summary at the end, and exit codes 0 (all saved), 1 (anything failed), 2 (usage), 130 (Ctrl-C).

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use url::Url;

use crate::engine::{Command, Engine, Event, JobId, human_bytes};
use crate::settings::FetchSettings;
use crate::store::Store;
use crate::urls::{self, UrlList};

/// Options of `magpie fetch`.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Folder to save into [default: your Pictures folder + Magpie]
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Downloads at once, across all hosts
    #[arg(short = 'j', long, value_name = "N", default_value_t = FetchSettings::default().concurrency,
          value_parser = clap::value_parser!(u16).range(1..=1024).map(usize::from))]
    pub concurrency: usize,
    /// Downloads at once to one host
    #[arg(long, value_name = "N", default_value_t = FetchSettings::default().per_host,
          value_parser = clap::value_parser!(u16).range(1..=1024).map(usize::from))]
    pub per_host: usize,
    /// Print one JSON object per URL on stdout (url, status, path, bytes, error)
    #[arg(long)]
    pub json: bool,
    /// Also fetch what an earlier run into this folder left pending (after a crash or Ctrl-C),
    /// and skip URLs it already saved
    #[arg(long)]
    pub resume: bool,
    /// Page address that relative links in HTML input are resolved against
    #[arg(long, value_name = "URL")]
    pub base: Option<Url>,
    /// URL lists (text, CSV, Markdown or HTML); `-` or nothing reads stdin
    #[arg(value_name = "FILE|-")]
    pub inputs: Vec<String>,
}

/// One result line of `--json`.
#[derive(Debug, Serialize)]
struct JsonLine<'a> {
    url: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

/// Runs `magpie fetch`.
pub fn fetch(args: FetchArgs) -> anyhow::Result<ExitCode> {
    let inputs = if args.inputs.is_empty() && args.resume {
        Vec::new()
    } else if args.inputs.is_empty() {
        if std::io::stdin().is_terminal() {
            eprintln!(
                "magpie fetch: give a URL list file, or pipe URLs in (use - for stdin).\n\
                 Example: magpie fetch --out ~/Pictures/cats urls.txt"
            );
            return Ok(ExitCode::from(2));
        }
        vec!["-".to_string()]
    } else {
        args.inputs.clone()
    };

    let mut list = UrlList::default();
    let mut rejected_lines = Vec::new();
    for input in &inputs {
        let (bytes, label) = match read_input(input) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("magpie fetch: {e:#}");
                return Ok(ExitCode::from(2));
            }
        };
        let parsed = urls::parse_bytes(&bytes, args.base.as_ref());
        for r in &parsed.rejected {
            rejected_lines.push((format!("{label}:{}", r.line), r.clone()));
        }
        list.merge(parsed);
    }

    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(crate::settings::default_output_dir);
    let store = match Store::open(&out_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("magpie fetch: {e}");
            return Ok(ExitCode::from(2));
        }
    };

    let journal_dir = crate::settings::journal_dir();
    if args.resume {
        resume_from_journal(&mut list, &store, journal_dir.as_deref());
    }

    let mut out = std::io::stdout().lock();
    let human = !args.json;
    for (place, r) in &rejected_lines {
        if args.json {
            json_line(
                &mut out,
                &JsonLine {
                    url: &r.text,
                    status: "rejected",
                    path: None,
                    bytes: None,
                    error: Some(r.reason.to_string()),
                    line: Some(r.line),
                },
            )?;
        } else {
            eprintln!("skipped {place}: {} ({})", r.reason, r.text);
        }
    }
    for d in &list.duplicates {
        if args.json {
            json_line(
                &mut out,
                &JsonLine {
                    url: d.url.as_str(),
                    status: "duplicate",
                    path: None,
                    bytes: None,
                    error: None,
                    line: Some(d.line),
                },
            )?;
        }
    }
    if list.urls.is_empty() && args.resume && rejected_lines.is_empty() {
        eprintln!(
            "magpie fetch: nothing left to fetch into {}",
            store.dir().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if list.urls.is_empty() {
        eprintln!("magpie fetch: no image URLs found in the input");
        return Ok(ExitCode::from(1));
    }

    let settings = FetchSettings {
        concurrency: args.concurrency,
        per_host: args.per_host,
        journal_dir,
        ..FetchSettings::default()
    };
    let engine = Engine::start(settings, None).context("starting the download engine")?;
    let interrupted = watch_ctrl_c(&engine);

    let urls: Vec<Url> = list.urls.iter().map(|u| u.url.clone()).collect();
    let ids = engine.submit(&store, urls.iter().cloned());
    let url_of: HashMap<JobId, &Url> = ids.iter().copied().zip(urls.iter()).collect();

    let bar = if human && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(urls.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} files [{wide_bar}] {msg} · ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Some(bar)
    } else {
        None
    };

    let started = Instant::now();
    let mut received: HashMap<JobId, u64> = HashMap::new();
    let mut total_bytes: u64 = 0;
    let mut saved = 0usize;
    let mut saved_bytes = 0u64;
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut cancelled = 0usize;

    // Ends at `Finished`, or when the engine shuts down after Ctrl-C and its channel closes.
    while let Some(event) = engine.recv() {
        match event {
            Event::Progress {
                id, received: r, ..
            } => {
                let last = received.insert(id, r).unwrap_or(0);
                total_bytes += r.saturating_sub(last);
            }
            Event::Saved { id, saved: s } => {
                let last = received.remove(&id).unwrap_or(0);
                total_bytes += s.bytes.saturating_sub(last);
                saved += 1;
                saved_bytes += s.bytes;
                let url = url_of.get(&id).map_or("", |u| u.as_str());
                if args.json {
                    json_line(
                        &mut out,
                        &JsonLine {
                            url,
                            status: "saved",
                            path: Some(s.path.display().to_string()),
                            bytes: Some(s.bytes),
                            error: None,
                            line: None,
                        },
                    )?;
                } else if bar.is_none() {
                    writeln!(out, "saved {url} -> {}", s.path.display())?;
                }
                if let Some(b) = &bar {
                    b.inc(1);
                }
            }
            Event::Failed { id, error } => {
                received.remove(&id);
                let url = url_of.get(&id).map_or("", |u| u.as_str());
                let reason = error.to_string();
                if args.json {
                    json_line(
                        &mut out,
                        &JsonLine {
                            url,
                            status: "failed",
                            path: None,
                            bytes: None,
                            error: Some(reason.clone()),
                            line: None,
                        },
                    )?;
                } else {
                    let line = format!("failed {url}: {reason}");
                    match &bar {
                        Some(b) => b.println(line),
                        None => writeln!(out, "{line}")?,
                    }
                }
                if let Some(b) = &bar {
                    b.inc(1);
                }
                failures.push((url.to_string(), reason));
            }
            Event::Cancelled { id } => {
                received.remove(&id);
                cancelled += 1;
                if args.json {
                    let url = url_of.get(&id).map_or("", |u| u.as_str());
                    json_line(
                        &mut out,
                        &JsonLine {
                            url,
                            status: "cancelled",
                            path: None,
                            bytes: None,
                            error: None,
                            line: None,
                        },
                    )?;
                }
            }
            Event::Retrying {
                id, wait, reason, ..
            } => {
                tracing::info!(
                    url = url_of.get(&id).map_or("", |u| u.as_str()),
                    "retrying in {:.1} s after: {reason}",
                    wait.as_secs_f64()
                );
            }
            Event::Finished => break,
            Event::Queued { .. } | Event::Started { .. } => {}
        }
        if let Some(b) = &bar {
            let secs = started.elapsed().as_secs_f64().max(0.001);
            b.set_message(format!(
                "{} · {}/s",
                human_bytes(total_bytes),
                human_bytes((total_bytes as f64 / secs) as u64)
            ));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    drop(engine);

    let elapsed = started.elapsed().as_secs_f64();
    let mut summary = format!(
        "saved {saved} of {} ({}) in {elapsed:.1} s into {}",
        urls.len(),
        human_bytes(saved_bytes),
        store.dir().display()
    );
    if !failures.is_empty() {
        summary += &format!(" · {} failed", failures.len());
    }
    if cancelled > 0 {
        summary += &format!(" · {cancelled} cancelled");
    }
    if !list.duplicates.is_empty() {
        summary += &format!(" · {} duplicate(s) skipped", list.duplicates.len());
    }
    if !rejected_lines.is_empty() {
        summary += &format!(" · {} input line(s) rejected", rejected_lines.len());
    }
    if human {
        if !failures.is_empty() {
            writeln!(out, "\nFailed:")?;
            for (url, reason) in &failures {
                writeln!(out, "  {url}: {reason}")?;
            }
        }
        writeln!(out, "{summary}")?;
    } else {
        eprintln!("{summary}");
    }
    out.flush()?;

    Ok(if interrupted.load(Ordering::SeqCst) {
        ExitCode::from(130)
    } else if failures.is_empty() && rejected_lines.is_empty() && cancelled == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Adds what the journal of `store`'s folder left pending, drops URLs it already saved, and
/// clears `.part` files a killed run left behind.
fn resume_from_journal(list: &mut UrlList, store: &Store, journal_dir: Option<&std::path::Path>) {
    let Some(journal_dir) = journal_dir else {
        eprintln!("magpie fetch: no data folder on this system, nothing to resume");
        return;
    };
    let path = crate::journal::path_for(journal_dir, store.dir());
    let history = crate::journal::load(&path);
    let before = list.urls.len();
    list.urls.retain(|u| !history.was_saved(&u.url));
    let skipped = before - list.urls.len();
    let pending: Vec<Url> = history.pending().cloned().collect();
    let resumed = pending.len();
    list.merge(UrlList {
        urls: pending
            .into_iter()
            .map(|url| crate::urls::ListedUrl { url, line: 0 })
            .collect(),
        ..UrlList::default()
    });
    if let Err(e) = crate::journal::compact(&path, &history) {
        tracing::warn!("cannot tidy the journal {}: {e}", path.display());
    }
    let stale = store.remove_stale_parts();
    eprintln!(
        "resuming: {resumed} pending from the last run, {skipped} already saved skipped{}",
        if stale > 0 {
            format!(", {stale} leftover partial file(s) removed")
        } else {
            String::new()
        }
    );
}

fn read_input(input: &str) -> anyhow::Result<(Vec<u8>, String)> {
    if input == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read stdin")?;
        Ok((bytes, "stdin".to_string()))
    } else {
        let bytes = std::fs::read(input).with_context(|| format!("cannot read {input}"))?;
        Ok((bytes, input.to_string()))
    }
}

fn json_line(out: &mut impl Write, line: &JsonLine<'_>) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    writeln!(out)?;
    Ok(())
}

/// On Ctrl-C, stops every download (each removes its `.part` file; the journal keeps them pending
/// for `--resume`) and remembers it was asked.
fn watch_ctrl_c(engine: &Engine) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let handle = engine.handle();
    let set = flag.clone();
    let spawned = std::thread::Builder::new()
        .name("magpie-ctrl-c".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if tokio::signal::ctrl_c().await.is_ok() {
                    set.store(true, Ordering::SeqCst);
                    handle.send(Command::Shutdown);
                }
            });
        });
    if let Err(e) = spawned {
        tracing::warn!("Ctrl-C will not cancel cleanly: {e}");
    }
    flag
}
