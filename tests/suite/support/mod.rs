//! What the integration tests share: a real HTTP server on 127.0.0.1:0 serving images the test
//! generates (`server.rs`, `routes.rs`, `images.rs`), servers that misbehave below HTTP
//! (`odd_servers.rs`), and waiting on the engine like a front end does (here). Servers run on
//! one shared background runtime so tests can block on the engine's events.
#![allow(dead_code)]

pub mod cli;
mod harness;
mod images;
mod odd_servers;
mod routes;
mod server;
pub mod window;

// `tests/background.rs` includes this module too and uses little of it.
#[allow(unused_imports)]
pub use {images::*, odd_servers::*, routes::LAST_MODIFIED, server::*};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use magpie::config::FetchSettings;
use magpie::engine::{Engine, Event, JobId};

/// The runtime all test servers live on.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()
            .expect("test runtime")
    })
}
/// Settings for tests: short waits so retries and failures show up fast.
pub fn fast_settings() -> FetchSettings {
    FetchSettings {
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_secs(2),
        stall_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    }
}

/// What happened to each job, collected until the engine reports `Finished`.
#[derive(Debug, Default)]
pub struct Outcome {
    pub saved: HashMap<JobId, PathBuf>,
    pub failed: HashMap<JobId, String>,
    pub cancelled: Vec<JobId>,
    pub skipped: Vec<JobId>,
    pub retries: Vec<(JobId, Duration, String)>,
    /// What the user is told about how a file was fetched.
    pub notes: HashMap<JobId, String>,
}

/// Opens `dir` in `engine` and waits for the answer.
pub fn open_folder(engine: &Engine, dir: &Path) -> magpie::engine::OpenedFolder {
    engine.open_folder(dir, false);
    loop {
        match engine.recv_timeout(Duration::from_secs(30)) {
            Some(Event::FolderOpened { folder, .. }) => return folder,
            Some(Event::FolderFailed { error, .. }) => {
                panic!("cannot open {}: {error}", dir.display())
            }
            Some(_) => {}
            None => panic!("no answer opening {}", dir.display()),
        }
    }
}

/// Drains events until `Finished` (or panics after 60 s of silence).
pub fn run_to_end(engine: &Engine) -> Outcome {
    let mut out = Outcome::default();
    loop {
        let event = engine
            .recv_timeout(Duration::from_secs(60))
            .expect("engine went quiet without finishing");
        match event {
            Event::Saved { id, saved } => {
                if let Some(note) = saved.note {
                    out.notes.insert(id, note);
                }
                out.saved.insert(id, saved.path);
            }
            Event::Failed { id, error } => {
                out.failed.insert(id, error.to_string());
            }
            Event::Cancelled { id } => out.cancelled.push(id),
            Event::Skipped { id, .. } => out.skipped.push(id),
            Event::Retrying {
                id, wait, reason, ..
            } => out.retries.push((id, wait, reason)),
            Event::Finished => return out,
            _ => {}
        }
    }
}

/// Waits until process `pid` has `n` files open in `dir` that are downloads in progress: unnamed
/// files (`O_TMPFILE`, shown by the kernel as `DIR/#INODE (deleted)`) or `.part` files. The
/// folder's listing cannot tell, since unnamed files have no entry in it.
pub fn wait_for_downloads_on_disk(pid: u32, dir: &Path, n: usize) {
    let dir = std::fs::canonicalize(dir).expect("canonical dir");
    let prefix = format!("{}/", dir.display());
    let start = std::time::Instant::now();
    loop {
        let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter(|target| {
                let t = target.to_string_lossy();
                t.starts_with(&prefix)
                    && (t.contains("/#") || t.ends_with(".part") || t.ends_with(".part (deleted)"))
            })
            .count();
        if open >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never saw {n} downloads on disk in {} ({open} seen)",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (bounded) until `dir` holds `n` entries.
pub fn wait_for_entries(dir: &Path, n: usize) {
    let start = std::time::Instant::now();
    while files_in(dir).len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never saw {n} entries in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every file name in `dir`, sorted.
/// Every file under `dir`, as `sub/name` paths, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().expect("file type").is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
