//! The event pump: once per frame, everything that arrived from the engine, the thumbnail
//! workers and background threads is taken in, each kind handed to the room that owns it.

use std::time::Duration;

use super::app::MagpieApp;
use super::platform::Background;
use crate::engine::Event;

/// Most engine events taken in one frame, so a flood cannot stall a frame.
const EVENTS_PER_FRAME: usize = 5000;

impl MagpieApp {
    /// Drains engine events, decoded thumbnails and background results.
    pub(super) fn poll(&mut self) {
        let mut events = Vec::new();
        if let Some(engine) = &self.engine {
            while events.len() < EVENTS_PER_FRAME
                && let Some(event) = engine.try_recv()
            {
                events.push(event);
            }
        }
        let mut new_bytes = 0;
        for event in events {
            new_bytes += self.event_arrived(event);
        }
        self.status.add_bytes(new_bytes);

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

    /// Takes in one engine event; returns the new bytes it reports. An event for a resumed
    /// download whose row is not in yet is held until the row is (see `adding.rs`).
    pub(super) fn event_arrived(&mut self, event: Event) -> u64 {
        if matches!(event, Event::Queued { .. }) {
            // The row says "queued" from the start: nothing to do, and nothing to hold for the
            // 100,000 downloads a reopened folder may resume at once.
            return 0;
        }
        if let Some(id) = event.job()
            && self.pending.awaits(id)
        {
            self.pending.hold(id, event);
            return 0;
        }
        let mut new_bytes = 0;
        match event {
            Event::FolderOpened { asked, folder } => self.folder_opened(asked, folder),
            Event::FolderFailed { asked, error } => {
                self.folder_failed(asked, error.to_string());
            }
            Event::Finished => {}
            Event::Host { host, state } => match state {
                crate::engine::HostState::Normal => {
                    self.hosts.remove(&host);
                }
                other => {
                    self.hosts.insert(host, other);
                }
            },
            Event::PageFetched { asked, result } => match result {
                Ok(page) if page.images.is_empty() => self.set_notice(
                    &format!("No images found on {}", crate::format::redact_url(&asked)),
                    true,
                ),
                Ok(page) => {
                    // Pictures, sizes and types arrive as the engine previews each image.
                    self.send(crate::engine::Command::PreviewImages {
                        page: page.url.clone(),
                        urls: page.images.clone(),
                    });
                    // The checklist answers "looking for the images on it…".
                    if self
                        .notice
                        .as_ref()
                        .is_some_and(|n| n.text == looking_on(&asked))
                    {
                        self.notice = None;
                    }
                    self.page_list = Some(super::page_list::PageList::new(page));
                }
                Err(e) => self.set_notice(
                    &format!("Cannot read {}: {e}", crate::format::redact_url(&asked)),
                    true,
                ),
            },
            Event::Previewed(preview) => {
                let wanted = self
                    .page_list
                    .as_mut()
                    .and_then(|list| list.previewed(*preview));
                if let Some((key, path)) = wanted {
                    self.thumbs.request(crate::thumbs::Request {
                        key,
                        path,
                        purpose: crate::thumbs::Purpose::Preview,
                    });
                }
            }
            Event::Failed {
                id,
                error: crate::engine::FetchError::NotAnImage("an HTML page"),
            } => {
                // An address that answers with a web page: offer the images on it.
                let url = self.items.url_of_job(id).cloned();
                if let Some(url) = url {
                    self.items.forget_job(id);
                    self.dismiss(vec![url.clone()]);
                    self.set_notice(&looking_on(&url), false);
                    self.send(crate::engine::Command::FetchPage { url });
                }
            }
            other => new_bytes += self.items.apply(other),
        }
        new_bytes
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
                            self.folder.dir.display()
                        ),
                        true,
                    ),
                    None => {}
                }
            }
            Background::PasteParsed { generation, list } => self.pasted.parsed(generation, list),
            Background::ListsLoaded { lists, folder } => {
                self.dialog_open = false;
                // Lists dropped with a folder go into it.
                if let Some(dir) = folder
                    && dir != self.folder.dir
                    && dir != self.folder.asked
                {
                    self.use_folder(dir, true);
                }
                for (label, parsed) in lists {
                    match parsed {
                        Ok(list) => self.add_list(list, &label),
                        Err(e) => self.set_notice(&e.to_string(), true),
                    }
                }
            }
            Background::FolderScanned { dir, files } => self.folder_scanned(dir, files),
            Background::FolderChanged { dir, change } => self.folder_changed(dir, change),
            Background::Deleted { gone, failed } => {
                self.files_gone(&gone);
                if let Some(first) = failed.first() {
                    let more = match failed.len() - 1 {
                        0 => String::new(),
                        n => format!(" ({n} more could not be deleted either)"),
                    };
                    self.set_notice(&format!("{first}{more}"), true);
                }
            }
            Background::Exported { count, result } => match result {
                Ok(path) => self.set_notice(
                    &format!(
                        "Wrote {count} failed URL{} to {} — `magpie fetch` takes it as it is.",
                        if count == 1 { "" } else { "s" },
                        path.display()
                    ),
                    false,
                ),
                Err(e) => self.set_notice(&e.to_string(), true),
            },
            Background::ConfigSaved { result } => {
                if let Err(e) = result {
                    self.set_notice(&e.to_string(), true);
                }
            }
        }
    }
}

/// The notice while a web page pasted as an image is read for its images.
fn looking_on(page: &url::Url) -> String {
    format!(
        "{} is a web page: looking for the images on it…",
        crate::format::redact_url(page)
    )
}
