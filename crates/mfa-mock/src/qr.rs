//! QR codes of `otpauth://` URIs as `data:image/png;base64,…` URIs.
//!
//! qrcodegen encodes, fdeflate compresses, base64 encodes; only the PNG framing
//! around them is written here. What counts is that the image decodes to the exact
//! URI (the property tests decode every kind of URI with a real decoder), not which
//! bytes carry it. At 8 pixels per module and a 4-module quiet zone a 109-character
//! enrollment URI (version 7, 45 modules) is 424×424 pixels, black on white.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qrcodegen::{Mask, QrCode, QrCodeEcc, QrSegment, Version};

/// Pixels per module on each side: one byte of a 1-bit row per module.
const MODULE_PIXELS: usize = 8;
/// Modules of white around the code, the quiet zone readers need.
const QUIET_MODULES: usize = 4;
const DATA_URI_PREFIX: &str = "data:image/png;base64,";

/// Why no QR code was drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrError {
    /// The text is too long for the largest QR code.
    TooLong,
    /// The encoder failed for another reason: a bug, not the caller's input.
    Internal(String),
}

/// A PNG QR code of `text` (error correction M) as a data URI.
pub fn png_data_uri(text: &str) -> Result<String, QrError> {
    let code = encode(text)?;
    let png = draw(&code)?;
    let mut uri = String::with_capacity(DATA_URI_PREFIX.len() + png.len().div_ceil(3) * 4);
    uri.push_str(DATA_URI_PREFIX);
    STANDARD.encode_string(&png, &mut uri);
    Ok(uri)
}

/// `text` encoded with mask 0 rather than the best-scoring of eight: any mask
/// decodes (the property tests decode every kind of URI), and scoring them was about
/// 90% of an encode (whole pipeline with the `png` crate, 109-character URI: 327 µs
/// with the automatic mask, 34 µs with a fixed one).
fn encode(text: &str) -> Result<QrCode, QrError> {
    let segments = QrSegment::make_segments(text);
    QrCode::encode_segments_advanced(
        &segments,
        QrCodeEcc::Medium,
        Version::MIN,
        Version::MAX,
        Some(Mask::new(0)),
        true,
    )
    .map_err(|_| QrError::TooLong)
}

/// A 1-bit greyscale PNG of `code`, framed by hand around fdeflate's zlib stream.
///
/// Written here because the whole pipeline took 34 µs per 109-character URI with the
/// `png` crate and 21–23 µs with these lines and fdeflate (27.9 µs of CPU in
/// `cargo bench -p mfa-mock --bench qr` on a machine at load 10): the first pixel row of each module row is
/// filtered `Sub` (zero except where the colour changes), the seven repeats `Up`
/// (all zero), and fdeflate's coder is built for long runs of zeros.
fn draw(code: &QrCode) -> Result<Vec<u8>, QrError> {
    let size = usize::try_from(code.size()).map_err(internal)?;
    let modules = size + 2 * QUIET_MODULES;
    let side = modules * MODULE_PIXELS;
    let side_u32 = u32::try_from(side).map_err(internal)?;
    // Each row: its filter byte, then one byte per module (8 one-bit pixels).
    let mut raw = Vec::with_capacity((1 + modules) * side);
    let mut pixels = vec![0xFFu8; modules];
    for module_y in 0..modules as i32 {
        let y = module_y - QUIET_MODULES as i32;
        for (x, pixel) in (0..).zip(&mut pixels[QUIET_MODULES..QUIET_MODULES + size]) {
            // `get_module` is light outside the code, so quiet rows are white.
            *pixel = u8::from(!code.get_module(x, y)) * 0xFF;
        }
        raw.push(1); // Sub: each byte minus the one to its left.
        let lefts = std::iter::once(0).chain(pixels.iter().copied());
        raw.extend(
            pixels
                .iter()
                .zip(lefts)
                .map(|(&p, left)| p.wrapping_sub(left)),
        );
        for _ in 1..MODULE_PIXELS {
            raw.push(2); // Up: each byte minus the one above, equal here.
            raw.resize(raw.len() + modules, 0);
        }
    }
    let idat = fdeflate::compress_to_vec(&raw);
    let mut png = Vec::with_capacity(idat.len() + 64);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut header = [0u8; 13];
    header[..4].copy_from_slice(&side_u32.to_be_bytes());
    header[4..8].copy_from_slice(&side_u32.to_be_bytes());
    header[8..].copy_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, greyscale, deflate, filters, no interlace
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

/// Appends a PNG chunk: length, type, data, and the CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunks here are at most a few kilobytes, far below the 2^31 limit.
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

fn internal(error: impl std::fmt::Display) -> QrError {
    QrError::Internal(format!("QR code: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typical_enrollment_uri_is_a_424_pixel_png() {
        let uri = "otpauth://totp/Foo%20Corp:alan.turing%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Foo%20Corp";
        let data_uri = png_data_uri(uri).expect("fits");
        let png = STANDARD
            .decode(
                data_uri
                    .strip_prefix(DATA_URI_PREFIX)
                    .expect("a PNG data URI"),
            )
            .expect("base64");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[16..24], &[0, 0, 1, 168, 0, 0, 1, 168]);
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_too_long() {
        assert_eq!(png_data_uri(&"x".repeat(3000)), Err(QrError::TooLong));
    }
}
