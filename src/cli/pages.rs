//! `magpie fetch`'s pages and dry runs: the images on each `--page`, fetched before the lists
//! are read, and `--dry-run`, which lists what a fetch would take without touching the folder.

use std::process::ExitCode;

use url::Url;

use super::args::FetchArgs;
use super::feed::{Feed, Source};
use crate::config::FetchSettings;
use crate::engine::{Command, Engine, Event, JobInfo, Page};
use crate::urls::Found;

/// A page's images as jobs: the page as their Referer and its title for `{page_title}`,
/// numbered in page order.
pub(super) fn page_jobs(page: &Page) -> impl Iterator<Item = (Url, JobInfo)> + '_ {
    let of = page.images.len() as u64;
    page.images.iter().enumerate().map(move |(i, url)| {
        let info = JobInfo {
            page: Some(Box::new(page.url.clone())),
            page_title: page.title.as_deref().map(Box::from),
            index: Some((i as u64 + 1, of)),
            again: false,
        };
        (url.clone(), info)
    })
}

/// `--dry-run`: the URLs `fetch` would take from the lists (after duplicates, rejected lines and
/// `--shard`), one per line on stdout, with a count on stderr. The folder is not touched, so
/// what an earlier run saved there is listed too.
pub(super) fn dry_run(
    sources: Vec<Source>,
    pages: &[Page],
    args: &FetchArgs,
    template: &crate::store::Template,
    list_len: Option<u64>,
) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // With a name template, each URL is followed by a tab and the name it would get.
    let line = |out: &mut std::io::BufWriter<_>, url: &Url, info: &JobInfo| {
        if template.is_default() {
            writeln!(out, "{url}")
        } else {
            let name = crate::engine::preview_name(template, url, info);
            writeln!(out, "{url}\t{name}")
        }
    };
    let page_images: Vec<&Url> = pages.iter().flat_map(|p| p.images.iter()).collect();
    let mut feed = Feed::new(sources, page_images.iter().copied(), args.base.clone());
    let (mut listed, mut other_shard, mut duplicates, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    for (url, info) in pages.iter().flat_map(page_jobs) {
        if args.shard.is_some_and(|s| !s.contains(&url)) {
            other_shard += 1;
        } else {
            listed += 1;
            line(&mut out, &url, &info)?;
        }
    }
    let mut n = 0;
    for (place, found) in &mut feed {
        if let Found::Url(_) = found {
            n += 1;
        }
        match found {
            Found::Url(u) if args.shard.is_some_and(|s| !s.contains(&u.url)) => other_shard += 1,
            Found::Url(u) => {
                listed += 1;
                let info = JobInfo {
                    index: Some((n, list_len.unwrap_or(0).max(n))),
                    ..JobInfo::default()
                };
                line(&mut out, &u.url, &info)?;
            }
            Found::Duplicate(_) => duplicates += 1,
            Found::Rejected(r) => {
                rejected += 1;
                eprintln!(
                    "skipped {place}: {} ({})",
                    r.reason,
                    crate::format::visible(&r.text)
                );
            }
        }
    }
    out.flush()?;
    for e in &feed.errors {
        eprintln!("magpie fetch: {e}");
    }
    let mut summary = format!("{listed} URL(s) would be fetched");
    for (n, what) in [
        (other_shard, "in other shards"),
        (duplicates, "duplicate(s)"),
        (rejected, "input line(s) rejected"),
    ] {
        if n > 0 {
            summary += &format!(" · {n} {what}");
        }
    }
    eprintln!("{summary}");
    Ok(if rejected == 0 && feed.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Fetches each `--page` (on an engine of its own, with the run's settings) and says what was
/// found on stderr; a page that cannot be fetched is a usage error (exit 2).
pub(super) fn fetch_pages(settings: &FetchSettings, urls: &[Url]) -> Result<Vec<Page>, ExitCode> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    let engine = match Engine::start(settings.clone(), None) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("magpie fetch: {e}");
            return Err(ExitCode::from(2));
        }
    };
    for url in urls {
        engine.send(Command::FetchPage { url: url.clone() });
    }
    let mut pages = Vec::new();
    while pages.len() < urls.len() {
        match engine.recv() {
            Some(Event::PageFetched { asked, result }) => match result {
                Ok(page) => {
                    eprintln!(
                        "page {}: {} image(s){}",
                        crate::format::redact_url(&asked),
                        page.images.len(),
                        page.title
                            .as_deref()
                            .map(|t| format!(" — {}", crate::format::visible(t)))
                            .unwrap_or_default()
                    );
                    pages.push(page);
                }
                Err(e) => {
                    eprintln!(
                        "magpie fetch: page {}: {e}",
                        crate::format::redact_url(&asked)
                    );
                    return Err(ExitCode::from(2));
                }
            },
            Some(_) => {}
            None => return Err(ExitCode::from(2)),
        }
    }
    Ok(pages)
}
