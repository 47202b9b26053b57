//! QR codes of `otpauth://` URIs as `data:image/png;base64,…` URIs.
//!
//! qrcodegen encodes, fdeflate compresses, base64 encodes; only the PNG framing
//! around them is written here. What counts is that the image decodes to the exact
//! URI (the property tests decode every kind of URI with a real decoder), not which
//! bytes carry it. At 4 pixels per module and a 4-module quiet zone a 109-character
//! enrollment URI (version 7, 45 modules) is 212×212 pixels, black on white.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qrcodegen::{Mask, QrCode, QrCodeEcc, QrSegment, Version};

/// Pixels per module on each side: the least readers are comfortable with, for
/// the reason `draw` gives.
const MODULE_PIXELS: usize = 4;
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
/// Each module row's first pixel row is filter `None`, two modules a byte; its
/// three repeats are filter `Up`, all zero, which fdeflate codes as runs. Median µs
/// per 109-character enrollment URI, whole pipeline, one core, 2 000 URIs with
/// random secrets: 34 with the `png` crate at 8 pixels a module; 31.5 with these
/// lines and fdeflate at 8 pixels; 19.1 at 4 (PNG 1 897 → 1 380 bytes). A deflate
/// coder written for 8 pixels a module (one Huffman-coded byte per module, the
/// repeats as back-references) took 18.5 µs in 130 more lines, so the crate stays
/// and the image is 212×212 for a typical URI: phones scan it from a screen, and
/// the inspector page shows it enlarged, pixelated rather than blurred.
/// Modules are read with arithmetic, not a branch: they are random, and a branch
/// on each one mispredicts about half the time.
fn draw(code: &QrCode) -> Result<Vec<u8>, QrError> {
    let size = usize::try_from(code.size()).map_err(internal)?;
    let modules = size + 2 * QUIET_MODULES;
    let row_bytes = modules.div_ceil(2);
    let side = u32::try_from(modules * MODULE_PIXELS).map_err(internal)?;
    let mut raw = Vec::with_capacity((1 + row_bytes) * modules * MODULE_PIXELS);
    for module_y in 0..modules as i32 {
        let y = module_y - QUIET_MODULES as i32;
        raw.push(0); // None: the bytes as they are.
        for pair in 0..row_bytes as i32 {
            // `get_module` is light outside the code, so the quiet zone is white.
            let x = 2 * pair - QUIET_MODULES as i32;
            let left = u8::from(!code.get_module(x, y)) * 0xF0;
            let right = u8::from(!code.get_module(x + 1, y)) * 0x0F;
            raw.push(left | right);
        }
        for _ in 1..MODULE_PIXELS {
            raw.push(2); // Up: each byte minus the one above, equal here.
            raw.resize(raw.len() + row_bytes, 0);
        }
    }
    let idat = fdeflate::compress_to_vec(&raw);
    let mut png = Vec::with_capacity(idat.len() + 64);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut header = [0u8; 13];
    header[..4].copy_from_slice(&side.to_be_bytes());
    header[4..8].copy_from_slice(&side.to_be_bytes());
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
    fn a_typical_enrollment_uri_is_a_212_pixel_png() {
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
        assert_eq!(&png[16..24], &[0, 0, 0, 212, 0, 0, 0, 212]);
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_too_long() {
        assert_eq!(png_data_uri(&"x".repeat(3000)), Err(QrError::TooLong));
    }
}
