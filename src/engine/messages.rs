//! The messages front ends and the engine exchange: [`Command`]s in, [`Event`]s out. The window
//! and the CLI meet the engine only here: no egui type in the engine, no reqwest type in them.

use std::path::PathBuf;
use std::sync::Arc;

pub use super::pacing::HostState;
use std::time::Duration;

use url::Url;

use super::{FetchError, FolderError, OpenedFolder, Saved};
use crate::config::FetchSettings;

/// Identifies one submitted download for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// What front ends ask of the engine.
#[derive(Debug)]
pub enum Command {
    /// Open a folder (create it, lock it, replay its journal) and report
    /// [`Event::FolderOpened`] or [`Event::FolderFailed`]. With `resume`, downloads a dead run
    /// left pending there start again. Submitting into a folder opens it too, without resume.
    OpenFolder { dir: PathBuf, resume: bool },
    /// Queue downloads into the folder `dir`.
    Submit { dir: PathBuf, jobs: Vec<Job> },
    /// The front end is done with `dir`: once nothing is queued or running there, the engine
    /// lets go of it (its lock and journal), so another Magpie may tidy it, and reports
    /// [`Event::FolderClosed`]. Submitting into it again first keeps it open.
    CloseFolder { dir: PathBuf },
    /// Stop one download (queued or running); its `.part` file is removed.
    Cancel(JobId),
    /// The front end no longer shows these failures in the folder `dir` (the user cleared them,
    /// or the address was a web page opened as one): its journal says so, and they are not
    /// shown as past failures when the folder is opened again. Only for an open folder.
    Dismiss { dir: PathBuf, urls: Vec<Url> },
    /// Stop everything queued or running.
    CancelAll,
    /// Start no new downloads until [`Command::Resume`]; running ones finish.
    Pause,
    /// Start downloads again after [`Command::Pause`].
    Resume,
    /// Fetch the web page at `url` (with its host's settings) and report the images on it as
    /// [`Event::PageFetched`].
    FetchPage { url: Url },
    /// Fetch a preview of each of `urls`, found on `page`, for the page checklist: reported
    /// one by one as [`Event::Previewed`]. Nothing goes into any output folder.
    PreviewImages { page: Url, urls: Vec<Url> },
    /// Let paused hosts start downloads again.
    ResumeHosts,
    /// Use these settings for downloads started from now on.
    Configure(Box<FetchSettings>),
    /// Cancel everything and stop the runtime.
    Shutdown,
}

/// One download to do.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub url: Url,
    pub info: JobInfo,
}

/// Where a download came from beyond its URL: what its Referer and its name template use. Kept
/// in the journal, so a resumed download is asked for and named as the first run would have.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobInfo {
    /// The page it was found on: sent as its Referer, as a browser would (unless the host's
    /// settings say otherwise). Boxed, as the title: most downloads come from a list, not a
    /// page, and every queued job carries this (8 bytes instead of 88 for a queue of 100,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Box<Url>>,
    /// That page's title (`{page_title}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_title: Option<Box<str>>,
    /// Its place in the list it came in, from 1, and the list's length (0: not known ahead), for
    /// `{index}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<(u64, u64)>,
    /// Fetch it even if the folder's download archive has it (Re-download).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub again: bool,
}

/// Why a download was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    /// Saved into this folder before (the download archive), on the day given.
    #[error("downloaded before{}", .0.as_ref().map(|d| format!(" on {d}")).unwrap_or_default())]
    DownloadedBefore(Option<String>),
    /// Left out by a filter; the sentence says which ("120×90 is smaller than 300×300").
    #[error("{0}")]
    Filtered(String),
    #[error("another Magpie is already downloading it into this folder")]
    ElsewhereInProgress,
    #[error("another Magpie saved it into this folder a moment ago")]
    SavedElsewhere,
    #[error("already queued for this folder")]
    AlreadyQueued,
}

/// What the engine reports. Every submitted job ends with exactly one of `Saved`, `Failed`,
/// `Cancelled` or `Skipped`.
#[derive(Debug)]
pub enum Event {
    /// A folder is open: what its journal remembers, and the downloads resumed in it.
    FolderOpened {
        /// The folder as the front end named it.
        asked: PathBuf,
        folder: OpenedFolder,
    },
    /// A folder cannot be used; downloads into it fail with the same error.
    FolderFailed {
        asked: PathBuf,
        error: Arc<FolderError>,
    },
    /// The engine let go of a folder after [`Command::CloseFolder`] (absolute path).
    FolderClosed { dir: PathBuf },
    /// Accepted into the queue (the front end has its URL: it submitted it, or had it with
    /// the folder's resumed downloads).
    Queued { id: JobId },
    /// An attempt began (sent again for each retry).
    Started { id: JobId },
    /// Bytes arrived; throttled per file.
    Progress {
        id: JobId,
        received: u64,
        total: Option<u64>,
    },
    /// An attempt failed in a way that may pass; the next one starts after `wait`.
    Retrying {
        id: JobId,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// The file is complete, checked, and under its final name.
    Saved { id: JobId, saved: Saved },
    /// The download failed for good.
    Failed { id: JobId, error: FetchError },
    /// The download was cancelled; nothing was left behind.
    Cancelled { id: JobId },
    /// Not downloaded, for the reason given; nothing was written.
    Skipped { id: JobId, reason: SkipReason },
    /// The answer to [`Command::FetchPage`]: the page's images, or why there are none.
    PageFetched {
        asked: Url,
        result: Result<Page, FetchError>,
    },
    /// The answer to [`Command::PreviewImages`] for one image.
    Previewed(Box<super::preview::Preview>),
    /// A host slowed down, recovered, or was paused (host:port).
    Host { host: String, state: HostState },
    /// Nothing is queued or running any more.
    Finished,
}

impl Event {
    /// The job this event is about, for events about one job.
    pub fn job(&self) -> Option<JobId> {
        match self {
            Event::Queued { id }
            | Event::Started { id }
            | Event::Progress { id, .. }
            | Event::Retrying { id, .. }
            | Event::Saved { id, .. }
            | Event::Failed { id, .. }
            | Event::Cancelled { id }
            | Event::Skipped { id, .. } => Some(*id),
            Event::Finished
            | Event::FolderOpened { .. }
            | Event::FolderFailed { .. }
            | Event::FolderClosed { .. }
            | Event::PageFetched { .. }
            | Event::Previewed(_)
            | Event::Host { .. } => None,
        }
    }
}

/// A web page and the images on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Where the page ended up (after redirects): relative links were resolved against it.
    pub url: Url,
    pub title: Option<String>,
    /// Each image once, in page order.
    pub images: Vec<Url>,
}
