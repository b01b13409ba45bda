//! Saving: stream into a hidden `.part` file in the output folder, check it, then give it its final
//! name without ever overwriting anything.
//!
//! The rules that protect the user's folder live here and nowhere else:
//! - a file appears under its final name only when complete and checked;
//! - the final name is claimed race-free (a hard link, or an exclusively created placeholder),
//!   never check-then-rename, so an existing file, or a symlink, is never touched or followed;
//! - every name is a single sanitized component joined to the folder, so nothing lands outside it;
//! - a `.part` file is removed on every failure, including cancellation (its `Drop` does it).

pub mod names;
pub mod verify;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use image::ImageFormat;
use tokio::io::AsyncWriteExt;

/// Suffix of in-progress downloads.
pub const PART_SUFFIX: &str = ".part";

/// What can go wrong while saving.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the output folder {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("the output path is not a folder: {}", path.display())]
    NotADir { path: PathBuf },
    #[error("cannot write in the output folder {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("the disk is full while writing {}", path.display())]
    DiskFull { path: PathBuf },
    #[error("could not find a free file name for {name}")]
    NoFreeName { name: String },
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

/// The output folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// Lower-cased names in the folder, loaded on first use: names are kept distinct ignoring
    /// case, so the folder survives a copy to a case-insensitive disk (macOS, Windows, USB).
    taken: Arc<Mutex<Option<HashSet<String>>>>,
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
        })
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

    /// Creates a new hidden `.part` file for one download.
    pub async fn create_part(&self) -> Result<PartFile, StoreError> {
        for _ in 0..16 {
            let name = format!(".magpie-{:016x}{PART_SUFFIX}", fastrand::u64(..));
            let path = self.dir.join(name);
            match tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await
            {
                Ok(file) => {
                    return Ok(PartFile {
                        path,
                        file: Some(tokio::io::BufWriter::with_capacity(256 * 1024, file)),
                        written: 0,
                        committed: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(StoreError::write(&self.dir, e)),
            }
        }
        Err(StoreError::NoFreeName {
            name: PART_SUFFIX.into(),
        })
    }

    /// Moves a finished `.part` file to `name` (or `name (1)`, `name (2)`, … if taken) and returns
    /// the final path.
    pub async fn commit(&self, mut part: PartFile, name: &str) -> Result<PathBuf, StoreError> {
        if let Some(mut file) = part.file.take() {
            file.flush()
                .await
                .map_err(|e| StoreError::write(&part.path, e))?;
        }
        let dir = self.dir.clone();
        let from = part.path.clone();
        let name = name.to_string();
        let taken = self.taken.clone();
        let result = tokio::task::spawn_blocking(move || {
            // One commit at a time per folder, so two downloads never pick the same name.
            let mut guard = taken
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let taken = guard.get_or_insert_with(|| names_in(&dir));
            claim_name(&dir, &from, &name, taken)
        })
        .await
        .map_err(|e| StoreError::write(&part.path, io::Error::other(e)))?;
        if result.is_ok() {
            part.committed = true;
        }
        result
    }
}

/// Lower-cased names of everything in `dir`.
fn names_in(dir: &Path) -> HashSet<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_lowercase())
        .collect()
}

/// Claims the first free name among `name`, `name (1)`, … for `from`. A hard link fails if the
/// name exists in any form (file, folder, symlink, dangling symlink), which is what makes it safe;
/// file systems without hard links get an exclusively created placeholder that is then replaced.
fn claim_name(
    dir: &Path,
    from: &Path,
    name: &str,
    taken: &mut HashSet<String>,
) -> Result<PathBuf, StoreError> {
    for n in 0..10_000u32 {
        let candidate = if n == 0 {
            name.to_string()
        } else {
            names::numbered(name, n)
        };
        let folded = candidate.to_lowercase();
        if taken.contains(&folded) {
            continue;
        }
        let to = dir.join(&candidate);
        match std::fs::hard_link(from, &to) {
            Ok(()) => {
                taken.insert(folded);
                // The link is complete; a leftover .part would be removed by Drop anyway.
                let _ = std::fs::remove_file(from);
                return Ok(to);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                taken.insert(folded);
                continue;
            }
            Err(_) => match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&to)
            {
                Ok(_) => {
                    std::fs::rename(from, &to).map_err(|e| StoreError::write(&to, e))?;
                    taken.insert(folded);
                    return Ok(to);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    taken.insert(folded);
                    continue;
                }
                Err(e) => return Err(StoreError::write(&to, e)),
            },
        }
    }
    Err(StoreError::NoFreeName {
        name: name.to_string(),
    })
}

/// An in-progress download. Dropping it without [`Store::commit`] removes the file.
#[derive(Debug)]
pub struct PartFile {
    path: PathBuf,
    file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    written: u64,
    committed: bool,
}

impl PartFile {
    /// Appends bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        file.write_all(bytes)
            .await
            .map_err(|e| StoreError::write(&self.path, e))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Writes out buffered bytes, so the file on disk is complete.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        if let Some(file) = self.file.as_mut() {
            file.flush()
                .await
                .map_err(|e| StoreError::write(&self.path, e))?;
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Where it is on disk.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            // Close first (Windows cannot remove an open file), then remove.
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The image format the first bytes of a body announce, if any.
pub fn sniff(first_bytes: &[u8]) -> Option<ImageFormat> {
    image::guess_format(first_bytes).ok()
}

/// Words for a body that is not an image: "an HTML page", "JSON", "text", "unknown data".
pub fn describe_non_image(first_bytes: &[u8]) -> &'static str {
    let start = first_bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |p| &first_bytes[p..]);
    let lower: Vec<u8> = start.iter().take(64).map(u8::to_ascii_lowercase).collect();
    if first_bytes.is_empty() {
        "an empty body"
    } else if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || lower.starts_with(b"<head")
        || lower.starts_with(b"<body")
    {
        "an HTML page"
    } else if lower.starts_with(b"<?xml") || lower.starts_with(b"<svg") {
        "an XML or SVG document"
    } else if lower.starts_with(b"{") || lower.starts_with(b"[") {
        "JSON"
    } else if lower.starts_with(b"<") {
        "an HTML page"
    } else if start
        .iter()
        .take(256)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "text"
    } else {
        "data of an unknown kind"
    }
}

/// Number of bytes needed to recognise any supported image format.
pub const SNIFF_LEN: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_said_in_words() {
        let e = StoreError::write(
            Path::new("/pics/.magpie-1.part"),
            io::Error::from_raw_os_error(28),
        );
        assert_eq!(
            e.to_string(),
            "the disk is full while writing /pics/.magpie-1.part"
        );
    }

    #[tokio::test]
    async fn dropping_an_unfinished_part_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut part = store.create_part().await.unwrap();
        part.write(b"half an image").await.unwrap();
        let path = part.path().to_path_buf();
        assert!(path.exists());
        drop(part);
        assert!(!path.exists());
    }
}
