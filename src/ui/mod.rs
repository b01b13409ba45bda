//! The desktop window (eframe/egui): paste or drop URLs, pick a folder, watch downloads, browse.
//!
//! [`MagpieApp`] owns view state only. Each frame it drains what the engine, the thumbnail workers
//! and background threads reported ([`MagpieApp::poll`]), draws the panels (whose `*_ui`
//! functions return [`Action`]s instead of doing work), then applies those actions. No network,
//! disk or decode work runs on the UI thread.

mod gallery;
pub mod items;
mod panels;
pub mod platform;
mod viewer;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use egui::{Key, Modifiers, TextureHandle};
use url::Url;

use crate::engine::{Command, Engine, Event};
use crate::settings::FetchSettings;
use crate::store::Store;
use crate::thumbs::{Request, Thumbnailer};
use crate::urls::{self, UrlList};
use items::{ItemState, Items, Thumb};
use platform::{Background, WindowConfig};

/// Side of a thumbnail decode, in pixels (tiles show them at the chosen size).
pub const THUMB_DECODE_SIDE: u32 = 256;
/// Most thumbnail textures kept at once (~256 KB each): more than a 4K screen of the smallest
/// tiles. Beyond it, the tiles seen longest ago give theirs up and decode again when scrolled to.
pub const TEXTURE_BUDGET: usize = 800;
/// Side of the viewer's decode.
pub const VIEW_DECODE_SIDE: u32 = 4096;
/// Side of a decode for "Copy image".
const COPY_DECODE_SIDE: u32 = 8192;

/// How the window starts.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Folder to open on (else the remembered one, else Pictures/Magpie).
    pub out_dir: Option<PathBuf>,
    /// Where the remembered folder is kept; `None` keeps nothing.
    pub config_path: Option<PathBuf>,
    pub fetch: FetchSettings,
}

/// What the user asked for in this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Download,
    OpenLists,
    ChooseFolder,
    SetFolder(PathBuf),
    OpenFolder,
    Pause,
    Resume,
    CancelAll,
    RetryFailed,
    ClearFinished,
    Remove(u64),
    View(u64),
    CloseViewer,
    OpenExternal(u64),
    ShowInFolder(u64),
    CopyImage(u64),
    CopyText(String),
    AskDelete(u64),
    ConfirmDelete(u64),
    CancelDelete,
    ToggleHelp,
}

/// A message for the user, shown above the gallery until replaced or dismissed.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The application.
pub struct MagpieApp {
    ctx: egui::Context,
    engine: Option<Engine>,
    thumbs: Thumbnailer,
    items: Items<TextureHandle>,
    input: String,
    preflight: Option<(String, UrlList)>,
    out_dir: PathBuf,
    folder_text: String,
    store: Result<Store, String>,
    config_path: Option<PathBuf>,
    journal_dir: Option<PathBuf>,
    notice: Option<Notice>,
    paused: bool,
    thumb_size: f32,
    viewer: Option<viewer::Viewer>,
    help_open: bool,
    confirm_delete: Option<u64>,
    dialog_open: bool,
    bg_tx: Sender<Background>,
    bg_rx: Receiver<Background>,
    title: String,
    speed: VecDeque<(Instant, u64)>,
    bytes_seen: u64,
    /// Gallery frames drawn, to know which thumbnails were seen longest ago.
    frame: u64,
}

/// Opens the window.
pub fn run(dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).ok();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Magpie")
        .with_app_id("magpie")
        .with_inner_size([1180.0, 760.0])
        .with_min_inner_size([640.0, 420.0]);
    if let Some(icon) = icon {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    let app_options = AppOptions {
        out_dir: dir,
        config_path: platform::default_config_path(),
        fetch: FetchSettings {
            journal_dir: crate::settings::journal_dir(),
            ..FetchSettings::default()
        },
    };
    eframe::run_native(
        "Magpie",
        options,
        Box::new(move |cc| Ok(Box::new(MagpieApp::new(&cc.egui_ctx, app_options)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

impl eframe::App for MagpieApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}

impl MagpieApp {
    /// Creates the app: starts the engine and the thumbnail workers, and scans the folder.
    pub fn new(ctx: &egui::Context, options: AppOptions) -> Self {
        let config = options
            .config_path
            .as_deref()
            .map(WindowConfig::load)
            .unwrap_or_default();
        let out_dir = options
            .out_dir
            .or(config.out_dir)
            .unwrap_or_else(crate::settings::default_output_dir);
        let journal_dir = options.fetch.journal_dir.clone();
        let repaint = ctx.clone();
        let waker: crate::engine::Waker = Arc::new(move || repaint.request_repaint());
        let (engine, notice) = match Engine::start(options.fetch, Some(waker.clone())) {
            Ok(e) => (Some(e), None),
            Err(e) => (
                None,
                Some(Notice {
                    text: format!("Downloads are unavailable: {e}"),
                    error: true,
                }),
            ),
        };
        let (bg_tx, bg_rx) = std::sync::mpsc::channel();
        let mut app = Self {
            ctx: ctx.clone(),
            engine,
            thumbs: Thumbnailer::start(2, waker),
            items: Items::default(),
            input: String::new(),
            preflight: None,
            folder_text: out_dir.display().to_string(),
            store: Err(String::new()),
            out_dir: out_dir.clone(),
            config_path: options.config_path,
            journal_dir,
            notice,
            paused: false,
            thumb_size: config.thumb_size.unwrap_or(200.0).clamp(96.0, 320.0),
            viewer: None,
            help_open: false,
            confirm_delete: None,
            dialog_open: false,
            bg_tx,
            bg_rx,
            title: String::new(),
            speed: VecDeque::new(),
            bytes_seen: 0,
            frame: 0,
        };
        app.use_folder(out_dir, false);
        app
    }

    /// The folder downloads go into.
    pub fn out_dir(&self) -> &std::path::Path {
        &self.out_dir
    }

    /// The items shown (for tests and the title).
    pub fn items(&self) -> &Items<TextureHandle> {
        &self.items
    }

    /// How many thumbnail textures are held (for tests and diagnostics).
    pub fn thumbnails_loaded(&self) -> usize {
        self.items
            .as_slice()
            .iter()
            .filter(|i| matches!(i.thumb, Thumb::Ready(_)))
            .count()
    }

    /// The notice shown, if any.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// Draws one frame into `ui` (the whole window).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll();
        let mut actions = Vec::new();
        self.take_dropped_files(&ctx);
        self.shortcuts(&ctx, &mut actions);

        let totals = self.items.totals();
        egui::Panel::top("folder_bar").show(ui, |ui| {
            panels::folder_bar_ui(
                ui,
                &mut self.folder_text,
                &self.out_dir,
                &self.store,
                self.dialog_open,
                &mut actions,
            );
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let speed = self.speed();
            let eta = self.eta(&totals);
            panels::status_ui(ui, &totals, speed, eta, self.paused, &mut actions);
        });
        egui::Panel::left("input_panel")
            .resizable(true)
            .default_size(380.0)
            .size_range(280.0..=640.0)
            .show(ui, |ui| {
                panels::input_ui(ui, &mut self.input, &mut self.preflight, &mut actions);
                ui.separator();
                panels::queue_ui(ui, &self.items, &mut actions);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(notice) = &self.notice
                && panels::notice_ui(ui, notice)
            {
                self.notice = None;
            }
            if let Some(v) = &mut self.viewer {
                viewer::viewer_ui(ui, v, &self.items, &mut actions);
            } else {
                let visible = gallery::gallery_ui(
                    ui,
                    &self.items,
                    &mut self.thumb_size,
                    self.paused,
                    &mut actions,
                );
                self.frame += 1;
                self.request_thumbs(&visible);
                self.evict_thumbs();
            }
        });

        if self.help_open {
            panels::help_ui(&ctx, &mut self.help_open);
        }
        if let Some(key) = self.confirm_delete {
            let name = self
                .items
                .index_of_key(key)
                .and_then(|i| self.items.get(i))
                .map(|i| i.name.clone())
                .unwrap_or_default();
            panels::confirm_delete_ui(&ctx, key, &name, &mut actions);
        }
        panels::drop_overlay_ui(&ctx);

        for action in actions {
            self.apply(action);
        }
        self.update_title(&ctx);
    }

    /// Drains engine events, decoded thumbnails and background results.
    fn poll(&mut self) {
        let mut new_bytes = 0;
        if let Some(engine) = &self.engine {
            // Bounded per frame so a flood of events cannot stall a frame.
            for _ in 0..5000 {
                let Some(event) = engine.try_recv() else {
                    break;
                };
                if matches!(event, Event::Finished) {
                    continue;
                }
                new_bytes += self.items.apply(event);
            }
        }
        self.bytes_seen += new_bytes;
        let now = Instant::now();
        self.speed.push_back((now, self.bytes_seen));
        while self
            .speed
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(3))
        {
            self.speed.pop_front();
        }

        while let Some(done) = self.thumbs.try_recv() {
            self.thumb_arrived(done);
        }
        while let Ok(bg) = self.bg_rx.try_recv() {
            self.background_arrived(bg);
        }
        if self.items.totals().active > 0 {
            // Keep the speed and retry countdowns moving.
            self.ctx.request_repaint_after(Duration::from_millis(250));
        }
    }

    fn thumb_arrived(&mut self, done: crate::thumbs::Decoded) {
        let Some(index) = self.items.index_of_key(done.key) else {
            return;
        };
        let name = format!("item-{}-{}", done.key, done.max_side);
        match done.max_side {
            COPY_DECODE_SIDE => {
                if let Ok(px) = done.result {
                    self.ctx
                        .copy_image(egui::ColorImage::from_rgba_unmultiplied(
                            [px.width as usize, px.height as usize],
                            &px.rgba,
                        ));
                    self.set_notice("Image copied to the clipboard.", false);
                }
            }
            VIEW_DECODE_SIDE => {
                if let Some(v) = &mut self.viewer
                    && v.key == done.key
                {
                    v.set_full(&self.ctx, &name, done.result);
                }
            }
            _ => {
                let Some(item) = self.items.get_mut(index) else {
                    return;
                };
                match done.result {
                    Ok(px) => {
                        item.dims = Some((px.original_width, px.original_height));
                        let image = egui::ColorImage::from_rgba_unmultiplied(
                            [px.width as usize, px.height as usize],
                            &px.rgba,
                        );
                        item.thumb = Thumb::Ready(self.ctx.load_texture(
                            name,
                            image,
                            egui::TextureOptions::LINEAR,
                        ));
                    }
                    Err(e) => item.thumb = Thumb::Failed(e),
                }
            }
        }
    }

    fn background_arrived(&mut self, bg: Background) {
        match bg {
            Background::FolderPicked {
                picked,
                unavailable,
            } => {
                self.dialog_open = false;
                match picked {
                    Some(dir) => self.use_folder(dir, true),
                    None if unavailable => self.set_notice(
                        &format!(
                            "No folder dialog is available on this system. Still saving to {}; \
                             type another folder in the box above to change it.",
                            self.out_dir.display()
                        ),
                        true,
                    ),
                    None => {}
                }
            }
            Background::ListsLoaded(lists) => {
                self.dialog_open = false;
                for (label, parsed) in lists {
                    match parsed {
                        Ok(list) => self.add_list(list, &label),
                        Err(e) => self.set_notice(&e, true),
                    }
                }
            }
            Background::FolderScanned {
                dir,
                files,
                history,
            } => {
                if dir == self.out_dir {
                    for (path, size) in files {
                        self.items.add_on_disk(path, size);
                    }
                    self.restore_history(history);
                }
            }
            Background::Deleted { key, result } => match result {
                Ok(()) => {
                    if self.viewer.as_ref().is_some_and(|v| v.key == key) {
                        self.viewer = None;
                    }
                    self.items.remove_where(|i| i.key == key);
                }
                Err(e) => self.set_notice(&e, true),
            },
        }
    }

    /// Shows what the folder's journal remembers: source URLs of saved files, failures with their
    /// reasons, and downloads a killed run left pending, which start again.
    fn restore_history(&mut self, history: crate::journal::History) {
        use crate::journal::Record;
        let mut pending = Vec::new();
        let mut sources = Vec::new();
        for record in history.entries {
            match record {
                Record::Saved { url, path, .. } => sources.push((path, url)),
                Record::Failed { url, error } => {
                    if !self.items.contains_url(&url) {
                        self.items.add_past_failure(url, error);
                    }
                }
                Record::Queued { url } => {
                    if !self.items.contains_url(&url) {
                        pending.push(url);
                    }
                }
                Record::Cancelled { .. } => {}
            }
        }
        self.items.remember_sources(sources);
        if let (false, Some(engine), Ok(store)) = (pending.is_empty(), &self.engine, &self.store) {
            self.items.start_batch();
            let ids = engine.submit(store, pending.iter().cloned());
            let n = ids.len();
            for (url, id) in pending.into_iter().zip(ids) {
                self.items.add_download(url, id);
            }
            self.set_notice(
                &format!("Resuming {n} download(s) left unfinished last time."),
                false,
            );
        }
    }

    fn set_notice(&mut self, text: &str, error: bool) {
        self.notice = Some(Notice {
            text: text.to_string(),
            error,
        });
    }

    /// Switches the output folder: opens it, shows its images, and remembers it.
    fn use_folder(&mut self, dir: PathBuf, remember: bool) {
        match Store::open(&dir) {
            Ok(store) => {
                self.out_dir = store.dir().to_path_buf();
                self.folder_text = self.out_dir.display().to_string();
                self.store = Ok(store);
                self.items
                    .remove_where(|i| matches!(i.state, ItemState::OnDisk));
                let scan_dir = self.out_dir.clone();
                let journal_dir = self.journal_dir.clone();
                // At startup no download has opened this folder's journal yet.
                let compact = !remember;
                let ctx = self.ctx.clone();
                platform::spawn(
                    "scan",
                    &self.bg_tx,
                    move || ctx.request_repaint(),
                    move || platform::scan_folder(scan_dir, journal_dir, compact),
                );
                if remember {
                    self.save_config();
                }
            }
            Err(e) => {
                self.out_dir = dir;
                self.folder_text = self.out_dir.display().to_string();
                self.store = Err(e.to_string());
                self.set_notice(&format!("Cannot use this folder: {e}"), true);
            }
        }
    }

    fn save_config(&self) {
        let Some(path) = self.config_path.clone() else {
            return;
        };
        let config = WindowConfig {
            out_dir: Some(self.out_dir.clone()),
            thumb_size: Some(self.thumb_size),
        };
        let spawned = std::thread::Builder::new()
            .name("magpie-config".into())
            .spawn(move || {
                if let Err(e) = config.save(&path) {
                    tracing::warn!("cannot save settings to {}: {e}", path.display());
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot save settings: {e}");
        }
    }

    /// Queues the URLs of `list` that are not in the window yet.
    fn add_list(&mut self, list: UrlList, source: &str) {
        let store = match &self.store {
            Ok(s) => s.clone(),
            Err(e) => {
                self.set_notice(
                    &format!("Choose a folder you can write to first: {e}"),
                    true,
                );
                return;
            }
        };
        let Some(engine) = &self.engine else {
            return;
        };
        let mut fresh: Vec<Url> = Vec::new();
        for u in &list.urls {
            if self.items.contains_url(&u.url) {
                self.items.add_duplicate(u.url.clone());
            } else {
                fresh.push(u.url.clone());
            }
        }
        for d in &list.duplicates {
            self.items.add_duplicate(d.url.clone());
        }
        self.items.start_batch();
        let ids = engine.submit(&store, fresh.iter().cloned());
        for (url, id) in fresh.into_iter().zip(ids) {
            self.items.add_download(url, id);
        }
        if let Some(first) = list.rejected.first() {
            let more = list.rejected.len() - 1;
            let rest = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            self.set_notice(
                &format!(
                    "{source}: {} · skipped line {}: {} ({}){rest}",
                    list.summary(),
                    first.line,
                    first.reason,
                    first.text
                ),
                true,
            );
        } else if list.urls.is_empty() {
            self.set_notice(&format!("{source}: no image URLs found"), true);
        }
    }

    fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if dropped.is_empty() {
            return;
        }
        let wake = ctx.clone();
        platform::spawn(
            "read-drop",
            &self.bg_tx,
            move || wake.request_repaint(),
            move || platform::read_lists(dropped),
        );
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
        });
        if let Some(v) = &mut self.viewer {
            viewer::viewer_keys(ctx, v, &self.items, actions);
        }
    }

    /// Marks `keys` as on screen and asks for the thumbnails they lack.
    fn request_thumbs(&mut self, keys: &[u64]) {
        for &key in keys {
            let Some(index) = self.items.index_of_key(key) else {
                continue;
            };
            let Some(item) = self.items.get_mut(index) else {
                continue;
            };
            item.seen = self.frame;
            if let (Thumb::None, Some(path)) = (&item.thumb, &item.path) {
                self.thumbs.request(Request {
                    key,
                    path: path.clone(),
                    max_side: THUMB_DECODE_SIDE,
                });
                item.thumb = Thumb::Loading;
            }
        }
    }

    /// Keeps at most [`TEXTURE_BUDGET`] thumbnails, dropping those seen longest ago.
    fn evict_thumbs(&mut self) {
        let mut ready: Vec<(u64, usize)> = self
            .items
            .as_slice()
            .iter()
            .enumerate()
            .filter(|(_, i)| matches!(i.thumb, Thumb::Ready(_)) && i.seen != self.frame)
            .map(|(n, i)| (i.seen, n))
            .collect();
        let on_screen = self
            .items
            .as_slice()
            .iter()
            .filter(|i| matches!(i.thumb, Thumb::Ready(_)) && i.seen == self.frame)
            .count();
        let excess = (ready.len() + on_screen).saturating_sub(TEXTURE_BUDGET);
        if excess == 0 {
            return;
        }
        ready.sort_unstable();
        for &(_, n) in ready.iter().take(excess) {
            if let Some(item) = self.items.get_mut(n) {
                item.thumb = Thumb::None;
            }
        }
    }

    fn path_of(&self, key: u64) -> Option<PathBuf> {
        let i = self.items.index_of_key(key)?;
        self.items.get(i)?.path.clone()
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::Download => {
                if self.input.trim().is_empty() {
                    self.set_notice("Paste image URLs into the box first.", false);
                    return;
                }
                let list = urls::parse(&self.input, None);
                self.add_list(list, "Pasted list");
                self.input.clear();
                self.preflight = None;
            }
            Action::OpenLists => {
                self.dialog_open = true;
                let wake = self.ctx.clone();
                platform::spawn(
                    "open-dialog",
                    &self.bg_tx,
                    move || wake.request_repaint(),
                    platform::pick_lists,
                );
            }
            Action::ChooseFolder => {
                self.dialog_open = true;
                let start = self.out_dir.clone();
                let wake = self.ctx.clone();
                platform::spawn(
                    "folder-dialog",
                    &self.bg_tx,
                    move || wake.request_repaint(),
                    move || platform::pick_folder(start),
                );
            }
            Action::SetFolder(dir) => {
                if dir != self.out_dir {
                    self.use_folder(dir, true);
                }
            }
            Action::OpenFolder => {
                if let Err(e) = platform::open_with_system(&self.out_dir) {
                    self.set_notice(&format!("Cannot open the folder: {e}"), true);
                }
            }
            Action::Pause => {
                self.paused = true;
                self.send(Command::Pause);
            }
            Action::Resume => {
                self.paused = false;
                self.send(Command::Resume);
            }
            Action::CancelAll => self.send(Command::CancelAll),
            Action::RetryFailed => self.retry_failed(),
            Action::ClearFinished => self.items.remove_where(|i| {
                i.is_download()
                    && matches!(
                        i.state,
                        ItemState::Failed(_) | ItemState::Cancelled | ItemState::Duplicate
                    )
            }),
            Action::Remove(key) => {
                if let Some(i) = self.items.index_of_key(key)
                    && let Some(item) = self.items.get(i)
                    && item.state.is_active()
                    && let Some(job) = item.job
                {
                    self.send(Command::Cancel(job));
                }
                self.items.remove_where(|i| i.key == key);
            }
            Action::View(key) => {
                let mut v = viewer::Viewer::new(key);
                if let Some(path) = self.path_of(key) {
                    self.thumbs.request(Request {
                        key,
                        path,
                        max_side: VIEW_DECODE_SIDE,
                    });
                    v.loading = true;
                }
                self.viewer = Some(v);
            }
            Action::CloseViewer => self.viewer = None,
            Action::OpenExternal(key) => {
                if let Some(path) = self.path_of(key)
                    && let Err(e) = platform::open_with_system(&path)
                {
                    self.set_notice(&format!("Cannot open {}: {e}", path.display()), true);
                }
            }
            Action::ShowInFolder(key) => {
                if let Some(path) = self.path_of(key)
                    && let Err(e) = platform::show_in_folder(&path)
                {
                    self.set_notice(&format!("Cannot show {}: {e}", path.display()), true);
                }
            }
            Action::CopyImage(key) => {
                if let Some(path) = self.path_of(key) {
                    self.thumbs.request(Request {
                        key,
                        path,
                        max_side: COPY_DECODE_SIDE,
                    });
                }
            }
            Action::CopyText(text) => self.ctx.copy_text(text),
            Action::AskDelete(key) => self.confirm_delete = Some(key),
            Action::CancelDelete => self.confirm_delete = None,
            Action::ConfirmDelete(key) => {
                self.confirm_delete = None;
                if let Some(path) = self.path_of(key) {
                    let wake = self.ctx.clone();
                    platform::spawn(
                        "delete",
                        &self.bg_tx,
                        move || wake.request_repaint(),
                        move || Background::Deleted {
                            key,
                            result: std::fs::remove_file(&path)
                                .map_err(|e| format!("Cannot delete {}: {e}", path.display())),
                        },
                    );
                }
            }
            Action::ToggleHelp => self.help_open = !self.help_open,
        }
    }

    fn send(&self, command: Command) {
        if let Some(engine) = &self.engine {
            engine.send(command);
        }
    }

    fn retry_failed(&mut self) {
        let (Some(engine), Ok(store)) = (&self.engine, &self.store) else {
            return;
        };
        let failed: Vec<(usize, Url)> = self
            .items
            .as_slice()
            .iter()
            .enumerate()
            .filter(|(_, i)| matches!(i.state, ItemState::Failed(_)))
            .filter_map(|(n, i)| i.url.clone().map(|u| (n, u)))
            .collect();
        self.items.start_batch();
        let ids = engine.submit(store, failed.iter().map(|(_, u)| u.clone()));
        for ((index, _), id) in failed.into_iter().zip(ids) {
            self.items.restart(index, id);
        }
    }

    /// Bytes per second over the last few seconds.
    fn speed(&self) -> f64 {
        match (self.speed.front(), self.speed.back()) {
            (Some((t0, b0)), Some((t1, b1))) if t1 > t0 => {
                (b1 - b0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Time left at the pace of this batch so far.
    fn eta(&self, totals: &items::Totals) -> Option<Duration> {
        let started = self.items.batch_started?;
        let done = totals.saved + totals.failed;
        if totals.active == 0 || done == 0 {
            return None;
        }
        let per_item = started.elapsed().as_secs_f64() / done as f64;
        Some(Duration::from_secs_f64(per_item * totals.active as f64))
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let t = self.items.totals();
        let title = if t.active > 0 {
            format!(
                "Magpie — {}/{} downloaded{}",
                t.saved + t.failed,
                t.downloads,
                if self.paused { " (paused)" } else { "" }
            )
        } else {
            let images = t.saved + t.in_folder;
            format!(
                "Magpie — {images} image{}{}",
                if images == 1 { "" } else { "s" },
                if t.failed > 0 {
                    format!(", {} failed", t.failed)
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
