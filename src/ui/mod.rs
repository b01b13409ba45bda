//! The desktop window (eframe/egui): paste or drop URLs, pick a folder, watch downloads, browse.
//!
//! The rooms, in the order a frame visits them:
//! - `app.rs`: [`MagpieApp`], the window's state, and the frame: poll, draw, apply.
//! - `pump.rs`: drains what the engine, the thumbnail workers and background threads reported.
//! - `folder.rs`: the output folder as the window sees it (opening, open, failed), what its
//!   history restores, and what other programs change in it (`watch.rs` follows it).
//! - views: `panels.rs` (folder bar, URL box, status bar, notices, dialogs), `queue.rs`,
//!   `gallery.rs` (its tiles in `tile.rs`), `viewer.rs`, `settings_panel.rs`: `*_ui` functions
//!   that draw and return [`action::Action`]s, doing no work themselves; `filter.rs`: which
//!   tiles the gallery and the viewer's previous/next show; `selection.rs`: the tile chosen
//!   with the keyboard and the tiles selected to act on together.
//! - `apply.rs`: the one place actions are carried out; `adding.rs`: rows joining a slice per
//!   frame (lists, a folder's images and history), so no list or folder stalls a frame;
//!   `paste.rs`: dropped files and pastes too large for the URL box.
//! - `textures.rs`: thumbnail requests and textures (only tiles near the screen hold one);
//!   `status.rs`: speed, ETA and the title.
//! - `items/`: the model (one item per download or file); `platform.rs`: dialogs, folder
//!   scans and list reading on short-lived threads.
//!
//! No network, disk or decode work runs on the UI thread.

mod action;
mod adding;
mod app;
mod apply;
mod filter;
mod folder;
mod gallery;
pub mod items;
mod page_list;
mod panels;
mod paste;
pub mod platform;
mod pump;
mod queue;
mod selection;
mod settings_panel;
mod status;
mod textures;
mod tile;
mod viewer;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

pub use action::{Action, Notice};
pub use app::{AppOptions, MagpieApp};
pub use textures::{TEXTURE_BUDGET, TEXTURE_BYTES};

/// Opens the window on `dir` (else the configured folder), with the config at `config_path`
/// (else the default one).
pub fn run(dir: Option<PathBuf>, config_path: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).ok();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Magpie")
        .with_app_id("magpie")
        .with_inner_size([1180.0, 760.0])
        .with_min_inner_size([640.0, 420.0]);
    if let Some(icon) = icon {
        viewport = viewport.with_icon(icon);
    }
    // eframe remembers the window's size and position; everything else is in the config.
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let mut app_options = AppOptions::load(config_path.or_else(crate::config::default_path));
    app_options.out_dir = dir;
    app_options.journal_dir = crate::config::journal_dir();
    eframe::run_native(
        "Magpie",
        options,
        Box::new(move |cc| Ok(Box::new(MagpieApp::new(&cc.egui_ctx, app_options)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
