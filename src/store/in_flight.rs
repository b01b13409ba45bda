//! Downloads of the same bytes that finish close together keep the name of the first to finish.
//!
//! Duplicates are found when a download is named, after its flush, and a download gives up its
//! network slot as soon as its body is in. So the second of two identical images could be
//! flushed and named before the first, whose flush happened to be slower, and the first would
//! become the duplicate: which name survived depended on the disk. Now the first download to
//! reach its commit with some bytes leads; later ones with the same bytes wait for it and point
//! to the file it ends with, or, if it fails, go on by themselves.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// How a leader ended: `None` while it runs, then the file holding the bytes, or `None` if it
/// failed.
type Outcome = Option<Option<PathBuf>>;

/// The downloads being committed into one folder, by BLAKE3 of their bytes.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    leaders: Mutex<HashMap<String, watch::Receiver<Outcome>>>,
}

/// A download's place among those with the same bytes.
pub(super) enum Turn {
    /// No other download of these bytes is being committed: this one goes first.
    Lead(Leader),
    /// Another one is: wait for it with [`follow`].
    Follow(watch::Receiver<Outcome>),
}

/// The first download of some bytes; tells those waiting how it ended when dropped.
pub(super) struct Leader {
    registry: Arc<InFlight>,
    blake3: String,
    tx: watch::Sender<Outcome>,
}

impl InFlight {
    /// Takes a turn for the bytes hashed `blake3`.
    pub(super) fn turn(self: &Arc<Self>, blake3: &str) -> Turn {
        let mut leaders = self.leaders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rx) = leaders.get(blake3) {
            return Turn::Follow(rx.clone());
        }
        let (tx, rx) = watch::channel(None);
        leaders.insert(blake3.to_owned(), rx);
        Turn::Lead(Leader {
            registry: self.clone(),
            blake3: blake3.to_owned(),
            tx,
        })
    }
}

/// Waits for the leader: the file it named (or found) with these bytes, or `None` if it failed.
pub(super) async fn follow(mut rx: watch::Receiver<Outcome>) -> Option<PathBuf> {
    match rx.wait_for(Option::is_some).await {
        Ok(outcome) => outcome.clone().flatten(),
        Err(_) => None, // gone without a word
    }
}

impl Leader {
    /// The file now holding the bytes (named, or found already in the folder), or `None`.
    pub(super) fn finish(self, file: Option<PathBuf>) {
        self.tx.send_replace(Some(file));
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        self.registry
            .leaders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.blake3);
        // Dropped without finishing (its commit panicked or was lost): it failed.
        self.tx.send_if_modified(|outcome| {
            let unfinished = outcome.is_none();
            if unfinished {
                *outcome = Some(None);
            }
            unfinished
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn later_downloads_of_the_same_bytes_get_the_first_ones_file() {
        let registry = Arc::new(InFlight::default());
        let Turn::Lead(first) = registry.turn("aa") else {
            panic!("the first leads");
        };
        let Turn::Follow(second) = registry.turn("aa") else {
            panic!("the second follows");
        };
        assert!(
            matches!(registry.turn("bb"), Turn::Lead(_)),
            "other bytes lead"
        );
        let waiting = tokio::spawn(follow(second));
        first.finish(Some(PathBuf::from("one.png")));
        assert_eq!(waiting.await.unwrap(), Some(PathBuf::from("one.png")));
        assert!(
            matches!(registry.turn("aa"), Turn::Lead(_)),
            "done: the next leads"
        );
    }

    #[tokio::test]
    async fn a_leader_that_fails_or_is_dropped_lets_the_others_go_on() {
        let registry = Arc::new(InFlight::default());
        for end in [Some(None), None] {
            let Turn::Lead(first) = registry.turn("aa") else {
                panic!("the first leads");
            };
            let Turn::Follow(second) = registry.turn("aa") else {
                panic!("the second follows");
            };
            match end {
                Some(file) => first.finish(file),
                None => drop(first),
            }
            assert_eq!(follow(second).await, None);
        }
    }
}
