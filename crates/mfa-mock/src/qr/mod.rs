//! QR codes as `data:image/png;base64,…` URIs.
//!
//! The pixels and PNG bytes are exactly those of totp-rs's own QR rendering
//! (qrcodegen at error-correction level M with the mask it chooses, 8 pixels
//! per module, a 32-pixel white border, the image crate's default PNG
//! encoding); tests hold the two equal. Only the work is cheaper:
//! - `matrix` and `penalty` choose the mask on bit rows instead of
//!   re-masking and re-walking a grid of booleans eight times;
//! - `png` filters one pixel row per band of modules, not all of them, and
//!   `deflate` replays the compressed bits of the rows that repeat.

mod deflate;
mod matrix;
mod penalty;
mod png;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qrcodegen_image::qrcodegen::{Mask, QrCode, QrCodeEcc, QrSegment, Version};

use matrix::{Matrix, Unmasked};
use png::Picture;

/// Pixels per QR module, on each side.
const MODULE_PIXELS: usize = 8;
/// White pixels around the code (four modules' worth), which readers need.
const BORDER_PIXELS: usize = 4 * MODULE_PIXELS;
const DATA_URI_PREFIX: &str = "data:image/png;base64,";

/// A PNG QR code of `text` as a data URI; fails only if `text` does not fit in a QR code.
pub fn png_data_uri(text: &str) -> Result<String, String> {
    let png = match encode(text)? {
        Symbol::Bits(matrix) => draw(matrix.size, |x, y| matrix.dark(x, y)),
        Symbol::Qrcodegen(code) => {
            let size = usize::try_from(code.size()).map_err(|error| error.to_string())?;
            // Coordinates below the symbol's size (at most 177) fit an i32.
            draw(size, |x, y| code.get_module(x as i32, y as i32))
        }
    }?;
    let mut uri = String::with_capacity(DATA_URI_PREFIX.len() + png.len().div_ceil(3) * 4);
    uri.push_str(DATA_URI_PREFIX);
    STANDARD.encode_string(&png, &mut uri);
    Ok(uri)
}

/// An encoded symbol: as bit rows when it fits them, otherwise as qrcodegen made it.
enum Symbol {
    Bits(Matrix),
    Qrcodegen(QrCode),
}

/// `text` encoded as `QrCode::encode_text(text, QrCodeEcc::Medium)` encodes it,
/// mask choice included.
fn encode(text: &str) -> Result<Symbol, String> {
    let segments = QrSegment::make_segments(text);
    let unmasked_code = QrCode::encode_segments_advanced(
        &segments,
        QrCodeEcc::Medium,
        Version::MIN,
        Version::MAX,
        Some(Mask::new(0)),
        true,
    )
    .map_err(|error| error.to_string())?;
    let Some(unmasked) = Unmasked::new(&unmasked_code) else {
        // Wider than 125 modules: qrcodegen chooses the mask itself.
        let code = QrCode::encode_segments(&segments, QrCodeEcc::Medium)
            .map_err(|error| error.to_string())?;
        return Ok(Symbol::Qrcodegen(code));
    };
    let mut best = unmasked.scratch();
    let mut best_score = u32::MAX;
    let mut candidate = unmasked.scratch();
    for mask in 0..8 {
        unmasked.apply(Mask::new(mask), &mut candidate);
        let score = penalty::score(&candidate);
        if score < best_score {
            best_score = score;
            std::mem::swap(&mut best, &mut candidate);
        }
    }
    Ok(Symbol::Bits(best))
}

/// The PNG of a `size`-module symbol whose dark modules `dark(x, y)` names.
fn draw(size: usize, dark: impl Fn(usize, usize) -> bool) -> Result<Vec<u8>, String> {
    let side = size * MODULE_PIXELS + 2 * BORDER_PIXELS;
    // Row keys: 0 is the white border, 1 + y is module row y.
    let row_source = |pixel_y: usize| {
        let module_y = pixel_y.wrapping_sub(BORDER_PIXELS) / MODULE_PIXELS;
        if module_y < size { 1 + module_y } else { 0 }
    };
    let paint = |key: usize, pixels: &mut [u8]| {
        pixels.fill(255);
        let Some(module_y) = key.checked_sub(1) else {
            return;
        };
        let modules = pixels[BORDER_PIXELS..BORDER_PIXELS + size * MODULE_PIXELS]
            .chunks_exact_mut(MODULE_PIXELS);
        for (x, module) in modules.enumerate() {
            // A product, not a branch: module colours are as good as random.
            module.fill(u8::from(!dark(x, module_y)) * 255);
        }
    };
    png::encode(Picture {
        side,
        row_source,
        draw: paint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_output_is_byte_for_byte_what_totp_rs_renders() {
        let texts = [
            "otpauth://totp/Foo%20Corp:alan%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Foo%20Corp".to_owned(),
            format!("otpauth://totp/A:b?secret={}&issuer=A", "A".repeat(32)),
            format!("otpauth://totp/{0}:{0}?secret=ONCUYFJFOUQWQFCW36FUDRBUFQP3AMRS&issuer={0}", "x".repeat(200)),
            // Wider than 125 modules: qrcodegen chooses the mask itself.
            format!("otpauth://totp/{0}:{0}?secret=ONCUYFJFOUQWQFCW36FUDRBUFQP3AMRS&issuer={0}", "x".repeat(460)),
            "short".to_owned(),
        ];
        for text in texts {
            let reference = qrcodegen_image::draw_base64(&text).expect("totp-rs renders it");
            assert_eq!(
                png_data_uri(&text),
                Ok(format!("{DATA_URI_PREFIX}{reference}")),
                "{text}"
            );
        }
    }

    #[test]
    fn the_mask_and_every_byte_match_totp_rs_over_many_enrolment_uris() {
        // Secrets as enrolment makes them, issuers and users of many lengths,
        // and digit-only and upper-case texts, which qrcodegen packs in its
        // numeric and alphanumeric modes.
        let mut rng = StdRng::seed_from_u64(0x2545_F491_4F6C_DD1D);
        let mut next = move || rng.random::<u64>();
        let mut word = |alphabet: &[u8], len: usize| -> String {
            (0..len)
                .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                .collect()
        };
        let base32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mixed = b"abcdefghijklmnopqrstuvwxyz0123456789.-_%40";
        let mut masks = [0usize; 8];
        for case in 0..64 {
            let text = match case % 4 {
                3 => word(b"0123456789", 1 + case * 18),
                2 => word(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:",
                    1 + case * 12,
                ),
                _ => {
                    let secret = word(base32, 32);
                    let issuer = word(mixed, 1 + case % 120);
                    let user = word(mixed, 1 + case * 3);
                    format!("otpauth://totp/{issuer}:{user}?secret={secret}&issuer={issuer}")
                }
            };
            let code = QrCode::encode_text(&text, QrCodeEcc::Medium).expect("fits");
            masks[usize::from(code.mask().value())] += 1;
            let reference = qrcodegen_image::draw_base64(&text).expect("totp-rs renders it");
            assert_eq!(
                png_data_uri(&text),
                Ok(format!("{DATA_URI_PREFIX}{reference}")),
                "{text}"
            );
        }
        assert!(
            masks.iter().all(|&count| count > 0),
            "masks chosen: {masks:?}"
        );
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_an_error() {
        assert!(png_data_uri(&"x".repeat(5000)).is_err());
    }
}
