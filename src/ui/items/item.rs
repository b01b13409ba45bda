//! One row of the queue and one tile of the gallery: where a download is in its life, its
//! thumbnail, and the few fields most rows do without (kept apart, boxed).

use std::path::PathBuf;
use std::time::Instant;

use url::Url;

use crate::engine::JobId;

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
                let left = until.saturating_duration_since(Instant::now());
                // The wait is over and the try waits its turn for a download slot.
                if left.is_zero() {
                    return format!("trying again next ({reason})");
                }
                format!(
                    "retrying in {:.0} s ({reason})",
                    left.as_secs_f32().max(1.0)
                )
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
    /// Where its tile goes in the gallery.
    pub(super) place: super::Place,
    /// What few items have, kept apart so that a queued row costs less.
    pub(super) extra: Option<Box<Extra>>,
}

#[derive(Debug, Default)]
pub(super) struct Extra {
    /// How it was fetched, when the user should know ("fetched with Referer …").
    pub(super) note: Option<String>,
    /// The page it was found on.
    pub(super) page: Option<Url>,
    /// For a duplicate: the file in the folder with the same bytes.
    pub(super) same_as: Option<PathBuf>,
}

impl<T> Item<T> {
    pub(super) fn new(key: u64, name: String, url: Option<Url>, state: ItemState) -> Self {
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
            place: super::Place::default(),
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
    pub(super) fn extra(&mut self, keep: bool) -> Option<&mut Extra> {
        if keep || self.extra.is_some() {
            Some(self.extra.get_or_insert_default())
        } else {
            None
        }
    }

    pub(super) fn set_page(&mut self, page: Option<Url>) {
        if let Some(extra) = self.extra(page.is_some()) {
            extra.page = page;
        }
    }

    /// Shown as a gallery tile: images, and downloads under way (started, or waiting to
    /// retry). Queued ones wait in the queue, so a list of 100,000 is not a wall of 100,000
    /// placeholders with the images that arrive at its far end. Failed, cancelled, duplicate and
    /// skipped ones stay in the queue, with their reason, not as empty tiles.
    pub fn in_gallery(&self) -> bool {
        !matches!(
            self.state,
            ItemState::Queued
                | ItemState::Duplicate
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
