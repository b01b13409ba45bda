//! Downloads on a background tokio runtime, driven by [`Command`]s and reporting [`Event`]s.
//!
//! The [`Engine`] owns a named thread running a current-thread runtime, on which one dispatcher
//! task ([`dispatcher`]) owns the queue and the running downloads ([`fetch`]); file work goes to
//! the runtime's blocking threads, about one per core.
//!
//! The engine also owns the output folders: front ends say which folder (`OpenFolder`,
//! `Submit { dir, .. }`) and the engine creates and opens it off their thread, locks it against
//! other Magpies, replays and tidies its journal, and is the only writer of that journal
//! ([`folders`]). Front ends (window, CLI) only send commands and drain events; a waker callback
//! tells a window to repaint when something arrived.

pub mod cookies;
mod dispatcher;
mod error;
mod fetch;
pub mod filters;
pub mod folders;
mod messages;
mod naming;
pub mod net;
mod pacing;
mod page;
mod preview;
mod retry;
mod url_keys;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use url::Url;

pub use dispatcher::waiting_limit;
pub use error::FetchError;
pub use fetch::Saved;
pub use folders::{FolderError, OpenedFolder};
pub use messages::{Command, Event, HostState, Job, JobId, JobInfo, Page, SkipReason};
pub use naming::preview as preview_name;
pub use preview::Preview;

use crate::config::FetchSettings;
use dispatcher::Dispatcher;
pub(crate) use dispatcher::Internal;

/// Called after each event is sent, e.g. `ctx.request_repaint()`.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Sends events and wakes the front end.
#[derive(Clone)]
pub(crate) struct EventSink {
    tx: std::sync::mpsc::Sender<Event>,
    waker: Option<Waker>,
}

impl EventSink {
    pub(crate) fn send(&self, event: Event) {
        // A front end that went away no longer needs events.
        if self.tx.send(event).is_ok()
            && let Some(w) = &self.waker
        {
            w();
        }
    }
}

/// Sends commands to a running engine; cheap to clone (e.g. for a Ctrl-C handler).
#[derive(Clone)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
    next_id: Arc<AtomicU64>,
}

impl EngineHandle {
    /// Queues `urls` for download into the folder `dir`, numbered as one list (`{index}`);
    /// returns their ids in the same order.
    pub fn submit(&self, dir: &Path, urls: impl IntoIterator<Item = Url>) -> Vec<JobId> {
        let urls: Vec<Url> = urls.into_iter().collect();
        let of = urls.len() as u64;
        self.submit_jobs(
            dir,
            urls.into_iter().enumerate().map(|(i, url)| {
                let info = JobInfo {
                    index: Some((i as u64 + 1, of)),
                    ..JobInfo::default()
                };
                (url, info)
            }),
        )
    }

    /// Queues downloads with what is known of where each came from (the page it is on, its
    /// place in a longer list).
    pub fn submit_jobs(
        &self,
        dir: &Path,
        jobs: impl IntoIterator<Item = (Url, JobInfo)>,
    ) -> Vec<JobId> {
        let jobs: Vec<Job> = jobs
            .into_iter()
            .map(|(url, info)| Job {
                id: JobId(self.next_id.fetch_add(1, Ordering::Relaxed)),
                url,
                info,
            })
            .collect();
        let ids = jobs.iter().map(|j| j.id).collect();
        self.send(Command::Submit {
            dir: dir.to_path_buf(),
            jobs,
        });
        ids
    }

    /// Asks for `dir` to be opened; see [`Command::OpenFolder`].
    pub fn open_folder(&self, dir: &Path, resume: bool) {
        self.send(Command::OpenFolder {
            dir: dir.to_path_buf(),
            resume,
        });
    }

    /// Sends any command. After shutdown this does nothing.
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }
}

/// The download engine: a runtime thread plus the channels to talk to it.
pub struct Engine {
    handle: EngineHandle,
    events: std::sync::mpsc::Receiver<Event>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Says the engine thread is about to end.
    stopped: std::sync::mpsc::Receiver<()>,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the download runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl Engine {
    /// Starts an engine that keeps no journals. `waker` is called after every event.
    pub fn start(settings: FetchSettings, waker: Option<Waker>) -> Result<Self, EngineError> {
        Self::start_journaled(settings, None, waker)
    }

    /// Starts the engine thread; each folder's journal (and lock) lives in `journal_dir`.
    pub fn start_journaled(
        settings: FetchSettings,
        journal_dir: Option<PathBuf>,
        waker: Option<Waker>,
    ) -> Result<Self, EngineError> {
        // One thread runs the dispatcher and every download: downloads wait on the network, and
        // the CPU and disk work (hashing aside) goes to the blocking pool, so a second worker
        // only added cross-thread wake-ups (about a fifth of the engine's CPU in the download
        // bench). The blocking pool's threads are the ones named here.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("magpie-disk")
            .on_thread_start(crate::background::mark_current_thread)
            .enable_all()
            .build()?;
        let (net, warnings) = net::Net::new(&settings)?;
        for w in warnings {
            tracing::warn!("{w}");
        }
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = std::sync::mpsc::channel();
        let sink = EventSink { tx: ev_tx, waker };
        let next_id = Arc::new(AtomicU64::new(1));
        let dispatcher = Dispatcher::new(settings, journal_dir, net, sink, next_id.clone());
        let (stopped_tx, stopped) = std::sync::mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("magpie-engine".into())
            .spawn(move || {
                crate::background::mark_current_thread();
                let writers = runtime.block_on(dispatcher.run(cmd_rx));
                // An open still waiting on another Magpie's lock must not hold up the exit.
                runtime.shutdown_timeout(Duration::from_millis(200));
                // Every journal line sent is on disk before the engine is gone.
                for w in writers {
                    let _ = w.join();
                }
                let _ = stopped_tx.send(());
            })?;
        Ok(Self {
            handle: EngineHandle {
                commands: cmd_tx,
                next_id,
            },
            events: ev_rx,
            thread: Some(thread),
            stopped,
        })
    }

    /// A cloneable sender of commands.
    pub fn handle(&self) -> EngineHandle {
        self.handle.clone()
    }

    /// See [`EngineHandle::submit`].
    pub fn submit(&self, dir: &Path, urls: impl IntoIterator<Item = Url>) -> Vec<JobId> {
        self.handle.submit(dir, urls)
    }

    /// See [`EngineHandle::submit_jobs`].
    pub fn submit_jobs(
        &self,
        dir: &Path,
        jobs: impl IntoIterator<Item = (Url, JobInfo)>,
    ) -> Vec<JobId> {
        self.handle.submit_jobs(dir, jobs)
    }

    /// See [`EngineHandle::open_folder`].
    pub fn open_folder(&self, dir: &Path, resume: bool) {
        self.handle.open_folder(dir, resume);
    }

    /// Sends a command.
    pub fn send(&self, command: Command) {
        self.handle.send(command);
    }

    /// The next event if one is waiting (never blocks; for a UI frame).
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event; `None` once the engine has stopped.
    pub fn recv(&self) -> Option<Event> {
        self.events.recv().ok()
    }

    /// Waits up to `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
}

/// Longest a closing front end waits for downloads to stop and journals to be written.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

impl Drop for Engine {
    fn drop(&mut self) {
        self.handle.send(Command::Shutdown);
        // Bounded: a disk that stopped answering must not keep the window from closing. What did
        // not finish stays pending in the journal for the next resume.
        if self.stopped.recv_timeout(SHUTDOWN_WAIT).is_ok()
            && let Some(t) = self.thread.take()
        {
            let _ = t.join();
        }
    }
}
