//! How downloads are run: limits, timeouts, retries and the size cap, shared by the window and the
//! CLI; the `[fetch]` table of the config file. Every field has a default that suits a home
//! connection; durations are written as people write them (`"30s"`, `"10m"`, `"500ms"`).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How downloads are run. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FetchSettings {
    /// Downloads in flight at once, across all hosts.
    pub concurrency: usize,
    /// Downloads in flight at once to one host.
    pub per_host: usize,
    /// Time allowed to open a connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Time allowed with no bytes arriving (before the headers or mid-body).
    #[serde(with = "humantime_serde")]
    pub stall_timeout: Duration,
    /// Time allowed for one file, across all its attempts.
    #[serde(with = "humantime_serde")]
    pub deadline: Duration,
    /// A body slower than `min_speed` bytes/s, averaged over `min_speed_window`, is given up.
    pub min_speed: u64,
    /// See `min_speed`.
    #[serde(with = "humantime_serde")]
    pub min_speed_window: Duration,
    /// Attempts per file, the first included.
    pub max_attempts: u32,
    /// First retry waits about this long; each later one doubles, with jitter.
    #[serde(with = "humantime_serde")]
    pub backoff_base: Duration,
    /// Longest wait between attempts, including a server's Retry-After.
    #[serde(with = "humantime_serde")]
    pub backoff_max: Duration,
    /// Largest file accepted, counted on decoded bytes.
    pub max_bytes: u64,
    /// New downloads fail with "the disk is nearly full" instead of starting while the folder's
    /// disk has less free than the smaller of `keep_free_bytes` and `keep_free_percent` of its
    /// size.
    pub keep_free_bytes: u64,
    /// See `keep_free_bytes`.
    pub keep_free_percent: f64,
    /// Stop starting downloads once this many bytes were saved (`magpie fetch --max-total`).
    #[serde(skip)]
    pub max_total_bytes: Option<u64>,
    /// Flush each file to the disk before it gets its final name (`fdatasync`), so a power cut
    /// never leaves a short file under a real name.
    pub sync_files: bool,
    /// Follow a redirect from https to plain http (off: such a redirect fails the download).
    pub allow_https_downgrade: bool,
    /// Progress events for one file are at most this frequent.
    #[serde(with = "humantime_serde")]
    pub progress_interval: Duration,
    /// `magpie` (Magpie's own User-Agent), `browser` (a current desktop Firefox), or the exact
    /// text to send.
    pub user_agent: String,
    /// The Referer sent: `none`, `origin` (the image's `https://host/`), `page` (the page the
    /// image was found on), or a URL. With `none`, a 403 earns one retry with the origin.
    pub referer: String,
    /// Proxy for every request, e.g. `http://proxy:3128` or `socks5h://127.0.0.1:1080`; empty
    /// uses the environment's (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    pub proxy: String,
    /// Extra headers for every request (per-host tables add to them).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    /// A Netscape `cookies.txt` file; each cookie goes only to the host it names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookies_file: Option<PathBuf>,
    /// Requests started per second on one host, at most (0: no limit); starts are jittered.
    pub requests_per_second: f64,
    /// Pause a host after this many failures in a row (0: never): its other downloads fail at
    /// once with a sentence instead of each burning its retries. A 404 or 410 is an answer,
    /// not a failure of the host, and ends the run.
    pub pause_after_failures: u32,
    /// Skip URLs saved into the folder before, even if the file was deleted or moved since
    /// (the download archive, kept in the folder's journal): "downloaded before on 2026-11-20".
    pub archive: bool,
    /// Save an image even when the folder already has the same bytes under another name (off:
    /// the item says "duplicate of NAME" and nothing new is written).
    pub keep_duplicates: bool,
    /// What saved files are called, inside the folder: `{name}.{ext}` (the server's name) by
    /// default; `{host}/{name}.{ext}`, `{index}-{hash8}.{ext}`, … (see the README).
    pub template: crate::store::Template,
    /// Write `NAME.json` beside each saved image: URL, page, time, size, dimensions, SHA-256,
    /// Last-Modified (`--write-metadata`).
    pub write_metadata: bool,
    /// Give each file the server's Last-Modified time (`--remote-time`, as `curl -R`).
    pub remote_time: bool,
    /// Leave out images smaller than this many bytes (0: keep all).
    pub min_bytes: u64,
    /// Leave out images larger than this many bytes (0: no limit but `max_bytes`), as a filter:
    /// "skipped", not "failed".
    pub max_size: u64,
    /// Leave out images narrower than this (read from the header while it downloads).
    pub min_width: u32,
    /// Leave out images lower than this.
    pub min_height: u32,
    /// Keep only these types, by extension (`["jpg", "png", "webp"]`); empty keeps all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// The `[hosts."name"]` tables (filled in from the config by [`super::Config::fetch_settings`]).
    #[serde(skip)]
    pub hosts: std::collections::BTreeMap<String, super::HostSettings>,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            concurrency: 16,
            per_host: 6,
            connect_timeout: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(10 * 60),
            min_speed: 1024,
            min_speed_window: Duration::from_secs(20),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            max_bytes: 100_000_000,
            keep_free_bytes: 1_000_000_000,
            keep_free_percent: 5.0,
            max_total_bytes: None,
            sync_files: true,
            allow_https_downgrade: false,
            progress_interval: Duration::from_millis(100),
            user_agent: "magpie".to_string(),
            referer: "none".to_string(),
            proxy: String::new(),
            headers: std::collections::BTreeMap::new(),
            cookies_file: None,
            requests_per_second: 0.0,
            pause_after_failures: 20,
            archive: true,
            keep_duplicates: false,
            template: crate::store::Template::default(),
            write_metadata: false,
            remote_time: false,
            min_bytes: 0,
            max_size: 0,
            min_width: 0,
            min_height: 0,
            types: Vec::new(),
            hosts: std::collections::BTreeMap::new(),
        }
    }
}

/// The User-Agent every request carries.
pub fn user_agent() -> String {
    format!("Magpie/{}", env!("CARGO_PKG_VERSION"))
}

/// Where images go when the user has not chosen: the platform Pictures folder + `Magpie`
/// (falling back to the home folder, then the current one).
pub fn default_output_dir() -> PathBuf {
    let dirs = directories::UserDirs::new();
    let base = dirs
        .as_ref()
        .and_then(|d| d.picture_dir().map(PathBuf::from))
        .or_else(|| dirs.as_ref().map(|d| d.home_dir().join("Pictures")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("Magpie")
}

/// The journals folder in the platform data dir (e.g. `~/.local/share/magpie/journals`).
pub fn journal_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "Magpie").map(|d| d.data_dir().join("journals"))
}
