//! A folder's journal: one writer thread per open folder that appends records off the async
//! executor and claims URLs under the folder's mutex (skipping those another live Magpie has
//! queued or just saved), and the append side it shares with the disk threads, which journal a
//! download's `naming` and `saved` lines themselves as they name it. See `folders.rs` for the
//! locks.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use url::Url;

use super::url_keys::{UrlKey, UrlMap, UrlSet};
use super::{Internal, Job, SkipReason};
use crate::journal::{self, Record, Session};
use crate::store::{Committed, NamingLog, Sealed};

/// The answer to a claim: jobs journaled as queued, and jobs not to fetch, with the reason.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    pub accepted: Vec<Job>,
    pub skipped: Vec<(Job, SkipReason)>,
}

pub(crate) enum JournalOp {
    Append(Vec<Record>),
    /// Claim these jobs; with `true`, URLs saved into the folder before are skipped (the
    /// download archive).
    Claim(Vec<Job>, bool),
}

/// The journal's append side. Shared by the folder's writer thread (claims, failures) and the
/// disk threads that name downloads, so a download's `naming` and `saved` lines take no
/// hand-off to another thread and back: those wake-ups cost more CPU than the writes.
pub(crate) struct Lines {
    pub(crate) path: PathBuf,
    pub(crate) append: File,
    /// Reads the last byte, to find a line torn by a Magpie killed mid-write.
    pub(crate) tail: File,
}

impl Lines {
    /// Appends records. A line torn by a Magpie killed mid-write is ended first, so it cannot
    /// swallow the record written after it.
    pub(crate) fn write(&mut self, records: &[Record]) {
        if records.is_empty() {
            return;
        }
        if !journal::ends_with_newline(&mut self.tail) {
            let _ = std::io::Write::write_all(&mut self.append, b"\n");
        }
        if let Err(e) = journal::append(&mut self.append, records) {
            tracing::warn!("cannot write the journal {}: {e}", self.path.display());
        }
    }
}

/// `queued` lines journaled per write when a list is claimed (about 250 KB).
const CLAIM_LINES: usize = 1024;

pub(crate) type SharedLines = Arc<Mutex<Lines>>;

fn write(lines: &SharedLines, records: &[Record]) {
    lines
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .write(records);
}

/// Where downloads into a folder journal how they are named: its shared lines and this
/// engine's session.
#[derive(Clone)]
pub(crate) struct NamingJournal {
    lines: SharedLines,
    session: Session,
}

impl NamingJournal {
    pub(crate) fn new(lines: SharedLines, session: Session) -> Self {
        Self { lines, session }
    }

    /// The log for one download of `url`, to be named after `wanted` inside `dir`.
    pub(crate) fn intents(
        &self,
        url: Url,
        wanted: String,
        page: Option<Url>,
        dir: PathBuf,
    ) -> Intents {
        Intents {
            lines: self.lines.clone(),
            session: self.session,
            url,
            wanted,
            page,
            dir,
        }
    }
}

/// Journals a download as it is named, from the blocking thread that names it: the intent
/// (`naming`) before the name exists, the result (`saved`) once it does.
pub(crate) struct Intents {
    lines: SharedLines,
    session: Session,
    url: Url,
    /// The name asked for, before `(1)` and the like.
    wanted: String,
    /// The page it was found on.
    page: Option<Url>,
    /// The folder, which `saved` lines name files relative to.
    dir: PathBuf,
}

impl NamingLog for Intents {
    fn naming(&mut self, sealed: &Sealed) {
        let record = Record::Naming {
            url: self.url.clone(),
            file: std::mem::take(&mut self.wanted),
            bytes: sealed.bytes,
            blake3: sealed.blake3.clone(),
            session: self.session,
        };
        write(&self.lines, std::slice::from_ref(&record));
    }

    fn named(&mut self, committed: &Committed, bytes: u64) {
        let path = &committed.path;
        let record = Record::Saved {
            url: self.url.clone(),
            // Its path inside the folder (a name template may have put it in a subfolder).
            file: path
                .strip_prefix(&self.dir)
                .ok()
                .or_else(|| path.file_name().map(std::path::Path::new))
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes,
            page: self.page.take(),
            session: self.session,
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        write(&self.lines, std::slice::from_ref(&record));
    }
}

/// Owns a folder's journal files and its locks for as long as the engine uses the folder.
pub(crate) struct Writer {
    pub(crate) path: PathBuf,
    pub(crate) dir: PathBuf,
    pub(crate) lines: SharedLines,
    pub(crate) reader: File,
    /// Where reading other Magpies' lines resumes.
    pub(crate) offset: u64,
    pub(crate) mutex: File,
    /// Held (shared) until the writer ends: tells others this folder is in use.
    pub(crate) _live: File,
    pub(crate) session: Session,
    /// URLs another live Magpie has queued into this folder and not finished.
    pub(crate) elsewhere: UrlSet,
    /// URLs another Magpie saved into this folder since this engine opened it.
    pub(crate) saved_elsewhere: UrlSet,
    /// URLs this engine has queued here and not finished.
    pub(crate) mine: UrlSet,
    /// Every URL saved into this folder, with when (the download archive).
    pub(crate) archive: UrlMap<u64>,
    pub(crate) internal: tokio::sync::mpsc::UnboundedSender<Internal>,
}

impl Writer {
    pub(crate) fn run(mut self, ops: std::sync::mpsc::Receiver<JournalOp>) {
        for op in ops {
            match op {
                JournalOp::Append(records) => {
                    for r in &records {
                        let key = UrlKey::from(r.url());
                        self.mine.remove(key);
                        if let Record::Saved { at, .. } = r {
                            self.archive.insert(key, *at);
                        }
                    }
                    self.write(&records);
                }
                JournalOp::Claim(jobs, archive) => {
                    let claims = self.claim(jobs, archive);
                    let _ = self.internal.send(Internal::Claimed {
                        dir: self.dir.clone(),
                        claims,
                    });
                }
            }
        }
    }

    fn claim(&mut self, mut jobs: Vec<Job>, archive: bool) -> Claims {
        let locked = self.mutex.lock();
        if let Err(e) = &locked {
            tracing::warn!("cannot lock {}: {e}", self.path.display());
        }
        match journal::read_new(&mut self.reader, &mut self.offset) {
            Ok(records) => self.learn(records),
            Err(e) => tracing::warn!("cannot read the journal {}: {e}", self.path.display()),
        }
        // Jobs not to fetch are taken out in place, so a list of 100,000 is not copied.
        let mut reasons = Vec::new();
        let skipped: Vec<Job> = jobs
            .extract_if(.., |job| {
                let key = UrlKey::from(&job.url);
                let reason = if self.mine.contains(key) {
                    Some(SkipReason::AlreadyQueued)
                } else if self.elsewhere.contains(key) {
                    Some(SkipReason::ElsewhereInProgress)
                } else if self.saved_elsewhere.contains(key) {
                    Some(SkipReason::SavedElsewhere)
                } else if let Some(&at) =
                    self.archive.get(key).filter(|_| archive && !job.info.again)
                {
                    Some(SkipReason::DownloadedBefore(
                        (at > 0).then(|| crate::format::date(at)),
                    ))
                } else {
                    None
                };
                match reason {
                    Some(reason) => {
                        reasons.push(reason);
                        true
                    }
                    None => {
                        self.mine.insert(key);
                        false
                    }
                }
            })
            .collect();
        // Journaled a slice at a time: the lines of a whole list at once, and the buffer they
        // are written from, cost three times the list's own memory, which the allocator then
        // keeps.
        for slice in jobs.chunks(CLAIM_LINES) {
            let records: Vec<Record> = slice
                .iter()
                .map(|j| Record::Queued {
                    url: j.url.clone(),
                    session: self.session,
                    info: j.info.clone(),
                })
                .collect();
            self.write(&records);
        }
        if locked.is_ok() {
            let _ = self.mutex.unlock();
        }
        Claims {
            accepted: jobs,
            skipped: skipped.into_iter().zip(reasons).collect(),
        }
    }

    fn write(&mut self, records: &[Record]) {
        write(&self.lines, records);
    }

    /// Takes in lines appended since the last look (other Magpies', and this engine's own:
    /// `saved` lines are written by the disk threads, and learnt here before the next claim).
    fn learn(&mut self, records: Vec<Record>) {
        for r in records {
            match r {
                Record::Queued { url, session, .. } if session != self.session => {
                    self.elsewhere.insert(&url);
                }
                Record::Queued { .. } => {}
                Record::Saved {
                    url, session, at, ..
                } if session != self.session => {
                    let key = UrlKey::from(&url);
                    self.elsewhere.remove(key);
                    self.archive.insert(key, at);
                    self.saved_elsewhere.insert(key);
                }
                // This engine's own, written by the thread that named the file.
                Record::Saved { url, at, .. } => {
                    let key = UrlKey::from(&url);
                    self.mine.remove(key);
                    self.archive.insert(key, at);
                }
                other => {
                    self.elsewhere.remove(other.url());
                }
            }
        }
    }
}
