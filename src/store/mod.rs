//! Saving: stream into an unnamed file in the output folder (Linux `O_TMPFILE`; elsewhere a
//! hidden `.part` file), check it, then give it its final name without ever overwriting anything.
//!
//! A download's first megabyte is kept in memory and everything after it streams to disk a
//! megabyte at a time, on a blocking thread; a typical image therefore costs one trip to the disk
//! (create, write, check, link). Disk work runs on at most about one thread per core per folder
//! ([`DISK_THREADS`]): 64 downloads finishing at once queue for it instead of contending for the
//! folder's directory lock in the kernel.
//!
//! The rules that protect the user's folder live here and nowhere else:
//! - a file appears under its final name only when complete and checked;
//! - the final name is claimed race-free (a no-replace rename, a hard link, or an exclusively
//!   created placeholder), never check-then-rename, so an existing file, or a symlink, is never
//!   touched or followed;
//! - every name is a single sanitized component joined to the folder, so nothing lands outside it;
//! - a `.part` file is removed on every failure, including cancellation (its `Drop` does it); an
//!   unnamed file vanishes by itself, even when the process is killed.

mod claim;
mod kind;
pub mod names;
pub mod provenance;
mod same;
pub mod sidecar;
pub mod template;
mod unnamed;
pub mod verify;

use std::collections::{HashMap, HashSet};
use std::io::{self, Seek as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use claim::{Pending, claim_name, names_in};
pub use kind::{Kind, SNIFF_LEN, describe_non_image, sniff};
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
                buf: Vec::new(),
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

    /// Checks the finished download is a whole image of `format`, calls `before_naming` with
    /// its size and hash (to journal the intent), then gives it the name `name` (or `name (1)`,
    /// `name (2)`, … if taken), in the subfolders `name` says (made as needed, never through
    /// a symbolic link), and returns the final path. On any error the `.part` file is
    /// removed. Once started, it runs to the end even if the caller stops waiting.
    pub async fn commit(
        &self,
        mut part: PartFile,
        name: &template::RelPath,
        format: Kind,
        durable: bool,
        before_naming: impl FnOnce(&Sealed) + Send + 'static,
    ) -> Result<Committed, StoreError> {
        let Some(mut inner) = part.inner.take() else {
            return Err(StoreError::Lost);
        };
        let name = name.clone();
        let taken = self.taken.clone();
        let contents = part.dedupe.then(|| self.contents.clone());
        let bytes = part.written;
        let permit = self.disk.clone().acquire_owned().await;
        let (inner, result) = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let result = inner.finish(
                &name,
                format,
                &taken,
                contents.as_deref(),
                bytes,
                durable,
                before_naming,
            );
            (inner, result)
        })
        .await
        .map_err(|_| StoreError::Lost)?;
        drop(inner); // removes the .part file unless it was committed
        result
    }
}

/// Bytes a download keeps in memory before writing them to its `.part` file.
const MEMORY_CHUNK: usize = 1024 * 1024;

/// An in-progress download. Dropping it without [`Store::commit`] removes its `.part` file,
/// also when a write was still running on a blocking thread (the file goes when that ends).
#[derive(Debug)]
pub struct PartFile {
    inner: Option<Part>,
    written: u64,
    disk: Arc<Semaphore>,
    /// Compare with the folder's files before naming, and keep only one copy of the same bytes.
    dedupe: bool,
}

/// The state that moves to a blocking thread for disk work and comes back.
#[derive(Debug)]
struct Part {
    dir: PathBuf,
    /// The `.part` file's name; `None` while in memory, or for an unnamed file.
    path: Option<PathBuf>,
    /// The file on disk, once the bytes outgrew memory (or at commit).
    file: Option<std::fs::File>,
    buf: Vec<u8>,
    hasher: blake3::Hasher,
    committed: bool,
    unnamed: Arc<AtomicBool>,
    /// Where it came from, written on the file before it is named.
    origin: Option<provenance::Origin>,
    /// See [`Store::with_hash_index`].
    hash_index: Option<Arc<Path>>,
}

impl PartFile {
    /// Appends bytes; every megabyte goes to disk.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let Some(inner) = self.inner.as_mut() else {
            return Err(StoreError::Lost);
        };
        inner.buf.extend_from_slice(bytes);
        inner.hasher.update(bytes);
        self.written += bytes.len() as u64;
        if inner.buf.len() >= MEMORY_CHUNK {
            let permit = self.disk.clone().acquire_owned().await;
            let Some(mut inner) = self.inner.take() else {
                return Err(StoreError::Lost);
            };
            let (inner, result) = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let result = inner.spill();
                (inner, result)
            })
            .await
            .map_err(|_| StoreError::Lost)?;
            self.inner = Some(inner);
            result?;
        }
        Ok(())
    }

    /// Bytes accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The `.part` file on disk, once there is one (never for an unnamed file).
    pub fn path(&self) -> Option<&Path> {
        self.inner.as_ref()?.path.as_deref()
    }

    /// Remembers where the download came from, to be written on the file (extended attributes)
    /// before it is named.
    pub fn set_origin(&mut self, origin: provenance::Origin) {
        if let Some(inner) = self.inner.as_mut() {
            inner.origin = Some(origin);
        }
    }

    /// When the folder already has these exact bytes, name nothing and point to that file.
    pub fn set_dedupe(&mut self, dedupe: bool) {
        self.dedupe = dedupe;
    }

    /// BLAKE3 of the bytes written so far, hex.
    pub fn content_hash(&self) -> String {
        self.inner
            .as_ref()
            .map(|p| p.hasher.finalize().to_hex().to_string())
            .unwrap_or_default()
    }

    /// Whether the bytes have started going to disk.
    pub fn on_disk(&self) -> bool {
        self.inner.as_ref().is_some_and(|p| p.file.is_some())
    }
}

impl Part {
    /// Writes the buffered bytes to disk, creating the file first if needed.
    fn spill(&mut self) -> Result<(), StoreError> {
        use std::io::Write as _;
        if self.file.is_none() {
            self.create()?;
        }
        if let Some(file) = self.file.as_mut() {
            let shown = self.path.as_deref().unwrap_or(&self.dir);
            file.write_all(&self.buf)
                .map_err(|e| StoreError::write(shown, e))?;
        }
        self.buf.clear();
        Ok(())
    }

    /// An unnamed file where the folder allows, else a hidden `.part` file.
    fn create(&mut self) -> Result<(), StoreError> {
        if self.unnamed.load(Ordering::Relaxed) {
            match unnamed::create(&self.dir) {
                Ok(Some(file)) => {
                    self.file = Some(file);
                    return Ok(());
                }
                Ok(None) => self.unnamed.store(false, Ordering::Relaxed),
                Err(e) => return Err(StoreError::write(&self.dir, e)),
            }
        }
        let (path, file) = create_part_file(&self.dir)?;
        self.path = Some(path);
        self.file = Some(file);
        Ok(())
    }

    /// Checks the image is whole, writes what is left, and claims the final name.
    #[allow(clippy::too_many_arguments)] // one call site, each argument a different concern
    fn finish(
        &mut self,
        name: &template::RelPath,
        format: Kind,
        taken: &Mutex<HashMap<PathBuf, HashSet<String>>>,
        contents: Option<&Mutex<Option<same::Contents>>>,
        bytes: u64,
        durable: bool,
        before_naming: impl FnOnce(&Sealed),
    ) -> Result<Committed, StoreError> {
        if self.file.is_none() {
            // All of it is still in memory: check it there, before anything touches the disk.
            verify::check_header(std::io::Cursor::new(&self.buf), format)?;
            verify::check_bytes(&self.buf, format)?;
            self.spill()?;
        } else {
            self.spill()?;
            if let Some(file) = &self.file {
                // Read back through a second handle (the file was opened read-write).
                let mut reader = file.try_clone().map_err(verify::Damage::Unreadable)?;
                reader.rewind().map_err(verify::Damage::Unreadable)?;
                verify::check_header(std::io::BufReader::new(&mut reader), format)?;
                verify::check_complete(&mut reader, format)?;
            }
        }
        let blake3 = self.hasher.finalize().to_hex().to_string();
        // The same bytes already in the folder: point to them, name nothing (Drop removes ours).
        let mut contents =
            contents.map(|c| c.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        if let Some(guard) = contents.as_mut() {
            let listed = guard
                .get_or_insert_with(|| same::Contents::list(&self.dir, self.hash_index.as_deref()));
            if let Some(existing) = listed.find(&self.dir, bytes, &blake3) {
                return Ok(Committed {
                    path: self.dir.join(existing),
                    duplicate: true,
                });
            }
        }
        let Some(file) = self.file.take() else {
            return Err(StoreError::Lost);
        };
        if let Some(origin) = &self.origin {
            provenance::tag(&file, origin);
        }
        // On disk before it has a name: after a power cut a named file is a whole file.
        if durable {
            let shown = self.path.as_deref().unwrap_or(&self.dir);
            file.sync_data().map_err(|e| StoreError::write(shown, e))?;
        }
        before_naming(&Sealed {
            bytes,
            blake3: blake3.clone(),
        });
        // One name claim at a time per folder, so two downloads never pick the same name.
        let mut guard = taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let target = make_dirs(&self.dir, &name.dirs)?;
        let taken = guard
            .entry(target.clone())
            .or_insert_with(|| names_in(&target));
        let result = match self.path.clone() {
            Some(path) => {
                drop(file); // closed before it is renamed (Windows needs that)
                claim_name(&target, Pending::Named(&path), &name.file, taken)
            }
            None => claim_name(&target, Pending::Unnamed(&file), &name.file, taken),
        };
        let path = result?;
        self.committed = true;
        if let Some(listed) = contents.as_mut().and_then(|g| g.as_mut())
            && let Ok(relative) = path.strip_prefix(&self.dir)
        {
            listed.add(
                &self.dir,
                relative.to_string_lossy().into_owned(),
                bytes,
                blake3,
            );
        }
        Ok(Committed {
            path,
            duplicate: false,
        })
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if !self.committed {
            // Close first (Windows cannot remove an open file), then remove.
            drop(self.file.take());
            if let Some(path) = &self.path {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Makes the subfolders `dirs` inside `root` (each a sanitized component) and returns the
/// innermost. An existing one is used only if it is a real folder, not a symbolic link, so a
/// name never leads out of the output folder.
fn make_dirs(root: &Path, dirs: &[String]) -> Result<PathBuf, StoreError> {
    let mut at = root.to_path_buf();
    for d in dirs {
        at.push(d);
        match std::fs::create_dir(&at) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(StoreError::CreateDir { path: at, source }),
        }
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => return Err(StoreError::Link { path: at }),
            _ => return Err(StoreError::NotADir { path: at }),
        }
    }
    Ok(at)
}

/// Creates a new hidden, uniquely named `.part` file in `dir`.
fn create_part_file(dir: &Path) -> Result<(PathBuf, std::fs::File), StoreError> {
    for _ in 0..16 {
        let path = dir.join(format!(".magpie-{:016x}{PART_SUFFIX}", fastrand::u64(..)));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::write(dir, e)),
        }
    }
    Err(StoreError::NoFreeName {
        name: PART_SUFFIX.into(),
    })
}

#[cfg(test)]
mod tests;
