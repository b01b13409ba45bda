//! Magpie: a fast, trustworthy image fetcher and gallery.
//!
//! A tour of the crate, in the order data flows through it (docs/ARCHITECTURE.md has the picture
//! and who owns what):
//! - [`config`]: the one [`config::Config`] (`[fetch]`, `[window]`, `[hosts]`), read from and saved
//!   to a TOML file; CLI flags override it, the window's Settings panel edits it.
//! - [`urls`]: pasted text, list files and HTML pages in; validated, de-duplicated http(s) URLs and
//!   rejected lines (with line numbers and reasons) out.
//! - [`engine`]: downloads on a tokio runtime of its own thread, and the owner of output folders:
//!   front ends send [`engine::Command`]s (`OpenFolder`, `Submit { dir, .. }`, …) and drain
//!   [`engine::Event`]s; they never touch the network, a folder's journal or its lock themselves.
//! - [`store`]: streams bodies into `.part` files in the output folder, checks they are whole
//!   images, and gives them safe, never-overwriting final names.
//! - [`journal`]: the format of the append-only record per output folder of what was queued,
//!   saved or failed, which the engine replays to resume a killed run and to show the history.
//! - [`thumbs`]: a pool that decodes saved images for tiles, the viewer and the clipboard, by
//!   priority, under size limits.
//! - [`ui`]: the eframe/egui window; draws view state and turns clicks into commands.
//! - [`cli`]: the headless `magpie fetch` front end (progress bar, summary, JSON lines, exit codes).
//! - [`home`]: `~` for the home folder, in the folders people type and the paths they read.
//! - [`format`]: sizes, durations and URLs in words (secrets masked, control characters shown);
//!   [`tally`]: failures counted by reason, for the CLI's summary and the window's queue.
//! - [`private`]: journals and the config are private files (0600 in 0700 folders).
//! - [`open_files`]: the soft limit on open files raised at start, for lists over thousands of
//!   sites.
//! - [`background`]: the engine's, disk and thumbnail threads run as batch work (Linux
//!   `SCHED_BATCH`), so their wake-ups never preempt the UI thread.

pub mod background;
pub mod cli;
pub mod config;
pub mod engine;
pub mod format;
pub mod home;
pub mod journal;
pub mod open_files;
pub mod private;
pub mod store;
pub mod tally;
pub mod thumbs;
pub mod ui;
pub mod urls;
