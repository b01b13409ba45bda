//! Magpie: a fast, trustworthy image fetcher and gallery.
//!
//! A tour of the crate, in the order data flows through it:
//! - [`urls`]: pasted text, list files and HTML pages in; validated, de-duplicated http(s) URLs and
//!   rejected lines (with line numbers and reasons) out.
//! - [`engine`]: downloads on a tokio runtime of its own thread. Front ends send [`engine::Command`]s
//!   and drain [`engine::Event`]s; they never touch the network themselves.
//! - [`store`]: streams bodies into `.part` files in the output folder, checks they are images, and
//!   gives them safe, never-overwriting final names.
//! - [`journal`]: an append-only record per output folder of what was queued, saved or failed, so a
//!   killed run can be resumed (`magpie fetch --resume`) and the window can show the history.
//! - [`settings`]: the limits and timeouts shared by the window and the CLI.
//! - [`thumbs`]: decodes saved images into thumbnails on worker threads, under size limits.
//! - [`ui`]: the eframe/egui window; draws view state and turns clicks into commands.
//! - [`cli`]: the headless `magpie fetch` front end (progress bar, summary, JSON lines, exit codes).

pub mod cli;
pub mod config;
pub mod engine;
pub mod format;
pub mod journal;
pub mod store;
pub mod thumbs;
pub mod ui;
pub mod urls;
