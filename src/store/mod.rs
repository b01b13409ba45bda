//! Saving: stream into an unnamed file in the output folder (Linux `O_TMPFILE`; elsewhere a
//! hidden `.part` file), check it, then give it its final name without ever overwriting anything.
//!
//! A download's first megabyte is kept in memory and everything after it streams to disk a
//! megabyte at a time, on a blocking thread; a typical image therefore costs one trip to the disk
//! (create, write, check, flush, link). Disk work runs on at most about one thread per core per
//! folder ([`disk_threads`]): 64 downloads finishing at once queue for it instead of contending
//! for the folder's directory lock in the kernel. The flush before naming is outside that limit
//! and outside the folder's locks, because it only waits on the disk: flushes overlap, which on
//! a disk with slow flushes (a USB stick) is most of the time a folder takes.
//!
//! The rules that protect the user's folder live here and nowhere else:
//! - a file appears under its final name only when complete and checked;
//! - the final name is claimed race-free (a no-replace rename, a hard link, or an exclusively
//!   created placeholder), never check-then-rename, so an existing file, or a symlink, is never
//!   touched or followed;
//! - every name is sanitized components (a name template's subfolders included) joined to the
//!   folder, never through a symbolic link, so nothing lands outside it;
//! - a `.part` file is removed on every failure, including cancellation (its `Drop` does it); an
//!   unnamed file vanishes by itself, even when the process is killed.

mod claim;
mod in_flight;
pub mod jpeg_frame;
mod kind;
mod memory;
pub mod names;
mod part;
pub mod provenance;
mod same;
pub mod sidecar;
pub mod template;
mod unnamed;
pub mod verify;

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

pub use kind::{Kind, SNIFF_LEN, describe_non_image, sniff};
use part::Part;
pub use part::PartFile;
pub use template::{RelPath, Template, TemplateError};

/// BLAKE3 of a file, hex; `None` if it cannot be read.
pub(crate) fn hash_file(path: &Path) -> Option<String> {
    let mut hasher = blake3::Hasher::new();
    let mut file = std::fs::File::open(path).ok()?;
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hasher.finalize().to_hex().to_string())
}

/// Suffix of in-progress downloads.
pub const PART_SUFFIX: &str = ".part";

/// What can go wrong while saving.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the output folder {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("the output path is not a folder: {}", path.display())]
    NotADir { path: PathBuf },
    #[error("{} is a link: Magpie saves only inside the folder and does not follow links out of it", path.display())]
    Link { path: PathBuf },
    #[error("cannot write in the output folder {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("the disk is full while writing {}", path.display())]
    DiskFull { path: PathBuf },
    #[error("could not find a free file name for {name}")]
    NoFreeName { name: String },
    #[error("damaged image: {0}")]
    Damaged(#[from] verify::Damage),
    #[error("the download was interrupted while saving")]
    Lost,
}

impl StoreError {
    fn write(path: &Path, source: io::Error) -> Self {
        if source.raw_os_error() == Some(28) {
            // ENOSPC: say it in words.
            return StoreError::DiskFull {
                path: path.to_path_buf(),
            };
        }
        StoreError::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A finished download's size and content hash, known just before it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub bytes: u64,
    /// BLAKE3 of the content, hex.
    pub blake3: String,
}

/// Told about a download as it gets its name, on the thread that names it: the folder's
/// journal, which must hold the intent before the name exists and the result once it does.
pub trait NamingLog: Send + 'static {
    /// The file is whole (and on disk, when durable) and about to be named.
    fn naming(&mut self, sealed: &Sealed);
    /// It was named `committed.path`, or found to duplicate that file.
    fn named(&mut self, committed: &Committed, bytes: u64);
}

/// No log (tests, folders without a journal).
impl NamingLog for () {
    fn naming(&mut self, _: &Sealed) {}
    fn named(&mut self, _: &Committed, _: u64) {}
}

impl<T: NamingLog> NamingLog for Option<T> {
    fn naming(&mut self, sealed: &Sealed) {
        if let Some(log) = self {
            log.naming(sealed);
        }
    }
    fn named(&mut self, committed: &Committed, bytes: u64) {
        if let Some(log) = self {
            log.named(committed, bytes);
        }
    }
}

/// The output folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// Lower-cased names in the folder and in each subfolder a template made, each loaded on
    /// first use: names are kept distinct ignoring case, so the folder survives a copy to a
    /// case-insensitive disk (macOS, Windows, USB).
    taken: Arc<Mutex<HashMap<PathBuf, HashSet<String>>>>,
    /// Whether unnamed files work in this folder (cleared the first time they don't).
    unnamed: Arc<AtomicBool>,
    /// Permits for disk work on blocking threads.
    disk: Arc<Semaphore>,
    /// The folder's files by size and content, listed on first use (duplicates are not saved).
    contents: Arc<Mutex<Option<same::Contents>>>,
    /// Where the files' hashes are remembered between runs.
    hash_index: Option<Arc<Path>>,
    /// Downloads being committed, by their bytes: the first of several identical ones is named.
    in_flight: Arc<in_flight::InFlight>,
}

/// A finished download, named.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// Its file, or the file in the folder with the same bytes when it was a duplicate.
    pub path: PathBuf,
    /// The same bytes were already in the folder under `path`: nothing new was saved.
    pub duplicate: bool,
}

/// Blocking threads writing into one folder at once: about the core count.
pub fn disk_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

impl Store {
    /// Opens (creating if needed) the folder that downloads go into.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::NotADir { path: dir });
        }
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        let dir = std::fs::canonicalize(&dir).map_err(|source| StoreError::CreateDir {
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            taken: Arc::default(),
            unnamed: Arc::new(AtomicBool::new(true)),
            disk: Arc::new(Semaphore::new(disk_threads())),
            contents: Arc::default(),
            hash_index: None,
            in_flight: Arc::default(),
        })
    }

    /// Remembers the hashes of the folder's files in `index` (beside its journal), so a later
    /// run does not read a file again to compare it unless it changed.
    pub fn with_hash_index(mut self, index: PathBuf) -> Self {
        self.hash_index = Some(index.into());
        self
    }

    /// Uses named `.part` files even where unnamed ones work (to exercise that path).
    #[doc(hidden)]
    pub fn prefer_named_parts(&self) {
        self.unnamed.store(false, Ordering::Relaxed);
    }

    /// The folder, absolute.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes `.magpie-….part` files left by a run that was killed (no other process may be
    /// downloading into this folder at the time). Returns how many were removed.
    pub fn remove_stale_parts(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with(".magpie-") && name.ends_with(PART_SUFFIX)
            })
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .count()
    }

    /// Starts a download's `.part` file. Nothing touches the disk until the first megabyte has
    /// arrived or the download is committed, so a small image costs one trip to the disk.
    pub fn begin(&self) -> PartFile {
        PartFile {
            inner: Some(Part {
                dir: self.dir.clone(),
                path: None,
                file: None,
                memory: Default::default(),
                hasher: blake3::Hasher::new(),
                committed: false,
                unnamed: self.unnamed.clone(),
                origin: None,
                hash_index: self.hash_index.clone(),
            }),
            written: 0,
            disk: self.disk.clone(),
            dedupe: false,
        }
    }

    /// Checks the finished download is a whole image of `format`, tells `log` its size and
    /// hash (to journal the intent), then gives it the name `name` (or `name (1)`, `name (2)`,
    /// … if taken), in the subfolders `name` says (made as needed, never through a symbolic
    /// link), tells `log` where it went, and returns the final path. On any error the `.part` file is
    /// removed. Once its disk work has started, it runs to the end even if the caller stops
    /// waiting. When another download of the same bytes is being committed, it waits for that
    /// one and, if it was named, points to its file instead (see `in_flight.rs`).
    pub async fn commit(
        &self,
        mut part: PartFile,
        name: &template::RelPath,
        format: Kind,
        durable: bool,
        mut log: impl NamingLog,
    ) -> Result<Committed, StoreError> {
        let Some(mut inner) = part.inner.take() else {
            return Err(StoreError::Lost);
        };
        let name = name.clone();
        let taken = self.taken.clone();
        let contents = part.dedupe.then(|| self.contents.clone());
        let bytes = part.written;
        let turn = contents.is_some().then(|| {
            let blake3 = inner.hasher.finalize().to_hex();
            self.in_flight.turn(&blake3)
        });
        let leader = match turn {
            Some(in_flight::Turn::Follow(first)) => match in_flight::follow(first).await {
                Some(path) => {
                    // The same bytes, named by a download that finished first: point to them.
                    let committed = Committed {
                        path,
                        duplicate: true,
                    };
                    let journaled = committed.clone();
                    tokio::task::spawn_blocking(move || {
                        log.named(&journaled, bytes);
                        drop(inner);
                    })
                    .await
                    .map_err(|_| StoreError::Lost)?;
                    return Ok(committed);
                }
                None => None, // it failed: go on alone
            },
            Some(in_flight::Turn::Lead(leader)) => Some(leader),
            None => None,
        };
        let permit = self.disk.clone().acquire_owned().await;
        let (inner, result) = tokio::task::spawn_blocking(move || {
            let result = match inner.seal(format, contents.as_deref(), bytes) {
                Ok(part::Sealing::Ready { file, blake3 }) => {
                    // A flush waits on the disk without using it: the next file may start.
                    drop(permit);
                    inner.publish(
                        file,
                        blake3,
                        &name,
                        &taken,
                        contents.as_deref(),
                        bytes,
                        durable,
                        |sealed| log.naming(sealed),
                    )
                }
                Ok(part::Sealing::Duplicate(committed)) => Ok(committed),
                Err(e) => Err(e),
            };
            if let Ok(committed) = &result {
                log.named(committed, bytes);
            }
            if let Some(leader) = leader {
                leader.finish(result.as_ref().ok().map(|c| c.path.clone()));
            }
            (inner, result)
        })
        .await
        .map_err(|_| StoreError::Lost)?;
        drop(inner); // removes the .part file unless it was committed
        result
    }
}

#[cfg(test)]
mod tests;
