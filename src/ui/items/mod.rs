//! The window's model of what it shows: one [`Item`] per download or image in the folder, and
//! the bookkeeping that keeps them in step with engine events. The totals, the queue's rows and
//! the gallery's tiles are kept as items change, so a frame costs the rows on screen, not one
//! pass per item: with 100,000 URLs queued, those passes were 5 ms of every frame.

mod events;
mod index;
mod item;
#[cfg(test)]
mod tests;
mod tiles;
mod totals;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use url::Url;

use index::PositionIndex;
pub use item::{Item, ItemState, Thumb};
pub use tiles::{Place, Tiles};
pub use totals::Totals;

use crate::engine::JobId;

/// All items, with indexes from job and key to position.
#[derive(Debug)]
pub struct Items<T> {
    items: Vec<Item<T>>,
    by_job: HashMap<JobId, usize>,
    by_key: HashMap<u64, usize>,
    /// The items with a URL (duplicates' rows left out): tells a URL already in the list.
    urls: PositionIndex,
    /// The items with a file: tells a file already shown, and finds the file a journal line
    /// names.
    paths: PositionIndex,
    next_key: u64,
    pub batch_started: Option<Instant>,
    totals: Totals,
    /// Positions of the queue's rows (downloads), in order. Whether an item is a download is
    /// settled when it is added.
    downloads: Vec<usize>,
    /// The gallery's tiles, in the order shown.
    tiles: Tiles,
    /// A tile's place was found taken or empty: `tiles` is rebuilt by [`Items::refresh`].
    tiles_stale: bool,
    /// The batch [`Items::new_batch`] gives next.
    next_batch: u32,
    /// Counts changes a filter of the tiles could see: see [`Items::version`].
    version: u64,
    /// Counts the times items changed positions: see [`Items::moved`].
    moved: u64,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            by_job: HashMap::new(),
            by_key: HashMap::new(),
            urls: PositionIndex::default(),
            paths: PositionIndex::default(),
            next_key: 1,
            batch_started: None,
            totals: Totals::default(),
            downloads: Vec::new(),
            tiles: Tiles::default(),
            tiles_stale: false,
            next_batch: 1,
            version: 0,
            moved: 0,
        }
    }
}

/// The keys the indexes go by.
fn url_of<T>(item: &Item<T>) -> Option<&str> {
    item.url.as_ref().map(Url::as_str)
}

fn path_of<T>(item: &Item<T>) -> Option<&Path> {
    item.path.as_deref()
}

fn name_from_url(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()))
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_else(|| url.host_str().unwrap_or("image").to_string())
}

impl<T> Items<T> {
    pub fn as_slice(&self) -> &[Item<T>] {
        &self.items
    }

    pub fn get(&self, index: usize) -> Option<&Item<T>> {
        self.items.get(index)
    }

    /// For the thumbnail and its bookkeeping; `state` and `received` change only through
    /// [`Items::apply`] and [`Items::restart`], which keep the totals.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut Item<T>> {
        self.items.get_mut(index)
    }

    /// Makes room for `more` rows at once: a list of 100,000 is then one allocation of its
    /// size, not a doubling that leaves a third unused.
    pub fn reserve(&mut self, more: usize) {
        self.items.reserve_exact(more);
        self.downloads.reserve_exact(more);
        // The indexes too: a table doubling from 64k to 128k entries mid-list was one 20 ms
        // frame.
        self.by_job.reserve(more);
        self.by_key.reserve(more);
        self.urls.reserve(&self.items, more, url_of);
        self.paths.reserve(&self.items, more, path_of);
    }

    /// Positions of the queue's rows, in order.
    pub fn download_rows(&self) -> &[usize] {
        &self.downloads
    }

    /// Grows whenever a tile comes or goes, or an item's state, name or address changes (not
    /// on progress): what [`super::filter`] finds again when it moves.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Grows whenever items were removed, so that positions taken before no longer hold (items
    /// are otherwise only added at the end).
    pub fn moved(&self) -> u64 {
        self.moved
    }

    /// The gallery's tiles, in the order shown (as of the last [`Items::refresh`]).
    pub fn gallery_tiles(&self) -> &Tiles {
        &self.tiles
    }

    /// Where the tile of the item `key` is shown in the gallery (0: first).
    pub fn tile_index(&self, key: u64) -> Option<usize> {
        let item = self.items.get(self.index_of_key(key)?)?;
        self.tiles.index_of(item.place)
    }

    /// A batch of rows added together (a list, a folder's files): its tiles are shown before
    /// those of every earlier batch, in the order of their [`Place`]s within it.
    pub fn new_batch(&mut self) -> u32 {
        let batch = self.next_batch;
        self.next_batch = self.next_batch.saturating_add(1);
        batch
    }

    /// Brings the gallery's tiles up to date if a change could not be made in place: once a
    /// frame, at most one pass, and none when nothing moved.
    pub fn refresh(&mut self) {
        if std::mem::take(&mut self.tiles_stale) {
            self.tiles = self.shown_tiles();
            self.version += 1;
        }
        debug_assert_eq!(self.tiles, self.shown_tiles());
        debug_assert_eq!(self.downloads, self.positions(Item::is_download));
    }

    /// The tiles, found anew from every item.
    fn shown_tiles(&self) -> Tiles {
        Tiles::from_places(
            (self.items.iter().enumerate())
                .filter(|(_, item)| item.in_gallery())
                .map(|(n, item)| (item.place, n)),
        )
    }

    fn positions(&self, keep: impl Fn(&Item<T>) -> bool) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&n| keep(&self.items[n]))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn index_of_key(&self, key: u64) -> Option<usize> {
        self.by_key.get(&key).copied()
    }

    /// The key of the item showing the file at `path`.
    pub fn key_of_path(&self, path: &Path) -> Option<u64> {
        self.position_of_path(path).map(|i| self.items[i].key)
    }

    fn position_of_path(&self, path: &Path) -> Option<usize> {
        self.paths.find(&self.items, path, path_of)
    }

    /// Lists item `i` under its file, unless that file is listed already.
    fn index_path(&mut self, i: usize) {
        self.paths.insert(&self.items, i, path_of);
    }

    /// The URL of the download `job`.
    pub fn url_of_job(&self, job: JobId) -> Option<&Url> {
        let &i = self.by_job.get(&job)?;
        self.items.get(i)?.url.as_ref()
    }

    /// Removes the row of the download `job` (its address turned out to be something else).
    pub fn forget_job(&mut self, job: JobId) {
        self.remove_where(|i| i.job == Some(job));
    }

    pub fn contains_url(&self, url: &Url) -> bool {
        self.urls.find(&self.items, url.as_str(), url_of).is_some()
    }

    /// Lists item `i` under its URL, unless that URL is listed already.
    fn index_url(&mut self, i: usize) {
        self.urls.insert(&self.items, i, url_of);
    }

    fn push(&mut self, item: Item<T>) -> usize {
        let i = self.items.len();
        self.version += 1;
        self.by_key.insert(item.key, i);
        if let Some(job) = item.job {
            self.by_job.insert(job, i);
        }
        self.totals.add(&Totals::of(&item));
        if item.is_download() {
            self.downloads.push(i);
        }
        if item.in_gallery() && !self.tiles.insert(item.place, i) {
            self.tiles_stale = true;
        }
        self.items.push(item);
        i
    }

    /// Changes item `index` with `change`, keeping the totals and the gallery's tiles in step.
    fn change<R>(&mut self, index: usize, change: impl FnOnce(&mut Item<T>) -> R) -> Option<R> {
        let item = self.items.get_mut(index)?;
        let (before, was_tile) = (Totals::of(item), item.in_gallery());
        let state = std::mem::discriminant(&item.state);
        let result = change(item);
        let (after, is_tile, place) = (Totals::of(item), item.in_gallery(), item.place);
        // A saved download's name changes with its state.
        if was_tile != is_tile || state != std::mem::discriminant(&item.state) {
            self.version += 1;
        }
        self.totals.take(&before);
        self.totals.add(&after);
        // Downloads join the gallery as they start and leave it if they fail: one insert or
        // removal at the item's place, not a pass over every item.
        if was_tile != is_tile && !self.tiles_stale {
            let done = if is_tile {
                self.tiles.insert(place, index)
            } else {
                self.tiles.remove(place)
            };
            self.tiles_stale = !done;
        }
        Some(result)
    }

    fn new_key(&mut self) -> u64 {
        let k = self.next_key;
        self.next_key += 1;
        k
    }

    /// Starts timing a new batch (for the ETA) unless one is still running.
    pub fn start_batch(&mut self) {
        if self.batch_started.is_none() || self.totals.active == 0 {
            self.batch_started = Some(Instant::now());
        }
    }

    /// Adds a download row for `url` under `job`, its tile (once it starts) at `place`; call
    /// [`Items::start_batch`] first.
    pub fn add_download(&mut self, url: Url, job: JobId, page: Option<Url>, place: Place) {
        let key = self.new_key();
        let mut item = Item::new(key, name_from_url(&url), Some(url), ItemState::Queued);
        item.job = Some(job);
        item.place = place;
        item.set_page(page);
        let i = self.push(item);
        self.index_url(i);
    }

    /// Adds a row saying `url` is already in the list.
    pub fn add_duplicate(&mut self, url: Url) {
        let key = self.new_key();
        self.push(Item::new(
            key,
            name_from_url(&url),
            Some(url),
            ItemState::Duplicate,
        ));
    }

    /// Adds an image found in the folder, its tile at `place`, unless it is already shown.
    pub fn add_on_disk(&mut self, path: PathBuf, size: u64, place: Place) {
        if self.position_of_path(&path).is_some() {
            return;
        }
        let key = self.new_key();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut item = Item::new(key, name, None, ItemState::OnDisk);
        item.path = Some(path);
        item.size = Some(size);
        item.place = place;
        let i = self.push(item);
        self.index_path(i);
    }

    /// Attaches the URLs files in the folder were downloaded from (from the journal).
    pub fn remember_sources(
        &mut self,
        sources: impl IntoIterator<Item = (PathBuf, Url, Option<Url>)>,
    ) {
        for (path, url, page) in sources {
            if let Some(n) = self.position_of_path(&path)
                && self.items[n].url.is_none()
            {
                self.items[n].url = Some(url);
                self.items[n].set_page(page);
                self.index_url(n);
                self.version += 1;
            }
        }
    }

    /// Adds a download that failed in an earlier session, with its reason; if it is retried, its
    /// tile goes at `place`.
    pub fn add_past_failure(&mut self, url: Url, reason: String, place: Place) {
        let key = self.new_key();
        let mut item = Item::new(
            key,
            name_from_url(&url),
            Some(url),
            ItemState::Failed(reason),
        );
        item.place = place;
        let i = self.push(item);
        self.index_url(i);
    }

    /// Gives item `index` a new job (a retry).
    pub fn restart(&mut self, index: usize, job: JobId) {
        let old = self.change(index, |item| {
            item.state = ItemState::Queued;
            item.received = 0;
            item.total = None;
            item.thumb = Thumb::None;
            item.job.replace(job)
        });
        let Some(old) = old else { return };
        if let Some(old) = old {
            self.by_job.remove(&old);
        }
        self.by_job.insert(job, index);
    }

    /// Removes items for which `remove` is true.
    pub fn remove_where(&mut self, mut remove: impl FnMut(&Item<T>) -> bool) {
        self.items.retain(|i| !remove(i));
        self.reindex();
    }

    fn reindex(&mut self) {
        self.version += 1;
        self.moved += 1;
        self.by_job.clear();
        self.by_key.clear();
        self.urls.clear();
        self.paths.clear();
        self.totals = Totals::default();
        self.downloads = self.positions(Item::is_download);
        self.tiles = self.shown_tiles();
        self.tiles_stale = false;
        for (i, item) in self.items.iter().enumerate() {
            self.totals.add(&Totals::of(item));
            self.by_key.insert(item.key, i);
            if let Some(job) = item.job {
                self.by_job.insert(job, i);
            }
        }
        for i in 0..self.items.len() {
            if self.items[i].state != ItemState::Duplicate {
                self.index_url(i);
            }
            self.index_path(i);
        }
    }

    /// Counts for the status bar and title.
    pub fn totals(&self) -> Totals {
        #[cfg(debug_assertions)]
        {
            let mut counted = Totals::default();
            self.items.iter().for_each(|i| counted.add(&Totals::of(i)));
            debug_assert_eq!(
                self.totals, counted,
                "the totals kept lost step with the items"
            );
        }
        self.totals.clone()
    }
}
