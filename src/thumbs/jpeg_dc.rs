//! A JPEG at 1/8 scale from its DC coefficients alone. At that scale each 8×8 block becomes
//! one pixel, its DC value, yet libjpeg still decodes every AC coefficient in full: that
//! Huffman decoding was ~72% of a 12 MP thumbnail, and a progressive file also made it keep
//! every coefficient of the image in memory (72 MB for 12 MP). Here a sequential file's AC
//! codes are only skipped, a few at a time by one table look-up ([`entropy`]), and a
//! progressive file's AC scans are not read at all: its DC scans are a small part of it.
//!
//! Taken: 8-bit Huffman-coded files, sequential or progressive, greyscale or YCbCr, any scan
//! layout and restart markers. Anything else (CMYK, RGB, arithmetic coding, 12 bits), and any
//! file that does not decode cleanly, returns `None` and goes to libjpeg, which handles every
//! variant and reports damage in its own words. Luma is libjpeg's to the bit; subsampled
//! chroma is interpolated from its DC values ([`colour`]) where libjpeg scales it in the DCT.

use image::metadata::Orientation;

mod colour;
mod entropy;

use entropy::{Bits, Huffman, Scan};

use super::decode::MAX_DIMENSION;
use super::jpeg::Scaled;

/// Decodes `data` (a whole JPEG file) at 1/8 scale, or `None` when libjpeg should.
///
/// The scans are freed of their stuffed bytes in place (no second buffer the file's size), so
/// after `None` the buffer no longer holds the file: read it again for libjpeg.
pub fn decode_eighth(data: &mut [u8]) -> Option<Scaled> {
    let decoder = read(data)?;
    Some(decoder.to_rgb(&decoder.pixels()?))
}

/// Reads the file's markers and the DC values of its scans (rewriting the scans in place).
fn read(data: &mut [u8]) -> Option<Decoder> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut d = Decoder::default();
    let mut i = 2;
    // A file cut short after its last DC scan still gives its picture, as with libjpeg.
    while let (Some(&0xFF), Some(&marker)) = (data.get(i), data.get(i + 1)) {
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xD9 {
            break; // end of image
        }
        let Some(len) = data.get(i + 2..i + 4) else {
            break;
        };
        let next = i + 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        if next > data.len() {
            return None;
        }
        let (before, after) = data.split_at_mut(next);
        let body = before.get(i + 4..)?;
        match marker {
            0xC0..=0xC2 => d.frame(body, marker == 0xC2)?,
            // Lossless, arithmetic coding, or a hierarchical frame.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => d.huffman_tables(body)?,
            0xDB => d.quant_tables(body)?,
            0xDD => {
                let [hi, lo, ..] = *body else { return None };
                d.restart_interval = usize::from(u16::from_be_bytes([hi, lo]));
            }
            0xE1 => {
                if let Some(exif) = body.strip_prefix(b"Exif\0\0") {
                    d.orientation = Orientation::from_exif_chunk(exif);
                }
            }
            0xE2 => d.app2.push(body.to_vec()),
            // Adobe's marker can say the three components are RGB, not YCbCr.
            0xEE if body.starts_with(b"Adobe") => return None,
            0xDA => {
                i = next + d.scan(body, after)?;
                continue;
            }
            _ => {}
        }
        i = next;
    }
    Some(d)
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
}

/// A component's blocks: their DC coefficients, quantised, in the MCU grid.
struct Plane {
    /// 16 bits, as libjpeg keeps coefficients.
    dc: Vec<i16>,
    stride: usize,
    /// The DC quantisation step, taken when the component's first scan starts (as libjpeg
    /// does; a later table with the same number does not change it). `None`: no scan yet.
    step: Option<i64>,
}

/// A scan component: its plane, its blocks per MCU (h, v), its DC and AC tables.
type Member<'a> = (
    usize,
    usize,
    usize,
    Option<&'a Huffman>,
    Option<&'a Huffman>,
);

/// The blocks of one scan, in the order its data holds them.
struct Blocks<'a> {
    scan: &'a Scan<'a>,
    layout: &'a [Member<'a>],
    cols: usize,
    total: usize,
    /// MCUs between restart markers.
    interval: usize,
}

impl Blocks<'_> {
    /// Calls `block` for each block with the bit reader, the component's DC prediction, its
    /// (DC, AC) tables and the block's coefficient; predictions restart at each restart marker.
    fn visit(
        &self,
        planes: &mut [Plane],
        mut block: impl FnMut(
            &mut Bits,
            &mut i32,
            (Option<&Huffman>, Option<&Huffman>),
            &mut i16,
        ) -> Option<()>,
    ) -> Option<()> {
        for (segment, first) in (0..self.total).step_by(self.interval).enumerate() {
            let mut bits = Bits::new(self.scan.segment(segment));
            let mut predictions = [0i32; 4];
            for mcu in first..(first + self.interval).min(self.total) {
                let (col, row) = (mcu % self.cols, mcu / self.cols);
                for (k, &(index, h, v, dc, ac)) in self.layout.iter().enumerate() {
                    let plane = &mut planes[index];
                    for by in 0..v {
                        let start = (row * v + by) * plane.stride + col * h;
                        for coefficient in &mut plane.dc[start..start + h] {
                            block(&mut bits, &mut predictions[k], (dc, ac), coefficient)?;
                        }
                    }
                }
            }
            if bits.overran() {
                return None; // the scan ended early: let libjpeg say so
            }
        }
        Some(())
    }
}

/// What a scan does to each block's DC value.
#[derive(Clone, Copy)]
enum Pass {
    /// Sequential: the DC difference, then the AC codes skipped.
    Sequential,
    /// Progressive DC first scan: the difference, scaled by 2^n.
    First(u32),
    /// Progressive DC refinement: one more bit, 2^n.
    Refine(u32),
}

#[derive(Default)]
struct Decoder {
    width: usize,
    height: usize,
    progressive: bool,
    components: Vec<Component>,
    planes: Vec<Plane>,
    /// Each table's DC step (the first entry, in zig-zag order).
    dc_quant: [Option<u16>; 4],
    dc_tables: [Option<Huffman>; 4],
    ac_tables: [Option<Huffman>; 4],
    restart_interval: usize,
    /// From the EXIF block, if any.
    orientation: Option<Orientation>,
    /// The APP2 segments, where an ICC profile is kept.
    app2: Vec<Vec<u8>>,
}

impl Decoder {
    fn frame(&mut self, body: &[u8], progressive: bool) -> Option<()> {
        let [precision, h0, h1, w0, w1, count, ..] = *body else {
            return None;
        };
        self.height = usize::from(u16::from_be_bytes([h0, h1]));
        self.width = usize::from(u16::from_be_bytes([w0, w1]));
        // The height may come later in a DNL marker; libjpeg knows what to do with that.
        let again = !self.components.is_empty();
        if again || precision != 8 || self.width == 0 || self.height == 0 || !matches!(count, 1 | 3)
        {
            return None;
        }
        for c in body[6..].chunks_exact(3).take(usize::from(count)) {
            let (h, v) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
            if !(1..=4).contains(&h) || !(1..=4).contains(&v) || c[2] > 3 {
                return None;
            }
            self.components.push(Component {
                id: c[0],
                h,
                v,
                quant: usize::from(c[2]),
            });
        }
        // Component ids 'R', 'G', 'B' mean RGB to libjpeg, as the Adobe marker does.
        let rgb = self.components.iter().map(|c| c.id).eq(*b"RGB");
        if self.components.len() != usize::from(count) || rgb {
            return None;
        }
        self.progressive = progressive;
        if self.width.max(self.height) > MAX_DIMENSION as usize {
            return None; // libjpeg's path refuses it with the usual error
        }
        let (hmax, vmax) = self.max_sampling();
        let (cols, rows) = (
            self.width.div_ceil(8 * hmax),
            self.height.div_ceil(8 * vmax),
        );
        self.planes = (self.components.iter())
            .map(|c| Plane {
                dc: vec![0; cols * c.h * rows * c.v],
                stride: cols * c.h,
                step: None,
            })
            .collect();
        Some(())
    }

    fn huffman_tables(&mut self, mut body: &[u8]) -> Option<()> {
        while let [class_id, rest @ ..] = body {
            let counts: [u8; 16] = rest.get(..16)?.try_into().ok()?;
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let values = rest.get(16..16 + total)?;
            let (class, id) = (class_id >> 4, usize::from(class_id & 15));
            let table = Huffman::new(&counts, values, class == 1)?;
            match (class, id) {
                (0, 0..=3) => self.dc_tables[id] = Some(table),
                (1, 0..=3) => self.ac_tables[id] = Some(table),
                _ => return None,
            }
            body = &rest[16 + total..];
        }
        Some(())
    }

    fn quant_tables(&mut self, mut body: &[u8]) -> Option<()> {
        while let [pq_tq, rest @ ..] = body {
            let (wide, id) = (pq_tq >> 4 != 0, usize::from(pq_tq & 15));
            let size = if wide { 128 } else { 64 };
            let table = rest.get(..size)?;
            *self.dc_quant.get_mut(id)? = Some(if wide {
                u16::from_be_bytes([table[0], table[1]])
            } else {
                u16::from(table[0])
            });
            body = &rest[size..];
        }
        Some(())
    }

    /// One scan: its header `body` and what follows it in the file. Returns the scan's
    /// length there.
    fn scan(&mut self, body: &[u8], rest: &mut [u8]) -> Option<usize> {
        let count = usize::from(*body.first()?);
        if self.components.is_empty() || !(1..=self.components.len()).contains(&count) {
            return None;
        }
        let mut members = Vec::with_capacity(count);
        for s in body.get(1..1 + 2 * count)?.chunks_exact(2) {
            let index = self.components.iter().position(|c| c.id == s[0])?;
            members.push((index, usize::from(s[1] >> 4), usize::from(s[1] & 15)));
        }
        let [ss, se, a] = *body.get(1 + 2 * count..4 + 2 * count)? else {
            return None;
        };
        let (high, low) = (a >> 4, u32::from(a & 15));
        let pass = match (self.progressive, ss, se, high) {
            (false, 0, 63, 0) if low == 0 => Pass::Sequential,
            (true, 0, 0, 0) if low < 16 => Pass::First(low),
            (true, 0, 0, _) if low < 16 => Pass::Refine(low),
            // A progressive AC scan: not needed at 1/8.
            (true, 1.., _, _) => return Some(Scan::length(rest)),
            _ => return None,
        };
        let (scan, length) = Scan::destuff(rest);
        self.decode_scan(&scan, &members, pass)?;
        Some(length)
    }

    /// Runs `pass` over the blocks of the scan's components (`members`: component, DC table,
    /// AC table).
    fn decode_scan(
        &mut self,
        scan: &Scan,
        members: &[(usize, usize, usize)],
        pass: Pass,
    ) -> Option<()> {
        let (hmax, vmax) = self.max_sampling();
        // One component alone is stored block by block, in its own grid.
        let (cols, rows) = match members {
            [(only, _, _)] => {
                let c = self.components[*only];
                (
                    (self.width * c.h).div_ceil(hmax).div_ceil(8),
                    (self.height * c.v).div_ceil(vmax).div_ceil(8),
                )
            }
            _ => (
                self.width.div_ceil(8 * hmax),
                self.height.div_ceil(8 * vmax),
            ),
        };
        let mut layout = Vec::with_capacity(members.len());
        for &(index, dc, ac) in members {
            let c = self.components[index];
            let plane = &mut self.planes[index];
            if plane.step.is_none() {
                plane.step = Some(i64::from(self.dc_quant[c.quant]?));
            }
            let (h, v) = if members.len() == 1 {
                (1, 1)
            } else {
                (c.h, c.v)
            };
            let dc = self.dc_tables.get(dc)?.as_ref();
            let ac = self.ac_tables.get(ac)?.as_ref();
            match pass {
                Pass::Sequential if dc.is_none() || ac.is_none() => return None,
                Pass::First(_) if dc.is_none() => return None,
                _ => {}
            }
            layout.push((index, h, v, dc, ac));
        }

        let total = cols * rows;
        let interval = if self.restart_interval == 0 {
            total
        } else {
            self.restart_interval
        };
        if scan.segments.len() < total.div_ceil(interval) {
            return None; // restart markers missing: damaged, libjpeg's business
        }
        let blocks = Blocks {
            scan,
            layout: &layout,
            cols,
            total,
            interval,
        };
        let planes = &mut self.planes;
        // One loop per kind of pass, so the choice is not made again for every block.
        match pass {
            Pass::Sequential => blocks.visit(planes, |bits, prediction, (dc, ac), coefficient| {
                *prediction = prediction.wrapping_add(bits.dc(dc?)?);
                bits.skip_ac(ac?)?;
                *coefficient = *prediction as i16;
                Some(())
            }),
            Pass::First(shift) => blocks.visit(planes, |bits, prediction, (dc, _), coefficient| {
                *prediction = prediction.wrapping_add(bits.dc(dc?)?);
                *coefficient = prediction.wrapping_shl(shift) as i16;
                Some(())
            }),
            Pass::Refine(shift) => blocks.visit(planes, |bits, _, _, coefficient| {
                if bits.bit() {
                    *coefficient |= 1i16.wrapping_shl(shift);
                }
                Some(())
            }),
        }
    }

    fn max_sampling(&self) -> (usize, usize) {
        let h = self.components.iter().map(|c| c.h).max().unwrap_or(1);
        let v = self.components.iter().map(|c| c.v).max().unwrap_or(1);
        (h, v)
    }

    /// Each component's blocks as pixels (with the row stride), once every component had
    /// its DC values: dequantised, descaled and level-shifted as libjpeg's 1×1 inverse DCT
    /// does.
    fn pixels(&self) -> Option<Vec<(Vec<u8>, usize)>> {
        let mut pixels = Vec::with_capacity(self.planes.len());
        for plane in &self.planes {
            // A 16-bit coefficient times a step of at most 65,535 fits in an i64, not an i32.
            let step = plane.step?;
            let values = plane
                .dc
                .iter()
                .map(|&dc| (((i64::from(dc) * step + 4) >> 3) + 128).clamp(0, 255) as u8);
            pixels.push((values.collect(), plane.stride));
        }
        (!pixels.is_empty()).then_some(pixels)
    }

    /// The planes as RGB at ⌈width/8⌉ × ⌈height/8⌉.
    fn to_rgb(&self, planes: &[(Vec<u8>, usize)]) -> Scaled {
        let sampling: Vec<(usize, usize)> = self.components.iter().map(|c| (c.h, c.v)).collect();
        Scaled {
            width: self.width.div_ceil(8) as u32,
            height: self.height.div_ceil(8) as u32,
            rgb: colour::rgb(planes, &sampling, self.width, self.height),
            full_width: self.width as u32,
            full_height: self.height as u32,
            orientation: self.orientation.unwrap_or(Orientation::NoTransforms),
            icc: super::icc::from_jpeg_app2(self.app2.iter().map(Vec::as_slice)),
        }
    }
}

#[cfg(test)]
mod tests;
