//! An index of items by a key some of them have (a URL, a file), holding positions instead of a
//! copy of each key: with 100,000 rows, a set of URLs or paths beside them cost as much again.

use std::hash::{BuildHasher as _, Hash};

use hashbrown::HashTable;

/// Positions into a slice of items, found by the hash of the key `key_of` reads from an item.
/// The caller passes the same `key_of` to every call, and rebuilds the index when positions
/// move.
#[derive(Debug, Default)]
pub struct PositionIndex {
    table: HashTable<usize>,
    hasher: std::hash::RandomState,
}

impl PositionIndex {
    /// The position of the item whose key is `key`.
    pub fn find<I, K: Hash + Eq + ?Sized>(
        &self,
        items: &[I],
        key: &K,
        key_of: impl Fn(&I) -> Option<&K>,
    ) -> Option<usize> {
        self.table
            .find(self.hasher.hash_one(key), |&j| {
                key_of(&items[j]) == Some(key)
            })
            .copied()
    }

    /// Lists item `i` under its key, unless it has none or an item with that key is listed.
    pub fn insert<I, K: Hash + Eq + ?Sized>(
        &mut self,
        items: &[I],
        i: usize,
        key_of: impl Fn(&I) -> Option<&K>,
    ) {
        let Some(key) = items.get(i).and_then(&key_of) else {
            return;
        };
        let hash = self.hasher.hash_one(key);
        if self
            .table
            .find(hash, |&j| key_of(&items[j]) == Some(key))
            .is_none()
        {
            let hasher = &self.hasher;
            self.table.insert_unique(hash, i, |&j| {
                // Only items with a key are ever listed.
                key_of(&items[j]).map_or(0, |k| hasher.hash_one(k))
            });
        }
    }

    /// Makes room for `more` entries at once.
    pub fn reserve<I, K: Hash + ?Sized>(
        &mut self,
        items: &[I],
        more: usize,
        key_of: impl Fn(&I) -> Option<&K>,
    ) {
        let hasher = &self.hasher;
        self.table.reserve(more, |&j| {
            key_of(&items[j]).map_or(0, |k| hasher.hash_one(k))
        });
    }

    pub fn clear(&mut self) {
        self.table.clear();
    }
}
