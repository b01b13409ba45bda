//! The per-folder download journal format: what was queued, saved, failed or cancelled, kept in
//! the data dir so a run killed mid-way (even by SIGKILL) can be resumed and its history shown.
//!
//! Only the engine reads and writes journals (`engine::folders` owns the files, their lock and the
//! writer thread); this module is the format. It is an append-only JSON-lines file: each change is
//! one line written with a single `write`, so a crash can at worst cut the last line, which
//! loading skips. Loading replays the lines (the last word on a URL wins); [`compact`] rewrites
//! the file atomically (temp file, then rename) to one line per URL.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

/// Which engine queued a URL: each engine picks a random one per folder it opens, so an engine
/// can tell its own downloads from those of another Magpie using the same folder.
pub type Session = u64;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Record {
    Queued {
        url: Url,
        /// Journals written before sessions existed read as session 0.
        #[serde(default, skip_serializing_if = "is_zero")]
        session: Session,
        /// The page it came from and its place in its list, for a resume.
        #[serde(flatten)]
        info: crate::engine::JobInfo,
    },
    /// The download is complete and checked, and is about to get a name based on `file`
    /// (`file` itself, or `file (1)`, …): written before the rename, so a run killed between the
    /// rename and its `Saved` line is recognised on resume instead of fetched twice.
    Naming {
        url: Url,
        file: String,
        bytes: u64,
        /// BLAKE3 of the content, hex.
        blake3: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        session: Session,
    },
    Saved {
        url: Url,
        /// The file's name in the folder (old journals hold the absolute path, which joins to
        /// the same file). A name, not a path, so a folder whose path is not UTF-8 journals too.
        #[serde(alias = "path")]
        file: String,
        bytes: u64,
        /// The page it was found on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<Url>,
        #[serde(default, skip_serializing_if = "is_zero")]
        session: Session,
        /// When it was saved (seconds since 1970; 0 in journals from before this was kept).
        #[serde(default, skip_serializing_if = "is_zero_secs")]
        at: u64,
    },
    Failed {
        url: Url,
        error: String,
    },
    Cancelled {
        url: Url,
    },
}

fn is_zero(n: &Session) -> bool {
    *n == 0
}

impl Record {
    /// The URL the record is about.
    pub fn url(&self) -> &Url {
        match self {
            Record::Queued { url, .. }
            | Record::Naming { url, .. }
            | Record::Saved { url, .. }
            | Record::Failed { url, .. }
            | Record::Cancelled { url } => url,
        }
    }
}

fn is_zero_secs(v: &u64) -> bool {
    *v == 0
}

/// The journal file for downloads into `out_dir` (absolute), under `journal_dir`.
pub fn path_for(journal_dir: &Path, out_dir: &Path) -> PathBuf {
    let hash = crate::store::names::stable_hash(out_dir.as_os_str().as_encoded_bytes());
    journal_dir.join(format!("{hash:016x}.jsonl"))
}

/// Appends one batch of records to `file` in a single `write`, so concurrent appenders (other
/// Magpies on the same folder) never interleave inside a line.
pub fn append(file: &mut std::fs::File, records: &[Record]) -> std::io::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    // Lines run to about 250 bytes; growing the buffer line by line cost more than writing it.
    let mut buf = Vec::with_capacity(records.len() * 320);
    for r in records {
        serde_json::to_writer(&mut buf, r)?;
        buf.push(b'\n');
    }
    file.write_all(&buf)
}

/// An open journal for appending, for tests and tools; the engine keeps its own file handle.
#[derive(Debug)]
pub struct Journal {
    file: std::fs::File,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            crate::private::create_dir(dir)?;
        }
        let file = crate::private::options()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self { file })
    }

    /// Appends records in one write.
    pub fn append(&mut self, records: &[Record]) -> std::io::Result<()> {
        append(&mut self.file, records)
    }
}

/// Where each URL of a folder's journal ended up, in first-seen order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct History {
    pub entries: Vec<Record>,
}

impl History {
    /// Only the downloads that ended, saved or failed: what a front end shows of the past.
    /// Pending ones are resumed or left to another Magpie, and a folder left with 100,000 of
    /// them would otherwise hand the window as many entries to go through and drop.
    pub fn finished(mut self) -> Self {
        self.entries
            .retain(|r| matches!(r, Record::Saved { .. } | Record::Failed { .. }));
        self
    }

    /// URLs queued but never finished: what a resume fetches (unless a `Naming` one turns out
    /// to be in the folder already).
    pub fn pending(&self) -> impl Iterator<Item = &Url> {
        self.entries.iter().filter_map(|r| match r {
            Record::Queued { url, .. } | Record::Naming { url, .. } => Some(url),
            _ => None,
        })
    }

    /// URLs saved into the folder, with when (0: not recorded).
    pub fn saved_at(&self) -> impl Iterator<Item = (&Url, u64)> {
        self.entries.iter().filter_map(|r| match r {
            Record::Saved { url, at, .. } => Some((url, *at)),
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

/// A replayed journal.
#[derive(Debug, Default)]
pub struct Loaded {
    pub history: History,
    /// Lines that could not be read (torn by a crash, or damaged) and were skipped.
    pub skipped: usize,
    /// Bytes up to the end of the last complete line: where reading new lines resumes.
    pub consumed: u64,
}

/// Replays the journal at `path`; a missing file is an empty history, a damaged line is skipped
/// and counted. An error means the file exists but could not be read: don't rewrite it then.
pub fn load(path: &Path) -> std::io::Result<Loaded> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(e),
    };
    let mut replay = Replay::default();
    let consumed = replay.feed(&bytes);
    Ok(Loaded {
        history: History {
            entries: replay.entries,
        },
        skipped: replay.skipped,
        consumed: consumed as u64,
    })
}

/// Reads the complete lines appended to `file` since `offset` and returns them as records,
/// moving `offset` past them. A line still being written is left for the next call.
pub fn read_new(file: &mut std::fs::File, offset: &mut u64) -> std::io::Result<Vec<Record>> {
    file.seek(SeekFrom::Start(*offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    *offset += end as u64;
    Ok(bytes[..end]
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect())
}

/// Whether the file ends with a newline (or is empty): if not, its last line was torn.
pub fn ends_with_newline(file: &mut std::fs::File) -> bool {
    let mut last = [0u8; 1];
    match file.seek(SeekFrom::End(-1)) {
        Ok(_) => file
            .read_exact(&mut last)
            .map_or(true, |()| last[0] == b'\n'),
        Err(_) => true, // empty
    }
}

/// Folds lines into the last word per URL.
#[derive(Default)]
struct Replay {
    index: HashMap<Url, usize>,
    entries: Vec<Record>,
    skipped: usize,
}

impl Replay {
    /// Replays the complete lines of `bytes`; returns how many bytes they span.
    fn feed(&mut self, bytes: &[u8]) -> usize {
        let mut consumed = 0;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let complete = line.ends_with(b"\n");
            let text = line.strip_suffix(b"\n").unwrap_or(line);
            if complete {
                consumed += line.len();
            }
            if text.trim_ascii().is_empty() {
                continue;
            }
            let Ok(record) = serde_json::from_slice::<Record>(text) else {
                self.skipped += 1;
                continue;
            };
            match self.index.get(record.url()) {
                Some(&i) => self.entries[i] = record,
                None => {
                    self.index.insert(record.url().clone(), self.entries.len());
                    self.entries.push(record);
                }
            }
        }
        consumed
    }
}

/// Rewrites the journal at `path` to hold just `history` (one line per URL), atomically. Only
/// safe while no other process has the journal open (the engine holds the folder alone then).
pub fn compact(path: &Path, history: &History) -> std::io::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut buf = Vec::new();
    for r in &history.entries {
        serde_json::to_writer(&mut buf, r)?;
        buf.push(b'\n');
    }
    crate::private::write(&tmp, &buf)?;
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
                session: 7,
                info: Default::default(),
            },
            Record::Queued {
                url: u("http://a/2.png"),
                session: 7,
                info: Default::default(),
            },
            Record::Queued {
                url: u("http://a/3.png"),
                session: 0,
                info: Default::default(),
            },
        ])
        .unwrap();
        j.append(&[Record::Saved {
            url: u("http://a/1.png"),
            file: "1.png".into(),
            bytes: 10,
            page: None,
            session: 7,
            at: 0,
        }])
        .unwrap();
        j.append(&[Record::Failed {
            url: u("http://a/3.png"),
            error: "HTTP 404 Not Found".into(),
        }])
        .unwrap();
        drop(j);
        let whole = std::fs::metadata(&path).unwrap().len();
        // A crash mid-write leaves half a line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"event\":\"saved\",\"url\":\"http://a/2")
            .unwrap();

        let loaded = load(&path).unwrap();
        let h = loaded.history;
        assert_eq!(loaded.consumed, whole, "the torn line is not consumed");
        assert_eq!(loaded.skipped, 1);
        assert_eq!(h.pending().collect::<Vec<_>>(), [&u("http://a/2.png")]);
        assert_eq!(h.saved().collect::<Vec<_>>(), [&u("http://a/1.png")]);
        assert!(
            matches!(&h.entries[2], Record::Failed { error, .. } if error == "HTTP 404 Not Found")
        );

        compact(&path, &h).unwrap();
        assert_eq!(load(&path).unwrap().history, h);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn journals_without_sessions_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.jsonl");
        std::fs::write(&path, "{\"event\":\"queued\",\"url\":\"http://a/1.png\"}\n").unwrap();
        let h = load(&path).unwrap().history;
        assert_eq!(
            h.entries,
            [Record::Queued {
                url: u("http://a/1.png"),
                session: 0,
                info: Default::default(),
            }]
        );
    }

    #[test]
    fn saved_lines_of_old_journals_name_the_same_file() {
        let line = r#"{"event":"saved","url":"http://a/1.png","path":"/pics/1.png","bytes":3}"#;
        let r: Record = serde_json::from_str(line).unwrap();
        let Record::Saved { file, .. } = r else {
            panic!("{r:?}")
        };
        assert_eq!(Path::new("/pics").join(file), Path::new("/pics/1.png"));
    }

    #[test]
    fn new_lines_are_read_once_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::open(&path).unwrap();
        let mut reader = std::fs::File::open(&path).unwrap();
        let mut offset = 0;
        j.append(&[Record::Cancelled {
            url: u("http://a/1.png"),
        }])
        .unwrap();
        j.file.write_all(b"{\"event\":\"cancelled\",").unwrap();
        let first = read_new(&mut reader, &mut offset).unwrap();
        assert_eq!(first.len(), 1);
        j.file.write_all(b"\"url\":\"http://a/2.png\"}\n").unwrap();
        let second = read_new(&mut reader, &mut offset).unwrap();
        assert_eq!(second.len(), 1, "the rest of the line arrived: read now");
        assert_eq!(second[0].url(), &u("http://a/2.png"));
    }

    #[test]
    fn one_file_per_folder() {
        let a = path_for(Path::new("/data"), Path::new("/pics/a"));
        let b = path_for(Path::new("/data"), Path::new("/pics/b"));
        assert_ne!(a, b);
        assert_eq!(a, path_for(Path::new("/data"), Path::new("/pics/a")));
    }
}
