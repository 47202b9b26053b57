//! The PNG of a QR symbol, byte for byte as the image crate writes it.
//!
//! The image crate's default PNG settings are 8-bit grey, the adaptive filter
//! (per row: try Up, Sub, Average, Paeth, keep the last with the smallest sum
//! of |byte as i8|, stop at a sum of 0) and fdeflate's fast compressor fed one
//! filtered row at a time. Written out here, a row repeated from the one
//! above (seven of every eight, and the whole border) skips straight to Up
//! and zeros, which is what the filter search ends with anyway, and its
//! compressed bits are replayed (see `deflate`); only the first pixel row of
//! each band of modules is filtered and compressed in full.

use std::io::Cursor;

use super::deflate::RowCompressor;

/// PNG signature (PNG specification, section 5.2).
const SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];
/// The longest IDAT chunk the png crate writes, so larger streams split where it splits them.
const MAX_IDAT_LEN: usize = (u32::MAX >> 1) as usize;

/// PNG row filter types (PNG specification, section 9.2).
const FILTER_NONE: u8 = 0;
const FILTER_SUB: u8 = 1;
const FILTER_UP: u8 = 2;
const FILTER_AVERAGE: u8 = 3;
const FILTER_PAETH: u8 = 4;

/// A square grey image drawn from a grid: `side` pixels wide, `row_source(y)`
/// naming which distinct pixel row sits on line `y`, `draw(key, pixels)`
/// drawing that row. Lines with the same key as the line above are identical.
pub(super) struct Picture<K, D> {
    /// Pixels per side.
    pub side: usize,
    /// Which distinct row sits on each line.
    pub row_source: K,
    /// Draws a distinct row into a `side`-byte buffer.
    pub draw: D,
}

/// Encodes `picture` as a PNG file.
pub(super) fn encode<K, D>(picture: Picture<K, D>) -> Result<Vec<u8>, String>
where
    K: Fn(usize) -> usize,
    D: Fn(usize, &mut [u8]),
{
    let side = picture.side;
    let side_u32 = u32::try_from(side).map_err(|error| error.to_string())?;
    let zlib = compress(&picture)?;
    let stored_len = fdeflate::StoredOnlyCompressor::<()>::compressed_size((side + 1) * side);
    let zlib = if zlib.len() > stored_len {
        // The png crate falls back to stored blocks when compressing didn't pay.
        store(&picture)?
    } else {
        zlib
    };

    let mut png = Vec::with_capacity(zlib.len() + 64);
    png.extend_from_slice(&SIGNATURE);
    let mut header = [0u8; 13];
    header[..4].copy_from_slice(&side_u32.to_be_bytes());
    header[4..8].copy_from_slice(&side_u32.to_be_bytes());
    header[8] = 8; // bit depth; colour type 0 (grey), compression, filter and interlace 0
    write_chunk(&mut png, b"IHDR", &header);
    for idat in zlib.chunks(MAX_IDAT_LEN) {
        write_chunk(&mut png, b"IDAT", idat);
    }
    write_chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

/// The filtered rows compressed as fdeflate compresses them, one row per call
/// as the png crate makes them.
fn compress<K, D>(picture: &Picture<K, D>) -> Result<Vec<u8>, String>
where
    K: Fn(usize) -> usize,
    D: Fn(usize, &mut [u8]),
{
    let side = picture.side;
    let mut compressor = RowCompressor::new()?;
    let mut above = vec![0u8; side];
    let mut current = vec![0u8; side];
    let mut filtered = Filtered::new(side);
    let mut previous_source = None;
    for y in 0..side {
        let source = (picture.row_source)(y);
        if previous_source == Some(source) {
            compressor.write_repeated_row(FILTER_UP, side + 1);
            continue;
        }
        (picture.draw)(source, &mut current);
        compressor.write_row(filtered.choose(&above, &current));
        std::mem::swap(&mut above, &mut current);
        previous_source = Some(source);
    }
    Ok(compressor.finish())
}

/// The raw rows in stored deflate blocks, each preceded by filter type None.
fn store<K, D>(picture: &Picture<K, D>) -> Result<Vec<u8>, String>
where
    K: Fn(usize) -> usize,
    D: Fn(usize, &mut [u8]),
{
    let io = |error: std::io::Error| error.to_string();
    let mut compressor =
        fdeflate::StoredOnlyCompressor::new(Cursor::new(Vec::new())).map_err(io)?;
    let mut line = vec![0u8; picture.side];
    for y in 0..picture.side {
        (picture.draw)((picture.row_source)(y), &mut line);
        compressor.write_data(&[FILTER_NONE]).map_err(io)?;
        compressor.write_data(&line).map_err(io)?;
    }
    Ok(compressor.finish().map_err(io)?.into_inner())
}

/// Buffers for the adaptive filter search over one row.
struct Filtered {
    best: Vec<u8>,
    trial: Vec<u8>,
}

impl Filtered {
    fn new(side: usize) -> Filtered {
        Filtered {
            best: vec![0; side + 1],
            trial: vec![0; side + 1],
        }
    }

    /// The row `current` (with `above` over it) filtered, its filter type first.
    fn choose(&mut self, above: &[u8], current: &[u8]) -> &[u8] {
        let mut lowest = u64::MAX;
        for filter in [FILTER_UP, FILTER_SUB, FILTER_AVERAGE, FILTER_PAETH] {
            apply(filter, above, current, &mut self.trial);
            let cost = cost(&self.trial[1..]);
            if cost <= lowest {
                lowest = cost;
                std::mem::swap(&mut self.best, &mut self.trial);
                if cost == 0 {
                    break;
                }
            }
        }
        &self.best
    }
}

/// Filters `current` with `filter` into `out`: the type byte, then one byte
/// per pixel, the pixel left of the first and the one above-left of it being 0.
/// Each loop runs over whole slices so the compiler can vectorise it.
fn apply(filter: u8, above: &[u8], current: &[u8], out: &mut [u8]) {
    out[0] = filter;
    let out = &mut out[1..];
    let (Some(&first), Some(&first_above)) = (current.first(), above.first()) else {
        return;
    };
    // Element i of `rest`, `left`, `up` and `upper_left` belong to pixel i + 1.
    let (rest, left) = (&current[1..], &current[..current.len() - 1]);
    let (up, upper_left) = (&above[1..], &above[..above.len() - 1]);
    match filter {
        FILTER_UP => {
            for ((o, &x), &b) in out.iter_mut().zip(current).zip(above) {
                *o = x.wrapping_sub(b);
            }
        }
        FILTER_SUB => {
            out[0] = first;
            for ((o, &x), &a) in out[1..].iter_mut().zip(rest).zip(left) {
                *o = x.wrapping_sub(a);
            }
        }
        FILTER_AVERAGE => {
            out[0] = first.wrapping_sub(first_above / 2);
            for (((o, &x), &a), &b) in out[1..].iter_mut().zip(rest).zip(left).zip(up) {
                // The mean of a and b rounded down, without overflowing a byte.
                *o = x.wrapping_sub((a & b) + ((a ^ b) >> 1));
            }
        }
        _ => {
            out[0] = first.wrapping_sub(paeth(0, first_above, 0));
            let neighbours = left.iter().zip(up).zip(upper_left);
            for ((o, &x), ((&a, &b), &c)) in out[1..].iter_mut().zip(rest).zip(neighbours) {
                *o = x.wrapping_sub(paeth(a, b, c));
            }
        }
    }
}

/// The Paeth predictor (PNG specification, section 9.4), written without
/// branches so it vectorises.
#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (ia, ib, ic) = (i16::from(a), i16::from(b), i16::from(c));
    let p = ia + ib - ic;
    let (pa, pb, pc) = ((p - ia).abs(), (p - ib).abs(), (p - ic).abs());
    let b_or_c = if pb <= pc { b } else { c };
    if pa <= pb && pa <= pc { a } else { b_or_c }
}

/// The adaptive filter's measure: the sum of the bytes read as signed magnitudes.
fn cost(filtered: &[u8]) -> u64 {
    // Sums of 64 bytes fit a u16 (64 × 128), which lets the inner sum vectorise.
    filtered
        .chunks(64)
        .map(|chunk| {
            let sum: u16 = chunk
                .iter()
                .map(|&byte| u16::from((byte as i8).unsigned_abs()))
                .sum();
            u64::from(sum)
        })
        .sum()
}

/// Appends one chunk: length, type, data, CRC-32 of type and data.
fn write_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcodegen_image::image::codecs::png::PngEncoder;
    use qrcodegen_image::image::{ExtendedColorType, ImageEncoder};

    fn reference(pixels: &[u8], side: usize) -> Vec<u8> {
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(pixels, side as u32, side as u32, ExtendedColorType::L8)
            .expect("encodes");
        png
    }

    #[test]
    fn grey_ramps_and_stripes_match_the_image_crate_byte_for_byte() {
        // Rows that need each of the four filters, repeats, and noise that
        // compresses badly enough to fall back to stored blocks.
        let side = 61;
        let mut state = 7u32;
        let mut noise = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        };
        let rows: Vec<Vec<u8>> = (0..side)
            .map(|y| match y % 16 {
                0 => (0..side).map(|x| (x * 4) as u8).collect(),
                1 => (0..side).map(|x| ((x + y) * 3) as u8).collect(),
                2 => (0..side)
                    .map(|x| if (x / 3) % 2 == 0 { 0 } else { 255 })
                    .collect(),
                3 => (0..side).map(|x| (x * y) as u8).collect(),
                4 => (0..side).map(|_| noise()).collect(),
                _ => (0..side).map(|x| (x / 5 * 40) as u8).collect(),
            })
            .collect();
        let noisy: Vec<Vec<u8>> = (0..side)
            .map(|_| (0..side).map(|_| noise()).collect())
            .collect();
        for (rows, distinct) in [(&rows, side), (&rows, 1), (&noisy, side)] {
            let source = |y: usize| y % distinct;
            let pixels: Vec<u8> = (0..side).flat_map(|y| rows[source(y)].clone()).collect();
            let ours = encode(Picture {
                side,
                row_source: source,
                draw: |key: usize, out: &mut [u8]| out.copy_from_slice(&rows[key]),
            })
            .expect("encodes");
            assert_eq!(ours, reference(&pixels, side), "{distinct} distinct rows");
            // The first deflate block header: type 00 (stored) or 10 (fdeflate's dynamic).
            let idat = ours
                .windows(4)
                .position(|w| w == b"IDAT")
                .expect("has IDAT")
                + 4;
            let stored = ours[idat + 2] & 0b110 == 0;
            assert_eq!(
                stored,
                std::ptr::eq(rows, &noisy),
                "{distinct} distinct rows"
            );
        }
    }

    #[test]
    fn the_paeth_predictor_picks_the_nearest_neighbour() {
        assert_eq!(paeth(10, 20, 10), 20);
        assert_eq!(paeth(20, 10, 10), 20);
        assert_eq!(paeth(10, 10, 20), 10);
        assert_eq!(paeth(0, 255, 255), 0);
    }
}
