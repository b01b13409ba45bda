//! Engine events applied to their rows: a download starting, its progress, a retry, the file
//! it saved (or the duplicate it turned out to be), a failure, a cancel. Each goes through
//! [`Items::change`], so the totals and the gallery's tiles stay in step.

use std::time::Instant;

use super::{Item, ItemState, Items};
use crate::engine::Event;

impl<T> Items<T> {
    /// Applies one engine event. Returns the number of new bytes it reports.
    pub fn apply(&mut self, event: Event) -> u64 {
        let Some(id) = event.job() else {
            return 0;
        };
        let Some(&index) = self.by_job.get(&id) else {
            return 0;
        };
        let mut owns_file = false;
        let new = self
            .change(index, |item| Self::apply_to(item, event, &mut owns_file))
            .unwrap_or(0);
        if owns_file {
            // The folder's watcher may have reported the file before the engine said it saved
            // it: the folder's copy of the row goes, the download's stays.
            let twin = self.items[index]
                .path
                .as_deref()
                .and_then(|p| self.position_of_path(p))
                .filter(|&j| j != index && self.items[j].state == ItemState::OnDisk)
                .map(|j| self.items[j].key);
            match twin {
                Some(key) => self.remove_where(|i| i.key == key),
                None => self.index_path(index),
            }
        }
        new
    }

    /// Applies an event to its item; `owns_file` tells it now shows a file of its own.
    fn apply_to(item: &mut Item<T>, event: Event, owns_file: &mut bool) -> u64 {
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
                *owns_file = true;
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
}
