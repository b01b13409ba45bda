//! The viewer: one image large, fitted or zoomed, panned by dragging, with previous/next, and
//! Delete to weed it out (after asking) and go on to the next.

use egui::{Color32, Key, Modifiers, Rect, RichText, Sense, TextureHandle, Vec2};

use super::action::Action;
use super::filter::Shown;
use super::gallery::fit;
use super::items::{Items, Thumb};

/// Viewer state for the image with `key`.
pub struct Viewer {
    pub key: u64,
    pub loading: bool,
    /// Pixels a side asked of the decoder (0: nothing yet).
    pub requested: u32,
    full: Option<TextureHandle>,
    error: Option<String>,
    /// Scale relative to the image's pixels; `None` fits the window.
    zoom: Option<f32>,
    offset: Vec2,
    last_fit: f32,
}

impl Viewer {
    pub fn new(key: u64) -> Self {
        Self {
            key,
            loading: false,
            requested: 0,
            full: None,
            error: None,
            zoom: None,
            offset: Vec2::ZERO,
            last_fit: 1.0,
        }
    }

    /// Takes the large decode, as a texture or the reason there is none.
    pub fn set_full(&mut self, result: Result<TextureHandle, String>) {
        self.loading = false;
        match result {
            Ok(texture) => self.full = Some(texture),
            Err(e) => self.error = Some(e),
        }
    }

    fn zoom_by(&mut self, factor: f32) {
        let z = self.zoom.unwrap_or(self.last_fit) * factor;
        self.zoom = Some(z.clamp(0.02, 32.0));
    }
}

/// The gallery neighbour of `key` (`step` = -1 or +1) that has a file to show, in gallery order
/// (the order shown), among the tiles `shown` (the gallery's filter applies).
pub fn neighbour<T>(items: &Items<T>, shown: Shown<'_>, key: u64, step: isize) -> Option<u64> {
    neighbour_where(items, shown, key, step, |_| true)
}

/// [`neighbour`], among the items `keep` lets through.
pub fn neighbour_where<T>(
    items: &Items<T>,
    shown: Shown<'_>,
    key: u64,
    step: isize,
    keep: impl Fn(u64) -> bool,
) -> Option<u64> {
    let at = shown.index_of(items, key)?;
    let viewable = |n: usize| {
        (items.get(n))
            .filter(|i| i.path.is_some() && keep(i.key))
            .map(|i| i.key)
    };
    if step > 0 {
        shown.from(at + 1).find_map(viewable)
    } else {
        (0..at)
            .rev()
            .find_map(|k| shown.from(k).next().and_then(viewable))
    }
}

/// Keys while the viewer is open: Esc, arrows, + / - / 0, Delete.
pub fn viewer_keys<T>(
    ctx: &egui::Context,
    viewer: &mut Viewer,
    items: &Items<T>,
    shown: Shown<'_>,
    actions: &mut Vec<Action>,
) {
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    ctx.input_mut(|i| {
        if i.consume_key(Modifiers::NONE, Key::Escape) {
            actions.push(Action::CloseViewer);
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowLeft)
            && let Some(k) = neighbour(items, shown, viewer.key, -1)
        {
            actions.push(Action::View(k));
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowRight)
            && let Some(k) = neighbour(items, shown, viewer.key, 1)
        {
            actions.push(Action::View(k));
        }
        if i.consume_key(Modifiers::NONE, Key::Plus) || i.consume_key(Modifiers::NONE, Key::Equals)
        {
            viewer.zoom_by(1.25);
        }
        if i.consume_key(Modifiers::NONE, Key::Minus) {
            viewer.zoom_by(0.8);
        }
        if i.consume_key(Modifiers::NONE, Key::Num0) {
            viewer.zoom = None;
            viewer.offset = Vec2::ZERO;
        }
        if i.consume_key(Modifiers::NONE, Key::Delete) {
            actions.push(Action::AskDelete(vec![viewer.key]));
        }
    });
}

/// Draws the viewer in the central panel.
pub fn viewer_ui(
    ui: &mut egui::Ui,
    viewer: &mut Viewer,
    items: &Items<TextureHandle>,
    shown: Shown<'_>,
    actions: &mut Vec<Action>,
) {
    let Some(item) = items.index_of_key(viewer.key).and_then(|i| items.get(i)) else {
        actions.push(Action::CloseViewer);
        return;
    };
    ui.horizontal(|ui| {
        if ui
            .button("⬅ Gallery")
            .on_hover_text("Close (Esc)")
            .clicked()
        {
            actions.push(Action::CloseViewer);
        }
        let prev = neighbour(items, shown, viewer.key, -1);
        let next = neighbour(items, shown, viewer.key, 1);
        if ui
            .add_enabled(prev.is_some(), egui::Button::new("⬅"))
            .on_hover_text("Previous (Left arrow)")
            .clicked()
            && let Some(k) = prev
        {
            actions.push(Action::View(k));
        }
        if ui
            .add_enabled(next.is_some(), egui::Button::new("➡"))
            .on_hover_text("Next (Right arrow)")
            .clicked()
            && let Some(k) = next
        {
            actions.push(Action::View(k));
        }
        ui.label(RichText::new(&item.name).strong());
        if let Some((w, h)) = item.dims {
            ui.label(RichText::new(format!("{w} × {h}")).weak());
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let delete = ui.button(RichText::new("Delete…").color(ui.visuals().error_fg_color));
            if delete
                .on_hover_text("Delete this image, then show the next (Delete)")
                .clicked()
            {
                actions.push(Action::AskDelete(vec![viewer.key]));
            }
            ui.separator();
            if ui
                .button("Fit")
                .on_hover_text("Fit to window (0)")
                .clicked()
            {
                viewer.zoom = None;
                viewer.offset = Vec2::ZERO;
            }
            if ui.button("➕").on_hover_text("Zoom in (+)").clicked() {
                viewer.zoom_by(1.25);
            }
            if ui.button("➖").on_hover_text("Zoom out (-)").clicked() {
                viewer.zoom_by(0.8);
            }
            let shown = viewer.zoom.unwrap_or(viewer.last_fit);
            ui.label(format!("{:.0}%", shown * 100.0));
        });
    });

    let texture = viewer.full.clone().or(match &item.thumb {
        Thumb::Ready(t) => Some(t.clone()),
        _ => None,
    });
    let (area, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let painter = ui.painter_at(area);
    painter.rect_filled(area, 0.0, Color32::from_gray(18));

    let Some(texture) = texture else {
        let text = match &viewer.error {
            Some(e) => format!("Cannot show this image: {e}"),
            None => "Loading…".to_string(),
        };
        painter.text(
            area.center(),
            egui::Align2::CENTER_CENTER,
            text,
            egui::FontId::proportional(18.0),
            Color32::LIGHT_GRAY,
        );
        return;
    };
    // Scale is relative to the original's pixels, whatever size was decoded.
    let natural = item
        .dims
        .map_or(texture.size_vec2(), |(w, h)| Vec2::new(w as f32, h as f32));
    viewer.last_fit = fit(natural, area.shrink(8.0)).width() / natural.x;

    if response.hovered() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = zoom * (scroll / 300.0).exp();
        if (factor - 1.0).abs() > 1e-3 {
            viewer.zoom_by(factor);
        }
    }
    if response.dragged() {
        viewer.offset += response.drag_delta();
    }
    if response.double_clicked() {
        viewer.zoom = None;
        viewer.offset = Vec2::ZERO;
    }
    let scale = viewer.zoom.unwrap_or(viewer.last_fit);
    if viewer.zoom.is_none() {
        viewer.offset = Vec2::ZERO;
    }
    // Zoomed past what was decoded (and the original has more): decode larger, up to full size.
    let needed = natural.max_elem() * scale * ui.ctx().pixels_per_point();
    let have = texture.size_vec2().max_elem();
    let original = natural.max_elem();
    if !viewer.loading && needed > have * 1.05 && original > have {
        actions.push(Action::ViewLarger(
            viewer.key,
            original.min(crate::thumbs::MAX_DIMENSION as f32) as u32,
        ));
    }
    let rect = Rect::from_center_size(area.center() + viewer.offset, natural * scale);
    painter.image(
        texture.id(),
        rect,
        Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
        Color32::WHITE,
    );
    if viewer.loading {
        painter.text(
            area.left_bottom() + Vec2::new(10.0, -10.0),
            egui::Align2::LEFT_BOTTOM,
            "loading full size…",
            egui::FontId::proportional(12.0),
            Color32::GRAY,
        );
    }
}
