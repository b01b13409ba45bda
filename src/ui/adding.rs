//! Lists joining the queue a slice per frame. Adding a row costs the window about a microsecond
//! (its name, its indexes, the engine's job), so a pasted list of 100,000 URLs added at once
//! froze the window for a tenth of a second, and a million for a second. A list is taken in
//! slices within a small time budget per frame instead: the first downloads start at once, the
//! rows fill in over the next frames, and the status bar counts what is still to come.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use url::Url;

use super::app::MagpieApp;
use super::folder::FolderState;
use crate::engine::JobInfo;
use crate::urls::UrlList;

/// Time a frame spends adding rows: a quarter of a 60 Hz frame.
const BUDGET: Duration = Duration::from_millis(4);
/// URLs handed to the engine at once: large enough that the per-command cost is nothing,
/// small enough that one slice stays well within [`BUDGET`].
const SLICE: usize = 1024;

/// A list still being added.
pub(super) struct Adding {
    /// The folder the list was meant for when Download was pressed: a folder chosen meanwhile
    /// does not take the rest of it.
    dir: PathBuf,
    urls: std::vec::IntoIter<Url>,
    /// Rows for URLs the list itself named twice, shown after the list's own.
    duplicates: Vec<Url>,
    /// Position in the list of the next URL (from 1), and the list's length, for the engine's
    /// numbering (`{index}` in name templates).
    next: u64,
    of: u64,
}

/// The lists waiting to be added, oldest first.
#[derive(Default)]
pub(super) struct Pending {
    lists: VecDeque<Adding>,
}

impl Pending {
    /// URLs not yet in the queue.
    pub fn remaining(&self) -> usize {
        self.lists
            .iter()
            .map(|a| a.urls.len() + a.duplicates.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Drops what has not been added yet ("Cancel all").
    pub fn clear(&mut self) {
        self.lists.clear();
    }
}

impl MagpieApp {
    /// Queues the URLs of `list` that are not in the window yet: the first slice now, the rest
    /// over the next frames.
    pub(super) fn add_list(&mut self, mut list: UrlList, source: &str) {
        // The summary, if there is anything to say, is worded before the URLs move out.
        let summary = (!list.rejected.is_empty()).then(|| list.summary());
        let nothing = list.urls.is_empty();
        if let (Some(summary), Some(first)) = (summary, list.rejected.first()) {
            // The summary names the first rejected line and why; its text is added once. Only
            // a list with nothing to download is an error.
            self.set_notice(&format!("{source}: {summary} — {}", first.text), nothing);
        } else if nothing {
            self.set_notice(&format!("{source}: no image URLs found"), true);
        }
        if nothing && list.duplicates.is_empty() {
            return;
        }
        if self.engine.is_none() {
            return;
        }
        if let FolderState::Failed(e) = &self.folder.state {
            let text = format!("Choose a folder you can write to first: {e}");
            self.set_notice(&text, true);
            return;
        }
        let urls: Vec<Url> = std::mem::take(&mut list.urls)
            .into_iter()
            .map(|u| u.url)
            .collect();
        // Room for the whole list now: growing by a slice at a time would copy every row each
        // frame.
        self.items.reserve(urls.len() + list.duplicates.len());
        self.pending.lists.push_back(Adding {
            dir: self.folder.asked.clone(),
            of: urls.len() as u64,
            next: 1,
            urls: urls.into_iter(),
            duplicates: list.duplicates.into_iter().map(|d| d.url).collect(),
        });
        self.add_pending();
    }

    /// Adds slices of the waiting lists until this frame's budget is spent; asks for another
    /// frame while any are left.
    pub(super) fn add_pending(&mut self) {
        let Some(engine) = &self.engine else {
            self.pending.clear();
            return;
        };
        let deadline = Instant::now() + BUDGET;
        while let Some(adding) = self.pending.lists.front_mut() {
            let slice: Vec<Url> = adding.urls.by_ref().take(SLICE).collect();
            if slice.is_empty() {
                // The list's own repeats go last, as one slice: they cost a row each, no job.
                for url in std::mem::take(&mut adding.duplicates) {
                    self.items.add_duplicate(url);
                }
                self.pending.lists.pop_front();
                continue;
            }
            let (repeated, fresh): (Vec<Url>, Vec<Url>) = slice
                .into_iter()
                .partition(|url| self.items.contains_url(url));
            let of = adding.of;
            let first = adding.next;
            adding.next += (fresh.len() + repeated.len()) as u64;
            let jobs = fresh.iter().enumerate().map(|(i, url)| {
                let info = JobInfo {
                    index: Some((first + i as u64, of)),
                    ..JobInfo::default()
                };
                (url.clone(), info)
            });
            let ids = engine.submit_jobs(&adding.dir, jobs);
            self.items.start_batch();
            for (url, id) in fresh.into_iter().zip(ids) {
                self.items.add_download(url, id, None);
            }
            for url in repeated {
                self.items.add_duplicate(url);
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        if !self.pending.is_empty() {
            self.ctx.request_repaint();
        }
    }
}
