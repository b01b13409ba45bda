//! Cheap checks that a downloaded image is whole, without decoding it: a JPEG must end with its
//! end-of-image marker, a PNG's chunks must carry valid checksums up to `IEND` and its pixel data
//! must inflate to the size its header promises, a WebP must be as long as its RIFF header says.
//! A server that cuts a file short while sending a correct Content-Length (or none) is caught
//! here, so no damaged file is saved as if it were good. Checks stream: a 100 MB PNG costs a
//! 64 KB buffer, not 100 MB.

mod gif;
mod png;

use std::io::{BufReader, Read, Seek, SeekFrom};

use bytes::Bytes;

use gif::check_gif;
use png::check_png;

use image::ImageFormat;

use super::Kind;
use super::memory::ChunkReader;

/// How far from the end a JPEG's end marker may sit (some writers pad after it).
const JPEG_TAIL: u64 = 4096;

/// What is wrong with a downloaded image, in words (shown after "damaged image: ").
#[derive(Debug, thiserror::Error)]
pub enum Damage {
    #[error("the JPEG is cut short (no end-of-image marker)")]
    JpegCutShort,
    #[error("the PNG is cut short (no IEND chunk)")]
    PngNoEnd,
    #[error("the PNG is cut short (a chunk is incomplete)")]
    PngChunkCut,
    #[error("the PNG is damaged (bad checksum in its {chunk} chunk)")]
    PngChecksum { chunk: String },
    #[error("the PNG's header is damaged")]
    PngHeader,
    #[error("the PNG's pixel data is cut short ({got} of {expected} bytes)")]
    PngPixelsCutShort { got: u64, expected: u64 },
    #[error("the PNG's pixel data is damaged")]
    PngPixelsDamaged,
    #[error("the WebP is cut short")]
    WebpNoHeader,
    #[error("the WebP is cut short ({got} of {declared} bytes)")]
    WebpCutShort { got: u64, declared: u64 },
    #[error("the {0} header cannot be read")]
    Header(String),
    #[error("the GIF is cut short (no trailer)")]
    GifCutShort,
    #[error("the GIF is damaged (unknown block {0:#04x})")]
    GifBlock(u8),
    #[error("cannot re-read it: {0}")]
    Unreadable(#[from] std::io::Error),
}

/// Checks the image's header parses as `kind` and gives its dimensions, so data that merely
/// starts with a format's magic bytes (`BM`, `00 00 01 00`) is not taken for an image. An SVG
/// must parse as a drawing. AVIF and HEIF, which this build cannot decode, pass on their ISO
/// media `ftyp` box alone.
pub fn check_header(mut reader: impl std::io::BufRead + Seek, kind: Kind) -> Result<(), Damage> {
    let bad = || Damage::Header(kind.label().to_string());
    let dims = match kind {
        Kind::Raster(ImageFormat::Avif) | Kind::Heif => return Ok(()),
        // The marker chain up to the frame header, with a size in it.
        Kind::Raster(ImageFormat::Jpeg) => {
            super::jpeg_frame::read_frame(&mut reader)?.map_or((0, 0), |f| (f.width, f.height))
        }
        Kind::Raster(format) => image::ImageReader::with_format(reader, format)
            .into_dimensions()
            .map_err(|_| bad())?,
        Kind::Jxl => {
            use image::ImageDecoder as _;
            jxl_oxide::integration::JxlDecoder::new(reader)
                .map_err(|_| bad())?
                .dimensions()
        }
        Kind::Svg => {
            let mut text = Vec::new();
            reader.read_to_end(&mut text)?;
            let tree = resvg::usvg::Tree::from_data(&text, &svg_options()).map_err(|_| bad())?;
            let size = tree.size();
            (size.width().ceil() as u32, size.height().ceil() as u32)
        }
    };
    if dims.0 > 0 && dims.1 > 0 {
        Ok(())
    } else {
        Err(bad())
    }
}

/// How SVGs are read, here and for thumbnails: nothing outside the file is ever loaded (no
/// linked images or fonts), so a drawing cannot make Magpie read the user's files.
pub fn svg_options() -> resvg::usvg::Options<'static> {
    resvg::usvg::Options {
        resources_dir: None,
        image_href_resolver: resvg::usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    }
}

/// Checks the header of a download held in memory as `chunks`: from its first 16 KB when the
/// header fits there (the usual case, and a small copy), else from all of it.
pub fn check_header_in(chunks: &[Bytes], kind: Kind) -> Result<(), Damage> {
    const HEAD: usize = 16 * 1024;
    let head = super::memory::head(chunks, HEAD);
    let whole = head.len() < HEAD;
    match check_header(std::io::Cursor::new(&head[..]), kind) {
        Err(_) if !whole => check_header(
            std::io::Cursor::new(super::memory::head(chunks, usize::MAX)),
            kind,
        ),
        result => result,
    }
}

/// Checks a whole file held in memory as `chunks` is a complete image of `format`.
pub fn check_chunks(chunks: &[Bytes], kind: Kind) -> Result<(), Damage> {
    let Kind::Raster(format) = kind else {
        return Ok(());
    };
    let len: usize = chunks.iter().map(|c| c.len()).sum();
    match format {
        ImageFormat::Jpeg => check_jpeg_tail(&super::memory::tail(chunks, JPEG_TAIL as usize)),
        ImageFormat::Png => check_png(ChunkReader::new(chunks)),
        ImageFormat::Gif => check_gif(ChunkReader::new(chunks)),
        ImageFormat::WebP => {
            let mut head = [0u8; 12];
            ChunkReader::new(chunks)
                .read_exact(&mut head)
                .map_err(|_| Damage::WebpNoHeader)?;
            check_webp(&head, len as u64)
        }
        _ => Ok(()),
    }
}

fn check_jpeg_tail(tail: &[u8]) -> Result<(), Damage> {
    if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(())
    } else {
        Err(Damage::JpegCutShort)
    }
}

/// `head`: the first 12 bytes (RIFF header); `len`: the file's length.
fn check_webp(head: &[u8], len: u64) -> Result<(), Damage> {
    let declared = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]])) + 8;
    if len >= declared {
        Ok(())
    } else {
        Err(Damage::WebpCutShort { got: len, declared })
    }
}

/// Checks `file` is a complete image of `format`, reading only what the check needs (from the
/// start, whatever its position). Formats without a cheap check pass.
pub fn check_complete(file: &mut std::fs::File, kind: Kind) -> Result<(), Damage> {
    let len = file.metadata()?.len();
    file.rewind()?;
    let Kind::Raster(format) = kind else {
        return Ok(());
    };
    match format {
        ImageFormat::Jpeg => {
            file.seek(SeekFrom::Start(len.saturating_sub(JPEG_TAIL)))?;
            let mut tail = Vec::new();
            file.read_to_end(&mut tail)?;
            check_jpeg_tail(&tail)
        }
        ImageFormat::Png => check_png(BufReader::with_capacity(64 * 1024, file)),
        ImageFormat::Gif => check_gif(BufReader::with_capacity(64 * 1024, file)),
        ImageFormat::WebP => {
            let mut head = [0u8; 12];
            file.read_exact(&mut head)
                .map_err(|_| Damage::WebpNoHeader)?;
            check_webp(&head, len)
        }
        _ => Ok(()),
    }
}

/// `read_exact`, with a running-out-of-data error said as `short`.
fn read_or(r: &mut impl Read, buf: &mut [u8], short: Damage) -> Result<(), Damage> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => short,
        _ => Damage::Unreadable(e),
    })
}

/// A PNG chunk with its checksum, for tests that build PNGs by hand.
#[cfg(test)]
pub(crate) fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32fast::hash(&crc_input).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: ImageFormat) -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// Checks both ways (in memory and on disk) and requires they agree.
    fn check(bytes: &[u8], format: ImageFormat) -> Result<(), String> {
        let format = Kind::Raster(format);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let on_disk = check_complete(&mut std::fs::File::open(&path).unwrap(), format)
            .map_err(|e| e.to_string());
        // In memory as the network may deliver it: in pieces, split anywhere.
        let third = bytes.len() / 3;
        let pieces = [
            &bytes[..1],
            &bytes[1..third],
            &bytes[third..bytes.len() - 2],
            &bytes[bytes.len() - 2..],
        ];
        let chunks: Vec<Bytes> = pieces.iter().map(|p| Bytes::copy_from_slice(p)).collect();
        let in_memory = check_chunks(&chunks, format).map_err(|e| e.to_string());
        assert_eq!(on_disk, in_memory);
        on_disk
    }

    #[test]
    fn a_header_longer_than_the_first_look_is_read_whole() {
        let jpeg = encoded(ImageFormat::Jpeg);
        // Three 30 KB comment segments after the start marker, as big EXIF or ICC blocks are.
        let mut big = jpeg[..2].to_vec();
        for _ in 0..3 {
            big.extend_from_slice(&[0xFF, 0xFE, 0x75, 0x32]);
            big.extend(std::iter::repeat_n(b'x', 0x7530));
        }
        big.extend_from_slice(&jpeg[2..]);
        let chunks: Vec<Bytes> = big.chunks(10_000).map(Bytes::copy_from_slice).collect();
        let kind = Kind::Raster(ImageFormat::Jpeg);
        check_header_in(&chunks, kind).unwrap();
        // Cut inside the comments: no frame header at all.
        assert!(check_header_in(&chunks[..5], kind).is_err());
    }

    #[test]
    fn whole_images_pass() {
        for f in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::WebP,
            ImageFormat::Gif,
        ] {
            assert_eq!(check(&encoded(f), f), Ok(()), "{f:?}");
        }
    }

    #[test]
    fn truncated_images_fail() {
        for f in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::WebP,
            ImageFormat::Gif,
        ] {
            let bytes = encoded(f);
            let cut = &bytes[..bytes.len() - 20];
            assert!(check(cut, f).is_err(), "{f:?}");
        }
    }

    use super::png_chunk as chunk;

    #[test]
    fn png_with_valid_checksums_but_too_little_pixel_data_fails() {
        // 50000×50000 promised, one row of pixels sent: every checksum is right.
        let mut ihdr = 50_000u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&50_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let row = vec![0u8; 1 + 50_000 * 3];
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, &row).unwrap();
        let idat = z.finish().unwrap();
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &ihdr));
        png.extend(chunk(b"IDAT", &idat));
        png.extend(chunk(b"IEND", &[]));
        let err = check(&png, ImageFormat::Png).unwrap_err();
        assert!(
            err.starts_with("the PNG's pixel data is cut short (150001 of"),
            "{err}"
        );
    }

    /// A PNG of `w`×`h` RGBA, interlaced or not, with `short` bytes of pixel data missing.
    fn raw_png(w: u32, h: u32, interlaced: bool, short: usize) -> Vec<u8> {
        let passes: Vec<(u32, u32)> = if interlaced {
            super::png::ADAM7
                .iter()
                .map(|&(x0, y0, dx, dy)| {
                    let (x0, y0, dx, dy) = (x0 as u32, y0 as u32, dx as u32, dy as u32);
                    (
                        w.saturating_sub(x0).div_ceil(dx),
                        h.saturating_sub(y0).div_ceil(dy),
                    )
                })
                .collect()
        } else {
            vec![(w, h)]
        };
        let mut raw = Vec::new();
        for (pw, ph) in passes {
            if pw == 0 {
                continue;
            }
            for y in 0..ph {
                raw.push(0); // filter: none
                raw.extend((0..pw * 4).map(|i| (i + y) as u8));
            }
        }
        raw.truncate(raw.len() - short);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, &raw).unwrap();
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, u8::from(interlaced)]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &ihdr));
        png.extend(chunk(b"IDAT", &z.finish().unwrap()));
        png.extend(chunk(b"IEND", &[]));
        png
    }

    #[test]
    fn interlaced_and_paletted_pngs_pass() {
        for interlaced in [false, true] {
            let whole = raw_png(37, 23, interlaced, 0);
            assert_eq!(check(&whole, ImageFormat::Png), Ok(()), "{interlaced}");
            image::load_from_memory(&whole).expect("a real decoder agrees it is whole");
            let short = raw_png(37, 23, interlaced, 1);
            assert!(check(&short, ImageFormat::Png).is_err(), "{interlaced}");
        }

        let mut paletted = Vec::new();
        let mut enc = ::png::Encoder::new(&mut paletted, 5, 3);
        enc.set_color(::png::ColorType::Indexed);
        enc.set_depth(::png::BitDepth::Two);
        enc.set_palette(vec![0u8; 12]);
        enc.write_header()
            .unwrap()
            .write_image_data(&[0b0001_1011, 0b0100_0000, 0, 0, 0, 0])
            .unwrap();
        assert_eq!(check(&paletted, ImageFormat::Png), Ok(()));
    }

    #[test]
    fn an_animated_gif_passes_and_one_cut_before_its_trailer_fails() {
        let mut gif = Vec::new();
        {
            let mut enc = image::codecs::gif::GifEncoder::new(&mut gif);
            let frames = [10u8, 200].map(|v| {
                image::Frame::new(image::RgbaImage::from_pixel(
                    30,
                    20,
                    image::Rgba([v, 3, 7, 255]),
                ))
            });
            enc.encode_frames(frames).unwrap();
        }
        assert_eq!(check(&gif, ImageFormat::Gif), Ok(()));
        assert_eq!(
            check(&gif[..gif.len() - 1], ImageFormat::Gif).unwrap_err(),
            "the GIF is cut short (no trailer)"
        );
    }

    #[test]
    fn png_with_a_flipped_bit_fails() {
        let mut bytes = encoded(ImageFormat::Png);
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        let err = check(&bytes, ImageFormat::Png).unwrap_err();
        assert!(err.contains("bad checksum"), "{err}");
    }
}
