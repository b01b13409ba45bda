//! Starting downloads: which queued job goes next (hosts in turn, within the global limit and
//! each host's pace), what may not start (a paused host, the run's size limit, a full disk), and
//! the task that runs one download and reports how it ended.

use tokio_util::sync::CancellationToken;

use super::slots::Slot;
use super::{Dispatcher, FetchError, Folder, HostHealth, Internal, Outcome, Queued, Running};
use crate::engine::{Event, fetch};
use crate::journal::Record;
use tokio::time::Instant;

impl Dispatcher {
    /// Starts queued jobs while the global limit has room, taking hosts in turn and skipping
    /// those at their own limit. The limits count downloads on the network; those being checked
    /// and named (waiting on the disk) are at most as many again, so a slow disk slows the
    /// downloads down instead of piling finished bodies up in memory.
    pub(super) fn start_what_fits(&mut self) {
        if self.paused {
            return;
        }
        let now = Instant::now();
        self.wake_at = None;
        self.start_retries(now);
        let mut skipped = 0;
        while self.receiving < self.settings.concurrency
            && self.running.len() - self.backing_off - self.slow < 2 * self.settings.concurrency
            && skipped < self.hosts.len()
        {
            let Some(host) = self.hosts.pop_front() else {
                break;
            };
            if self.pacing.is_paused(&host) {
                self.fail_paused(&host);
                continue;
            }
            let Some(sample) = self
                .pending
                .get(&host)
                .and_then(|q| q.front())
                .map(|q| q.job.url.clone())
            else {
                continue;
            };
            let active = self.per_host.get(&host).copied().unwrap_or(0);
            let (gap, limit) = self.net.rules.pace(&sample, &self.settings);
            if let Err(wake) = self.pacing.may_start(&host, active, gap, limit, now) {
                if let Some(t) = wake {
                    self.wake_at = Some(self.wake_at.map_or(t, |w| w.min(t)));
                }
                self.hosts.push_back(host);
                skipped += 1;
                continue;
            }
            self.pacing.started(&host, now);
            skipped = 0;
            let queued = self
                .pending
                .get_mut(&host)
                .and_then(std::collections::VecDeque::pop_front);
            if self.pending.get(&host).is_some_and(|q| !q.is_empty()) {
                self.hosts.push_back(host.clone());
            } else {
                self.pending.remove(&host);
            }
            if let Some(queued) = queued {
                match self.may_start(&queued.folder) {
                    Ok(()) => self.spawn(host, queued),
                    Err(error) => self.refuse(queued, error),
                }
            }
        }
    }

    /// Fails every queued job of a paused host at once, with the reason.
    fn fail_paused(&mut self, host: &str) {
        let failures = self.pacing.failures(host);
        let shown = crate::engine::pacing::shown_host(host).to_string();
        for queued in self.pending.remove(host).unwrap_or_default() {
            let error = FetchError::HostPaused {
                host: shown.clone(),
                failures,
            };
            self.refuse(queued, error);
        }
    }

    /// Whether the run's size limit and the folder's free space let a new download start.
    fn may_start(&self, folder: &Folder) -> Result<(), FetchError> {
        if let Some(limit) = self.settings.max_total_bytes
            && self.saved_bytes + self.naming_bytes >= limit
        {
            return Err(FetchError::RunLimit(limit));
        }
        folder
            .has_room(
                self.settings.keep_free_bytes,
                self.settings.keep_free_percent,
            )
            .map_err(|(free, keep)| FetchError::DiskNearlyFull { free, keep })
    }

    /// Fails a job that may not start, without a request.
    fn refuse(&mut self, queued: Queued, error: FetchError) {
        queued.folder.record(vec![Record::Failed {
            url: queued.job.url,
            error: error.to_string(),
        }]);
        self.events.send(Event::Failed {
            id: queued.job.id,
            error,
        });
    }

    fn spawn(&mut self, host: String, queued: Queued) {
        let Queued { job, folder } = queued;
        let token = CancellationToken::new();
        *self.per_host.entry(host.clone()).or_default() += 1;
        self.receiving += 1;
        self.running.insert(
            job.id,
            Running {
                host,
                token: token.clone(),
                url: job.url.clone(),
                folder: folder.clone(),
                slot: Slot::Network,
            },
        );
        let preview = self.previewed.remove(&job.url);
        let ctx = fetch::JobCtx {
            id: job.id,
            url: job.url,
            store: folder.store.clone(),
            journal: folder.naming_journal(),
            net: self.net.clone(),
            preview,
            info: job.info,
            settings: self.settings.clone(),
            events: self.events.clone(),
            token,
            internal: self.internal_tx.clone(),
        };
        let done = self.internal_tx.clone();
        tokio::spawn(async move {
            let id = ctx.id;
            // Boxed: the download's state is large, and tokio moves a task's future several
            // times while spawning it; that copying showed in the engine's profile.
            let result = Box::pin(fetch::fetch(&ctx)).await;
            let (outcome, event) = match result {
                Ok(saved) => (
                    Outcome::Saved { bytes: saved.bytes },
                    Event::Saved { id, saved },
                ),
                Err(FetchError::Cancelled) => (Outcome::Cancelled, Event::Cancelled { id }),
                // Journaled as failed (with the reason), so a resume does not fetch it again.
                Err(FetchError::Filtered(why)) => (
                    Outcome::Failed {
                        error: format!("skipped: {why}"),
                        disk_full: false,
                        host: HostHealth::Unknown,
                    },
                    Event::Skipped {
                        id,
                        reason: crate::engine::SkipReason::Filtered(why),
                    },
                ),
                Err(error) => (
                    Outcome::Failed {
                        error: error.to_string(),
                        disk_full: matches!(
                            error,
                            FetchError::Store(crate::store::StoreError::DiskFull { .. })
                        ),
                        host: error.host_health(),
                    },
                    Event::Failed { id, error },
                ),
            };
            // The event goes first so it precedes `Finished`; the dispatcher journals the
            // outcome before it can report `Finished`.
            ctx.events.send(event);
            let _ = done.send(Internal::Done(id, outcome));
        });
    }
}
