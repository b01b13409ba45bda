//! The window's own code in a headless egui_kittest harness (layout and textures as in the app;
//! no GPU). Shared by the tests (`window.rs`) and the window benchmarks, which include this file
//! by path from `benches/support/window.rs`.

use egui_kittest::Harness;
use magpie::ui::{AppOptions, MagpieApp};

/// The harness's state: the app, made on the first frame (it needs egui's context).
pub type App = Option<MagpieApp>;

/// The window at `size` points on a display of `pixels_per_point` pixels to a point (2 on most
/// HiDPI screens), made on its first frame with `options`.
pub fn harness_scaled(
    options: AppOptions,
    size: egui::Vec2,
    pixels_per_point: f32,
) -> Harness<'static, App> {
    Harness::builder()
        .with_size(size)
        .with_pixels_per_point(pixels_per_point)
        .build_ui_state(
            move |ui, app: &mut App| {
                app.get_or_insert_with(|| MagpieApp::new(ui.ctx(), options.clone()))
                    .show(ui);
            },
            None,
        )
}
