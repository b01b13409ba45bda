//! A folder's journal writer: one thread per open folder that owns the journal file, appends
//! records off the async executor, and claims URLs under the folder's mutex (skipping those
//! another live Magpie has queued or just saved). See `folders.rs` for the locks.

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;

use url::Url;

use super::{Internal, Job, SkipReason};
use crate::journal::{self, Record, Session};
use crate::store::Sealed;

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
    /// A `Naming` record, acknowledged once written.
    Intent(Box<Record>, std::sync::mpsc::SyncSender<()>),
}

/// Journals the intent to name a finished download, from the blocking thread that names it.
#[derive(Clone)]
pub(crate) struct Intents {
    tx: std::sync::mpsc::Sender<JournalOp>,
    session: Session,
}

impl Intents {
    pub(crate) fn new(tx: std::sync::mpsc::Sender<JournalOp>, session: Session) -> Self {
        Self { tx, session }
    }

    /// Writes `Naming { url, file, … }` and waits until it is in the journal (a few
    /// microseconds; bounded so a stuck disk cannot hold the download forever).
    pub fn naming(&self, url: Url, file: String, sealed: &Sealed) {
        let (ack, done) = std::sync::mpsc::sync_channel(1);
        let record = Record::Naming {
            url,
            file,
            bytes: sealed.bytes,
            blake3: sealed.blake3.clone(),
            session: self.session,
        };
        if self
            .tx
            .send(JournalOp::Intent(Box::new(record), ack))
            .is_ok()
        {
            let _ = done.recv_timeout(std::time::Duration::from_secs(10));
        }
    }
}

/// Owns a folder's journal files and its locks for as long as the engine uses the folder.
pub(crate) struct Writer {
    pub(crate) path: PathBuf,
    pub(crate) dir: PathBuf,
    pub(crate) append: File,
    pub(crate) reader: File,
    /// Where reading other Magpies' lines resumes.
    pub(crate) offset: u64,
    pub(crate) mutex: File,
    /// Held (shared) until the writer ends: tells others this folder is in use.
    pub(crate) _live: File,
    pub(crate) session: Session,
    /// URLs another live Magpie has queued into this folder and not finished.
    pub(crate) elsewhere: HashSet<Url>,
    /// URLs another Magpie saved into this folder since this engine opened it.
    pub(crate) saved_elsewhere: HashSet<Url>,
    /// URLs this engine has queued here and not finished.
    pub(crate) mine: HashSet<Url>,
    /// Every URL saved into this folder, with when (the download archive).
    pub(crate) archive: std::collections::HashMap<Url, u64>,
    pub(crate) internal: tokio::sync::mpsc::UnboundedSender<Internal>,
}

impl Writer {
    pub(crate) fn run(mut self, ops: std::sync::mpsc::Receiver<JournalOp>) {
        for op in ops {
            match op {
                JournalOp::Append(records) => {
                    for r in &records {
                        self.mine.remove(r.url());
                        if let Record::Saved { url, at, .. } = r {
                            self.archive.insert(url.clone(), *at);
                        }
                    }
                    self.write(&records);
                }
                JournalOp::Intent(record, ack) => {
                    self.write(std::slice::from_ref(&record));
                    let _ = ack.send(());
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

    fn claim(&mut self, jobs: Vec<Job>, archive: bool) -> Claims {
        let locked = self.mutex.lock();
        if let Err(e) = &locked {
            tracing::warn!("cannot lock {}: {e}", self.path.display());
        }
        match journal::read_new(&mut self.reader, &mut self.offset) {
            Ok(records) => self.learn(records),
            Err(e) => tracing::warn!("cannot read the journal {}: {e}", self.path.display()),
        }
        let mut accepted = Vec::new();
        let mut skipped = Vec::new();
        for job in jobs {
            let reason = if self.mine.contains(&job.url) {
                Some(SkipReason::AlreadyQueued)
            } else if self.elsewhere.contains(&job.url) {
                Some(SkipReason::ElsewhereInProgress)
            } else if self.saved_elsewhere.contains(&job.url) {
                Some(SkipReason::SavedElsewhere)
            } else if let Some(&at) = self
                .archive
                .get(&job.url)
                .filter(|_| archive && !job.info.again)
            {
                Some(SkipReason::DownloadedBefore(
                    (at > 0).then(|| crate::format::date(at)),
                ))
            } else {
                None
            };
            match reason {
                Some(reason) => skipped.push((job, reason)),
                None => {
                    self.mine.insert(job.url.clone());
                    accepted.push(job);
                }
            }
        }
        let records: Vec<Record> = accepted
            .iter()
            .map(|j| Record::Queued {
                url: j.url.clone(),
                session: self.session,
                info: j.info.clone(),
            })
            .collect();
        self.write(&records);
        if locked.is_ok() {
            let _ = self.mutex.unlock();
        }
        Claims { accepted, skipped }
    }

    /// Appends records. A line torn by a Magpie killed mid-write is ended first, so it cannot
    /// swallow the record written after it.
    fn write(&mut self, records: &[Record]) {
        if records.is_empty() {
            return;
        }
        if !journal::ends_with_newline(&mut self.reader) {
            let _ = std::io::Write::write_all(&mut self.append, b"\n");
        }
        if let Err(e) = journal::append(&mut self.append, records) {
            tracing::warn!("cannot write the journal {}: {e}", self.path.display());
        }
    }

    /// Takes in lines appended since the last look (other Magpies', and this engine's own).
    fn learn(&mut self, records: Vec<Record>) {
        for r in records {
            match r {
                Record::Queued { url, session, .. } if session != self.session => {
                    self.elsewhere.insert(url);
                }
                Record::Queued { .. } => {}
                Record::Saved {
                    url, session, at, ..
                } if session != self.session => {
                    self.elsewhere.remove(&url);
                    self.archive.insert(url.clone(), at);
                    self.saved_elsewhere.insert(url);
                }
                other => {
                    self.elsewhere.remove(other.url());
                }
            }
        }
    }
}
