//! The part of a download still in memory, kept in the buffers the network delivered it in:
//! copying every body into one growing buffer was a tenth of the engine thread's CPU. Small
//! pieces are copied together, so a server sending a byte at a time cannot make a buffer (and
//! pin a network read buffer) per byte. Written to disk in one vectored write.

use std::io::{self, IoSlice, Read, Write};

use bytes::Bytes;

/// Chunks at least this long are kept as they came; shorter ones are copied together.
const KEEP_AS_IS: usize = 8 * 1024;

#[derive(Debug, Default)]
pub(super) struct Memory {
    chunks: Vec<Bytes>,
    /// Short chunks, gathered until they make a long one.
    short: Vec<u8>,
    len: usize,
}

impl Memory {
    pub(super) fn push(&mut self, bytes: Bytes) {
        self.len += bytes.len();
        if bytes.len() >= KEEP_AS_IS {
            self.seal_short();
            self.chunks.push(bytes);
        } else {
            self.short.extend_from_slice(&bytes);
            if self.short.len() >= KEEP_AS_IS {
                self.seal_short();
            }
        }
    }

    fn seal_short(&mut self) {
        if !self.short.is_empty() {
            self.chunks
                .push(Bytes::from(std::mem::take(&mut self.short)));
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The bytes as a list of buffers (after sealing the short ones).
    pub(super) fn chunks(&mut self) -> &[Bytes] {
        self.seal_short();
        &self.chunks
    }

    /// Writes everything to `file` and forgets it. At most ~130 buffers (a megabyte in pieces
    /// of 8 KB or more, then it is written), well under the kernel's 1,024 per vectored write.
    pub(super) fn write_to(&mut self, file: &mut impl Write) -> io::Result<()> {
        self.seal_short();
        let mut slices: Vec<IoSlice<'_>> = self.chunks.iter().map(|c| IoSlice::new(c)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match file.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.chunks.clear();
        self.len = 0;
        Ok(())
    }
}

/// The first `n` bytes (or all, when shorter) of a list of buffers, borrowed when the first
/// buffer holds them.
pub(crate) fn head(chunks: &[Bytes], n: usize) -> std::borrow::Cow<'_, [u8]> {
    match chunks {
        [] => std::borrow::Cow::Borrowed(&[]),
        [first, ..] if first.len() >= n => std::borrow::Cow::Borrowed(&first[..n]),
        [only] => std::borrow::Cow::Borrowed(&only[..]),
        _ => {
            let mut out = Vec::with_capacity(n.min(chunks.iter().map(|c| c.len()).sum()));
            for chunk in chunks {
                let take = chunk.len().min(n - out.len());
                out.extend_from_slice(&chunk[..take]);
                if out.len() == n {
                    break;
                }
            }
            std::borrow::Cow::Owned(out)
        }
    }
}

/// The last `n` bytes (or all, when shorter) of a list of buffers, borrowed when the last
/// buffer holds them (every JPEG is checked this way, so the usual case copies nothing).
pub(crate) fn tail(chunks: &[Bytes], n: usize) -> std::borrow::Cow<'_, [u8]> {
    match chunks {
        [] => std::borrow::Cow::Borrowed(&[]),
        [.., last] if last.len() >= n => std::borrow::Cow::Borrowed(&last[last.len() - n..]),
        [only] => std::borrow::Cow::Borrowed(&only[..]),
        _ => {
            let mut pieces = Vec::new();
            let mut need = n;
            for chunk in chunks.iter().rev() {
                if need == 0 {
                    break;
                }
                let take = chunk.len().min(need);
                pieces.push(&chunk[chunk.len() - take..]);
                need -= take;
            }
            let mut out = Vec::with_capacity(n - need);
            for piece in pieces.into_iter().rev() {
                out.extend_from_slice(piece);
            }
            std::borrow::Cow::Owned(out)
        }
    }
}

/// Reads a list of buffers as one stream.
pub(crate) struct ChunkReader<'a> {
    chunks: &'a [Bytes],
    /// Position in the first chunk.
    at: usize,
}

impl<'a> ChunkReader<'a> {
    pub(crate) fn new(chunks: &'a [Bytes]) -> Self {
        Self { chunks, at: 0 }
    }
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while let Some((first, rest)) = self.chunks.split_first() {
            let left = &first[self.at..];
            if left.is_empty() {
                self.chunks = rest;
                self.at = 0;
                continue;
            }
            let n = left.len().min(out.len());
            out[..n].copy_from_slice(&left[..n]);
            self.at += n;
            return Ok(n);
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_of_any_size_come_back_whole_and_in_order() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut memory = Memory::default();
        // A byte at a time, then long pieces, then short ones again.
        let mut at = 0;
        for size in [1, 1, 1, 3, 20_000, 9_000, 5, 70_000] {
            let end = (at + size).min(data.len());
            memory.push(Bytes::copy_from_slice(&data[at..end]));
            at = end;
        }
        memory.push(Bytes::copy_from_slice(&data[at..]));
        assert_eq!(memory.len(), data.len());
        assert!(memory.chunks().len() < 10, "short pieces are gathered");

        let mut read = Vec::new();
        ChunkReader::new(memory.chunks())
            .read_to_end(&mut read)
            .unwrap();
        assert_eq!(read, data);

        assert_eq!(&head(memory.chunks(), 30_000)[..], &data[..30_000]);
        assert_eq!(&head(memory.chunks(), usize::MAX)[..], &data[..]);
        assert_eq!(
            &tail(memory.chunks(), 30_000)[..],
            &data[data.len() - 30_000..]
        );
        assert_eq!(&tail(memory.chunks(), 200_000)[..], &data[..]);
        let last = memory.chunks().last().unwrap().len();
        assert_eq!(
            &tail(memory.chunks(), last - 1)[..],
            &data[data.len() - last + 1..]
        );
        assert_eq!(
            &tail(memory.chunks(), last + 1)[..],
            &data[data.len() - last - 1..]
        );

        let mut written = Vec::new();
        memory.write_to(&mut written).unwrap();
        assert_eq!(written, data);
        assert_eq!(memory.len(), 0);
    }
}
