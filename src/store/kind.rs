//! What a body is, from its first bytes: an image format Magpie takes, or words for what it is
//! instead ("an HTML page", "JSON").

use image::ImageFormat;

/// The image format the first bytes of a body announce, if Magpie takes it. Only formats this
/// build can read a header of (so a text reply starting with `P1` is not a PBM image), and AVIF,
/// whose binary magic no text has.
pub fn sniff(first_bytes: &[u8]) -> Option<ImageFormat> {
    let format = image::guess_format(first_bytes).ok()?;
    matches!(
        format,
        ImageFormat::Png
            | ImageFormat::Jpeg
            | ImageFormat::Gif
            | ImageFormat::WebP
            | ImageFormat::Bmp
            | ImageFormat::Tiff
            | ImageFormat::Ico
            | ImageFormat::Avif
    )
    .then_some(format)
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
    } else if lower.starts_with(b"<?xml") || lower.starts_with(b"<svg") {
        "an XML or SVG document"
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

/// Number of bytes needed to recognise any supported image format.
pub const SNIFF_LEN: usize = 32;
