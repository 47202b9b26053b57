//! TOTP codes from a base32 secret, as an authenticator app computes them
//! (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps). The `flow` scenario
//! uses it to answer a challenge with the code the server expects now.

use std::time::{SystemTime, UNIX_EPOCH};

use data_encoding::BASE32_NOPAD;
use totp_lite::{Sha1, totp_custom};

/// Seconds per TOTP step.
const STEP_SECONDS: u64 = 30;
/// Digits per code.
const DIGITS: u32 = 6;

/// The code for `secret` (base32, any case, padding allowed) at the current time.
pub fn code_now(secret: &str) -> Result<String, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|error| format!("the system clock is before 1970: {error}"))?;
    code_at(secret, now.as_secs())
}

/// The code for `secret` at `unix_seconds`.
pub fn code_at(secret: &str, unix_seconds: u64) -> Result<String, String> {
    let key = decode_secret(secret)?;
    Ok(totp_custom::<Sha1>(
        STEP_SECONDS,
        DIGITS,
        &key,
        unix_seconds,
    ))
}

fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    let canonical: String = secret
        .trim_end_matches('=')
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .collect();
    BASE32_NOPAD
        .decode(canonical.as_bytes())
        .map_err(|error| format!("the server returned a TOTP secret that is not base32: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B: the ASCII key "12345678901234567890", SHA-1.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        assert_eq!(code_at(RFC_SECRET, 59).as_deref(), Ok("287082"));
        assert_eq!(code_at(RFC_SECRET, 1_111_111_109).as_deref(), Ok("081804"));
        assert_eq!(code_at(RFC_SECRET, 2_000_000_000).as_deref(), Ok("279037"));
    }

    #[test]
    fn lower_case_and_padding_are_accepted() {
        let lower = RFC_SECRET.to_ascii_lowercase() + "====";
        assert_eq!(code_at(&lower, 59).as_deref(), Ok("287082"));
    }

    #[test]
    fn a_secret_that_is_not_base32_is_an_error() {
        assert!(code_at("not base32!", 59).is_err());
    }

    #[test]
    fn a_code_now_has_six_digits() {
        let code = code_now(RFC_SECRET).unwrap_or_default();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
    }
}
