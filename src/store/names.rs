//! File names: from Content-Disposition or the URL, made safe on Linux, macOS and Windows.
//!
//! A name from the network is hostile until proven otherwise: it may carry directory parts,
//! reserved device names, control or bidi characters, a leading dot that hides it, or run to
//! hundreds of bytes. [`file_name`] turns whatever the server said into one plain path component.

use percent_encoding::percent_decode_str;
use unicode_normalization::UnicodeNormalization;
use url::Url;

/// Longest name in bytes, extension included (most file systems allow 255; the collision suffix
/// ` (123)` needs room too).
pub const MAX_NAME_BYTES: usize = 200;

const RESERVED: [&str; 34] = [
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³", "CLOCK$", "$MFT",
];

/// Extensions that say nothing about the content and are replaced by the sniffed one.
const REPLACEABLE_EXT: [&str; 28] = [
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "gif", "webp", "bmp", "tif", "tiff", "ico",
    "avif", "heic", "heif", "hif", "jxl", "qoi", "svg", "svgz", "php", "asp", "aspx", "jsp", "cgi",
    "html", "htm", "image",
];

/// The name to save a response under: Content-Disposition's filename if any, else the URL's
/// last path segment; sanitized, with the extension of the sniffed `format`.
pub fn file_name(
    content_disposition: Option<&str>,
    url: &Url,
    format: Option<super::Kind>,
) -> String {
    let raw = content_disposition
        .and_then(disposition_filename)
        .or_else(|| url_filename(url))
        .unwrap_or_default();
    let base = last_component(&raw);
    let clean = sanitize(base);
    let (stem, ext) = fix_extension(&clean, format);
    let stem = if stem.is_empty() {
        fallback_stem(url)
    } else {
        stem.to_string()
    };
    join_limited(&stem, &ext)
}

/// `name (n).ext` for the n-th collision.
pub fn numbered(name: &str, n: u32) -> String {
    with_suffix(name, &format!(" ({n})"))
}

/// `suffix` put between the stem and the extension, the stem shortened to keep the byte cap.
fn with_suffix(name: &str, suffix: &str) -> String {
    let (stem, ext) = split_ext(name);
    let ext_part = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    let room = MAX_NAME_BYTES.saturating_sub(suffix.len() + ext_part.len());
    format!("{}{suffix}{ext_part}", truncate_bytes(stem, room))
}

/// A name as file systems that ignore case and Unicode form see it (macOS, Windows, exFAT):
/// NFC-normalized and lower-cased, so `Café.png` and NFD `café.png` count as the same name.
pub fn folded(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    name.nfc().collect::<String>().to_lowercase()
}

/// `name` with a short hex tag before its extension (`cat-1a2b3c4d.jpg`), for when the numbered
/// names are all taken.
pub fn tagged(name: &str, tag: u32) -> String {
    with_suffix(name, &format!("-{tag:08x}"))
}

/// Whether `candidate` is `name` or the name [`numbered`] gives it for some collision.
pub fn is_name_or_numbered(candidate: &str, name: &str) -> bool {
    if candidate == name {
        return true;
    }
    let (stem, _) = split_ext(candidate);
    let n = stem
        .strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .and_then(|(_, n)| n.parse::<u32>().ok());
    n.is_some_and(|n| numbered(name, n) == candidate)
}

/// The filename from a Content-Disposition header (`filename*=` preferred over `filename=`).
fn disposition_filename(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in split_params(header) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key == "filename*" {
            // RFC 8187: charset'lang'percent-encoded
            let mut pieces = value.splitn(3, '\'');
            let charset = pieces.next().unwrap_or("");
            let _lang = pieces.next();
            if let Some(encoded) = pieces.next() {
                let bytes: Vec<u8> = percent_decode_str(encoded).collect();
                extended = Some(if charset.eq_ignore_ascii_case("utf-8") {
                    String::from_utf8_lossy(&bytes).into_owned()
                } else {
                    bytes.iter().map(|&b| b as char).collect()
                });
            }
        } else if key == "filename" {
            let v = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .map(|v| v.replace("\\\"", "\"").replace("\\\\", "\\"))
                .unwrap_or_else(|| value.to_string());
            plain = Some(v);
        }
    }
    extended.or(plain).filter(|s| !s.trim().is_empty())
}

/// Splits header parameters on `;`, keeping quoted strings whole.
fn split_params(header: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts
}

fn url_filename(url: &Url) -> Option<String> {
    let seg = url.path_segments()?.rfind(|s| !s.is_empty())?;
    let decoded =
        String::from_utf8_lossy(&percent_decode_str(seg).collect::<Vec<u8>>()).into_owned();
    Some(decoded)
}

/// What follows the last `/` or `\`: a name never carries directories.
fn last_component(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Replaces characters that are invalid or dangerous in a file name on any common OS, and trims
/// what Windows or a shell would misread.
pub fn sanitize(name: &str) -> String {
    // NFC: the same name typed on macOS (NFD) and elsewhere (NFC) is one name, as on APFS.
    let mut s: String = name
        .nfc()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            // Bidi overrides and isolates can disguise `gpj.exe` as `exe.jpg`.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => '_',
            c => c,
        })
        .collect();
    s = s
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_string();
    let stem_upper = s
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    if RESERVED.contains(&stem_upper.as_str()) {
        s.insert(0, '_');
    }
    s
}

pub(crate) fn split_ext(name: &str) -> (&str, &str) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 5
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (stem, ext)
        }
        _ => (name, ""),
    }
}

/// Keeps the name's extension when it matches the content, otherwise uses the content's: an
/// image or script extension is replaced (`photo.jpg` holding WebP becomes `photo.webp`), any
/// other one stays part of the name (`cat.v2` becomes `cat.v2.jpg`).
fn fix_extension(name: &str, format: Option<super::Kind>) -> (&str, String) {
    let (stem, ext) = split_ext(name);
    let lower = ext.to_ascii_lowercase();
    let Some(format) = format else {
        return (stem, lower);
    };
    let valid = format.extensions();
    if valid.contains(&lower.as_str()) {
        return (stem, lower);
    }
    let wanted = format.extension().to_string();
    if ext.is_empty() || REPLACEABLE_EXT.contains(&lower.as_str()) {
        (stem, wanted)
    } else {
        (name, wanted)
    }
}

/// FNV-1a of `bytes`: stable across runs and Rust versions, which std's hasher is not (names and
/// journal file names depend on it).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `host-1a2b3c4d` for URLs with no usable name, stable for one URL.
fn fallback_stem(url: &Url) -> String {
    let hash = stable_hash(url.as_str().as_bytes());
    let host = sanitize(url.host_str().unwrap_or("image"));
    format!("{host}-{:08x}", hash as u32)
}

pub(crate) fn join_limited(stem: &str, ext: &str) -> String {
    let ext_part = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    let stem = truncate_bytes(stem, MAX_NAME_BYTES - ext_part.len());
    let stem = stem.trim_end_matches(['.', ' ']);
    format!("{stem}{ext_part}")
}

pub(crate) fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    #[test]
    fn every_reserved_windows_name_is_defused() {
        for name in [
            "CONIN$.jpg",
            "conout$.png",
            "COM0.gif",
            "lpt0.png",
            "COM¹.jpg",
            "LPT³.png",
        ] {
            let safe = sanitize(name);
            assert!(safe.starts_with('_'), "{name} -> {safe}");
        }
        assert_eq!(sanitize("COMPUTER.jpg"), "COMPUTER.jpg");
    }

    #[test]
    fn names_fold_case_and_unicode_form() {
        assert_eq!(folded("Cafe\u{301}.PNG"), folded("café.png"));
        assert_ne!(folded("cafe.png"), folded("café.png"));
    }

    #[test]
    fn numbered_names_are_recognised_as_such() {
        assert!(is_name_or_numbered("cat.jpg", "cat.jpg"));
        assert!(is_name_or_numbered("cat (12).jpg", "cat.jpg"));
        assert!(!is_name_or_numbered("cat (x).jpg", "cat.jpg"));
        assert!(!is_name_or_numbered("dog (1).jpg", "cat.jpg"));
        assert!(!is_name_or_numbered("cat (1).png", "cat.jpg"));
        let long = format!("{}.jpg", "a".repeat(195));
        assert!(is_name_or_numbered(&numbered(&long, 3), &long));
    }

    #[test]
    fn name_from_url_segment_percent_decoded() {
        let n = file_name(
            None,
            &url("https://h.example/a/caf%C3%A9%20au%20lait.jpg?x=1"),
            Some(super::super::Kind::Raster(image::ImageFormat::Jpeg)),
        );
        assert_eq!(n, "café au lait.jpg");
    }

    #[test]
    fn content_disposition_wins_and_loses_its_directories() {
        let u = url("https://h.example/download?id=3");
        assert_eq!(
            file_name(
                Some("attachment; filename=\"../../x.jpg\""),
                &u,
                Some(super::super::Kind::Raster(image::ImageFormat::Jpeg))
            ),
            "x.jpg"
        );
        assert_eq!(
            file_name(
                Some("attachment; filename=\"..\\..\\win.png\""),
                &u,
                Some(super::super::Kind::Raster(image::ImageFormat::Png))
            ),
            "win.png"
        );
        assert_eq!(
            file_name(
                Some("inline; filename=/etc/passwd"),
                &u,
                Some(super::super::Kind::Raster(image::ImageFormat::Png))
            ),
            "passwd.png"
        );
        assert_eq!(
            file_name(
                Some("attachment; filename=\"a.jpg\"; filename*=UTF-8''%E7%8C%AB.jpg"),
                &u,
                Some(super::super::Kind::Raster(image::ImageFormat::Jpeg))
            ),
            "猫.jpg"
        );
    }

    #[test]
    fn extension_follows_the_content() {
        let u = url("https://h.example/photo.jpg");
        assert_eq!(
            file_name(
                None,
                &u,
                Some(super::super::Kind::Raster(image::ImageFormat::WebP))
            ),
            "photo.webp"
        );
        assert_eq!(
            file_name(
                None,
                &url("https://h.example/pic.JPEG"),
                Some(super::super::Kind::Raster(image::ImageFormat::Jpeg))
            ),
            "pic.jpeg"
        );
        assert_eq!(
            file_name(
                None,
                &url("https://h.example/render.php"),
                Some(super::super::Kind::Raster(image::ImageFormat::Png))
            ),
            "render.png"
        );
        assert_eq!(
            file_name(
                None,
                &url("https://h.example/image"),
                Some(super::super::Kind::Raster(image::ImageFormat::Gif))
            ),
            "image.gif"
        );
        assert_eq!(
            file_name(
                None,
                &url("https://h.example/cat.v2"),
                Some(super::super::Kind::Raster(image::ImageFormat::Gif))
            ),
            "cat.v2.gif"
        );
    }

    #[test]
    fn dangerous_names_are_made_safe() {
        let u = url("https://h.example/x");
        let f = |cd: &str| {
            file_name(
                Some(&format!("attachment; filename=\"{cd}\"")),
                &u,
                Some(super::super::Kind::Raster(image::ImageFormat::Jpeg)),
            )
        };
        assert_eq!(f("CON.jpg"), "_CON.jpg");
        assert_eq!(f("nul.jpg"), "_nul.jpg");
        assert_eq!(f(".bashrc"), "bashrc.jpg");
        assert_eq!(f("trailing.jpg."), "trailing.jpg");
        assert_eq!(f("a:b*c?.jpg"), "a_b_c_.jpg");
        assert_eq!(f("evil\u{202E}gpj.exe"), "evil_gpj.exe.jpg");
        assert_eq!(f("tab\there.jpg"), "tab_here.jpg");
        let long = format!("{}.jpg", "é".repeat(300));
        let n = f(&long);
        assert!(n.len() <= MAX_NAME_BYTES, "{}", n.len());
        assert!(n.ends_with(".jpg"));
    }

    #[test]
    fn empty_name_falls_back_to_host_and_hash() {
        let n = file_name(
            None,
            &url("https://h.example/"),
            Some(super::super::Kind::Raster(image::ImageFormat::Png)),
        );
        assert!(n.starts_with("h.example-") && n.ends_with(".png"), "{n}");
        assert_eq!(
            n,
            file_name(
                None,
                &url("https://h.example/"),
                Some(super::super::Kind::Raster(image::ImageFormat::Png))
            )
        );
        let dots = file_name(
            Some("attachment; filename=\"...\""),
            &url("https://h.example/"),
            Some(super::super::Kind::Raster(image::ImageFormat::Png)),
        );
        assert!(dots.starts_with("h.example-"), "{dots}");
    }

    #[test]
    fn nfd_names_become_nfc() {
        let nfd = "cafe\u{301}.jpg";
        assert_eq!(sanitize(nfd), "caf\u{e9}.jpg");
    }

    #[test]
    fn numbered_names() {
        assert_eq!(numbered("cat.jpg", 1), "cat (1).jpg");
        assert_eq!(numbered("noext", 2), "noext (2)");
        let long = format!("{}.jpg", "a".repeat(MAX_NAME_BYTES - 4));
        assert!(numbered(&long, 12).len() <= MAX_NAME_BYTES);
    }
}
