//! QR codes: whatever text an enrollment puts in one, the PNG is byte for byte
//! the one totp-rs's renderer makes, mask choice and compression included.

use proptest::prelude::*;

use super::config;

/// The reference: totp-rs's own QR rendering, as a data URI.
fn reference(text: &str) -> Result<String, String> {
    qrcodegen_image::draw_base64(text)
        .map(|png| format!("data:image/png;base64,{png}"))
        .map_err(|error| error.to_string())
}

/// Texts in each of qrcodegen's modes: any printable characters (byte mode),
/// digits (numeric), and the alphanumeric set, of lengths across many versions.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,300}",
        "[0-9]{1,900}",
        "[0-9A-Z $%*+./:-]{1,600}",
        "otpauth://totp/[a-zA-Z0-9%.@_-]{1,80}\\?secret=[A-Z2-7]{32}&issuer=[a-zA-Z0-9%._-]{1,40}",
    ]
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn every_qr_code_is_byte_for_byte_totp_rs(text in text()) {
        let ours = mfa_mock::png_data_uri(&text);
        prop_assert_eq!(ours.is_ok(), reference(&text).is_ok(), "{}", text);
        if ours.is_ok() {
            prop_assert!(ours == reference(&text), "the PNGs differ for {:?}", text);
        }
    }
}
