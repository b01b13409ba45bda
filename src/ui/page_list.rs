//! "Download this page" in the window: when an address turns out to be a web page, the engine
//! lists the images on it and they appear here as a checklist — all ticked, with a picture,
//! dimensions, size and type arriving as the engine previews each — untick what you do not want,
//! select all / none / those whose address contains some text / those at least so large — then
//! Download.

use egui::{RichText, ScrollArea, TextureHandle};
use url::Url;

use super::action::Action;
use crate::engine::{Page, Preview};
use crate::format::human_bytes;

/// Thumbnail keys of checklist rows start here, far from the gallery's item keys.
pub const PREVIEW_KEYS: u64 = 1 << 62;

/// What is known of one image on the page.
#[derive(Default)]
struct Row {
    preview: Option<Preview>,
    picture: Option<TextureHandle>,
    /// Its original size, from the decoded picture (SVG) when the header did not say.
    dims: Option<(u32, u32)>,
}

/// The page and what is ticked.
pub struct PageList {
    pub page: Page,
    pub ticked: Vec<bool>,
    rows: Vec<Row>,
    filter: String,
    min_width: String,
    min_height: String,
    min_kb: String,
    types: String,
    error: Option<String>,
}

impl PageList {
    pub fn new(page: Page) -> Self {
        let n = page.images.len();
        Self {
            page,
            ticked: vec![true; n],
            rows: (0..n).map(|_| Row::default()).collect(),
            filter: String::new(),
            min_width: String::new(),
            min_height: String::new(),
            min_kb: String::new(),
            types: String::new(),
            error: None,
        }
    }

    pub fn chosen(&self) -> Vec<Url> {
        self.page
            .images
            .iter()
            .zip(&self.ticked)
            .filter(|(_, t)| **t)
            .map(|(u, _)| u.clone())
            .collect()
    }

    /// Takes in a preview; returns the thumbnail to ask for (key, file) if there is one.
    pub fn previewed(&mut self, preview: Preview) -> Option<(u64, std::path::PathBuf)> {
        let i = self.page.images.iter().position(|u| *u == preview.url)?;
        let row = self.rows.get_mut(i)?;
        row.dims = preview.dims;
        if preview.gone
            && let Some(ticked) = self.ticked.get_mut(i)
        {
            // Not offered for download: it would only fail. Select all ticks it again.
            *ticked = false;
        }
        let file = preview.file.clone();
        row.preview = Some(preview);
        file.map(|f| (PREVIEW_KEYS + i as u64, f))
    }

    /// A decoded picture for row `key`.
    pub fn picture(&mut self, key: u64, texture: TextureHandle, dims: (u32, u32)) {
        let Some(row) = key
            .checked_sub(PREVIEW_KEYS)
            .and_then(|i| self.rows.get_mut(i as usize))
        else {
            return;
        };
        row.picture = Some(texture);
        row.dims = row.dims.or(Some(dims));
    }

    /// Ticks exactly the images known to be at least as large as the fields say, and of one of
    /// the types named (`jpg, png`), if any are.
    fn select_large(&mut self) {
        let number = |t: &str| -> Result<u64, ()> {
            match t.trim() {
                "" => Ok(0),
                t => t.parse().map_err(|_| ()),
            }
        };
        let (Ok(w), Ok(h), Ok(kb)) = (
            number(&self.min_width),
            number(&self.min_height),
            number(&self.min_kb),
        ) else {
            self.error = Some("Sizes are whole numbers (pixels, KB)".into());
            return;
        };
        self.error = None;
        let types: Vec<String> = self
            .types
            .split([',', ' '])
            .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
            .map(|t| if t == "jpeg" { "jpg".to_string() } else { t })
            .filter(|t| !t.is_empty())
            .collect();
        for (t, row) in self.ticked.iter_mut().zip(&self.rows) {
            let kind = row.preview.as_ref().and_then(|p| p.kind);
            let type_ok = types.is_empty()
                || kind.is_some_and(|k| types.iter().any(|t| k.extensions().contains(&t.as_str())));
            let dims_ok = (w == 0 && h == 0)
                || row
                    .dims
                    .is_some_and(|(rw, rh)| u64::from(rw) >= w && u64::from(rh) >= h);
            let size_ok = kb == 0
                || row
                    .preview
                    .as_ref()
                    .and_then(|p| p.bytes)
                    .is_some_and(|b| b >= kb * 1000);
            *t = dims_ok && size_ok && type_ok;
        }
    }
}

/// A short name for an image address: its file name, else the whole address.
fn short(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(&s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_else(|| url.to_string())
}

/// "640×480 · 120 KB · JPEG", "loading…", or what went wrong.
fn details(row: &Row) -> String {
    let Some(p) = &row.preview else {
        return "loading…".into();
    };
    if let Some(e) = &p.error {
        return e.clone();
    }
    let mut parts = Vec::new();
    if let Some((w, h)) = row.dims {
        parts.push(format!("{w}×{h}"));
    }
    if let Some(b) = p.bytes {
        parts.push(human_bytes(b));
    }
    if let Some(k) = p.kind {
        parts.push(k.label().to_string());
    }
    parts.join(" · ")
}

/// The checklist window; Download returns [`Action::DownloadFromPage`].
pub fn page_list_ui(ctx: &egui::Context, list: &mut PageList, actions: &mut Vec<Action>) {
    let mut open = true;
    let heading = match &list.page.title {
        Some(t) => format!("Images on “{}”", crate::format::visible(t)),
        None => "Images on this page".to_string(),
    };
    egui::Window::new("Images on this page")
        .open(&mut open)
        .collapsible(false)
        // A fixed size: rows filling in with pictures and sizes never move under the pointer.
        .fixed_size([620.0, 470.0])
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.label(RichText::new(heading).strong());
            ui.label(
                RichText::new(crate::format::redact_url(&list.page.url))
                    .small()
                    .weak(),
            );
            selection_ui(ui, list);
            ui.separator();
            // The dialog's full width, so the wheel scrolls it anywhere over the rows and the
            // scroll bar sits at the edge, not over the rows' sizes.
            let rows = ScrollArea::vertical()
                .max_height(320.0)
                .auto_shrink([false, true]);
            rows.show(ui, |ui| {
                for ((ticked, url), row) in list
                    .ticked
                    .iter_mut()
                    .zip(&list.page.images)
                    .zip(&list.rows)
                {
                    ui.horizontal(|ui| {
                        ui.checkbox(ticked, short(url))
                            .on_hover_text(crate::format::redact_url(url));
                        let side = egui::Vec2::splat(40.0);
                        match &row.picture {
                            Some(t) => {
                                // Exactly the slot's size whatever the picture's shape, so rows
                                // never move under the pointer as pictures arrive.
                                ui.add_sized(
                                    side,
                                    egui::Image::new(t)
                                        .fit_to_exact_size(side)
                                        .maintain_aspect_ratio(true)
                                        .alt_text(format!("picture of {}", short(url))),
                                );
                            }
                            None => {
                                ui.allocate_space(side);
                            }
                        }
                        let failed = row.preview.as_ref().is_some_and(|p| p.error.is_some());
                        let text = RichText::new(details(row)).small();
                        ui.label(if failed {
                            text.color(ui.visuals().warn_fg_color)
                        } else {
                            text.weak()
                        });
                    });
                }
            });
            ui.separator();
            let n = list.ticked.iter().filter(|t| **t).count();
            ui.horizontal(|ui| {
                let label = format!("⬇ Download {n} image{}", if n == 1 { "" } else { "s" });
                if ui.add_enabled(n > 0, egui::Button::new(label)).clicked() {
                    actions.push(Action::DownloadFromPage {
                        page: list.page.url.clone(),
                        title: list.page.title.clone(),
                        images: list.chosen(),
                    });
                }
                if ui.button("Cancel").clicked() {
                    actions.push(Action::ClosePageList);
                }
            });
        });
    if !open {
        actions.push(Action::ClosePageList);
    }
}

/// Select all / none / by address / by size.
fn selection_ui(ui: &mut egui::Ui, list: &mut PageList) {
    ui.horizontal(|ui| {
        if ui.button("Select all").clicked() {
            list.ticked.iter_mut().for_each(|t| *t = true);
        }
        if ui.button("Select none").clicked() {
            list.ticked.iter_mut().for_each(|t| *t = false);
        }
        let l = ui.label("Only addresses containing");
        let edit = ui
            .add(egui::TextEdit::singleline(&mut list.filter).desired_width(140.0))
            .labelled_by(l.id);
        if edit.changed() && !list.filter.trim().is_empty() {
            let needle = list.filter.trim().to_lowercase();
            for (t, u) in list.ticked.iter_mut().zip(&list.page.images) {
                *t = u.as_str().to_lowercase().contains(&needle);
            }
        }
    });
    ui.horizontal(|ui| {
        let field = |ui: &mut egui::Ui, label: &str, text: &mut String| {
            let l = ui.label(label);
            ui.add(egui::TextEdit::singleline(text).desired_width(48.0))
                .labelled_by(l.id);
        };
        field(ui, "At least width", &mut list.min_width);
        field(ui, "height", &mut list.min_height);
        field(ui, "KB", &mut list.min_kb);
        field(ui, "types", &mut list.types);
        if ui
            .button("Select these")
            .on_hover_text(
                "Tick the images known to be at least this large (and of these types, e.g. \
                 jpg, png), untick the rest",
            )
            .clicked()
        {
            list.select_large();
        }
    });
    if let Some(e) = &list.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}
