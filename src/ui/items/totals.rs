//! Counts for the status bar and the title, and what one item counts for: kept by
//! [`super::Items`] as items change rather than counted each frame.

use super::{Item, ItemState};
use crate::format::{count, human_bytes};

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
    pub(super) fn of<T>(item: &Item<T>) -> Self {
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

    pub(super) fn add(&mut self, o: &Self) {
        self.downloads += o.downloads;
        self.saved += o.saved;
        self.failed += o.failed;
        self.active += o.active;
        self.bytes += o.bytes;
        self.in_folder += o.in_folder;
        self.finished += o.finished;
    }

    pub(super) fn take(&mut self, o: &Self) {
        self.downloads -= o.downloads;
        self.saved -= o.saved;
        self.failed -= o.failed;
        self.active -= o.active;
        self.bytes -= o.bytes;
        self.in_folder -= o.in_folder;
        self.finished -= o.finished;
    }
}

impl Totals {
    /// "12/40 done · 3.1 MB" style text.
    pub fn progress_text(&self) -> String {
        format!(
            "{}/{} done · {}",
            count(self.saved + self.failed),
            count(self.downloads),
            human_bytes(self.bytes)
        )
    }
}
