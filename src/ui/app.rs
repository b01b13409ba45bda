//! The window's state and its frame: drain what arrived, draw the panels (which return actions),
//! then apply the actions. Everything the window holds is view state; downloads, folders and
//! journals belong to the engine, decoding to the thumbnail pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use egui::{Key, Modifiers, TextureHandle};

use super::action::{Action, Notice};
use super::folder::Folder;
use super::items::{Items, Thumb};
use super::platform::{Background, BackgroundError};
use super::settings_panel::{self, Draft};
use super::status::Status;
use super::textures::Textures;
use super::{gallery, page_list, panels, queue, viewer};
use crate::config::Config;
use crate::engine::Engine;
use crate::thumbs::{ThumbCache, Thumbnailer};
use crate::urls::UrlList;

/// The longest a download's or a thumbnail's news waits to be drawn: about 30 frames a second
/// while they stream in. Input (scrolling, typing) is still drawn at the display's rate.
const EVENT_FRAME: std::time::Duration = std::time::Duration::from_millis(33);

/// How the window starts.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Folder to open on (else the configured one, else Pictures/Magpie).
    pub out_dir: Option<PathBuf>,
    /// Where settings are saved; `None` keeps nothing.
    pub config_path: Option<PathBuf>,
    /// The settings to start with.
    pub config: Config,
    /// What was wrong with the config file, shown once.
    pub config_warnings: Vec<String>,
    /// Where folder journals live (crash safety and history); `None` keeps none.
    pub journal_dir: Option<PathBuf>,
    /// The shared thumbnail cache (freedesktop); `None` decodes every tile each time.
    pub thumb_cache: Option<ThumbCache>,
    /// Files deleted in the gallery go to the desktop's trash; `false` (the default, like the
    /// `None`s above: nothing of the user's is touched) deletes them for good.
    pub trash: bool,
}

impl AppOptions {
    /// Options with the config read from `config_path` (a missing file gives the defaults).
    pub fn load(config_path: Option<PathBuf>) -> Self {
        let loaded = config_path.as_deref().map(Config::load).unwrap_or_default();
        Self {
            out_dir: None,
            config_path,
            config: loaded.config,
            config_warnings: loaded.warnings,
            journal_dir: None,
            thumb_cache: ThumbCache::user(),
            trash: true,
        }
    }
}

/// The application.
pub struct MagpieApp {
    pub(super) ctx: egui::Context,
    pub(super) engine: Option<Engine>,
    pub(super) thumbs: Thumbnailer,
    pub(super) textures: Textures,
    pub(super) items: Items<TextureHandle>,
    pub(super) input: String,
    pub(super) preflight: Option<(String, UrlList)>,
    /// Pastes too large for the text box, parsed off this thread.
    pub(super) pasted: super::paste::LargePaste,
    pub(super) folder: Folder,
    pub(super) config: Config,
    pub(super) config_path: Option<PathBuf>,
    /// The thumbnail size last written to the config (the slider saves when let go).
    pub(super) saved_thumb_size: f32,
    pub(super) notice: Option<Notice>,
    pub(super) paused: bool,
    pub(super) viewer: Option<viewer::Viewer>,
    /// The gallery's filter (the viewer's previous/next follow it) and keyboard choice.
    pub(super) gallery: gallery::Gallery,
    /// The part of the download queue shown (all, in progress, failed).
    pub(super) queue: queue::QueueView,
    /// Gallery tiles drawn in the last frame.
    pub(super) on_screen: Vec<u64>,
    pub(super) help_open: bool,
    /// Hosts not at their usual pace (waiting after a 429/503, or paused), by host:port.
    pub(super) hosts: std::collections::BTreeMap<String, crate::engine::HostState>,
    /// The images of a web page, to choose from.
    pub(super) page_list: Option<page_list::PageList>,
    pub(super) settings: Option<Draft>,
    /// Files to delete once the user says so.
    pub(super) confirm_delete: Option<Vec<u64>>,
    /// Deleted files go to the trash (see [`AppOptions::trash`]).
    pub(super) trash: bool,
    pub(super) dialog_open: bool,
    pub(super) bg_tx: Sender<Background>,
    pub(super) bg_rx: Receiver<Background>,
    pub(super) status: Status,
    /// Lists still joining the queue, a slice per frame.
    pub(super) pending: super::adding::Pending,
}

impl eframe::App for MagpieApp {
    /// Called every frame, and alone while the window is minimized: events are taken in even
    /// when nothing is drawn, so they never pile up.
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }
}

impl MagpieApp {
    /// Creates the app: starts the engine and the thumbnail workers, and asks the engine to open
    /// the folder (which happens off this thread).
    pub fn new(ctx: &egui::Context, options: AppOptions) -> Self {
        let config = options.config;
        let dir = options
            .out_dir
            .unwrap_or_else(|| config.window.folder_or_default());
        let repaint = ctx.clone();
        // Downloads report hundreds of times a second: drawn at most every EVENT_FRAME, not at
        // the display's rate (60–144 frames a second, each repaint asked for giving two).
        let waker: crate::engine::Waker =
            Arc::new(move || repaint.request_repaint_after(EVENT_FRAME));
        let engine = Engine::start_journaled(
            config.fetch_settings(),
            options.journal_dir,
            Some(waker.clone()),
        );
        let (rules, rule_warnings) =
            crate::engine::net::RequestRules::new(&config.fetch_settings());
        let insecure = rules.insecure_hosts();
        let mut notice = options
            .config_warnings
            .iter()
            .chain(rule_warnings.iter())
            .next()
            .map(|w| Notice {
                text: format!("Settings: {w}"),
                error: true,
            })
            .or_else(|| {
                (!insecure.is_empty()).then(|| Notice {
                    text: format!(
                        "Certificates are not checked for {} (accept_invalid_certs in the \
                         settings file): anyone on the network could pose as {}.",
                        insecure.join(", "),
                        if insecure.len() == 1 { "it" } else { "them" }
                    ),
                    error: true,
                })
            });
        let engine = match engine {
            Ok(e) => Some(e),
            Err(e) => {
                notice = Some(Notice {
                    text: format!("Downloads are unavailable: {e}"),
                    error: true,
                });
                None
            }
        };
        let (bg_tx, bg_rx) = std::sync::mpsc::channel();
        let mut app = Self {
            ctx: ctx.clone(),
            engine,
            thumbs: Thumbnailer::start(
                Thumbnailer::default_threads(),
                waker,
                options.thumb_cache.clone(),
            ),
            textures: Textures::default(),
            items: Items::default(),
            input: String::new(),
            preflight: None,
            pasted: Default::default(),
            folder: Folder::new(dir.clone()),
            saved_thumb_size: config.window.thumb_size,
            config,
            config_path: options.config_path,
            notice,
            paused: false,
            viewer: None,
            gallery: gallery::Gallery::default(),
            queue: queue::QueueView::default(),
            on_screen: Vec::new(),
            help_open: false,
            page_list: None,
            hosts: std::collections::BTreeMap::new(),
            settings: None,
            confirm_delete: None,
            trash: options.trash,
            dialog_open: false,
            bg_tx,
            bg_rx,
            status: Status::default(),
            pending: super::adding::Pending::default(),
        };
        app.use_folder(dir, false);
        app
    }

    /// The folder downloads go into (absolute once the engine has opened it).
    pub fn out_dir(&self) -> &Path {
        &self.folder.dir
    }

    /// The items shown (for tests and the title).
    pub fn items(&self) -> &Items<TextureHandle> {
        &self.items
    }

    /// Gallery tiles on screen in the last frame, and how many of them show their thumbnail
    /// (or why there is none).
    pub fn tiles_on_screen(&self) -> (usize, usize) {
        let done = self
            .on_screen
            .iter()
            .filter_map(|&k| self.items.index_of_key(k).and_then(|i| self.items.get(i)))
            .filter(|i| {
                matches!(
                    i.thumb,
                    Thumb::Ready(_) | Thumb::Failed(_) | Thumb::NoPreview(_)
                )
            })
            .count();
        (done, self.on_screen.len())
    }

    /// How many thumbnail textures are held (for tests and diagnostics).
    pub fn thumbnails_loaded(&self) -> usize {
        self.items
            .as_slice()
            .iter()
            .filter(|i| matches!(i.thumb, Thumb::Ready(_)))
            .count()
    }

    /// The thumbnail texture the tile named `name` shows, if it shows one.
    fn thumbnail_of(&self, name: &str) -> Option<&TextureHandle> {
        let item = self.items.as_slice().iter().find(|i| i.name == name)?;
        match &item.thumb {
            Thumb::Ready(texture) => Some(texture),
            _ => None,
        }
    }

    /// The size in pixels of the thumbnail texture the tile named `name` shows, if it shows one
    /// (for tests and diagnostics).
    pub fn thumbnail_pixels(&self, name: &str) -> Option<[usize; 2]> {
        self.thumbnail_of(name).map(TextureHandle::size)
    }

    /// The texture the tile named `name` shows, if it shows one: a new one means it was
    /// decoded again (for tests and diagnostics).
    pub fn thumbnail_texture(&self, name: &str) -> Option<egui::TextureId> {
        self.thumbnail_of(name).map(TextureHandle::id)
    }

    /// The notice shown, if any.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// The settings in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Takes in what the engine, the decoders and background threads reported, without drawing.
    pub fn drain(&mut self) {
        self.poll();
        if !self.pending.is_empty() {
            self.add_pending();
        }
        self.admit_newcomers();
    }

    /// One whole frame: take in what arrived, then draw into `ui` (the whole window).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.drain();
        self.draw(ui);
    }

    /// Draws the window and carries out what the user asked for.
    fn draw(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut actions = Vec::new();
        self.items.refresh();
        (self.gallery.filter).update(&self.items, &self.folder.dir);
        self.take_large_paste(&ctx);
        self.take_dropped_files(&ctx);
        self.shortcuts(&ctx, &mut actions);

        let totals = self.items.totals();
        let folder_status = self.folder.status_line();
        egui::Panel::top("folder_bar").show(ui, |ui| {
            panels::folder_bar_ui(
                ui,
                &mut self.folder.text,
                &self.folder.dir,
                folder_status,
                self.dialog_open,
                &mut actions,
            );
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let speed = self.status.speed();
            let eta = (self.status).eta(&self.items, &totals, std::time::Instant::now());
            let waiting = self.pending.remaining();
            panels::status_ui(ui, &totals, waiting, speed, eta, self.paused, &mut actions);
        });
        egui::Panel::left("input_panel")
            .resizable(true)
            .default_size(380.0)
            .size_range(280.0..=640.0)
            .show(ui, |ui| {
                panels::input_ui(
                    ui,
                    &mut self.input,
                    &mut self.preflight,
                    self.pasted.shown(),
                    &mut actions,
                );
                ui.separator();
                queue::hosts_ui(ui, &self.hosts, &mut actions);
                queue::queue_ui(ui, &self.items, &mut self.queue, &mut actions);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(notice) = &self.notice
                && panels::notice_ui(ui, notice)
            {
                self.notice = None;
            }
            if let Some(v) = &mut self.viewer {
                let shown = self.gallery.filter.shown(&self.items);
                viewer::viewer_ui(ui, v, &self.items, shown, &mut actions);
            } else {
                // Enter and Delete are a dialog's while one is open, not the gallery's; and a
                // menu's (Esc closes it rather than letting the selected tiles go).
                self.gallery.covered = self.settings.is_some()
                    || self.page_list.is_some()
                    || self.confirm_delete.is_some();
                self.gallery.keys = !self.gallery.covered && !egui::Popup::is_any_open(&ctx);
                let shown = gallery::gallery_ui(
                    ui,
                    &self.items,
                    &mut self.gallery,
                    &self.folder.dir,
                    &mut self.config.window.thumb_size,
                    self.paused,
                    &mut actions,
                );
                self.textures.frame(
                    &shown.keys,
                    shown.tile_pixels,
                    &mut self.items,
                    &self.thumbs,
                );
                self.on_screen = shown.keys;
            }
        });

        if self.help_open {
            panels::help_ui(&ctx, &mut self.help_open);
        }
        if let Some(draft) = &mut self.settings {
            settings_panel::settings_ui(&ctx, draft, &mut actions);
        }
        if let Some(list) = &mut self.page_list {
            page_list::page_list_ui(&ctx, list, &mut actions);
        }
        if let Some(keys) = &self.confirm_delete {
            panels::confirm_delete_ui(&ctx, &self.items, keys, self.trash, &mut actions);
        }
        panels::drop_overlay_ui(&ctx);

        for action in actions {
            self.apply(action);
        }
        self.save_thumb_size_when_let_go(&ctx);
        (self.status).update_title(&ctx, &self.items, self.paused, std::time::Instant::now());
    }

    fn shortcuts(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        ctx.input_mut(|i| {
            if i.consume_key(Modifiers::COMMAND, Key::Enter) {
                actions.push(Action::Download);
            }
            if i.consume_key(Modifiers::COMMAND, Key::O) {
                actions.push(Action::OpenLists);
            }
            if i.consume_key(Modifiers::NONE, Key::F1) {
                actions.push(Action::ToggleHelp);
            }
            if i.consume_key(Modifiers::COMMAND, Key::F) {
                actions.push(Action::CloseViewer);
                actions.push(Action::FocusFilter);
            }
        });
        // Not under the question Delete asks: Esc there is the dialog's, not the viewer's.
        if let Some(v) = self
            .viewer
            .as_mut()
            .filter(|_| self.confirm_delete.is_none())
        {
            let shown = self.gallery.filter.shown(&self.items);
            viewer::viewer_keys(ctx, v, &self.items, shown, actions);
        }
    }

    fn save_thumb_size_when_let_go(&mut self, ctx: &egui::Context) {
        if self.config.window.thumb_size != self.saved_thumb_size
            && !ctx.input(|i| i.pointer.any_down())
        {
            self.saved_thumb_size = self.config.window.thumb_size;
            self.save_config();
        }
    }

    /// Runs `work` on a named thread; its result arrives in [`Self::poll`].
    pub(super) fn background(
        &self,
        name: &str,
        work: impl FnOnce() -> Background + Send + 'static,
    ) {
        let wake = self.ctx.clone();
        super::platform::spawn(name, &self.bg_tx, move || wake.request_repaint(), work);
    }

    /// Writes the config atomically on a background thread.
    pub(super) fn save_config(&self) {
        let Some(path) = self.config_path.clone() else {
            return;
        };
        let config = self.config.clone();
        self.background("save-config", move || Background::ConfigSaved {
            result: config
                .save(&path)
                .map_err(|source| BackgroundError::SaveConfig { path, source }),
        });
    }

    pub(super) fn set_notice(&mut self, text: &str, error: bool) {
        self.notice = Some(Notice {
            text: text.to_string(),
            error,
        });
    }
}
