//! A baseline JPEG at 1/8 scale from its DC coefficients alone. At that scale each 8×8 block
//! becomes one pixel, its DC value, yet libjpeg still decodes every AC coefficient in full and
//! that Huffman decoding was ~72% of a 12 MP thumbnail. Here AC codes are only skipped, each
//! with one table look-up that covers the code and its extra bits together, over a scan freed
//! of byte stuffing beforehand so the bit reader never looks for markers.
//!
//! Only the common case is taken: 8-bit baseline or extended Huffman, one scan holding every
//! component, greyscale or YCbCr. Anything else, and any file that does not decode cleanly,
//! returns `None` and goes to libjpeg, which handles every variant and reports damage in its
//! own words. Chroma is repeated, not interpolated: the result is shrunk again to a thumbnail.

use image::metadata::Orientation;

mod entropy;

use entropy::{Bits, Huffman};

use super::decode::MAX_DIMENSION;
use super::jpeg::Scaled;

/// Decodes `data` (a whole JPEG file) at 1/8 scale, or `None` when libjpeg should.
pub fn decode_eighth(data: &[u8]) -> Option<Scaled> {
    let header = Header::parse(data)?;
    if header.width.max(header.height) > MAX_DIMENSION as usize {
        return None; // libjpeg's path refuses it with the usual error
    }
    let scan = Scan::destuff(&data[header.scan_start..]);
    let planes = header.decode(&scan)?;
    Some(header.to_rgb(&planes))
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
    dc: usize,
    ac: usize,
}

struct Header {
    width: usize,
    height: usize,
    components: Vec<Component>,
    /// Each table's DC step (the first entry, in zig-zag order).
    dc_quant: [Option<u16>; 4],
    dc_tables: [Option<Huffman>; 4],
    ac_tables: [Option<Huffman>; 4],
    restart_interval: usize,
    orientation: Orientation,
    scan_start: usize,
}

impl Header {
    /// Walks the markers up to the start of the scan.
    fn parse(data: &[u8]) -> Option<Header> {
        if !data.starts_with(&[0xFF, 0xD8]) {
            return None;
        }
        let mut h = Header {
            width: 0,
            height: 0,
            components: Vec::new(),
            dc_quant: [None; 4],
            dc_tables: Default::default(),
            ac_tables: Default::default(),
            restart_interval: 0,
            orientation: Orientation::NoTransforms,
            scan_start: 0,
        };
        let mut i = 2;
        loop {
            if *data.get(i)? != 0xFF {
                return None;
            }
            let marker = *data.get(i + 1)?;
            if marker == 0xFF {
                i += 1;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([*data.get(i + 2)?, *data.get(i + 3)?]));
            let body = data.get(i + 4..i + 2 + len)?;
            match marker {
                0xC0 | 0xC1 => h.frame(body)?,
                // Progressive, lossless, arithmetic coding, or a hierarchical frame.
                0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
                0xC4 => h.huffman_tables(body)?,
                0xDB => h.quant_tables(body)?,
                0xDD => {
                    let [hi, lo, ..] = *body else { return None };
                    h.restart_interval = usize::from(u16::from_be_bytes([hi, lo]));
                }
                0xE1 => {
                    if let Some(exif) = body.strip_prefix(b"Exif\0\0") {
                        h.orientation =
                            Orientation::from_exif_chunk(exif).unwrap_or(Orientation::NoTransforms);
                    }
                }
                // Adobe's marker can say the three components are RGB, not YCbCr.
                0xEE if body.starts_with(b"Adobe") => return None,
                0xDA => {
                    h.scan(body)?;
                    h.scan_start = i + 2 + len;
                    return Some(h);
                }
                0xD9 => return None,
                _ => {}
            }
            i += 2 + len;
        }
    }

    fn frame(&mut self, body: &[u8]) -> Option<()> {
        let [precision, h0, h1, w0, w1, count, ..] = *body else {
            return None;
        };
        self.height = usize::from(u16::from_be_bytes([h0, h1]));
        self.width = usize::from(u16::from_be_bytes([w0, w1]));
        // The height may come later in a DNL marker; libjpeg knows what to do with that.
        if precision != 8 || self.width == 0 || self.height == 0 || !matches!(count, 1 | 3) {
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
                dc: 0,
                ac: 0,
            });
        }
        // Component ids 'R', 'G', 'B' mean RGB to libjpeg, as the Adobe marker does.
        let rgb = self.components.iter().map(|c| c.id).eq(*b"RGB");
        (self.components.len() == usize::from(count) && !rgb).then_some(())
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

    /// The scan header: every component of the frame, in one sequential scan.
    fn scan(&mut self, body: &[u8]) -> Option<()> {
        let count = usize::from(*body.first()?);
        if count != self.components.len() {
            return None;
        }
        for s in body.get(1..1 + 2 * count)?.chunks_exact(2) {
            let c = self.components.iter_mut().find(|c| c.id == s[0])?;
            (c.dc, c.ac) = (usize::from(s[1] >> 4), usize::from(s[1] & 15));
        }
        let [ss, se, a] = *body.get(1 + 2 * count..4 + 2 * count)? else {
            return None;
        };
        (ss == 0 && se == 63 && a == 0).then_some(())
    }

    fn max_sampling(&self) -> (usize, usize) {
        let h = self.components.iter().map(|c| c.h).max().unwrap_or(1);
        let v = self.components.iter().map(|c| c.v).max().unwrap_or(1);
        (h, v)
    }

    /// Each component's blocks, one pixel each: its DC value dequantised, descaled and
    /// level-shifted as libjpeg's 1×1 inverse DCT does. Returns (plane, blocks per row).
    fn decode(&self, scan: &Scan) -> Option<Vec<(Vec<u8>, usize)>> {
        let single = self.components.len() == 1;
        let (hmax, vmax) = self.max_sampling();
        // One component is stored block by block whatever its sampling factors say.
        let (mcu_cols, mcu_rows) = if single {
            (self.width.div_ceil(8), self.height.div_ceil(8))
        } else {
            (
                self.width.div_ceil(8 * hmax),
                self.height.div_ceil(8 * vmax),
            )
        };
        let layout: Vec<(usize, usize)> = self
            .components
            .iter()
            .map(|c| if single { (1, 1) } else { (c.h, c.v) })
            .collect();
        let mut planes: Vec<(Vec<u8>, usize)> = layout
            .iter()
            .map(|&(h, v)| (vec![0u8; mcu_cols * h * mcu_rows * v], mcu_cols * h))
            .collect();
        let mut tables = Vec::with_capacity(self.components.len());
        for c in &self.components {
            tables.push((
                self.dc_tables.get(c.dc)?.as_ref()?,
                self.ac_tables.get(c.ac)?.as_ref()?,
                i64::from(self.dc_quant[c.quant]?),
            ));
        }

        let total = mcu_cols * mcu_rows;
        let interval = if self.restart_interval == 0 {
            total
        } else {
            self.restart_interval
        };
        if scan.segments.len() < total.div_ceil(interval) {
            return None; // restart markers missing: damaged, libjpeg's business
        }
        for (segment, first) in (0..total).step_by(interval).enumerate() {
            let mut bits = Bits::new(scan.segment(segment));
            let mut predictions = [0i32; 3];
            for mcu in first..(first + interval).min(total) {
                let (col, row) = (mcu % mcu_cols, mcu / mcu_cols);
                for (ci, &(h, v)) in layout.iter().enumerate() {
                    let (dc, ac, quant) = tables[ci];
                    let (plane, stride) = &mut planes[ci];
                    for by in 0..v {
                        for bx in 0..h {
                            predictions[ci] = predictions[ci].wrapping_add(bits.dc(dc)?);
                            bits.skip_ac(ac)?;
                            let value = ((i64::from(predictions[ci]) * quant + 4) >> 3) + 128;
                            plane[(row * v + by) * *stride + col * h + bx] =
                                value.clamp(0, 255) as u8;
                        }
                    }
                }
            }
            if bits.overran() {
                return None; // the scan ended early: let libjpeg say so
            }
        }
        Some(planes)
    }

    /// The planes as RGB at ⌈width/8⌉ × ⌈height/8⌉, chroma repeated over the pixels it covers.
    fn to_rgb(&self, planes: &[(Vec<u8>, usize)]) -> Scaled {
        let (width, height) = (self.width.div_ceil(8), self.height.div_ceil(8));
        let mut rgb = Vec::with_capacity(width * height * 3);
        if let [(luma, stride)] = planes {
            for y in 0..height {
                for &l in &luma[y * stride..y * stride + width] {
                    rgb.extend_from_slice(&[l, l, l]);
                }
            }
        } else {
            let (hmax, vmax) = self.max_sampling();
            let column =
                |c: &Component| -> Vec<usize> { (0..width).map(|x| x * c.h / hmax).collect() };
            let columns: Vec<Vec<usize>> = self.components.iter().map(column).collect();
            for y in 0..height {
                let rows: Vec<&[u8]> = self
                    .components
                    .iter()
                    .zip(planes)
                    .map(|(c, (plane, stride))| {
                        let r = y * c.v / vmax;
                        &plane[r * stride..(r + 1) * stride]
                    })
                    .collect();
                for x in 0..width {
                    let luma = i32::from(rows[0][columns[0][x]]);
                    let cb = i32::from(rows[1][columns[1][x]]) - 128;
                    let cr = i32::from(rows[2][columns[2][x]]) - 128;
                    // JFIF's YCbCr to RGB in 16-bit fixed point, rounded.
                    let r = luma + ((91_881 * cr + 32_768) >> 16);
                    let g = luma + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16);
                    let b = luma + ((116_130 * cb + 32_768) >> 16);
                    rgb.extend_from_slice(&[
                        r.clamp(0, 255) as u8,
                        g.clamp(0, 255) as u8,
                        b.clamp(0, 255) as u8,
                    ]);
                }
            }
        }
        Scaled {
            width: width as u32,
            height: height as u32,
            rgb,
            full_width: self.width as u32,
            full_height: self.height as u32,
            orientation: self.orientation,
        }
    }
}

/// The entropy-coded data with stuffed bytes removed, split at restart markers.
struct Scan {
    data: Vec<u8>,
    /// Where each restart interval starts in `data`.
    segments: Vec<usize>,
}

impl Scan {
    fn destuff(mut rest: &[u8]) -> Scan {
        let mut data = Vec::with_capacity(rest.len() + 8);
        let mut segments = vec![0];
        while let Some(at) = memchr::memchr(0xFF, rest) {
            data.extend_from_slice(&rest[..at]);
            match rest.get(at + 1) {
                Some(0x00) => {
                    data.push(0xFF);
                    rest = &rest[at + 2..];
                }
                Some(0xD0..=0xD7) => {
                    segments.push(data.len());
                    rest = &rest[at + 2..];
                }
                Some(0xFF) => rest = &rest[at + 1..], // fill byte before a marker
                _ => {
                    rest = &[]; // any other marker ends the scan
                    break;
                }
            }
        }
        data.extend_from_slice(rest);
        Scan { data, segments }
    }

    fn segment(&self, i: usize) -> &[u8] {
        let end = self.segments.get(i + 1).copied().unwrap_or(self.data.len());
        &self.data[self.segments[i]..end]
    }
}

#[cfg(test)]
mod tests;
