//! What a body is, from its first bytes: an image [`Kind`] Magpie takes, or words for what it is
//! instead ("an HTML page", "JSON"). The content decides, never the URL or the Content-Type.

use image::ImageFormat;

/// An image format Magpie saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// One the `image` crate knows by name (PNG, JPEG, GIF, WebP, BMP, TIFF, ICO, QOI, AVIF).
    Raster(ImageFormat),
    /// JPEG XL (codestream or container).
    Jxl,
    /// HEIF, as iPhones save photos (HEIC).
    Heif,
    /// An SVG drawing.
    Svg,
}

impl Kind {
    /// Every kind Magpie saves.
    pub const ALL: [Kind; 12] = [
        Kind::Raster(ImageFormat::Jpeg),
        Kind::Raster(ImageFormat::Png),
        Kind::Raster(ImageFormat::Gif),
        Kind::Raster(ImageFormat::WebP),
        Kind::Raster(ImageFormat::Bmp),
        Kind::Raster(ImageFormat::Tiff),
        Kind::Raster(ImageFormat::Ico),
        Kind::Raster(ImageFormat::Qoi),
        Kind::Raster(ImageFormat::Avif),
        Kind::Jxl,
        Kind::Heif,
        Kind::Svg,
    ];

    /// File extensions, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Raster(f) => f.extensions_str(),
            Kind::Jxl => &["jxl"],
            Kind::Heif => &["heic", "heif", "hif"],
            Kind::Svg => &["svg"],
        }
    }

    /// The usual extension (`jpg`).
    pub fn extension(self) -> &'static str {
        self.extensions().first().copied().unwrap_or("img")
    }

    pub fn mime(self) -> &'static str {
        match self {
            Kind::Raster(f) => f.to_mime_type(),
            Kind::Jxl => "image/jxl",
            Kind::Heif => "image/heic",
            Kind::Svg => "image/svg+xml",
        }
    }

    /// What people call it: `JPEG`, `HEIC`, `SVG`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Raster(ImageFormat::Jpeg) => "JPEG",
            Kind::Raster(ImageFormat::Png) => "PNG",
            Kind::Raster(ImageFormat::Gif) => "GIF",
            Kind::Raster(ImageFormat::WebP) => "WebP",
            Kind::Raster(ImageFormat::Bmp) => "BMP",
            Kind::Raster(ImageFormat::Tiff) => "TIFF",
            Kind::Raster(ImageFormat::Ico) => "ICO",
            Kind::Raster(ImageFormat::Qoi) => "QOI",
            Kind::Raster(ImageFormat::Avif) => "AVIF",
            Kind::Raster(_) => "image",
            Kind::Jxl => "JPEG XL",
            Kind::Heif => "HEIC",
            Kind::Svg => "SVG",
        }
    }

    /// The kind a file extension names, if any (for files already on disk).
    pub fn from_extension(ext: &str) -> Option<Self> {
        let ext = ext.to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.extensions().contains(&ext.as_str()))
    }
}

/// The image kind the first bytes announce, if Magpie takes it. Only formats whose header this
/// build can check (so a text reply starting with `P1` is not a PBM image), plus AVIF and HEIF,
/// recognised by their ISO media `ftyp` box, which no text has.
pub fn sniff(first_bytes: &[u8]) -> Option<Kind> {
    if let Some(kind) = iso_media(first_bytes) {
        return Some(kind);
    }
    if first_bytes.starts_with(&[0xFF, 0x0A]) || first_bytes.starts_with(JXL_CONTAINER) {
        return Some(Kind::Jxl);
    }
    if let Ok(format) = image::guess_format(first_bytes)
        && matches!(
            format,
            ImageFormat::Png
                | ImageFormat::Jpeg
                | ImageFormat::Gif
                | ImageFormat::WebP
                | ImageFormat::Bmp
                | ImageFormat::Tiff
                | ImageFormat::Ico
                | ImageFormat::Qoi
        )
    {
        return Some(Kind::Raster(format));
    }
    is_svg(first_bytes).then_some(Kind::Svg)
}

/// The JPEG XL container's signature box.
const JXL_CONTAINER: &[u8] = &[
    0x00, 0x00, 0x00, 0x0C, b'J', b'X', b'L', b' ', 0x0D, 0x0A, 0x87, 0x0A,
];

/// AVIF or HEIF from an ISO media file's `ftyp` box: its major brand, else its compatible ones.
fn iso_media(head: &[u8]) -> Option<Kind> {
    if head.get(4..8) != Some(b"ftyp") {
        return None;
    }
    let size = u32::from_be_bytes(head.get(..4)?.try_into().ok()?) as usize;
    let brands = head.get(8..size.min(head.len()))?;
    let brand = |b: &[u8]| match b {
        b"avif" | b"avis" => Some(Kind::Raster(ImageFormat::Avif)),
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => Some(Kind::Heif),
        _ => None,
    };
    // Major brand, then the compatible ones (after the 4-byte minor version).
    let major = brands.get(..4)?;
    brand(major)
        .or_else(|| brands.get(8..)?.chunks_exact(4).find_map(brand))
        .or_else(|| matches!(major, b"mif1" | b"msf1").then_some(Kind::Heif))
}

/// An SVG document: `<svg`, maybe after an XML declaration, comments and a doctype, and no HTML.
fn is_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let lower = text.to_ascii_lowercase();
    (lower.starts_with("<svg") || lower.starts_with("<?xml") || lower.starts_with("<!--"))
        && lower.contains("<svg")
        && !lower.contains("<html")
}

/// Words for a body that is not an image: "an HTML page", "JSON", "text", "unknown data".
pub fn describe_non_image(first_bytes: &[u8]) -> &'static str {
    let start = first_bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |p| &first_bytes[p..]);
    let lower: Vec<u8> = start.iter().take(64).map(u8::to_ascii_lowercase).collect();
    if first_bytes.is_empty() {
        "an empty body"
    } else if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || lower.starts_with(b"<head")
        || lower.starts_with(b"<body")
    {
        "an HTML page"
    } else if lower.starts_with(b"<?xml") {
        "an XML document"
    } else if lower.starts_with(b"{") || lower.starts_with(b"[") {
        "JSON"
    } else if lower.starts_with(b"<") {
        "an HTML page"
    } else if start
        .iter()
        .take(256)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "text"
    } else {
        "data of an unknown kind"
    }
}

/// Bytes looked at to recognise any supported kind (an SVG's `<svg` may follow an XML
/// declaration, a comment and a doctype).
pub const SNIFF_LEN: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut b = size.to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(b"\0\0\0\x08meta");
        b
    }

    #[test]
    fn each_kind_is_known_by_its_first_bytes() {
        let avif = Some(Kind::Raster(ImageFormat::Avif));
        assert_eq!(sniff(&ftyp(b"avif", &[b"mif1"])), avif);
        assert_eq!(sniff(&ftyp(b"mif1", &[b"miaf", b"avif"])), avif);
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1"])), Some(Kind::Heif));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"heic"])), Some(Kind::Heif));
        assert_eq!(
            sniff(&ftyp(b"isom", &[b"mp41"])),
            None,
            "a video is not an image"
        );
        assert_eq!(sniff(&[0xFF, 0x0A, 0xFA]), Some(Kind::Jxl));
        assert_eq!(sniff(JXL_CONTAINER), Some(Kind::Jxl));
        assert_eq!(
            sniff(b"qoif\0\0\0\x01\0\0\0\x01\x04\0"),
            Some(Kind::Raster(ImageFormat::Qoi))
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- x -->\n<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            Some(Kind::Svg)
        );
        assert_eq!(sniff(b"<svg width=\"1\" height=\"1\"/>"), Some(Kind::Svg));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><html><body><svg/>"), None);
        assert_eq!(sniff(b"<!doctype html><svg></svg>"), None);
        assert_eq!(sniff(b"P1\n1 1\n0"), None);
    }

    #[test]
    fn extensions_and_names() {
        assert_eq!(Kind::Heif.extension(), "heic");
        assert_eq!(Kind::from_extension("HEIF"), Some(Kind::Heif));
        assert_eq!(Kind::from_extension("jxl"), Some(Kind::Jxl));
        assert_eq!(Kind::from_extension("txt"), None);
        assert_eq!(Kind::Svg.mime(), "image/svg+xml");
        assert_eq!(Kind::Raster(ImageFormat::Avif).label(), "AVIF");
    }
}
