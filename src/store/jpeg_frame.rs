//! A JPEG's frame header (SOFn), found by walking its markers: the dimensions and whether the
//! file is progressive, without decoding anything. Checks downloads, filters them by size, and
//! picks the thumbnail decoder; the `image` crate's header parse built Huffman tables for this
//! (about 3% of the CPU of a download).

use std::io::{Read, Seek, SeekFrom};

/// What a JPEG's frame header (SOFn) says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// SOF2, SOF6, SOF10 or SOF14.
    pub progressive: bool,
    pub width: u32,
    pub height: u32,
}

/// The frame header in `data` (the file or its start); `None` when `data` ends before it.
pub fn frame(data: &[u8]) -> Option<Frame> {
    read_frame(&mut std::io::Cursor::new(data)).ok().flatten()
}

/// The frame header of the JPEG `reader` is at the start of, seeking past the segments before
/// it (a file on disk is not read whole); `Ok(None)` when the data ends before it.
pub fn read_frame(reader: &mut (impl Read + Seek)) -> std::io::Result<Option<Frame>> {
    let damaged = Frame {
        progressive: false,
        width: 0,
        height: 0,
    };
    reader.seek(SeekFrom::Start(2))?; // after SOI
    let mut marker = [0u8; 4];
    loop {
        if !fill(reader, &mut marker)? {
            return Ok(None);
        }
        if marker[0] != 0xFF {
            return Ok(Some(damaged)); // not a marker: damaged, so no size
        }
        if marker[1] == 0xFF {
            reader.seek(SeekFrom::Current(-3))?; // a fill byte: the marker starts at the next
            continue;
        }
        if matches!(marker[1], 0xC0..=0xCF) && !matches!(marker[1], 0xC4 | 0xC8 | 0xCC) {
            let mut size = [0u8; 5]; // precision, height, width
            if !fill(reader, &mut size)? {
                return Ok(None);
            }
            return Ok(Some(Frame {
                progressive: matches!(marker[1], 0xC2 | 0xC6 | 0xCA | 0xCE),
                height: u32::from(u16::from_be_bytes([size[1], size[2]])),
                width: u32::from(u16::from_be_bytes([size[3], size[4]])),
            }));
        }
        let len = i64::from(u16::from_be_bytes([marker[2], marker[3]]));
        reader.seek(SeekFrom::Current(len - 2))?;
    }
}

/// Fills `buf`; `false` when the data ends first.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    match reader.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::new(width, height);
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    fn progressive(width: u32, height: u32) -> Vec<u8> {
        let mut out = jpeg(width, height);
        let at = out.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        out[at + 1] = 0xC2;
        out
    }

    #[test]
    fn the_frame_type_and_size_are_read_from_the_header() {
        let baseline = frame(&jpeg(24, 16)).unwrap();
        assert_eq!(
            (baseline.progressive, baseline.width, baseline.height),
            (false, 24, 16)
        );
        assert!(frame(&progressive(16, 16)).unwrap().progressive);
        assert_eq!(frame(&progressive(16, 16)[..4]), None);
    }

    #[test]
    fn a_broken_marker_chain_has_no_size() {
        let f = frame(b"\xFF\xD8\xFF\xE0\x00\x04ab<html>").unwrap();
        assert_eq!((f.width, f.height), (0, 0));
    }
}
