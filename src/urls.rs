//! URL input: pasted text, list files and HTML pages in; validated, de-duplicated http(s) URLs out.
//!
//! People paste whatever they have: one URL per line, a CSV export, a Markdown note, a saved web
//! page. [`parse`] accepts all of these. Every line that looked like it meant something but could not
//! be used comes back as a [`Rejected`] entry with its line number and a reason a person understands;
//! a bad line never stops the rest.

mod html;
mod scan;

use std::collections::HashMap;
use std::io::BufRead as _;

use url::Url;

use html::parse_html;
use scan::parse_line;

/// Longest line text kept in a [`Rejected`] entry, so a 10,000-character junk line stays readable.
const MAX_SHOWN: usize = 120;

/// An accepted URL and the (1-based) line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUrl {
    pub url: Url,
    pub line: usize,
}

/// A line or attribute that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: usize,
    /// The offending text, shortened for display.
    pub text: String,
    pub reason: RejectReason,
}

/// A URL seen again after its first appearance; only the first is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub url: Url,
    pub line: usize,
    pub first_line: usize,
}

/// Why an entry was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    #[error("{0}: is not http(s)")]
    UnsupportedScheme(String),
    #[error("not a URL")]
    NotAUrl,
    #[error("no http:// or https:// in front (did you mean https://{0}?)")]
    MissingScheme(String),
    #[error("invalid URL: {0}")]
    Invalid(String),
    #[error("relative link with no page address to resolve it against")]
    NoBase,
    #[error("line is not valid UTF-8 text")]
    NotUtf8,
    #[error("line is longer than {} MB (skipped)", MAX_LINE_BYTES / 1_000_000)]
    TooLong,
}

/// Longest line read: a 20,000-URL JSON array on one line is about 1.2 MB; past this a line is
/// reported and skipped, and never held in memory whole.
pub const MAX_LINE_BYTES: usize = 16_000_000;

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {} ({})", self.line, self.reason, self.text)
    }
}

/// The result of reading one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlList {
    pub urls: Vec<ListedUrl>,
    pub rejected: Vec<Rejected>,
    pub duplicates: Vec<Duplicate>,
}

impl UrlList {
    /// Number of distinct hosts among the accepted URLs.
    pub fn host_count(&self) -> usize {
        let mut hosts: Vec<&str> = self.urls.iter().filter_map(|u| u.url.host_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        hosts.len()
    }

    /// Appends `other`, dropping URLs already present (they count as duplicates).
    pub fn merge(&mut self, other: UrlList) {
        let mut seen: HashMap<Url, usize> =
            self.urls.iter().map(|u| (u.url.clone(), u.line)).collect();
        self.rejected.extend(other.rejected);
        self.duplicates.extend(other.duplicates);
        for item in other.urls {
            if let Some(&first_line) = seen.get(&item.url) {
                self.duplicates.push(Duplicate {
                    url: item.url,
                    line: item.line,
                    first_line,
                });
            } else {
                seen.insert(item.url.clone(), item.line);
                self.urls.push(item);
            }
        }
    }

    /// One line for people: "37 URLs from 3 hosts · 2 duplicates · 1 line rejected (line 5: …)".
    pub fn summary(&self) -> String {
        let n = self.urls.len();
        let hosts = self.host_count();
        let mut s = format!("{n} URL{} from {hosts} host{}", plural(n), plural(hosts));
        if !self.duplicates.is_empty() {
            let d = self.duplicates.len();
            s += &format!(" · {d} duplicate{}", plural(d));
        }
        if let Some(first) = self.rejected.first() {
            let r = self.rejected.len();
            s += &format!(
                " · {r} line{} rejected (line {}: {})",
                plural(r),
                first.line,
                first.reason
            );
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Reads raw bytes (a file, a paste, a dropped text): strips a UTF-8 BOM, rejects lines that are
/// not UTF-8, then parses like [`parse`].
pub fn parse_bytes(bytes: &[u8], base: Option<&Url>) -> UrlList {
    parse_bytes_with(bytes, base, Seen::default()).0
}

/// Like [`parse_bytes`], counting URLs already in `seen` (from earlier inputs) as duplicates.
pub fn parse_bytes_with(bytes: &[u8], base: Option<&Url>, seen: Seen) -> (UrlList, Seen) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_with(text, base, seen),
        Err(_) => {
            // Keep every good line; a stray byte only costs its own line.
            let mut text = String::with_capacity(bytes.len());
            let mut bad_lines = Vec::new();
            for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                match std::str::from_utf8(line) {
                    Ok(l) => text.push_str(l),
                    Err(_) => bad_lines.push(Rejected {
                        line: i + 1,
                        text: shorten(&String::from_utf8_lossy(line)),
                        reason: RejectReason::NotUtf8,
                    }),
                }
            }
            let (mut list, seen) = parse_with(&text, base, seen);
            list.rejected.extend(bad_lines);
            list.rejected.sort_by_key(|r| r.line);
            (list, seen)
        }
    }
}

/// Parses text into URLs. HTML is recognised and read with an HTML tokenizer (`<img src>`,
/// `srcset`, `data-src`, links to image files), relative links resolved against `<base href>` or
/// `base`; anything else is read line by line.
pub fn parse(text: &str, base: Option<&Url>) -> UrlList {
    parse_with(text, base, Seen::default()).0
}

/// The images of a web page (an HTML answer from `page`), as `magpie fetch --page` and the
/// window's page checklist take them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageImages {
    /// The page's `<title>`, whitespace collapsed.
    pub title: Option<String>,
    /// Each image once, in page order.
    pub images: Vec<Url>,
}

/// Finds the images of the HTML `text` served at `page`.
pub fn page_images(text: &str, page: &Url) -> PageImages {
    let mut out = Collector {
        list: UrlList::default(),
        seen: Seen::default(),
    };
    let title = parse_html(text, Some(page), &mut out);
    PageImages {
        title,
        images: out.list.urls.into_iter().map(|u| u.url).collect(),
    }
}

/// Like [`parse`], counting URLs already in `seen` (from earlier inputs) as duplicates.
pub fn parse_with(text: &str, base: Option<&Url>, seen: Seen) -> (UrlList, Seen) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Collector {
        list: UrlList::default(),
        seen,
    };
    if looks_like_html(text) {
        let _title = parse_html(text, base, &mut out);
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.len() > MAX_LINE_BYTES {
                out.reject(i + 1, line, RejectReason::TooLong);
            } else {
                parse_line(line, i + 1, &mut out);
            }
        }
    }
    (out.list, out.seen)
}

/// The URLs seen so far, as 64-bit keyed hashes (about 16 bytes each, whatever the URL's length)
/// with the line each was first on: enough to spot duplicates in lists of millions.
#[derive(Debug, Default)]
pub struct Seen {
    hasher: std::hash::RandomState,
    first: HashMap<u64, usize>,
}

impl Seen {
    /// Records `url` from `line`; if it was seen before, returns the line it was first on.
    pub fn check(&mut self, url: &Url, line: usize) -> Option<usize> {
        use std::hash::BuildHasher as _;
        let key = self.hasher.hash_one(url.as_str());
        match self.first.get(&key) {
            Some(&first) => Some(first),
            None => {
                self.first.insert(key, line);
                None
            }
        }
    }
}

/// One thing found in an input, in the order of its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Url(ListedUrl),
    Duplicate(Duplicate),
    Rejected(Rejected),
}

impl UrlList {
    /// Everything in the list as [`Found`] entries, in line order.
    pub fn into_found(self) -> Vec<Found> {
        let mut all: Vec<Found> = self
            .urls
            .into_iter()
            .map(Found::Url)
            .chain(self.duplicates.into_iter().map(Found::Duplicate))
            .chain(self.rejected.into_iter().map(Found::Rejected))
            .collect();
        all.sort_by_key(|f| match f {
            Found::Url(u) => u.line,
            Found::Duplicate(d) => d.line,
            Found::Rejected(r) => r.line,
        });
        all
    }
}

/// Reads a line-based list (text, CSV, Markdown) as it goes, so a list of any length costs
/// memory for one line at a time plus [`Seen`]. (HTML needs the whole page: use [`parse_bytes`].)
pub struct LineReader<R> {
    reader: R,
    line: usize,
    collector: Collector,
    ready: std::collections::VecDeque<Found>,
    buf: Vec<u8>,
    error: Option<std::io::Error>,
    done: bool,
}

impl<R: std::io::BufRead> LineReader<R> {
    /// Reads from `reader`, counting URLs already in `seen` as duplicates.
    pub fn new(reader: R, seen: Seen) -> Self {
        Self {
            reader,
            line: 0,
            collector: Collector {
                list: UrlList::default(),
                seen,
            },
            ready: std::collections::VecDeque::new(),
            buf: Vec::new(),
            error: None,
            done: false,
        }
    }

    /// The URLs seen, to carry on into the next input.
    pub fn into_seen(self) -> Seen {
        self.collector.seen
    }

    /// The read error that ended the list early, if any.
    pub fn take_error(&mut self) -> Option<std::io::Error> {
        self.error.take()
    }
}

impl<R: std::io::BufRead> Iterator for LineReader<R> {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        loop {
            if let Some(found) = self.ready.pop_front() {
                return Some(found);
            }
            if self.done {
                return None;
            }
            self.buf.clear();
            let limit = MAX_LINE_BYTES as u64 + 1;
            match std::io::Read::take(&mut self.reader, limit).read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    self.error = Some(e);
                    self.done = true;
                    continue;
                }
            }
            self.line += 1;
            if self.buf.len() > MAX_LINE_BYTES && !self.buf.ends_with(b"\n") {
                // Skip the rest of the line without keeping it.
                if let Err(e) = skip_line(&mut self.reader) {
                    self.error = Some(e);
                    self.done = true;
                }
                let head = String::from_utf8_lossy(&self.buf[..200]).into_owned();
                self.collector
                    .reject(self.line, &head, RejectReason::TooLong);
                let list = std::mem::take(&mut self.collector.list);
                self.ready.extend(list.into_found());
                continue;
            }
            let mut bytes = self.buf.as_slice();
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            match std::str::from_utf8(bytes) {
                Ok(text) => parse_line(text, self.line, &mut self.collector),
                Err(_) => self.collector.reject(
                    self.line,
                    &String::from_utf8_lossy(bytes),
                    RejectReason::NotUtf8,
                ),
            }
            let list = std::mem::take(&mut self.collector.list);
            self.ready.extend(list.into_found());
        }
    }
}

/// Reads up to and including the next newline, keeping nothing.
fn skip_line(reader: &mut impl std::io::BufRead) -> std::io::Result<()> {
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(p) => {
                reader.consume(p + 1);
                return Ok(());
            }
            None => {
                let n = chunk.len();
                reader.consume(n);
            }
        }
    }
}

struct Collector {
    list: UrlList,
    seen: Seen,
}

impl Collector {
    fn accept(&mut self, url: Url, line: usize) {
        if let Some(first_line) = self.seen.check(&url, line) {
            self.list.duplicates.push(Duplicate {
                url,
                line,
                first_line,
            });
        } else {
            self.list.urls.push(ListedUrl { url, line });
        }
    }

    fn reject(&mut self, line: usize, text: &str, reason: RejectReason) {
        self.list.rejected.push(Rejected {
            line,
            text: shorten(text),
            reason,
        });
    }

    /// Accepts an absolute URL candidate if it is http(s), otherwise rejects it with a reason.
    fn candidate(&mut self, raw: &str, line: usize) {
        match Url::parse(raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {
                if url.host_str().is_none_or(str::is_empty) {
                    self.reject(line, raw, RejectReason::Invalid("no host".into()));
                } else {
                    self.accept(url, line);
                }
            }
            Ok(url) => self.reject(
                line,
                raw,
                RejectReason::UnsupportedScheme(url.scheme().to_string()),
            ),
            Err(e) => self.reject(line, raw, RejectReason::Invalid(e.to_string())),
        }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_SHOWN {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX_SHOWN).collect();
        format!("{cut}…")
    }
}

/// Whether `text` (or its start) is an HTML page rather than a list.
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<head")
        || head.starts_with("<body")
        || (head.starts_with('<')
            && ["<img", "<a ", "<div", "<p>", "<picture", "<meta"]
                .iter()
                .any(|t| head.contains(t)))
}

#[cfg(test)]
mod tests;
