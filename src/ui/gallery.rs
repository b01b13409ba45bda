//! The gallery: a grid of thumbnails (`tile.rs`) that fills as images arrive, with a filter
//! over it (`filter.rs`), a tile chosen with the keyboard and tiles selected to act on together
//! (`selection.rs`). Only the rows on screen are laid out, so ten thousand tiles cost what a
//! screenful does.

use egui::{Color32, Rect, RichText, TextureHandle, Vec2};

use super::action::Action;
use super::filter::Filter;
use super::items::Items;
use super::selection::Selection;
use super::tile::{Click, LABEL_HEIGHT, tile_ui};

const GAP: f32 = 8.0;

/// The tiles a gallery frame drew.
#[derive(Default)]
pub struct OnScreen {
    pub keys: Vec<u64>,
    /// How wide each tile is, in the screen's pixels (points times the display's scale).
    pub tile_pixels: f32,
}

/// What the gallery keeps from frame to frame besides the model.
#[derive(Default)]
pub struct Gallery {
    pub filter: Filter,
    pub selection: Selection,
    /// No dialog, panel or menu over the gallery: its keys are its own this frame.
    pub keys: bool,
    /// A dialog or panel is over the gallery.
    pub covered: bool,
}

/// The filter box's id, for Ctrl+F.
pub fn filter_id() -> egui::Id {
    egui::Id::unique("gallery_filter")
}

/// Draws the gallery of the files in `folder`, as far as its filter lets through; returns the
/// tiles on screen.
pub fn gallery_ui(
    ui: &mut egui::Ui,
    items: &Items<TextureHandle>,
    gallery: &mut Gallery,
    folder: &std::path::Path,
    thumb_size: &mut f32,
    paused: bool,
    actions: &mut Vec<Action>,
) -> OnScreen {
    let Gallery {
        filter,
        selection,
        keys,
        covered,
    } = gallery;
    let refiltered = header_ui(ui, items, filter, thumb_size, paused);
    // The text may have changed in the header.
    ui.separator();

    filter.update(items, folder);
    let tiles = filter.shown(items);
    if tiles.is_empty() {
        if filter.is_on() && !items.gallery_tiles().is_empty() {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| {
                ui.label(
                    RichText::new(format!(
                        "No image's name, subfolder or address holds “{}”.",
                        filter.text.trim()
                    ))
                    .weak(),
                );
            });
        } else {
            empty_state_ui(ui);
        }
        return OnScreen::default();
    }

    let size = *thumb_size;
    let width = ui.available_width();
    let columns = (((width + GAP) / (size + GAP)).floor() as usize).max(1);
    // The tiles share out what is left of the row, so the grid ends flush on the right instead
    // of leaving up to a tile's width empty (and shrink to fit a gallery narrower than one).
    let size = ((width + GAP) / columns as f32 - GAP).floor().max(1.0);
    // A row more while tiles are selected: the last row can then scroll out from under the
    // bar that floats over the foot of the gallery.
    let rows = tiles.len().div_ceil(columns) + usize::from(selection.any());
    let mut visible = Vec::new();
    ui.spacing_mut().item_spacing = Vec2::splat(GAP);
    let row_height = size + LABEL_HEIGHT + GAP;
    let page_rows = ((ui.available_height() / row_height).floor() as usize).max(1);
    if *keys {
        selection.keys_ui(ui.ctx(), items, tiles, columns, page_rows, actions);
    }
    let mut scroll = egui::ScrollArea::vertical()
        .id_salt("gallery")
        .auto_shrink([false, false]);
    if refiltered {
        scroll = scroll.vertical_scroll_offset(0.0); // the first matches, not the old place
    } else if let Some(offset) =
        selection.scroll_to(items, tiles, columns, row_height, ui.available_height())
    {
        scroll = scroll.vertical_scroll_offset(offset);
    }
    let mut clicked = None;
    let scrolled = scroll.show_rows(ui, size + LABEL_HEIGHT, rows, |ui, range| {
        let mut shown = tiles.from(range.start * columns);
        for _ in range {
            ui.horizontal(|ui| {
                for n in shown.by_ref().take(columns) {
                    let Some(item) = items.get(n) else { continue };
                    visible.push(item.key);
                    if let Some(click) = tile_ui(ui, item, size, selection, *covered, actions) {
                        clicked = Some((item.key, click));
                    }
                }
            });
        }
    });
    match clicked {
        Some((key, Click::Toggle)) => selection.toggle(key),
        Some((key, Click::Range)) => selection.select_to(items, tiles, key),
        None => {}
    }
    selection.drawn(visible.first().copied(), scrolled.state.clamped_offset().y);
    // Not over a dialog (the question it asks, Settings): its buttons would work through it.
    if !*covered {
        selection.selected_ui(ui.ctx(), scrolled.inner_rect, items, actions);
    }
    OnScreen {
        keys: visible,
        tile_pixels: size * ui.ctx().pixels_per_point(),
    }
}

/// The gallery's header: the count, the filter box and the thumbnail size; whether the filter's
/// text changed.
fn header_ui(
    ui: &mut egui::Ui,
    items: &Items<TextureHandle>,
    filter: &mut Filter,
    thumb_size: &mut f32,
    paused: bool,
) -> bool {
    let mut refiltered = false;
    ui.horizontal(|ui| {
        // The matches as the frame began (the window found them); what is typed below counts
        // once the header is drawn.
        let (shown, all) = (filter.shown(items).len(), items.gallery_tiles().len());
        let count = if filter.is_on() {
            format!(
                "Gallery ({} of {})",
                crate::format::count(shown),
                crate::format::count(all)
            )
        } else {
            format!("Gallery ({})", crate::format::count(all))
        };
        ui.label(RichText::new(count).strong());
        // The slider keeps its room on the right: a row wider than the gallery would widen the
        // grid past the window's edge.
        let spacing = ui.spacing().item_spacing.x;
        // The slider's handle reaches past its rail; the ✖ comes with a filter.
        let clear = if filter.is_on() { 28.0 } else { 0.0 };
        let kept = ui.spacing().slider_width + 24.0 + 2.0 * spacing + clear;
        let word = if ui.available_width() - kept >= 230.0 {
            "🔍 Filter"
        } else {
            "🔍"
        };
        let label = ui.label(word);
        let mut room = ui.available_width() - kept - spacing;
        // Too narrow for both at their size: the slider gives up some of its rail.
        const BOX: f32 = 72.0;
        if room < BOX {
            let give = (BOX - room).min(ui.spacing().slider_width - 40.0).max(0.0);
            ui.spacing_mut().slider_width -= give;
            room += give;
        }
        let edit = ui.add(
            egui::TextEdit::singleline(&mut filter.text)
                .id(filter_id())
                .hint_text("name, folder or address")
                .desired_width(room.clamp(48.0, 170.0)),
        );
        let edit = edit.labelled_by(label.id).on_hover_text(
            "Show only images whose name, subfolder or address holds this text (Ctrl+F)",
        );
        refiltered = edit.changed();
        if filter.is_on() {
            let clear = ui.small_button("✖").on_hover_text("Show every image");
            if clear.clicked() {
                filter.text.clear();
                refiltered = true;
            }
        }
        if paused {
            ui.label(RichText::new("downloads paused").color(ui.visuals().warn_fg_color));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let slider = ui.add(
                egui::Slider::new(thumb_size, 96.0..=320.0)
                    .show_value(false)
                    .step_by(8.0),
            );
            // The words only where they fit beside the count: a narrow gallery drew them over it.
            const WORDS: &str = "Thumbnail size";
            let font = egui::TextStyle::Body.resolve(ui.style());
            let needed = (ui.painter())
                .layout_no_wrap(WORDS.into(), font, Color32::PLACEHOLDER)
                .size()
                .x
                + ui.spacing().item_spacing.x;
            if ui.available_width() >= needed {
                let label = ui.label(WORDS);
                slider.labelled_by(label.id);
            } else {
                slider.on_hover_text(WORDS);
            }
        });
    });
    refiltered
}

fn empty_state_ui(ui: &mut egui::Ui) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        ui.label(RichText::new("🖼").size(56.0).weak());
        ui.label(RichText::new("Paste image URLs or drop a list here").size(22.0));
        ui.add_space(6.0);
        ui.label(
            RichText::new(
                "Put URLs in the box on the left and press Download.\n\
                 Images are saved, untouched, into the folder shown above.",
            )
            .weak(),
        );
    });
}

/// Largest rect of `size`'s aspect inside `within`, centred.
pub fn fit(size: Vec2, within: Rect) -> Rect {
    let scale = (within.width() / size.x).min(within.height() / size.y);
    Rect::from_center_size(within.center(), size * scale)
}
