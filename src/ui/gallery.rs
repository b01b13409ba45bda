//! The gallery: a grid of thumbnails that fills as images arrive, with a filter over it
//! (`filter.rs`), a tile chosen with the keyboard and tiles selected to act on together
//! (`selection.rs`). Only the rows on screen
//! are laid out, so ten thousand tiles cost what a screenful does.

use egui::{Color32, CornerRadius, Rect, RichText, Sense, TextureHandle, Vec2};

use super::action::Action;
use super::filter::Filter;
use super::items::{Item, ItemState, Items, Thumb};
use super::selection::Selection;
use crate::format::human_bytes;

const LABEL_HEIGHT: f32 = 20.0;
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
    /// No dialog or panel over the gallery: its keys are its own this frame.
    pub keys: bool,
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
                    let marks = Marks {
                        chosen: selection.key == Some(item.key),
                        selected: selection.is_selected(item.key),
                    };
                    if let Some(click) = tile_ui(ui, item, size, marks, actions) {
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
    if *keys {
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

/// Words for screen readers and tests: the name and what the tile shows.
fn tile_label(item: &Item<TextureHandle>) -> String {
    match (&item.thumb, &item.state) {
        (Thumb::Ready(_), _) => match item.dims {
            Some((w, h)) => format!("{}, image {w}×{h}", item.name),
            None => format!("{}, image", item.name),
        },
        (Thumb::Failed(e), _) => format!("{}, cannot show: {e}", item.name),
        (Thumb::NoPreview(kind), _) => format!("{}, {kind}: no preview", item.name),
        (_, ItemState::Failed(reason)) => format!("{}, failed: {reason}", item.name),
        (_, state) if state.is_active() => format!("{}, {}", item.name, state.label()),
        _ => format!("{}, loading", item.name),
    }
}

/// How a tile is marked: ringed (chosen with the keyboard), selected (ticked).
#[derive(Clone, Copy)]
struct Marks {
    chosen: bool,
    selected: bool,
}

/// A click that selects rather than views.
enum Click {
    /// Ctrl+click (⌘ on a Mac): select this tile, or let it go.
    Toggle,
    /// Shift+click: select every tile from the last one clicked to this one.
    Range,
}

fn tile_ui(
    ui: &mut egui::Ui,
    item: &Item<TextureHandle>,
    size: f32,
    marks: Marks,
    actions: &mut Vec<Action>,
) -> Option<Click> {
    let (rect, response) =
        ui.allocate_exact_size(Vec2::new(size, size + LABEL_HEIGHT), Sense::click());
    let mut label = tile_label(item);
    if marks.selected {
        label.push_str(", selected");
    }
    if marks.chosen {
        label.push_str(", chosen");
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    if !ui.is_rect_visible(rect) {
        return None;
    }
    let visuals = ui.visuals().clone();
    let image_rect = Rect::from_min_size(rect.min, Vec2::splat(size));
    let painter = ui.painter_at(rect);
    painter.rect_filled(image_rect, CornerRadius::same(6), visuals.extreme_bg_color);

    match (&item.thumb, &item.state) {
        (Thumb::Ready(texture), _) => {
            // Square tiles filled edge to edge (centre crop); hover and the viewer show it whole.
            let uv = cover_uv(texture.size_vec2());
            let shape =
                egui::epaint::RectShape::filled(image_rect, CornerRadius::same(6), Color32::WHITE)
                    .with_texture(texture.id(), uv);
            painter.add(shape);
        }
        (Thumb::Failed(e), _) => {
            message(
                ui,
                image_rect,
                &format!("Cannot show this image\n{e}"),
                visuals.warn_fg_color,
            );
        }
        (Thumb::NoPreview(kind), _) => {
            message(
                ui,
                image_rect,
                &format!("{kind}\nno preview"),
                visuals.weak_text_color(),
            );
        }
        (_, ItemState::Failed(reason)) => {
            message(
                ui,
                image_rect,
                &format!("✖ {reason}"),
                visuals.error_fg_color,
            );
        }
        (_, state) => {
            let spinner = Rect::from_center_size(image_rect.center(), Vec2::splat(28.0));
            ui.put(spinner, egui::Spinner::new().size(28.0));
            let text = match state {
                ItemState::Downloading if item.received > 0 => human_bytes(item.received),
                ItemState::Retrying { .. } => "retrying".into(),
                _ => String::new(),
            };
            painter.text(
                image_rect.center() + Vec2::new(0.0, 30.0),
                egui::Align2::CENTER_TOP,
                text,
                egui::FontId::proportional(12.0),
                visuals.weak_text_color(),
            );
        }
    }
    if marks.selected {
        // Tinted, with a tick in the corner: still recognisable, plainly picked out.
        painter.rect_filled(
            image_rect,
            CornerRadius::same(6),
            visuals.selection.bg_fill.gamma_multiply(0.45),
        );
        let tick = Rect::from_min_size(image_rect.min + Vec2::splat(6.0), Vec2::splat(22.0));
        painter.rect_filled(tick, CornerRadius::same(11), visuals.selection.bg_fill);
        painter.text(
            tick.center(),
            egui::Align2::CENTER_CENTER,
            "✔",
            egui::FontId::proportional(14.0),
            visuals.selection.stroke.color,
        );
    }
    if marks.chosen {
        let stroke = egui::Stroke::new(3.0, visuals.selection.stroke.color);
        painter.rect_stroke(
            image_rect,
            CornerRadius::same(6),
            stroke,
            egui::StrokeKind::Inside,
        );
    } else if response.hovered() {
        painter.rect_stroke(
            image_rect,
            CornerRadius::same(6),
            visuals.selection.stroke,
            egui::StrokeKind::Inside,
        );
    }
    let name_rect = Rect::from_min_size(
        egui::pos2(rect.min.x, image_rect.max.y + 2.0),
        Vec2::new(size, LABEL_HEIGHT - 2.0),
    );
    ui.put(
        name_rect,
        egui::Label::new(RichText::new(&item.name).small())
            .truncate()
            .selectable(false),
    );

    let response = response.on_hover_ui(|ui| hover_ui(ui, item));
    response.context_menu(|ui| context_menu_ui(ui, item, actions));
    if !response.clicked() {
        return None;
    }
    let modifiers = ui.input(|i| i.modifiers);
    if modifiers.command {
        Some(Click::Toggle)
    } else if modifiers.shift {
        Some(Click::Range)
    } else {
        if item.path.is_some() {
            actions.push(Action::View(item.key));
        }
        None
    }
}

fn message(ui: &mut egui::Ui, rect: Rect, text: &str, color: Color32) {
    ui.put(
        rect.shrink(10.0),
        egui::Label::new(RichText::new(text).small().color(color)).wrap(),
    );
}

/// The centred square part of an image of `size`, in texture coordinates.
fn cover_uv(size: Vec2) -> Rect {
    let (w, h) = (size.x.max(1.0), size.y.max(1.0));
    let (u, v) = if w > h {
        ((1.0 - h / w) / 2.0, 0.0)
    } else {
        (0.0, (1.0 - w / h) / 2.0)
    };
    Rect::from_min_max(egui::pos2(u, v), egui::pos2(1.0 - u, 1.0 - v))
}

/// Largest rect of `size`'s aspect inside `within`, centred.
pub fn fit(size: Vec2, within: Rect) -> Rect {
    let scale = (within.width() / size.x).min(within.height() / size.y);
    Rect::from_center_size(within.center(), size * scale)
}

fn hover_ui(ui: &mut egui::Ui, item: &Item<TextureHandle>) {
    ui.label(RichText::new(&item.name).strong());
    if let Some(size) = item.size {
        ui.label(human_bytes(size));
    }
    if let Some((w, h)) = item.dims {
        ui.label(format!("{w} × {h} pixels"));
    }
    if let Some(url) = &item.url {
        ui.label(RichText::new(crate::format::redact_url(url)).small().weak());
    }
    if let ItemState::Failed(reason) = &item.state {
        ui.colored_label(ui.visuals().error_fg_color, reason);
    }
}

fn context_menu_ui(ui: &mut egui::Ui, item: &Item<TextureHandle>, actions: &mut Vec<Action>) {
    let has_file = item.path.is_some();
    let mut entry = |ui: &mut egui::Ui, enabled: bool, text: &str, action: Action| {
        if ui.add_enabled(enabled, egui::Button::new(text)).clicked() {
            actions.push(action);
            ui.close();
        }
    };
    entry(ui, has_file, "View", Action::View(item.key));
    entry(
        ui,
        has_file,
        "Open with system viewer",
        Action::OpenExternal(item.key),
    );
    entry(
        ui,
        has_file,
        "Show in folder",
        Action::ShowInFolder(item.key),
    );
    ui.separator();
    entry(ui, has_file, "Copy image", Action::CopyImage(item.key));
    if let Some(url) = &item.url {
        entry(
            ui,
            true,
            "Copy source URL",
            Action::CopyText(url.to_string()),
        );
    }
    if let Some(page) = item.page() {
        entry(ui, true, "Open source page", Action::OpenUrl(page.clone()));
    }
    if let Some(path) = &item.path {
        entry(
            ui,
            true,
            "Copy path",
            Action::CopyText(path.display().to_string()),
        );
    }
    ui.separator();
    if item.url.is_some() {
        entry(ui, true, "Re-download", Action::Redownload(item.key));
    }
    if item.is_download() {
        entry(ui, true, "Remove from list", Action::Remove(item.key));
    }
    entry(
        ui,
        has_file,
        "Delete file…",
        Action::AskDelete(vec![item.key]),
    );
}
