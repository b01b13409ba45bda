//! The gallery's tiles in the order they are shown: the newest batch first (a pasted list, a
//! page's images, a folder's files, a re-download), each batch in its own order. A list then
//! reads as it was written, its first images stay at the top while the rest arrive below them,
//! and what was added last is still the first thing seen. Tiles come and go as downloads start
//! and fail: each change is one insert or removal within its batch, and batches are few, so no
//! change costs a pass over every tile.

/// Where an item's tile goes: in batch `batch` (a later batch is shown before an earlier
/// one), at `seq` within it (a smaller `seq` first).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub batch: u32,
    pub seq: u32,
}

impl Place {
    /// Entry `n` of batch `batch`; a list longer than 4 billion shares the last place.
    pub fn new(batch: u32, n: impl TryInto<u32>) -> Self {
        let seq = n.try_into().unwrap_or(u32::MAX);
        Self { batch, seq }
    }
}

/// Positions of the tiles, by batch.
#[derive(Debug, Default, PartialEq)]
pub struct Tiles {
    /// Oldest batch first, none empty; each batch's (seq, position) pairs sorted by seq.
    batches: Vec<(u32, Vec<(u32, usize)>)>,
    len: usize,
}

impl Tiles {
    /// Tiles for the items at the given places and positions.
    pub fn from_places(places: impl Iterator<Item = (Place, usize)>) -> Self {
        let mut all: Vec<(Place, usize)> = places.collect();
        all.sort_unstable();
        let mut tiles = Self {
            batches: Vec::new(),
            len: all.len(),
        };
        for (place, position) in all {
            match tiles.batches.last_mut() {
                Some((batch, rows)) if *batch == place.batch => rows.push((place.seq, position)),
                _ => tiles
                    .batches
                    .push((place.batch, vec![(place.seq, position)])),
            }
        }
        tiles
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Positions of the tiles from the `from`th shown on, in the order shown. Skipping costs a
    /// step per batch, not per tile.
    pub fn shown_from(&self, mut from: usize) -> impl Iterator<Item = usize> + '_ {
        self.batches.iter().rev().flat_map(move |(_, rows)| {
            let start = from.min(rows.len());
            from -= start;
            rows[start..].iter().map(|&(_, position)| position)
        })
    }

    /// Where the tile at `place` is shown (0: first).
    pub fn index_of(&self, place: Place) -> Option<usize> {
        let mut before = 0;
        for (batch, rows) in self.batches.iter().rev() {
            if *batch == place.batch {
                let at = rows.binary_search_by_key(&place.seq, |r| r.0).ok()?;
                return Some(before + at);
            }
            before += rows.len();
        }
        None
    }

    /// Shows the item at `position` at `place`; false if that place was taken.
    pub fn insert(&mut self, place: Place, position: usize) -> bool {
        let at = match self.batches.binary_search_by_key(&place.batch, |b| b.0) {
            Ok(at) => at,
            Err(at) => {
                self.batches.insert(at, (place.batch, Vec::new()));
                at
            }
        };
        let rows = &mut self.batches[at].1;
        match rows.binary_search_by_key(&place.seq, |r| r.0) {
            Ok(_) => false,
            Err(i) => {
                rows.insert(i, (place.seq, position));
                self.len += 1;
                true
            }
        }
    }

    /// Takes the tile at `place` away; false if there was none.
    pub fn remove(&mut self, place: Place) -> bool {
        let Ok(at) = self.batches.binary_search_by_key(&place.batch, |b| b.0) else {
            return false;
        };
        let rows = &mut self.batches[at].1;
        let Ok(i) = rows.binary_search_by_key(&place.seq, |r| r.0) else {
            return false;
        };
        rows.remove(i);
        if rows.is_empty() {
            self.batches.remove(at);
        }
        self.len -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(tiles: &Tiles) -> Vec<usize> {
        tiles.shown_from(0).collect()
    }

    #[test]
    fn the_newest_batch_comes_first_and_each_batch_keeps_its_order() {
        let mut tiles = Tiles::default();
        // A folder's files (batch 0, newest first), then a list (batch 1) whose downloads start
        // out of order.
        for (seq, position) in [(0, 10), (1, 11)] {
            assert!(tiles.insert(Place::new(0, seq), position));
        }
        for (seq, position) in [(2, 22), (0, 20), (1, 21)] {
            assert!(tiles.insert(Place::new(1, seq), position));
        }
        assert_eq!(shown(&tiles), [20, 21, 22, 10, 11]);
        assert_eq!(tiles.shown_from(2).collect::<Vec<_>>(), [22, 10, 11]);
        assert_eq!(tiles.shown_from(4).collect::<Vec<_>>(), [11]);
        assert_eq!(tiles.shown_from(9).count(), 0);
        assert_eq!(tiles.index_of(Place::new(0, 1)), Some(4));
        assert_eq!(tiles.index_of(Place::new(1, 0)), Some(0));
        assert!(
            !tiles.insert(Place::new(1, 0), 20),
            "a place holds one tile"
        );

        assert!(tiles.remove(Place::new(1, 1)));
        assert!(!tiles.remove(Place::new(1, 1)));
        assert_eq!(shown(&tiles), [20, 22, 10, 11]);
        assert_eq!(tiles.len(), 4);
        // Kept step by step or built at once, the tiles are the same.
        let again = Tiles::from_places(
            [(1, 0, 20), (0, 1, 11), (1, 2, 22), (0, 0, 10)]
                .into_iter()
                .map(|(b, s, p)| (Place::new(b, s), p)),
        );
        assert_eq!(again, tiles);
        for place in [(0, 0), (0, 1), (1, 0), (1, 2)] {
            assert!(tiles.remove(Place::new(place.0, place.1)));
        }
        assert!(tiles.is_empty());
        assert_eq!(tiles, Tiles::default(), "no empty batch is left behind");
    }
}
