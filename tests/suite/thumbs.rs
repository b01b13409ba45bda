//! Thumbnails as a user meets them: photos shown upright and small, and a cache on disk that
//! file managers share (the freedesktop Thumbnail Managing Standard).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use magpie::thumbs::cache::{Entry, Lookup, file_uri, thumbnail};
use magpie::thumbs::{CacheSize, ThumbCache, ThumbError, decode};

fn photo(path: &Path, width: u32, height: u32) {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90])
    });
    img.save(path).unwrap();
}

fn cache_in(dir: &Path) -> ThumbCache {
    ThumbCache::at(dir.join("thumbnails"))
}

/// The text fields of a PNG written by the cache.
fn fields(png_path: &Path) -> Vec<(String, String)> {
    let file = std::io::BufReader::new(std::fs::File::open(png_path).unwrap());
    let reader = png::Decoder::new(file).read_info().unwrap();
    reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .map(|t| (t.keyword.clone(), t.text.clone()))
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_tile_is_cached_where_file_managers_look_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let file = dir.path().join("beach photo.jpg");
    photo(&file, 1200, 800);

    let px = thumbnail(&cache, &file, CacheSize::Large).unwrap();
    assert_eq!((px.width, px.height), (256, 171));
    assert_eq!((px.original_width, px.original_height), (1200, 800));

    let uri = file_uri(&std::fs::canonicalize(&file).unwrap());
    assert!(uri.ends_with("/beach%20photo.jpg"), "{uri}");
    let name = format!("{:x}.png", md5::compute(&uri));
    let stored = dir.path().join("thumbnails/large").join(&name);
    let f = fields(&stored);
    assert_eq!(field(&f, "Thumb::URI"), Some(uri.as_str()));
    let mtime = std::fs::metadata(&file)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(field(&f, "Thumb::MTime"), Some(mtime.to_string().as_str()));
    let size = std::fs::metadata(&file).unwrap().len().to_string();
    assert_eq!(field(&f, "Thumb::Size"), Some(size.as_str()));
    assert_eq!(field(&f, "Thumb::Mimetype"), Some("image/jpeg"));
    assert_eq!(field(&f, "Thumb::Image::Width"), Some("1200"));
    assert_eq!(field(&f, "Thumb::Image::Height"), Some("800"));
    #[cfg(unix)]
    {
        assert_eq!(mode(&stored), 0o600);
        assert_eq!(mode(stored.parent().unwrap()), 0o700);
    }
    // Nothing else (no temporary file) was left beside it.
    let names: Vec<PathBuf> = std::fs::read_dir(stored.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(names, std::slice::from_ref(&stored));

    // The next visit reads it back, with the original's size.
    let entry = Entry::of(&file).unwrap();
    let Lookup::Hit(again) = cache.lookup(&entry, CacheSize::Large) else {
        panic!("expected the cached thumbnail");
    };
    assert_eq!((again.width, again.height), (256, 171));
    assert_eq!((again.original_width, again.original_height), (1200, 800));
    assert_eq!(again.rgba, px.rgba);
}

#[test]
fn a_changed_file_gets_a_new_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let file = dir.path().join("a.png");
    photo(&file, 800, 800);
    let first = thumbnail(&cache, &file, CacheSize::Normal).unwrap();
    assert_eq!((first.width, first.height), (128, 128));

    // Replaced by a wider image, with another modification time.
    photo(&file, 1000, 500);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    let entry = Entry::of(&file).unwrap();
    assert!(matches!(
        cache.lookup(&entry, CacheSize::Normal),
        Lookup::Miss
    ));
    let second = thumbnail(&cache, &file, CacheSize::Normal).unwrap();
    assert_eq!((second.width, second.height), (128, 64));
    assert!(matches!(
        cache.lookup(&entry, CacheSize::Normal),
        Lookup::Hit(_)
    ));
}

#[test]
fn a_file_that_cannot_be_shown_is_not_decoded_again_until_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let file = dir.path().join("broken.jpg");
    std::fs::write(&file, b"\xFF\xD8\xFF\xE0 this is not a JPEG").unwrap();
    let first = thumbnail(&cache, &file, CacheSize::Large).unwrap_err();
    assert!(matches!(first, ThumbError::Decode(_)), "{first:?}");
    let fail_dir = dir.path().join(concat!(
        "thumbnails/fail/magpie-",
        env!("CARGO_PKG_VERSION")
    ));
    assert_eq!(std::fs::read_dir(&fail_dir).unwrap().count(), 1);
    assert_eq!(
        thumbnail(&cache, &file, CacheSize::Large).unwrap_err(),
        ThumbError::FailedBefore
    );
    // Repaired: shown at once.
    photo(&file, 600, 400);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    assert!(thumbnail(&cache, &file, CacheSize::Large).is_ok());
}

#[test]
fn an_image_no_larger_than_a_thumbnail_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let file = dir.path().join("icon.png");
    photo(&file, 120, 90);
    let px = thumbnail(&cache, &file, CacheSize::Large).unwrap();
    assert_eq!((px.width, px.height), (120, 90));
    assert!(!dir.path().join("thumbnails/large").exists());
}

#[test]
fn a_thumbnail_another_program_wrote_is_used() {
    // GNOME writes RGB (no alpha) thumbnails for photos; the same file serves Magpie.
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let file = dir.path().join("shared.jpg");
    photo(&file, 2000, 1000);
    let entry = Entry::of(&file).unwrap();
    let target = cache.path(&entry, CacheSize::Normal);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    {
        let out = std::fs::File::create(&target).unwrap();
        let mut enc = png::Encoder::new(out, 128, 64);
        enc.set_color(png::ColorType::Rgb);
        enc.add_text_chunk("Thumb::URI".into(), entry.uri.clone())
            .unwrap();
        enc.add_text_chunk("Thumb::MTime".into(), entry.mtime.to_string())
            .unwrap();
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[7u8; 128 * 64 * 3]).unwrap();
    }
    let px = thumbnail(&cache, &file, CacheSize::Normal).unwrap();
    assert_eq!((px.width, px.height), (128, 64));
    assert_eq!(&px.rgba[..4], &[7, 7, 7, 255], "read from the cache");
}

/// A JPEG, red where `red(x, y)` and blue elsewhere.
fn red_and_blue(width: u32, height: u32, red: impl Fn(u32, u32) -> bool) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        if red(x, y) {
            image::Rgb([250, 0, 0])
        } else {
            image::Rgb([0, 0, 250])
        }
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&img)
        .unwrap();
    jpeg
}

/// A JPEG `width` × `width / 2` whose EXIF says "rotate 90° clockwise to display".
fn rotated_jpeg(path: &Path, width: u32) {
    let jpeg = red_and_blue(width, width / 2, |x, _| x < width / 2);
    // APP1 "Exif\0\0" + little-endian TIFF with one IFD entry: Orientation (0x0112) = 6.
    let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    std::fs::write(path, out).unwrap();
}

#[test]
fn a_phone_photo_is_shown_upright() {
    // 800 px goes through libjpeg at 1/2; 4000 px through the DC values at 1/8.
    for width in [800, 4000] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("phone.jpg");
        rotated_jpeg(&file, width);
        let px = decode(&file, 256).unwrap();
        // Stored wide (red left, blue right); shown tall with red on top.
        assert_eq!((px.original_width, px.original_height), (width / 2, width));
        assert_eq!((px.width, px.height), (128, 256));
        let at = |x: u32, y: u32| {
            let i = ((y * px.width + x) * 4) as usize;
            [px.rgba[i], px.rgba[i + 1], px.rgba[i + 2]]
        };
        let (top, bottom) = (at(64, 10), at(64, 245));
        assert!(top[0] > 200 && top[2] < 50, "{width}: {top:?}");
        assert!(bottom[2] > 200 && bottom[0] < 50, "{width}: {bottom:?}");
    }
}

#[test]
fn a_large_photo_cut_short_still_shows_what_arrived() {
    // The fast 1/8 decoder gives up on a scan that ends early; libjpeg then shows the part
    // that is there, from the file as it is on disk.
    let dir = tempfile::tempdir().unwrap();
    let mut jpeg = red_and_blue(4000, 2000, |_, y| y < 1000);
    jpeg.truncate(jpeg.len() * 3 / 4);
    let file = dir.path().join("cut.jpg");
    std::fs::write(&file, &jpeg).unwrap();
    let px = decode(&file, 256).unwrap();
    assert_eq!((px.width, px.height), (256, 128));
    let top = &px.rgba[..4];
    assert!(top[0] > 200 && top[2] < 50, "{top:?}");
}

/// A flat `colour` in a JPEG of `width` × `width / 2`, with `icc` embedded as cameras and phones
/// embed it.
fn jpeg_with_profile(width: u32, colour: [u8; 3], icc: Option<&[u8]>) -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_pixel(width, width / 2, image::Rgb(colour));
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc.to_vec()).unwrap();
    }
    encoder
        .write_image(&img, width, width / 2, image::ExtendedColorType::Rgb8)
        .unwrap();
    jpeg
}

fn centre(px: &magpie::thumbs::Pixels) -> [u8; 4] {
    let i = (((px.height / 2) * px.width + px.width / 2) * 4) as usize;
    px.rgba[i..i + 4].try_into().unwrap()
}

fn close(got: [u8; 4], want: [u8; 4]) -> bool {
    got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 3)
}

/// Display P3's (200, 120, 60), an orange a phone photographs, is sRGB's (213, 115, 42), as lcms
/// (Pillow's ImageCms, ImageMagick) converts it. Shown as its raw numbers it is a duller orange.
const P3_ORANGE: [u8; 3] = [200, 120, 60];
const P3_IN_SRGB: [u8; 4] = [213, 115, 42, 255];

#[test]
fn a_wide_gamut_photo_is_shown_in_its_own_colours() {
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 200 px is read whole by libjpeg, 800 px at 1/2, 4000 px from its DC values at 1/8.
    for width in [200, 800, 4000] {
        let file = dir.path().join(format!("p3-{width}.jpg"));
        std::fs::write(&file, jpeg_with_profile(width, P3_ORANGE, Some(&p3))).unwrap();
        let px = decode(&file, 256).unwrap();
        assert!(close(centre(&px), P3_IN_SRGB), "{width}: {:?}", centre(&px));

        let file = dir.path().join(format!("plain-{width}.jpg"));
        std::fs::write(&file, jpeg_with_profile(width, P3_ORANGE, None)).unwrap();
        let px = decode(&file, 256).unwrap();
        let [r, g, b] = P3_ORANGE;
        assert!(
            close(centre(&px), [r, g, b, 255]),
            "{width}: {:?}",
            centre(&px)
        );
    }
}

#[test]
fn a_wide_gamut_png_with_transparency_keeps_its_alpha() {
    use image::ImageEncoder;
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let [r, g, b] = P3_ORANGE;
    let img = image::RgbaImage::from_pixel(300, 200, image::Rgba([r, g, b, 160]));
    let mut png = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
    encoder.set_icc_profile(p3).unwrap();
    encoder
        .write_image(&img, 300, 200, image::ExtendedColorType::Rgba8)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p3.png");
    std::fs::write(&file, png).unwrap();
    let px = decode(&file, 256).unwrap();
    let [r, g, b, _] = P3_IN_SRGB;
    assert!(close(centre(&px), [r, g, b, 160]), "{:?}", centre(&px));
}

/// Writes the cached thumbnail at `path` again with only the text fields `keep` lets through
/// (as an older Magpie or another program would have written it).
fn rewrite_fields(path: &Path, keep: impl Fn(&str) -> Option<String>) {
    let kept: Vec<(String, String)> = fields(path)
        .into_iter()
        .filter_map(|(k, v)| keep(&k).map(|new| (k, if new.is_empty() { v } else { new })))
        .collect();
    let mut reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, frame.width, frame.height);
    encoder.set_color(frame.color_type);
    encoder.set_depth(frame.bit_depth);
    for (k, v) in kept {
        encoder.add_text_chunk(k, v).unwrap();
    }
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_image_data(&pixels[..frame.buffer_size()])
        .unwrap();
    writer.finish().unwrap();
    std::fs::write(path, out).unwrap();
}

#[test]
fn a_thumbnail_an_older_magpie_made_is_made_again_and_other_programs_are_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let file = dir.path().join("p3 photo.jpg");
    photo(&file, 1200, 800);
    thumbnail(&cache, &file, CacheSize::Large).unwrap();
    let uri = file_uri(&std::fs::canonicalize(&file).unwrap());
    let stored =
        (dir.path().join("thumbnails/large")).join(format!("{:x}.png", md5::compute(&uri)));
    let entry = Entry::of(&file).unwrap();
    assert!(matches!(
        cache.lookup(&entry, CacheSize::Large),
        Lookup::Hit(_)
    ));

    // Written by a Magpie from before colour management: made again.
    rewrite_fields(&stored, |k| (!k.starts_with("X-Magpie")).then(String::new));
    assert!(matches!(
        cache.lookup(&entry, CacheSize::Large),
        Lookup::Miss
    ));
    thumbnail(&cache, &file, CacheSize::Large).unwrap();
    assert!(matches!(
        cache.lookup(&entry, CacheSize::Large),
        Lookup::Hit(_)
    ));

    // Written by a file manager (which knows nothing of Magpie's fields): used as it is.
    rewrite_fields(&stored, |k| match k {
        "Software" => Some("GNOME::ThumbnailFactory".into()),
        k if k.starts_with("X-Magpie") => None,
        _ => Some(String::new()),
    });
    assert!(matches!(
        cache.lookup(&entry, CacheSize::Large),
        Lookup::Hit(_)
    ));
}
