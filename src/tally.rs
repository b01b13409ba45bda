//! Failures counted by reason. With thousands of dead links, how many failed for each reason
//! ("1,500 × HTTP 404 Not Found", "480 × not tried: cdn.example … was paused") says more than
//! the list of them; `magpie fetch`'s summary and the window's failed queue both show it.

use std::collections::HashMap;

/// Distinct reasons counted apart; reasons beyond (messages that name a byte count or a file)
/// are counted together, so a million failures hold a bounded table.
const COUNTED_REASONS: usize = 100;

/// How many times each reason was given.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    counts: HashMap<String, usize>,
    /// Failures whose reason came after [`COUNTED_REASONS`] others.
    uncounted: usize,
}

impl Tally {
    /// Counts one more failure for `reason`.
    pub fn add(&mut self, reason: &str) {
        if let Some(n) = self.counts.get_mut(reason) {
            *n += 1;
        } else if self.counts.len() < COUNTED_REASONS {
            self.counts.insert(reason.to_string(), 1);
        } else {
            self.uncounted += 1;
        }
    }

    /// The `n` most frequent reasons with their counts (ties by reason), and how many failures
    /// the others account for.
    pub fn top(&self, n: usize) -> (Vec<(&str, usize)>, usize) {
        let mut by_count: Vec<(&str, usize)> =
            self.counts.iter().map(|(r, &c)| (r.as_str(), c)).collect();
        by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let rest = by_count.iter().skip(n).map(|(_, c)| c).sum::<usize>() + self.uncounted;
        by_count.truncate(n);
        (by_count, rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_bounded_and_what_overflows_is_still_counted() {
        let mut tally = Tally::default();
        for i in 0..(COUNTED_REASONS + 50) {
            tally.add(&format!("got {i} bytes"));
        }
        tally.add("got 0 bytes");
        assert_eq!(tally.counts.len(), COUNTED_REASONS);
        let (top, rest) = tally.top(1);
        assert_eq!(top, [("got 0 bytes", 2)]);
        assert_eq!(rest, COUNTED_REASONS - 1 + 50);
    }
}
