//! The last step of every decode: a SIMD resize (fast_image_resize) to fit the requested size,
//! the colour turned into sRGB and the EXIF orientation applied on the small result, and RGBA
//! out for the texture.

use fast_image_resize as fir;
use image::metadata::Orientation;
use image::{DynamicImage, RgbaImage};

use super::decode::{Pixels, ThumbError};
use super::icc;

/// Decoded pixels at some size, before fitting.
pub struct Source {
    pub width: u32,
    pub height: u32,
    pub pixels: Channels,
    /// The image's size as stored (before orientation).
    pub full_width: u32,
    pub full_height: u32,
    pub orientation: Orientation,
    /// The ICC profile the file describes its colours with, if any ([`icc`]).
    pub icc: Option<Vec<u8>>,
}

pub enum Channels {
    Rgb(Vec<u8>),
    Rgba(Vec<u8>),
}

/// The size that fits `width`×`height` inside `max_side` keeping the aspect ratio (never larger).
pub fn fit(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= max_side {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(max_side) / f64::from(longer);
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, max_side);
    (side(width), side(height))
}

/// Fits `source` inside `max_side`, applies its orientation and returns RGBA pixels.
pub fn finish(source: Source, max_side: u32) -> Result<Pixels, ThumbError> {
    let (tw, th) = fit(source.width, source.height, max_side);
    let icc = source.icc.as_deref();
    let rgba = match source.pixels {
        Channels::Rgb(rgb) => {
            let mut rgb = resize(source.width, source.height, rgb, 3, tw, th)?;
            if let Some(icc) = icc {
                icc::to_srgb(icc, &mut rgb, icc::Channels::Rgb);
            }
            expand(&rgb)
        }
        Channels::Rgba(rgba) => {
            let mut rgba = resize(source.width, source.height, rgba, 4, tw, th)?;
            if let Some(icc) = icc {
                icc::to_srgb(icc, &mut rgba, icc::Channels::Rgba);
            }
            rgba
        }
    };
    let mut image = RgbaImage::from_raw(tw, th, rgba)
        .ok_or_else(|| ThumbError::Decode("pixel buffer has the wrong size".into()))?;
    let (mut full_width, mut full_height) = (source.full_width, source.full_height);
    if source.orientation != Orientation::NoTransforms {
        let mut dynamic = DynamicImage::ImageRgba8(image);
        dynamic.apply_orientation(source.orientation);
        image = dynamic.into_rgba8();
        if image.width() != tw {
            std::mem::swap(&mut full_width, &mut full_height);
        }
    }
    Ok(Pixels {
        width: image.width(),
        height: image.height(),
        rgba: image.into_raw(),
        original_width: full_width,
        original_height: full_height,
    })
}

fn resize(
    width: u32,
    height: u32,
    data: Vec<u8>,
    channels: u8,
    tw: u32,
    th: u32,
) -> Result<Vec<u8>, ThumbError> {
    if (width, height) == (tw, th) {
        return Ok(data);
    }
    let kind = if channels == 3 {
        fir::PixelType::U8x3
    } else {
        fir::PixelType::U8x4
    };
    let bad = |e: &dyn std::fmt::Display| ThumbError::Decode(format!("resize: {e}"));
    let src = fir::images::Image::from_vec_u8(width, height, data, kind).map_err(|e| bad(&e))?;
    let mut dst = fir::images::Image::new(tw, th, kind);
    // Bicubic, as Pillow's thumbnail(); alpha is premultiplied around the resize so transparent
    // pixels' colours don't bleed into the edges.
    let options = fir::ResizeOptions::new()
        .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::CatmullRom))
        .use_alpha(channels == 4);
    fir::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| bad(&e))?;
    Ok(dst.into_vec())
}

fn expand(rgb: &[u8]) -> Vec<u8> {
    let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
    for px in rgb.chunks_exact(3) {
        rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    rgba
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit(600, 300, 256), (256, 128));
        assert_eq!(fit(300, 600, 256), (128, 256));
        assert_eq!(fit(100, 50, 256), (100, 50));
        assert_eq!(fit(10_000, 1, 256), (256, 1));
    }

    #[test]
    fn orientation_turns_the_thumbnail_and_its_reported_size() {
        // A 40×20 image whose EXIF says "rotate 90°": shown 20 wide, 40 high.
        let mut rgb = vec![0u8; 40 * 20 * 3];
        rgb[0] = 255; // top-left pixel red
        let px = finish(
            Source {
                width: 40,
                height: 20,
                pixels: Channels::Rgb(rgb),
                full_width: 4000,
                full_height: 2000,
                orientation: Orientation::Rotate90,
                icc: None,
            },
            256,
        )
        .unwrap();
        assert_eq!((px.width, px.height), (20, 40));
        assert_eq!((px.original_width, px.original_height), (2000, 4000));
        // Rotating 90° clockwise moves the top-left corner to the top-right.
        assert_eq!(px.rgba[(19 * 4) as usize], 255);
        assert_eq!(px.rgba[0], 0);
    }
}
