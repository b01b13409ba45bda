//! The headless front ends: `magpie fetch` (below) and `magpie thumbs` ([`thumbs`]).
//!
//! Reads URL lists from files or stdin, runs the engine, and reports as a terminal user or a
//! script expects: a progress bar on a terminal, plain lines otherwise, JSON lines with `--json`,
//! a summary at the end, and exit codes 0 (all saved), 1 (anything failed), 2 (usage), 130 (Ctrl-C).

mod args;
mod bursts;
mod feed;
mod pages;
mod report;
mod shard;
mod thumbs;

pub use args::FetchArgs;
pub use thumbs::{ThumbsArgs, thumbs};

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use url::Url;

use crate::config::{Config, FetchSettings};
use crate::engine::{Command, Engine, Event, JobId, JobInfo};
use crate::urls::Found;
use feed::{Feed, Source};
use pages::{dry_run, fetch_pages, page_jobs};
use report::Report;

/// Runs `magpie fetch` with the settings file at `config_path` (else the default one).
pub fn fetch(args: FetchArgs, config_path: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    // A headless run is batch work through and through; threads started later inherit it.
    crate::background::mark_current_thread();
    let config = match config_path.or_else(crate::config::default_path) {
        Some(path) => {
            let loaded = Config::load(&path);
            for w in &loaded.warnings {
                eprintln!("magpie fetch: warning: {w}");
            }
            loaded.config
        }
        None => Config::default(),
    };
    let inputs = if args.inputs.is_empty() && (args.resume || !args.pages.is_empty()) {
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
    // `{index}` is padded to the list's length when every input could be counted ahead.
    let mut counted = true;
    for input in &inputs {
        let opened = Source::open(input).and_then(|s| {
            estimate += s.estimate(args.base.as_ref())?;
            counted &= s.counted_ahead();
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
        .unwrap_or_else(|| config.window.folder_or_default());
    let journal_dir = crate::config::journal_dir();
    if args.resume && journal_dir.is_none() {
        eprintln!("magpie fetch: no data folder on this system, nothing to resume");
    }
    // Flags override the config file.
    let base = config.fetch_settings();
    let mut headers = base.headers.clone();
    headers.extend(args.headers.iter().cloned());
    let settings = FetchSettings {
        concurrency: args.concurrency.unwrap_or(base.concurrency),
        per_host: args.per_host.unwrap_or(base.per_host),
        max_total_bytes: args.max_total,
        user_agent: args.user_agent.clone().unwrap_or(base.user_agent.clone()),
        referer: args.referer.clone().unwrap_or(base.referer.clone()),
        proxy: args.proxy.clone().unwrap_or(base.proxy.clone()),
        cookies_file: args.cookies.clone().or(base.cookies_file.clone()),
        headers,
        archive: base.archive && !args.no_archive,
        template: args.template.clone().unwrap_or(base.template.clone()),
        write_metadata: base.write_metadata || args.write_metadata,
        remote_time: base.remote_time || args.remote_time,
        min_bytes: args.min_size.unwrap_or(base.min_bytes),
        max_size: args.max_size.unwrap_or(base.max_size),
        min_width: args.min_dim.map_or(base.min_width, |d| d.0),
        min_height: args.min_dim.map_or(base.min_height, |d| d.1),
        types: if args.types.is_empty() {
            base.types.clone()
        } else {
            args.types.clone()
        },
        ..base
    };
    if let Some(path) = &args.cookies
        && let Err(e) = crate::engine::cookies::CookieJar::load(path)
    {
        eprintln!("magpie fetch: {e}");
        return Ok(ExitCode::from(2));
    }
    if let Some(proxy) = &args.proxy
        && let Err(e) = reqwest::Proxy::all(proxy.as_str())
    {
        eprintln!("magpie fetch: --proxy {proxy}: {e}");
        return Ok(ExitCode::from(2));
    }
    let (rules, warnings) = crate::engine::net::RequestRules::new(&settings);
    for w in warnings {
        eprintln!("magpie fetch: warning: {w}");
    }
    for host in rules.insecure_hosts() {
        eprintln!(
            "magpie fetch: warning: certificates of {host} are not checked \
             (accept_invalid_certs in the config): anyone on the network could pose as it"
        );
    }
    let pages = match fetch_pages(&settings, &args.pages) {
        Ok(pages) => pages,
        Err(code) => return Ok(code),
    };
    if args.dry_run {
        return dry_run(
            sources,
            &pages,
            &args,
            &settings.template,
            counted.then_some(estimate),
        );
    }
    // Enough queued ahead that no slot waits for the list to be read, counting the downloads
    // that wait for a slow site or to try again without a slot (an old list's dead sites).
    let window = (settings.concurrency * 4).max(64) + crate::engine::waiting_limit(&settings);
    let engine = Engine::start_journaled(settings, journal_dir, None)
        .context("starting the download engine")?;
    let interrupted = watch_ctrl_c(&engine);

    // The engine opens (and locks) the folder, and with --resume takes over what a killed run
    // left pending there.
    engine.open_folder(&out_dir, args.resume);
    let mut folder = loop {
        match engine.recv() {
            Some(Event::FolderOpened { folder, .. }) => break folder,
            Some(Event::FolderFailed { error, .. }) => {
                eprintln!("magpie fetch: {error}");
                return Ok(ExitCode::from(2));
            }
            Some(_) => {}
            None => return Ok(ExitCode::from(130)),
        }
    };
    if folder.shared {
        eprintln!(
            "magpie fetch: another Magpie is using {}: its unfinished downloads are left to it, \
             and URLs it is fetching are skipped here",
            folder.dir.display()
        );
    }
    if args.resume && !folder.shared {
        let mut line = format!(
            "resuming: {} pending from the last run",
            folder.resumed.len()
        );
        if folder.recognised > 0 {
            line += &format!(", {} found already saved in the folder", folder.recognised);
        }
        if folder.parts_removed > 0 {
            line += &format!(
                ", {} leftover partial file(s) removed",
                folder.parts_removed
            );
        }
        eprintln!("{line}");
    }
    if folder.damaged_lines > 0 {
        eprintln!(
            "magpie fetch: {} damaged line(s) in the folder's journal were skipped",
            folder.damaged_lines
        );
    }
    // The history is only needed for this; a long one is not kept for the whole run.
    let history = std::mem::take(&mut folder.history);
    let already_saved: HashSet<Url> = if args.resume {
        history.saved().cloned().collect()
    } else {
        HashSet::new()
    };
    drop(history);
    estimate += folder.resumed.len() as u64;
    let mut url_of: HashMap<JobId, Url> = folder.resumed.iter().cloned().collect();
    let mut feed = Feed::new(sources, url_of.values(), args.base.clone());
    let mut report = Report::new(args.json, estimate);
    let full_urls = args.json && args.json_full_urls;
    let shown = |u: &Url| {
        if full_urls {
            u.to_string()
        } else {
            crate::format::redact_url(u)
        }
    };
    report.submitted(url_of.len());
    let in_shard = |u: &Url| args.shard.is_none_or(|s| s.contains(u));
    for page in &pages {
        let mine: Vec<(Url, JobInfo)> = page_jobs(page).filter(|(u, _)| in_shard(u)).collect();
        report.submitted(mine.len());
        let urls: Vec<Url> = mine.iter().map(|(u, _)| u.clone()).collect();
        let ids = engine.submit_jobs(&folder.dir, mine);
        url_of.extend(ids.into_iter().zip(urls));
    }
    let list_len = if counted { estimate } else { 0 };
    let mut listed = 0u64;
    let mut received: HashMap<JobId, u64> = HashMap::new();
    let mut feed_done = false;
    let mut events = bursts::Bursts::new(&engine);

    loop {
        // Top up the engine's queue from the lists once it is half empty: in batches, since
        // each batch is a claim in the folder's journal (a lock, a read and a write).
        let mut batch = Vec::new();
        let top_up = url_of.len() <= window / 2;
        while top_up && !feed_done && url_of.len() + batch.len() < window {
            let next = feed.next();
            if let Some((_, Found::Url(_))) = next {
                // Counted in every shard alike, so `{index}` means the place in the whole list.
                listed += 1;
            }
            match next {
                None => feed_done = true,
                Some((_, Found::Url(u))) if !in_shard(&u.url) => report.other_shard(),
                Some((_, Found::Url(u))) if already_saved.contains(&u.url) => {
                    report.already_saved();
                }
                Some((_, Found::Url(u))) => batch.push((u.url, listed)),
                Some((_, Found::Duplicate(d))) => report.duplicate(&d)?,
                Some((place, Found::Rejected(r))) => report.rejected(&place, &r)?,
            }
        }
        if !batch.is_empty() {
            report.submitted(batch.len());
            let urls: Vec<Url> = batch.iter().map(|(u, _)| u.clone()).collect();
            let ids = engine.submit_jobs(
                &folder.dir,
                batch.into_iter().map(|(url, n)| {
                    let info = JobInfo {
                        index: Some((n, list_len.max(n))),
                        ..JobInfo::default()
                    };
                    (url, info)
                }),
            );
            url_of.extend(ids.into_iter().zip(urls));
        }
        if url_of.is_empty() {
            break;
        }
        // The engine may report `Finished` between batches; the count of open jobs decides.
        // `None`: it shut down after Ctrl-C.
        let Some(event) = events.next() else {
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
                let url = url_of.remove(&id).map_or_else(String::new, |u| shown(&u));
                report.saved(&url, &saved)?;
            }
            Event::Failed { id, error } => {
                received.remove(&id);
                let url = url_of.remove(&id).map_or_else(String::new, |u| shown(&u));
                report.failed(&url, error.to_string())?;
            }
            Event::Cancelled { id } => {
                received.remove(&id);
                let url = url_of.remove(&id).map_or_else(String::new, |u| shown(&u));
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
            Event::Skipped { id, reason } => {
                received.remove(&id);
                let url = url_of.remove(&id).map_or_else(String::new, |u| shown(&u));
                report.skipped(&url, &reason)?;
            }
            Event::Host { host, state } => report.note(&state.describe(&host))?,
            Event::Finished
            | Event::PageFetched { .. }
            | Event::Previewed(_)
            | Event::Queued { .. }
            | Event::Started { .. }
            | Event::FolderOpened { .. }
            | Event::FolderFailed { .. }
            | Event::FolderClosed { .. } => {}
        }
    }
    drop(events);
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
            folder.dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if nothing && report.skipped_saved == 0 && report.other_shard == 0 {
        eprintln!("magpie fetch: no image URLs found in the input");
        return Ok(ExitCode::from(1));
    }
    report.finish(&folder.dir)?;
    Ok(if interrupted.load(Ordering::SeqCst) {
        ExitCode::from(130)
    } else if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// On Ctrl-C, stops every download (each removes its `.part` file; the journal keeps them pending
/// for `--resume`) and remembers it was asked; on a second Ctrl-C, exits at once.
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
                    eprintln!("\nmagpie fetch: stopping (press Ctrl-C again to quit at once)");
                }
                // A second Ctrl-C does not wait for anything, as aria2 does. What was running
                // stays pending in the journal; --resume finishes it and removes its .part files.
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!(
                        "magpie fetch: quit at once; `magpie fetch --resume` finishes the rest"
                    );
                    std::process::exit(130);
                }
            });
        });
    if let Err(e) = spawned {
        tracing::warn!("Ctrl-C will not cancel cleanly: {e}");
    }
    flag
}
