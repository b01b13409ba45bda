//! The GIF check: its blocks walked (their data skipped) up to the trailer.

use std::io::Read;

use super::{Damage, read_or};

/// Walks a GIF's blocks (skipping their data) up to its trailer: a GIF cut anywhere before it is
/// caught without decoding a pixel.
pub(super) fn check_gif(mut r: impl Read) -> Result<(), Damage> {
    let short = || Damage::GifCutShort;
    let mut head = [0u8; 13]; // signature, logical screen descriptor
    read_or(&mut r, &mut head, short())?;
    skip_color_table(&mut r, head[10])?;
    loop {
        let mut kind = [0u8; 1];
        read_or(&mut r, &mut kind, short())?;
        match kind[0] {
            0x3B => return Ok(()), // trailer
            0x21 => {
                let mut label = [0u8; 1];
                read_or(&mut r, &mut label, short())?;
                skip_sub_blocks(&mut r)?;
            }
            0x2C => {
                let mut descriptor = [0u8; 9];
                read_or(&mut r, &mut descriptor, short())?;
                skip_color_table(&mut r, descriptor[8])?;
                let mut lzw_min = [0u8; 1];
                read_or(&mut r, &mut lzw_min, short())?;
                skip_sub_blocks(&mut r)?;
            }
            other => return Err(Damage::GifBlock(other)),
        }
    }
}

/// Skips the color table a GIF packed-fields byte announces, if any.
fn skip_color_table(r: &mut impl Read, packed: u8) -> Result<(), Damage> {
    if packed & 0x80 != 0 {
        let len = 3u64 << ((packed & 0x07) + 1);
        skip(r, len)?;
    }
    Ok(())
}

/// Skips GIF data sub-blocks up to their zero-length terminator.
fn skip_sub_blocks(r: &mut impl Read) -> Result<(), Damage> {
    loop {
        let mut len = [0u8; 1];
        read_or(r, &mut len, Damage::GifCutShort)?;
        if len[0] == 0 {
            return Ok(());
        }
        skip(r, u64::from(len[0]))?;
    }
}

fn skip(r: &mut impl Read, n: u64) -> Result<(), Damage> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink())?;
    if copied < n {
        return Err(Damage::GifCutShort);
    }
    Ok(())
}
