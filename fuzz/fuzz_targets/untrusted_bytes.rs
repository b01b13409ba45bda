//! One input, every reader of bytes from the web: the type sniffing and whole-image checks a
//! download goes through before it is named, the thumbnail decoders (the DC-only JPEG path
//! below 1/8 scale, libjpeg, the image crate, SVG, JPEG XL) at a tile's and a tiny size, and the
//! URL list and page parsers on the same bytes as text. A panic, a hang or a runaway allocation
//! here is a bug: the app must turn any of these inputs into an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use magpie::store::{sniff, verify};

fuzz_target!(|data: &[u8]| {
    if let Some(kind) = sniff(data) {
        let _ = verify::check_chunks(&[bytes::Bytes::copy_from_slice(data)], kind);
    }
    // The decoders read files: one per fuzzing process, in memory where /dev/shm exists.
    thread_local! {
        static PATH: std::path::PathBuf = {
            let dir = std::path::Path::new("/dev/shm");
            let dir = if dir.is_dir() { dir.to_path_buf() } else { std::env::temp_dir() };
            dir.join(format!("magpie-fuzz-{}", std::process::id()))
        };
    }
    PATH.with(|path| {
        if std::fs::write(path, data).is_ok() {
            // 16 px takes the DC-only path for anything over 128 px; 256 px the scaled ones.
            for side in [16, 256] {
                let _ = magpie::thumbs::decode(path, side);
            }
        }
    });
    let text = String::from_utf8_lossy(data);
    let base = url::Url::parse("https://example.com/gallery/").ok();
    let _ = magpie::urls::parse(&text, base.as_ref());
    if let Some(page) = &base {
        let _ = magpie::urls::page_images(&text, page);
    }
});
