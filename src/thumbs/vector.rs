//! SVG thumbnails: the drawing rendered by `resvg` straight at the size asked for (a vector has
//! no pixels to shrink), with the same "nothing outside the file" options the store checks it
//! with. Text is not drawn (no fonts are loaded), nor are linked images.

use std::path::Path;

use image::metadata::Orientation;
use resvg::{tiny_skia, usvg};

use super::decode::{MAX_DECODE_BYTES, ThumbError};
use super::resize::{Channels, Source, fit};

/// Renders the SVG at `path` to fit `max_side`.
pub fn svg(path: &Path, max_side: u32) -> Result<Source, ThumbError> {
    let len = std::fs::metadata(path)
        .map_err(|e| ThumbError::Open(e.to_string()))?
        .len();
    if len > MAX_DECODE_BYTES {
        return Err(ThumbError::TooLarge);
    }
    let data = std::fs::read(path).map_err(|e| ThumbError::Open(e.to_string()))?;
    let tree = usvg::Tree::from_data(&data, &crate::store::verify::svg_options())
        .map_err(|e| ThumbError::Decode(e.to_string()))?;
    let size = tree.size();
    let (nominal_w, nominal_h) = (
        (size.width().ceil() as u32).max(1),
        (size.height().ceil() as u32).max(1),
    );
    // Drawn at the size shown, larger than its nominal size too: a vector stays sharp.
    let longest = nominal_w.max(nominal_h) as f32;
    let scale = max_side as f32 / longest;
    let (w, h) = fit(
        ((nominal_w as f32 * scale).round() as u32).max(1),
        ((nominal_h as f32 * scale).round() as u32).max(1),
        max_side,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(ThumbError::TooLarge)?;
    let transform = tiny_skia::Transform::from_scale(
        w as f32 / size.width().max(f32::EPSILON),
        h as f32 / size.height().max(f32::EPSILON),
    );
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    let rgba = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    Ok(Source {
        width: w,
        height: h,
        pixels: Channels::Rgba(rgba),
        // Its own size, as the gallery and the viewer report it.
        full_width: nominal_w,
        full_height: nominal_h,
        orientation: Orientation::NoTransforms,
        icc: None, // SVG colours are sRGB
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawing_is_rendered_at_the_size_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dot.svg");
        std::fs::write(
            &path,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">
                <rect width="20" height="10" fill="#ff0000"/></svg>"##,
        )
        .unwrap();
        let s = svg(&path, 256).unwrap();
        assert_eq!((s.width, s.height), (256, 128));
        let Channels::Rgba(px) = s.pixels else {
            panic!("rgba")
        };
        assert_eq!(&px[..4], &[255, 0, 0, 255]);
    }

    #[test]
    fn a_linked_file_is_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.png");
        image::RgbImage::from_pixel(4, 4, image::Rgb([0, 255, 0]))
            .save(&secret)
            .unwrap();
        let path = dir.path().join("peek.svg");
        std::fs::write(
            &path,
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="4" height="4"><image width="4" height="4" xlink:href="{}"/></svg>"#,
                secret.display()
            ),
        )
        .unwrap();
        let s = svg(&path, 4).unwrap();
        let Channels::Rgba(px) = s.pixels else {
            panic!("rgba")
        };
        assert!(
            px.chunks(4).all(|p| p[3] == 0),
            "nothing drawn from the linked file"
        );
    }
}
