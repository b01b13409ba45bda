//! The output folders the engine downloads into: opened off the caller's thread, shared safely
//! between several Magpies through a lock, each with one journal writer.
//!
//! Two lock files sit beside a folder's journal in the data dir:
//! - `HASH.live`: every engine using the folder holds a shared lock on it for as long as it does.
//!   Whoever gets it exclusively knows no other Magpie is alive on the folder, so it may tidy up:
//!   compact the journal, remove leftover `.part` files, and take over the downloads a dead run
//!   left pending. Nobody else ever does those things.
//! - `HASH.lock`: a short mutex around opening a folder and around queueing (claiming) URLs. Under
//!   it an engine reads what other Magpies appended since it last looked and skips a URL another
//!   live Magpie has queued or has just saved, so two runs into one folder fetch each URL once.
//!   (A URL this engine itself has queued and not finished is skipped too.)

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use super::url_keys::UrlSet;
pub(crate) use super::writer::{Claims, NamingJournal};
use super::writer::{JournalOp, Lines, SharedLines, Writer};

use super::{Internal, Job};
use crate::journal::{self, History, Record, Session};
use crate::store::{Store, StoreError};

/// Why a folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot use the download journal {}: {source}", path.display())]
    Journal { path: PathBuf, source: io::Error },
}

impl FolderError {
    fn journal(path: &Path) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| FolderError::Journal {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What opening a folder found, reported to the front end in [`super::Event::FolderOpened`].
#[derive(Debug, Default)]
pub struct OpenedFolder {
    /// The folder, absolute.
    pub dir: PathBuf,
    /// What its journal remembers of the downloads that ended (saved or failed), one entry per
    /// URL.
    pub history: History,
    /// Downloads a dead run left pending that this engine took over (resume), with their ids.
    pub resumed: Vec<(super::JobId, Url)>,
    /// Leftover `.part` files of dead runs that were removed.
    pub parts_removed: usize,
    /// Downloads a dead run completed and named but never marked saved, found in the folder
    /// with the right size and content and marked saved now (not fetched again).
    pub recognised: usize,
    /// Journal lines that could not be read and were skipped.
    pub damaged_lines: usize,
    /// Another Magpie is using the folder: its pending downloads were left to it.
    pub shared: bool,
}

/// A folder the dispatcher can queue downloads into.
pub(crate) struct Folder {
    pub store: Store,
    /// `None` when journals are off (no data dir, or tests).
    journal: Option<(std::sync::mpsc::Sender<JournalOp>, SharedLines)>,
    session: Session,
    /// The disk's free and total bytes, and when they were read.
    space: std::sync::Mutex<Option<SpaceReading>>,
}

/// When a disk's (free, total) bytes were read, and what they were (`None`: unknown here).
type SpaceReading = (std::time::Instant, Option<(u64, u64)>);

/// How often a folder's free space is read again while downloads start.
const SPACE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

impl Folder {
    fn new(
        store: Store,
        journal: Option<(std::sync::mpsc::Sender<JournalOp>, SharedLines)>,
        session: Session,
    ) -> Self {
        Self {
            store,
            journal,
            session,
            space: std::sync::Mutex::new(None),
        }
    }

    /// Whether a new download may start: the disk keeps the smaller of `keep_bytes` and
    /// `keep_percent` of its size free. Read at most every 250 ms.
    pub fn has_room(&self, keep_bytes: u64, keep_percent: f64) -> Result<(), (u64, u64)> {
        let mut space = self
            .space
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        let fresh = space.is_some_and(|(at, _)| now.duration_since(at) < SPACE_CHECK_EVERY);
        if !fresh {
            *space = Some((now, free_space(self.store.dir())));
        }
        let Some((_, Some((free, total)))) = *space else {
            return Ok(()); // unknown here: do not block
        };
        let keep = keep_bytes.min((total as f64 * keep_percent / 100.0) as u64);
        if free < keep {
            Err((free, keep))
        } else {
            Ok(())
        }
    }

    /// Forgets the last reading (after a write ran out of space).
    pub fn recheck_space(&self) {
        if let Ok(mut space) = self.space.lock() {
            *space = None;
        }
    }

    /// Where downloads into this folder journal how they are named.
    pub fn naming_journal(&self) -> Option<NamingJournal> {
        self.journal
            .as_ref()
            .map(|(_, lines)| NamingJournal::new(lines.clone(), self.session))
    }

    /// Appends records to the folder's journal (off the async executor).
    pub fn record(&self, records: Vec<Record>) {
        if let Some((tx, _)) = &self.journal {
            let _ = tx.send(JournalOp::Append(records));
        }
    }

    /// Journals `jobs` as queued, minus the URLs another live Magpie has queued into this folder;
    /// the answer comes back as [`Internal::Claimed`]. Without a journal every job is accepted
    /// at once (`Some`).
    pub fn claim(&self, jobs: Vec<Job>, archive: bool) -> Option<Claims> {
        let unjournaled = |accepted| Claims {
            accepted,
            skipped: Vec::new(),
        };
        match &self.journal {
            Some((tx, _)) => match tx.send(JournalOp::Claim(jobs, archive)) {
                Ok(()) => None,
                Err(std::sync::mpsc::SendError(JournalOp::Claim(jobs, _))) => {
                    Some(unjournaled(jobs))
                }
                Err(_) => Some(Claims::default()),
            },
            None => Some(unjournaled(jobs)),
        }
    }
}

/// Everything an open needs; runs on a blocking thread.
pub(crate) struct OpenRequest {
    pub dir: PathBuf,
    pub journal_dir: Option<PathBuf>,
    pub resume: bool,
    pub session: Session,
    /// Where the journal writer reports claims.
    pub internal: tokio::sync::mpsc::UnboundedSender<Internal>,
}

/// The result of an open: the folder, its report (with the URLs to resume, ids not yet given),
/// and the writer thread to join at shutdown.
pub(crate) struct Opened {
    pub folder: Arc<Folder>,
    pub report: OpenedFolder,
    pub resume: Vec<(Url, super::JobInfo)>,
    pub writer: Option<std::thread::JoinHandle<()>>,
}

/// Creates and opens the folder, locks it, replays its journal and, when no other Magpie is
/// using it, tidies up. Blocking: may wait on a slow disk or on another Magpie's lock.
pub(crate) fn open(req: OpenRequest) -> Result<Opened, FolderError> {
    let store = Store::open(&req.dir)?;
    let Some(journal_dir) = req.journal_dir else {
        return Ok(Opened {
            report: OpenedFolder {
                dir: store.dir().to_path_buf(),
                ..OpenedFolder::default()
            },
            folder: Arc::new(Folder::new(store, None, req.session)),
            resume: Vec::new(),
            writer: None,
        });
    };
    crate::private::create_dir(&journal_dir).map_err(FolderError::journal(&journal_dir))?;
    let path = journal::path_for(&journal_dir, store.dir());
    let store = store.with_hash_index(path.with_extension("hashes"));
    let lock_file = |ext: &str| {
        let p = path.with_extension(ext);
        crate::private::options()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&p)
            .map_err(FolderError::journal(&p))
    };
    let mutex = lock_file("lock")?;
    let live = lock_file("live")?;
    mutex.lock().map_err(FolderError::journal(&path))?;

    let alone = match live.try_lock() {
        Ok(()) => true,
        Err(TryLockError::WouldBlock) => false,
        Err(TryLockError::Error(e)) => return Err(FolderError::journal(&path)(e)),
    };
    let loaded = journal::load(&path).map_err(FolderError::journal(&path))?;
    let mut history = loaded.history;
    let mut resume = Vec::new();
    let mut parts_removed = 0;
    let mut elsewhere = UrlSet::default();
    let mut mine = UrlSet::default();
    let offset;
    let mut recognised = 0;
    if alone {
        // Every earlier session is dead: tidy up, and adopt their pending downloads if asked.
        if req.resume {
            recognised = recognise_named(store.dir(), &mut history);
            for r in &mut history.entries {
                let (pending, info) = match r {
                    Record::Queued { url, info, .. } => (url.clone(), info.clone()),
                    Record::Naming { url, .. } => (url.clone(), Default::default()),
                    _ => continue,
                };
                *r = Record::Queued {
                    url: pending.clone(),
                    session: req.session,
                    info: info.clone(),
                };
                mine.insert(&pending);
                resume.push((pending, info));
            }
        }
        journal::compact(&path, &history).map_err(FolderError::journal(&path))?;
        parts_removed = store.remove_stale_parts();
        offset = std::fs::metadata(&path)
            .map_err(FolderError::journal(&path))?
            .len();
        // Safe to drop to shared between the two calls: other openers wait on the mutex.
        live.unlock().map_err(FolderError::journal(&path))?;
        live.lock_shared().map_err(FolderError::journal(&path))?;
    } else {
        // Exclusive holders only exist under the mutex, which is ours: this does not wait.
        live.lock_shared().map_err(FolderError::journal(&path))?;
        elsewhere.extend(history.pending());
        offset = loaded.consumed;
    }
    let append = crate::private::options()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(FolderError::journal(&path))?;
    crate::private::restrict(&append).map_err(FolderError::journal(&path))?;
    let reader = File::open(&path).map_err(FolderError::journal(&path))?;
    let tail = File::open(&path).map_err(FolderError::journal(&path))?;
    let _ = mutex.unlock();
    let lines = Arc::new(std::sync::Mutex::new(Lines {
        path: path.clone(),
        append,
        tail,
    }));

    let dir = store.dir().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    let writer = Writer {
        path: path.clone(),
        dir: dir.clone(),
        lines: lines.clone(),
        reader,
        offset,
        mutex,
        _live: live,
        session: req.session,
        elsewhere,
        saved_elsewhere: UrlSet::default(),
        mine,
        // The archive counts while the folder holds anything: a new or emptied folder (after
        // `rm -rf` and a fresh start) fetches its list again.
        archive: if has_files(store.dir()) {
            history.saved_at().collect()
        } else {
            Default::default()
        },
        internal: req.internal,
    };
    let handle = std::thread::Builder::new()
        .name("magpie-journal".into())
        .spawn(move || {
            crate::background::mark_current_thread();
            writer.run(rx)
        })
        .map_err(FolderError::journal(&path))?;
    Ok(Opened {
        report: OpenedFolder {
            dir,
            history: history.finished(),
            resumed: Vec::new(),
            parts_removed,
            recognised,
            damaged_lines: loaded.skipped,
            shared: !alone,
        },
        folder: Arc::new(Folder::new(store, Some((tx, lines)), req.session)),
        resume,
        writer: Some(handle),
    })
}

/// Reads the history of a folder this engine already has open (no tidying: the engine's own
/// downloads may be running).
pub(crate) fn reread(folder: &Folder, journal_dir: Option<&Path>) -> Result<History, FolderError> {
    let Some(journal_dir) = journal_dir else {
        return Ok(History::default());
    };
    let path = journal::path_for(journal_dir, folder.store.dir());
    Ok(journal::load(&path)
        .map_err(FolderError::journal(&path))?
        .history
        .finished())
}

/// Finds, for each `Naming` entry of a dead run, a file in `dir` with the wanted name (or a
/// numbered variant of it), the same size and the same BLAKE3, and marks the entry saved.
/// Returns how many were found.
fn recognise_named(dir: &Path, history: &mut History) -> usize {
    if !history
        .entries
        .iter()
        .any(|r| matches!(r, Record::Naming { .. }))
    {
        return 0;
    }
    // Files by size, per subfolder a name template used: only those of the right size are hashed.
    let mut listed: HashMap<String, HashMap<u64, Vec<String>>> = HashMap::new();
    let mut found = 0;
    for r in &mut history.entries {
        let Record::Naming {
            url,
            file,
            bytes,
            blake3,
            session,
        } = r
        else {
            continue;
        };
        let (sub, wanted) = file.rsplit_once('/').unwrap_or(("", file.as_str()));
        if sub.split('/').any(|c| c == ".." || c.starts_with('/')) || sub.starts_with('/') {
            continue; // not a path Magpie writes: never look outside the folder
        }
        let by_size = listed
            .entry(sub.to_string())
            .or_insert_with(|| files_by_size(&dir.join(sub)));
        let named = by_size.get(bytes).into_iter().flatten().find(|candidate| {
            crate::store::names::is_name_or_numbered(candidate, wanted)
                && crate::store::hash_file(&dir.join(sub).join(candidate.as_str())).as_deref()
                    == Some(blake3.as_str())
        });
        let named = named.map(|n| {
            if sub.is_empty() {
                n.clone()
            } else {
                format!("{sub}/{n}")
            }
        });
        if let Some(name) = named {
            *r = Record::Saved {
                url: url.clone(),
                file: name.clone(),
                bytes: *bytes,
                page: None,
                session: *session,
                at: 0, // when is not known
            };
            found += 1;
        }
    }
    found
}

/// The visible regular files in `dir`, by size.
fn files_by_size(dir: &Path) -> HashMap<u64, Vec<String>> {
    let mut by_size: HashMap<u64, Vec<String>> = HashMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let (Ok(meta), Some(name)) = (
            entry.metadata(),
            entry.file_name().to_str().map(String::from),
        ) else {
            continue;
        };
        if meta.is_file() && !name.starts_with('.') {
            by_size.entry(meta.len()).or_default().push(name);
        }
    }
    by_size
}

/// Whether `dir` holds any file or folder other than hidden ones.
fn has_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| !e.file_name().to_string_lossy().starts_with('.'))
    })
}

/// Free bytes (for an unprivileged writer) and total bytes of the file system holding `dir`.
#[cfg(target_os = "linux")]
fn free_space(dir: &Path) -> Option<(u64, u64)> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some((s.f_bavail * s.f_frsize, s.f_blocks * s.f_frsize))
}

#[cfg(not(target_os = "linux"))]
fn free_space(_dir: &Path) -> Option<(u64, u64)> {
    None
}
