//! What comes into the window from outside its widgets: files dropped on it, and a paste into
//! the URL box too large to lay out as text.

use std::path::PathBuf;

use super::app::MagpieApp;
use super::panels::{self, Pasted};
use super::platform::{self, Background};
use crate::urls::UrlList;

/// A paste larger than this goes to a background parse instead of into the text box.
const LARGE_PASTE: usize = 64 * 1024;

/// Large pastes not yet downloaded. Like text pasted twice into a text box, a second list
/// pasted before Download joins the first: every paste's text is kept, and all of it parsed
/// again, so the lists keep the order they were pasted in and one URL in both is queued once.
#[derive(Default)]
pub struct LargePaste {
    text: String,
    /// Grows with each paste and each forget: a parse that finishes after a newer paste, or
    /// after the list was forgotten or downloaded, is not shown.
    generation: u64,
    shown: Option<Pasted>,
}

impl LargePaste {
    /// What the summary line under the URL box shows.
    pub fn shown(&self) -> Option<&Pasted> {
        self.shown.as_ref()
    }

    /// Adds `text` to what was pasted; returns all of it, and the generation to parse it as.
    fn add(&mut self, text: &str) -> (String, u64) {
        self.text.push_str(text);
        if !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        self.generation += 1;
        self.shown = Some(Pasted::Parsing {
            bytes: self.text.len(),
        });
        (self.text.clone(), self.generation)
    }

    /// A parse finished: shown if nothing was pasted or forgotten since it started.
    pub fn parsed(&mut self, generation: u64, list: UrlList) {
        if generation == self.generation {
            self.shown = Some(Pasted::Ready(list));
        }
    }

    /// The pasted list, if parsed, to download; it is then forgotten.
    pub fn take_ready(&mut self) -> Option<UrlList> {
        match self.shown.take() {
            Some(Pasted::Ready(list)) => {
                self.forget();
                Some(list)
            }
            other => {
                self.shown = other; // still parsing: kept
                None
            }
        }
    }

    /// Forgets what was pasted; a parse still running is ignored when it ends.
    pub fn forget(&mut self) {
        self.text = String::new();
        self.generation += 1;
        self.shown = None;
    }
}

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
            let (all, generation) = self.pasted.add(&text);
            self.background("parse-paste", move || Background::PasteParsed {
                generation,
                list: crate::urls::parse(&all, None),
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
