//! Filters: which images to keep, decided while the download streams so nothing unwanted is
//! saved. Type from the first bytes, dimensions from the header as soon as it has arrived, size
//! from `Content-Length` (before the body) or the bytes received.

use crate::store::Kind;

use crate::config::FetchSettings;
use crate::format::human_bytes;

/// Why an image was left out, as a sentence ("120×90 is smaller than 300×300").
pub type Verdict = Result<(), String>;

/// Whether any filter is set (so the header is worth parsing).
pub fn any(s: &FetchSettings) -> bool {
    s.min_bytes > 0 || s.max_size > 0 || s.min_width > 0 || s.min_height > 0 || !s.types.is_empty()
}

/// The format is one of the kept types (`jpg`, `png`, …; `jpeg` and `jpg` are the same).
pub fn check_type(s: &FetchSettings, kind: Kind) -> Verdict {
    if s.types.is_empty() {
        return Ok(());
    }
    let exts = kind.extensions();
    let kept = s.types.iter().any(|t| {
        let t = t.trim().trim_start_matches('.').to_ascii_lowercase();
        exts.iter().any(|e| *e == t) || (t == "jpeg" && exts.contains(&"jpg"))
    });
    if kept {
        Ok(())
    } else {
        let name = kind.label();
        Err(format!(
            "{name} is not among the types kept ({})",
            s.types.join(", ")
        ))
    }
}

/// The type, and the dimensions when `head` (the start of the body) already holds them.
pub fn check_start(s: &FetchSettings, kind: Kind, head: &[u8]) -> Verdict {
    check_type(s, kind)?;
    match dimensions(head, kind) {
        Some(dims) => check_dimensions(s, dims),
        None => Ok(()),
    }
}

/// The size is at least `min_bytes` (when the whole size is known).
pub fn check_size(s: &FetchSettings, bytes: u64) -> Verdict {
    if bytes < s.min_bytes {
        Err(format!(
            "{} is smaller than {}",
            human_bytes(bytes),
            human_bytes(s.min_bytes)
        ))
    } else {
        check_not_larger(s, bytes)
    }
}

/// The size (or the bytes received so far) is at most `max_size`: checked as the body streams,
/// so a large file is left out as soon as it passes the mark.
pub fn check_not_larger(s: &FetchSettings, bytes: u64) -> Verdict {
    if s.max_size > 0 && bytes > s.max_size {
        Err(format!(
            "{} is larger than {}",
            human_bytes(bytes),
            human_bytes(s.max_size)
        ))
    } else {
        Ok(())
    }
}

/// The dimensions are at least `min_width`×`min_height`.
pub fn check_dimensions(s: &FetchSettings, (w, h): (u32, u32)) -> Verdict {
    if w < s.min_width || h < s.min_height {
        Err(format!(
            "{w}×{h} is smaller than {}×{}",
            s.min_width, s.min_height
        ))
    } else {
        Ok(())
    }
}

/// The dimensions in the first bytes of an image, once its header is all there.
pub fn dimensions(head: &[u8], kind: Kind) -> Option<(u32, u32)> {
    match kind {
        Kind::Raster(image::ImageFormat::Jpeg) => crate::store::jpeg_frame::frame(head)
            .filter(|f| f.width > 0 && f.height > 0)
            .map(|f| (f.width, f.height)),
        Kind::Raster(format) => image::ImageReader::with_format(std::io::Cursor::new(head), format)
            .into_dimensions()
            .ok(),
        Kind::Jxl => {
            use image::ImageDecoder as _;
            jxl_oxide::integration::JxlDecoder::new(std::io::Cursor::new(head))
                .ok()
                .map(|d| d.dimensions())
        }
        // HEIF keeps its size deep in its metadata, SVG in attributes with units: not read.
        Kind::Heif | Kind::Svg => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> FetchSettings {
        FetchSettings {
            min_bytes: 10_000,
            min_width: 300,
            min_height: 300,
            types: vec!["jpg".into(), "webp".into()],
            ..FetchSettings::default()
        }
    }

    #[test]
    fn each_filter_says_why_in_words() {
        let s = settings();
        assert_eq!(
            check_dimensions(&s, (120, 90)).unwrap_err(),
            "120×90 is smaller than 300×300"
        );
        assert!(check_dimensions(&s, (300, 300)).is_ok());
        assert!(check_type(&s, Kind::Raster(image::ImageFormat::Jpeg)).is_ok());
        assert_eq!(
            check_type(&s, Kind::Raster(image::ImageFormat::Png)).unwrap_err(),
            "PNG is not among the types kept (jpg, webp)"
        );
        assert!(
            check_size(&s, 9_999)
                .unwrap_err()
                .contains("is smaller than")
        );
        assert!(!any(&FetchSettings::default()));
    }

    #[test]
    fn dimensions_come_from_a_partial_file() {
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(640, 480)
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let png = png.into_inner();
        assert_eq!(
            dimensions(&png[..64], Kind::Raster(image::ImageFormat::Png)),
            Some((640, 480))
        );
        assert_eq!(
            dimensions(&png[..10], Kind::Raster(image::ImageFormat::Png)),
            None
        );
    }
}
