//! A download on its way to the folder: the first megabyte in memory, the rest in an unnamed
//! (or `.part`) file written on a blocking thread; then the whole-image check, the duplicate
//! check, provenance, and the claim of its final name, in the subfolders its name asks for.

use std::collections::{HashMap, HashSet};
use std::io::{self, Seek as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::Semaphore;

use super::claim::{Pending, claim_name, names_in};
use super::memory::Memory;
use super::{
    Committed, Kind, PART_SUFFIX, Sealed, StoreError, provenance, same, template, unnamed, verify,
};

/// Bytes a download keeps in memory before writing them to its `.part` file.
pub(super) const MEMORY_CHUNK: usize = 1024 * 1024;

/// An in-progress download. Dropping it without [`Store::commit`] removes its `.part` file,
/// also when a write was still running on a blocking thread (the file goes when that ends).
#[derive(Debug)]
pub struct PartFile {
    pub(super) inner: Option<Part>,
    pub(super) written: u64,
    pub(super) disk: Arc<Semaphore>,
    /// Compare with the folder's files before naming, and keep only one copy of the same bytes.
    pub(super) dedupe: bool,
}

/// What [`Part::seal`] found.
#[derive(Debug)]
pub(super) enum Sealing {
    /// The folder already holds these bytes.
    Duplicate(Committed),
    /// Whole and written, waiting to be flushed and named.
    Ready { file: std::fs::File, blake3: String },
}

/// The state that moves to a blocking thread for disk work and comes back.
#[derive(Debug)]
pub(super) struct Part {
    pub(super) dir: PathBuf,
    /// The `.part` file's name; `None` while in memory, or for an unnamed file.
    pub(super) path: Option<PathBuf>,
    /// The file on disk, once the bytes outgrew memory (or at commit).
    pub(super) file: Option<std::fs::File>,
    /// The bytes not yet on disk.
    pub(super) memory: Memory,
    pub(super) hasher: blake3::Hasher,
    pub(super) committed: bool,
    pub(super) unnamed: Arc<AtomicBool>,
    /// Where it came from, written on the file before it is named.
    pub(super) origin: Option<provenance::Origin>,
    /// See [`Store::with_hash_index`].
    pub(super) hash_index: Option<Arc<Path>>,
}

impl PartFile {
    /// Appends bytes (copied); every megabyte goes to disk.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.write_chunk(Bytes::copy_from_slice(bytes)).await
    }

    /// Appends a buffer as it came from the network, without copying it; every megabyte goes
    /// to disk.
    pub async fn write_chunk(&mut self, bytes: Bytes) -> Result<(), StoreError> {
        let Some(inner) = self.inner.as_mut() else {
            return Err(StoreError::Lost);
        };
        inner.hasher.update(&bytes);
        self.written += bytes.len() as u64;
        inner.memory.push(bytes);
        if inner.memory.len() >= MEMORY_CHUNK {
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
    /// The name of a file in the folder with these exact bytes, if there is one.
    fn same_in_folder(
        &self,
        contents: &Mutex<Option<same::Contents>>,
        bytes: u64,
        blake3: &str,
    ) -> Option<String> {
        let mut guard = contents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.listed(&mut guard).find(&self.dir, bytes, blake3)
    }

    /// The folder's contents, listed on first use.
    fn listed<'a>(&self, contents: &'a mut Option<same::Contents>) -> &'a mut same::Contents {
        contents.get_or_insert_with(|| same::Contents::list(&self.dir, self.hash_index.as_deref()))
    }

    /// Writes the buffered bytes to disk, creating the file first if needed.
    fn spill(&mut self) -> Result<(), StoreError> {
        if self.file.is_none() {
            self.create()?;
        }
        if let Some(file) = self.file.as_mut() {
            let shown = self.path.as_deref().unwrap_or(&self.dir);
            self.memory
                .write_to(file)
                .map_err(|e| StoreError::write(shown, e))?;
        }
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

    /// Checks the image is whole, writes what is left, writes where it came from on it, and
    /// looks for the same bytes in the folder: the first half of a commit, the part that
    /// needs one of the folder's disk slots.
    pub(super) fn seal(
        &mut self,
        format: Kind,
        contents: Option<&Mutex<Option<same::Contents>>>,
        bytes: u64,
    ) -> Result<Sealing, StoreError> {
        if self.file.is_none() {
            // All of it is still in memory: check it there, before anything touches the disk.
            let chunks = self.memory.chunks();
            verify::check_header_in(chunks, format)?;
            verify::check_chunks(chunks, format)?;
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
        if let Some(existing) = contents.and_then(|c| self.same_in_folder(c, bytes, &blake3)) {
            return Ok(Sealing::Duplicate(Committed {
                path: self.dir.join(existing),
                duplicate: true,
            }));
        }
        let Some(file) = self.file.take() else {
            return Err(StoreError::Lost);
        };
        if let Some(origin) = &self.origin {
            provenance::tag(&file, origin);
        }
        Ok(Sealing::Ready { file, blake3 })
    }

    /// The second half of a commit: flushes the sealed file to the disk (when `durable`),
    /// tells `before_naming`, and claims its final name, unless the same bytes were named
    /// while it was being flushed.
    #[allow(clippy::too_many_arguments)] // one call site, each argument a different concern
    pub(super) fn publish(
        &mut self,
        file: std::fs::File,
        blake3: String,
        name: &template::RelPath,
        taken: &Mutex<HashMap<PathBuf, HashSet<String>>>,
        contents: Option<&Mutex<Option<same::Contents>>>,
        bytes: u64,
        durable: bool,
        before_naming: impl FnOnce(&Sealed),
    ) -> Result<Committed, StoreError> {
        // On disk before it has a name: after a power cut a named file is a whole file. Flushed
        // outside the folder's locks, so flushes overlap instead of queueing behind each other.
        if durable {
            let shown = self.path.as_deref().unwrap_or(&self.dir);
            file.sync_data().map_err(|e| StoreError::write(shown, e))?;
        }
        // Held from the last look to the naming, so two downloads of the same bytes never both
        // get a name.
        let mut contents =
            contents.map(|c| c.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        if let Some(guard) = contents.as_mut()
            && let Some(existing) = self.listed(guard).find(&self.dir, bytes, &blake3)
        {
            return Ok(Committed {
                path: self.dir.join(existing),
                duplicate: true,
            });
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
