//! The URL lists of `magpie fetch`, read as the downloads need them.
//!
//! Every input is read exactly once, as a stream: line-based lists (files, pipes, FIFOs, stdin)
//! a line at a time, so a list of any length costs memory for the downloads in flight plus a
//! 16-byte fingerprint per URL (to spot duplicates). HTML pages are read whole (a page needs its
//! `<base href>`). Only a regular file is counted ahead for the progress bar: counting a pipe
//! would drain it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use anyhow::Context as _;
use url::Url;

use crate::urls::{self, Found, LineReader, Seen};

/// A line source read once.
type Lines = Box<dyn BufRead>;

/// One input, opened.
pub enum Source {
    Bytes {
        label: String,
        bytes: Vec<u8>,
    },
    Lines {
        label: String,
        reader: Lines,
        /// A regular file, which can be read a second time to count its lines.
        countable: Option<PathBuf>,
    },
}

impl Source {
    /// Opens `input` (`-` is stdin), so a missing file is reported before anything downloads.
    pub fn open(input: &str) -> anyhow::Result<Self> {
        // `magpie fetch https://…/a.jpg`, as with curl or wget: an address that is not a file.
        let lower = input.to_ascii_lowercase();
        if (lower.starts_with("http://") || lower.starts_with("https://"))
            && !std::path::Path::new(input).exists()
        {
            return Ok(Source::Bytes {
                label: "the command line".into(),
                bytes: format!("{input}\n").into_bytes(),
            });
        }
        let (label, reader, countable): (String, Box<dyn Read>, Option<PathBuf>) = if input == "-" {
            ("stdin".into(), Box::new(std::io::stdin()), None)
        } else {
            let file = File::open(input).with_context(|| format!("cannot read {input}"))?;
            let regular = file.metadata().is_ok_and(|m| m.is_file());
            (
                input.into(),
                Box::new(file),
                regular.then(|| PathBuf::from(input)),
            )
        };
        let mut reader = BufReader::with_capacity(64 * 1024, reader);
        let head = reader
            .fill_buf()
            .with_context(|| format!("cannot read {label}"))?;
        if urls::looks_like_html(&String::from_utf8_lossy(head)) {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {label}"))?;
            Ok(Source::Bytes { label, bytes })
        } else {
            Ok(Source::Lines {
                label,
                reader: Box::new(reader),
                countable,
            })
        }
    }

    /// Whether [`Source::estimate`] counts this input (a pipe cannot be counted ahead).
    pub fn counted_ahead(&self) -> bool {
        !matches!(
            self,
            Source::Lines {
                countable: None,
                ..
            }
        )
    }

    /// About how many URLs this input holds (for the progress bar): a quick count, not a parse,
    /// of a regular file; 0 (unknown) for a pipe.
    pub fn estimate(&self, base: Option<&Url>) -> anyhow::Result<u64> {
        match self {
            Source::Bytes { bytes, .. } => Ok(urls::parse_bytes(bytes, base).urls.len() as u64),
            Source::Lines {
                countable: None, ..
            } => Ok(0),
            Source::Lines {
                label,
                countable: Some(path),
                ..
            } => {
                let file = File::open(path).with_context(|| format!("cannot read {label}"))?;
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
    Streamed(String, Box<LineReader<Lines>>),
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
                Source::Lines { label, reader, .. } => {
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
