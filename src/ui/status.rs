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
    title_set: Option<Instant>,
    /// How many downloads of the batch had ended, and since when.
    last_done: Option<(usize, Instant)>,
}

/// How often a changing title is set.
const TITLE_EVERY: Duration = Duration::from_millis(250);

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

    /// Time left at the pace of this batch so far, at `now`. None once nothing has ended for
    /// longer than that: the downloads left are waiting on something (sites that do not
    /// answer), and "<1s" while they wait out their timeouts would be wrong.
    pub fn eta<T>(&mut self, items: &Items<T>, totals: &Totals, now: Instant) -> Option<Duration> {
        let started = items.batch_started?;
        let done = totals.saved + totals.failed;
        if totals.active == 0 || done == 0 {
            return None;
        }
        let since = match self.last_done {
            Some((n, at)) if n == done => at,
            _ => {
                self.last_done = Some((done, now));
                now
            }
        };
        let per_item = now.saturating_duration_since(started).as_secs_f64() / done as f64;
        let left = Duration::from_secs_f64(per_item * totals.active as f64);
        let quiet = now.saturating_duration_since(since);
        (quiet <= left.max(Duration::from_secs(2))).then_some(left)
    }

    /// Sets the window title when it changes (a running count at most every [`TITLE_EVERY`]).
    pub fn update_title<T>(
        &mut self,
        ctx: &egui::Context,
        items: &Items<T>,
        paused: bool,
        now: Instant,
    ) {
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
        // Setting the title asks for two frames at once, and while downloads finish it changes
        // with each one: a hundred a second would hold the window at the display's full rate.
        // So a running count is set a few times a second (the pump repaints that often while
        // downloads run), and the end of a batch at once.
        let due = t.active == 0
            || self
                .title_set
                .is_none_or(|at| now.saturating_duration_since(at) >= TITLE_EVERY);
        if title != self.title && due {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
            self.title_set = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Event, JobId};
    use crate::ui::items::Place;

    /// The titles `update_title` set in one frame at `now`.
    fn titles(status: &mut Status, items: &Items<()>, now: Instant) -> Vec<String> {
        let ctx = egui::Context::default();
        let mut out = ctx.run_ui(Default::default(), |ui| {
            status.update_title(ui.ctx(), items, false, now);
        });
        out.textures_delta.clear(); // no renderer here to take the font atlas
        (out.viewport_output.values())
            .flat_map(|v| &v.commands)
            .filter_map(|c| match c {
                egui::ViewportCommand::Title(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_running_count_is_set_a_few_times_a_second_and_the_end_at_once() {
        let mut items: Items<()> = Items::default();
        for n in 1..=3 {
            let url = url::Url::parse(&format!("https://example.com/{n}.jpg")).unwrap();
            items.add_download(url, JobId(n), None, Place::new(1, n as u32));
        }
        items.refresh();
        let mut status = Status::default();
        let t0 = Instant::now();
        assert_eq!(titles(&mut status, &items, t0), ["Magpie — 0/3 downloaded"]);

        let saved = |items: &mut Items<()>, n| {
            let saved = crate::engine::Saved {
                path: format!("/pics/{n}.jpg").into(),
                bytes: 10,
                format: crate::store::Kind::Raster(image::ImageFormat::Jpeg),
                note: None,
                duplicate: false,
            };
            items.apply(Event::Saved {
                id: JobId(n),
                saved,
            });
            items.refresh();
        };
        saved(&mut items, 1);
        // Each download's end is not a frame of its own...
        assert!(titles(&mut status, &items, t0 + Duration::from_millis(40)).is_empty());
        // ...the count catches up within a quarter of a second.
        assert_eq!(
            titles(&mut status, &items, t0 + TITLE_EVERY),
            ["Magpie — 1/3 downloaded"]
        );
        saved(&mut items, 2);
        saved(&mut items, 3);
        // The batch's end is shown at once.
        assert_eq!(
            titles(
                &mut status,
                &items,
                t0 + TITLE_EVERY + Duration::from_millis(1)
            ),
            ["Magpie — 3 images"]
        );
    }

    #[test]
    fn no_eta_while_the_last_downloads_wait_on_sites_that_do_not_answer() {
        let mut items: Items<()> = Items::default();
        items.start_batch();
        for n in 1..=40 {
            let url = url::Url::parse(&format!("https://example.com/{n}.jpg")).unwrap();
            items.add_download(url, JobId(n), None, Place::new(1, n as u32));
        }
        items.refresh();
        let t0 = items.batch_started.unwrap();
        for n in 1..=38 {
            items.apply(Event::Failed {
                id: JobId(n),
                error: crate::engine::FetchError::UnknownHost,
            });
        }
        items.refresh();
        let mut status = Status::default();
        let totals = items.totals();
        let at = |s| t0 + Duration::from_secs(s);
        // 38 ended in 4 s: the last 2 at that pace.
        let eta = status.eta(&items, &totals, at(4)).unwrap();
        assert!(eta < Duration::from_secs(1), "{eta:?}");
        // Still nothing more after 20 s: no estimate.
        assert_eq!(status.eta(&items, &totals, at(24)), None);
    }
}
