//! The dispatcher: one task on the engine's runtime that owns the queue, the open folders and
//! the running downloads. It starts a download when both the global limit and the job's per-host
//! limit have room, taking hosts in turn, so a 100,000-URL list costs one small `Job` per URL, not
//! a task or a socket each. Folder opens and journal writes run off the runtime (a blocking task,
//! a writer thread per folder) and report back as [`Internal`] messages.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use url::Url;

mod ending;
mod opening;
mod slots;
mod starting;

pub(crate) use slots::SLOW_ANSWER;
pub use slots::waiting_limit;

use super::error::HostHealth;
use super::folders::{self, Claims, Folder, FolderError, OpenedFolder};
use super::net::Net;
use super::pacing::{HostState, Pacing};
use super::{Command, Event, EventSink, FetchError, Job, JobId};
use crate::config::FetchSettings;
use crate::journal::{Record, Session};
use tokio::time::Instant;

/// What the engine's own tasks and threads tell the dispatcher.
pub(crate) enum Internal {
    /// A download has its whole body: its network slot is free while the file is checked and
    /// named.
    Received(JobId, u64),
    /// A download has waited [`slots::SLOW_ANSWER`] for its site to answer: its global slot
    /// may go to another site meanwhile.
    Slow(JobId),
    /// A slow site answered (or the try failed): the download counts again.
    Answered(JobId),
    /// A download waits before trying again: its network slot is free meanwhile, so one
    /// failing site's backoffs do not hold up the rest of the list.
    Backoff(JobId),
    /// A download's wait is over: it asks for a slot for its next try, given by answering.
    Again(JobId, oneshot::Sender<()>),
    /// A download ended.
    Done(JobId, Outcome),
    /// A host answered 429 or 503: it slows down.
    Throttled {
        host: String,
        status: u16,
        retry_after: Option<std::time::Duration>,
        /// When the request that got this answer was sent.
        sent: Instant,
    },
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
    /// A preview for the page checklist is complete in this file: a download of the same URL
    /// takes it instead of asking the server again.
    Previewed { url: Url, file: PathBuf },
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
pub(crate) struct Dispatcher {
    settings: FetchSettings,
    journal_dir: Option<PathBuf>,
    session: Session,
    net: Arc<Net>,
    events: EventSink,
    next_id: Arc<AtomicU64>,
    /// Open folders by absolute path, and the names front ends used for them.
    folders: HashMap<PathBuf, Arc<Folder>>,
    aliases: HashMap<PathBuf, PathBuf>,
    /// Folders being opened, with the jobs waiting for them.
    opening: HashMap<PathBuf, Vec<Job>>,
    /// Jobs handed to a journal writer to claim, and those of them cancelled meanwhile.
    claiming: HashSet<JobId>,
    /// Folders with claims at their journal writer, and how many (keeps them open meanwhile).
    claims_in_flight: HashMap<PathBuf, (Arc<Folder>, usize)>,
    /// Folders a front end is done with, to let go of once idle.
    closing: HashSet<PathBuf>,
    cancelled_early: HashSet<JobId>,
    writers: Vec<std::thread::JoinHandle<()>>,
    /// Queued jobs by host, and the hosts in round-robin order.
    pending: HashMap<String, VecDeque<Queued>>,
    hosts: VecDeque<String>,
    running: HashMap<JobId, Running>,
    /// Running downloads by where they are ([`slots::Slot`]): on the network (what the
    /// concurrency limit counts), waiting long for their site's answer, waiting to try again.
    receiving: usize,
    slow: usize,
    backing_off: usize,
    /// Downloads whose wait before trying again is over, in the order they asked for a slot:
    /// they go before queued jobs.
    retrying: VecDeque<(JobId, oneshot::Sender<()>)>,
    /// Bytes of downloads received and being checked and named (for the run's size limit).
    naming_bytes: u64,
    per_host: HashMap<String, usize>,
    paused: bool,
    busy: bool,
    /// Bytes saved by this engine, for the run's size limit.
    saved_bytes: u64,
    /// Set on shutdown: downloads stopped then stay pending in the journal, to be resumed.
    shutting_down: bool,
    /// This engine's folder for the page checklist's previews (removed at shutdown).
    previews: PathBuf,
    /// Complete previews by URL, taken by the first download of that URL.
    previewed: HashMap<Url, PathBuf>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: mpsc::UnboundedReceiver<Internal>,
    /// Each host's pace (rate, slow-downs, pauses).
    pacing: Pacing,
    /// When a host that is waiting may start again (the loop wakes then).
    wake_at: Option<Instant>,
}

/// A download in progress, as the dispatcher tracks it.
struct Running {
    host: String,
    token: CancellationToken,
    url: Url,
    folder: Arc<Folder>,
    /// Which limits it counts toward.
    slot: slots::Slot,
}

/// How a download ended, for the journal (a saved one is journaled as it is named).
pub(crate) enum Outcome {
    Saved {
        bytes: u64,
    },
    Failed {
        error: String,
        disk_full: bool,
        /// What it says about the host (a run of its failures pauses it).
        host: HostHealth,
    },
    Cancelled,
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Host and port: the unit the per-host limit counts.
pub(super) fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

impl Dispatcher {
    pub(crate) fn new(
        settings: FetchSettings,
        journal_dir: Option<PathBuf>,
        net: Arc<Net>,
        events: EventSink,
        next_id: Arc<AtomicU64>,
    ) -> Self {
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        Self {
            settings,
            journal_dir,
            session: fastrand::u64(1..),
            net,
            events,
            next_id,
            folders: HashMap::new(),
            aliases: HashMap::new(),
            opening: HashMap::new(),
            claiming: HashSet::new(),
            claims_in_flight: HashMap::new(),
            closing: HashSet::new(),
            cancelled_early: HashSet::new(),
            writers: Vec::new(),
            pending: HashMap::new(),
            hosts: VecDeque::new(),
            running: HashMap::new(),
            receiving: 0,
            slow: 0,
            backing_off: 0,
            retrying: VecDeque::new(),
            naming_bytes: 0,
            per_host: HashMap::new(),
            paused: false,
            busy: false,
            saved_bytes: 0,
            shutting_down: false,
            previews: super::preview::folder(),
            previewed: HashMap::new(),
            internal_tx,
            internal_rx,
            pacing: Pacing::default(),
            wake_at: None,
        }
    }

    /// Runs until shutdown; returns the journal writer threads, to be joined once every folder
    /// handle is gone.
    pub(crate) async fn run(
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
                _ = sleep_until(self.wake_at) => self.wake_at = None,
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
        // Previews were for this run's checklist only.
        let _ = std::fs::remove_dir_all(&self.previews);
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
            Command::CloseFolder { dir } => {
                if let Some(folder) = self.folder(&dir) {
                    self.closing.insert(folder.store.dir().to_path_buf());
                    self.close_idle_folders();
                }
            }
            Command::Submit { dir, jobs } => {
                self.busy = true;
                if let Some(folder) = self.folder(&dir) {
                    self.closing.remove(folder.store.dir());
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
            Command::Dismiss { dir, urls } => {
                // A later word than the failure: the journal's replay shows neither.
                if let Some(folder) = self.folder(&dir) {
                    let dismissed = urls.into_iter().map(|url| Record::Cancelled { url });
                    folder.record(dismissed.collect());
                }
            }
            Command::CancelAll => self.cancel_all(),
            Command::FetchPage { url } => {
                let (net, settings, events) =
                    (self.net.clone(), self.settings.clone(), self.events.clone());
                tokio::spawn(async move {
                    let result = super::page::fetch_page(&net, &settings, &url).await;
                    events.send(Event::PageFetched { asked: url, result });
                });
            }
            Command::PreviewImages { page, urls } => {
                let (net, settings, events) =
                    (self.net.clone(), self.settings.clone(), self.events.clone());
                let (dir, internal) = (self.previews.clone(), self.internal_tx.clone());
                tokio::spawn(super::preview::preview_all(
                    net, settings, page, urls, dir, events, internal,
                ));
            }
            Command::ResumeHosts => {
                for host in self.pacing.paused_hosts() {
                    self.pacing.resume(&host);
                    self.events.send(Event::Host {
                        host,
                        state: HostState::Normal,
                    });
                }
            }
            Command::Pause => self.paused = true,
            Command::Resume => self.paused = false,
            Command::Configure(settings) => {
                let settings = *settings;
                if settings != self.settings {
                    match Net::new(&settings) {
                        Ok((net, warnings)) => {
                            for w in warnings {
                                tracing::warn!("{w}");
                            }
                            self.net = net;
                        }
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

    fn internal(&mut self, message: Internal) {
        match message {
            Internal::Previewed { url, file } => {
                self.previewed.insert(url, file);
            }
            Internal::Received(id, bytes) => self.received(id, bytes),
            Internal::Slow(id) => self.slow(id),
            Internal::Answered(id) => self.answered(id),
            Internal::Backoff(id) => self.backoff(id),
            Internal::Again(id, slot) => self.again(id, slot),
            Internal::Done(id, outcome) => self.finished(id, outcome),
            Internal::Throttled {
                host,
                status,
                retry_after,
                sent,
            } => {
                let state = self
                    .pacing
                    .throttled(&host, status, retry_after, sent, Instant::now());
                self.events.send(Event::Host { host, state });
            }
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
                let folder = match self.claims_in_flight.get_mut(&dir) {
                    Some((folder, n)) => {
                        *n -= 1;
                        let folder = folder.clone();
                        if *n == 0 {
                            self.claims_in_flight.remove(&dir);
                        }
                        folder
                    }
                    None => match self.folders.get(&dir) {
                        Some(folder) => folder.clone(),
                        None => return,
                    },
                };
                self.claimed(&folder, claims);
                drop(folder);
                self.close_idle_folders();
            }
        }
    }
}
