//! The URL lists of `magpie fetch`, read as the downloads need them.
//!
//! Line-based lists are streamed from disk a line at a time, so a list of any length costs memory
//! for the downloads in flight plus a 16-byte fingerprint per URL (to spot duplicates). Stdin and
//! HTML pages are read whole (a page needs its `<base href>`; stdin cannot be read twice).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};

use anyhow::Context as _;
use url::Url;

use crate::urls::{self, Found, LineReader, Seen};

/// One input, opened.
pub enum Source {
    Bytes {
        label: String,
        bytes: Vec<u8>,
    },
    Lines {
        label: String,
        reader: BufReader<File>,
    },
}

impl Source {
    /// Opens `input` (`-` is stdin), so a missing file is reported before anything downloads.
    pub fn open(input: &str) -> anyhow::Result<Self> {
        if input == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
            return Ok(Source::Bytes {
                label: "stdin".into(),
                bytes,
            });
        }
        let file = File::open(input).with_context(|| format!("cannot read {input}"))?;
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        let head = reader
            .fill_buf()
            .with_context(|| format!("cannot read {input}"))?;
        if urls::looks_like_html(&String::from_utf8_lossy(head)) {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {input}"))?;
            Ok(Source::Bytes {
                label: input.into(),
                bytes,
            })
        } else {
            Ok(Source::Lines {
                label: input.into(),
                reader,
            })
        }
    }

    /// About how many URLs this input holds (for the progress bar): a quick count, not a parse,
    /// for streamed lists.
    pub fn estimate(&self, base: Option<&Url>) -> anyhow::Result<u64> {
        match self {
            Source::Bytes { bytes, .. } => Ok(urls::parse_bytes(bytes, base).urls.len() as u64),
            Source::Lines { label, .. } => {
                let file = File::open(label).with_context(|| format!("cannot read {label}"))?;
                let mut n = 0;
                for line in BufReader::new(file).split(b'\n') {
                    let line = line.with_context(|| format!("cannot read {label}"))?;
                    let t = line.trim_ascii();
                    if !t.is_empty() && !t.starts_with(b"#") {
                        n += 1;
                    }
                }
                Ok(n)
            }
        }
    }
}

/// Where a found entry came from, for messages: `list.txt:12`.
pub struct Place {
    pub label: String,
    pub line: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.label, self.line)
    }
}

enum Current {
    Parsed(String, std::vec::IntoIter<Found>),
    Streamed(String, Box<LineReader<BufReader<File>>>),
}

/// All inputs in order, as one stream of [`Found`] entries. URLs already queued (resumed from an
/// earlier run by the engine) count as seen, so a list naming them again reports a duplicate.
pub struct Feed {
    sources: VecDeque<Source>,
    current: Option<Current>,
    seen: Option<Seen>,
    base: Option<Url>,
    /// Read errors that ended an input early.
    pub errors: Vec<String>,
}

impl Feed {
    pub fn new<'a>(
        sources: Vec<Source>,
        queued: impl IntoIterator<Item = &'a Url>,
        base: Option<Url>,
    ) -> Self {
        let mut seen = Seen::default();
        for url in queued {
            seen.check(url, 0);
        }
        Self {
            sources: sources.into(),
            current: None,
            seen: Some(seen),
            base,
            errors: Vec::new(),
        }
    }
}

impl Iterator for Feed {
    type Item = (Place, Found);

    fn next(&mut self) -> Option<(Place, Found)> {
        loop {
            match &mut self.current {
                Some(Current::Parsed(label, items)) => {
                    if let Some(found) = items.next() {
                        return Some((place(label, &found), found));
                    }
                }
                Some(Current::Streamed(label, reader)) => {
                    if let Some(found) = reader.next() {
                        return Some((place(label, &found), found));
                    }
                    if let Some(e) = reader.take_error() {
                        self.errors
                            .push(format!("reading {label} stopped early: {e}"));
                    }
                }
                None => {}
            }
            // The current input is done: carry its fingerprints on to the next one.
            if let Some(Current::Streamed(_, reader)) = self.current.take() {
                self.seen = Some(reader.into_seen());
            }
            let seen = self.seen.take().unwrap_or_default();
            self.current = Some(match self.sources.pop_front()? {
                Source::Bytes { label, bytes } => {
                    let (list, seen) = urls::parse_bytes_with(&bytes, self.base.as_ref(), seen);
                    self.seen = Some(seen);
                    Current::Parsed(label, list.into_found().into_iter())
                }
                Source::Lines { label, reader } => {
                    Current::Streamed(label, Box::new(LineReader::new(reader, seen)))
                }
            });
        }
    }
}

fn place(label: &str, found: &Found) -> Place {
    let line = match found {
        Found::Url(u) => u.line,
        Found::Duplicate(d) => d.line,
        Found::Rejected(r) => r.line,
    };
    Place {
        label: label.to_string(),
        line,
    }
}
