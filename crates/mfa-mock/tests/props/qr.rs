//! QR codes: the PNG of every URI an enrollment can produce decodes, with a real
//! QR decoder (rqrr), back to exactly that URI; so does any text in each of the
//! QR modes, at lengths across the three length classes (versions 1–9, 10–26, 27–40).

use base64::Engine;
use http::Method;
use proptest::prelude::*;
use serde_json::json;

use super::{call, config, fresh_key, str_at};

/// The text a `data:image/png;base64,` QR code decodes to, read the way a phone
/// camera reads it: PNG to grey pixels, then a QR decoder.
fn scan(data_uri: &str) -> Result<String, String> {
    let png = data_uri
        .strip_prefix("data:image/png;base64,")
        .ok_or("not a PNG data URI")?;
    let png = base64::engine::general_purpose::STANDARD
        .decode(png)
        .map_err(|error| error.to_string())?;
    let image = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .map_err(|error| error.to_string())?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    if grids.len() != 1 {
        return Err(format!("{} QR codes in the image", grids.len()));
    }
    grids[0]
        .decode()
        .map(|(_, text)| text)
        .map_err(|error| error.to_string())
}

/// Issuers and users: plain, with the characters a URI must escape (space, `@`,
/// `%`, `:`, `?`, `&`, `/`), and any printable Unicode.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 @%.:?&/+_-]{1,40}",
        "\\PC{1,40}",
        "[a-z]{1,8}@[a-z]{1,8}\\.com",
    ]
}

/// Texts in each QR mode (numeric, alphanumeric, byte with non-ASCII), of
/// lengths in each of the three length classes at error correction M.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,60}",
        "[0-9]{400,1200}",
        "[0-9]{2000,3000}",
        "[0-9A-Z $%*+./:-]{1,40}",
        "[0-9A-Z $%*+./:-]{300,700}",
        "[0-9A-Z $%*+./:-]{1300,1800}",
        "\\PC{1,30}",
        "[ -~é€😀]{200,400}",
        "[ -~]{900,1200}",
    ]
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn every_enrollment_qr_code_decodes_to_its_uri(issuer in name(), user in name()) {
        let key = fresh_key();
        let body = json!({"type": "totp", "totp_issuer": issuer, "totp_user": user});
        let reply = call(&key, Method::POST, "/auth/factors/enroll", body);
        prop_assert_eq!(reply.status.as_u16(), 201, "{:?} {:?}", issuer, user);
        let uri = str_at(&reply, "/totp/uri");
        prop_assert!(uri.starts_with("otpauth://totp/"), "{}", uri);
        prop_assert_eq!(scan(&str_at(&reply, "/totp/qr_code")), Ok(uri));
    }

    #[test]
    fn any_text_that_fits_decodes_back_to_itself(text in text()) {
        let data_uri = mfa_mock::png_data_uri(&text);
        prop_assert!(data_uri.is_ok(), "{:?} does not fit", text);
        prop_assert_eq!(scan(&data_uri.unwrap_or_default()), Ok(text));
    }
}

#[test]
fn text_too_long_for_the_largest_code_is_too_long_not_internal() {
    assert_eq!(
        mfa_mock::png_data_uri(&"x".repeat(2400)),
        Err(mfa_mock::QrError::TooLong)
    );
}
