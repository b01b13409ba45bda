//! The decoded planes as one RGB picture at ⌈width/8⌉ × ⌈height/8⌉: chroma planes that are
//! subsampled are interpolated up to the luma grid (bilinear, sample centres aligned, as
//! libjpeg's "fancy" upsampling), then JFIF's YCbCr is turned into RGB.

/// One output pixel's two source samples along an axis and the second one's weight (of 256).
#[derive(Clone, Copy)]
struct Tap {
    first: usize,
    second: usize,
    weight: u32,
}

/// Where each of `out` output samples falls among `count` source samples at `ratio` (source
/// samples per output sample).
fn taps(out: usize, count: usize, ratio: f32) -> Vec<Tap> {
    let last = count.saturating_sub(1);
    (0..out)
        .map(|i| {
            let at = ((i as f32 + 0.5) * ratio - 0.5).max(0.0);
            let first = (at as usize).min(last);
            Tap {
                first,
                second: (first + 1).min(last),
                weight: ((at - first as f32) * 256.0).round().clamp(0.0, 256.0) as u32,
            }
        })
        .collect()
}

/// A component plane (`stride` samples a row, `h`×`v` sampling of `hmax`×`vmax`) brought to
/// `width` × `height`.
fn to_grid(plane: &[u8], stride: usize, sampling: [usize; 4], size: [usize; 4]) -> Vec<u8> {
    let [h, v, hmax, vmax] = sampling;
    let [width, height, image_width, image_height] = size;
    if h == hmax && v == vmax {
        return (0..height)
            .flat_map(|y| plane[y * stride..y * stride + width].iter().copied())
            .collect();
    }
    // The component's own samples that hold picture (the rest pad its last MCU).
    let cols = (image_width * h).div_ceil(hmax).div_ceil(8);
    let rows = (image_height * v).div_ceil(vmax).div_ceil(8);
    let across = taps(width, cols, h as f32 / hmax as f32);
    let down = taps(height, rows, v as f32 / vmax as f32);
    // Rows blended first (one multiply pair per chroma sample), then each output pixel from
    // two samples of the blended row.
    let mut blended = vec![0u32; cols];
    let mut out = Vec::with_capacity(width * height);
    for t in &down {
        let (top, bottom) = (&plane[t.first * stride..], &plane[t.second * stride..]);
        for ((b, &upper), &lower) in blended.iter_mut().zip(top).zip(bottom) {
            *b = u32::from(upper) * (256 - t.weight) + u32::from(lower) * t.weight;
        }
        out.extend(across.iter().map(|a| {
            let value = blended[a.first] * (256 - a.weight) + blended[a.second] * a.weight;
            ((value + (1 << 15)) >> 16) as u8
        }));
    }
    out
}

/// RGB from the planes of a greyscale (one plane) or YCbCr (three) picture; `sampling` is
/// each plane's (h, v) factors.
pub(super) fn rgb(
    planes: &[(Vec<u8>, usize)],
    sampling: &[(usize, usize)],
    image_width: usize,
    image_height: usize,
) -> Vec<u8> {
    let (width, height) = (image_width.div_ceil(8), image_height.div_ceil(8));
    let hmax = sampling.iter().map(|s| s.0).max().unwrap_or(1);
    let vmax = sampling.iter().map(|s| s.1).max().unwrap_or(1);
    let size = [width, height, image_width, image_height];
    let grids: Vec<Vec<u8>> = planes
        .iter()
        .zip(sampling)
        .map(|((plane, stride), &(h, v))| {
            // One component is stored in its own grid whatever its factors say.
            let (h, v, hm, vm) = if planes.len() == 1 {
                (1, 1, 1, 1)
            } else {
                (h, v, hmax, vmax)
            };
            to_grid(plane, *stride, [h, v, hm, vm], size)
        })
        .collect();
    let mut rgb = Vec::with_capacity(width * height * 3);
    match &grids[..] {
        [luma] => rgb.extend(luma.iter().flat_map(|&l| [l, l, l])),
        [luma, cb, cr] => {
            for ((&y, &cb), &cr) in luma.iter().zip(cb).zip(cr) {
                let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
                // JFIF's YCbCr to RGB in 16-bit fixed point, rounded, as libjpeg does it.
                let r = y + ((91_881 * cr + 32_768) >> 16);
                let g = y + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16);
                let b = y + ((116_130 * cb + 32_768) >> 16);
                rgb.extend_from_slice(&[
                    r.clamp(0, 255) as u8,
                    g.clamp(0, 255) as u8,
                    b.clamp(0, 255) as u8,
                ]);
            }
        }
        _ => {}
    }
    rgb
}
