//! Politeness that adapts, per host: a pace (requests per second, with jitter, so a batch does
//! not hit a server in lockstep), fewer connections and longer gaps when a host answers 429 or
//! 503 (its `Retry-After` honoured before anything else starts there), a gentle return to the
//! configured pace as downloads succeed, and a pause after many failures in a row, so a dead host
//! costs one sentence instead of every URL's retries. Other hosts carry on meanwhile.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// Longest gap between two starts on a slowed-down host.
const MAX_GAP: Duration = Duration::from_secs(30);
/// Successes that earn a slowed-down host one more connection and a shorter gap.
const RECOVER_EVERY: u32 = 4;

/// What one host's pace is now.
#[derive(Debug, Clone)]
struct Pace {
    /// Gap between starts as configured (zero: none).
    base_gap: Duration,
    /// Connections as configured.
    base_limit: usize,
    gap: Duration,
    limit: usize,
    next_start: Option<Instant>,
    /// After a 429/503: nothing starts before this.
    waiting_until: Option<Instant>,
    /// When it was last slowed down.
    slowed_at: Option<Instant>,
    failures_in_a_row: u32,
    successes: u32,
    paused: bool,
}

/// What a host is doing, as the front ends show it.
#[derive(Debug, Clone, PartialEq)]
pub enum HostState {
    /// Back at its configured pace.
    Normal,
    /// Told to slow down: nothing starts there for `wait` ("i.example: waiting 30 s (429)").
    Waiting { wait: Duration, status: u16 },
    /// Stopped after this many failures in a row; its queued downloads failed at once.
    Paused { failures: u32 },
}

impl HostState {
    /// The state in words, with the host: "i.example: waiting 30 s (429)".
    pub fn describe(&self, host: &str) -> String {
        let host = shown_host(host);
        match self {
            HostState::Normal => format!("{host}: back to its usual pace"),
            HostState::Waiting { wait, status } => format!(
                "{host}: waiting {} ({status}), fewer connections for a while",
                crate::format::short_duration(*wait)
            ),
            HostState::Paused { failures } => {
                format!("{host}: paused after {failures} failures in a row")
            }
        }
    }
}

/// A host key ("host:port") as people write it: the port only when it is not the usual one,
/// so two servers on one machine read apart.
pub(crate) fn shown_host(key: &str) -> &str {
    key.strip_suffix(":443")
        .or_else(|| key.strip_suffix(":80"))
        .unwrap_or(key)
}

/// Every host's pace.
#[derive(Debug, Default)]
pub(crate) struct Pacing {
    hosts: HashMap<String, Pace>,
}

impl Pacing {
    fn pace(&mut self, host: &str, gap: Duration, limit: usize) -> &mut Pace {
        let pace = self.hosts.entry(host.to_string()).or_insert_with(|| Pace {
            base_gap: gap,
            base_limit: limit,
            gap,
            limit,
            next_start: None,
            waiting_until: None,
            slowed_at: None,
            failures_in_a_row: 0,
            successes: 0,
            paused: false,
        });
        // Settings changed: a slowed-down host keeps its slower pace until it recovers.
        if pace.base_gap != gap || pace.base_limit != limit {
            pace.base_gap = gap;
            pace.base_limit = limit;
            pace.gap = pace.gap.max(gap);
            pace.limit = pace.limit.min(limit).max(1);
        }
        pace
    }

    /// Whether a download may start on `host` now, with `active` running there; else the
    /// moment to look again (`None`: when one running there ends).
    pub fn may_start(
        &mut self,
        host: &str,
        active: usize,
        gap: Duration,
        limit: usize,
        now: Instant,
    ) -> Result<(), Option<Instant>> {
        let pace = self.pace(host, gap, limit);
        if let Some(until) = pace.waiting_until {
            if now < until {
                return Err(Some(until));
            }
            pace.waiting_until = None;
        }
        if active >= pace.limit {
            return Err(None);
        }
        match pace.next_start {
            Some(t) if now < t => Err(Some(t)),
            _ => Ok(()),
        }
    }

    /// A download started on `host`: the next may start one gap later (±25%).
    pub fn started(&mut self, host: &str, now: Instant) {
        if let Some(pace) = self.hosts.get_mut(host)
            && !pace.gap.is_zero()
        {
            let jitter = 0.75 + fastrand::f64() * 0.5;
            pace.next_start = Some(now + pace.gap.mul_f64(jitter));
        }
    }

    /// `host` answered 429 or 503 to a request sent at `sent`: halve its connections, double
    /// its gap, and start nothing there for `retry_after` (or the new gap). Returns the state
    /// to show.
    ///
    /// A request sent before the host's last slow-down was sent at the old pace, so its answer
    /// is no news: it is waited for, but does not slow the host again (as TCP shrinks its
    /// window once per round trip). Without this, the answers already on their way after one
    /// 429 halved and doubled again and again, and a host answering 503 to one request in 25
    /// sank to a start every 30 s.
    pub fn throttled(
        &mut self,
        host: &str,
        status: u16,
        retry_after: Option<Duration>,
        sent: Instant,
        now: Instant,
    ) -> HostState {
        let Some(pace) = self.hosts.get_mut(host) else {
            return HostState::Normal;
        };
        if pace.slowed_at.is_none_or(|at| sent >= at) {
            pace.limit = (pace.limit / 2).max(1);
            pace.gap = (pace.gap * 2).max(Duration::from_millis(250)).min(MAX_GAP);
            pace.successes = 0;
            pace.slowed_at = Some(now);
        }
        let wait = retry_after
            .unwrap_or(pace.gap)
            .min(Duration::from_secs(300));
        let until = now + wait;
        pace.waiting_until = Some(pace.waiting_until.map_or(until, |u| u.max(until)));
        HostState::Waiting { wait, status }
    }

    /// A download from `host` succeeded. Returns `Normal` when the host is back to its pace.
    pub fn succeeded(&mut self, host: &str) -> Option<HostState> {
        let pace = self.hosts.get_mut(host)?;
        pace.failures_in_a_row = 0;
        if pace.limit >= pace.base_limit && pace.gap <= pace.base_gap {
            return None;
        }
        pace.successes += 1;
        if pace.successes < RECOVER_EVERY {
            return None;
        }
        pace.successes = 0;
        pace.limit = (pace.limit + 1).min(pace.base_limit);
        pace.gap = pace.gap.mul_f64(0.7).max(pace.base_gap);
        if pace.gap < pace.base_gap + Duration::from_millis(10) {
            pace.gap = pace.base_gap;
        }
        (pace.limit >= pace.base_limit && pace.gap <= pace.base_gap).then_some(HostState::Normal)
    }

    /// `host` answered, though not with the image (a 404): it is up, so a run of failures ends.
    pub fn answered(&mut self, host: &str) {
        if let Some(pace) = self.hosts.get_mut(host) {
            pace.failures_in_a_row = 0;
        }
    }

    /// A download from `host` failed for good. Returns `Paused` when this makes `pause_after`
    /// in a row (0: never).
    pub fn failed(&mut self, host: &str, pause_after: u32) -> Option<HostState> {
        let pace = self.hosts.get_mut(host)?;
        // Downloads already running when the host was paused end after it: the count stays
        // the one it was paused at, so every "not tried" names the same number.
        if pace.paused {
            return None;
        }
        pace.failures_in_a_row += 1;
        if pause_after > 0 && pace.failures_in_a_row >= pause_after && !pace.paused {
            pace.paused = true;
            return Some(HostState::Paused {
                failures: pace.failures_in_a_row,
            });
        }
        None
    }

    pub fn is_paused(&self, host: &str) -> bool {
        self.hosts.get(host).is_some_and(|p| p.paused)
    }

    /// Hosts paused now.
    pub fn paused_hosts(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .hosts
            .iter()
            .filter(|(_, p)| p.paused)
            .map(|(h, _)| h.clone())
            .collect();
        v.sort();
        v
    }

    /// Lets a paused host start downloads again, afresh.
    pub fn resume(&mut self, host: &str) {
        if let Some(p) = self.hosts.get_mut(host) {
            p.paused = false;
            p.failures_in_a_row = 0;
        }
    }

    /// Failures in a row on `host` so far.
    pub fn failures(&self, host: &str) -> u32 {
        self.hosts.get(host).map_or(0, |p| p.failures_in_a_row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_host_waits_slows_down_and_recovers_gently() {
        let mut p = Pacing::default();
        let now = Instant::now();
        let (gap, limit) = (Duration::ZERO, 6);
        assert!(p.may_start("a", 0, gap, limit, now).is_ok());
        let state = p.throttled("a", 429, Some(Duration::from_secs(30)), now, now);
        assert_eq!(
            state,
            HostState::Waiting {
                wait: Duration::from_secs(30),
                status: 429
            }
        );
        assert_eq!(
            p.may_start("a", 0, gap, limit, now + Duration::from_secs(10)),
            Err(Some(now + Duration::from_secs(30)))
        );
        // Another host is not touched.
        assert!(p.may_start("b", 5, gap, limit, now).is_ok());
        // After the wait: three connections (half of six), and a gap between starts.
        let later = now + Duration::from_secs(31);
        assert!(p.may_start("a", 2, gap, limit, later).is_ok());
        assert_eq!(p.may_start("a", 3, gap, limit, later), Err(None));
        p.started("a", later);
        assert!(matches!(
            p.may_start("a", 0, gap, limit, later),
            Err(Some(_))
        ));
        // Successes bring it back, a step at a time.
        let mut back = None;
        for _ in 0..40 {
            if let Some(s) = p.succeeded("a") {
                back = Some(s);
                break;
            }
        }
        assert_eq!(back, Some(HostState::Normal));
    }

    #[test]
    fn answers_to_requests_sent_before_a_slow_down_do_not_slow_the_host_again() {
        let mut p = Pacing::default();
        let (gap, limit) = (Duration::ZERO, 8);
        let t0 = Instant::now();
        assert!(p.may_start("a", 0, gap, limit, t0).is_ok());
        let one = Duration::from_millis(1);
        let later = t0 + Duration::from_secs(5);
        p.throttled("a", 503, Some(one), t0, t0 + one);
        assert!(p.may_start("a", 3, gap, limit, later).is_ok());
        assert_eq!(
            p.may_start("a", 4, gap, limit, later),
            Err(None),
            "half of 8"
        );
        // Three more answers from requests already on their way: waited for, no further cut.
        for _ in 0..3 {
            p.throttled("a", 503, Some(one), t0, t0 + 2 * one);
        }
        assert!(p.may_start("a", 3, gap, limit, later).is_ok());
        // A request sent after the slow-down that is refused again: now it is news.
        p.throttled("a", 503, Some(one), t0 + 3 * one, t0 + 4 * one);
        assert!(p.may_start("a", 1, gap, limit, later).is_ok());
        assert_eq!(
            p.may_start("a", 2, gap, limit, later),
            Err(None),
            "half of 4"
        );
    }

    #[test]
    fn many_failures_in_a_row_pause_a_host_and_a_success_resets_the_count() {
        let mut p = Pacing::default();
        let now = Instant::now();
        let _ = p.may_start("dead", 0, Duration::ZERO, 6, now);
        for _ in 0..19 {
            assert_eq!(p.failed("dead", 20), None);
        }
        p.succeeded("dead");
        assert_eq!(p.failures("dead"), 0);
        for _ in 0..19 {
            p.failed("dead", 20);
        }
        assert_eq!(
            p.failed("dead", 20),
            Some(HostState::Paused { failures: 20 })
        );
        assert!(p.is_paused("dead"));
        // Downloads that were running end after the pause: the count it was paused at stays.
        for _ in 0..5 {
            assert_eq!(p.failed("dead", 20), None);
        }
        assert_eq!(p.failures("dead"), 20);
        p.resume("dead");
        assert!(!p.is_paused("dead"));
    }

    #[test]
    fn a_host_is_named_with_its_port_unless_it_is_the_usual_one() {
        assert_eq!(shown_host("cdn.example:443"), "cdn.example");
        assert_eq!(shown_host("cdn.example:80"), "cdn.example");
        assert_eq!(shown_host("127.0.0.1:8790"), "127.0.0.1:8790");
        assert_eq!(
            HostState::Paused { failures: 20 }.describe("127.0.0.1:8799"),
            "127.0.0.1:8799: paused after 20 failures in a row"
        );
    }

    #[test]
    fn an_answer_ends_a_run_of_failures() {
        let mut p = Pacing::default();
        let _ = p.may_start("h", 0, Duration::ZERO, 6, Instant::now());
        for _ in 0..19 {
            p.failed("h", 20);
        }
        p.answered("h");
        assert_eq!(p.failures("h"), 0);
        assert_eq!(p.failed("h", 20), None);
    }
}
