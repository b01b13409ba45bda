//! The entropy-coded side of [`super`]: Huffman tables, a bit reader over a scan segment, and
//! the AC skip that makes the 1/8 scale cheap. Nothing here allocates per block or can panic
//! on bad data: a code no table holds is `None`, reads past the end give zeros.

/// Bits looked up at once; longer codes take the slow path (rare in photos).
const LOOKUP: u32 = 10;

/// A Huffman table with a direct look-up for codes up to [`LOOKUP`] bits.
pub(super) struct Huffman {
    /// (code length << 8 | value) for each LOOKUP-bit prefix; 0 when the code is longer.
    fast: Box<[u16; 1 << LOOKUP]>,
    /// Indexed by the next [`SKIP_BITS`] bits. For AC tables: the whole coefficients that lie
    /// in them (codes and extra bits), as [`pack`] entries; several per look-up in a typical
    /// photo, which halves the chain of dependent look-ups that bounds the speed. For DC
    /// tables: the difference they hold, code and extra bits together (see [`Bits::dc`]).
    skip: Box<[u16; 1 << SKIP_BITS]>,
    /// Per code length: the largest code of that length (-1 if none), and where its values
    /// start in `values` minus its smallest code.
    max_code: [i32; 17],
    offset: [i32; 17],
    values: Vec<u8>,
}

/// Bits a skip look-up covers: 8 KB a table, so the tables in use stay in the L1 cache.
const SKIP_BITS: u32 = 12;

/// In a skip-table entry (see [`pack`]): it ends with the block's end code.
const PACK_END: u16 = 0x8000;

/// A skip-table entry: bits used (low 5 bits), coefficients covered (next 7), whether it ends
/// with the block's end code ([`PACK_END`]). 0: the first coefficient does not fit.
fn pack(bits: u32, covers: u32, end: bool) -> u16 {
    (bits | covers << 5) as u16 | if end { PACK_END } else { 0 }
}

impl Huffman {
    pub(super) fn new(counts: &[u8; 16], values: &[u8], ac: bool) -> Option<Huffman> {
        let mut table = Huffman {
            fast: Box::new([0; 1 << LOOKUP]),
            skip: Box::new([0; 1 << SKIP_BITS]),
            max_code: [-1; 17],
            offset: [0; 17],
            values: values.to_vec(),
        };
        let (mut code, mut k) = (0i32, 0usize);
        for len in 1..=16u32 {
            let n = usize::from(counts[len as usize - 1]);
            table.offset[len as usize] = k as i32 - code;
            for _ in 0..n {
                if code >= 1 << len {
                    return None; // more codes than the length allows: not a valid table
                }
                if len <= LOOKUP {
                    let shift = LOOKUP - len;
                    let first = (code as usize) << shift;
                    table.fast[first..first + (1 << shift)]
                        .fill((len as u16) << 8 | u16::from(values[k]));
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                table.max_code[len as usize] = code - 1;
            }
            code <<= 1;
        }
        for prefix in 0..1u32 << SKIP_BITS {
            table.skip[prefix as usize] = if ac {
                table.pack_at(prefix)
            } else {
                table.difference_at(prefix)
            };
        }
        Some(table)
    }

    /// The code at the top of `bits` (`available` bits long): (length, value).
    fn decode_prefix(&self, bits: u32, available: u32) -> Option<(u32, u8)> {
        let index = if available >= LOOKUP {
            bits >> (available - LOOKUP)
        } else {
            bits << (LOOKUP - available)
        };
        let entry = self.fast[index as usize];
        if entry != 0 {
            let len = u32::from(entry >> 8);
            return (len <= available).then_some((len, entry as u8));
        }
        (LOOKUP + 1..=available).find_map(|len| {
            let code = (bits >> (available - len)) as i32;
            (code <= self.max_code[len as usize]).then(|| {
                let index = (code + self.offset[len as usize]) as usize;
                self.values.get(index).map(|&v| (len, v))
            })?
        })
    }

    /// The DC difference at the start of the SKIP_BITS-bit prefix `prefix`: bits used (low 4
    /// bits) and the difference (the 12 above, two's complement); 0 when it does not fit.
    fn difference_at(&self, prefix: u32) -> u16 {
        let Some((len, size)) = self.decode_prefix(prefix, SKIP_BITS) else {
            return 0;
        };
        let size = u32::from(size);
        if len + size > SKIP_BITS {
            return 0;
        }
        let raw = ((prefix >> (SKIP_BITS - len - size)) & ((1 << size) - 1)) as i32;
        let difference = extend(raw, size);
        ((difference as u16) << 4) | (len + size) as u16
    }

    /// The whole AC coefficients at the start of the SKIP_BITS-bit prefix `prefix`.
    fn pack_at(&self, prefix: u32) -> u16 {
        let (mut used, mut covers) = (0, 0);
        while used < SKIP_BITS {
            let left = SKIP_BITS - used;
            let bits = prefix & ((1 << left) - 1);
            let Some((len, value)) = self.decode_prefix(bits, left) else {
                break;
            };
            let (run, size) = (u32::from(value >> 4), u32::from(value & 15));
            if len + size > left {
                break;
            }
            if size == 0 && run != 15 {
                return pack(used + len, covers, true);
            }
            let more = if size == 0 { 16 } else { run + 1 };
            if covers + more > 64 {
                break; // past any block's end (and the entry's 7 bits)
            }
            used += len + size;
            covers += more;
        }
        if used == 0 {
            0
        } else {
            pack(used, covers, false)
        }
    }
}

/// A `size`-bit JPEG magnitude as a signed value: values whose top bit is clear are negative
/// (the standard's EXTEND).
fn extend(raw: i32, size: u32) -> i32 {
    if size == 0 {
        0
    } else if raw < 1 << (size - 1) {
        raw - (1 << size) + 1
    } else {
        raw
    }
}

/// Reads bits most significant first from a scan segment, then zeros past its end.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    buffer: u64,
    /// Valid bits at the top of `buffer`.
    count: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            at: 0,
            buffer: 0,
            count: 0,
        }
    }

    /// Tops the buffer up to at least 56 bits, 8 bytes at a time where it can.
    #[inline(always)]
    fn refill(&mut self) {
        let word = match self.data.get(self.at..self.at + 8) {
            Some(bytes) => u64::from_be_bytes(bytes.try_into().unwrap_or_default()),
            None => {
                let mut bytes = [0u8; 8];
                let left = &self.data[self.at.min(self.data.len())..];
                bytes[..left.len()].copy_from_slice(left);
                u64::from_be_bytes(bytes)
            }
        };
        self.buffer |= word >> self.count;
        self.at += ((63 - self.count) >> 3) as usize;
        self.count |= 56;
    }

    /// Whether decoding ran more than a few bytes past the segment's end.
    pub(super) fn overran(&self) -> bool {
        self.at > self.data.len() + 8
    }

    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        (self.buffer >> (64 - n)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.count -= n;
    }

    /// One Huffman symbol (the buffer holds at least 16 bits).
    #[inline(always)]
    fn symbol(&mut self, table: &Huffman) -> Option<u8> {
        let entry = table.fast[self.peek(LOOKUP) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Some(entry as u8);
        }
        for len in LOOKUP + 1..=16 {
            let code = self.peek(len) as i32;
            if code <= table.max_code[len as usize] {
                self.consume(len);
                let index = usize::try_from(code + table.offset[len as usize]).ok()?;
                return table.values.get(index).copied();
            }
        }
        None // no such code: damaged data
    }

    /// One bit (a progressive DC refinement).
    #[inline(always)]
    pub(super) fn bit(&mut self) -> bool {
        if self.count < 32 {
            self.refill();
        }
        let bit = self.peek(1) == 1;
        self.consume(1);
        bit
    }

    /// A DC difference.
    #[inline(always)]
    pub(super) fn dc(&mut self, table: &Huffman) -> Option<i32> {
        if self.count < 32 {
            self.refill();
        }
        let entry = table.skip[self.peek(SKIP_BITS) as usize];
        if entry != 0 {
            self.consume(u32::from(entry & 15));
            return Some(i32::from(entry as i16 >> 4));
        }
        match u32::from(self.symbol(table)?) {
            0 => Some(0),
            size @ 1..=15 => {
                let raw = self.peek(size) as i32;
                self.consume(size);
                Some(extend(raw, size))
            }
            _ => None,
        }
    }

    /// Passes over a block's 63 AC coefficients without decoding them.
    #[inline(always)]
    pub(super) fn skip_ac(&mut self, table: &Huffman) -> Option<()> {
        let mut k = 1;
        while k < 64 {
            if self.count < 32 {
                self.refill();
            }
            let pack = table.skip[self.peek(SKIP_BITS) as usize];
            let covers = u32::from(pack >> 5 & 127);
            // A pack must not run past the block: the bits after its last coefficient are
            // the next block's (with its end code, that coefficient must not be the last).
            let end = pack & PACK_END != 0;
            if pack != 0 && k + covers <= 63 + u32::from(!end) {
                self.consume(u32::from(pack & 31));
                if end {
                    return Some(());
                }
                k += covers;
                continue;
            }
            let value = self.symbol(table)?;
            let (run, size) = (u32::from(value >> 4), u32::from(value & 15));
            if size == 0 {
                if run != 15 {
                    return Some(()); // end of block
                }
                k += 16;
            } else {
                self.consume(size);
                k += run + 1;
            }
        }
        Some(())
    }
}

/// The entropy-coded data with stuffed bytes removed, split at restart markers.
pub(super) struct Scan<'a> {
    data: &'a [u8],
    /// Where each restart interval starts in `data`.
    pub(super) segments: Vec<usize>,
}

impl<'a> Scan<'a> {
    /// The scan at the start of `rest`, with its stuffed bytes and restart markers removed in
    /// place (the data only ever moves towards the start), and how long it was there (up to
    /// the marker after it).
    pub(super) fn destuff(rest: &'a mut [u8]) -> (Scan<'a>, usize) {
        let (mut read, mut write) = (0, 0);
        let mut segments = vec![0];
        let end = loop {
            let Some(found) = memchr::memchr(0xFF, &rest[read..]) else {
                break rest.len();
            };
            let at = read + found;
            rest.copy_within(read..at, write);
            write += at - read;
            match rest.get(at + 1) {
                Some(0x00) => {
                    rest[write] = 0xFF;
                    write += 1;
                    read = at + 2;
                }
                Some(0xD0..=0xD7) => {
                    segments.push(write);
                    read = at + 2;
                }
                Some(0xFF) => read = at + 1, // fill byte before a marker
                // Any other marker ends the scan.
                _ => {
                    read = at;
                    break at;
                }
            }
        };
        rest.copy_within(read..end, write);
        write += end - read;
        let scan = Scan {
            data: &rest[..write],
            segments,
        };
        (scan, end)
    }

    /// How long the scan at the start of `rest` is, without reading it.
    pub(super) fn length(rest: &[u8]) -> usize {
        let mut at = 0;
        while let Some(found) = memchr::memchr(0xFF, &rest[at..]) {
            at += found;
            match rest.get(at + 1) {
                Some(0x00 | 0xD0..=0xD7) => at += 2,
                Some(0xFF) => at += 1,
                _ => return at,
            }
        }
        rest.len()
    }

    pub(super) fn segment(&self, i: usize) -> &'a [u8] {
        let end = self.segments.get(i + 1).copied().unwrap_or(self.data.len());
        &self.data[self.segments[i]..end]
    }
}
