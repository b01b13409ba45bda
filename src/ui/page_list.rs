//! "Download this page" in the window: when an address turns out to be a web page, the engine
//! lists the images on it and they appear here as a checklist — all ticked, untick what you do
//! not want, select all / none / those whose address contains some text — then Download.

use egui::{RichText, ScrollArea};
use url::Url;

use super::action::Action;
use crate::engine::Page;

/// The page and what is ticked.
pub struct PageList {
    pub page: Page,
    pub ticked: Vec<bool>,
    filter: String,
}

impl PageList {
    pub fn new(page: Page) -> Self {
        let ticked = vec![true; page.images.len()];
        Self {
            page,
            ticked,
            filter: String::new(),
        }
    }

    fn chosen(&self) -> Vec<Url> {
        self.page
            .images
            .iter()
            .zip(&self.ticked)
            .filter(|(_, t)| **t)
            .map(|(u, _)| u.clone())
            .collect()
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
        .default_size([560.0, 480.0])
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.label(RichText::new(heading).strong());
            ui.label(
                RichText::new(crate::format::redact_url(&list.page.url))
                    .small()
                    .weak(),
            );
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
            ui.separator();
            ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
                for (ticked, url) in list.ticked.iter_mut().zip(&list.page.images) {
                    ui.checkbox(ticked, short(url))
                        .on_hover_text(crate::format::redact_url(url));
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
