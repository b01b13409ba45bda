//! Driving the window in tests as a person would: by labels, typing, pasting and clicking.

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use magpie::config::Config;
use magpie::ui::{AppOptions, MagpieApp};

use super::fast_settings;
pub use super::harness::{App, harness_scaled};

pub fn harness(options: AppOptions) -> Harness<'static, App> {
    harness_sized(options, egui::vec2(1280.0, 900.0))
}

/// A window of `size`.
pub fn harness_sized(options: AppOptions, size: egui::Vec2) -> Harness<'static, App> {
    harness_scaled(options, size, 1.0)
}

/// A window on `dir` that saves its settings to `config`, stepped until the folder is open.
pub fn opened_on(dir: &Path, config: &Path) -> Harness<'static, App> {
    let mut h = harness(AppOptions {
        out_dir: Some(dir.to_path_buf()),
        config_path: Some(config.to_path_buf()),
        ..AppOptions::default()
    });
    step_until(&mut h, "the folder opened", |h| {
        h.query_by_label_contains("Opening the folder").is_none()
    });
    h
}

pub fn options(dir: &Path) -> AppOptions {
    AppOptions {
        out_dir: Some(dir.to_path_buf()),
        config: Config {
            fetch: fast_settings(),
            ..Config::default()
        },
        ..AppOptions::default()
    }
}

pub fn app<'h>(h: &'h Harness<'_, App>) -> &'h MagpieApp {
    h.state().as_ref().expect("app created on the first frame")
}

/// Steps frames until `done` holds (the engine and decoders work on their own threads).
pub fn step_until(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&Harness<'_, App>) -> bool) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn thumbnails_shown(h: &Harness<'_, App>) -> usize {
    h.query_all_by_label_contains(", image ").count()
}

/// The names of the gallery's tiles with a thumbnail, in the order a reader meets them.
pub fn tile_names(h: &Harness<'_, App>) -> Vec<String> {
    h.query_all_by_label_contains(", image ")
        .filter_map(|n| n.accesskit_node().label())
        .filter_map(|l| l.split(", image ").next().map(str::to_owned))
        .collect()
}

pub fn paste_urls(h: &mut Harness<'_, App>, text: &str) {
    h.get_by_label("Image URLs").focus();
    h.step();
    h.event(egui::Event::Paste(text.to_string()));
    h.step();
}

/// Replaces the text of the box labelled `label`, as a person would: click, select all, type.
pub fn retype(h: &mut Harness<'_, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}
