//! Download slots: which running downloads count toward the global and per-host limits, and
//! their moves between the states below. The limits are there to share the bandwidth and to be
//! polite to each site, so a download that uses neither stops counting while it waits: for a
//! site that is slow to answer (only the global limit), before its next try (both), and while
//! its file is checked and named (both; the disk has its own bound).
//!
//! Without this, an old list's dead sites hold the slots: 20 addresses that never answer among
//! 1,000 images made a 9 s run take 125 s, each try of theirs holding a slot for the whole
//! connect timeout.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::{Dispatcher, JobId, Running};

/// How long a site may take to answer before its download stops holding a global slot.
/// Image servers answer within a second; a dead address takes the whole connect timeout. Each
/// try at a dead address costs a slot this long: with 5% of a list's URLs dead, the slots spend
/// as long on them as on the live ones.
pub(crate) const SLOW_ANSWER: Duration = Duration::from_secs(1);

/// How many downloads at once may wait for a slow site without a global slot, per slot: a
/// bound on the sockets they keep open. A dead address waits two connect timeouts (30 s), so
/// at 5% dead and a hundred images a second about 150 wait at once.
const SLOW_PER_SLOT: usize = 16;

/// How many downloads may wait without a global slot for a slow site, at these settings: a
/// front end feeding the engine bit by bit keeps this many more in it.
pub fn waiting_limit(settings: &crate::config::FetchSettings) -> usize {
    SLOW_PER_SLOT * settings.concurrency
}

/// Where a running download is, which says what it counts toward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// On the network: the global limit and its host's.
    Network,
    /// Waiting longer than [`SLOW_ANSWER`] for its site to answer: its host's limit only.
    Slow,
    /// Waiting to try again: neither.
    BackingOff,
    /// Its body received, being checked and named: neither; `received` bytes count toward the
    /// run's size limit.
    Naming { received: u64 },
}

impl Dispatcher {
    fn slot_of(&mut self, id: JobId) -> Option<&mut Running> {
        self.running.get_mut(&id)
    }

    /// A download left the network: one more may start, globally and on its host.
    fn release(&mut self, host: &str) {
        self.receiving = self.receiving.saturating_sub(1);
        self.release_host(host);
    }

    fn release_host(&mut self, host: &str) {
        if let Some(n) = self.per_host.get_mut(host) {
            *n -= 1;
            if *n == 0 {
                self.per_host.remove(host);
            }
        }
    }

    pub(super) fn received(&mut self, id: JobId, bytes: u64) {
        if let Some(r) = self.slot_of(id)
            && r.slot == Slot::Network
        {
            r.slot = Slot::Naming { received: bytes };
            let host = r.host.clone();
            self.naming_bytes += bytes;
            self.release(&host);
        }
    }

    /// A site is slow to answer: its download gives its global slot to another site, unless
    /// too many already wait so.
    pub(super) fn slow(&mut self, id: JobId) {
        let room = self.slow < waiting_limit(&self.settings);
        if let Some(r) = self.slot_of(id)
            && r.slot == Slot::Network
            && room
        {
            r.slot = Slot::Slow;
            self.slow += 1;
            self.receiving = self.receiving.saturating_sub(1);
        }
    }

    /// The slow site answered, or the try ended: the download counts again (for a moment the
    /// global limit may be over by the few that answered at once; nothing new starts then).
    pub(super) fn answered(&mut self, id: JobId) {
        if let Some(r) = self.slot_of(id)
            && r.slot == Slot::Slow
        {
            r.slot = Slot::Network;
            self.slow -= 1;
            self.receiving += 1;
        }
    }

    pub(super) fn backoff(&mut self, id: JobId) {
        if let Some(r) = self.slot_of(id)
            && r.slot == Slot::Network
        {
            r.slot = Slot::BackingOff;
            let host = r.host.clone();
            self.backing_off += 1;
            self.release(&host);
        }
    }

    /// A download's wait before its next try is over: it waits its turn for a slot.
    pub(super) fn again(&mut self, id: JobId, slot: oneshot::Sender<()>) {
        if self
            .running
            .get(&id)
            .is_some_and(|r| r.slot == Slot::BackingOff)
        {
            self.retrying.push_back((id, slot));
        } else {
            let _ = slot.send(());
        }
    }

    /// Gives slots to downloads whose wait before trying again is over, oldest first, within
    /// the global limit and their host's pace (a retry is a request like any other).
    pub(super) fn start_retries(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.retrying.len() && self.receiving < self.settings.concurrency {
            let id = self.retrying[i].0;
            let Some(r) = self.running.get(&id).filter(|r| r.slot == Slot::BackingOff) else {
                self.retrying.remove(i);
                continue;
            };
            let host = r.host.clone();
            let active = self.per_host.get(&host).copied().unwrap_or(0);
            let (gap, limit) = self.net.rules.pace(&r.url, &self.settings);
            if let Err(wake) = self.pacing.may_start(&host, active, gap, limit, now) {
                if let Some(t) = wake {
                    self.wake_at = Some(self.wake_at.map_or(t, |w| w.min(t)));
                }
                i += 1;
                continue;
            }
            let Some((_, given)) = self.retrying.remove(i) else {
                break;
            };
            // A download cancelled meanwhile has stopped listening; its end frees nothing.
            if given.send(()).is_ok()
                && let Some(r) = self.slot_of(id)
            {
                r.slot = Slot::Network;
                self.backing_off -= 1;
                self.receiving += 1;
                *self.per_host.entry(host.clone()).or_default() += 1;
                self.pacing.started(&host, now);
            }
        }
    }

    /// A download ended: what it held is free.
    pub(super) fn leave_slot(&mut self, r: &Running) {
        match r.slot {
            Slot::Network => self.release(&r.host),
            Slot::Slow => {
                self.slow -= 1;
                self.release_host(&r.host);
            }
            Slot::BackingOff => self.backing_off -= 1,
            Slot::Naming { received } => {
                self.naming_bytes = self.naming_bytes.saturating_sub(received);
            }
        }
    }
}
