//! The status bar's figures and the window title: download speed over the last few seconds, the
//! ETA of the current batch, and "Magpie — 12/40 downloaded".

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::items::{Items, Totals};
use crate::format::count;

/// Speed samples and the title last set.
#[derive(Default)]
pub struct Status {
    speed: VecDeque<(Instant, u64)>,
    bytes_seen: u64,
    title: String,
}

impl Status {
    /// Counts bytes that arrived this frame.
    pub fn add_bytes(&mut self, new: u64) {
        self.bytes_seen += new;
        let now = Instant::now();
        self.speed.push_back((now, self.bytes_seen));
        while self
            .speed
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(3))
        {
            self.speed.pop_front();
        }
    }

    /// Bytes per second over the last few seconds.
    pub fn speed(&self) -> f64 {
        match (self.speed.front(), self.speed.back()) {
            (Some((t0, b0)), Some((t1, b1))) if t1 > t0 => {
                (b1 - b0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Time left at the pace of this batch so far.
    pub fn eta<T>(&self, items: &Items<T>, totals: &Totals) -> Option<Duration> {
        let started = items.batch_started?;
        let done = totals.saved + totals.failed;
        if totals.active == 0 || done == 0 {
            return None;
        }
        let per_item = started.elapsed().as_secs_f64() / done as f64;
        Some(Duration::from_secs_f64(per_item * totals.active as f64))
    }

    /// Sets the window title when it changes.
    pub fn update_title<T>(&mut self, ctx: &egui::Context, items: &Items<T>, paused: bool) {
        let t = items.totals();
        let title = if t.active > 0 {
            format!(
                "Magpie — {}/{} downloaded{}",
                count(t.saved + t.failed),
                count(t.downloads),
                if paused { " (paused)" } else { "" }
            )
        } else {
            let images = t.saved + t.in_folder;
            format!(
                "Magpie — {} image{}{}",
                count(images),
                if images == 1 { "" } else { "s" },
                if t.failed > 0 {
                    format!(", {} failed", count(t.failed))
                } else {
                    String::new()
                }
            )
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }
}
