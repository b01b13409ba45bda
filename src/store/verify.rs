//! Cheap checks that a downloaded image is whole, without decoding it: a JPEG must end with its
//! end-of-image marker, a PNG's chunks must carry valid checksums up to `IEND`, a WebP must be as
//! long as its RIFF header says. A server that cuts a file short while sending a correct
//! Content-Length (or none) is caught here, so no damaged file is saved as if it were good.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use image::ImageFormat;

/// How far from the end a JPEG's end marker may sit (some writers pad after it).
const JPEG_TAIL: u64 = 4096;

/// What is wrong with a downloaded image, in words (shown after "damaged image: ").
#[derive(Debug, thiserror::Error)]
pub enum Damage {
    #[error("the JPEG is cut short (no end-of-image marker)")]
    JpegCutShort,
    #[error("the PNG is cut short (no IEND chunk)")]
    PngNoEnd,
    #[error("the PNG is cut short (a chunk is incomplete)")]
    PngChunkCut,
    #[error("the PNG is damaged (bad checksum in its {chunk} chunk)")]
    PngChecksum { chunk: String },
    #[error("the WebP is cut short")]
    WebpNoHeader,
    #[error("the WebP is cut short ({got} of {declared} bytes)")]
    WebpCutShort { got: u64, declared: u64 },
    #[error("cannot re-read it: {0}")]
    Unreadable(#[from] std::io::Error),
}

/// Checks `bytes` (a whole file) are a complete image of `format`.
pub fn check_bytes(bytes: &[u8], format: ImageFormat) -> Result<(), Damage> {
    match format {
        ImageFormat::Jpeg => {
            let tail = &bytes[bytes.len().saturating_sub(JPEG_TAIL as usize)..];
            check_jpeg_tail(tail)
        }
        ImageFormat::Png => check_png(bytes),
        ImageFormat::WebP => {
            let head = bytes.get(..12).ok_or(Damage::WebpNoHeader)?;
            check_webp(head, bytes.len() as u64)
        }
        _ => Ok(()),
    }
}

fn check_jpeg_tail(tail: &[u8]) -> Result<(), Damage> {
    if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(())
    } else {
        Err(Damage::JpegCutShort)
    }
}

/// `head`: the first 12 bytes (RIFF header); `len`: the file's length.
fn check_webp(head: &[u8], len: u64) -> Result<(), Damage> {
    let declared = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]])) + 8;
    if len >= declared {
        Ok(())
    } else {
        Err(Damage::WebpCutShort { got: len, declared })
    }
}

/// Checks the file at `path` is a complete image of `format`, reading only what the check
/// needs. Formats without a cheap check pass.
pub fn check_complete(path: &Path, format: ImageFormat) -> Result<(), Damage> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    match format {
        ImageFormat::Jpeg => {
            file.seek(SeekFrom::Start(len.saturating_sub(JPEG_TAIL)))?;
            let mut tail = Vec::new();
            file.read_to_end(&mut tail)?;
            check_jpeg_tail(&tail)
        }
        ImageFormat::Png => {
            let mut bytes = Vec::with_capacity(len as usize);
            file.read_to_end(&mut bytes)?;
            check_png(&bytes)
        }
        ImageFormat::WebP => {
            let mut head = [0u8; 12];
            file.read_exact(&mut head)
                .map_err(|_| Damage::WebpNoHeader)?;
            check_webp(&head, len)
        }
        _ => Ok(()),
    }
}

fn check_png(bytes: &[u8]) -> Result<(), Damage> {
    let mut pos = 8;
    loop {
        let Some(header) = bytes.get(pos..pos + 8) else {
            return Err(Damage::PngNoEnd);
        };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let Some(body) = bytes.get(pos + 4..pos + 8 + len) else {
            return Err(Damage::PngChunkCut);
        };
        let Some(crc) = bytes.get(pos + 8 + len..pos + 12 + len) else {
            return Err(Damage::PngChunkCut);
        };
        let expected = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if crc32fast::hash(body) != expected {
            return Err(Damage::PngChecksum {
                chunk: String::from_utf8_lossy(kind).into_owned(),
            });
        }
        if kind == b"IEND" {
            return Ok(());
        }
        pos += 12 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: ImageFormat) -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// Checks both ways (in memory and on disk) and requires they agree.
    fn check(bytes: &[u8], format: ImageFormat) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let on_disk = check_complete(&path, format).map_err(|e| e.to_string());
        let in_memory = check_bytes(bytes, format).map_err(|e| e.to_string());
        assert_eq!(on_disk, in_memory);
        on_disk
    }

    #[test]
    fn whole_images_pass() {
        for f in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::WebP,
            ImageFormat::Gif,
        ] {
            assert_eq!(check(&encoded(f), f), Ok(()), "{f:?}");
        }
    }

    #[test]
    fn truncated_images_fail() {
        for f in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let bytes = encoded(f);
            let cut = &bytes[..bytes.len() - 20];
            assert!(check(cut, f).is_err(), "{f:?}");
        }
    }

    #[test]
    fn png_with_a_flipped_bit_fails() {
        let mut bytes = encoded(ImageFormat::Png);
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        let err = check(&bytes, ImageFormat::Png).unwrap_err();
        assert!(err.contains("bad checksum"), "{err}");
    }
}
