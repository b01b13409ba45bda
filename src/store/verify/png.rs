//! The PNG check: chunk checksums up to `IEND`, and the pixel data counted as it inflates.

use std::io::Read;

use super::{Damage, read_or};

/// Walks a PNG's chunks as they stream past: every checksum must hold up to `IEND`, and the
/// `IDAT` data must inflate to at least the size the header promises (counted, not kept).
pub(super) fn check_png(mut r: impl Read) -> Result<(), Damage> {
    let mut signature = [0u8; 8];
    read_or(&mut r, &mut signature, Damage::PngNoEnd)?;
    let mut pixels: Option<Pixels> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut header = [0u8; 8];
        read_or(&mut r, &mut header, Damage::PngNoEnd)?;
        let len = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        let mut crc = crc32fast::Hasher::new();
        crc.update(&kind);
        let mut left = len;
        let mut ihdr = Vec::new();
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            read_or(&mut r, &mut buf[..n], Damage::PngChunkCut)?;
            crc.update(&buf[..n]);
            match &kind {
                b"IHDR" => ihdr.extend_from_slice(&buf[..n.min(13)]),
                b"IDAT" => {
                    if let Some(p) = pixels.as_mut() {
                        p.feed(&buf[..n]);
                    }
                }
                _ => {}
            }
            left -= n as u64;
        }
        let mut stored = [0u8; 4];
        read_or(&mut r, &mut stored, Damage::PngChunkCut)?;
        if crc.finalize() != u32::from_be_bytes(stored) {
            return Err(Damage::PngChecksum {
                chunk: String::from_utf8_lossy(&kind).into_owned(),
            });
        }
        match &kind {
            b"IHDR" => pixels = Some(Pixels::new(&ihdr)?),
            b"IEND" => {
                return match pixels {
                    Some(p) => p.finish(),
                    None => Err(Damage::PngHeader),
                };
            }
            _ => {}
        }
    }
}

/// Adam7 interlacing: seven passes over sub-grids, as (x0, y0, dx, dy).
pub(super) const ADAM7: [(u64, u64, u64, u64); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// Counts the bytes a PNG's `IDAT` stream inflates to, against what its header needs.
struct Pixels {
    inflater: flate2::Decompress,
    expected: u64,
    scratch: Vec<u8>,
    /// The stream would not inflate; said after the checksums (a bad checksum explains more).
    damaged: bool,
}

impl Pixels {
    fn new(ihdr: &[u8]) -> Result<Self, Damage> {
        let [
            w0,
            w1,
            w2,
            w3,
            h0,
            h1,
            h2,
            h3,
            depth,
            color,
            _,
            _,
            interlace,
        ] = *ihdr
        else {
            return Err(Damage::PngHeader);
        };
        let (width, height) = (
            u64::from(u32::from_be_bytes([w0, w1, w2, w3])),
            u64::from(u32::from_be_bytes([h0, h1, h2, h3])),
        );
        let channels = match color {
            0 | 3 => 1,
            2 => 3,
            4 => 2,
            6 => 4,
            _ => return Err(Damage::PngHeader),
        };
        let bits = channels * u64::from(depth);
        if width == 0 || height == 0 || bits == 0 {
            return Err(Damage::PngHeader);
        }
        let row = |w: u64| {
            if w == 0 {
                0
            } else {
                (w * bits).div_ceil(8) + 1
            }
        };
        let expected = if interlace == 1 {
            // Adam7: seven passes over sub-grids, each row with its own filter byte.
            ADAM7
                .iter()
                .map(|&(x0, y0, dx, dy)| {
                    let w = width.saturating_sub(x0).div_ceil(dx);
                    let h = height.saturating_sub(y0).div_ceil(dy);
                    if w == 0 { 0 } else { h * row(w) }
                })
                .sum()
        } else {
            height * row(width)
        };
        Ok(Self {
            inflater: flate2::Decompress::new(true),
            expected,
            scratch: vec![0u8; 64 * 1024],
            damaged: false,
        })
    }

    fn feed(&mut self, mut input: &[u8]) {
        // Enough seen: the rest only needs its checksums checked.
        while !self.damaged && !input.is_empty() && self.inflater.total_out() < self.expected {
            let (before_in, before_out) = (self.inflater.total_in(), self.inflater.total_out());
            match self
                .inflater
                .decompress(input, &mut self.scratch, flate2::FlushDecompress::None)
            {
                Ok(status) => {
                    let used = (self.inflater.total_in() - before_in) as usize;
                    input = &input[used..];
                    let stuck = used == 0 && self.inflater.total_out() == before_out;
                    if status == flate2::Status::StreamEnd || stuck {
                        break;
                    }
                }
                Err(_) => self.damaged = true,
            }
        }
    }

    fn finish(mut self) -> Result<(), Damage> {
        if self.damaged {
            return Err(Damage::PngPixelsDamaged);
        }
        // Output still buffered inside the inflater counts too.
        while self.inflater.total_out() < self.expected {
            let out = self.inflater.total_out();
            let status = self
                .inflater
                .decompress(&[], &mut self.scratch, flate2::FlushDecompress::Finish)
                .map_err(|_| Damage::PngPixelsDamaged)?;
            if self.inflater.total_out() == out || status == flate2::Status::StreamEnd {
                break;
            }
        }
        let got = self.inflater.total_out();
        if got < self.expected {
            return Err(Damage::PngPixelsCutShort {
                got,
                expected: self.expected,
            });
        }
        Ok(())
    }
}
