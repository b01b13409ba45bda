//! The one place the window acts on what the user asked for: every [`Action`] a view returns is
//! carried out here, by telling the engine, the thumbnail pool or a background thread.

use url::Url;

use super::action::{Action, Listed};
use super::app::MagpieApp;
use super::folder::FolderState;
use super::items::{ItemState, Place};
use super::platform::{self, Background};
use super::queue;
use super::settings_panel::Draft;
use super::viewer;
use crate::engine::{Command, JobId, JobInfo};
use crate::format::redact_url;
use crate::thumbs::{Purpose, Request};
use crate::urls;

/// What Download with nothing to download says; it goes once there is something.
const PASTE_FIRST: &str = "Paste image URLs into the box first.";

impl MagpieApp {
    pub(super) fn apply(&mut self, action: Action) {
        match action {
            Action::Download => {
                let pasted = self.pasted.take_ready();
                if self.input.trim().is_empty() && pasted.is_none() {
                    self.set_notice(PASTE_FIRST, false);
                    return;
                }
                if self.notice().is_some_and(|n| n.text == PASTE_FIRST) {
                    self.notice = None;
                }
                if let Some(list) = pasted {
                    self.add_list(list, "Pasted list");
                }
                if !self.input.trim().is_empty() {
                    let list = urls::parse(&self.input, None);
                    self.add_list(list, "URL box");
                    self.input.clear();
                    self.preflight = None;
                }
            }
            Action::ClearPaste => self.pasted.forget(),
            Action::OpenLists => {
                self.dialog_open = true;
                self.background("open-dialog", platform::pick_lists);
            }
            Action::ChooseFolder => {
                self.dialog_open = true;
                let start = self.folder.dir.clone();
                self.background("folder-dialog", move || platform::pick_folder(start));
            }
            Action::SetFolder(dir) => {
                if dir != self.folder.dir && dir != self.folder.asked {
                    self.use_folder(dir, true);
                }
            }
            Action::OpenFolder => {
                if let Err(e) = platform::open_with_system(&self.folder.dir) {
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
            Action::CancelAll => {
                // What is still waiting to join the queue goes too.
                self.pending.cancel_urls();
                self.send(Command::CancelAll);
            }
            // A retry is also the user saying "try those sites again".
            Action::RetryFailed | Action::ResumeHosts => {
                self.send(Command::ResumeHosts);
                self.hosts
                    .retain(|_, s| !matches!(s, crate::engine::HostState::Paused { .. }));
                self.retry_failed();
                // The failures shown are now retrying: follow them there.
                if self.queue.show == queue::Show::Failed {
                    self.queue.show = queue::Show::InProgress;
                }
            }
            Action::ShowFailed => self.queue.show = queue::Show::Failed,
            Action::ClearFinished => {
                let mut failed = Vec::new();
                self.items.remove_where(|i| {
                    let cleared = i.is_download()
                        && matches!(
                            i.state,
                            ItemState::Failed(_)
                                | ItemState::Cancelled
                                | ItemState::Duplicate
                                | ItemState::Skipped(_)
                        );
                    if cleared
                        && matches!(i.state, ItemState::Failed(_))
                        && let Some(url) = &i.url
                    {
                        failed.push(url.clone());
                    }
                    cleared
                });
                self.dismiss(failed);
            }
            Action::Remove(key) => {
                if let Some(item) = self.items.index_of_key(key).and_then(|i| self.items.get(i))
                    && item.state.is_active()
                    && let Some(job) = item.job
                {
                    self.send(Command::Cancel(job));
                }
                self.thumbs.cancel(key);
                let mut failed = Vec::new();
                self.items.remove_where(|i| {
                    if i.key == key
                        && matches!(i.state, ItemState::Failed(_))
                        && let Some(url) = &i.url
                    {
                        failed.push(url.clone());
                    }
                    i.key == key
                });
                self.dismiss(failed);
            }
            Action::View(key) => {
                // Decoded to fit the screen, not the image's own size: a 50-megapixel photo
                // costs a screenful of pixels until the user zooms in.
                let screen = self.ctx.content_rect().size() * self.ctx.pixels_per_point();
                let side = (screen.max_elem().ceil() as u32).clamp(512, 8192);
                let mut v = viewer::Viewer::new(key);
                if let Some(path) = self.path_of(key) {
                    self.thumbs.request(Request {
                        key,
                        path,
                        purpose: Purpose::Viewer(side),
                    });
                    v.loading = true;
                    v.requested = side;
                }
                self.viewer = Some(v);
            }
            Action::ViewLarger(key, side) => {
                let path = self.path_of(key);
                if let (Some(v), Some(path)) = (self.viewer.as_mut(), path)
                    && v.key == key
                    && side > v.requested
                {
                    self.thumbs.request(Request {
                        key,
                        path,
                        purpose: Purpose::Viewer(side),
                    });
                    v.loading = true;
                    v.requested = side;
                }
            }
            Action::CloseViewer => {
                // Back where the viewer's ⬅/➡ went: that image chosen and scrolled to.
                if let Some(v) = self.viewer.take() {
                    self.gallery.selection.reveal(v.key);
                }
            }
            Action::FocusFilter => {
                (self.ctx).memory_mut(|m| m.request_focus(super::gallery::filter_id()));
            }
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
                        purpose: Purpose::Copy,
                    });
                }
            }
            Action::CopyText(text) => self.ctx.copy_text(text),
            Action::AskDelete(keys) => {
                // Only files can go: a selection may hold tiles still downloading.
                let files: Vec<u64> = keys
                    .into_iter()
                    .filter(|&k| self.path_of(k).is_some())
                    .collect();
                self.confirm_delete = (!files.is_empty()).then_some(files);
            }
            Action::AskDeleteSelected => {
                let keys = self.gallery.selection.in_order(&self.items);
                self.apply(Action::AskDelete(keys));
            }
            Action::CopySelected(listed) => {
                let selection = &self.gallery.selection;
                self.ctx.copy_text(match listed {
                    Listed::Paths => selection.paths(&self.items),
                    Listed::Urls => selection.urls(&self.items),
                });
            }
            Action::CancelDelete => self.confirm_delete = None,
            Action::ConfirmDelete(keys) => {
                self.confirm_delete = None;
                let files: Vec<(u64, std::path::PathBuf)> = keys
                    .into_iter()
                    .filter_map(|k| Some((k, self.path_of(k)?)))
                    .collect();
                let trash = self.trash;
                self.background("delete", move || {
                    let (mut gone, mut failed) = (Vec::new(), Vec::new());
                    for (key, path) in files {
                        match platform::delete(path, trash) {
                            Ok(()) => gone.push(key),
                            Err(e) => failed.push(e),
                        }
                    }
                    Background::Deleted { gone, failed }
                });
            }
            Action::ToggleHelp => self.help_open = !self.help_open,
            Action::ToggleSettings => {
                self.settings = match self.settings {
                    Some(_) => None,
                    None => Some(Draft::new(&self.config, self.preview_samples())),
                };
            }
            Action::SaveSettings(config) => self.save_settings(*config),
            Action::DownloadFromPage {
                page,
                title,
                images,
            } => {
                self.page_list = None;
                let fresh: Vec<Url> = images
                    .into_iter()
                    .filter(|u| !self.items.contains_url(u))
                    .collect();
                let of = fresh.len() as u64;
                let jobs = fresh.iter().enumerate().map(|(i, url)| {
                    let info = JobInfo {
                        page: Some(Box::new(page.clone())),
                        page_title: title.as_deref().map(Box::from),
                        index: Some((i as u64 + 1, of)),
                        again: false,
                    };
                    (url.clone(), info)
                });
                if let Some(ids) = self.submit_jobs(jobs.collect()) {
                    let batch = self.items.new_batch();
                    for (n, (url, id)) in fresh.into_iter().zip(ids).enumerate() {
                        let place = Place::new(batch, n);
                        self.items.add_download(url, id, Some(page.clone()), place);
                    }
                }
            }
            Action::Redownload(key) => {
                let Some(item) = self.items.index_of_key(key).and_then(|i| self.items.get(i))
                else {
                    return;
                };
                let (Some(url), page) = (item.url.clone(), item.page().cloned()) else {
                    return;
                };
                let info = JobInfo {
                    page: page.clone().map(Box::new),
                    again: true,
                    ..JobInfo::default()
                };
                if let Some(ids) = self.submit_jobs(vec![(url.clone(), info)]) {
                    let place = Place::new(self.items.new_batch(), 0);
                    for id in ids {
                        self.items
                            .add_download(url.clone(), id, page.clone(), place);
                    }
                }
            }
            Action::ViewFile(path) => match self.items.key_of_path(&path) {
                Some(key) => self.apply(Action::View(key)),
                None => {
                    if let Err(e) = platform::show_in_folder(&path) {
                        self.set_notice(&format!("Cannot show {}: {e}", path.display()), true);
                    }
                }
            },
            Action::OpenUrl(url) => {
                if let Err(e) = platform::open_url(&url) {
                    self.set_notice(&format!("Cannot open {}: {e}", redact_url(&url)), true);
                }
            }
            Action::ClosePageList => self.page_list = None,
            Action::ExportFailed => {
                // Whole URLs (tokens included): the list is for fetching them again.
                let urls: Vec<String> = self
                    .items
                    .as_slice()
                    .iter()
                    .filter(|i| matches!(i.state, ItemState::Failed(_)))
                    .filter_map(|i| i.url.as_ref().map(Url::to_string))
                    .collect();
                let dir = self.folder.dir.clone();
                self.background("export-failed", move || platform::export_failed(dir, urls));
            }
        }
    }

    pub(super) fn send(&self, command: Command) {
        if let Some(engine) = &self.engine {
            engine.send(command);
        }
    }

    /// Tells the engine these failures are no longer shown, so the folder's journal does not
    /// bring them back when the folder is opened again.
    pub(super) fn dismiss(&self, urls: Vec<Url>) {
        if !urls.is_empty() {
            self.send(Command::Dismiss {
                dir: self.folder.asked.clone(),
                urls,
            });
        }
    }

    fn path_of(&self, key: u64) -> Option<std::path::PathBuf> {
        let i = self.items.index_of_key(key)?;
        self.items.get(i)?.path.clone()
    }

    /// Addresses for the Settings panel's name preview: the paste box's, else the queue's.
    fn preview_samples(&self) -> Vec<Url> {
        let typed = crate::urls::parse(&self.input, None).urls;
        if !typed.is_empty() {
            return typed.into_iter().take(3).map(|u| u.url).collect();
        }
        self.items
            .as_slice()
            .iter()
            .filter_map(|i| i.url.clone())
            .take(3)
            .collect()
    }

    /// Uses `config` from now on (new downloads get its limits) and saves it.
    fn save_settings(&mut self, config: crate::config::Config) {
        self.settings = None;
        self.send(Command::Configure(Box::new(config.fetch_settings())));
        let folder = config.window.folder();
        self.config = config;
        self.saved_thumb_size = self.config.window.thumb_size;
        self.save_config();
        if let Some(dir) = folder
            && dir != self.folder.dir
            && dir != self.folder.asked
        {
            self.use_folder(dir, false);
        }
        self.set_notice("Settings saved. New downloads use them.", false);
    }

    /// Queues `urls` into the folder: the one way downloads start. `None` (with a notice) when
    /// there is no engine or the folder cannot be used.
    fn submit(&mut self, urls: &[Url]) -> Option<Vec<JobId>> {
        let of = urls.len() as u64;
        let jobs = urls.iter().enumerate().map(|(i, url)| {
            let info = JobInfo {
                index: Some((i as u64 + 1, of)),
                ..JobInfo::default()
            };
            (url.clone(), info)
        });
        self.submit_jobs(jobs.collect())
    }

    /// [`Self::submit`] with what is known of where each came from (a page, a re-download).
    fn submit_jobs(&mut self, jobs: Vec<(Url, JobInfo)>) -> Option<Vec<JobId>> {
        let engine = self.engine.as_ref()?;
        if let FolderState::Failed(e) = &self.folder.state {
            let text = format!("Choose a folder you can write to first: {e}");
            self.set_notice(&text, true);
            return None;
        }
        let ids = engine.submit_jobs(&self.folder.asked, jobs);
        self.items.start_batch();
        Some(ids)
    }

    fn retry_failed(&mut self) {
        let failed: Vec<(usize, Url)> = self
            .items
            .as_slice()
            .iter()
            .enumerate()
            .filter(|(_, i)| matches!(i.state, ItemState::Failed(_)))
            .filter_map(|(n, i)| i.url.clone().map(|u| (n, u)))
            .collect();
        let urls: Vec<Url> = failed.iter().map(|(_, u)| u.clone()).collect();
        let Some(ids) = self.submit(&urls) else {
            return;
        };
        for ((index, _), id) in failed.into_iter().zip(ids) {
            self.items.restart(index, id);
        }
    }
}
