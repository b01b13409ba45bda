//! The integration tests, as one test binary: each file below used to be its own, and each linked
//! the whole app (egui, wgpu, reqwest) again, 70–145 MB and a link step apiece. Tests still run
//! two at a time, as they did within each binary. `tests/background.rs` stays apart: it looks at
//! every thread of its process, so no other test may be starting threads meanwhile.
//!
//! Run one file's tests with `cargo test --test suite window::`.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod support;

mod cli;
mod collections;
mod engine;
mod folders;
mod hostile;
mod thumbs;
mod web;
mod window;
