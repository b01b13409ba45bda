//! Thumbnail textures: tiles on screen ask the pool for pixels, queued requests for tiles that
//! scrolled away are dropped, finished decodes become textures, and at most [`TEXTURE_BUDGET`]
//! textures are kept (the tiles seen longest ago give theirs up and decode again when needed).

use std::collections::HashSet;

use egui::TextureHandle;

use super::app::MagpieApp;
use super::items::{Items, Thumb};
use crate::thumbs::{Decoded, Pixels, Purpose, Request, Thumbnailer};

/// Most thumbnail textures kept at once (~256 KB each): more than a 4K screen of the smallest
/// tiles.
pub const TEXTURE_BUDGET: usize = 800;

/// Which gallery frame it is, to know which tiles were seen longest ago, and which tiles hold
/// a texture.
#[derive(Default)]
pub struct Textures {
    frame: u64,
    /// Keys of the tiles given a texture and not made to give it up here: keeping the budget
    /// looks at these, not at every item (a pass over 100,000 items was most of a scrolling
    /// frame). A key whose item has since lost its texture (a retry, a removed row) is dropped
    /// when found.
    held: HashSet<u64>,
}

impl Textures {
    /// After the gallery drew `visible` tiles: asks for the thumbnails they lack, forgets queued
    /// requests for tiles no longer on screen, and keeps the texture budget.
    pub fn frame(
        &mut self,
        visible: &[u64],
        items: &mut Items<TextureHandle>,
        thumbs: &Thumbnailer,
    ) {
        self.frame += 1;
        for &key in visible {
            let Some(item) = items.index_of_key(key).and_then(|i| items.get_mut(i)) else {
                continue;
            };
            item.seen = self.frame;
            if let (Thumb::None, Some(path)) = (&item.thumb, &item.path) {
                thumbs.request(Request {
                    key,
                    path: path.clone(),
                    purpose: Purpose::Tile,
                });
                item.thumb = Thumb::Loading;
            }
        }
        let on_screen: HashSet<u64> = visible.iter().copied().collect();
        for key in thumbs.retain_tiles(|k| on_screen.contains(&k)) {
            if let Some(item) = items.index_of_key(key).and_then(|i| items.get_mut(i))
                && matches!(item.thumb, Thumb::Loading)
            {
                item.thumb = Thumb::None;
            }
        }
        if self.held.len() > TEXTURE_BUDGET {
            self.evict(items);
        }
    }

    fn evict(&mut self, items: &mut Items<TextureHandle>) {
        let mut ready: Vec<(u64, usize, u64)> = Vec::with_capacity(self.held.len());
        self.held.retain(|&key| {
            let found = items
                .index_of_key(key)
                .and_then(|n| Some((n, items.get(n)?)));
            match found {
                Some((n, item)) if matches!(item.thumb, Thumb::Ready(_)) => {
                    ready.push((item.seen, n, key));
                    true
                }
                _ => false,
            }
        });
        let excess = ready.len().saturating_sub(TEXTURE_BUDGET);
        // Oldest first; tiles on screen this frame are the newest and go last.
        ready.sort_unstable();
        for &(seen, n, key) in ready.iter().take(excess) {
            if seen == self.frame {
                break;
            }
            if let Some(item) = items.get_mut(n) {
                item.thumb = Thumb::None;
                self.held.remove(&key);
            }
        }
    }
}

/// Pixels as egui wants them.
fn color_image(px: &Pixels) -> egui::ColorImage {
    egui::ColorImage::from_rgba_unmultiplied([px.width as usize, px.height as usize], &px.rgba)
}

impl MagpieApp {
    /// A decode finished: a tile texture, the viewer's image, or an image for the clipboard.
    pub(super) fn thumb_arrived(&mut self, done: Decoded) {
        let name = format!("item-{}-{:?}", done.key, done.purpose);
        match done.purpose {
            Purpose::Preview => {
                if let (Some(list), Ok(px)) = (&mut self.page_list, done.result) {
                    let dims = (px.original_width, px.original_height);
                    let texture =
                        self.ctx
                            .load_texture(name, color_image(&px), egui::TextureOptions::LINEAR);
                    list.picture(done.key, texture, dims);
                }
            }
            Purpose::Copy => {
                if let Ok(px) = done.result {
                    self.ctx.copy_image(color_image(&px));
                    self.set_notice("Image copied to the clipboard.", false);
                }
            }
            Purpose::Viewer(side) => {
                if let Some(v) = &mut self.viewer
                    && v.key == done.key
                    && v.requested == side
                {
                    let ctx = &self.ctx;
                    v.set_full(
                        done.result
                            .map(|px| {
                                ctx.load_texture(
                                    name,
                                    color_image(&px),
                                    egui::TextureOptions::LINEAR,
                                )
                            })
                            .map_err(|e| e.to_string()),
                    );
                }
            }
            Purpose::Tile => {
                let Some(item) = self
                    .items
                    .index_of_key(done.key)
                    .and_then(|i| self.items.get_mut(i))
                else {
                    return;
                };
                match done.result {
                    Ok(px) => {
                        self.textures.held.insert(done.key);
                        item.dims = Some((px.original_width, px.original_height));
                        // The pixels are dropped here, once uploaded.
                        item.thumb = Thumb::Ready(self.ctx.load_texture(
                            name,
                            color_image(&px),
                            egui::TextureOptions::LINEAR,
                        ));
                    }
                    Err(crate::thumbs::ThumbError::NoPreview(kind)) => {
                        item.thumb = Thumb::NoPreview(kind);
                    }
                    Err(e) => item.thumb = Thumb::Failed(e.to_string()),
                }
            }
        }
    }
}
