//! Why a download failed, in words a person understands, and whether trying again could help.

use std::time::Duration;

use crate::format::{human_bytes, seconds};
use crate::store::StoreError;

/// The reason one download did not produce a file.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Not tried: its host failed too often in a row and was paused.
    #[error("not tried: {host} failed {failures} times in a row and was paused")]
    HostPaused { host: String, failures: u32 },
    /// Left out by a filter (`min_width`, `types`, …): nothing was saved.
    #[error("skipped: {0}")]
    Filtered(String),
    #[error("this address is an image, not a web page: add it as an image URL instead")]
    NotAPage,
    #[error("HTTP {code}{}{}", if reason.is_empty() { "" } else { " " }, reason)]
    Status {
        code: u16,
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection was not answered within the connect timeout (a dead address, or a
    /// firewall that drops rather than refuses). The system already resent the request several
    /// times within it, so it is tried once more, not as often as other connection trouble.
    #[error("could not connect: no answer from the site")]
    NoAnswer,
    /// The site's name does not resolve (NXDOMAIN): no retry can help, and an old list's dead
    /// domains would each hold a download slot through its retries.
    /// The host is not named: the failure's URL says it, and a list's dead domains then count
    /// as one reason in a summary.
    #[error("no such site: its name does not resolve")]
    UnknownHost,
    #[error("the connection broke: {0}")]
    Network(String),
    #[error("the server sent something that is not HTTP: {0}")]
    Protocol(String),
    #[error("timed out: no data for {}", seconds(*.0))]
    Stalled(Duration),
    #[error("too slow: under {} per second for {}", human_bytes(*min_speed), seconds(*window))]
    TooSlow { min_speed: u64, window: Duration },
    #[error("gave up after {} (time limit per file)", seconds(*.0))]
    Deadline(Duration),
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    #[error("redirected to a non-http(s) address: {0}")]
    BadRedirect(String),
    #[error(
        "redirected from https to plain http: {0} (not followed; allow_https_downgrade in the \
         settings allows it)"
    )]
    Downgrade(String),
    #[error("HTTP {0} redirect without a Location header")]
    RedirectWithoutLocation(u16),
    #[error("the server sent a partial response (HTTP 206) that was not asked for")]
    UnexpectedPartial,
    #[error("not an image: the server sent {0}")]
    NotAnImage(&'static str),
    #[error("larger than the {} limit", human_bytes(*.0))]
    TooLarge(u64),
    #[error("the body ended early: got {got} of {expected} bytes")]
    Truncated { got: u64, expected: u64 },
    #[error("the disk is nearly full ({} free; Magpie leaves {} free)", human_bytes(*free), human_bytes(*keep))]
    DiskNearlyFull { free: u64, keep: u64 },
    #[error("the run's size limit of {} was reached", human_bytes(*.0))]
    RunLimit(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output folder could not be opened; every download into it fails with the same reason.
    #[error(transparent)]
    Folder(std::sync::Arc<super::FolderError>),
    #[error("cancelled")]
    Cancelled,
}

/// What one failed download says about its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostHealth {
    /// The host's doing (refused, timed out, 5xx, 403, not an image…): counts toward a pause.
    Failing,
    /// The host answered (404, 410): it is up, and a run of failures there ends.
    Up,
    /// Nothing to do with the host: a filter, the disk, the run's limits, a cancel.
    Unknown,
}

impl FetchError {
    /// What the failure says about its host, for pausing a host that fails in a row.
    pub(crate) fn host_health(&self) -> HostHealth {
        match self {
            // The host answered that this one image is not there: it is up. Old lists lose
            // whole folders to 404s, and a pause would skip the images still there.
            FetchError::Status {
                code: 404 | 410, ..
            } => HostHealth::Up,
            FetchError::Filtered(_)
            | FetchError::Cancelled
            | FetchError::Store(_)
            | FetchError::RunLimit(_)
            | FetchError::DiskNearlyFull { .. }
            | FetchError::HostPaused { .. }
            | FetchError::Folder(_) => HostHealth::Unknown,
            _ => HostHealth::Failing,
        }
    }

    /// Whether another attempt could succeed: connection trouble, 5xx, 408 and 429.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Status { code, .. } => {
                matches!(code, 408 | 425 | 429 | 500 | 502 | 503 | 504)
            }
            FetchError::Connect(_)
            | FetchError::NoAnswer
            | FetchError::Network(_)
            | FetchError::Stalled(_)
            | FetchError::Truncated { .. } => true,
            _ => false,
        }
    }

    /// How many tries a download failing this way gets, at most `max_attempts`.
    pub fn attempts(&self, max_attempts: u32) -> u32 {
        match self {
            FetchError::NoAnswer => max_attempts.min(2),
            _ => max_attempts,
        }
    }

    /// The server's Retry-After, if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Describes a reqwest error by what happened, using the innermost cause for detail
/// ("connection refused", "unexpected end of file").
pub(crate) fn from_reqwest(e: &reqwest::Error) -> FetchError {
    use std::error::Error as _;
    // Our redirect policy's own verdicts travel inside reqwest's error.
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<RedirectRefused>() {
            return match r {
                RedirectRefused::TooMany(n) => FetchError::TooManyRedirects(*n),
                RedirectRefused::Scheme(u) => FetchError::BadRedirect(u.clone()),
                RedirectRefused::Downgrade(u) => FetchError::Downgrade(u.clone()),
            };
        }
        source = s.source();
    }
    let detail = innermost(e);
    if e.is_connect() && names_an_unknown_host(&detail) {
        FetchError::UnknownHost
    } else if e.is_connect() && (e.is_timeout() || detail == "deadline has elapsed") {
        FetchError::NoAnswer
    } else if e.is_connect() {
        FetchError::Connect(detail)
    } else if e.is_redirect() {
        FetchError::BadRedirect(detail)
    } else if e.is_body() || e.is_decode() {
        FetchError::Network(detail)
    } else if e.is_request() && looks_like_protocol_error(&detail) {
        FetchError::Protocol(detail)
    } else {
        FetchError::Network(detail)
    }
}

/// Whether a failed name lookup says the name does not exist, rather than that the lookup failed
/// for now ("Temporary failure in name resolution": retried). The resolver's words are all there
/// is: glibc's and musl's, macOS's, and Windows' (`WSAHOST_NOT_FOUND`).
fn names_an_unknown_host(detail: &str) -> bool {
    [
        "Name or service not known",
        "No address associated with hostname",
        "nodename nor servname provided, or not known",
        "No such host is known",
        "(os error 11001)",
    ]
    .iter()
    .any(|words| detail.contains(words))
}

fn looks_like_protocol_error(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("invalid") || d.contains("parse") || d.contains("header") || d.contains("too large")
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// Why our redirect policy stopped following.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedirectRefused {
    #[error("too many redirects (more than {0})")]
    TooMany(usize),
    #[error("redirect to a non-http(s) address: {0}")]
    Scheme(String),
    #[error("redirect from https to http: {0}")]
    Downgrade(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_rules() {
        let status = |code| FetchError::Status {
            code,
            reason: String::new(),
            retry_after: None,
        };
        assert!(status(503).is_retryable());
        assert!(status(429).is_retryable());
        assert!(status(408).is_retryable());
        assert!(!status(404).is_retryable());
        assert!(!status(410).is_retryable());
        assert!(!FetchError::NotAnImage("an HTML page").is_retryable());
        assert!(!FetchError::UnknownHost.is_retryable());
        assert_eq!(status(404).to_string(), "HTTP 404");
    }

    #[test]
    fn a_name_that_does_not_exist_is_told_from_a_lookup_that_failed_for_now() {
        let gai = |why: &str| format!("failed to lookup address information: {why}");
        assert!(names_an_unknown_host(&gai("Name or service not known")));
        assert!(names_an_unknown_host(&gai(
            "nodename nor servname provided, or not known"
        )));
        assert!(names_an_unknown_host(
            "No such host is known. (os error 11001)"
        ));
        assert!(!names_an_unknown_host(&gai(
            "Temporary failure in name resolution"
        )));
        assert!(!names_an_unknown_host("Connection refused (os error 111)"));
    }
}
