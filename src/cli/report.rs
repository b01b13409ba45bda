//! What `magpie fetch` tells the person or script running it: a progress bar on a terminal,
//! one line per file otherwise, JSON lines with `--json`, and the summary at the end.

use std::io::{IsTerminal as _, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::SkipReason;
use serde::Serialize;

use crate::engine::Saved;
use crate::format::{count, human_bytes, visible};
use crate::tally::Tally;
use crate::urls::{Duplicate, Rejected};

use super::feed::Place;

/// One result line of `--json`.
#[derive(Debug, Serialize)]
struct JsonLine<'a> {
    url: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl<'a> JsonLine<'a> {
    fn new(url: &'a str, status: &'a str) -> Self {
        Self {
            url,
            status,
            path: None,
            bytes: None,
            error: None,
            line: None,
            note: None,
        }
    }
}

/// How many failures the summary repeats (each was also printed when it happened); the rest are
/// counted, so a list of a million dead links doesn't hold a million messages.
const LISTED_FAILURES: usize = 1000;

/// From this many failures on, the summary also counts them by reason.
const MANY_FAILURES: usize = 10;

/// Reasons the summary shows, most frequent first; the rest are summed in one line.
const SHOWN_REASONS: usize = 10;

/// "  1,500 × HTTP 404 Not Found" lines, the counts aligned, then the rest in one line.
fn reason_lines(tally: &Tally) -> Vec<String> {
    let (shown, rest) = tally.top(SHOWN_REASONS);
    let width = (shown.iter().map(|(_, n)| count(*n).len()))
        .chain([count(rest).len()])
        .max()
        .unwrap_or(1);
    let mut lines: Vec<String> = shown
        .iter()
        .map(|(reason, n)| format!("  {:>width$} × {}", count(*n), visible(reason)))
        .collect();
    if rest > 0 {
        lines.push(format!("  {:>width$} × other reasons", count(rest)));
    }
    lines
}

/// Counts and output for one run.
pub struct Report {
    out: std::io::StdoutLock<'static>,
    json: bool,
    bar: Option<ProgressBar>,
    started: Instant,
    pub saved: usize,
    pub saved_bytes: u64,
    /// The first [`LISTED_FAILURES`] failures, repeated in the summary.
    pub failures: Vec<(String, String)>,
    /// Every failure, counted by reason.
    reasons: Tally,
    pub failed: usize,
    pub cancelled: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub skipped_saved: usize,
    /// URLs that belong to other machines' shards.
    pub other_shard: usize,
    /// Images left out by the filters (--min-size, --min-dim, --type).
    pub filtered: usize,
    /// URLs saved into the folder by an earlier run (the download archive).
    pub downloaded_before: usize,
    /// URLs another Magpie was already fetching into the same folder.
    pub skipped_elsewhere: usize,
    pub submitted: usize,
    bytes_seen: u64,
    estimate: u64,
}

impl Report {
    /// `estimate`: about how many files, for the progress bar (shown only on a terminal).
    pub fn new(json: bool, estimate: u64) -> Self {
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(estimate);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {pos}/{len} files [{wide_bar}] {msg} · ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            out: std::io::stdout().lock(),
            json,
            bar,
            started: Instant::now(),
            saved: 0,
            saved_bytes: 0,
            failures: Vec::new(),
            reasons: Tally::default(),
            failed: 0,
            cancelled: 0,
            duplicates: 0,
            rejected: 0,
            skipped_saved: 0,
            other_shard: 0,
            filtered: 0,
            downloaded_before: 0,
            skipped_elsewhere: 0,
            submitted: 0,
            bytes_seen: 0,
            estimate,
        }
    }

    fn json_line(&mut self, line: &JsonLine<'_>) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        writeln!(self.out)
    }

    /// A line for people: above the bar on a terminal, on stdout otherwise.
    /// Prints a line for people; untrusted parts are made visible first.
    fn say(&mut self, text: String) -> std::io::Result<()> {
        let text = visible(&text).into_owned();
        match &self.bar {
            Some(b) => {
                b.println(text);
                Ok(())
            }
            None => writeln!(self.out, "{text}"),
        }
    }

    /// The bar's length follows what turned out not to be a download.
    fn not_a_file(&mut self) {
        self.estimate = self.estimate.saturating_sub(1);
        self.fit_bar();
    }

    fn fit_bar(&self) {
        if let Some(b) = &self.bar {
            b.set_length(self.estimate.max(self.submitted as u64));
        }
    }

    pub fn submitted(&mut self, n: usize) {
        self.submitted += n;
        self.fit_bar();
    }

    pub fn rejected(&mut self, place: &Place, r: &Rejected) -> std::io::Result<()> {
        self.rejected += 1;
        self.not_a_file();
        if self.json {
            let mut line = JsonLine::new(&r.text, "rejected");
            line.error = Some(r.reason.to_string());
            line.line = Some(r.line);
            self.json_line(&line)
        } else {
            let text = format!("skipped {place}: {} ({})", r.reason, visible(&r.text));
            match &self.bar {
                Some(b) => b.println(text),
                None => eprintln!("{text}"),
            }
            Ok(())
        }
    }

    pub fn duplicate(&mut self, d: &Duplicate) -> std::io::Result<()> {
        self.duplicates += 1;
        self.not_a_file();
        if self.json {
            let mut line = JsonLine::new(d.url.as_str(), "duplicate");
            line.line = Some(d.line);
            self.json_line(&line)?;
        }
        Ok(())
    }

    /// A URL left to another machine by `--shard`.
    pub fn other_shard(&mut self) {
        self.other_shard += 1;
        self.not_a_file();
    }

    pub fn already_saved(&mut self) {
        self.skipped_saved += 1;
        self.not_a_file();
    }

    pub fn bytes(&mut self, new: u64) {
        self.bytes_seen += new;
        if let Some(b) = &self.bar {
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            b.set_message(format!(
                "{} · {}/s",
                human_bytes(self.bytes_seen),
                human_bytes((self.bytes_seen as f64 / secs) as u64)
            ));
        }
    }

    pub fn saved(&mut self, url: &str, saved: &Saved) -> std::io::Result<()> {
        self.saved += 1;
        self.saved_bytes += saved.bytes;
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        if self.json {
            let mut line = JsonLine::new(url, "saved");
            line.path = Some(saved.path.display().to_string());
            line.bytes = Some(saved.bytes);
            line.note = saved.note.clone();
            self.json_line(&line)
        } else if self.bar.is_none() {
            match &saved.note {
                Some(note) => {
                    writeln!(self.out, "saved {url} -> {} ({note})", saved.path.display())
                }
                None => writeln!(self.out, "saved {url} -> {}", saved.path.display()),
            }
        } else if let Some(note) = &saved.note {
            self.say(format!("saved {url} ({note})"))
        } else {
            Ok(())
        }
    }

    pub fn failed(&mut self, url: &str, reason: String) -> std::io::Result<()> {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        if self.json {
            let mut line = JsonLine::new(url, "failed");
            line.error = Some(reason.clone());
            self.json_line(&line)?;
        } else {
            self.say(format!("failed {url}: {reason}"))?;
        }
        self.failed += 1;
        self.reasons.add(&reason);
        if self.failures.len() < LISTED_FAILURES {
            self.failures.push((url.to_string(), reason));
        }
        Ok(())
    }

    /// Not fetched here, for `reason` (another Magpie on the same folder has it).
    pub fn skipped(&mut self, url: &str, reason: &SkipReason) -> std::io::Result<()> {
        match reason {
            SkipReason::Filtered(_) => self.filtered += 1,
            SkipReason::DownloadedBefore(_) => self.downloaded_before += 1,
            _ => self.skipped_elsewhere += 1,
        }
        let reason = reason.to_string();
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        if self.json {
            let mut line = JsonLine::new(url, "skipped");
            line.error = Some(reason.to_string());
            self.json_line(&line)
        } else {
            self.say(format!("skipped {url}: {reason}"))
        }
    }

    /// A line about the run itself (a host slowing down, paused), on stderr.
    pub fn note(&mut self, text: &str) -> std::io::Result<()> {
        match &self.bar {
            Some(b) => b.println(text),
            None => eprintln!("{}", visible(text)),
        }
        Ok(())
    }

    pub fn cancelled(&mut self, url: &str) -> std::io::Result<()> {
        self.cancelled += 1;
        if self.json {
            self.json_line(&JsonLine::new(url, "cancelled"))?;
        }
        Ok(())
    }

    /// Clears the bar and prints the summary (stdout for people, stderr with `--json`).
    pub fn finish(mut self, dir: &std::path::Path) -> std::io::Result<()> {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut summary = format!(
            "saved {} of {} ({}) in {elapsed:.1} s into {}",
            self.saved,
            self.submitted,
            human_bytes(self.saved_bytes),
            dir.display()
        );
        for (n, what) in [
            (self.failed, "failed"),
            (self.cancelled, "cancelled"),
            (self.duplicates, "duplicate(s) skipped"),
            (self.rejected, "input line(s) rejected"),
            (self.skipped_saved, "already saved earlier"),
            (self.other_shard, "in other shards"),
            (self.filtered, "left out by the filters"),
            (
                self.downloaded_before,
                "downloaded before (--no-archive fetches them again)",
            ),
            (
                self.skipped_elsewhere,
                "left to another Magpie on this folder",
            ),
        ] {
            if n > 0 {
                summary += &format!(" · {n} {what}");
            }
        }
        if self.json {
            eprintln!("{summary}");
        } else {
            if !self.failures.is_empty() {
                writeln!(self.out, "\nFailed:")?;
                for (url, reason) in &self.failures {
                    writeln!(self.out, "  {}: {}", visible(url), visible(reason))?;
                }
                if self.failed > self.failures.len() {
                    writeln!(
                        self.out,
                        "  … and {} more (each is listed above)",
                        self.failed - self.failures.len()
                    )?;
                }
                // With many, how many failed for each reason (a list of dead links is mostly
                // 404s; a site that went away, one line).
                if self.failed >= MANY_FAILURES {
                    writeln!(self.out, "\nWhy they failed:")?;
                    for line in reason_lines(&self.reasons) {
                        writeln!(self.out, "{line}")?;
                    }
                }
            }
            writeln!(self.out, "{summary}")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_by_reason_most_frequent_first_the_tail_in_one_line() {
        let mut tally = Tally::default();
        for _ in 0..1500 {
            tally.add("HTTP 404 Not Found");
        }
        for _ in 0..20 {
            tally.add("could not connect: Connection refused");
        }
        // Reasons that name a number are each their own; past the table's room they are summed.
        for i in 0..200 {
            tally.add(&format!("the body ended early: got {i} of 1000 bytes"));
        }
        let lines = reason_lines(&tally);
        assert_eq!(lines.len(), SHOWN_REASONS + 1);
        assert_eq!(lines[0], "  1,500 × HTTP 404 Not Found");
        assert_eq!(lines[1], "     20 × could not connect: Connection refused");
        assert_eq!(
            lines[2],
            "      1 × the body ended early: got 0 of 1000 bytes"
        );
        // 200 one-offs, 8 of them shown above.
        assert_eq!(lines[SHOWN_REASONS], "    192 × other reasons");
    }
}
