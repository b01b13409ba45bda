//! Images the tests generate: PNGs and JPEGs whose pixels differ by seed, hand-built chunks,
//! and samples of formats the `image` crate cannot write (JPEG XL, HEIC/AVIF headers).

/// A PNG of `w`×`h` whose pixels depend on `seed`, so files differ.
pub fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    encode(w, h, seed, image::ImageFormat::Png)
}

/// A JPEG like [`png`].
pub fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    encode(w, h, seed, image::ImageFormat::Jpeg)
}

pub(super) fn encode(w: u32, h: u32, seed: u8, format: image::ImageFormat) -> Vec<u8> {
    encode_tagged(w, h, seed, 0, format)
}

/// Like [`encode`], with `tag` written into the first pixels, so images of different tags differ
/// (Magpie keeps one copy of identical bytes).
pub(super) fn encode_tagged(
    w: u32,
    h: u32,
    seed: u8,
    tag: u64,
    format: image::ImageFormat,
) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let mark = if y < 8 && x < 64 {
            Some((tag >> (8 * (x / 8))) as u8)
        } else {
            None
        };
        image::Rgb([
            mark.unwrap_or((x as u8).wrapping_add(seed)),
            (y as u8).wrapping_mul(3),
            seed.wrapping_mul(37),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// A PNG chunk with its checksum, for PNGs built by hand.
pub fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32fast::hash(&crc_input).to_be_bytes());
    out
}

/// A 16×12 JPEG XL (lossless, made with libjxl's cjxl).
pub const JXL_16X12: &[u8] = &[
    0xff, 0x0a, 0x58, 0x30, 0x10, 0x50, 0x5c, 0x08, 0x08, 0x02, 0x01, 0x00, 0x58, 0x01, 0x4b, 0x38,
    0x68, 0x98, 0xc2, 0x83, 0xf7, 0x15, 0x14, 0x4c, 0x80, 0x11, 0x75, 0xa3, 0x62, 0xe3, 0x65, 0x26,
    0xd2, 0x02, 0x51, 0x31, 0x06, 0xef, 0x81, 0x85, 0x08, 0x30, 0x00, 0x90, 0xbd, 0x57, 0x1c, 0x0a,
    0x80, 0x41, 0x7e, 0xa4, 0xaa, 0xaa, 0xf3, 0xa1, 0x00, 0xd0, 0xee, 0x08, 0x42, 0xff, 0x8f, 0x20,
    0xf4, 0x1f, 0x49, 0xe8, 0xff, 0x09, 0x84, 0xfe, 0x8b, 0x08, 0xfd, 0x2f, 0x60, 0x71, 0x91, 0xc7,
    0xdd, 0x21, 0x93, 0x18, 0x28, 0x08, 0xe0, 0x61, 0xfe, 0x0f, 0xb4, 0xf8, 0x01, 0x00, 0x00, 0xa0,
    0x5f, 0x1c, 0x62, 0x00,
];

/// An ISO media file that starts like a photo of `brand` (`heic`, `avif`): its `ftyp` box and
/// an empty `mdat`; enough to be recognised, not to be decoded.
pub fn iso_media(brand: &[u8; 4]) -> Vec<u8> {
    let mut b = 24u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftyp");
    b.extend_from_slice(brand);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(b"mif1miaf");
    b.extend_from_slice(&16u32.to_be_bytes());
    b.extend_from_slice(b"mdat");
    b.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]);
    b
}
