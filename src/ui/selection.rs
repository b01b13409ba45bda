//! The gallery tile chosen with the keyboard: arrows, Page Up/Down and Home/End move it (and
//! scroll it into view), Enter views it, Delete deletes it (after asking). Closing the viewer
//! chooses the image it showed last, so the gallery comes back where the viewer's ⬅/➡ went.

use egui::{Key, Modifiers};

use super::action::Action;
use super::filter::Shown;
use super::items::Items;

#[derive(Default)]
pub struct Selection {
    pub key: Option<u64>,
    /// Scroll it into view in the next frame.
    reveal: bool,
    /// The first tile on screen last frame: where the arrows start when nothing is chosen.
    top: Option<u64>,
    /// How far the gallery was scrolled last frame.
    offset: f32,
}

impl Selection {
    /// Chooses `key` and scrolls to it.
    pub fn reveal(&mut self, key: u64) {
        self.key = Some(key);
        self.reveal = true;
    }

    /// Takes the keys that move the choice, view or delete it (when no text box has the
    /// keyboard); the grid has `columns`, and `page_rows` rows fit on screen.
    pub fn keys_ui<T>(
        &mut self,
        ctx: &egui::Context,
        items: &Items<T>,
        tiles: Shown<'_>,
        columns: usize,
        page_rows: usize,
        actions: &mut Vec<Action>,
    ) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let at = self.key.and_then(|k| tiles.index_of(items, k));
        let last = tiles.len().saturating_sub(1) as isize;
        let (row, page) = (columns as isize, (columns * page_rows) as isize);
        let mut steps = Vec::new();
        ctx.input_mut(|i| {
            // Every move in the order pressed: a slow frame can hold several (→ then ↓).
            i.events.retain(|event| {
                let egui::Event::Key {
                    key,
                    pressed: true,
                    modifiers,
                    ..
                } = event
                else {
                    return true;
                };
                let step = match key {
                    Key::ArrowRight => 1,
                    Key::ArrowLeft => -1,
                    Key::ArrowDown => row,
                    Key::ArrowUp => -row,
                    Key::PageDown => page,
                    Key::PageUp => -page,
                    Key::End => last + 1,
                    Key::Home => -last - 1,
                    _ => return true,
                };
                if !modifiers.is_none() {
                    return true;
                }
                steps.push(step);
                false
            });
            if let Some(key) = self.key.filter(|_| at.is_some()) {
                if i.consume_key(Modifiers::NONE, Key::Enter) {
                    actions.push(Action::View(key));
                }
                if i.consume_key(Modifiers::NONE, Key::Delete) {
                    actions.push(Action::AskDelete(key));
                }
            }
        });
        if steps.is_empty() {
            return;
        }
        // Nothing chosen yet: the first key chooses the first tile on screen.
        let mut to = at;
        for step in steps {
            to = Some(match to {
                Some(at) => (at as isize + step).clamp(0, last) as usize,
                None => (self.top)
                    .and_then(|k| tiles.index_of(items, k))
                    .unwrap_or(0),
            });
        }
        let Some(to) = to else { return };
        if let Some(item) = tiles.from(to).next().and_then(|n| items.get(n)) {
            self.reveal(item.key);
        }
    }

    /// Where to scroll so that a tile just chosen is on screen (rows of `row_height`, a view
    /// `view` high); `None` when it already is, or nothing was chosen.
    pub fn scroll_to<T>(
        &mut self,
        items: &Items<T>,
        tiles: Shown<'_>,
        columns: usize,
        row_height: f32,
        view: f32,
    ) -> Option<f32> {
        if !std::mem::take(&mut self.reveal) {
            return None;
        }
        let at = self.key.and_then(|k| tiles.index_of(items, k))?;
        let top = (at / columns) as f32 * row_height;
        if top < self.offset {
            Some(top)
        } else if top + row_height > self.offset + view {
            Some(top + row_height - view)
        } else {
            None
        }
    }

    /// What the frame drew: its first tile, and how far it was scrolled.
    pub fn drawn(&mut self, top: Option<u64>, offset: f32) {
        self.top = top;
        self.offset = offset;
    }
}
