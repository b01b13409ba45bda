//! The dispatcher's dealings with folders: opening them (on a blocking task), reading their
//! history again, claiming jobs through their journal writers before they are queued, and
//! letting go of folders a front end is done with.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::super::folders::{self, Claims, Folder, FolderError};
use super::super::{Event, FetchError, Job, JobId};
use super::{Dispatcher, Internal, Queued, host_key};
use crate::journal::Record;

impl Dispatcher {
    /// The open folder a front end means by `dir` (the name it used, or the absolute path).
    pub(super) fn folder(&self, dir: &Path) -> Option<Arc<Folder>> {
        let dir = self.aliases.get(dir).map_or(dir, PathBuf::as_path);
        self.folders.get(dir).cloned()
    }

    pub(super) fn open_folder(&mut self, dir: PathBuf, resume: bool) {
        if let Some(folder) = self.folder(&dir) {
            // Already open here (and wanted again, if it was being let go of): just read its
            // history again for the front end.
            self.closing.remove(folder.store.dir());
            let journal_dir = self.journal_dir.clone();
            let tx = self.internal_tx.clone();
            tokio::task::spawn_blocking(move || {
                let result = folders::reread(&folder, journal_dir.as_deref());
                let _ = tx.send(Internal::Reread {
                    asked: dir,
                    dir: folder.store.dir().to_path_buf(),
                    result,
                });
            });
        } else if !self.opening.contains_key(&dir) {
            self.opening.insert(dir.clone(), Vec::new());
            self.spawn_open(dir, resume);
        }
    }

    pub(super) fn spawn_open(&mut self, dir: PathBuf, resume: bool) {
        let request = folders::OpenRequest {
            dir: dir.clone(),
            journal_dir: self.journal_dir.clone(),
            resume,
            session: self.session,
            internal: self.internal_tx.clone(),
        };
        let tx = self.internal_tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = folders::open(request);
            let _ = tx.send(Internal::Opened { asked: dir, result });
        });
    }

    pub(super) fn opened(&mut self, asked: PathBuf, result: Result<folders::Opened, FolderError>) {
        let waiting = self.opening.remove(&asked).unwrap_or_default();
        let opened = match result {
            Ok(opened) => opened,
            Err(error) => {
                let error = Arc::new(error);
                self.events.send(Event::FolderFailed {
                    asked,
                    error: error.clone(),
                });
                for job in waiting {
                    self.events.send(Event::Failed {
                        id: job.id,
                        error: FetchError::Folder(error.clone()),
                    });
                }
                return;
            }
        };
        self.writers.extend(opened.writer);
        let dir = opened.report.dir.clone();
        // Two names for one folder opened at once: keep the first, its lock and its writer.
        let folder = self
            .folders
            .entry(dir.clone())
            .or_insert(opened.folder)
            .clone();
        self.aliases.insert(asked.clone(), dir);
        let mut report = opened.report;
        let resumed: Vec<Job> = opened
            .resume
            .into_iter()
            .map(|(url, info)| Job {
                id: JobId(self.next_id.fetch_add(1, Ordering::Relaxed)),
                url,
                info,
            })
            .collect();
        report.resumed = resumed.iter().map(|j| (j.id, j.url.clone())).collect();
        self.events.send(Event::FolderOpened {
            asked,
            folder: report,
        });
        if !resumed.is_empty() {
            // Already journaled as this session's when the journal was tidied.
            self.busy = true;
            self.claimed(
                &folder,
                Claims {
                    accepted: resumed,
                    skipped: Vec::new(),
                },
            );
        }
        if !waiting.is_empty() {
            self.claim(&folder, waiting);
        }
    }

    pub(super) fn claim(&mut self, folder: &Arc<Folder>, jobs: Vec<Job>) {
        let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
        match folder.claim(jobs, self.settings.archive) {
            Some(claims) => self.claimed(folder, claims),
            None => {
                self.claiming.extend(ids);
                let dir = folder.store.dir().to_path_buf();
                self.claims_in_flight
                    .entry(dir)
                    .or_insert_with(|| (folder.clone(), 0))
                    .1 += 1;
            }
        }
    }

    /// Queues claimed jobs (minus those cancelled while being claimed) and reports the skipped.
    pub(super) fn claimed(&mut self, folder: &Arc<Folder>, claims: Claims) {
        for (job, reason) in claims.skipped {
            self.claiming.remove(&job.id);
            self.cancelled_early.remove(&job.id);
            self.events.send(Event::Skipped { id: job.id, reason });
        }
        let mut cancelled = Vec::new();
        for job in claims.accepted {
            self.claiming.remove(&job.id);
            if self.cancelled_early.remove(&job.id) {
                cancelled.push(Record::Cancelled {
                    url: job.url.clone(),
                });
                self.events.send(Event::Cancelled { id: job.id });
                continue;
            }
            self.events.send(Event::Queued { id: job.id });
            let key = host_key(&job.url);
            let queue = self.pending.entry(key.clone()).or_default();
            if queue.is_empty() {
                self.hosts.push_back(key);
            }
            queue.push_back(Queued {
                job,
                folder: folder.clone(),
            });
        }
        if !cancelled.is_empty() {
            folder.record(cancelled);
        }
    }

    /// Lets go of the folders being closed that nothing holds any more: no queued or running
    /// download, no claim at the writer (each holds the folder's `Arc`).
    pub(super) fn close_idle_folders(&mut self) {
        let idle: Vec<PathBuf> = self
            .closing
            .iter()
            .filter(|dir| {
                self.folders
                    .get(*dir)
                    .is_none_or(|f| Arc::strong_count(f) == 1)
            })
            .cloned()
            .collect();
        for dir in idle {
            self.closing.remove(&dir);
            if self.folders.remove(&dir).is_some() {
                self.aliases.retain(|_, d| *d != dir);
                self.events.send(Event::FolderClosed { dir });
            }
        }
    }
}
