//! The output folder as the window sees it. The engine opens folders (off this thread, which
//! matters on a slow or dead network mount); the window says which one, shows "Opening…" until
//! the engine answers, then restores what the folder's history remembers and lists its images.

use std::path::PathBuf;

use url::Url;

use super::app::MagpieApp;
use super::items::ItemState;
use super::platform;
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
}

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
        self.background("scan", move || platform::scan_folder(dir));
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
        self.pending.files(self.folder.files_batch, files, sources);
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
