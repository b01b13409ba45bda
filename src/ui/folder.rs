//! The output folder as the window sees it. The engine opens folders (off this thread, which
//! matters on a slow or dead network mount); the window says which one, shows "Opening…" until
//! the engine answers, then restores what the folder's history remembers and lists its images.
//! From then on it follows the folder: images other programs add join the gallery with the
//! folder's own (the newest first), removed ones leave it, rewritten ones get a new thumbnail.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use super::app::MagpieApp;
use super::items::ItemState;
use super::platform;
use super::watch::{Change, FolderWatch};
use crate::engine::OpenedFolder;
use crate::journal::Record;

/// Where the window's folder is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderState {
    /// Asked of the engine; downloads submitted meanwhile wait for it.
    Opening,
    Open,
    /// Cannot be used, with the reason.
    Failed(String),
}

/// The folder downloads go into.
#[derive(Debug)]
pub struct Folder {
    /// The folder as the window named it to the engine (events are matched on it).
    pub asked: PathBuf,
    /// Absolute once open; until then the asked path.
    pub dir: PathBuf,
    /// The folder box's text.
    pub text: String,
    pub state: FolderState,
    /// Save it as the configured folder once it opens.
    remember: bool,
    /// Files' source URLs from the history, attached when the folder scan arrives.
    sources: Vec<(PathBuf, Url, Option<Url>)>,
    /// The gallery batch of the files the scan finds: taken when the folder opens, so they
    /// show below the downloads it resumes, however late the scan.
    files_batch: u32,
    /// Images other programs added since the folder opened: each shows before those before it.
    arrivals: u32,
    /// Following the open folder for other programs' changes (`None`: not open yet).
    watch: Option<FolderWatch>,
    /// Images the watch found that no row has (yet): size, time modified, when first seen.
    newcomers: HashMap<PathBuf, (u64, SystemTime, Instant)>,
}

/// How long an image the watch found waits before it is shown as another program's. The
/// engine's own downloads are reported by the watch too, sometimes before the engine says it
/// saved them; by then they have their row, and are not shown twice.
const SETTLE: Duration = Duration::from_secs(1);

/// Where the scan's files start within the folder's batch: the images that arrive later take
/// the places before, the newest first.
pub(super) const SCANNED_FROM: u32 = 1 << 31;

impl Folder {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            text: crate::home::show(&dir),
            asked: dir.clone(),
            dir,
            state: FolderState::Opening,
            remember: false,
            sources: Vec::new(),
            files_batch: 0,
            arrivals: 0,
            watch: None,
            newcomers: HashMap::new(),
        }
    }

    /// The line under the folder box: `(text, is_error)`.
    pub fn status_line(&self) -> Option<(String, bool)> {
        match &self.state {
            FolderState::Opening => Some(("Opening the folder…".into(), false)),
            FolderState::Open => None,
            FolderState::Failed(e) => Some((e.clone(), true)),
        }
    }
}

impl MagpieApp {
    /// Switches to `dir`: the engine opens it (and resumes what a dead run left there); the
    /// gallery shows its images once it answers. `remember` saves it as the configured folder.
    pub(super) fn use_folder(&mut self, dir: PathBuf, remember: bool) {
        // The engine lets go of the folder left behind once its downloads are done, so another
        // Magpie can tidy it.
        if let Some(engine) = &self.engine
            && self.folder.asked != dir
        {
            engine.send(crate::engine::Command::CloseFolder {
                dir: self.folder.asked.clone(),
            });
        }
        // Dropping the old folder stops following it.
        self.folder = Folder::new(dir.clone());
        self.folder.remember = remember;
        self.pending.forget_files();
        self.items
            .remove_where(|i| matches!(i.state, ItemState::OnDisk));
        match &self.engine {
            Some(engine) => engine.open_folder(&dir, true),
            None => self.folder.state = FolderState::Failed("Downloads are unavailable".into()),
        }
    }

    /// The engine opened a folder: if it is ours, show its history and list its images.
    pub(super) fn folder_opened(&mut self, asked: PathBuf, opened: OpenedFolder) {
        if asked != self.folder.asked {
            return; // an earlier choice, since replaced
        }
        self.folder.dir = opened.dir.clone();
        self.folder.text = crate::home::show(&opened.dir);
        self.folder.state = FolderState::Open;
        if std::mem::take(&mut self.folder.remember) {
            self.config.window.folder = Some(opened.dir.clone());
            self.save_config();
        }
        self.folder.files_batch = self.items.new_batch();
        self.restore_history(opened);
        let dir = self.folder.dir.clone();
        let wake = self.ctx.clone();
        self.folder.watch = Some(FolderWatch::start(dir, self.bg_tx.clone(), move || {
            wake.request_repaint();
        }));
    }

    /// The engine cannot use the folder the window asked for.
    pub(super) fn folder_failed(&mut self, asked: PathBuf, error: String) {
        if asked != self.folder.asked {
            return;
        }
        self.folder.remember = false;
        self.set_notice(&format!("Cannot use this folder: {error}"), true);
        self.folder.state = FolderState::Failed(error);
    }

    /// The images in the folder arrived from a background scan.
    pub(super) fn folder_scanned(&mut self, dir: PathBuf, files: Vec<(PathBuf, u64)>) {
        if dir != self.folder.dir {
            return;
        }
        let sources = std::mem::take(&mut self.folder.sources);
        self.items.reserve(files.len());
        // Added from this frame on (see `drain`): the frame's one budget for new rows.
        let at = (self.folder.files_batch, SCANNED_FROM);
        self.pending.files(at, files, sources);
    }

    /// Another program changed the folder: new images join the gallery before the folder's
    /// others (once settled, see [`SETTLE`]), those gone leave it (as if deleted here),
    /// rewritten ones are decoded again.
    pub(super) fn folder_changed(&mut self, dir: PathBuf, change: Change) {
        if dir != self.folder.dir || self.folder.state != FolderState::Open {
            return; // a folder since left
        }
        if !change.gone.is_empty() {
            let gone: HashSet<&Path> = change.gone.iter().map(PathBuf::as_path).collect();
            // A whole subfolder may have gone: its files are found by their parents.
            let within = |path: &Path| {
                path.ancestors()
                    .take(platform::SCAN_DEPTH + 2)
                    .any(|p| gone.contains(p))
            };
            self.folder.newcomers.retain(|p, _| !within(p));
            let keys: Vec<u64> = self
                .items
                .as_slice()
                .iter()
                .filter(|i| i.path.as_deref().is_some_and(within))
                .map(|i| i.key)
                .collect();
            self.files_gone(&keys);
        }
        let now = Instant::now();
        for (path, size, modified) in change.present {
            match self.items.key_of_path(&path) {
                Some(key) => self.file_rewritten(key, size, change.written.contains(&path)),
                None => {
                    let seen = self.folder.newcomers.get(&path).map_or(now, |n| n.2);
                    self.folder.newcomers.insert(path, (size, modified, seen));
                }
            }
        }
        self.admit_newcomers();
    }

    /// Shows the images other programs added that have settled and are not Magpie's own
    /// downloads, as rows joining a slice per frame (a copy of thousands stalls no frame);
    /// asks for a frame when the next ones settle.
    pub(super) fn admit_newcomers(&mut self) {
        if self.folder.newcomers.is_empty() {
            return;
        }
        // Rows still joining may be downloads whose word that they saved is held for them.
        if !self.pending.is_empty() {
            self.ctx.request_repaint_after(SETTLE);
            return;
        }
        let mut settled = Vec::new();
        let mut next = None::<Duration>;
        // One clock reading for all: files reported together settle together. (Each reading its
        // own clock, a report's files could straddle the second, in the map's order, and half of
        // them would join later, above newer ones.)
        let now = Instant::now();
        self.folder
            .newcomers
            .retain(|path, &mut (size, modified, seen)| {
                let age = now.saturating_duration_since(seen);
                if age < SETTLE {
                    next = Some(next.map_or(SETTLE - age, |n| n.min(SETTLE - age)));
                    return true;
                }
                settled.push((path.clone(), size, modified));
                false
            });
        // Magpie's own downloads have their rows by now.
        settled.retain(|(path, ..)| self.items.key_of_path(path).is_none());
        if !settled.is_empty() {
            // Before the images that came earlier; among themselves as the folder's listing
            // orders them (newest first), so reopening the folder shows them the same way.
            platform::newest_first(&mut settled);
            let count = u32::try_from(settled.len()).unwrap_or(u32::MAX);
            self.folder.arrivals = self.folder.arrivals.saturating_add(count);
            let first = SCANNED_FROM.saturating_sub(self.folder.arrivals);
            let files = settled.into_iter().map(|(p, size, _)| (p, size)).collect();
            self.pending
                .files((self.folder.files_batch, first), files, Vec::new());
            self.add_pending();
        }
        if let Some(wait) = next {
            self.ctx.request_repaint_after(wait);
        }
    }

    /// The files of items `keys` are gone (deleted here, or by another program): their rows
    /// and tiles go too.
    pub(super) fn files_gone(&mut self, keys: &[u64]) {
        if keys.is_empty() {
            return;
        }
        for &key in keys {
            self.thumbs.cancel(key);
        }
        let keys: HashSet<u64> = keys.iter().copied().collect();
        // The image the viewer showed went: it goes on to the next one (else the one before),
        // so images can be weeded out one after another; with none left it closes.
        let mut view_next = None;
        if let Some(v) = self.viewer.as_ref().filter(|v| keys.contains(&v.key)) {
            let shown = self.gallery.filter.shown(&self.items);
            let stays = |k: u64| !keys.contains(&k);
            view_next = super::viewer::neighbour_where(&self.items, shown, v.key, 1, stays)
                .or_else(|| super::viewer::neighbour_where(&self.items, shown, v.key, -1, stays));
            self.viewer = None;
        }
        // The tile chosen with the keyboard went: the one after it (else before it) is chosen.
        if let Some(chosen) = self.gallery.selection.key.filter(|k| keys.contains(k)) {
            let shown = self.gallery.filter.shown(&self.items);
            let stays = |n: &usize| self.items.get(*n).is_some_and(|i| !keys.contains(&i.key));
            let next = shown.index_of(&self.items, chosen).and_then(|at| {
                (shown.from(at + 1).find(stays)).or_else(|| {
                    (0..at)
                        .rev()
                        .find_map(|k| shown.from(k).next().filter(stays))
                })
            });
            (self.gallery.selection)
                .chosen_went(next.and_then(|n| self.items.get(n)).map(|i| i.key));
        }
        self.items.remove_where(|i| keys.contains(&i.key));
        if let Some(next) = view_next {
            self.apply(super::action::Action::View(next));
        }
    }

    /// Item `key`'s file is now `size` bytes, and `written` says its bytes were written in
    /// place: if either is news, its thumbnail is made again.
    fn file_rewritten(&mut self, key: u64, size: u64, written: bool) {
        let Some(i) = self.items.index_of_key(key) else {
            return;
        };
        let Some(item) = self.items.get_mut(i) else {
            return;
        };
        // The engine's own files are reported too, once named: the same size, and written
        // before they had their name.
        if item.size == Some(size) && !written {
            return;
        }
        item.size = Some(size);
        item.dims = None;
        item.thumb = super::items::Thumb::None;
        self.thumbs.cancel(key);
        self.textures.forget(key);
        if self.viewer.as_ref().is_some_and(|v| v.key == key) {
            // Open on it: shown again as it is now.
            self.apply(super::action::Action::View(key));
        }
    }

    /// Shows what the folder's history remembers: source URLs of saved files, failures with
    /// their reasons, and the downloads the engine resumed.
    fn restore_history(&mut self, opened: OpenedFolder) {
        let mut failures = Vec::new();
        for record in opened.history.entries {
            match record {
                Record::Saved {
                    url, file, page, ..
                } => {
                    let path = self.folder.dir.join(file);
                    self.folder.sources.push((path, url, page));
                }
                Record::Failed { url, error } => failures.push((url, error)),
                Record::Queued { .. } | Record::Naming { .. } | Record::Cancelled { .. } => {}
            }
        }
        self.items.reserve(failures.len() + opened.resumed.len());
        if !opened.resumed.is_empty() {
            self.set_notice(
                &format!(
                    "Resuming {} download(s) left unfinished last time.",
                    crate::format::count(opened.resumed.len())
                ),
                false,
            );
        }
        let (resumed, failed) = (self.items.new_batch(), self.items.new_batch());
        self.pending.resumed(resumed, opened.resumed);
        self.pending.past_failures(failed, failures);
        if opened.shared {
            self.set_notice(
                "Another Magpie is downloading into this folder: its unfinished downloads are \
                 left to it, and URLs it is fetching are skipped here.",
                false,
            );
        }
        if opened.parts_removed > 0 {
            tracing::info!(
                "removed {} leftover partial file(s) in {}",
                opened.parts_removed,
                self.folder.dir.display()
            );
        }
    }
}
