//! The download journal: what was queued, saved, failed or cancelled, per output folder, kept in the
//! data dir so a run killed mid-way (even by SIGKILL) can be resumed and its history shown.
//!
//! It is an append-only JSON-lines file: each change is one line written with a single `write`,
//! so a crash can at worst cut the last line, which loading skips. Loading replays the lines (the
//! last word on a URL wins) and [`compact`] rewrites the file atomically (temp file, then rename).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Record {
    Queued { url: Url },
    Saved { url: Url, path: PathBuf, bytes: u64 },
    Failed { url: Url, error: String },
    Cancelled { url: Url },
}

impl Record {
    fn url(&self) -> &Url {
        match self {
            Record::Queued { url }
            | Record::Saved { url, .. }
            | Record::Failed { url, .. }
            | Record::Cancelled { url } => url,
        }
    }
}

/// The journal file for downloads into `out_dir`, under `journal_dir`.
pub fn path_for(journal_dir: &Path, out_dir: &Path) -> PathBuf {
    // FNV-1a of the folder path: stable across runs, one file per folder.
    let hash = out_dir
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    journal_dir.join(format!("{hash:016x}.jsonl"))
}

/// An open journal, appended to as downloads change state.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends records in one write.
    pub fn append(&mut self, records: &[Record]) -> std::io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(records.len() * 96);
        for r in records {
            serde_json::to_writer(&mut buf, r)?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Where each URL of a folder's journal ended up, in first-seen order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct History {
    pub entries: Vec<Record>,
}

impl History {
    /// URLs queued but never finished: what `--resume` fetches.
    pub fn pending(&self) -> impl Iterator<Item = &Url> {
        self.entries.iter().filter_map(|r| match r {
            Record::Queued { url } => Some(url),
            _ => None,
        })
    }

    /// URLs already saved.
    pub fn saved(&self) -> impl Iterator<Item = &Url> {
        self.entries.iter().filter_map(|r| match r {
            Record::Saved { url, .. } => Some(url),
            _ => None,
        })
    }
}

/// Replays the journal at `path`; a missing file is an empty history, a damaged line is skipped.
pub fn load(path: &Path) -> History {
    let Ok(text) = std::fs::read_to_string(path) else {
        return History::default();
    };
    let mut index: HashMap<Url, usize> = HashMap::new();
    let mut entries: Vec<Record> = Vec::new();
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<Record>(line) else {
            continue;
        };
        match index.get(record.url()) {
            Some(&i) => entries[i] = record,
            None => {
                index.insert(record.url().clone(), entries.len());
                entries.push(record);
            }
        }
    }
    History { entries }
}

/// Rewrites the journal at `path` to hold just `history` (one line per URL), atomically.
pub fn compact(path: &Path, history: &History) -> std::io::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut buf = Vec::new();
    for r in &history.entries {
        serde_json::to_writer(&mut buf, r)?;
        buf.push(b'\n');
    }
    std::fs::write(&tmp, buf)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn replay_keeps_the_last_word_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::open(&path).unwrap();
        j.append(&[
            Record::Queued {
                url: u("http://a/1.png"),
            },
            Record::Queued {
                url: u("http://a/2.png"),
            },
            Record::Queued {
                url: u("http://a/3.png"),
            },
        ])
        .unwrap();
        j.append(&[Record::Saved {
            url: u("http://a/1.png"),
            path: "/x/1.png".into(),
            bytes: 10,
        }])
        .unwrap();
        j.append(&[Record::Failed {
            url: u("http://a/3.png"),
            error: "HTTP 404 Not Found".into(),
        }])
        .unwrap();
        drop(j);
        // A crash mid-write leaves half a line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"event\":\"saved\",\"url\":\"http://a/2")
            .unwrap();

        let h = load(&path);
        assert_eq!(h.pending().collect::<Vec<_>>(), [&u("http://a/2.png")]);
        assert_eq!(h.saved().collect::<Vec<_>>(), [&u("http://a/1.png")]);
        assert!(
            matches!(&h.entries[2], Record::Failed { error, .. } if error == "HTTP 404 Not Found")
        );

        compact(&path, &h).unwrap();
        assert_eq!(load(&path), h);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn one_file_per_folder() {
        let a = path_for(Path::new("/data"), Path::new("/pics/a"));
        let b = path_for(Path::new("/data"), Path::new("/pics/b"));
        assert_ne!(a, b);
        assert_eq!(a, path_for(Path::new("/data"), Path::new("/pics/a")));
    }
}
