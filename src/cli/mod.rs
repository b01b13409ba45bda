//! The headless front end: `magpie fetch`.
//!
//! Reads URL lists from files or stdin, runs the engine, and reports as a terminal user or a
//! script expects: a progress bar on a terminal, plain lines otherwise, JSON lines with `--json`,
//! a summary at the end, and exit codes 0 (all saved), 1 (anything failed), 2 (usage), 130 (Ctrl-C).

mod feed;
mod report;

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use url::Url;

use crate::engine::{Command, Engine, Event, JobId};
use crate::journal::History;
use crate::settings::FetchSettings;
use crate::store::Store;
use crate::urls::Found;
use feed::{Feed, Source};
use report::Report;

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

    // Open every input first, so a typo in the last name fails before anything downloads.
    let mut sources = Vec::new();
    let mut estimate = 0;
    for input in &inputs {
        let opened = Source::open(input).and_then(|s| {
            estimate += s.estimate(args.base.as_ref())?;
            Ok(s)
        });
        match opened {
            Ok(source) => sources.push(source),
            Err(e) => {
                eprintln!("magpie fetch: {e:#}");
                return Ok(ExitCode::from(2));
            }
        }
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
    let history = if args.resume {
        resume_from_journal(&store, journal_dir.as_deref())
    } else {
        History::default()
    };
    let pending: Vec<Url> = history.pending().cloned().collect();
    let already_saved: HashSet<Url> = history.saved().cloned().collect();
    drop(history);
    estimate += pending.len() as u64;

    let settings = FetchSettings {
        concurrency: args.concurrency,
        per_host: args.per_host,
        journal_dir,
        ..FetchSettings::default()
    };
    // Enough queued ahead that no slot waits for the list to be read.
    let window = (settings.concurrency * 4).max(64);
    let engine = Engine::start(settings, None).context("starting the download engine")?;
    let interrupted = watch_ctrl_c(&engine);

    let mut feed = Feed::new(sources, pending, args.base.clone());
    let mut report = Report::new(args.json, estimate);
    let mut url_of: HashMap<JobId, Url> = HashMap::new();
    let mut received: HashMap<JobId, u64> = HashMap::new();
    let mut feed_done = false;

    loop {
        // Top up the engine's queue from the lists.
        let mut batch = Vec::new();
        while !feed_done && url_of.len() + batch.len() < window {
            match feed.next() {
                None => feed_done = true,
                Some((_, Found::Url(u))) if already_saved.contains(&u.url) => {
                    report.already_saved();
                }
                Some((_, Found::Url(u))) => batch.push(u.url),
                Some((_, Found::Duplicate(d))) => report.duplicate(&d)?,
                Some((place, Found::Rejected(r))) => report.rejected(&place, &r)?,
            }
        }
        if !batch.is_empty() {
            report.submitted(batch.len());
            let ids = engine.submit(&store, batch.iter().cloned());
            url_of.extend(ids.into_iter().zip(batch));
        }
        if url_of.is_empty() {
            break;
        }
        // The engine may report `Finished` between batches; the count of open jobs decides.
        // `None`: it shut down after Ctrl-C.
        let Some(event) = engine.recv() else {
            break;
        };
        match event {
            Event::Progress {
                id, received: r, ..
            } => {
                let last = received.insert(id, r).unwrap_or(0);
                report.bytes(r.saturating_sub(last));
            }
            Event::Saved { id, saved } => {
                let last = received.remove(&id).unwrap_or(0);
                report.bytes(saved.bytes.saturating_sub(last));
                let url = url_of.remove(&id).map(String::from).unwrap_or_default();
                report.saved(&url, &saved)?;
            }
            Event::Failed { id, error } => {
                received.remove(&id);
                let url = url_of.remove(&id).map(String::from).unwrap_or_default();
                report.failed(&url, error.to_string())?;
            }
            Event::Cancelled { id } => {
                received.remove(&id);
                let url = url_of.remove(&id).map(String::from).unwrap_or_default();
                report.cancelled(&url)?;
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
            Event::Finished | Event::Queued { .. } | Event::Started { .. } => {}
        }
    }
    drop(engine);
    for e in &feed.errors {
        eprintln!("magpie fetch: {e}");
    }

    let nothing = report.submitted == 0;
    let clean = report.failed == 0
        && report.rejected == 0
        && report.cancelled == 0
        && feed.errors.is_empty();
    if nothing && args.resume && clean {
        eprintln!(
            "magpie fetch: nothing left to fetch into {}",
            store.dir().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if nothing && report.skipped_saved == 0 {
        eprintln!("magpie fetch: no image URLs found in the input");
        return Ok(ExitCode::from(1));
    }
    report.finish(store.dir())?;
    Ok(if interrupted.load(Ordering::SeqCst) {
        ExitCode::from(130)
    } else if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reads what the journal of `store`'s folder remembers, tidies the journal, and clears `.part`
/// files a killed run left behind.
fn resume_from_journal(store: &Store, journal_dir: Option<&std::path::Path>) -> History {
    let Some(journal_dir) = journal_dir else {
        eprintln!("magpie fetch: no data folder on this system, nothing to resume");
        return History::default();
    };
    let path = crate::journal::path_for(journal_dir, store.dir());
    let history = crate::journal::load(&path);
    if let Err(e) = crate::journal::compact(&path, &history) {
        tracing::warn!("cannot tidy the journal {}: {e}", path.display());
    }
    let stale = store.remove_stale_parts();
    eprintln!(
        "resuming: {} pending from the last run{}",
        history.pending().count(),
        if stale > 0 {
            format!(", {stale} leftover partial file(s) removed")
        } else {
            String::new()
        }
    );
    history
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
