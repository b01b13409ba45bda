//! How downloads end: cancelled (queued or running), or finished; their slots freed, their
//! outcome journaled.

use super::super::{Event, JobId};
use super::{Dispatcher, HostHealth, Outcome, Queued, Running};
use crate::journal::Record;

impl Dispatcher {
    pub(super) fn cancel(&mut self, id: JobId) {
        if let Some(r) = self.running.get(&id) {
            r.token.cancel();
            return;
        }
        if self.claiming.contains(&id) {
            self.cancelled_early.insert(id);
            return;
        }
        for jobs in self.opening.values_mut() {
            if let Some(pos) = jobs.iter().position(|j| j.id == id) {
                jobs.remove(pos);
                self.events.send(Event::Cancelled { id });
                return;
            }
        }
        let mut removed = None;
        for queue in self.pending.values_mut() {
            if let Some(pos) = queue.iter().position(|q| q.job.id == id) {
                removed = queue.remove(pos);
                break;
            }
        }
        if let Some(q) = removed {
            q.folder.record(vec![Record::Cancelled { url: q.job.url }]);
            self.events.send(Event::Cancelled { id });
        }
        self.drop_empty_hosts();
    }

    pub(super) fn cancel_all(&mut self) {
        let pending: Vec<Queued> = self.pending.drain().flat_map(|(_, q)| q).collect();
        self.hosts.clear();
        for q in pending {
            if !self.shutting_down {
                q.folder.record(vec![Record::Cancelled { url: q.job.url }]);
            }
            self.events.send(Event::Cancelled { id: q.job.id });
        }
        for jobs in self.opening.values_mut() {
            for job in jobs.drain(..) {
                self.events.send(Event::Cancelled { id: job.id });
            }
        }
        self.cancelled_early.extend(self.claiming.iter().copied());
        for r in self.running.values() {
            r.token.cancel();
        }
    }

    pub(super) fn drop_empty_hosts(&mut self) {
        self.pending.retain(|_, q| !q.is_empty());
        let pending = &self.pending;
        self.hosts.retain(|h| pending.contains_key(h));
    }

    pub(super) fn finished(&mut self, id: JobId, outcome: Outcome) {
        let Some(r) = self.running.remove(&id) else {
            return;
        };
        if !self.closing.is_empty() {
            // Dropped below, after the journal line is sent; then the folder may go.
            let folder = r.folder.clone();
            self.finish_running(r, outcome);
            drop(folder);
            self.close_idle_folders();
            return;
        }
        self.finish_running(r, outcome);
    }

    pub(super) fn finish_running(&mut self, r: Running, outcome: Outcome) {
        self.leave_slot(&r);
        match &outcome {
            Outcome::Saved { .. } => {
                if let Some(state) = self.pacing.succeeded(&r.host) {
                    self.events.send(Event::Host {
                        host: r.host.clone(),
                        state,
                    });
                }
            }
            Outcome::Failed {
                host: HostHealth::Up,
                ..
            } => self.pacing.answered(&r.host),
            Outcome::Failed {
                host: HostHealth::Failing,
                ..
            } => {
                let pause = self.settings.pause_after_failures;
                if let Some(state) = self.pacing.failed(&r.host, pause) {
                    self.events.send(Event::Host {
                        host: r.host.clone(),
                        state,
                    });
                }
            }
            _ => {}
        }
        match &outcome {
            Outcome::Saved { bytes, .. } => self.saved_bytes += bytes,
            // Space may have gone: read it again before the next start.
            Outcome::Failed {
                disk_full: true, ..
            } => r.folder.recheck_space(),
            _ => {}
        }
        let record = match outcome {
            // Journaled by the disk thread that named it, as soon as it was named.
            Outcome::Saved { .. } => return,
            Outcome::Failed { error, .. } => Record::Failed { url: r.url, error },
            // Stopped by shutdown (Ctrl-C, window closed): still pending, for a resume.
            Outcome::Cancelled if self.shutting_down => return,
            Outcome::Cancelled => Record::Cancelled { url: r.url },
        };
        r.folder.record(vec![record]);
    }
}
