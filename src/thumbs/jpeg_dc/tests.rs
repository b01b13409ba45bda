use super::*;
use crate::thumbs::jpeg::{Outcome, decode};

/// A photo-like picture: smooth gradients, grain and hard-edged patches.
fn picture(width: usize, height: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(3);
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let grain = rng.u8(..30);
            let edge = if (x / 37 + y / 29) % 4 == 0 { 90 } else { 0 };
            rgb.extend_from_slice(&[
                ((x * 255 / width) as u8).saturating_add(grain),
                ((y * 255 / height) as u8).saturating_add(edge),
                (((x + y) * 127 / (width + height)) as u8).saturating_add(grain / 2 + edge),
            ]);
        }
    }
    rgb
}

/// Encodes with libjpeg: `sampling` is the chroma block size in pixels ((2, 2) is 4:2:0),
/// `None` for greyscale.
fn encode(width: usize, height: usize, sampling: Option<(u8, u8)>, progressive: bool) -> Vec<u8> {
    let rgb = picture(width, height);
    let (space, pixels) = match sampling {
        Some(_) => (mozjpeg::ColorSpace::JCS_RGB, rgb),
        None => (
            mozjpeg::ColorSpace::JCS_GRAYSCALE,
            rgb.chunks(3).map(|p| p[0] / 2 + p[1] / 2).collect(),
        ),
    };
    let mut c = mozjpeg::Compress::new(space);
    c.set_size(width, height);
    c.set_quality(88.0);
    if let Some(size) = sampling {
        c.set_chroma_sampling_pixel_sizes(size, size);
    }
    if progressive {
        c.set_progressive_mode();
    } else {
        c.set_optimize_scans(false);
        c.set_optimize_coding(true);
    }
    let mut c = c.start_compress(Vec::new()).unwrap();
    c.write_scanlines(&pixels).unwrap();
    c.finish().unwrap()
}

/// Our decode of a copy of `data` (the decoder rewrites scans in place).
fn dc_decode(data: &[u8]) -> Option<Scaled> {
    decode_eighth(&mut data.to_vec())
}

/// libjpeg's own 1/8-scale decode of the same file.
fn libjpeg(data: &[u8]) -> Scaled {
    match decode(data, 1).unwrap() {
        Outcome::Done(s) => s,
        Outcome::UseGeneric => panic!("libjpeg reads it"),
    }
}

fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.len() as f64
}

#[test]
fn greyscale_and_full_colour_match_libjpeg_exactly() {
    for sampling in [None, Some((1, 1))] {
        let data = encode(203, 157, sampling, false);
        let ours = dc_decode(&data).expect("a baseline JPEG is taken");
        let theirs = libjpeg(&data);
        assert_eq!((ours.width, ours.height), (26, 20));
        assert_eq!((ours.width, ours.height), (theirs.width, theirs.height));
        assert_eq!((ours.full_width, ours.full_height), (203, 157));
        assert!(ours.rgb == theirs.rgb, "{sampling:?}: pixels differ");
    }
}

/// libjpeg's luma at 1/8 scale.
fn libjpeg_luma(data: &[u8]) -> Vec<u8> {
    let mut d = mozjpeg::Decompress::new_mem(data).unwrap();
    d.scale(1);
    if d.components().len() == 1 {
        return d.grayscale().unwrap().read_scanlines().unwrap();
    }
    let mut started = d.to_colorspace(mozjpeg::ColorSpace::JCS_YCbCr).unwrap();
    let ycc: Vec<u8> = started.read_scanlines().unwrap();
    ycc.iter().step_by(3).copied().collect()
}

/// Our luma plane, cropped to the picture.
fn luma(data: &[u8]) -> Vec<u8> {
    let decoder = read(&mut data.to_vec()).unwrap();
    let planes = decoder.pixels().unwrap();
    let (plane, stride) = &planes[0];
    let (width, height) = (decoder.width.div_ceil(8), decoder.height.div_ceil(8));
    (0..height)
        .flat_map(|y| plane[y * stride..y * stride + width].iter().copied())
        .collect()
}

#[test]
fn subsampled_colour_has_libjpegs_luma_and_close_colour() {
    // libjpeg scales chroma in the DCT (so it can see detail inside a chroma block); here it
    // is repeated. Luma is the same to the bit; colour close, as the picture's grain allows.
    for sampling in [(2, 2), (2, 1), (4, 1)] {
        let data = encode(331, 250, Some(sampling), false);
        assert!(
            luma(&data) == libjpeg_luma(&data),
            "{sampling:?}: luma differs"
        );
        let ours = dc_decode(&data).expect("a baseline JPEG is taken");
        let theirs = libjpeg(&data);
        assert_eq!((ours.width, ours.height), (42, 32));
        assert_eq!((ours.width, ours.height), (theirs.width, theirs.height));
        let diff = mean_difference(&ours.rgb, &theirs.rgb);
        assert!(diff < 6.0, "{sampling:?}: mean difference {diff}");
    }
}

#[test]
fn restart_markers_are_followed() {
    // Written by Pillow with a restart marker every 3 MCUs (203×157, 4:2:0).
    let data = include_bytes!("restart.jpg");
    assert_eq!(read(&mut data.to_vec()).unwrap().restart_interval, 3);
    // 13×10 MCUs of 16×16 pixels.
    let scan = data.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let start = scan + 2 + usize::from(u16::from_be_bytes([data[scan + 2], data[scan + 3]]));
    assert_eq!(
        Scan::destuff(&mut data[start..].to_vec()).0.segments.len(),
        44
    );
    assert!(luma(data) == libjpeg_luma(data));
    let ours = dc_decode(data).expect("taken");
    let theirs = libjpeg(data);
    let diff = mean_difference(&ours.rgb, &theirs.rgb);
    assert!(diff < 6.0, "mean difference {diff}");
}

#[test]
fn the_exif_orientation_is_read() {
    let jpeg = encode(64, 48, Some((2, 2)), false);
    // APP1 "Exif\0\0" + little-endian TIFF with one IFD entry: Orientation (0x0112) = 6.
    let mut app1 = b"Exif\0\0II*\0\x08\0\0\0\x01\0".to_vec();
    app1.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
    let mut data = jpeg[..2].to_vec();
    data.extend_from_slice(&[0xFF, 0xE1]);
    data.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    data.extend_from_slice(&app1);
    data.extend_from_slice(&jpeg[2..]);
    let s = dc_decode(&data).unwrap();
    assert_eq!(s.orientation, Orientation::Rotate90);
}

#[test]
fn progressive_files_are_read_from_their_dc_scans() {
    for (width, height, sampling) in [
        (203, 157, None),
        (331, 250, Some((2, 2))),
        (120, 97, Some((1, 1))),
    ] {
        let data = encode(width, height, sampling, true);
        assert!(crate::store::jpeg_frame::frame(&data).unwrap().progressive);
        assert!(
            luma(&data) == libjpeg_luma(&data),
            "{sampling:?}: luma differs"
        );
        let ours = dc_decode(&data).expect("a progressive JPEG is taken");
        let theirs = libjpeg(&data);
        assert_eq!((ours.width, ours.height), (theirs.width, theirs.height));
        let diff = mean_difference(&ours.rgb, &theirs.rgb);
        assert!(diff < 6.0, "{sampling:?}: mean difference {diff}");
    }
    // Written by Pillow: progressive, a restart marker every 2 MCUs.
    let data = include_bytes!("progressive_restart.jpg");
    assert!(read(&mut data.to_vec()).unwrap().progressive);
    assert!(luma(data) == libjpeg_luma(data));
}

#[test]
fn other_kinds_of_jpeg_are_left_to_libjpeg() {
    let mut arithmetic = encode(64, 48, Some((2, 2)), false);
    let sof = arithmetic
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .unwrap();
    arithmetic[sof + 1] = 0xC9;
    assert!(dc_decode(&arithmetic).is_none(), "arithmetic coding");
    let mut cut = encode(203, 157, Some((2, 2)), false);
    cut.truncate(cut.len() / 2);
    assert!(dc_decode(&cut).is_none(), "a file cut short");
    assert!(dc_decode(b"\xFF\xD8\xFF\xE0garbage").is_none());
    assert!(dc_decode(b"not a jpeg").is_none());
}

#[test]
fn damaged_files_never_panic() {
    let files = [
        encode(120, 90, Some((2, 2)), false),
        encode(120, 90, Some((2, 2)), true),
        include_bytes!("progressive_restart.jpg").to_vec(),
        include_bytes!("restart.jpg").to_vec(),
    ];
    let mut rng = fastrand::Rng::with_seed(11);
    for good in &files {
        for _ in 0..1_000 {
            let mut data = good.clone();
            for _ in 0..rng.usize(1..6) {
                let at = rng.usize(..data.len());
                data[at] = rng.u8(..);
            }
            if rng.bool() {
                data.truncate(rng.usize(..data.len()));
            }
            let _ = dc_decode(&data);
        }
    }
}
