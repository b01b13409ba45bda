//! The window's model of what it shows: one [`Item`] per download or image in the folder, and
//! the bookkeeping that keeps them in step with engine events. The totals, the queue's rows and
//! the gallery's tiles are kept as items change, so a frame costs the rows on screen, not one
//! pass per item: with 100,000 URLs queued, those passes were 5 ms of every frame.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher as _;
use std::path::PathBuf;
use std::time::Instant;

use url::Url;

use crate::engine::{Event, JobId};
use crate::format::human_bytes;

/// Where an item is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemState {
    /// Waiting for a download slot.
    Queued,
    /// Bytes are arriving.
    Downloading,
    /// An attempt failed; the next starts later.
    Retrying { reason: String, until: Instant },
    /// Downloaded and saved.
    Saved,
    /// Gave up, with the reason in words.
    Failed(String),
    /// Stopped by the user.
    Cancelled,
    /// Already in the folder when the window opened (or the folder was chosen).
    OnDisk,
    /// The same URL is already in the list; not downloaded twice.
    Duplicate,
    /// Not downloaded here, with the reason (another Magpie on the folder has it).
    Skipped(String),
}

impl ItemState {
    /// Whether the item is waiting or downloading.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            ItemState::Queued | ItemState::Downloading | ItemState::Retrying { .. }
        )
    }

    /// Words for the queue row.
    pub fn label(&self) -> String {
        match self {
            ItemState::Queued => "queued".into(),
            ItemState::Downloading => "downloading".into(),
            ItemState::Retrying { reason, until } => {
                let secs = until
                    .saturating_duration_since(Instant::now())
                    .as_secs_f32();
                format!("retrying in {secs:.0} s ({reason})")
            }
            ItemState::Saved => "saved".into(),
            ItemState::Failed(reason) => format!("failed: {reason}"),
            ItemState::Cancelled => "cancelled".into(),
            ItemState::OnDisk => "in folder".into(),
            ItemState::Duplicate => "duplicate (already in the list)".into(),
            ItemState::Skipped(reason) => format!("skipped: {reason}"),
        }
    }
}

/// Thumbnail state, generic over the texture type so the model needs no GPU.
#[derive(Debug, Clone, Default)]
pub enum Thumb<T> {
    #[default]
    None,
    Loading,
    Ready(T),
    Failed(String),
    /// Saved, but this build cannot draw its format (`HEIC`).
    NoPreview(&'static str),
}

/// One row of the queue and one tile of the gallery.
#[derive(Debug)]
pub struct Item<T> {
    /// Stable key (thumbnail requests use it).
    pub key: u64,
    pub name: String,
    pub url: Option<Url>,
    pub job: Option<JobId>,
    pub state: ItemState,
    pub path: Option<PathBuf>,
    pub received: u64,
    pub total: Option<u64>,
    pub size: Option<u64>,
    pub dims: Option<(u32, u32)>,
    pub thumb: Thumb<T>,
    /// Gallery frame in which the tile was last on screen.
    pub seen: u64,
    /// What few items have, kept apart so that a queued row costs less.
    extra: Option<Box<Extra>>,
}

#[derive(Debug, Default)]
struct Extra {
    /// How it was fetched, when the user should know ("fetched with Referer …").
    note: Option<String>,
    /// The page it was found on.
    page: Option<Url>,
    /// For a duplicate: the file in the folder with the same bytes.
    same_as: Option<PathBuf>,
}

impl<T> Item<T> {
    fn new(key: u64, name: String, url: Option<Url>, state: ItemState) -> Self {
        Self {
            key,
            name,
            url,
            job: None,
            state,
            path: None,
            received: 0,
            total: None,
            size: None,
            dims: None,
            thumb: Thumb::None,
            seen: 0,
            extra: None,
        }
    }

    /// How it was fetched, when the user should know ("fetched with Referer …").
    pub fn note(&self) -> Option<&str> {
        self.extra.as_ref()?.note.as_deref()
    }

    /// The page it was found on.
    pub fn page(&self) -> Option<&Url> {
        self.extra.as_ref()?.page.as_ref()
    }

    /// For a duplicate: the file in the folder with the same bytes.
    pub fn same_as(&self) -> Option<&std::path::Path> {
        self.extra.as_ref()?.same_as.as_deref()
    }

    /// The extra fields, made only when something is stored (`keep`).
    fn extra(&mut self, keep: bool) -> Option<&mut Extra> {
        if keep || self.extra.is_some() {
            Some(self.extra.get_or_insert_default())
        } else {
            None
        }
    }

    fn set_page(&mut self, page: Option<Url>) {
        if let Some(extra) = self.extra(page.is_some()) {
            extra.page = page;
        }
    }

    /// Shown as a gallery tile: images, and downloads on their way. Failed, cancelled,
    /// duplicate and skipped ones stay in the queue, with their reason, not as empty tiles.
    pub fn in_gallery(&self) -> bool {
        !matches!(
            self.state,
            ItemState::Duplicate
                | ItemState::Cancelled
                | ItemState::Skipped(_)
                | ItemState::Failed(_)
        )
    }

    /// A download (this session's or a remembered failure), not a file that was already there.
    pub fn is_download(&self) -> bool {
        self.url.is_some() && self.state != ItemState::OnDisk
    }
}

/// All items, with indexes from job and key to position.
#[derive(Debug)]
pub struct Items<T> {
    items: Vec<Item<T>>,
    by_job: HashMap<JobId, usize>,
    by_key: HashMap<u64, usize>,
    /// Positions of the items with a URL (duplicates' rows left out), found by the URL's hash:
    /// tells a URL already in the list without keeping a second copy of every URL.
    urls: hashbrown::HashTable<usize>,
    hasher: std::hash::RandomState,
    paths: HashSet<PathBuf>,
    next_key: u64,
    pub batch_started: Option<Instant>,
    totals: Totals,
    /// Positions of the queue's rows (downloads), in order. Whether an item is a download is
    /// settled when it is added.
    downloads: Vec<usize>,
    /// Positions of the gallery's tiles, oldest first.
    tiles: Vec<usize>,
    /// An item joined or left the gallery: `tiles` is rebuilt by [`Items::refresh`].
    tiles_stale: bool,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            by_job: HashMap::new(),
            by_key: HashMap::new(),
            urls: hashbrown::HashTable::new(),
            hasher: std::hash::RandomState::new(),
            paths: HashSet::new(),
            next_key: 1,
            batch_started: None,
            totals: Totals::default(),
            downloads: Vec::new(),
            tiles: Vec::new(),
            tiles_stale: false,
        }
    }
}

/// Totals for the status bar.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Totals {
    pub downloads: usize,
    pub saved: usize,
    pub failed: usize,
    pub active: usize,
    pub bytes: u64,
    pub in_folder: usize,
    /// Queue rows that **Clear** removes: failed, cancelled, duplicate, skipped.
    pub finished: usize,
}

impl Totals {
    /// What one item counts for.
    fn of<T>(item: &Item<T>) -> Self {
        let mut t = Self::default();
        match &item.state {
            ItemState::OnDisk => t.in_folder = 1,
            ItemState::Duplicate | ItemState::Cancelled | ItemState::Skipped(_) => {}
            state => {
                t.downloads = 1;
                t.bytes = item.received;
                match state {
                    ItemState::Saved => t.saved = 1,
                    ItemState::Failed(_) => t.failed = 1,
                    _ => t.active = 1,
                }
            }
        }
        if item.is_download()
            && matches!(
                item.state,
                ItemState::Failed(_)
                    | ItemState::Cancelled
                    | ItemState::Duplicate
                    | ItemState::Skipped(_)
            )
        {
            t.finished = 1;
        }
        t
    }

    fn add(&mut self, o: &Self) {
        self.downloads += o.downloads;
        self.saved += o.saved;
        self.failed += o.failed;
        self.active += o.active;
        self.bytes += o.bytes;
        self.in_folder += o.in_folder;
        self.finished += o.finished;
    }

    fn take(&mut self, o: &Self) {
        self.downloads -= o.downloads;
        self.saved -= o.saved;
        self.failed -= o.failed;
        self.active -= o.active;
        self.bytes -= o.bytes;
        self.in_folder -= o.in_folder;
        self.finished -= o.finished;
    }
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
        self.tiles.reserve_exact(more);
    }

    /// Positions of the queue's rows, in order.
    pub fn download_rows(&self) -> &[usize] {
        &self.downloads
    }

    /// Positions of the gallery's tiles, oldest first (as of the last [`Items::refresh`]).
    pub fn gallery_tiles(&self) -> &[usize] {
        &self.tiles
    }

    /// Brings the gallery's tiles up to date after items joined or left it: once a frame, at
    /// most one pass, and none when nothing moved.
    pub fn refresh(&mut self) {
        if std::mem::take(&mut self.tiles_stale) {
            self.tiles = self.positions(Item::in_gallery);
        }
        debug_assert_eq!(self.tiles, self.positions(Item::in_gallery));
        debug_assert_eq!(self.downloads, self.positions(Item::is_download));
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
    pub fn key_of_path(&self, path: &std::path::Path) -> Option<u64> {
        self.items
            .iter()
            .find(|i| i.path.as_deref() == Some(path))
            .map(|i| i.key)
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
        let hash = self.hasher.hash_one(url.as_str());
        self.urls
            .find(hash, |&j| self.items[j].url.as_ref() == Some(url))
            .is_some()
    }

    /// Lists item `i` under its URL, unless that URL is listed already.
    fn index_url(&mut self, i: usize) {
        let Self {
            items,
            urls,
            hasher,
            ..
        } = self;
        let Some(url) = items.get(i).and_then(|item| item.url.as_ref()) else {
            return;
        };
        let hash_of = |j: &usize| {
            let url = items[*j].url.as_ref().map_or("", Url::as_str);
            hasher.hash_one(url)
        };
        let hash = hasher.hash_one(url.as_str());
        if urls
            .find(hash, |&j| items[j].url.as_ref() == Some(url))
            .is_none()
        {
            urls.insert_unique(hash, i, hash_of);
        }
    }

    fn push(&mut self, item: Item<T>) -> usize {
        let i = self.items.len();
        self.by_key.insert(item.key, i);
        if let Some(job) = item.job {
            self.by_job.insert(job, i);
        }
        self.totals.add(&Totals::of(&item));
        if item.is_download() {
            self.downloads.push(i);
        }
        if item.in_gallery() {
            self.tiles.push(i);
        }
        self.items.push(item);
        i
    }

    /// Changes item `index` with `change`, keeping the totals and the gallery's tiles in step.
    fn change<R>(&mut self, index: usize, change: impl FnOnce(&mut Item<T>) -> R) -> Option<R> {
        let item = self.items.get_mut(index)?;
        let (before, was_tile) = (Totals::of(item), item.in_gallery());
        let result = change(item);
        let (after, is_tile) = (Totals::of(item), item.in_gallery());
        self.totals.take(&before);
        self.totals.add(&after);
        self.tiles_stale |= was_tile != is_tile;
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

    /// Adds a download row for `url` under `job`; call [`Items::start_batch`] first.
    pub fn add_download(&mut self, url: Url, job: JobId, page: Option<Url>) {
        let key = self.new_key();
        let mut item = Item::new(key, name_from_url(&url), Some(url), ItemState::Queued);
        item.job = Some(job);
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

    /// Adds an image found in the folder, unless it is already shown.
    pub fn add_on_disk(&mut self, path: PathBuf, size: u64) {
        if !self.paths.insert(path.clone()) {
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
        self.push(item);
    }

    /// Attaches the URLs files in the folder were downloaded from (from the journal).
    pub fn remember_sources(
        &mut self,
        sources: impl IntoIterator<Item = (PathBuf, Url, Option<Url>)>,
    ) {
        let by_path: HashMap<PathBuf, usize> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.url.is_none())
            .filter_map(|(n, i)| Some((i.path.clone()?, n)))
            .collect();
        for (path, url, page) in sources {
            if let Some(&n) = by_path.get(&path) {
                self.items[n].url = Some(url);
                self.items[n].set_page(page);
                self.index_url(n);
            }
        }
    }

    /// Adds a download that failed in an earlier session, with its reason.
    pub fn add_past_failure(&mut self, url: Url, reason: String) {
        let key = self.new_key();
        let i = self.push(Item::new(
            key,
            name_from_url(&url),
            Some(url),
            ItemState::Failed(reason),
        ));
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
        self.by_job.clear();
        self.by_key.clear();
        self.urls.clear();
        self.paths.clear();
        self.totals = Totals::default();
        self.downloads = self.positions(Item::is_download);
        self.tiles = self.positions(Item::in_gallery);
        self.tiles_stale = false;
        for (i, item) in self.items.iter().enumerate() {
            self.totals.add(&Totals::of(item));
            self.by_key.insert(item.key, i);
            if let Some(job) = item.job {
                self.by_job.insert(job, i);
            }
            if let Some(path) = &item.path {
                self.paths.insert(path.clone());
            }
        }
        for i in 0..self.items.len() {
            if self.items[i].state != ItemState::Duplicate {
                self.index_url(i);
            }
        }
    }

    /// Applies one engine event. Returns the number of new bytes it reports.
    pub fn apply(&mut self, event: Event) -> u64 {
        let id = match &event {
            Event::Queued { id, .. }
            | Event::Started { id }
            | Event::Progress { id, .. }
            | Event::Retrying { id, .. }
            | Event::Saved { id, .. }
            | Event::Failed { id, .. }
            | Event::Cancelled { id }
            | Event::Skipped { id, .. } => *id,
            Event::Finished
            | Event::FolderOpened { .. }
            | Event::FolderFailed { .. }
            | Event::FolderClosed { .. }
            | Event::PageFetched { .. }
            | Event::Previewed(_)
            | Event::Host { .. } => return 0,
        };
        let Some(&index) = self.by_job.get(&id) else {
            return 0;
        };
        let mut saved_path = None;
        let new = self
            .change(index, |item| Self::apply_to(item, event, &mut saved_path))
            .unwrap_or(0);
        if let Some(path) = saved_path {
            self.paths.insert(path);
        }
        new
    }

    /// Applies an event to its item; a file saved under a new path is put in `saved_path`.
    fn apply_to(item: &mut Item<T>, event: Event, saved_path: &mut Option<PathBuf>) -> u64 {
        match event {
            Event::Queued { .. } => 0,
            Event::Started { .. } => {
                item.state = ItemState::Downloading;
                item.received = 0;
                0
            }
            Event::Progress {
                received, total, ..
            } => {
                let new = received.saturating_sub(item.received);
                item.received = received;
                item.total = total;
                new
            }
            Event::Retrying { wait, reason, .. } => {
                item.state = ItemState::Retrying {
                    reason,
                    until: Instant::now() + wait,
                };
                0
            }
            Event::Saved { saved, .. } => {
                let new = saved.bytes.saturating_sub(item.received);
                item.received = saved.bytes;
                item.size = Some(saved.bytes);
                item.name = saved
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| item.name.clone());
                if let Some(extra) = item.extra(saved.note.is_some()) {
                    extra.note = saved.note;
                }
                if saved.duplicate {
                    // The gallery already shows that file; this row says so and links to it.
                    item.state = ItemState::Duplicate;
                    item.extra.get_or_insert_default().same_as = Some(saved.path);
                    return new;
                }
                *saved_path = Some(saved.path.clone());
                item.path = Some(saved.path);
                item.state = ItemState::Saved;
                new
            }
            Event::Failed { error, .. } => {
                item.state = ItemState::Failed(error.to_string());
                0
            }
            Event::Cancelled { .. } => {
                item.state = ItemState::Cancelled;
                0
            }
            Event::Skipped { reason, .. } => {
                item.state = ItemState::Skipped(reason.to_string());
                0
            }
            Event::Finished
            | Event::FolderOpened { .. }
            | Event::FolderFailed { .. }
            | Event::FolderClosed { .. }
            | Event::PageFetched { .. }
            | Event::Previewed(_)
            | Event::Host { .. } => 0,
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

impl Totals {
    /// "12/40 done · 3.1 MB" style text.
    pub fn progress_text(&self) -> String {
        format!(
            "{}/{} done · {}",
            self.saved + self.failed,
            self.downloads,
            human_bytes(self.bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(name: &str) -> Url {
        Url::parse(&format!("https://example.com/{name}")).unwrap()
    }

    #[test]
    fn a_url_in_the_list_is_known_until_its_row_is_removed() {
        let mut items: Items<()> = Items::default();
        items.add_download(url("a.jpg"), JobId(1), None);
        items.add_past_failure(url("b.jpg"), "HTTP 404".into());
        items.add_duplicate(url("a.jpg"));
        items.add_on_disk(PathBuf::from("/pics/c.jpg"), 10);
        items.remember_sources([(PathBuf::from("/pics/c.jpg"), url("c.jpg"), None)]);
        for name in ["a.jpg", "b.jpg", "c.jpg"] {
            assert!(items.contains_url(&url(name)), "{name}");
        }
        assert!(!items.contains_url(&url("d.jpg")));

        // Removing the download leaves its duplicate's row, which does not count as listed.
        items.remove_where(|i| i.job == Some(JobId(1)));
        assert!(!items.contains_url(&url("a.jpg")));
        assert!(items.contains_url(&url("b.jpg")));
        assert!(items.contains_url(&url("c.jpg")));
    }

    #[test]
    fn totals_follow_each_download_through_its_life() {
        let mut items: Items<()> = Items::default();
        items.add_download(url("a.jpg"), JobId(1), None);
        items.add_download(url("b.jpg"), JobId(2), None);
        items.refresh();
        assert_eq!(items.totals().active, 2);
        assert_eq!(items.gallery_tiles(), [0, 1]);

        items.apply(Event::Started { id: JobId(1) });
        items.apply(Event::Progress {
            id: JobId(1),
            received: 500,
            total: Some(1000),
        });
        items.apply(Event::Failed {
            id: JobId(2),
            error: crate::engine::FetchError::NotAPage,
        });
        items.refresh();
        let t = items.totals();
        assert_eq!((t.active, t.failed, t.bytes, t.finished), (1, 1, 500, 1));
        // A failed download leaves the gallery, and comes back when retried.
        assert_eq!(items.gallery_tiles(), [0]);
        items.restart(1, JobId(3));
        items.refresh();
        assert_eq!(items.gallery_tiles(), [0, 1]);
        assert_eq!(items.totals().active, 2);
        assert_eq!(items.download_rows(), [0, 1]);
    }

    #[test]
    fn a_note_from_an_earlier_save_does_not_outlive_a_fresh_one() {
        let saved = |name: &str, note: Option<&str>| crate::engine::Saved {
            path: PathBuf::from(format!("/pics/{name}")),
            bytes: 10,
            format: crate::store::Kind::Raster(image::ImageFormat::Png),
            note: note.map(str::to_owned),
            duplicate: false,
        };
        let mut items: Items<()> = Items::default();
        items.add_download(url("a.png"), JobId(1), None);
        items.apply(Event::Saved {
            id: JobId(1),
            saved: saved("a.png", Some("fetched with Referer https://example.com/")),
        });
        assert_eq!(
            items.get(0).and_then(Item::note),
            Some("fetched with Referer https://example.com/")
        );
        items.restart(0, JobId(2));
        items.apply(Event::Saved {
            id: JobId(2),
            saved: saved("a.png", None),
        });
        assert_eq!(items.get(0).and_then(Item::note), None);
        assert_eq!(items.totals().saved, 1);
    }
}
