//! The window's panels: folder bar, URL input, status bar, notices, help and dialogs.
//! Each `*_ui` function draws and returns what the user asked for as [`Action`]s.

use std::path::Path;
use std::time::Duration;

use egui::{Align, Color32, Layout, RichText, TextEdit};

use super::action::{Action, Notice};
use super::items::{Items, Totals};
use crate::format::{human_bytes, short_duration};
use crate::urls::UrlList;

/// "Saving to: [path] [Choose folder…] [Open folder] [Settings] [?]", with a line under it while
/// the folder is being opened or when it cannot be used.
pub fn folder_bar_ui(
    ui: &mut egui::Ui,
    folder_text: &mut String,
    out_dir: &Path,
    status: Option<(String, bool)>,
    dialog_open: bool,
    actions: &mut Vec<Action>,
) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading("Magpie");
        ui.add_space(12.0);
        let label = ui.label("Saving to:");
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .button("?")
                .on_hover_text("Keyboard shortcuts (F1)")
                .clicked()
            {
                actions.push(Action::ToggleHelp);
            }
            if ui
                .button("⚙ Settings")
                .on_hover_text("Download limits, timeouts, default folder, thumbnail size")
                .clicked()
            {
                actions.push(Action::ToggleSettings);
            }
            if ui
                .button("Open folder")
                .on_hover_text("Show the folder in your file manager")
                .clicked()
            {
                actions.push(Action::OpenFolder);
            }
            let choose = ui.add_enabled(!dialog_open, egui::Button::new("Choose folder…"));
            if choose.clicked() {
                actions.push(Action::ChooseFolder);
            }
            let edit = ui.add(
                TextEdit::singleline(folder_text)
                    .desired_width(ui.available_width())
                    .hint_text("Folder to save images into"),
            );
            let edit = edit.labelled_by(label.id);
            let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if entered && !folder_text.trim().is_empty() {
                let typed = Path::new(folder_text.trim());
                actions.push(Action::SetFolder(crate::home::folder(typed)));
            } else if !edit.has_focus() && *folder_text != crate::home::show(out_dir) {
                // Editing abandoned: show the folder actually in use.
                *folder_text = crate::home::show(out_dir);
            }
        });
    });
    match status {
        Some((text, true)) => {
            ui.colored_label(ui.visuals().error_fg_color, text);
        }
        Some((text, false)) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak(text);
            });
        }
        None => {}
    }
    ui.add_space(4.0);
}

/// Id of the URL box, so a large paste into it can be taken before it is laid out.
pub fn url_box_id() -> egui::Id {
    egui::Id::unique("url_box")
}

/// A list pasted too large to lay out as text: parsed on a background thread, shown as a line.
#[derive(Debug)]
pub enum Pasted {
    Parsing { bytes: usize },
    Ready(UrlList),
}

/// The URL box (at most a few lines high, with its own scroll bar), its live pre-flight line,
/// and the buttons under it. A large paste shows as a summary line instead of megabytes of text.
pub fn input_ui(
    ui: &mut egui::Ui,
    input: &mut String,
    preflight: &mut Option<(String, UrlList)>,
    pasted: Option<&Pasted>,
    actions: &mut Vec<Action>,
) {
    ui.add_space(6.0);
    let label = ui.label(RichText::new("Image URLs").strong());
    egui::ScrollArea::vertical()
        .id_salt("url_box_scroll")
        .max_height(160.0)
        .show(ui, |ui| {
            let edit = ui.add(
                TextEdit::multiline(input)
                    .id(url_box_id())
                    .desired_rows(7)
                    .desired_width(f32::INFINITY)
                    .hint_text("Paste image URLs here, one per line,\nor drop .txt / .csv / .html / .md lists on the window")
                    .font(egui::TextStyle::Monospace),
            );
            edit.labelled_by(label.id);
        });
    if let Some(pasted) = pasted {
        ui.horizontal(|ui| {
            match pasted {
                Pasted::Parsing { bytes } => {
                    ui.spinner();
                    ui.label(
                        RichText::new(format!(
                            "Reading the pasted list ({})…",
                            human_bytes(*bytes as u64)
                        ))
                        .small(),
                    );
                }
                Pasted::Ready(list) => {
                    ui.label(RichText::new(format!("Pasted list: {}", list.summary())).small());
                }
            }
            if ui
                .small_button("×")
                .on_hover_text("Forget the pasted list")
                .clicked()
            {
                actions.push(Action::ClearPaste);
            }
        });
    }
    match preflight_summary(input, preflight) {
        Some(line) => {
            ui.label(RichText::new(line).small());
        }
        None if pasted.is_none() => {
            ui.label(
                RichText::new("Ctrl+Enter downloads · Ctrl+O opens a list")
                    .small()
                    .weak(),
            );
        }
        None => {}
    }
    ui.horizontal(|ui| {
        let download = egui::Button::new(RichText::new("⬇ Download").strong())
            .fill(ui.visuals().selection.bg_fill);
        let ready = !input.trim().is_empty() || matches!(pasted, Some(Pasted::Ready(_)));
        if ui
            .add_enabled(ready, download)
            .on_hover_text("Download every URL in the box (Ctrl+Enter)")
            .clicked()
        {
            actions.push(Action::Download);
        }
        if ui
            .button("Open list…")
            .on_hover_text("Read URLs from .txt, .csv, .html or .md files (Ctrl+O)")
            .clicked()
        {
            actions.push(Action::OpenLists);
        }
    });
}

/// The pre-flight line for `input`, re-parsed only when the text changed.
fn preflight_summary(input: &str, cache: &mut Option<(String, UrlList)>) -> Option<String> {
    if input.trim().is_empty() {
        *cache = None;
        return None;
    }
    if cache.as_ref().is_none_or(|(text, _)| text != input) {
        *cache = Some((input.to_string(), crate::urls::parse(input, None)));
    }
    cache.as_ref().map(|(_, list)| list.summary())
}

/// Totals, speed, ETA, and the batch controls; `waiting` URLs are still joining the queue.
pub fn status_ui(
    ui: &mut egui::Ui,
    totals: &Totals,
    waiting: usize,
    speed: f64,
    eta: Option<Duration>,
    paused: bool,
    actions: &mut Vec<Action>,
) {
    ui.add_space(3.0);
    ui.horizontal(|ui| {
        if totals.downloads == 0 {
            ui.label(format!(
                "{} image{} in this folder",
                crate::format::count(totals.in_folder),
                if totals.in_folder == 1 { "" } else { "s" }
            ));
        } else {
            ui.label(totals.progress_text());
            if waiting > 0 {
                ui.label(format!(
                    "{} more joining the queue…",
                    crate::format::count(waiting)
                ));
            }
            if totals.failed > 0 {
                let failed = ui.add(egui::Link::new(
                    RichText::new(format!("{} failed", crate::format::count(totals.failed)))
                        .color(ui.visuals().error_fg_color),
                ));
                if failed
                    .on_hover_text("Show only the failed downloads in the queue, with why")
                    .clicked()
                {
                    actions.push(Action::ShowFailed);
                }
            }
            if totals.active > 0 {
                ui.label(format!("{}/s", human_bytes(speed as u64)));
                if let Some(eta) = eta {
                    ui.label(format!("ETA {}", short_duration(eta)));
                }
                let fraction = (totals.saved + totals.failed) as f32 / totals.downloads as f32;
                ui.add(egui::ProgressBar::new(fraction).desired_width(160.0));
            }
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .add_enabled(totals.failed > 0, egui::Button::new("Retry failed"))
                .clicked()
            {
                actions.push(Action::RetryFailed);
            }
            if ui
                .add_enabled(totals.failed > 0, egui::Button::new("Export failed"))
                .on_hover_text("Write the failed URLs to failed-urls.txt in the folder")
                .clicked()
            {
                actions.push(Action::ExportFailed);
            }
            if ui
                .add_enabled(
                    totals.active > 0 || waiting > 0,
                    egui::Button::new("Cancel all"),
                )
                .clicked()
            {
                actions.push(Action::CancelAll);
            }
            if paused {
                if ui.button("▶ Resume").clicked() {
                    actions.push(Action::Resume);
                }
            } else if ui
                .add_enabled(totals.active > 0, egui::Button::new("⏸ Pause"))
                .clicked()
            {
                actions.push(Action::Pause);
            }
        });
    });
    ui.add_space(3.0);
}

/// A notice with a close button; returns true when dismissed.
pub fn notice_ui(ui: &mut egui::Ui, notice: &Notice) -> bool {
    let color = if notice.error {
        ui.visuals().error_fg_color
    } else {
        ui.visuals().text_color()
    };
    let mut closed = false;
    egui::Frame::group(ui.style())
        .fill(ui.visuals().extreme_bg_color)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.add(egui::Label::new(RichText::new(&notice.text).color(color)).wrap());
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui.small_button("Dismiss").clicked() {
                        closed = true;
                    }
                });
            });
        });
    closed
}

/// The keyboard shortcuts window.
pub fn help_ui(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                for (keys, what) in [
                    ("Ctrl+V", "paste URLs into the box"),
                    ("Ctrl+Enter", "download the URLs in the box"),
                    ("Ctrl+O", "open URL lists"),
                    ("Ctrl+F", "filter the gallery by name, subfolder or address"),
                    ("Click", "view an image large"),
                    (
                        "Arrows, Page Up/Down, Home/End",
                        "choose an image in the gallery",
                    ),
                    (
                        "Enter / Delete",
                        "view / delete the chosen image (or the selected ones)",
                    ),
                    (
                        "Ctrl+click / Shift+click, Shift+arrows",
                        "select an image / the run from the chosen one",
                    ),
                    (
                        "Space / Ctrl+A / Esc",
                        "select the chosen image / all shown / none",
                    ),
                    ("Right-click", "open, copy, show in folder, delete"),
                    ("⬅ / ➡", "previous / next image in the viewer"),
                    (
                        "Delete",
                        "in the viewer: delete the image, then show the next",
                    ),
                    ("+ / - / wheel", "zoom in the viewer"),
                    ("0", "fit the image to the window"),
                    ("Drag", "pan a zoomed image"),
                    ("Esc", "close the viewer"),
                    ("F1", "show or hide this help"),
                ] {
                    ui.label(RichText::new(keys).monospace().strong());
                    ui.label(what);
                    ui.end_row();
                }
            });
            ui.add_space(6.0);
            ui.label(
                "Drop .txt, .csv, .html or .md files anywhere on the window to add their URLs.",
            );
        });
}

/// Asks before deleting the files of the items `keys` (one, or the tiles selected): moving them
/// to the trash, or with `trash` false for good.
pub fn confirm_delete_ui<T>(
    ctx: &egui::Context,
    items: &Items<T>,
    keys: &[u64],
    trash: bool,
    actions: &mut Vec<Action>,
) {
    let name = |k: &u64| Some(items.get(items.index_of_key(*k)?)?.name.as_str());
    let (what, names) = match keys {
        [key] => (
            "this file".to_string(),
            name(key).unwrap_or_default().to_string(),
        ),
        _ => {
            // A few names, so the user sees what is about to go.
            const NAMED: usize = 3;
            let names: Vec<&str> = keys.iter().filter_map(name).take(NAMED).collect();
            let more = match keys.len().saturating_sub(names.len()) {
                0 => String::new(),
                n => format!(" and {} more", crate::format::count(n)),
            };
            let what = format!("{} files", crate::format::count(keys.len()));
            (what, format!("{}{more}", names.join(", ")))
        }
    };
    let (question, goes, button) = if trash {
        let back = if keys.len() == 1 { "it" } else { "they" };
        (
            format!("Move {what} to the trash?"),
            format!("will be moved to the trash, from where {back} can be put back."),
            "Move to trash",
        )
    } else {
        (
            format!("Delete {what}?"),
            "will be deleted from the folder. This cannot be undone.".to_string(),
            "Delete",
        )
    };
    let modal = egui::Modal::new(egui::Id::unique("confirm_delete")).show(ctx, |ui| {
        ui.heading(question);
        ui.label(format!("{names} {goes}"));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui
                .button(RichText::new(button).color(ui.visuals().error_fg_color))
                .clicked()
            {
                actions.push(Action::ConfirmDelete(keys.to_vec()));
            }
            if ui.button("Keep").clicked() {
                actions.push(Action::CancelDelete);
            }
        });
    });
    if modal.should_close() {
        actions.push(Action::CancelDelete);
    }
}

/// Dims the window and says what a drop will do while files hover over it.
pub fn drop_overlay_ui(ctx: &egui::Context) {
    let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop_overlay"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, Color32::from_black_alpha(170));
    painter.rect_stroke(
        rect.shrink(12.0),
        12.0,
        egui::Stroke::new(3.0, Color32::from_rgb(120, 170, 255)),
        egui::StrokeKind::Inside,
    );
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop URL lists to add their images",
        egui::FontId::proportional(28.0),
        Color32::WHITE,
    );
}
