//! The gallery tile chosen with the keyboard, and the tiles selected to act on together.
//!
//! The arrows, Page Up/Down and Home/End move the choice (and scroll it into view), Enter views
//! it, Delete deletes it (after asking; to the trash in the real window). Closing the viewer
//! chooses the image it showed last, so the gallery comes back where the viewer's ⬅/➡ went.
//!
//! Ctrl+click selects a tile or lets it go (and chooses it), Shift+click or Shift with the
//! arrows selects every tile from the chosen one to where it lands (drawn again from the same
//! start at each Shift move, so going back shortens the run, as in a file manager), Space the chosen one, Ctrl+A
//! every tile shown (so a filter and Ctrl+A take all its matches); Esc lets them all go. While
//! some are selected, Delete asks once for all of them, and a bar floating at the gallery's foot
//! deletes them or copies their paths or addresses: weeding out fifty images from a list of
//! thousands is then one question, not fifty.

use std::collections::HashSet;

use egui::{Key, Modifiers, RichText};

use super::action::{Action, Listed};
use super::filter::Shown;
use super::items::Items;

#[derive(Default)]
pub struct Selection {
    /// The tile chosen with the keyboard (ringed).
    pub key: Option<u64>,
    /// The tiles selected to delete or copy together, by key.
    selected: HashSet<u64>,
    /// Where the Shift run being drawn started (Shift+click, Shift+arrows), and the tiles it
    /// added: drawn again from there on each Shift move, so going back over it lets go of
    /// what it passed, as in a file manager, while what was selected before it stays.
    run_from: Option<u64>,
    run: Vec<u64>,
    /// [`Items::moved`] when the selection last let go of items that went.
    pruned_at: u64,
    /// Grows whenever tiles are selected or let go (clearing needs none: an empty selection
    /// has no bar).
    changes: u64,
    /// Whether any selected image has an address, for the selection as of ([`Items::version`],
    /// `changes`): looked at again only when either moves, not every frame.
    with_urls: Option<((u64, u64), bool)>,
    /// Scroll it into view in the next frame.
    reveal: bool,
    /// The first tile on screen last frame: where the arrows start when nothing is chosen.
    top: Option<u64>,
    /// How far the gallery was scrolled last frame.
    offset: f32,
}

impl Selection {
    /// Chooses `key` and scrolls to it; a Shift run starts afresh from there.
    pub fn reveal(&mut self, key: u64) {
        self.end_run();
        self.choose(key);
    }

    /// The chosen tile went (deleted): `next` is chosen instead, without scrolling.
    pub fn chosen_went(&mut self, next: Option<u64>) {
        self.key = next;
        self.end_run();
    }

    /// Chooses `key` and scrolls to it, within a Shift run.
    fn choose(&mut self, key: u64) {
        self.key = Some(key);
        self.reveal = true;
    }

    /// The next Shift move starts a run from the chosen tile.
    fn end_run(&mut self) {
        self.run_from = None;
        self.run.clear();
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
        // Shift with a move selects the run it passes over.
        let mut extend = false;
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
                if modifiers.shift_only() {
                    extend = true;
                } else if !modifiers.is_none() {
                    return true;
                }
                steps.push(step);
                false
            });
            if i.consume_key(Modifiers::COMMAND, Key::A) {
                // Room made once: growing a table to 100,000 keys rehashed it a dozen times.
                self.selected.reserve(tiles.len());
                self.selected
                    .extend(tiles.from(0).filter_map(|n| items.get(n)).map(|i| i.key));
                self.changes += 1;
                self.end_run();
            }
            if !self.selected.is_empty() && i.consume_key(Modifiers::NONE, Key::Escape) {
                self.selected.clear();
                self.end_run();
            }
            if let Some(key) = self.key.filter(|_| at.is_some()) {
                if i.consume_key(Modifiers::NONE, Key::Enter) {
                    actions.push(Action::View(key));
                }
                if i.consume_key(Modifiers::NONE, Key::Space) {
                    self.toggle(key);
                }
            }
            if i.consume_key(Modifiers::NONE, Key::Delete) {
                if !self.selected.is_empty() {
                    actions.push(Action::AskDeleteSelected);
                } else if let Some(key) = self.key.filter(|_| at.is_some()) {
                    actions.push(Action::AskDelete(vec![key]));
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
            if extend {
                self.select_to(items, tiles, item.key);
                self.choose(item.key);
            } else {
                self.reveal(item.key);
            }
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

    /// Whether any tile is selected.
    pub fn any(&self) -> bool {
        !self.selected.is_empty()
    }

    /// Whether the tile `key` is selected.
    pub fn is_selected(&self, key: u64) -> bool {
        self.selected.contains(&key)
    }

    /// Selects the tile `key`, or lets it go if it was (Ctrl+click, Space); it is chosen, so
    /// Shift+click selects from it.
    pub fn toggle(&mut self, key: u64) {
        if !self.selected.remove(&key) {
            self.selected.insert(key);
        }
        self.changes += 1;
        self.key = Some(key);
        self.end_run();
    }

    /// Selects every tile shown from where the Shift run started (the tile chosen before it:
    /// the one last clicked, viewed or moved to) to `key`, both included, and chooses `key`
    /// (Shift+click, Shift+arrows). The run replaces the one drawn before it from the same
    /// start, so Shift+← after Shift+→ lets go again.
    pub fn select_to<T>(&mut self, items: &Items<T>, tiles: Shown<'_>, key: u64) {
        let start = self.run_from.or(self.key);
        for k in self.run.drain(..) {
            self.selected.remove(&k);
        }
        let to = tiles.index_of(items, key);
        let from = start.and_then(|k| tiles.index_of(items, k)).or(to);
        if let (Some(from), Some(to)) = (from, to) {
            let (first, last) = (from.min(to), from.max(to));
            let keys = tiles.from(first).take(last - first + 1);
            for k in keys.filter_map(|n| items.get(n)).map(|i| i.key) {
                if self.selected.insert(k) {
                    self.run.push(k);
                }
            }
        }
        self.changes += 1;
        self.run_from = start;
        self.key = Some(key);
    }

    /// How many tiles are selected.
    pub fn count(&self) -> usize {
        self.selected.len()
    }

    /// The selected tiles' keys, in the gallery's order (those a filter hides too).
    pub fn in_order<T>(&self, items: &Items<T>) -> Vec<u64> {
        (items.gallery_tiles().shown_from(0))
            .filter_map(|n| items.get(n))
            .map(|i| i.key)
            .filter(|k| self.selected.contains(k))
            .collect()
    }

    /// The selected files' paths, one per line, in the gallery's order.
    pub fn paths<T>(&self, items: &Items<T>) -> String {
        let paths: Vec<String> = (self.in_order(items).into_iter())
            .filter_map(|k| items.get(items.index_of_key(k)?)?.path.as_ref())
            .map(|p| p.display().to_string())
            .collect();
        paths.join("\n")
    }

    /// The addresses the selected images came from, one per line, in the gallery's order.
    pub fn urls<T>(&self, items: &Items<T>) -> String {
        let urls: Vec<&str> = (self.in_order(items).into_iter())
            .filter_map(|k| items.get(items.index_of_key(k)?)?.url.as_ref())
            .map(|u| u.as_str())
            .collect();
        urls.join("\n")
    }

    /// Whether any selected image has an address (images in the folder before may not).
    fn any_url<T>(&mut self, items: &Items<T>) -> bool {
        let stamp = (items.version(), self.changes);
        match self.with_urls {
            Some((at, any)) if at == stamp => any,
            _ => {
                // A few selected are looked up; many are met in a pass over the items in their
                // order (looking up 100,000 selected keys jumped about memory: 32 ms).
                let any = if self.selected.len() < items.len() / 16 {
                    (self.selected.iter()).any(|&k| {
                        (items.index_of_key(k)).is_some_and(|n| items.as_slice()[n].url.is_some())
                    })
                } else {
                    (items.as_slice().iter())
                        .any(|i| i.url.is_some() && self.selected.contains(&i.key))
                };
                self.with_urls = Some((stamp, any));
                any
            }
        }
    }

    /// The bar floating at the foot of the gallery (`over`) while tiles are selected: how many,
    /// and what to do with them. It floats so that no tile moves under the pointer when the
    /// first is selected.
    pub fn selected_ui<T>(
        &mut self,
        ctx: &egui::Context,
        over: egui::Rect,
        items: &Items<T>,
        actions: &mut Vec<Action>,
    ) {
        // Tiles that went (deleted, moved away, the folder changed) are selected no more.
        if self.pruned_at != items.moved() {
            self.pruned_at = items.moved();
            self.selected.retain(|&k| items.index_of_key(k).is_some());
            self.changes += 1;
        }
        if self.selected.is_empty() {
            return;
        }
        let area = egui::Area::new(egui::Id::unique("selected_bar"))
            .order(egui::Order::Middle)
            .pivot(egui::Align2::CENTER_BOTTOM)
            .fixed_pos(over.center_bottom() - egui::vec2(0.0, 12.0));
        area.show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| self.bar_ui(ui, items, actions));
            });
        });
    }

    fn bar_ui<T>(&mut self, ui: &mut egui::Ui, items: &Items<T>, actions: &mut Vec<Action>) {
        let n = self.selected.len();
        ui.label(RichText::new(format!("{} selected", crate::format::count(n))).strong());
        let delete = ui.button(RichText::new("Delete…").color(ui.visuals().error_fg_color));
        if delete
            .on_hover_text("Delete the selected files (Delete)")
            .clicked()
        {
            actions.push(Action::AskDeleteSelected);
        }
        let copy = ui.button("Copy paths");
        if copy
            .on_hover_text("Copy the selected files' paths, one per line")
            .clicked()
        {
            actions.push(Action::CopySelected(Listed::Paths));
        }
        let any_url = self.any_url(items);
        let copy = ui.add_enabled(any_url, egui::Button::new("Copy URLs"));
        if copy
            .on_hover_text(
                "Copy the addresses the selected images were downloaded from, one per line",
            )
            .on_disabled_hover_text("No address is known for any selected image")
            .clicked()
        {
            actions.push(Action::CopySelected(Listed::Urls));
        }
        if ui
            .button("Clear")
            .on_hover_text("Select none (Esc)")
            .clicked()
        {
            self.selected.clear();
            self.end_run();
        }
    }

    /// What the frame drew: its first tile, and how far it was scrolled.
    pub fn drawn(&mut self, top: Option<u64>, offset: f32) {
        self.top = top;
        self.offset = offset;
    }
}
