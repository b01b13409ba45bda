//! One gallery tile: its thumbnail (or why there is none), its name, the marks of the tile
//! chosen with the keyboard and of those selected, what hovering shows, what a click does
//! (view, or select with Ctrl or Shift), and its context menu.

use egui::{Color32, CornerRadius, Rect, RichText, Sense, TextureHandle, Vec2};

use super::action::{Action, Listed};
use super::items::{Item, ItemState, Thumb};
use super::selection::Selection;
use crate::format::human_bytes;

/// Height of the name under a tile.
pub const LABEL_HEIGHT: f32 = 20.0;

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

/// A click that selects rather than views.
pub enum Click {
    /// Ctrl+click (⌘ on a Mac): select this tile, or let it go.
    Toggle,
    /// Shift+click: select every tile from the chosen one to this one.
    Range,
}

/// Draws the tile of `item`, ringed if chosen with the keyboard and ticked if selected; its
/// details show on hover unless a dialog is over the gallery (`covered`).
pub fn tile_ui(
    ui: &mut egui::Ui,
    item: &Item<TextureHandle>,
    size: f32,
    selection: &Selection,
    covered: bool,
    actions: &mut Vec<Action>,
) -> Option<Click> {
    let (chosen, selected) = (
        selection.key == Some(item.key),
        selection.is_selected(item.key),
    );
    let (rect, response) =
        ui.allocate_exact_size(Vec2::new(size, size + LABEL_HEIGHT), Sense::click());
    let mut label = tile_label(item);
    if selected {
        label.push_str(", selected");
    }
    if chosen {
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
    if selected {
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
    if chosen {
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

    // Under a question ("Move p04919.jpg to the trash?") another tile's name must not show on
    // top of it: the pointer resting on that tile is not what is being asked about.
    let response = if covered {
        response
    } else {
        response.on_hover_ui(|ui| hover_ui(ui, item))
    };
    response.context_menu(|ui| {
        // On one of several selected tiles, copying paths and deleting take them all.
        let together = (selected && selection.count() > 1).then_some(selection);
        context_menu_ui(ui, item, together, actions)
    });
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

fn context_menu_ui(
    ui: &mut egui::Ui,
    item: &Item<TextureHandle>,
    together: Option<&Selection>,
    actions: &mut Vec<Action>,
) {
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
    // What acts on the selection is worked out when chosen, not in every frame the menu is up
    // (100,000 paths joined would be a slow frame each).
    let n = together.map(|s| crate::format::count(s.count()));
    if let Some(n) = &n {
        let urls = Action::CopySelected(Listed::Urls);
        entry(ui, true, &format!("Copy {n} source URLs"), urls);
    } else if let Some(url) = &item.url {
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
    if let Some(n) = &n {
        let paths = Action::CopySelected(Listed::Paths);
        entry(ui, true, &format!("Copy {n} paths"), paths);
    } else if let Some(path) = &item.path {
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
    if let Some(n) = &n {
        entry(
            ui,
            true,
            &format!("Delete {n} files…"),
            Action::AskDeleteSelected,
        );
    } else {
        entry(
            ui,
            has_file,
            "Delete file…",
            Action::AskDelete(vec![item.key]),
        );
    }
}
