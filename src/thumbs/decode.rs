//! One decode: a file on disk to RGBA pixels scaled to fit a size, under limits (dimensions and
//! allocation), so a hostile 50000×50000 header costs an error, not gigabytes. The content picks
//! the decoder: JPEG takes the shrink-on-load path; JPEG XL `jxl-oxide`; SVG is drawn at the
//! size asked for by `resvg`; the rest the `image` crate; all end in one resize, and colours
//! described by an ICC profile are turned into sRGB. HEIC and AVIF,
//! which no pure-Rust decoder here reads, are [`ThumbError::NoPreview`].

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use image::ImageFormat;

use super::resize::{self, Channels, Source};
use super::vector;
use super::{jpeg, jpeg_dc};
use crate::store::{self, Kind};

/// Why an image could not be shown.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThumbError {
    #[error("cannot open: {0}")]
    Open(String),
    #[error("too large to show (image dimensions over the limit)")]
    TooLarge,
    #[error("this image format cannot be shown")]
    Unsupported,
    #[error("cannot decode: {0}")]
    Decode(String),
    /// Saved and kept, but this build has no decoder for it (`HEIC`, `AVIF`).
    #[error("{0}: no preview")]
    NoPreview(&'static str),
    #[error("the decoder crashed on this file")]
    Panicked,
    #[error("cannot be shown (it failed before and has not changed since)")]
    FailedBefore,
}

/// Largest width or height accepted for decoding.
pub const MAX_DIMENSION: u32 = 20_000;
/// Most memory one decode may allocate.
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// RGBA8 pixels ready for a texture, with the original's size.
#[derive(Debug, Clone)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    pub original_width: u32,
    pub original_height: u32,
}

/// How much of a JPEG is read before decoding starts (and the buffer it then streams through).
const JPEG_PREFIX: usize = 64 * 1024;

/// Decodes `path` under limits and scales it to fit `max_side`, upright as its EXIF says.
///
/// JPEG is decoded shrunk in the DCT domain: at 1/8 from DC values alone ([`super::jpeg_dc`]),
/// else by libjpeg ([`super::jpeg`]); other formats are decoded whole
/// by the `image` crate, after their header's dimensions passed the limits.
pub fn decode(path: &Path, max_side: u32) -> Result<Pixels, ThumbError> {
    let open = |e: std::io::Error| ThumbError::Open(e.to_string());
    let mut file = std::fs::File::open(path).map_err(open)?;
    let mut head = Vec::with_capacity(store::SNIFF_LEN);
    (&mut file)
        .take(store::SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(open)?;
    let kind = store::sniff(&head);
    match kind {
        Some(Kind::Raster(ImageFormat::Avif) | Kind::Heif) => {
            return Err(ThumbError::NoPreview(kind.map_or("image", Kind::label)));
        }
        Some(Kind::Svg) => return resize::finish(vector::svg(path, max_side)?, max_side),
        Some(Kind::Jxl) => {
            file.seek(SeekFrom::Start(0)).map_err(open)?;
            let decoder = jxl_oxide::integration::JxlDecoder::new(BufReader::new(file))
                .map_err(image_error)?;
            return resize::finish(from_decoder(decoder)?, max_side);
        }
        _ => {}
    }
    if kind == Some(Kind::Raster(ImageFormat::Jpeg)) {
        let len = file.metadata().map_err(open)?.len();
        if len > MAX_DECODE_BYTES {
            return Err(ThumbError::TooLarge);
        }
        // The frame header is nearly always in the first 64 KB: then the rest streams through
        // a small buffer that stays in the CPU cache, instead of being copied into one as big
        // as the file (that copy was a seventh of a 12 MP thumbnail's time).
        let mut data = head;
        (&mut file)
            .take(JPEG_PREFIX as u64)
            .read_to_end(&mut data)
            .map_err(open)?;
        let outcome = match store::jpeg_frame::frame(&data) {
            // At 1/8 scale only each block's DC value is needed: the fast path reads the
            // whole file (it skips AC codes, or a progressive file's AC scans, instead of
            // decoding them); it hands anything unusual back to libjpeg.
            Some(frame) if jpeg::scale_numerator(frame.width.max(frame.height), max_side) == 1 => {
                // Exactly the file's size, not the doubling growth of read_to_end.
                data.reserve_exact((len as usize).saturating_sub(data.len()));
                file.read_to_end(&mut data).map_err(open)?;
                match jpeg_dc::decode_eighth(&mut data) {
                    Some(scaled) => jpeg::Outcome::Done(scaled),
                    // Its scans were rewritten in place: libjpeg reads the file afresh.
                    None => jpeg::decode(&std::fs::read(path).map_err(open)?, max_side)?,
                }
            }
            Some(frame) => {
                let rest =
                    BufReader::with_capacity(JPEG_PREFIX, std::io::Cursor::new(data).chain(file));
                jpeg::decode_from(rest, frame.progressive, max_side)?
            }
            None => {
                file.read_to_end(&mut data).map_err(open)?;
                jpeg::decode(&data, max_side)?
            }
        };
        if let jpeg::Outcome::Done(s) = outcome {
            let source = Source {
                width: s.width,
                height: s.height,
                pixels: Channels::Rgb(s.rgb),
                full_width: s.full_width,
                full_height: s.full_height,
                orientation: s.orientation,
                icc: s.icc,
            };
            return resize::finish(source, max_side);
        }
        // A colour space libjpeg cannot turn into RGB: the image crate reads it whole.
        let file = std::fs::File::open(path).map_err(open)?;
        return resize::finish(generic(BufReader::new(file))?, max_side);
    }
    file.seek(SeekFrom::Start(0)).map_err(open)?;
    resize::finish(generic(BufReader::new(file))?, max_side)
}

/// Any format the `image` crate reads: limits checked on the header before the body is read,
/// the first frame of an animation.
fn generic<R: BufRead + Seek>(reader: R) -> Result<Source, ThumbError> {
    let mut reader = ImageReader::new(reader)
        .with_guessed_format()
        .map_err(|e| ThumbError::Open(e.to_string()))?;
    reader.limits(limits());
    from_decoder(reader.into_decoder().map_err(image_error)?)
}

/// The most a decode may take: [`MAX_DIMENSION`] a side, [`MAX_DECODE_BYTES`] of memory.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

/// Pixels from any `image` decoder, under the limits; the first frame of an animation.
fn from_decoder(mut decoder: impl ImageDecoder) -> Result<Source, ThumbError> {
    decoder.set_limits(limits()).map_err(image_error)?;
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(ThumbError::TooLarge);
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let (width, height) = (image.width(), image.height());
    let pixels = if image.color().has_alpha() {
        Channels::Rgba(image.into_rgba8().into_raw())
    } else {
        Channels::Rgb(image.into_rgb8().into_raw())
    };
    Ok(Source {
        width,
        height,
        pixels,
        full_width: width,
        full_height: height,
        orientation,
        icc,
    })
}

fn image_error(e: image::ImageError) -> ThumbError {
    match e {
        image::ImageError::Limits(_) => ThumbError::TooLarge,
        image::ImageError::Unsupported(_) => ThumbError::Unsupported,
        other => ThumbError::Decode(other.to_string()),
    }
}

/// Whether a file name looks like an image the gallery can show.
pub fn is_image_file(path: &Path) -> bool {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
        return false;
    };
    matches!(ext.to_ascii_lowercase().as_str(), "jpe" | "jfif")
        || Kind::from_extension(ext).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnail_fits_and_keeps_original_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.png");
        image::RgbImage::from_pixel(600, 300, image::Rgb([1, 2, 3]))
            .save(&path)
            .unwrap();
        let px = decode(&path, 256).unwrap();
        assert_eq!((px.width, px.height), (256, 128));
        assert_eq!((px.original_width, px.original_height), (600, 300));
        assert_eq!(px.rgba.len(), 256 * 128 * 4);
    }

    #[test]
    fn a_jpeg_streams_or_is_read_whole_with_the_same_result() {
        let dir = tempfile::tempdir().unwrap();
        let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut jpeg = std::io::Cursor::new(Vec::new());
        img.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
        let jpeg = jpeg.into_inner();
        // The same picture behind 100 KB of comments: its frame header is past the first look.
        let mut padded = jpeg[..2].to_vec();
        for _ in 0..2 {
            padded.extend_from_slice(&[0xFF, 0xFE, 0xC3, 0x52]);
            padded.extend(std::iter::repeat_n(b'.', 0xC350));
        }
        padded.extend_from_slice(&jpeg[2..]);
        assert!(padded.len() > JPEG_PREFIX + 30_000);
        let (plain, behind) = (dir.path().join("plain.jpg"), dir.path().join("behind.jpg"));
        std::fs::write(&plain, &jpeg).unwrap();
        std::fs::write(&behind, &padded).unwrap();
        let a = decode(&plain, 160).unwrap();
        let b = decode(&behind, 160).unwrap();
        assert_eq!((a.width, a.height), (160, 120));
        assert_eq!((a.original_width, a.original_height), (640, 480));
        assert_eq!((b.width, b.height, b.original_width), (160, 120, 640));
        assert_eq!(a.rgba, b.rgba, "both ways decode the same pixels");
    }

    use crate::store::verify::png_chunk as chunk;

    /// A PNG that claims `side`×`side` pixels of `color_type` but carries almost no data.
    fn claimed_size_png(side: u32, color_type: u8) -> Vec<u8> {
        let mut ihdr = side.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&side.to_be_bytes());
        ihdr.extend_from_slice(&[8, color_type, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &ihdr));
        png.extend(chunk(
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ));
        png.extend(chunk(b"IEND", &[]));
        png
    }

    #[test]
    fn huge_dimensions_in_a_tiny_file_are_refused_without_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.png");
        std::fs::write(&path, claimed_size_png(50_000, 2)).unwrap();
        let err = decode(&path, 256).unwrap_err();
        assert_eq!(err, ThumbError::TooLarge);
    }

    #[test]
    fn an_image_needing_a_gigabyte_is_refused_before_decoding() {
        // 16000×16000 RGBA is 1 GB of pixels: the limit check happens on the header, before
        // any pixel buffer is allocated.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.png");
        std::fs::write(&path, claimed_size_png(16_000, 6)).unwrap();
        let err = decode(&path, 256).unwrap_err();
        assert_eq!(err, ThumbError::TooLarge);
    }

    #[test]
    fn animated_gif_shows_its_first_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anim.gif");
        {
            let file = std::fs::File::create(&path).unwrap();
            let mut enc = image::codecs::gif::GifEncoder::new(file);
            let frames = [10u8, 200].map(|v| {
                image::Frame::new(image::RgbaImage::from_pixel(
                    30,
                    20,
                    image::Rgba([v, v, v, 255]),
                ))
            });
            enc.encode_frames(frames).unwrap();
        }
        let px = decode(&path, 256).unwrap();
        assert_eq!((px.original_width, px.original_height), (30, 20));
        assert_eq!(px.rgba[0], 10);
    }

    #[test]
    fn broken_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert!(decode(&path, 256).is_err());
    }
}
