//! Identical bytes are saved once per folder: before a finished download is named, it is compared
//! (size, then BLAKE3) with what the folder already holds — files Magpie saved and files that
//! were there before, in subfolders too. Only files of the same size are ever hashed, each at
//! most once per run, so a folder of thousands of photos costs a listing, not a read of every file.

use std::collections::HashMap;
use std::path::Path;

/// Subfolder levels looked into (name templates make at most a few).
const MAX_DEPTH: usize = 8;

/// A file in the folder, by size, with its hash once known.
#[derive(Debug, Clone)]
struct Known {
    name: String,
    blake3: Option<String>,
}

/// The folder's files by size, listed on first use.
#[derive(Debug, Default)]
pub(super) struct Contents {
    by_size: HashMap<u64, Vec<Known>>,
}

impl Contents {
    /// Lists `dir`'s regular files, in subfolders too (hidden ones, such as `.part` files, left
    /// out; links not followed), by their path inside `dir`.
    pub fn list(dir: &Path) -> Self {
        let mut contents = Self::default();
        contents.walk(dir, "", 0);
        contents
    }

    fn walk(&mut self, dir: &Path, prefix: &str, depth: usize) {
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
                self.walk(&entry.path(), &format!("{relative}/"), depth + 1);
            } else if kind.is_file()
                && let Ok(meta) = entry.metadata()
            {
                self.by_size.entry(meta.len()).or_default().push(Known {
                    name: relative,
                    blake3: None,
                });
            }
        }
    }

    /// The name of a file in `dir` with exactly these bytes (`size`, `blake3`), if any.
    pub fn find(&mut self, dir: &Path, size: u64, blake3: &str) -> Option<String> {
        let same_size = self.by_size.get_mut(&size)?;
        for known in same_size.iter_mut() {
            if known.blake3.is_none() {
                known.blake3 = super::hash_file(&dir.join(&known.name));
            }
            if known.blake3.as_deref() == Some(blake3) {
                return Some(known.name.clone());
            }
        }
        None
    }

    /// Records a file just saved.
    pub fn add(&mut self, name: String, size: u64, blake3: String) {
        self.by_size.entry(size).or_default().push(Known {
            name,
            blake3: Some(blake3),
        });
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
        let mut contents = Contents::list(dir.path());
        let hash = blake3::hash(b"same bytes").to_hex().to_string();
        assert_eq!(
            contents.find(dir.path(), 10, &hash).as_deref(),
            Some("a.jpg")
        );
        let other = blake3::hash(b"different!").to_hex().to_string();
        assert_eq!(contents.find(dir.path(), 10, &other), None);
        assert_eq!(contents.find(dir.path(), 11, &hash), None);
        contents.add("c.jpg".into(), 3, "abc".into());
        assert_eq!(
            contents.find(dir.path(), 3, "abc").as_deref(),
            Some("c.jpg")
        );
    }
}
