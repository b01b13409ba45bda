//! The Settings panel: edits a copy of the [`Config`] as text fields, checks them, and returns
//! [`Action::SaveSettings`] with the new config; applying and saving happen in `apply.rs`.

use std::path::PathBuf;
use std::time::Duration;

use egui::{Grid, TextEdit};

use super::action::Action;
use crate::config::Config;
use crate::engine::JobInfo;
use crate::store::Template;
use url::Url;

use humantime_serde::re::humantime;

/// The fields being edited, as typed.
#[derive(Debug, Clone)]
pub struct Draft {
    base: Config,
    concurrency: String,
    per_host: String,
    connect_timeout: String,
    stall_timeout: String,
    deadline: String,
    max_attempts: String,
    max_megabytes: String,
    folder: String,
    /// Where images go when the folder is left empty, as shown (`~/Pictures/Magpie`).
    default_folder: String,
    user_agent: String,
    referer: String,
    proxy: String,
    archive: bool,
    keep_duplicates: bool,
    write_metadata: bool,
    remote_time: bool,
    template: String,
    /// Addresses the name preview shows (the queue's first, or the paste box's).
    samples: Vec<Url>,
    thumb_size: f32,
    error: Option<String>,
}

fn duration_text(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Names shown in the preview.
const PREVIEWED: usize = 3;

impl Draft {
    /// A draft of `config`; the name preview shows what `samples` (up to three) would be called,
    /// or an example address when there are none.
    pub fn new(config: &Config, samples: Vec<Url>) -> Self {
        let f = &config.fetch;
        Self {
            base: config.clone(),
            concurrency: f.concurrency.to_string(),
            per_host: f.per_host.to_string(),
            connect_timeout: duration_text(f.connect_timeout),
            stall_timeout: duration_text(f.stall_timeout),
            deadline: duration_text(f.deadline),
            max_attempts: f.max_attempts.to_string(),
            max_megabytes: (f.max_bytes / 1_000_000).to_string(),
            folder: config
                .window
                .folder
                .as_deref()
                .map(crate::home::show)
                .unwrap_or_default(),
            default_folder: crate::home::show(&crate::config::default_output_dir()),
            user_agent: f.user_agent.clone(),
            referer: f.referer.clone(),
            proxy: f.proxy.clone(),
            archive: f.archive,
            keep_duplicates: f.keep_duplicates,
            write_metadata: f.write_metadata,
            remote_time: f.remote_time,
            template: f.template.as_str().to_string(),
            samples: if samples.is_empty() {
                Url::parse("https://images.example.org/photos/cat.jpg")
                    .into_iter()
                    .collect()
            } else {
                samples.into_iter().take(PREVIEWED).collect()
            },
            thumb_size: config.window.thumb_size,
            error: None,
        }
    }

    /// The config the fields describe, or what is wrong with them.
    fn parse(&self) -> Result<Config, String> {
        fn count(name: &str, text: &str, max: u64) -> Result<u64, String> {
            match text.trim().parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(format!("{name}: a whole number from 1 to {max}")),
            }
        }
        fn duration(name: &str, text: &str) -> Result<Duration, String> {
            humantime::parse_duration(text.trim())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("{name}: a duration such as \"30s\" or \"2m\""))
        }
        let mut c = self.base.clone();
        c.fetch.concurrency = count("Downloads at once", &self.concurrency, 1024)? as usize;
        c.fetch.per_host = count("Per host", &self.per_host, 1024)? as usize;
        c.fetch.connect_timeout = duration("Connect timeout", &self.connect_timeout)?;
        c.fetch.stall_timeout = duration("Stall timeout", &self.stall_timeout)?;
        c.fetch.deadline = duration("Time limit per file", &self.deadline)?;
        c.fetch.max_attempts = count("Attempts per file", &self.max_attempts, 100)? as u32;
        c.fetch.max_bytes = count("Largest file (MB)", &self.max_megabytes, 100_000)? * 1_000_000;
        c.fetch.user_agent = match self.user_agent.trim() {
            "" => "magpie".to_string(),
            ua => ua.to_string(),
        };
        crate::engine::net::Referer::parse(&self.referer).map_err(|e| format!("Referer: {e}"))?;
        c.fetch.referer = match self.referer.trim() {
            "" => "none".to_string(),
            r => r.to_string(),
        };
        let proxy = self.proxy.trim();
        if !proxy.is_empty() {
            reqwest::Proxy::all(proxy).map_err(|e| format!("Proxy: {e}"))?;
        }
        c.fetch.proxy = proxy.to_string();
        c.fetch.archive = self.archive;
        c.fetch.keep_duplicates = self.keep_duplicates;
        c.fetch.write_metadata = self.write_metadata;
        c.fetch.remote_time = self.remote_time;
        c.fetch.template =
            Template::parse(self.template.trim()).map_err(|e| format!("File names: {e}"))?;
        let folder = self.folder.trim();
        c.window.folder = (!folder.is_empty()).then(|| PathBuf::from(folder));
        c.window.thumb_size = self.thumb_size;
        Ok(c)
    }
}

/// What the first addresses would be called with the template as typed, or what is wrong with it.
fn name_preview(ui: &mut egui::Ui, draft: &Draft) {
    match Template::parse(draft.template.trim()) {
        Ok(template) => {
            let of = draft.samples.len() as u64;
            let names: Vec<String> = draft
                .samples
                .iter()
                .enumerate()
                .map(|(i, url)| {
                    let info = JobInfo {
                        index: Some((i as u64 + 1, of)),
                        ..JobInfo::default()
                    };
                    crate::engine::preview_name(&template, url, &info)
                })
                .collect();
            ui.weak(format!("Saved as: {}", names.join(", ")))
                .on_hover_text("What the first addresses would be called");
        }
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e.to_string());
        }
    }
}

/// The Settings window; Save returns the new config as an action.
pub fn settings_ui(ctx: &egui::Context, draft: &mut Draft, actions: &mut Vec<Action>) {
    let mut open = true;
    egui::Window::new("Settings")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            Grid::new("settings_grid")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    for (label, text, help) in [
                        (
                            "Downloads at once",
                            &mut draft.concurrency,
                            "Downloads running at the same time, all servers together",
                        ),
                        (
                            "Per host",
                            &mut draft.per_host,
                            "Downloads running at the same time from one server",
                        ),
                        (
                            "Connect timeout",
                            &mut draft.connect_timeout,
                            "How long to wait for a server to answer, e.g. 15s",
                        ),
                        (
                            "Stall timeout",
                            &mut draft.stall_timeout,
                            "Give up an attempt when no data arrives for this long, e.g. 30s",
                        ),
                        (
                            "Time limit per file",
                            &mut draft.deadline,
                            "Longest time for one file, retries included, e.g. 10m",
                        ),
                        (
                            "Attempts per file",
                            &mut draft.max_attempts,
                            "Tries for one file (the first included) on network errors and 5xx",
                        ),
                        (
                            "Largest file (MB)",
                            &mut draft.max_megabytes,
                            "Bigger downloads are stopped and not saved",
                        ),
                        (
                            "Default folder",
                            &mut draft.folder,
                            "Where images go when Magpie starts; empty: Pictures/Magpie",
                        ),
                        (
                            "User-Agent",
                            &mut draft.user_agent,
                            "magpie (Magpie's own), browser (a current Firefox), or the exact text",
                        ),
                        (
                            "Referer",
                            &mut draft.referer,
                            "none, origin (the image's own site) or a URL; per-site values go \
                             in the settings file's [hosts] tables",
                        ),
                        (
                            "Proxy",
                            &mut draft.proxy,
                            "e.g. http://proxy:3128 or socks5h://127.0.0.1:1080; empty: the \
                             system's (HTTPS_PROXY, ALL_PROXY, NO_PROXY)",
                        ),
                    ] {
                        // An empty box says what empty means.
                        let hint = match label {
                            "Default folder" => draft.default_folder.as_str(),
                            "Proxy" => "the system's",
                            _ => "",
                        };
                        let l = ui.label(label).on_hover_text(help);
                        ui.add(
                            TextEdit::singleline(text)
                                .desired_width(260.0)
                                .hint_text(hint),
                        )
                        .labelled_by(l.id)
                        .on_hover_text(help);
                        ui.end_row();
                    }
                    ui.label("");
                    ui.checkbox(&mut draft.archive, "Skip images this folder had before")
                        .on_hover_text(
                            "A URL saved into this folder once is not fetched again, even if \
                             the file was deleted or moved since",
                        );
                    ui.end_row();
                    ui.label("");
                    ui.checkbox(&mut draft.keep_duplicates, "Keep identical copies")
                        .on_hover_text(
                            "Off: an image whose bytes are already in the folder is not saved \
                             again; the queue says which file it duplicates",
                        );
                    ui.end_row();
                    ui.label("");
                    ui.checkbox(
                        &mut draft.write_metadata,
                        "Write NAME.json beside each image",
                    )
                    .on_hover_text(
                        "Where it came from (URL, page), when, its size, dimensions, \
                             SHA-256 and the server's Last-Modified",
                    );
                    ui.end_row();
                    ui.label("");
                    ui.checkbox(&mut draft.remote_time, "Keep the server's file times")
                        .on_hover_text("A file's modification time is the server's Last-Modified");
                    ui.end_row();
                    let help = "{name} {ext} {host} {index} {date} {hash8} {page_title}; / makes \
                                a subfolder, e.g. {host}/{name}.{ext}";
                    let l = ui.label("File names").on_hover_text(help);
                    ui.add(TextEdit::singleline(&mut draft.template).desired_width(260.0))
                        .labelled_by(l.id)
                        .on_hover_text(help);
                    ui.end_row();
                    ui.label("");
                    name_preview(ui, draft);
                    ui.end_row();
                    let l = ui.label("Thumbnail size");
                    ui.add(egui::Slider::new(&mut draft.thumb_size, 96.0..=320.0).suffix(" px"))
                        .labelled_by(l.id);
                    ui.end_row();
                });
            if let Some(e) = &draft.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    match draft.parse() {
                        Ok(config) => actions.push(Action::SaveSettings(Box::new(config))),
                        Err(e) => draft.error = Some(e),
                    }
                }
                if ui.button("Cancel").clicked() {
                    actions.push(Action::ToggleSettings);
                }
                ui.weak("New downloads use the new limits.");
            });
        });
    if !open {
        actions.push(Action::ToggleSettings);
    }
}
