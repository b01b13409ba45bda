//! JPEG shrink-on-load: libjpeg(-turbo lineage, through the `mozjpeg` crate) decodes in the DCT
//! domain at 1/8, 1/4, 1/2 or full scale, so a 12-megapixel photo shown as a 256 px tile never
//! exists at full size in memory. The scale is libvips' rule: the smallest that still leaves the
//! longer side at least the target. A baseline file at 1/8 usually goes to `jpeg_dc` instead,
//! which needs only each block's DC value; libjpeg takes whatever it hands back.

use image::metadata::Orientation;

use super::decode::{MAX_DECODE_BYTES, MAX_DIMENSION, ThumbError};
use super::icc;
use crate::store::jpeg_frame;

/// Pixels decoded at a reduced scale, before the final resize.
pub struct Scaled {
    pub width: u32,
    pub height: u32,
    /// RGB, 3 bytes per pixel.
    pub rgb: Vec<u8>,
    pub full_width: u32,
    pub full_height: u32,
    pub orientation: Orientation,
    /// The ICC profile from its APP2 segments.
    pub icc: Option<Vec<u8>>,
}

/// What the caller should do instead when this decoder is the wrong tool.
pub enum Outcome {
    Done(Scaled),
    /// CMYK/YCCK and other colour spaces libjpeg cannot turn into RGB.
    UseGeneric,
}

/// The numerator n of the n/8 scale for an image whose longer side is `side`.
pub fn scale_numerator(side: u32, target: u32) -> u8 {
    for n in [1u8, 2, 4] {
        if (side * u32::from(n)).div_ceil(8) >= target {
            return n;
        }
    }
    8
}

/// Decodes `data` scaled so its longer side is at least `target` (or full size if smaller).
pub fn decode(data: &[u8], target: u32) -> Result<Outcome, ThumbError> {
    decode_from(
        data,
        jpeg_frame::frame(data).is_some_and(|f| f.progressive),
        target,
    )
}

/// Like [`decode`], reading the file as it goes; `progressive` is what its frame header says
/// ([`jpeg_frame::frame`]).
pub fn decode_from(
    reader: impl std::io::BufRead,
    progressive: bool,
    target: u32,
) -> Result<Outcome, ThumbError> {
    // libjpeg reports errors by unwinding (the crate's error manager); catch it here so a bad
    // file is an error for that file, and no panic message is printed.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_inner(reader, target, progressive)
    }))
    .unwrap_or_else(|cause| {
        let message = cause
            .downcast_ref::<String>()
            .map(|s| s.trim_start_matches("libjpeg fatal error: ").to_string())
            .unwrap_or_else(|| "libjpeg failed".to_string());
        Err(ThumbError::Decode(message))
    })
}

fn decode_inner(
    reader: impl std::io::BufRead,
    target: u32,
    progressive: bool,
) -> Result<Outcome, ThumbError> {
    let io = |e: std::io::Error| ThumbError::Decode(e.to_string());
    let mut d =
        mozjpeg::Decompress::with_markers(&[mozjpeg::Marker::APP(1), mozjpeg::Marker::APP(2)])
            .from_reader(reader)
            .map_err(io)?;
    let (w, h) = d.size();
    let (full_width, full_height) = (dim(w)?, dim(h)?);
    if full_width > MAX_DIMENSION || full_height > MAX_DIMENSION {
        return Err(ThumbError::TooLarge);
    }
    // A progressive file keeps every DCT coefficient of the whole image in memory (2 bytes per
    // coefficient, up to 3 components) whatever the output scale.
    if progressive && u64::from(full_width) * u64::from(full_height) * 6 > MAX_DECODE_BYTES {
        return Err(ThumbError::TooLarge);
    }
    if matches!(
        d.color_space(),
        mozjpeg::ColorSpace::JCS_CMYK | mozjpeg::ColorSpace::JCS_YCCK
    ) {
        return Ok(Outcome::UseGeneric);
    }
    let orientation = d
        .markers()
        .find_map(|m| m.data.strip_prefix(b"Exif\0\0"))
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let icc = icc::from_jpeg_app2(
        d.markers()
            .filter(|m| m.marker == mozjpeg::Marker::APP(2))
            .map(|m| m.data),
    );
    d.scale(scale_numerator(full_width.max(full_height), target));
    // Chroma scaled in the DCT like luma instead of interpolated afterwards, and the fast
    // integer IDCT: both invisible once the result is shrunk again to a thumbnail.
    d.do_fancy_upsampling(false);
    d.dct_method(mozjpeg::DctMethod::IntegerFast);
    let mut started = d.rgb().map_err(io)?;
    let (width, height) = (dim(started.width())?, dim(started.height())?);
    let rgb: Vec<u8> = started.read_scanlines().map_err(io)?;
    // A truncated file gives what was there (libjpeg fills the rest); the store already refuses
    // incomplete downloads, so this is about files from elsewhere.
    let _ = started.finish();
    Ok(Outcome::Done(Scaled {
        width,
        height,
        rgb,
        full_width,
        full_height,
        orientation,
        icc,
    }))
}

fn dim(v: usize) -> Result<u32, ThumbError> {
    u32::try_from(v).map_err(|_| ThumbError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_the_smallest_that_keeps_the_target() {
        assert_eq!(scale_numerator(4000, 256), 1); // 500 px
        assert_eq!(scale_numerator(1024, 256), 2); // 128 would be too small; 256 exact
        assert_eq!(scale_numerator(1000, 256), 4); // 1/4 gives 250 < 256
        assert_eq!(scale_numerator(300, 256), 8);
        assert_eq!(scale_numerator(4000, 4096), 8);
    }

    fn jpeg(width: u32, height: u32, progressive_marker: bool) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        if progressive_marker {
            let at = out.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
            out[at + 1] = 0xC2;
        }
        out
    }

    #[test]
    fn a_large_jpeg_is_decoded_at_an_eighth() {
        let Outcome::Done(s) = decode(&jpeg(2400, 1600, false), 256).unwrap() else {
            panic!("RGB JPEG goes through libjpeg");
        };
        assert_eq!((s.full_width, s.full_height), (2400, 1600));
        assert_eq!((s.width, s.height), (300, 200));
        assert_eq!(s.rgb.len(), 300 * 200 * 3);
    }

    #[test]
    fn a_broken_jpeg_is_an_error_not_a_panic() {
        let mut data = jpeg(64, 64, false);
        data.truncate(20);
        assert!(matches!(decode(&data, 256), Err(ThumbError::Decode(_))));
        assert!(decode(b"\xFF\xD8\xFF\xE0garbage", 256).is_err());
    }
}
