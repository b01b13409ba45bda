//! Shared by the window benchmarks: the window's own code, headless through egui_kittest (layout
//! and textures as in the app; no GPU), and what they measure of it.

use egui_kittest::Harness;
use magpie::ui::{AppOptions, MagpieApp};

#[path = "../../tests/suite/support/harness.rs"]
mod harness;
#[allow(unused_imports)] // each bench uses what it needs
pub use harness::{App, harness_scaled};

/// The window at `size` points, made on its first frame with `options`.
#[allow(dead_code)]
pub fn harness(options: AppOptions, size: egui::Vec2) -> Harness<'static, App> {
    harness_scaled(options, size, 1.0)
}

#[allow(dead_code)]
pub fn app<'h>(h: &'h Harness<'_, App>) -> &'h MagpieApp {
    h.state().as_ref().expect("app made on the first frame")
}

/// A wheel turn of `dy` points over where the pointer is.
#[allow(dead_code)]
pub fn wheel(h: &mut Harness<'_, App>, dy: f32) {
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
}

/// CPU time this thread has used (ns): what a frame costs the UI thread.
#[allow(dead_code)]
pub fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}
