//! Thumbnail textures: tiles on screen ask the pool for pixels at the size they are drawn (the
//! shared cache's 128, 256 or 512 px, by the tile's width in screen pixels), queued requests for
//! tiles that scrolled away are dropped, finished decodes become textures, and at most
//! [`TEXTURE_BUDGET`] textures and [`TEXTURE_BYTES`] bytes are kept (the tiles seen longest ago
//! give theirs up and decode again when needed). A tile grown past its texture (the slider
//! moved, the window went to a HiDPI screen) shows the one it has until the larger one arrives.

use std::collections::{HashMap, HashSet};

use egui::TextureHandle;

use super::app::MagpieApp;
use super::items::{Items, Thumb};
use crate::thumbs::{CacheSize, Decoded, Pixels, Purpose, Request, Thumbnailer};

/// Most thumbnail textures kept at once: more than a 4K screen of the smallest tiles.
pub const TEXTURE_BUDGET: usize = 800;

/// Most bytes of thumbnail textures kept at once: the budget's worth of 256 px ones (200 MiB).
/// Larger tiles hold fewer (about 270 of 512 px), still several screens of them.
pub const TEXTURE_BYTES: usize = TEXTURE_BUDGET * 256 * 256 * 4;

/// A tile's texture: the size it was asked at, and what it takes.
#[derive(Debug, Clone, Copy)]
struct Held {
    size: CacheSize,
    bytes: usize,
    /// A larger one is queued.
    growing: bool,
}

/// Which gallery frame it is, to know which tiles were seen longest ago, and which tiles hold
/// a texture.
#[derive(Default)]
pub struct Textures {
    frame: u64,
    /// The tiles given a texture and not made to give it up here: keeping the budget looks at
    /// these, not at every item (a pass over 100,000 items was most of a scrolling frame). A key
    /// whose item has since lost its texture (a retry, a removed row) is dropped when found.
    held: HashMap<u64, Held>,
    /// What `held` takes (stale entries included until they are found).
    bytes: usize,
}

impl Textures {
    /// After the gallery drew `visible` tiles `tile_pixels` wide on screen: asks for the
    /// thumbnails they lack or have outgrown, forgets queued requests for tiles no longer on
    /// screen, and keeps the texture budget.
    pub fn frame(
        &mut self,
        visible: &[u64],
        tile_pixels: f32,
        items: &mut Items<TextureHandle>,
        thumbs: &Thumbnailer,
    ) {
        self.frame += 1;
        let wanted = CacheSize::for_tile(tile_pixels);
        for &key in visible {
            let Some(item) = items.index_of_key(key).and_then(|i| items.get_mut(i)) else {
                continue;
            };
            item.seen = self.frame;
            let Some(path) = &item.path else { continue };
            let ask = match &item.thumb {
                Thumb::None => {
                    item.thumb = Thumb::Loading;
                    true
                }
                // An image no longer than its thumbnail gains nothing from a larger one.
                Thumb::Ready(_) => self.held.get_mut(&key).is_some_and(|held| {
                    let grows = held.size < wanted
                        && !held.growing
                        && item.dims.is_none_or(|(w, h)| w.max(h) > held.size.pixels());
                    held.growing |= grows;
                    grows
                }),
                _ => false,
            };
            if ask {
                thumbs.request(Request {
                    key,
                    path: path.clone(),
                    purpose: Purpose::Tile(wanted),
                });
            }
        }
        let on_screen: HashSet<u64> = visible.iter().copied().collect();
        for key in thumbs.retain_tiles(|k| on_screen.contains(&k)) {
            if let Some(held) = self.held.get_mut(&key) {
                held.growing = false;
            }
            if let Some(item) = items.index_of_key(key).and_then(|i| items.get_mut(i))
                && matches!(item.thumb, Thumb::Loading)
            {
                item.thumb = Thumb::None;
            }
        }
        if self.held.len() > TEXTURE_BUDGET || self.bytes > TEXTURE_BYTES {
            self.evict(items);
        }
    }

    /// Tile `key` gave up its texture (its file changed): the budget no longer counts it.
    pub fn forget(&mut self, key: u64) {
        if let Some(held) = self.held.remove(&key) {
            self.bytes -= held.bytes;
        }
    }

    /// A tile's texture of `size` arrived, taking `bytes` (`None`: a larger one could not be
    /// made, and the tile keeps what it has). Says whether to show it: not when the tile holds
    /// a larger one already.
    fn arrived(&mut self, key: u64, size: CacheSize, bytes: Option<usize>) -> bool {
        let old = self.held.get(&key).copied();
        if old.is_some_and(|old| old.size > size) {
            return false;
        }
        let old_bytes = old.map_or(0, |old| old.bytes);
        let bytes = bytes.unwrap_or(old_bytes);
        self.bytes = self.bytes - old_bytes + bytes;
        self.held.insert(
            key,
            Held {
                size,
                bytes,
                growing: false,
            },
        );
        true
    }

    fn evict(&mut self, items: &mut Items<TextureHandle>) {
        let mut ready: Vec<(u64, usize, u64)> = Vec::with_capacity(self.held.len());
        self.held.retain(|&key, _| {
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
        self.bytes = self.held.values().map(|h| h.bytes).sum();
        // Oldest first; tiles on screen this frame are the newest and go last.
        ready.sort_unstable();
        for &(seen, n, key) in &ready {
            if seen == self.frame
                || (self.held.len() <= TEXTURE_BUDGET && self.bytes <= TEXTURE_BYTES)
            {
                break;
            }
            if let Some(item) = items.get_mut(n) {
                item.thumb = Thumb::None;
                if let Some(held) = self.held.remove(&key) {
                    self.bytes -= held.bytes;
                }
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
                    // Told by the viewer's own decode too: the tile's may be gone, or older
                    // than the file (rewritten since).
                    if let (Ok(px), Some(item)) = (
                        &done.result,
                        self.items
                            .index_of_key(done.key)
                            .and_then(|i| self.items.get_mut(i)),
                    ) {
                        item.dims = Some((px.original_width, px.original_height));
                    }
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
            Purpose::Tile(size) => {
                let Some(item) = self
                    .items
                    .index_of_key(done.key)
                    .and_then(|i| self.items.get_mut(i))
                else {
                    return;
                };
                match (done.result, &item.thumb) {
                    (Ok(px), _) => {
                        if !self.textures.arrived(done.key, size, Some(px.rgba.len())) {
                            return;
                        }
                        item.dims = Some((px.original_width, px.original_height));
                        // The pixels are dropped here, once uploaded.
                        item.thumb = Thumb::Ready(self.ctx.load_texture(
                            name,
                            color_image(&px),
                            egui::TextureOptions::LINEAR,
                        ));
                    }
                    // A larger one failed: the tile keeps the one it has and asks no more.
                    (Err(_), Thumb::Ready(_)) => {
                        self.textures.arrived(done.key, size, None);
                    }
                    (Err(crate::thumbs::ThumbError::NoPreview(kind)), _) => {
                        item.thumb = Thumb::NoPreview(kind);
                    }
                    (Err(e), _) => item.thumb = Thumb::Failed(e.to_string()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::thumbs::ThumbError;
    use crate::ui::items::Place;

    #[test]
    fn large_textures_are_kept_within_the_byte_budget_not_only_the_count() {
        let ctx = egui::Context::default();
        let mut items = Items::<TextureHandle>::default();
        let batch = items.new_batch();
        let n = 400; // within the count, over the bytes when each is a 512 px thumbnail
        for i in 0..n {
            let path = PathBuf::from(format!("/photos/{i}.jpg"));
            items.add_on_disk(path, 1, Place::new(batch, i));
        }
        let thumbs = Thumbnailer::with_decoder(
            1,
            Arc::new(|| {}),
            Arc::new(|_: &std::path::Path, _| Err(ThumbError::Unsupported)),
        );
        let (size, bytes) = (CacheSize::XLarge, 512 * 384 * 4);
        let mut textures = Textures::default();
        for i in 0..n {
            // Tile i arrives and is on screen alone (its texture is egui's small example
            // image: the budget goes by the bytes the decode reported).
            let key = items.get(i).unwrap().key;
            let texture = ctx.load_texture("t", egui::ColorImage::example(), Default::default());
            items.get_mut(i).unwrap().thumb = Thumb::Ready(texture);
            textures.arrived(key, size, Some(bytes));
            textures.frame(&[key], 400.0, &mut items, &thumbs);
        }
        let ready: Vec<usize> = (0..n)
            .filter(|&i| matches!(items.get(i).unwrap().thumb, Thumb::Ready(_)))
            .collect();
        let fits = TEXTURE_BYTES / bytes;
        assert_eq!(ready.len(), fits, "textures kept");
        assert_eq!(ready[0], n - fits, "the ones seen last are kept");
        assert!(textures.bytes <= TEXTURE_BYTES);
    }
}
