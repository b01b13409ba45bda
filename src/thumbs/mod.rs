//! Decoding images off the UI thread: thumbnails for the gallery, screen-sized copies for the
//! viewer, full-size ones for "Copy image".
//!
//! A pool of named worker threads serves [`Request`]s by [`Purpose`]: the viewer first, then a
//! copy, then gallery tiles, newest request first (what is on screen now). Tile requests for tiles
//! that scrolled away are dropped ([`Thumbnailer::retain_tiles`]); the same request is never
//! queued or decoded twice at once; a decoder that panics on a file yields an error for that file
//! and the worker lives on. Nothing here knows egui: the UI turns [`Pixels`] into textures.

pub mod cache;
mod decode;
mod icc;
mod jpeg;
mod jpeg_dc;
mod resize;
mod vector;

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, mpsc};

pub use cache::{CacheSize, ThumbCache};
pub use decode::{MAX_DECODE_BYTES, MAX_DIMENSION, Pixels, ThumbError, decode, is_image_file};

/// What a decode is for; decides its size and its place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A gallery tile, from the shared cache's thumbnails of this size (see
    /// [`CacheSize::for_tile`]).
    Tile(CacheSize),
    /// The viewer: fitting this many pixels a side (the screen's; the original's once zoomed
    /// past what that shows).
    Viewer(u32),
    /// "Copy image": the whole image (up to a limit).
    Copy,
    /// A small picture in the page checklist (of a temporary file: never cached).
    Preview,
}

impl Purpose {
    /// Longest side of the decoded pixels.
    pub fn max_side(self) -> u32 {
        match self {
            Purpose::Tile(size) => size.pixels(),
            Purpose::Viewer(side) => side.clamp(1, MAX_DIMENSION),
            Purpose::Copy => 8192,
            Purpose::Preview => PREVIEW_SIDE,
        }
    }
}

/// Longest side of a page checklist picture.
pub const PREVIEW_SIDE: u32 = 96;

/// A decode to do, tagged with the caller's `key`.
#[derive(Debug, Clone)]
pub struct Request {
    pub key: u64,
    pub path: PathBuf,
    pub purpose: Purpose,
}

/// The answer to a [`Request`].
#[derive(Debug)]
pub struct Decoded {
    pub key: u64,
    pub purpose: Purpose,
    pub result: Result<Pixels, ThumbError>,
}

/// The function that turns a file into pixels for a purpose (replaceable in tests).
pub type Decoder = Arc<dyn Fn(&Path, Purpose) -> Result<Pixels, ThumbError> + Send + Sync>;

/// Requests waiting for a worker, by purpose, and those being decoded.
#[derive(Default)]
struct Queue {
    viewer: VecDeque<Request>,
    copy: VecDeque<Request>,
    previews: VecDeque<Request>,
    tiles: VecDeque<Request>,
    busy: HashSet<(u64, Purpose)>,
    closed: bool,
}

impl Queue {
    fn lane(&mut self, purpose: Purpose) -> &mut VecDeque<Request> {
        match purpose {
            Purpose::Viewer(_) => &mut self.viewer,
            Purpose::Copy => &mut self.copy,
            Purpose::Preview => &mut self.previews,
            Purpose::Tile(_) => &mut self.tiles,
        }
    }

    fn next(&mut self) -> Option<Request> {
        // Tiles: the newest request is the tile the user is looking at now.
        self.viewer
            .pop_front()
            .or_else(|| self.copy.pop_front())
            .or_else(|| self.previews.pop_front())
            .or_else(|| self.tiles.pop_back())
    }
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

/// A pool of decoding threads.
pub struct Thumbnailer {
    shared: Arc<Shared>,
    results: mpsc::Receiver<Decoded>,
}

impl Thumbnailer {
    /// Starts `threads` workers with the real decoder; `wake` is called after each result.
    /// Tiles come from, and go to, `cache` when there is one.
    pub fn start(
        threads: usize,
        wake: Arc<dyn Fn() + Send + Sync>,
        cache: Option<ThumbCache>,
    ) -> Self {
        let decoder: Decoder =
            Arc::new(
                move |path: &Path, purpose: Purpose| match (&cache, purpose) {
                    (Some(cache), Purpose::Tile(size)) => cache::thumbnail(cache, path, size),
                    _ => decode(path, purpose.max_side()),
                },
            );
        Self::with_decoder(threads, wake, decoder)
    }

    /// Starts `threads` workers that decode with `decoder`.
    pub fn with_decoder(
        threads: usize,
        wake: Arc<dyn Fn() + Send + Sync>,
        decoder: Decoder,
    ) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
        });
        let (tx, results) = mpsc::channel();
        for i in 0..threads.max(1) {
            let shared = shared.clone();
            let tx = tx.clone();
            let wake = wake.clone();
            let decoder = decoder.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("magpie-thumbs-{i}"))
                .spawn(move || {
                    crate::background::mark_current_thread();
                    work(&shared, &tx, &*wake, &decoder)
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start a thumbnail worker: {e}");
            }
        }
        Self { shared, results }
    }

    /// The number of decoding threads that suits this machine.
    pub fn default_threads() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8))
    }

    /// Queues a decode, unless the same one is already queued or running. A request still
    /// queued for the same key and use is decoded at the size asked last (a tile that grew past
    /// its thumbnail while waiting for it).
    pub fn request(&self, req: Request) {
        let Ok(mut q) = self.shared.queue.lock() else {
            return;
        };
        if q.busy.contains(&(req.key, req.purpose)) {
            return;
        }
        let lane = q.lane(req.purpose);
        if let Some(queued) = lane.iter_mut().find(|r| r.key == req.key) {
            queued.purpose = req.purpose;
            return;
        }
        lane.push_back(req);
        drop(q);
        self.shared.ready.notify_one();
    }

    /// Drops every queued request for `key` (its item was removed).
    pub fn cancel(&self, key: u64) {
        if let Ok(mut q) = self.shared.queue.lock() {
            q.tiles.retain(|r| r.key != key);
            q.viewer.retain(|r| r.key != key);
            q.copy.retain(|r| r.key != key);
        }
    }

    /// Keeps only the queued tile requests for which `keep` holds (tiles still near the screen);
    /// returns the keys dropped, so the caller can ask again when they come back.
    pub fn retain_tiles(&self, keep: impl Fn(u64) -> bool) -> Vec<u64> {
        let Ok(mut q) = self.shared.queue.lock() else {
            return Vec::new();
        };
        let mut dropped = Vec::new();
        q.tiles.retain(|r| {
            let k = keep(r.key);
            if !k {
                dropped.push(r.key);
            }
            k
        });
        dropped
    }

    /// Queued tile requests (for tests and diagnostics).
    pub fn queued_tiles(&self) -> usize {
        self.shared.queue.lock().map_or(0, |q| q.tiles.len())
    }

    /// A finished decode, if any (never blocks).
    pub fn try_recv(&self) -> Option<Decoded> {
        self.results.try_recv().ok()
    }
}

impl Drop for Thumbnailer {
    fn drop(&mut self) {
        // Workers finish their current decode and exit; don't wait on them.
        if let Ok(mut q) = self.shared.queue.lock() {
            q.closed = true;
        }
        self.shared.ready.notify_all();
    }
}

fn work(
    shared: &Shared,
    tx: &mpsc::Sender<Decoded>,
    wake: &(dyn Fn() + Send + Sync),
    decoder: &Decoder,
) {
    loop {
        let req = {
            let Ok(mut q) = shared.queue.lock() else {
                return;
            };
            loop {
                if q.closed {
                    return;
                }
                if let Some(req) = q.next() {
                    q.busy.insert((req.key, req.purpose));
                    break req;
                }
                q = match shared.ready.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
        };
        // A decoder bug on one hostile file costs that file, not the worker.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decoder(&req.path, req.purpose)
        }))
        .unwrap_or(Err(ThumbError::Panicked));
        if let Ok(mut q) = shared.queue.lock() {
            q.busy.remove(&(req.key, req.purpose));
        }
        let done = Decoded {
            key: req.key,
            purpose: req.purpose,
            result,
        };
        if tx.send(done).is_err() {
            return;
        }
        wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixels() -> Pixels {
        Pixels {
            width: 1,
            height: 1,
            rgba: vec![0; 4],
            original_width: 1,
            original_height: 1,
        }
    }

    fn wait(pool: &Thumbnailer) -> Decoded {
        let start = std::time::Instant::now();
        loop {
            if let Some(d) = pool.try_recv() {
                return d;
            }
            assert!(start.elapsed().as_secs() < 10, "no result");
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_decoder_that_panics_gives_an_error_and_the_worker_lives_on() {
        let decoder: Decoder = Arc::new(|path: &Path, _| {
            if path.ends_with("evil.png") {
                panic!("decoder bug");
            }
            Ok(pixels())
        });
        let pool = Thumbnailer::with_decoder(1, Arc::new(|| {}), decoder);
        let req = |key, name: &str| Request {
            key,
            path: PathBuf::from(name),
            purpose: Purpose::Tile(CacheSize::Large),
        };
        pool.request(req(1, "evil.png"));
        let first = wait(&pool);
        assert_eq!(first.key, 1);
        assert_eq!(first.result.unwrap_err(), ThumbError::Panicked);
        pool.request(req(2, "fine.png"));
        let second = wait(&pool);
        assert_eq!(second.key, 2);
        assert!(second.result.is_ok(), "the one worker still decodes");
    }

    #[test]
    fn the_viewer_goes_first_tiles_scrolled_away_are_dropped_and_the_last_size_asked_wins() {
        // One worker, held on a first decode while the queue fills.
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let g = gate.clone();
        let decoder: Decoder = Arc::new(move |_: &Path, _| {
            let (open, cv) = &*g;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
            Ok(pixels())
        });
        let pool = Thumbnailer::with_decoder(1, Arc::new(|| {}), decoder);
        let req = |key, purpose| Request {
            key,
            path: PathBuf::from(format!("{key}.png")),
            purpose,
        };
        pool.request(req(1, Purpose::Tile(CacheSize::Large)));
        while pool.queued_tiles() > 0 {
            std::thread::yield_now(); // the worker took it and waits at the gate
        }
        for key in 2..=5 {
            pool.request(req(key, Purpose::Tile(CacheSize::Large)));
        }
        pool.request(req(3, Purpose::Tile(CacheSize::Large))); // asked again: still queued once
        // Asked again at another size while queued: decoded once, at the size asked last.
        pool.request(req(5, Purpose::Tile(CacheSize::XLarge)));
        pool.request(req(9, Purpose::Viewer(1920)));
        pool.request(req(9, Purpose::Viewer(4000)));
        assert_eq!(pool.queued_tiles(), 4);
        let dropped = pool.retain_tiles(|k| k >= 4);
        assert_eq!(dropped, [2, 3]);
        {
            let (open, cv) = &*gate;
            *open.lock().unwrap() = true;
            cv.notify_all();
        }
        let order: Vec<(u64, Purpose)> = (0..4)
            .map(|_| {
                let d = wait(&pool);
                (d.key, d.purpose)
            })
            .collect();
        assert_eq!(
            order,
            [
                (1, Purpose::Tile(CacheSize::Large)),
                (9, Purpose::Viewer(4000)),
                (5, Purpose::Tile(CacheSize::XLarge)),
                (4, Purpose::Tile(CacheSize::Large))
            ]
        );
    }
}
