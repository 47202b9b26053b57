//! RFC 6238 time-based one-time passwords: secrets, codes, `otpauth://` URIs and QR codes.
//!
//! WorkOS fixes the parameters (SHA-1, 6 digits, 30-second steps), so this module
//! does too. The arithmetic is totp-rs's; this module decides which steps count
//! (the skew window), compares codes in constant time, and turns a secret into
//! what an enrollment response carries: the base32 secret, the `otpauth://` URI
//! and a PNG QR code of exactly that URI.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds in one TOTP time step.
pub(crate) const STEP_SECONDS: u64 = 30;
/// Digits in a TOTP code.
pub(crate) const DIGITS: usize = 6;
/// The fewest base32 characters a caller-supplied secret may have (80 bits, as
/// in the documents' example `JBSWY3DPEHPK3PXP`).
pub(crate) const MIN_SECRET_CHARS: usize = 16;

/// A TOTP shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets must never reach a log line, not even through `{:?}`.
        f.write_str("TotpSecret(..)")
    }
}

/// Why a caller-supplied base32 secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretError {
    /// Not RFC 4648 base32 (letters A–Z, digits 2–7, optional `=` padding).
    NotBase32,
    /// Fewer than [`MIN_SECRET_CHARS`] characters.
    TooShort,
}

impl TotpSecret {
    /// A secret made of `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// Parses a base32 secret as a caller would type it: case-insensitive,
    /// trailing `=` padding allowed.
    pub fn from_base32(input: &str) -> Result<Self, SecretError> {
        let unpadded = input.trim_end_matches('=').to_ascii_uppercase();
        let alphabet_ok = !unpadded.is_empty()
            && unpadded
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        if !alphabet_ok {
            return Err(SecretError::NotBase32);
        }
        if unpadded.len() < MIN_SECRET_CHARS {
            return Err(SecretError::TooShort);
        }
        let bytes = Secret::Encoded(unpadded)
            .to_bytes()
            .map_err(|_| SecretError::NotBase32)?;
        Ok(Self { bytes })
    }

    /// The secret in unpadded upper-case base32, as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        self.totp("", None).get_secret_base32()
    }

    /// The code for the time step containing `unix_seconds`.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp("", None).generate(unix_seconds)
    }

    /// Whether `code` is the code for the step containing `unix_seconds` or one of
    /// the `skew` steps either side of it. Every candidate is compared in constant time.
    pub fn verifies(&self, code: &str, unix_seconds: u64, skew: u32) -> bool {
        let totp = self.totp("", None);
        let current_step = unix_seconds / STEP_SECONDS;
        let first = current_step.saturating_sub(u64::from(skew));
        let last = current_step.saturating_add(u64::from(skew));
        (first..=last).fold(false, |matched, step| {
            let expected = totp.generate(step * STEP_SECONDS);
            matched | bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
        })
    }

    /// The `otpauth://totp/` URI an authenticator app enrolls from.
    ///
    /// Label `issuer:user`, then `secret` and `issuer` parameters, each part
    /// percent-encoded (a space becomes `%20`).
    pub fn otpauth_uri(&self, issuer: &str, user: &str) -> String {
        self.totp(user, Some(issuer)).get_url()
    }

    fn totp(&self, user: &str, issuer: Option<&str>) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECONDS,
            self.bytes.clone(),
            issuer.map(str::to_owned),
            user.to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6238 appendix B SHA-1 key: ASCII "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn rfc_6238_sha1_test_vectors_pass_with_six_digits() {
        // Appendix B lists 8-digit codes; WorkOS uses 6, the low six digits of each.
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, eight_digits) in vectors {
            assert_eq!(rfc_secret().code_at(time), &eight_digits[2..], "t={time}");
        }
    }

    #[test]
    fn a_code_verifies_within_the_skew_window_and_not_beyond() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let previous = secret.code_at(now - 30);
        let two_back = secret.code_at(now - 60);
        assert!(secret.verifies(&secret.code_at(now), now, 0));
        assert!(secret.verifies(&previous, now, 1));
        assert!(!secret.verifies(&previous, now, 0));
        assert!(!secret.verifies(&two_back, now, 1));
        assert!(secret.verifies(&two_back, now, 2));
    }

    #[test]
    fn a_skew_window_near_the_epoch_does_not_underflow() {
        let secret = rfc_secret();
        assert!(secret.verifies(&secret.code_at(0), 0, 5));
    }

    #[test]
    fn wrong_lengths_never_verify() {
        let secret = rfc_secret();
        let code = secret.code_at(59);
        assert!(!secret.verifies(&code[..5], 59, 1));
        assert!(!secret.verifies(&format!("{code}0"), 59, 1));
        assert!(!secret.verifies("", 59, 1));
    }

    #[test]
    fn base32_secrets_round_trip_in_canonical_form() {
        let secret = TotpSecret::from_base32("jbswy3dpehpk3pxp").expect("valid base32");
        assert_eq!(secret.to_base32(), "JBSWY3DPEHPK3PXP");
        let padded = TotpSecret::from_base32("JBSWY3DPEHPK3PXP====").expect("padding is fine");
        assert_eq!(padded, secret);
    }

    #[test]
    fn secrets_outside_the_base32_alphabet_or_too_short_are_refused() {
        assert_eq!(
            TotpSecret::from_base32("JBSWY3DPEHPK3PX1"),
            Err(SecretError::NotBase32)
        );
        assert_eq!(
            TotpSecret::from_base32("not base32 at all"),
            Err(SecretError::NotBase32)
        );
        assert_eq!(TotpSecret::from_base32(""), Err(SecretError::NotBase32));
        assert_eq!(
            TotpSecret::from_base32("JBSWY3DP"),
            Err(SecretError::TooShort)
        );
    }

    #[test]
    fn the_uri_has_the_documented_shape_and_percent_encodes_spaces() {
        let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").expect("valid");
        let uri = secret.otpauth_uri("Foo Corp", "alan");
        assert_eq!(
            uri,
            "otpauth://totp/Foo%20Corp:alan?secret=JBSWY3DPEHPK3PXP&issuer=Foo%20Corp"
        );
    }

    #[test]
    fn the_qr_code_of_the_uri_is_a_png_data_uri() {
        let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").expect("valid");
        let qr = crate::qr::png_data_uri(&secret.otpauth_uri("Foo Corp", "alan@example.com"))
            .expect("renders");
        assert!(
            qr.starts_with("data:image/png;base64,iVBORw0KGgo"),
            "{}",
            &qr[..40]
        );
    }

    #[test]
    fn debug_output_hides_the_secret() {
        assert_eq!(format!("{:?}", rfc_secret()), "TotpSecret(..)");
    }
}
