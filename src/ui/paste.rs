//! What comes into the window from outside its widgets: files dropped on it, and a paste into
//! the URL box too large to lay out as text.

use std::path::PathBuf;

use super::app::MagpieApp;
use super::panels;
use super::platform::{self, Background};

/// A paste larger than this goes to a background parse instead of into the text box.
const LARGE_PASTE: usize = 64 * 1024;

impl MagpieApp {
    pub(super) fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if dropped.is_empty() {
            return;
        }
        self.background("read-drop", move || platform::read_drop(dropped));
    }

    /// Takes a paste into the URL box that is too large to lay out as text (a 1 MB JSON array
    /// would freeze the frame and fill the panel) and parses it on a background thread.
    pub(super) fn take_large_paste(&mut self, ctx: &egui::Context) {
        if !ctx.memory(|m| m.has_focus(panels::url_box_id())) {
            return;
        }
        let mut large = None;
        ctx.input_mut(|i| {
            i.events.retain(|e| match e {
                egui::Event::Paste(text) if text.len() > LARGE_PASTE && large.is_none() => {
                    large = Some(text.clone());
                    false
                }
                _ => true,
            });
        });
        if let Some(text) = large {
            self.take_out_selection(ctx);
            self.pasted = Some(panels::Pasted::Parsing { bytes: text.len() });
            self.background("parse-paste", move || {
                Background::PasteParsed(crate::urls::parse(&text, None))
            });
        }
    }

    /// A paste replaces the text selected in the box, as in any text box. A large one goes to
    /// its summary line, not into the box, so the selection only goes.
    fn take_out_selection(&mut self, ctx: &egui::Context) {
        use egui::text::{CCursor, CCursorRange};
        let id = panels::url_box_id();
        let Some(mut state) = egui::text_edit::TextEditState::load(ctx, id) else {
            return;
        };
        let Some([from, to]) = (state.cursor.char_range())
            .filter(|r| !r.is_empty())
            .map(|r| r.sorted_cursors())
        else {
            return;
        };
        let byte = |chars: usize| {
            (self.input.char_indices().nth(chars)).map_or(self.input.len(), |(b, _)| b)
        };
        let (start, end) = (byte(from.index.0), byte(to.index.0));
        self.input.replace_range(start..end, "");
        let at = CCursor::new(from.index);
        state.cursor.set_char_range(Some(CCursorRange::one(at)));
        state.store(ctx, id);
    }
}
