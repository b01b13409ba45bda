//! Rows joining the window a slice per frame: pasted and dropped lists, a folder's images, its
//! past failures and files' sources, and the downloads it resumes. Adding a row costs the window
//! up to a microsecond (its name, its indexes, the engine's job), so a list of 100,000 URLs added
//! at once froze the window for a tenth of a second, a million for a second, and opening a folder
//! of 100,000 images as long. Rows are added in slices within a small time budget per frame
//! instead: the first downloads start at once, the rest fill in over the next frames, and the
//! status bar counts the URLs still to come.
//!
//! A list's rows are in place before their jobs are submitted, so no event can come before its
//! row. The downloads a reopened folder resumes are already running in the engine: events for
//! one whose row is not in yet are held, and taken in, in order, with the row.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::TextureHandle;
use url::Url;

use super::app::MagpieApp;
use super::folder::FolderState;
use super::items::{Items, Place};
use crate::engine::{Engine, Event, JobId, JobInfo};
use crate::urls::UrlList;

/// Time a frame spends adding rows: a quarter of a 60 Hz frame.
const BUDGET: Duration = Duration::from_millis(4);
/// URLs handed to the engine at once: large enough that the per-command cost is nothing,
/// small enough that one slice stays well within [`BUDGET`].
const SLICE: usize = 1024;

/// A list of URLs still being added.
struct UrlBatch {
    /// The folder the list was meant for when Download was pressed: a folder chosen meanwhile
    /// does not take the rest of it.
    dir: PathBuf,
    urls: std::vec::IntoIter<Url>,
    /// Rows for URLs the list itself named twice, shown after the list's own.
    duplicates: Vec<Url>,
    /// Position in the list of the next URL (from 1), and the list's length, for the engine's
    /// numbering (`{index}` in name templates) and the gallery's order.
    next: u64,
    of: u64,
    /// The gallery batch its tiles go in.
    batch: u32,
}

/// Resumed downloads still without a row.
struct ResumedBatch {
    /// By job id; those left have no row yet.
    rows: std::vec::IntoIter<(JobId, Url)>,
    /// How many have their row, for their places in the gallery.
    added: usize,
    /// The gallery batch their tiles go in.
    batch: u32,
}

impl ResumedBatch {
    fn awaits(&self, job: JobId) -> bool {
        (self.rows.as_slice())
            .binary_search_by_key(&job, |(id, _)| *id)
            .is_ok()
    }
}

/// Rows numbered in the order they came, for their place in the gallery.
type Numbered<T> = std::iter::Enumerate<std::vec::IntoIter<T>>;

/// Rows waiting to be added, of each kind.
enum Batch {
    /// URLs to queue, and their rows.
    Urls(UrlBatch),
    /// Rows for the downloads the engine took up again from the folder's journal.
    Resumed(ResumedBatch),
    /// Downloads that failed in an earlier session, with their reasons, and the gallery batch
    /// their tiles go in if they are retried.
    PastFailures(u32, Numbered<(Url, String)>),
    /// Images found in the folder, in the order shown, their gallery batch, and the place in
    /// it of the first.
    Files(u32, u32, Numbered<(PathBuf, u64)>),
    /// Where files in the folder came from (its journal); after its `Files`.
    Sources(std::vec::IntoIter<(PathBuf, Url, Option<Url>)>),
}

/// The rows waiting to be added, oldest first.
#[derive(Default)]
pub(super) struct Pending {
    batches: VecDeque<Batch>,
    /// Events for resumed downloads without a row yet. The engine runs them already, so their
    /// events can come first: those are held, and taken in once the row is there.
    held: HashMap<JobId, Vec<Event>>,
}

impl Pending {
    /// URLs not yet in the queue.
    pub fn remaining(&self) -> usize {
        self.batches
            .iter()
            .map(|b| match b {
                Batch::Urls(list) => list.urls.len() + list.duplicates.len(),
                Batch::Resumed(resumed) => resumed.rows.len(),
                _ => 0,
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Drops the URLs not queued yet ("Cancel all").
    pub fn cancel_urls(&mut self) {
        self.batches.retain(|b| !matches!(b, Batch::Urls(_)));
    }

    /// Drops the files of the folder the window is leaving that are not shown yet.
    pub fn forget_files(&mut self) {
        self.batches
            .retain(|b| !matches!(b, Batch::Files(..) | Batch::Sources(_)));
    }

    /// Shows the folder's files (in the order given) in gallery batch `batch` from place
    /// `first` on, then where they came from, over the next frames.
    pub fn files(
        &mut self,
        (batch, first): (u32, u32),
        files: Vec<(PathBuf, u64)>,
        sources: Vec<(PathBuf, Url, Option<Url>)>,
    ) {
        let files = files.into_iter().enumerate();
        self.batches.push_back(Batch::Files(batch, first, files));
        if !sources.is_empty() {
            self.batches.push_back(Batch::Sources(sources.into_iter()));
        }
    }

    /// Shows the downloads the engine resumed, in the order they were queued, as gallery batch
    /// `batch`.
    pub fn resumed(&mut self, batch: u32, mut resumed: Vec<(JobId, Url)>) {
        if resumed.is_empty() {
            return;
        }
        // Already in id order as the engine numbers them; sorting checks that in one pass.
        resumed.sort_unstable_by_key(|(id, _)| *id);
        self.batches.push_back(Batch::Resumed(ResumedBatch {
            rows: resumed.into_iter(),
            added: 0,
            batch,
        }));
    }

    /// Whether events for `job` must wait for its row.
    pub fn awaits(&self, job: JobId) -> bool {
        self.batches.iter().any(|b| match b {
            Batch::Resumed(rows) => rows.awaits(job),
            _ => false,
        })
    }

    /// Keeps an event for a row not added yet.
    pub fn hold(&mut self, job: JobId, event: Event) {
        self.held.entry(job).or_default().push(event);
    }

    /// Shows downloads that failed in an earlier session; retried, they are gallery batch
    /// `batch`.
    pub fn past_failures(&mut self, batch: u32, failures: Vec<(Url, String)>) {
        if !failures.is_empty() {
            let failures = failures.into_iter().enumerate();
            self.batches.push_back(Batch::PastFailures(batch, failures));
        }
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
        self.pending.batches.push_back(Batch::Urls(UrlBatch {
            dir: self.folder.asked.clone(),
            of: urls.len() as u64,
            next: 1,
            batch: self.items.new_batch(),
            urls: urls.into_iter(),
            duplicates: list.duplicates.into_iter().map(|d| d.url).collect(),
        }));
        self.add_pending();
    }

    /// Adds slices of the waiting rows until this frame's budget is spent; asks for another
    /// frame while any are left.
    pub(super) fn add_pending(&mut self) {
        let deadline = Instant::now() + BUDGET;
        let mut held = Vec::new();
        while let Some(batch) = self.pending.batches.front_mut() {
            let more = match batch {
                Batch::Resumed(resumed) => {
                    if resumed.rows.len() > 0 {
                        self.items.start_batch();
                    }
                    for (id, url) in resumed.rows.by_ref().take(SLICE) {
                        let place = Place::new(resumed.batch, resumed.added);
                        resumed.added += 1;
                        self.items.add_download(url, id, None, place);
                        held.extend(self.pending.held.remove(&id).into_iter().flatten());
                    }
                    resumed.rows.len() > 0
                }
                Batch::Urls(list) => match &self.engine {
                    Some(engine) => Self::add_urls(&mut self.items, engine, list),
                    None => false,
                },
                Batch::PastFailures(batch, rows) => {
                    for (n, (url, error)) in rows.by_ref().take(SLICE) {
                        if !self.items.contains_url(&url) {
                            let place = Place::new(*batch, n);
                            self.items.add_past_failure(url, error, place);
                        }
                    }
                    rows.len() > 0
                }
                Batch::Files(batch, first, files) => {
                    for (n, (path, size)) in files.by_ref().take(SLICE) {
                        let seq = u64::from(*first) + n as u64;
                        self.items.add_on_disk(path, size, Place::new(*batch, seq));
                    }
                    files.len() > 0
                }
                Batch::Sources(sources) => {
                    self.items.remember_sources(sources.by_ref().take(SLICE));
                    sources.len() > 0
                }
            };
            if !more {
                self.pending.batches.pop_front();
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        // In the order they came, now that their rows are in.
        let new_bytes: u64 = held.into_iter().map(|e| self.event_arrived(e)).sum();
        self.status.add_bytes(new_bytes);
        if !self.pending.is_empty() {
            self.ctx.request_repaint();
        }
    }

    /// Queues the next slice of `list` and adds its rows; false once the list is done.
    fn add_urls(items: &mut Items<TextureHandle>, engine: &Engine, list: &mut UrlBatch) -> bool {
        let slice: Vec<Url> = list.urls.by_ref().take(SLICE).collect();
        if slice.is_empty() {
            // The list's own repeats go last: a row each, no job.
            for url in std::mem::take(&mut list.duplicates) {
                items.add_duplicate(url);
            }
            return false;
        }
        let (repeated, fresh): (Vec<Url>, Vec<Url>) =
            slice.into_iter().partition(|url| items.contains_url(url));
        let first = list.next;
        list.next += (fresh.len() + repeated.len()) as u64;
        let jobs = fresh.iter().enumerate().map(|(i, url)| {
            let info = JobInfo {
                index: Some((first + i as u64, list.of)),
                ..JobInfo::default()
            };
            (url.clone(), info)
        });
        let ids = engine.submit_jobs(&list.dir, jobs);
        items.start_batch();
        for (i, (url, id)) in fresh.into_iter().zip(ids).enumerate() {
            // In the list's order, after the tiles of its earlier slices.
            let place = Place::new(list.batch, first - 1 + i as u64);
            items.add_download(url, id, None, place);
        }
        for url in repeated {
            items.add_duplicate(url);
        }
        true
    }
}
