//! A QR symbol as rows and columns of bits, and the eight masked variants of it.
//!
//! qrcodegen picks a mask by applying each of the eight in turn to its grid of
//! booleans and scoring the result, which is most of the cost of a QR code.
//! Here the symbol is encoded once (with mask 0), the mask is taken back off,
//! and each candidate is then built by XOR-ing a precomputed bit plane into
//! 128-bit rows and columns. The layout facts (which modules are function
//! patterns, the mask formulas, the format-information code) are those of
//! ISO/IEC 18004; a test holds every variant equal to qrcodegen's own.

use std::sync::OnceLock;

use qrcodegen_image::qrcodegen::{Mask, QrCode, QrCodeEcc};

/// The widest symbol held in a `u128` row: version 27 is 125 modules wide.
pub(super) const MAX_SIZE: usize = 125;
/// Symbol versions a QR code can have.
const VERSIONS: usize = 40;

/// One symbol under one mask: bit `x` of `rows[y]` and bit `y` of `columns[x]`
/// are the module at (x, y), set when dark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Matrix {
    /// Modules per side.
    pub size: usize,
    /// Each row, module `x` in bit `x`.
    pub rows: Vec<u128>,
    /// Each column, module `y` in bit `y`.
    pub columns: Vec<u128>,
}

impl Matrix {
    fn light(size: usize) -> Matrix {
        Matrix {
            size,
            rows: vec![0; size],
            columns: vec![0; size],
        }
    }

    /// Whether the module at (x, y) is dark.
    pub(super) fn dark(&self, x: usize, y: usize) -> bool {
        self.rows[y] >> x & 1 == 1
    }

    fn set(&mut self, x: usize, y: usize, dark: bool) {
        let (row_bit, column_bit) = (1u128 << x, 1u128 << y);
        if dark {
            self.rows[y] |= row_bit;
            self.columns[x] |= column_bit;
        } else {
            self.rows[y] &= !row_bit;
            self.columns[x] &= !column_bit;
        }
    }
}

/// A symbol with its mask taken off, ready to take any of the eight.
pub(super) struct Unmasked {
    /// The modules with no mask applied and the format information left light.
    plain: Matrix,
    /// The error-correction level, which the format information encodes.
    ecc: QrCodeEcc,
    layout: &'static Layout,
}

impl Unmasked {
    /// Takes the mask off `code`; `None` when the symbol is wider than [`MAX_SIZE`].
    pub(super) fn new(code: &QrCode) -> Option<Unmasked> {
        let size = usize::try_from(code.size()).ok()?;
        if size > MAX_SIZE {
            return None;
        }
        let layout = Layout::for_version(code.version().value());
        let applied = &layout.masks[usize::from(code.mask().value())];
        let mut plain = Matrix::light(size);
        for y in 0..size {
            let mut row = 0u128;
            for x in 0..size {
                // Both coordinates are below 125, so they fit an i32.
                if code.get_module(x as i32, y as i32) {
                    row |= 1 << x;
                }
            }
            plain.rows[y] = row ^ applied.rows[y];
        }
        for (y, &row) in plain.rows.iter().enumerate() {
            // Visit only the dark modules: the lowest set bit, then clear it.
            let mut dark = row;
            while dark != 0 {
                plain.columns[dark.trailing_zeros() as usize] |= 1 << y;
                dark &= dark - 1;
            }
        }
        for &(x, y) in &format_positions(size) {
            plain.set(x, y, false);
        }
        Some(Unmasked {
            plain,
            ecc: code.error_correction_level(),
            layout,
        })
    }

    /// Writes the symbol under `mask` into `out`, format information included.
    pub(super) fn apply(&self, mask: Mask, out: &mut Matrix) {
        let plane = &self.layout.masks[usize::from(mask.value())];
        out.size = self.plain.size;
        out.rows.clear();
        out.rows
            .extend(self.plain.rows.iter().zip(&plane.rows).map(|(a, b)| a ^ b));
        out.columns.clear();
        out.columns.extend(
            self.plain
                .columns
                .iter()
                .zip(&plane.columns)
                .map(|(a, b)| a ^ b),
        );
        let bits = format_bits(self.ecc, mask);
        for (index, &(x, y)) in format_positions(self.plain.size).iter().enumerate() {
            if bits >> (index % 15) & 1 == 1 {
                out.set(x, y, true);
            }
        }
    }

    /// An all-light matrix of this symbol's size, for [`Unmasked::apply`] to fill.
    pub(super) fn scratch(&self) -> Matrix {
        Matrix::light(self.plain.size)
    }
}

/// Per version: each mask's pattern, limited to the data modules.
struct Layout {
    masks: [Matrix; 8],
}

impl Layout {
    fn for_version(version: u8) -> &'static Layout {
        static LAYOUTS: [OnceLock<Layout>; VERSIONS] = [const { OnceLock::new() }; VERSIONS];
        // qrcodegen's versions are 1 to 40; clamping keeps the index in range regardless.
        let version = version.clamp(1, VERSIONS as u8);
        LAYOUTS[usize::from(version) - 1].get_or_init(|| Layout::new(version))
    }

    fn new(version: u8) -> Layout {
        let function = function_modules(version);
        let size = function.size;
        let masks = std::array::from_fn(|mask| {
            let mut plane = Matrix::light(size);
            for y in 0..size {
                for x in 0..size {
                    if !function.dark(x, y) && inverts(mask, x, y) {
                        plane.set(x, y, true);
                    }
                }
            }
            plane
        });
        Layout { masks }
    }
}

/// Whether mask `mask` inverts the data module at (x, y) (ISO/IEC 18004, table 10).
fn inverts(mask: usize, x: usize, y: usize) -> bool {
    match mask {
        0 => (x + y).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (x + y).is_multiple_of(3),
        4 => (x / 3 + y / 2).is_multiple_of(2),
        5 => x * y % 2 + x * y % 3 == 0,
        6 => (x * y % 2 + x * y % 3).is_multiple_of(2),
        _ => ((x + y) % 2 + x * y % 3).is_multiple_of(2),
    }
}

/// The function modules of a version (set) and the data modules (clear):
/// finders with their separators, timing, alignment patterns, format and
/// version information, and the dark module.
fn function_modules(version: u8) -> Matrix {
    let size = usize::from(version) * 4 + 17;
    let mut map = Matrix::light(size);
    let mut fill = |xs: std::ops::Range<usize>, ys: std::ops::Range<usize>| {
        for y in ys {
            for x in xs.clone() {
                map.set(x, y, true);
            }
        }
    };
    fill(6..7, 0..size);
    fill(0..size, 6..7);
    fill(0..9, 0..9);
    fill(size - 8..size, 0..9);
    fill(0..9, size - 8..size);
    let centres = alignment_centres(version);
    let last = centres.len().saturating_sub(1);
    for (i, &cx) in centres.iter().enumerate() {
        for (j, &cy) in centres.iter().enumerate() {
            let on_a_finder = (i == 0 && (j == 0 || j == last)) || (i == last && j == 0);
            if !on_a_finder {
                fill(cx - 2..cx + 3, cy - 2..cy + 3);
            }
        }
    }
    if version >= 7 {
        fill(size - 11..size - 8, 0..6);
        fill(0..6, size - 11..size - 8);
    }
    map
}

/// Centres of the alignment patterns, on both axes, in ascending order.
fn alignment_centres(version: u8) -> Vec<usize> {
    if version == 1 {
        return Vec::new();
    }
    let version = usize::from(version);
    let size = version * 4 + 17;
    let count = version / 7 + 2;
    let step = if version == 32 {
        26
    } else {
        (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
    };
    let mut centres: Vec<usize> = (0..count - 1).map(|i| size - 7 - i * step).collect();
    centres.push(6);
    centres.reverse();
    centres
}

/// The 15 format-information bits: level and mask, BCH(15, 5) check bits, XOR 0x5412.
fn format_bits(ecc: QrCodeEcc, mask: Mask) -> u32 {
    let level = match ecc {
        QrCodeEcc::Low => 1,
        QrCodeEcc::Medium => 0,
        QrCodeEcc::Quartile => 3,
        QrCodeEcc::High => 2,
    };
    let data = level << 3 | u32::from(mask.value());
    let mut remainder = data;
    for _ in 0..10 {
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537);
    }
    (data << 10 | remainder) ^ 0x5412
}

/// Where format bit `i % 15` goes, for `i` in 0..30: the first copy around the
/// top-left finder, then the second split between the other two.
fn format_positions(size: usize) -> [(usize, usize); 30] {
    let mut positions = [(0, 0); 30];
    for (i, slot) in positions.iter_mut().enumerate() {
        *slot = match i {
            0..=5 => (8, i),
            6 => (8, 7),
            7 => (8, 8),
            8 => (7, 8),
            9..=14 => (14 - i, 8),
            15..=22 => (size - 1 - (i - 15), 8),
            _ => (8, size - 15 + (i - 15)),
        };
    }
    positions
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcodegen_image::qrcodegen::{QrSegment, Version};

    fn encode(text: &str, mask: Option<Mask>) -> QrCode {
        let segments = QrSegment::make_segments(text);
        QrCode::encode_segments_advanced(
            &segments,
            QrCodeEcc::Medium,
            Version::MIN,
            Version::MAX,
            mask,
            true,
        )
        .expect("fits")
    }

    fn as_matrix(code: &QrCode) -> Matrix {
        let size = code.size() as usize;
        let mut matrix = Matrix::light(size);
        for y in 0..size {
            for x in 0..size {
                matrix.set(x, y, code.get_module(x as i32, y as i32));
            }
        }
        matrix
    }

    /// A text of `len` bytes mixing byte-mode characters, so every version is reachable.
    fn text_of(len: usize) -> String {
        "otpauth://totp/Acme:someone%40example.com?secret=JBSWY3DPEHPK3PXP&x="
            .chars()
            .cycle()
            .take(len)
            .collect()
    }

    #[test]
    fn every_mask_of_every_version_matches_qrcodegen_module_for_module() {
        let mut seen = std::collections::BTreeSet::new();
        // Byte mode at level M ends at version 27 near 1 000 bytes; the boosted
        // levels of short texts bring in Q and H.
        for len in (1..60).chain((60..1_300).step_by(17)) {
            let text = text_of(len);
            let base = encode(&text, Some(Mask::new(0)));
            if base.size() as usize > MAX_SIZE {
                break;
            }
            seen.insert(base.version().value());
            let unmasked = Unmasked::new(&base).expect("fits a u128");
            let mut out = unmasked.scratch();
            for mask in 0..8 {
                let reference = encode(&text, Some(Mask::new(mask)));
                unmasked.apply(Mask::new(mask), &mut out);
                assert_eq!(out, as_matrix(&reference), "length {len}, mask {mask}");
            }
        }
        assert_eq!(seen.len(), 27, "versions covered: {seen:?}");
    }

    #[test]
    fn a_symbol_wider_than_a_u128_row_is_left_to_qrcodegen() {
        let code = encode(&text_of(1_500), Some(Mask::new(0)));
        assert!(code.size() as usize > MAX_SIZE);
        assert!(Unmasked::new(&code).is_none());
    }
}
