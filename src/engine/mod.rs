//! Downloads on a background tokio runtime, driven by [`Command`]s and reporting [`Event`]s.
//!
//! The [`Engine`] owns a named thread running a multi-threaded runtime. A single dispatcher task
//! owns the queue: it starts a download when both the global limit and the job's per-host limit
//! have room, so a 100,000-URL list costs one small `Job` per URL, not a task or a socket each.
//! Front ends (window, CLI) only send commands and drain events; a waker callback tells a window
//! to repaint when something arrived.

mod error;
mod fetch;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use error::{FetchError, human_bytes};
pub use fetch::Saved;

use crate::journal::{self, Journal, Record};
use crate::settings::FetchSettings;
use crate::store::Store;

/// Identifies one submitted download for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// What front ends ask of the engine.
#[derive(Debug)]
pub enum Command {
    /// Queue downloads into the given folder.
    Submit(Vec<Job>),
    /// Stop one download (queued or running); its `.part` file is removed.
    Cancel(JobId),
    /// Stop everything queued or running.
    CancelAll,
    /// Start no new downloads until [`Command::Resume`]; running ones finish.
    Pause,
    /// Start downloads again after [`Command::Pause`].
    Resume,
    /// Change the limits for downloads started from now on.
    SetLimits { concurrency: usize, per_host: usize },
    /// Cancel everything and stop the runtime.
    Shutdown,
}

/// One download to do.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub url: Url,
    pub store: Store,
}

/// What the engine reports. Every submitted job ends with exactly one of `Saved`, `Failed` or
/// `Cancelled`.
#[derive(Debug)]
pub enum Event {
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
    /// Queues `urls` for download into `store`; returns their ids in the same order.
    pub fn submit(&self, store: &Store, urls: impl IntoIterator<Item = Url>) -> Vec<JobId> {
        let jobs: Vec<Job> = urls
            .into_iter()
            .map(|url| Job {
                id: JobId(self.next_id.fetch_add(1, Ordering::Relaxed)),
                url,
                store: store.clone(),
            })
            .collect();
        let ids = jobs.iter().map(|j| j.id).collect();
        self.send(Command::Submit(jobs));
        ids
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
    /// Starts the engine thread. `waker` is called after every event.
    pub fn start(settings: FetchSettings, waker: Option<Waker>) -> Result<Self, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("magpie-engine-worker")
            .enable_all()
            .build()?;
        let client = fetch::client(&settings)?;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = std::sync::mpsc::channel();
        let sink = EventSink { tx: ev_tx, waker };
        let thread = std::thread::Builder::new()
            .name("magpie-engine".into())
            .spawn(move || {
                runtime.block_on(Dispatcher::new(settings, client, sink).run(cmd_rx));
            })?;
        Ok(Self {
            handle: EngineHandle {
                commands: cmd_tx,
                next_id: Arc::new(AtomicU64::new(1)),
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
    pub fn submit(&self, store: &Store, urls: impl IntoIterator<Item = Url>) -> Vec<JobId> {
        self.handle.submit(store, urls)
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

/// Owns the queue and the running downloads; lives on the runtime.
struct Dispatcher {
    settings: FetchSettings,
    client: reqwest::Client,
    events: EventSink,
    /// Queued jobs by host, and the hosts in round-robin order.
    pending: HashMap<String, VecDeque<Job>>,
    hosts: VecDeque<String>,
    running: HashMap<JobId, Running>,
    per_host: HashMap<String, usize>,
    paused: bool,
    busy: bool,
    /// Set on shutdown: downloads stopped then stay pending in the journal, to be resumed.
    shutting_down: bool,
    /// Open journals by output folder (`None`: could not be opened; not retried).
    journals: HashMap<std::path::PathBuf, Option<Journal>>,
    done_tx: mpsc::UnboundedSender<(JobId, Outcome)>,
    done_rx: mpsc::UnboundedReceiver<(JobId, Outcome)>,
}

/// A download in progress, as the dispatcher tracks it.
struct Running {
    host: String,
    token: CancellationToken,
    url: Url,
    dir: std::path::PathBuf,
}

/// How a download ended, for the journal.
enum Outcome {
    Saved {
        path: std::path::PathBuf,
        bytes: u64,
    },
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
    fn new(settings: FetchSettings, client: reqwest::Client, events: EventSink) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            settings,
            client,
            events,
            pending: HashMap::new(),
            hosts: VecDeque::new(),
            running: HashMap::new(),
            per_host: HashMap::new(),
            paused: false,
            busy: false,
            shutting_down: false,
            journals: HashMap::new(),
            done_tx,
            done_rx,
        }
    }

    /// Appends `records` to the journal of `dir`, opening it on first use.
    fn journal(&mut self, dir: &std::path::Path, records: &[Record]) {
        let Some(journal_dir) = &self.settings.journal_dir else {
            return;
        };
        let entry = self.journals.entry(dir.to_path_buf()).or_insert_with(|| {
            let path = journal::path_for(journal_dir, dir);
            Journal::open(&path)
                .map_err(|e| tracing::warn!("no crash journal at {}: {e}", path.display()))
                .ok()
        });
        if let Some(j) = entry
            && let Err(e) = j.append(records)
        {
            tracing::warn!("cannot write the crash journal {}: {e}", j.path().display());
        }
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            self.start_what_fits();
            if self.busy && self.running.is_empty() && self.hosts.is_empty() {
                self.busy = false;
                self.events.send(Event::Finished);
            }
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.handle(command),
                },
                Some((id, outcome)) = self.done_rx.recv() => self.finished(id, outcome),
            }
        }
        self.shutting_down = true;
        self.cancel_all();
        // Let cancelled downloads remove their .part files before the runtime goes away.
        while !self.running.is_empty() {
            match self.done_rx.recv().await {
                Some((id, outcome)) => self.finished(id, outcome),
                None => break,
            }
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Submit(jobs) => {
                self.busy = true;
                let mut by_dir: HashMap<std::path::PathBuf, Vec<Record>> = HashMap::new();
                for job in &jobs {
                    by_dir
                        .entry(job.store.dir().to_path_buf())
                        .or_default()
                        .push(Record::Queued {
                            url: job.url.clone(),
                        });
                }
                for (dir, records) in by_dir {
                    self.journal(&dir, &records);
                }
                for job in jobs {
                    self.events.send(Event::Queued {
                        id: job.id,
                        url: job.url.clone(),
                    });
                    let key = host_key(&job.url);
                    let queue = self.pending.entry(key.clone()).or_default();
                    if queue.is_empty() {
                        self.hosts.push_back(key);
                    }
                    queue.push_back(job);
                }
            }
            Command::Cancel(id) => {
                if let Some(r) = self.running.get(&id) {
                    r.token.cancel();
                } else {
                    let mut removed = None;
                    for queue in self.pending.values_mut() {
                        if let Some(pos) = queue.iter().position(|j| j.id == id) {
                            removed = queue.remove(pos);
                            break;
                        }
                    }
                    if let Some(job) = removed {
                        self.journal(job.store.dir(), &[Record::Cancelled { url: job.url }]);
                        self.events.send(Event::Cancelled { id });
                    }
                    self.drop_empty_hosts();
                }
            }
            Command::CancelAll => self.cancel_all(),
            Command::Pause => self.paused = true,
            Command::Resume => self.paused = false,
            Command::SetLimits {
                concurrency,
                per_host,
            } => {
                self.settings.concurrency = concurrency.max(1);
                self.settings.per_host = per_host.max(1);
            }
            Command::Shutdown => {}
        }
    }

    fn cancel_all(&mut self) {
        let pending: Vec<Job> = self.pending.drain().flat_map(|(_, q)| q).collect();
        self.hosts.clear();
        for job in pending {
            if !self.shutting_down {
                self.journal(job.store.dir(), &[Record::Cancelled { url: job.url }]);
            }
            self.events.send(Event::Cancelled { id: job.id });
        }
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
            },
            Outcome::Failed(error) => Record::Failed { url: r.url, error },
            // Stopped by shutdown (Ctrl-C, window closed): still pending, for --resume.
            Outcome::Cancelled if self.shutting_down => return,
            Outcome::Cancelled => Record::Cancelled { url: r.url },
        };
        self.journal(&r.dir, &[record]);
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
            let job = self.pending.get_mut(&host).and_then(VecDeque::pop_front);
            if self.pending.get(&host).is_some_and(|q| !q.is_empty()) {
                self.hosts.push_back(host.clone());
            } else {
                self.pending.remove(&host);
            }
            if let Some(job) = job {
                self.spawn(host, job);
            }
        }
    }

    fn spawn(&mut self, host: String, job: Job) {
        let token = CancellationToken::new();
        *self.per_host.entry(host.clone()).or_default() += 1;
        self.running.insert(
            job.id,
            Running {
                host,
                token: token.clone(),
                url: job.url.clone(),
                dir: job.store.dir().to_path_buf(),
            },
        );
        let ctx = fetch::JobCtx {
            id: job.id,
            url: job.url,
            store: job.store,
            client: self.client.clone(),
            settings: self.settings.clone(),
            events: self.events.clone(),
        };
        let done = self.done_tx.clone();
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
            let _ = done.send((id, outcome));
        });
    }
}
