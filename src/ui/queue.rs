//! The download queue: one row per URL with its state (queued, progress, retrying, saved,
//! failed with the reason, duplicate, skipped) and a button to remove it. Among thousands of
//! rows, the queue can show only those in progress or only those that failed (also by clicking
//! "N failed" in the status bar), so a failure is found without scrolling for it; above the
//! failed ones, how many failed for each reason.

use std::time::{Duration, Instant};

use egui::{Align, Color32, Layout, RichText};

use super::action::Action;
use super::items::{ItemState, Items};
use crate::format::{count, human_bytes};

/// How often a chosen part of the queue follows rows whose states keep changing.
const REFRESH: Duration = Duration::from_millis(250);

/// Which rows the queue shows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    #[default]
    All,
    /// Waiting, downloading or waiting to retry.
    InProgress,
    Failed,
}

impl Show {
    fn admits(self, state: &ItemState) -> bool {
        match self {
            Show::All => true,
            Show::InProgress => state.is_active(),
            Show::Failed => matches!(state, ItemState::Failed(_)),
        }
    }
}

/// The part of the queue shown, and its rows as last found.
#[derive(Default)]
pub struct QueueView {
    pub show: Show,
    /// What `rows` were found for: the part, the items' version and [`Items::moved`], and when.
    found_for: Option<(Show, u64, u64, Instant)>,
    rows: Vec<usize>,
    /// The failed rows' most frequent reasons and how many each; how many failed otherwise.
    why: (Vec<(String, usize)>, usize),
}

/// Reasons shown above the failed rows; the rest are summed in one line.
const SHOWN_REASONS: usize = 3;

impl QueueView {
    /// Finds the rows of the part shown again when it or the rows changed: when states change,
    /// at most every [`REFRESH`] (10,000 downloads under way change them every frame); at once
    /// when rows were removed, since positions found before would name other items.
    fn update<T>(&mut self, items: &Items<T>) {
        if self.show == Show::All {
            self.found_for = None;
            self.rows = Vec::new();
            return;
        }
        let (version, moved) = (items.version(), items.moved());
        if let Some((show, v, m, at)) = self.found_for
            && show == self.show
            && m == moved
            && (v == version || at.elapsed() < REFRESH)
        {
            return;
        }
        let show = self.show;
        self.rows.clear();
        self.rows.extend(
            items
                .download_rows()
                .iter()
                .copied()
                .filter(|&n| items.get(n).is_some_and(|item| show.admits(&item.state))),
        );
        self.found_for = Some((show, version, moved, Instant::now()));
        if show == Show::Failed {
            let mut tally = crate::tally::Tally::default();
            for item in self.rows.iter().filter_map(|&n| items.get(n)) {
                if let ItemState::Failed(reason) = &item.state {
                    tally.add(reason);
                }
            }
            let (top, rest) = tally.top(SHOWN_REASONS);
            let top = top.into_iter().map(|(r, n)| (r.to_string(), n)).collect();
            self.why = (top, rest);
        }
    }

    fn rows<'a, T>(&'a self, items: &'a Items<T>) -> &'a [usize] {
        match self.show {
            Show::All => items.download_rows(),
            _ => &self.rows,
        }
    }
}

/// The download queue: one row per URL with its state, progress and a remove button; all rows,
/// or those in progress, or those that failed.
pub fn queue_ui<T>(
    ui: &mut egui::Ui,
    items: &Items<T>,
    view: &mut QueueView,
    actions: &mut Vec<Action>,
) {
    let all = items.download_rows().len();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Queue ({})", count(all))).strong());
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let any_done = items.totals().finished > 0;
            if ui
                .add_enabled(any_done, egui::Button::new("Clear"))
                .on_hover_text("Remove failed, cancelled and duplicate rows")
                .clicked()
            {
                actions.push(Action::ClearFinished);
            }
        });
    });
    if all == 0 {
        view.show = Show::All;
        ui.label(RichText::new("Nothing queued yet.").weak());
        return;
    }
    let totals = items.totals();
    ui.horizontal(|ui| {
        let parts = [
            (Show::All, format!("All ({})", count(all))),
            (
                Show::InProgress,
                format!("In progress ({})", count(totals.active)),
            ),
            (Show::Failed, format!("Failed ({})", count(totals.failed))),
        ];
        for (show, text) in parts {
            ui.selectable_value(&mut view.show, show, RichText::new(text).small());
        }
    });
    view.update(items);
    let rows = view.rows(items);
    if rows.is_empty() {
        let text = match view.show {
            Show::Failed => "No download failed.",
            _ => "Nothing in progress.",
        };
        ui.label(RichText::new(text).weak());
        return;
    }
    if view.show == Show::Failed {
        why_ui(ui, &view.why);
    }
    let row_height = 38.0;
    egui::ScrollArea::vertical()
        .id_salt("queue")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for &n in &rows[range] {
                let Some(item) = items.get(n) else { continue };
                queue_row_ui(ui, item, row_height, actions);
            }
        });
}

fn queue_row_ui<T>(
    ui: &mut egui::Ui,
    item: &super::items::Item<T>,
    height: f32,
    actions: &mut Vec<Action>,
) {
    ui.allocate_ui(egui::vec2(ui.available_width(), height), |ui| {
        ui.horizontal(|ui| {
            let (icon, color) = match &item.state {
                ItemState::Saved => ("✔", Color32::from_rgb(80, 170, 90)),
                ItemState::Failed(_) => ("✖", ui.visuals().error_fg_color),
                ItemState::Downloading => ("⬇", ui.visuals().hyperlink_color),
                ItemState::Retrying { .. } => ("🔄", ui.visuals().warn_fg_color),
                ItemState::Duplicate | ItemState::Cancelled | ItemState::Skipped(_) => {
                    ("–", ui.visuals().weak_text_color())
                }
                _ => ("…", ui.visuals().weak_text_color()),
            };
            ui.label(RichText::new(icon).color(color));
            ui.vertical(|ui| {
                // Leave room for the × at the end of the row: it must not cover the name.
                ui.set_max_width((ui.available_width() - 26.0).max(40.0));
                ui.horizontal(|ui| {
                    let name =
                        ui.add(egui::Label::new(RichText::new(&item.name).strong()).truncate());
                    if let Some(url) = &item.url {
                        name.on_hover_text(crate::format::redact_url(url));
                    }
                });
                match &item.state {
                    ItemState::Downloading if item.received == 0 => {
                        ui.label(RichText::new("waiting for the server…").small().weak());
                    }
                    ItemState::Downloading => {
                        let text = match item.total {
                            Some(t) => {
                                format!("{} / {}", human_bytes(item.received), human_bytes(t))
                            }
                            None => human_bytes(item.received),
                        };
                        let fraction = item
                            .total
                            .filter(|&t| t > 0)
                            .map_or(0.0, |t| item.received as f32 / t as f32);
                        ui.add(
                            egui::ProgressBar::new(fraction)
                                .desired_height(12.0)
                                .desired_width(ui.available_width() - 30.0)
                                .text(RichText::new(text).small()),
                        );
                    }
                    ItemState::Failed(reason) => {
                        ui.add(
                            egui::Label::new(
                                RichText::new(format!("failed: {reason}"))
                                    .small()
                                    .color(ui.visuals().error_fg_color),
                            )
                            .truncate(),
                        )
                        .on_hover_text(reason);
                    }
                    ItemState::Saved => {
                        let saved = ui.label(
                            RichText::new(format!("saved · {}", human_bytes(item.received)))
                                .small()
                                .weak(),
                        );
                        if let Some(note) = item.note() {
                            saved.on_hover_text(note);
                            ui.add(egui::Label::new(RichText::new(note).small().weak()).truncate());
                        }
                    }
                    other => {
                        // A note (e.g. "duplicate of cat.jpg: …") says more than the state.
                        let text = item.note().map_or_else(|| other.label(), str::to_owned);
                        match item.same_as() {
                            Some(path) => {
                                let link = ui.add(egui::Link::new(RichText::new(text).small()));
                                if link.on_hover_text("Show that file").clicked() {
                                    actions.push(Action::ViewFile(path.to_path_buf()));
                                }
                            }
                            None => {
                                ui.add(
                                    egui::Label::new(RichText::new(text).small().weak()).truncate(),
                                );
                            }
                        }
                    }
                }
            });
        });
        // At the row's right edge, in the room the name and status lines leave free.
        let remove = egui::Rect::from_min_size(
            egui::pos2(ui.max_rect().right() - 22.0, ui.min_rect().top() + 2.0),
            egui::vec2(20.0, 20.0),
        );
        if ui
            .put(remove, egui::Button::new("×").small().frame(false))
            .on_hover_text(format!("Remove {}", item.name))
            .clicked()
        {
            actions.push(Action::Remove(item.key));
        }
    });
}

/// How many failed for each reason, most frequent first: 2,000 dead links read as "1,500 ×
/// HTTP 404 Not Found" and a paused site, not as a list to scroll through.
fn why_ui(ui: &mut egui::Ui, (top, rest): &(Vec<(String, usize)>, usize)) {
    if top.len() < 2 && *rest == 0 {
        return; // one reason: every row below says it
    }
    let line = |ui: &mut egui::Ui, n: usize, reason: &str| {
        let text = RichText::new(format!("{} × {reason}", count(n))).small();
        ui.add(egui::Label::new(text).truncate());
    };
    for (reason, n) in top {
        line(ui, *n, reason);
    }
    if *rest > 0 {
        line(ui, *rest, "other reasons");
    }
    ui.separator();
}

/// Sites given a line of their own above the queue; the rest share one, so a list over hundreds
/// of sites answering 429 does not push the queue off the screen.
const SHOWN_HOSTS: usize = 4;

/// Hosts that are slowed down or paused, one line each (paused ones first; the first has the
/// one Resume button, which resumes them all), the rest counted in one line that names them on
/// hover.
pub fn hosts_ui(
    ui: &mut egui::Ui,
    hosts: &std::collections::BTreeMap<String, crate::engine::HostState>,
    actions: &mut Vec<Action>,
) {
    if hosts.is_empty() {
        return;
    }
    let is_paused =
        |state: &crate::engine::HostState| matches!(state, crate::engine::HostState::Paused { .. });
    // Paused first: they wait for the user; a slowed-down one recovers on its own.
    let mut lines: Vec<(&String, &crate::engine::HostState)> = hosts.iter().collect();
    lines.sort_by_key(|(_, state)| !is_paused(state));
    let (shown, rest) = lines.split_at(lines.len().min(SHOWN_HOSTS));
    let paused = lines.iter().filter(|(_, state)| is_paused(state)).count();
    let text = if paused > 1 { "Resume all" } else { "Resume" };
    for (n, (host, state)) in shown.iter().enumerate() {
        ui.horizontal(|ui| {
            let color = if is_paused(state) {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().warn_fg_color
            };
            ui.label(RichText::new(state.describe(host)).small().color(color));
            let button = (n == 0 && paused > 0).then(|| ui.small_button(text));
            let hint = "Start downloads from the paused sites again, and retry the failed ones";
            if button.is_some_and(|b| b.on_hover_text(hint).clicked()) {
                actions.push(Action::ResumeHosts);
            }
        });
    }
    if !rest.is_empty() {
        ui.horizontal(|ui| {
            let text = format!(
                "and {} more site{} slowed down or paused",
                count(rest.len()),
                if rest.len() == 1 { "" } else { "s" }
            );
            let line = ui.label(
                RichText::new(text)
                    .small()
                    .color(ui.visuals().warn_fg_color),
            );
            line.on_hover_ui(|ui| {
                for (host, state) in rest.iter().take(30) {
                    ui.label(RichText::new(state.describe(host)).small());
                }
                if rest.len() > 30 {
                    ui.label(RichText::new(format!("… {} more", count(rest.len() - 30))).small());
                }
            });
        });
    }
    ui.separator();
}
