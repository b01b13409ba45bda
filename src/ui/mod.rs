//! The desktop window (eframe/egui).

use std::path::PathBuf;
use std::process::ExitCode;

/// Opens the window.
pub fn run(_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the window is not built yet; use `magpie fetch --help`")
}
