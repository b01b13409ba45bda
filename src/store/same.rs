//! Identical bytes are saved once per folder: before a finished download is named, it is compared
//! (size, then BLAKE3) with what the folder already holds — files Magpie saved and files that
//! were there before, in subfolders too. Only files of the same size are ever hashed, each at
//! most once: hashes are remembered beside the folder's journal (an index of name, size,
//! modification time and BLAKE3, appended to), so a later run reads a file again only if it
//! changed. A folder of thousands of photos costs a listing, not a read of every file.

use std::collections::HashMap;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Subfolder levels looked into (name templates make at most a few).
const MAX_DEPTH: usize = 8;

/// A file in the folder, by size, with its hash once known.
#[derive(Debug, Clone)]
struct Known {
    name: String,
    blake3: Option<String>,
}

/// One line of the hash index: a file's hash while its size and modification time stay.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    file: String,
    size: u64,
    secs: u64,
    nanos: u32,
    blake3: String,
}

/// The folder's files by size, listed on first use.
#[derive(Debug, Default)]
pub(super) struct Contents {
    by_size: HashMap<u64, Vec<Known>>,
    /// Where hashes are remembered between runs (beside the folder's journal), appended to.
    index: Option<std::fs::File>,
}

impl Contents {
    /// Lists `dir`'s regular files, in subfolders too (hidden ones, such as `.part` files, left
    /// out; links not followed), by their path inside `dir`. Hashes remembered in `index` for a
    /// file whose size and modification time have not changed are taken as they are.
    pub fn list(dir: &Path, index: Option<&Path>) -> Self {
        let remembered = index.map(load).unwrap_or_default();
        let mut contents = Self {
            index: index.and_then(|p| open_index(p, &remembered)),
            ..Self::default()
        };
        contents.walk(dir, "", 0, &remembered);
        contents
    }

    fn walk(&mut self, dir: &Path, prefix: &str, depth: usize, remembered: &Remembered) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let relative = format!("{prefix}{name}");
            if kind.is_dir() && depth < MAX_DEPTH {
                self.walk(
                    &entry.path(),
                    &format!("{relative}/"),
                    depth + 1,
                    remembered,
                );
            } else if kind.is_file()
                && let Ok(meta) = entry.metadata()
            {
                let blake3 = remembered
                    .get(&relative)
                    .filter(|(size, time, _)| *size == meta.len() && Some(*time) == stamp(&meta))
                    .map(|(_, _, hash)| hash.clone());
                self.by_size.entry(meta.len()).or_default().push(Known {
                    name: relative,
                    blake3,
                });
            }
        }
    }

    /// The name of a file in `dir` with exactly these bytes (`size`, `blake3`), if any.
    pub fn find(&mut self, dir: &Path, size: u64, blake3: &str) -> Option<String> {
        let same_size = self.by_size.get_mut(&size)?;
        let mut found = None;
        let mut learned = Vec::new();
        for known in same_size.iter_mut() {
            if known.blake3.is_none() {
                known.blake3 = super::hash_file(&dir.join(&known.name));
                if let Some(hash) = &known.blake3 {
                    learned.push((known.name.clone(), hash.clone()));
                }
            }
            if known.blake3.as_deref() == Some(blake3) {
                found = Some(known.name.clone());
                break;
            }
        }
        for (name, hash) in learned {
            self.remember(dir, &name, size, &hash);
        }
        found
    }

    /// Records a file just saved (`name` inside `dir`).
    pub fn add(&mut self, dir: &Path, name: String, size: u64, blake3: String) {
        self.remember(dir, &name, size, &blake3);
        self.by_size.entry(size).or_default().push(Known {
            name,
            blake3: Some(blake3),
        });
    }

    /// Appends a hash to the index, with the file's size and time as they are now.
    fn remember(&mut self, dir: &Path, name: &str, size: u64, blake3: &str) {
        let Some(index) = self.index.as_mut() else {
            return;
        };
        let Some((secs, nanos)) = std::fs::metadata(dir.join(name))
            .ok()
            .and_then(|m| stamp(&m))
        else {
            return;
        };
        let line = Line {
            file: name.to_string(),
            size,
            secs,
            nanos,
            blake3: blake3.to_string(),
        };
        if let Ok(mut text) = serde_json::to_vec(&line) {
            text.push(b'\n');
            // One write per line: other Magpies appending to the same index never interleave.
            if let Err(e) = index.write_all(&text) {
                tracing::debug!("hash index: cannot append: {e}");
            }
        }
    }
}

/// Remembered hashes by file: size, modification time, hash.
type Remembered = HashMap<String, (u64, (u64, u32), String)>;

/// A file's modification time, as the index keeps it.
fn stamp(meta: &std::fs::Metadata) -> Option<(u64, u32)> {
    let t = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((t.as_secs(), t.subsec_nanos()))
}

/// Reads the index (the last line about a file wins; damaged lines are skipped).
fn load(path: &Path) -> Remembered {
    let Ok(file) = std::fs::File::open(path) else {
        return Remembered::new();
    };
    let mut remembered = Remembered::new();
    for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
        if let Ok(l) = serde_json::from_str::<Line>(&line) {
            remembered.insert(l.file, (l.size, (l.secs, l.nanos), l.blake3));
        }
    }
    remembered
}

/// Opens the index for appending; rewrites it first (atomically) when most of its lines are
/// stale, so it stays about as long as the folder has files.
fn open_index(path: &Path, remembered: &Remembered) -> Option<std::fs::File> {
    let lines = std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0);
    if lines > 2 * remembered.len() + 1000 {
        let mut text = Vec::new();
        for (file, (size, (secs, nanos), blake3)) in remembered {
            let line = Line {
                file: file.clone(),
                size: *size,
                secs: *secs,
                nanos: *nanos,
                blake3: blake3.clone(),
            };
            if let Ok(l) = serde_json::to_vec(&line) {
                text.extend_from_slice(&l);
                text.push(b'\n');
            }
        }
        let temp: PathBuf = path.with_extension("hashes-new");
        if crate::private::write(&temp, &text).is_ok() {
            let _ = std::fs::rename(&temp, path);
        }
    }
    let file = crate::private::options()
        .append(true)
        .create(true)
        .open(path);
    match file {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::debug!("hash index {}: {e}", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identical_bytes_match_and_only_same_sized_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jpg"), b"same bytes").unwrap();
        std::fs::write(dir.path().join("b.jpg"), b"other byte").unwrap(); // same size
        std::fs::write(dir.path().join(".magpie-x.part"), b"same bytes").unwrap();
        let mut contents = Contents::list(dir.path(), None);
        let hash = blake3::hash(b"same bytes").to_hex().to_string();
        assert_eq!(
            contents.find(dir.path(), 10, &hash).as_deref(),
            Some("a.jpg")
        );
        let other = blake3::hash(b"different!").to_hex().to_string();
        assert_eq!(contents.find(dir.path(), 10, &other), None);
        assert_eq!(contents.find(dir.path(), 11, &hash), None);
        contents.add(dir.path(), "c.jpg".into(), 3, "abc".into());
        assert_eq!(
            contents.find(dir.path(), 3, "abc").as_deref(),
            Some("c.jpg")
        );
    }
}
