//! Downloads on a background tokio runtime, driven by [`Command`]s and reporting [`Event`]s.
//!
//! The [`Engine`] owns a named thread running a multi-threaded runtime. A single dispatcher task
//! owns the queue: it starts a download when both the global limit and the job's per-host limit
//! have room, so a 100,000-URL list costs one small `Job` per URL, not a task or a socket each.
//!
//! The engine also owns the output folders: front ends say which folder (`OpenFolder`,
//! `Submit { dir, .. }`) and the engine creates and opens it off their thread, locks it against
//! other Magpies, replays and tidies its journal, and is the only writer of that journal
//! ([`folders`]). Front ends (window, CLI) only send commands and drain events; a waker callback
//! tells a window to repaint when something arrived.

mod error;
mod fetch;
pub mod folders;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use error::FetchError;
pub use fetch::Saved;
pub use folders::{FolderError, OpenedFolder};

use crate::config::FetchSettings;
use crate::journal::{Record, Session};
use folders::{Claims, Folder};

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
    /// Stop one download (queued or running); its `.part` file is removed.
    Cancel(JobId),
    /// Stop everything queued or running.
    CancelAll,
    /// Start no new downloads until [`Command::Resume`]; running ones finish.
    Pause,
    /// Start downloads again after [`Command::Pause`].
    Resume,
    /// Use these settings for downloads started from now on.
    Configure(FetchSettings),
    /// Cancel everything and stop the runtime.
    Shutdown,
}

/// One download to do.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub url: Url,
}

/// Why a download was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
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
    /// Accepted into the queue.
    Queued { id: JobId, url: Url },
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
    /// Nothing is queued or running any more.
    Finished,
}

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
    /// Queues `urls` for download into the folder `dir`; returns their ids in the same order.
    pub fn submit(&self, dir: &Path, urls: impl IntoIterator<Item = Url>) -> Vec<JobId> {
        let jobs: Vec<Job> = urls
            .into_iter()
            .map(|url| Job {
                id: JobId(self.next_id.fetch_add(1, Ordering::Relaxed)),
                url,
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("magpie-engine-worker")
            .enable_all()
            .build()?;
        let client = fetch::client(&settings)?;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = std::sync::mpsc::channel();
        let sink = EventSink { tx: ev_tx, waker };
        let next_id = Arc::new(AtomicU64::new(1));
        let dispatcher = Dispatcher::new(settings, journal_dir, client, sink, next_id.clone());
        let thread = std::thread::Builder::new()
            .name("magpie-engine".into())
            .spawn(move || {
                let writers = runtime.block_on(dispatcher.run(cmd_rx));
                // An open still waiting on another Magpie's lock must not hold up the exit.
                runtime.shutdown_timeout(Duration::from_millis(200));
                // Every journal line sent is on disk before the engine is gone.
                for w in writers {
                    let _ = w.join();
                }
            })?;
        Ok(Self {
            handle: EngineHandle {
                commands: cmd_tx,
                next_id,
            },
            events: ev_rx,
            thread: Some(thread),
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

impl Drop for Engine {
    fn drop(&mut self) {
        self.handle.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the engine's own tasks and threads tell the dispatcher.
pub(crate) enum Internal {
    /// A download ended.
    Done(JobId, Outcome),
    /// A folder open finished (on a blocking thread).
    Opened {
        asked: PathBuf,
        result: Result<folders::Opened, FolderError>,
    },
    /// The history of a folder already open was read again.
    Reread {
        asked: PathBuf,
        dir: PathBuf,
        result: Result<crate::journal::History, FolderError>,
    },
    /// A folder's journal writer claimed jobs: `accepted` are journaled as queued, `skipped`
    /// are not to be fetched, each with the reason.
    Claimed { dir: PathBuf, claims: Claims },
}

/// A job waiting for a slot, with the folder it goes into.
struct Queued {
    job: Job,
    folder: Arc<Folder>,
}

/// Owns the queue, the open folders and the running downloads; lives on the runtime.
struct Dispatcher {
    settings: FetchSettings,
    journal_dir: Option<PathBuf>,
    session: Session,
    client: reqwest::Client,
    events: EventSink,
    next_id: Arc<AtomicU64>,
    /// Open folders by absolute path, and the names front ends used for them.
    folders: HashMap<PathBuf, Arc<Folder>>,
    aliases: HashMap<PathBuf, PathBuf>,
    /// Folders being opened, with the jobs waiting for them.
    opening: HashMap<PathBuf, Vec<Job>>,
    /// Jobs handed to a journal writer to claim, and those of them cancelled meanwhile.
    claiming: HashSet<JobId>,
    cancelled_early: HashSet<JobId>,
    writers: Vec<std::thread::JoinHandle<()>>,
    /// Queued jobs by host, and the hosts in round-robin order.
    pending: HashMap<String, VecDeque<Queued>>,
    hosts: VecDeque<String>,
    running: HashMap<JobId, Running>,
    per_host: HashMap<String, usize>,
    paused: bool,
    busy: bool,
    /// Set on shutdown: downloads stopped then stay pending in the journal, to be resumed.
    shutting_down: bool,
    internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
}

/// A download in progress, as the dispatcher tracks it.
struct Running {
    host: String,
    token: CancellationToken,
    url: Url,
    folder: Arc<Folder>,
}

/// How a download ended, for the journal.
pub(crate) enum Outcome {
    Saved { path: PathBuf, bytes: u64 },
    Failed(String),
    Cancelled,
}

/// Host and port: the unit the per-host limit counts.
fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

impl Dispatcher {
    fn new(
        settings: FetchSettings,
        journal_dir: Option<PathBuf>,
        client: reqwest::Client,
        events: EventSink,
        next_id: Arc<AtomicU64>,
    ) -> Self {
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        Self {
            settings,
            journal_dir,
            session: fastrand::u64(1..),
            client,
            events,
            next_id,
            folders: HashMap::new(),
            aliases: HashMap::new(),
            opening: HashMap::new(),
            claiming: HashSet::new(),
            cancelled_early: HashSet::new(),
            writers: Vec::new(),
            pending: HashMap::new(),
            hosts: VecDeque::new(),
            running: HashMap::new(),
            per_host: HashMap::new(),
            paused: false,
            busy: false,
            shutting_down: false,
            internal_tx,
            internal_rx,
        }
    }

    /// Runs until shutdown; returns the journal writer threads, to be joined once every folder
    /// handle is gone.
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) -> Vec<std::thread::JoinHandle<()>> {
        loop {
            self.start_what_fits();
            if self.busy && self.idle() {
                self.busy = false;
                self.events.send(Event::Finished);
            }
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.handle(command),
                },
                Some(internal) = self.internal_rx.recv() => self.internal(internal),
            }
        }
        self.shutting_down = true;
        self.cancel_all();
        // Let cancelled downloads remove their .part files before the runtime goes away.
        while !self.running.is_empty() {
            match self.internal_rx.recv().await {
                Some(Internal::Done(id, outcome)) => self.finished(id, outcome),
                Some(_) => {}
                None => break,
            }
        }
        std::mem::take(&mut self.writers)
    }

    fn idle(&self) -> bool {
        self.running.is_empty()
            && self.hosts.is_empty()
            && self.opening.is_empty()
            && self.claiming.is_empty()
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::OpenFolder { dir, resume } => self.open_folder(dir, resume),
            Command::Submit { dir, jobs } => {
                self.busy = true;
                if let Some(folder) = self.folder(&dir) {
                    self.claim(&folder, jobs);
                } else {
                    let waiting = !self.opening.contains_key(&dir);
                    self.opening.entry(dir.clone()).or_default().extend(jobs);
                    if waiting {
                        self.spawn_open(dir, false);
                    }
                }
            }
            Command::Cancel(id) => self.cancel(id),
            Command::CancelAll => self.cancel_all(),
            Command::Pause => self.paused = true,
            Command::Resume => self.paused = false,
            Command::Configure(settings) => {
                if settings.connect_timeout != self.settings.connect_timeout
                    || settings.per_host != self.settings.per_host
                {
                    match fetch::client(&settings) {
                        Ok(client) => self.client = client,
                        Err(e) => tracing::warn!("keeping the old HTTP client: {e}"),
                    }
                }
                self.settings = FetchSettings {
                    concurrency: settings.concurrency.max(1),
                    per_host: settings.per_host.max(1),
                    max_attempts: settings.max_attempts.max(1),
                    ..settings
                };
            }
            Command::Shutdown => {}
        }
    }

    /// The open folder a front end means by `dir` (the name it used, or the absolute path).
    fn folder(&self, dir: &Path) -> Option<Arc<Folder>> {
        let dir = self.aliases.get(dir).map_or(dir, PathBuf::as_path);
        self.folders.get(dir).cloned()
    }

    fn open_folder(&mut self, dir: PathBuf, resume: bool) {
        if let Some(folder) = self.folder(&dir) {
            // Already open here: just read its history again for the front end.
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

    fn spawn_open(&mut self, dir: PathBuf, resume: bool) {
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

    fn internal(&mut self, message: Internal) {
        match message {
            Internal::Done(id, outcome) => self.finished(id, outcome),
            Internal::Opened { asked, result } => self.opened(asked, result),
            Internal::Reread { asked, dir, result } => match result {
                Ok(history) => self.events.send(Event::FolderOpened {
                    asked,
                    folder: OpenedFolder {
                        dir,
                        history,
                        ..OpenedFolder::default()
                    },
                }),
                Err(error) => self.events.send(Event::FolderFailed {
                    asked,
                    error: Arc::new(error),
                }),
            },
            Internal::Claimed { dir, claims } => {
                let Some(folder) = self.folders.get(&dir).cloned() else {
                    return;
                };
                self.claimed(&folder, claims);
            }
        }
    }

    fn opened(&mut self, asked: PathBuf, result: Result<folders::Opened, FolderError>) {
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
            .map(|url| Job {
                id: JobId(self.next_id.fetch_add(1, Ordering::Relaxed)),
                url,
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

    fn claim(&mut self, folder: &Arc<Folder>, jobs: Vec<Job>) {
        let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
        match folder.claim(jobs) {
            Some(claims) => self.claimed(folder, claims),
            None => self.claiming.extend(ids),
        }
    }

    /// Queues claimed jobs (minus those cancelled while being claimed) and reports the skipped.
    fn claimed(&mut self, folder: &Arc<Folder>, claims: Claims) {
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
            self.events.send(Event::Queued {
                id: job.id,
                url: job.url.clone(),
            });
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

    fn cancel(&mut self, id: JobId) {
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

    fn cancel_all(&mut self) {
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

    fn drop_empty_hosts(&mut self) {
        self.pending.retain(|_, q| !q.is_empty());
        let pending = &self.pending;
        self.hosts.retain(|h| pending.contains_key(h));
    }

    fn finished(&mut self, id: JobId, outcome: Outcome) {
        let Some(r) = self.running.remove(&id) else {
            return;
        };
        if let Some(n) = self.per_host.get_mut(&r.host) {
            *n -= 1;
            if *n == 0 {
                self.per_host.remove(&r.host);
            }
        }
        let record = match outcome {
            Outcome::Saved { path, bytes } => Record::Saved {
                url: r.url,
                path,
                bytes,
                session: self.session,
            },
            Outcome::Failed(error) => Record::Failed { url: r.url, error },
            // Stopped by shutdown (Ctrl-C, window closed): still pending, for a resume.
            Outcome::Cancelled if self.shutting_down => return,
            Outcome::Cancelled => Record::Cancelled { url: r.url },
        };
        r.folder.record(vec![record]);
    }

    /// Starts queued jobs while the global limit has room, taking hosts in turn and skipping
    /// those at their own limit.
    fn start_what_fits(&mut self) {
        if self.paused {
            return;
        }
        let mut skipped = 0;
        while self.running.len() < self.settings.concurrency && skipped < self.hosts.len() {
            let Some(host) = self.hosts.pop_front() else {
                break;
            };
            let active = self.per_host.get(&host).copied().unwrap_or(0);
            if active >= self.settings.per_host {
                self.hosts.push_back(host);
                skipped += 1;
                continue;
            }
            skipped = 0;
            let queued = self.pending.get_mut(&host).and_then(VecDeque::pop_front);
            if self.pending.get(&host).is_some_and(|q| !q.is_empty()) {
                self.hosts.push_back(host.clone());
            } else {
                self.pending.remove(&host);
            }
            if let Some(queued) = queued {
                self.spawn(host, queued);
            }
        }
    }

    fn spawn(&mut self, host: String, queued: Queued) {
        let Queued { job, folder } = queued;
        let token = CancellationToken::new();
        *self.per_host.entry(host.clone()).or_default() += 1;
        self.running.insert(
            job.id,
            Running {
                host,
                token: token.clone(),
                url: job.url.clone(),
                folder: folder.clone(),
            },
        );
        let ctx = fetch::JobCtx {
            id: job.id,
            url: job.url,
            store: folder.store.clone(),
            client: self.client.clone(),
            settings: self.settings.clone(),
            events: self.events.clone(),
        };
        let done = self.internal_tx.clone();
        tokio::spawn(async move {
            let id = ctx.id;
            let result = tokio::select! {
                biased;
                _ = token.cancelled() => Err(FetchError::Cancelled),
                r = fetch::fetch(&ctx) => r,
            };
            let (outcome, event) = match result {
                Ok(saved) => (
                    Outcome::Saved {
                        path: saved.path.clone(),
                        bytes: saved.bytes,
                    },
                    Event::Saved { id, saved },
                ),
                Err(FetchError::Cancelled) => (Outcome::Cancelled, Event::Cancelled { id }),
                Err(error) => (
                    Outcome::Failed(error.to_string()),
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
