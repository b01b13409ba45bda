//! `--shard K/N`: N machines given the same URL list each take the URLs whose stable hash falls
//! in their shard, with no coordination. The hash is BLAKE3 of the URL as Magpie normalises it
//! (so `HTTP://Example.org/a` and `http://example.org/a` land together), its first 8 bytes
//! little-endian, modulo N: fixed forever, so a shard's `--resume` finds the same URLs.

use std::str::FromStr;

use url::Url;

/// One shard of N, numbered from 1 (as `jest --shard` and `pytest --shard` number them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Whether `url` belongs to this shard.
    pub fn contains(&self, url: &Url) -> bool {
        let hash = blake3::hash(url.as_str().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        u64::from_le_bytes(first) % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || format!("'{s}' is not K/N (e.g. 1/4: the first of four shards)");
        let (k, n) = s.split_once('/').ok_or_else(usage)?;
        let index: u64 = k.trim().parse().map_err(|_| usage())?;
        let count: u64 = n.trim().parse().map_err(|_| usage())?;
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard {s}: K must be between 1 and N (shards are numbered from 1)"
            ));
        }
        Ok(Self { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_is_in_exactly_one_shard_and_they_are_even() {
        let shards: Vec<Shard> = (1..=4).map(|k| format!("{k}/4").parse().unwrap()).collect();
        let mut sizes = [0usize; 4];
        for i in 0..4000 {
            let url = Url::parse(&format!("https://img.example/{i}.jpg")).unwrap();
            let owners: Vec<usize> = (0..4).filter(|&s| shards[s].contains(&url)).collect();
            assert_eq!(owners.len(), 1);
            sizes[owners[0]] += 1;
        }
        assert!(sizes.iter().all(|&n| (900..1100).contains(&n)), "{sizes:?}");
    }

    #[test]
    fn the_assignment_never_changes() {
        // Pinned: a change here would move URLs between machines mid-job.
        let url = Url::parse("https://img.example/cat.jpg").unwrap();
        let owner: Vec<u64> = (1..=7)
            .filter(|&k| format!("{k}/7").parse::<Shard>().unwrap().contains(&url))
            .collect();
        assert_eq!(owner, [PINNED]);
    }
    const PINNED: u64 = 3;

    #[test]
    fn bad_shards_are_explained() {
        assert!(
            "0/4"
                .parse::<Shard>()
                .unwrap_err()
                .contains("numbered from 1")
        );
        assert!("5/4".parse::<Shard>().is_err());
        assert!("1-4".parse::<Shard>().unwrap_err().contains("K/N"));
        assert_eq!("2/2".parse::<Shard>(), Ok(Shard { index: 2, count: 2 }));
    }
}
