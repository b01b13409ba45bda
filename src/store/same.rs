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
    /// file whose size and modification time have not changed are taken as they are. The index
    /// is only read when the folder holds files (an emptied folder has nothing to look up), and
    /// rewritten without the files that are gone once they make most of it.
    pub fn list(dir: &Path, index: Option<&Path>) -> Self {
        let mut found = Vec::new();
        walk(dir, "", 0, &mut found);
        let mut remembered = if found.is_empty() {
            Remembered::new()
        } else {
            index.map(load).unwrap_or_default()
        };
        // Lines for files no longer in the folder are dropped when the index is rewritten.
        let present: std::collections::HashSet<&str> =
            found.iter().map(|(name, _)| name.as_str()).collect();
        remembered.retain(|name, _| present.contains(name.as_str()));
        let mut contents = Self {
            index: index.and_then(|p| open_index(p, &remembered)),
            ..Self::default()
        };
        for (name, meta) in found {
            let blake3 = remembered
                .get(&name)
                .filter(|(size, time, _)| *size == meta.len() && Some(*time) == stamp(&meta))
                .map(|(_, _, hash)| hash.clone());
            contents
                .by_size
                .entry(meta.len())
                .or_default()
                .push(Known { name, blake3 });
        }
        contents
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
        // Sized for a line at once: growing the buffer was most of this function's time.
        let mut text = Vec::with_capacity(256);
        if serde_json::to_writer(&mut text, &line).is_ok() {
            text.push(b'\n');
            // One write per line: other Magpies appending to the same index never interleave.
            if let Err(e) = index.write_all(&text) {
                tracing::debug!("hash index: cannot append: {e}");
            }
        }
    }
}

/// Collects the regular files under `dir` (see [`Contents::list`]) with their metadata.
fn walk(dir: &Path, prefix: &str, depth: usize, found: &mut Vec<(String, std::fs::Metadata)>) {
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
            walk(&entry.path(), &format!("{relative}/"), depth + 1, found);
        } else if kind.is_file()
            && let Ok(meta) = entry.metadata()
        {
            found.push((relative, meta));
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

    /// A line of the index claiming `name` (with its current size and time) hashes to `blake3`.
    fn index_line(dir: &Path, name: &str, blake3: &str) -> String {
        let meta = std::fs::metadata(dir.join(name)).unwrap();
        let (secs, nanos) = stamp(&meta).unwrap();
        let line = Line {
            file: name.into(),
            size: meta.len(),
            secs,
            nanos,
            blake3: blake3.into(),
        };
        serde_json::to_string(&line).unwrap() + "\n"
    }

    #[test]
    fn the_index_is_read_for_a_folder_with_files_and_emptied_with_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let beside = tempfile::tempdir().unwrap();
        let index = beside.path().join("f.hashes");
        std::fs::write(dir.path().join("a.jpg"), b"some bytes").unwrap();
        // The index says a.jpg hashes to what it does not: only a list that read it says so.
        let claimed = blake3::hash(b"claimed!!!").to_hex().to_string();
        let mut text = index_line(dir.path(), "a.jpg", &claimed);
        for i in 0..1500 {
            // Files that were in the folder once.
            let gone = Line {
                file: format!("gone{i}.jpg"),
                size: 1,
                secs: 1,
                nanos: 0,
                blake3: "00".into(),
            };
            text += &(serde_json::to_string(&gone).unwrap() + "\n");
        }
        std::fs::write(&index, &text).unwrap();

        let mut contents = Contents::list(dir.path(), Some(&index));
        assert_eq!(
            contents.find(dir.path(), 10, &claimed).as_deref(),
            Some("a.jpg"),
            "the remembered hash was used"
        );
        // Most lines named files that are gone: rewritten with the one that is there.
        let kept = std::fs::read_to_string(&index).unwrap();
        assert_eq!(kept.lines().count(), 1, "{kept}");

        std::fs::write(&index, &text).unwrap();
        std::fs::remove_file(dir.path().join("a.jpg")).unwrap();
        let _ = Contents::list(dir.path(), Some(&index));
        assert_eq!(
            std::fs::read_to_string(&index).unwrap(),
            "",
            "an emptied folder's index is emptied"
        );
    }
}
