//! Colour as the file says: pixels described by an embedded ICC profile (Display P3 from phones,
//! Adobe RGB from cameras, ProPhoto RGB from raw developers) turned into sRGB, which is what the
//! screen, egui and the shared thumbnail cache take pixels to be. Shown as they are, such photos
//! look washed out: a P3 red read as sRGB is a duller red.
//!
//! The transform runs on the small, already resized pixels (as libvips does), so a tile pays a
//! fraction of a millisecond; a profile that cannot be read leaves the pixels as they are.

use std::cell::RefCell;
use std::sync::Arc;

use moxcms::{ColorProfile, DataColorSpace, Layout, Transform8BitExecutor, TransformOptions};

/// What starts each APP2 segment that holds a piece of a JPEG's ICC profile.
const JPEG_ICC_TAG: &[u8] = b"ICC_PROFILE\0";

/// The ICC profile a JPEG carries, put together from its APP2 segments' payloads (each
/// `ICC_PROFILE\0`, its number, how many there are, then its piece; a profile over 64 KB spans
/// several). `None` when there is none, or the pieces do not add up to one whole.
pub fn from_jpeg_app2<'a>(segments: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut pieces: Vec<(u8, u8, &[u8])> = segments
        .into_iter()
        .filter_map(|s| s.strip_prefix(JPEG_ICC_TAG))
        .filter_map(|s| match s {
            [number, count, piece @ ..] => Some((*number, *count, piece)),
            _ => None,
        })
        .collect();
    let count = pieces.first()?.1;
    pieces.sort_unstable_by_key(|p| p.0);
    let whole = pieces.len() == usize::from(count)
        && pieces
            .iter()
            .enumerate()
            .all(|(i, p)| p.1 == count && usize::from(p.0) == i + 1);
    whole.then(|| pieces.iter().flat_map(|p| p.2).copied().collect())
}

/// The largest profile looked at: moxcms's own limit (CMYK press profiles reach several MB).
const MAX_PROFILE: usize = 10 * 1024 * 1024;

/// How the pixels handed to [`to_srgb`] are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    Rgb,
    Rgba,
}

type Transform = Option<Arc<Transform8BitExecutor>>;

thread_local! {
    /// The last profile each thumbnail worker met, and its transform (or `None` when it could
    /// not be used): a folder's photos mostly share one, and building a transform costs more
    /// than applying it to a tile.
    static LAST: RefCell<Option<(Vec<u8>, Channels, Transform)>> = const { RefCell::new(None) };
}

/// Turns `pixels`, described by the ICC profile `icc`, into sRGB. They stay as they were when
/// the profile is unreadable, not an RGB one, or has no way to sRGB.
pub fn to_srgb(icc: &[u8], pixels: &mut [u8], channels: Channels) {
    // Larger than any moxcms reads (RGB profiles are kilobytes): not kept, not parsed.
    if icc.len() >= MAX_PROFILE {
        return;
    }
    let transform = LAST.with_borrow_mut(|last| {
        if let Some((profile, c, transform)) = last.as_ref()
            && *c == channels
            && profile.as_slice() == icc
        {
            return transform.clone();
        }
        let transform = build(icc, channels);
        *last = Some((icc.to_vec(), channels, transform.clone()));
        transform
    });
    let Some(transform) = transform else { return };
    let mut out = vec![0u8; pixels.len()];
    if transform.transform(pixels, &mut out).is_ok() {
        pixels.copy_from_slice(&out);
    }
}

fn build(icc: &[u8], channels: Channels) -> Transform {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    if profile.color_space != DataColorSpace::Rgb {
        return None;
    }
    let layout = match channels {
        Channels::Rgb => Layout::Rgb,
        Channels::Rgba => Layout::Rgba,
    };
    profile
        .create_transform_8bit(
            layout,
            &ColorProfile::new_srgb(),
            layout,
            TransformOptions::default(),
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(number: u8, count: u8, piece: &[u8]) -> Vec<u8> {
        [JPEG_ICC_TAG, &[number, count], piece].concat()
    }

    #[test]
    fn a_profile_in_several_segments_is_put_together_in_their_numbered_order() {
        let (a, b, c) = (
            segment(1, 3, b"abc"),
            segment(2, 3, b"def"),
            segment(3, 3, b"g"),
        );
        let exif = b"Exif\0\0whatever".to_vec();
        let in_file_order = [&c, &exif, &a, &b].map(|s| s.as_slice());
        assert_eq!(from_jpeg_app2(in_file_order).unwrap(), b"abcdefg");
    }

    #[test]
    fn a_profile_missing_a_piece_is_no_profile() {
        let (a, c) = (segment(1, 3, b"abc"), segment(3, 3, b"g"));
        assert_eq!(from_jpeg_app2([a.as_slice(), c.as_slice()]), None);
        let twice = segment(1, 1, b"abc");
        assert_eq!(from_jpeg_app2([twice.as_slice(), twice.as_slice()]), None);
        assert_eq!(from_jpeg_app2([b"Exif\0\0".as_slice()]), None);
    }

    #[test]
    fn display_p3_pixels_become_their_srgb_colour_and_alpha_is_kept() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        // Display P3's pure green is outside sRGB: it becomes sRGB's own green, and a P3
        // orange a stronger sRGB orange. Figures from lcms (Pillow's ImageCms and ImageMagick)
        // on the same profile.
        let mut rgb = [0u8, 255, 0, 200, 120, 60];
        to_srgb(&p3, &mut rgb, Channels::Rgb);
        assert_eq!(&rgb[..3], &[0, 255, 0]);
        let orange = [rgb[3], rgb[4], rgb[5]];
        for (got, lcms) in orange.iter().zip([213u8, 115, 42]) {
            assert!(got.abs_diff(lcms) <= 1, "{orange:?}");
        }

        let mut rgba = [200u8, 120, 60, 77];
        to_srgb(&p3, &mut rgba, Channels::Rgba);
        assert_eq!(&rgba[..3], &orange, "the same colour with alpha");
        assert_eq!(rgba[3], 77);
    }

    #[test]
    fn an_srgb_profile_changes_nothing_and_a_broken_one_is_ignored() {
        let srgb = ColorProfile::new_srgb().encode().unwrap();
        let mut rgb = [200u8, 120, 60, 0, 255, 0];
        to_srgb(&srgb, &mut rgb, Channels::Rgb);
        for (got, was) in rgb.iter().zip([200u8, 120, 60, 0, 255, 0]) {
            assert!(got.abs_diff(was) <= 1, "{rgb:?}");
        }
        let mut same = [200u8, 120, 60];
        to_srgb(b"not a profile", &mut same, Channels::Rgb);
        assert_eq!(same, [200, 120, 60]);
    }
}
