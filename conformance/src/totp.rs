//! RFC 6238 codes computed on the client side, never asked of the server.
//!
//! SHA-1, 6 digits, 30-second steps, from a base32 secret the server handed out. Also
//! the one code a test can rely on being wrong: it differs from every code of the
//! two steps either side of now, so no server clock skew can make it valid.

use totp_rs::{Algorithm, Secret, TOTP};

/// Length of one TOTP step, in seconds.
pub const STEP_SECONDS: u64 = 30;

/// How many steps either side of now a wrong code must avoid.
const WRONG_CODE_MARGIN: i64 = 2;

/// The 6-digit code for `secret` at the step `offset` steps away from `unix_seconds`.
pub fn code(secret: &str, unix_seconds: u64, offset: i64) -> Result<String, String> {
    let totp = generator(secret)?;
    Ok(totp.generate(shifted(unix_seconds, offset)))
}

/// A 6-digit code that matches none of the codes for steps -2..=+2 around `unix_seconds`.
pub fn wrong_code(secret: &str, unix_seconds: u64) -> Result<String, String> {
    let totp = generator(secret)?;
    let taken: Vec<u32> = (-WRONG_CODE_MARGIN..=WRONG_CODE_MARGIN)
        .filter_map(|offset| totp.generate(shifted(unix_seconds, offset)).parse().ok())
        .collect();
    let current = taken.get(taken.len() / 2).copied().unwrap_or(0);
    Ok(format!("{:06}", first_free(current, &taken)))
}

/// Starting half the code space away from `current`, the first 6-digit value not taken.
fn first_free(current: u32, taken: &[u32]) -> u32 {
    let mut candidate = (current + 500_000) % 1_000_000;
    while taken.contains(&candidate) {
        candidate = (candidate + 1) % 1_000_000;
    }
    candidate
}

fn shifted(unix_seconds: u64, offset: i64) -> u64 {
    let shift = offset.saturating_mul(STEP_SECONDS as i64);
    unix_seconds.saturating_add_signed(shift)
}

fn generator(secret: &str) -> Result<TOTP, String> {
    let normalised = secret.trim_end_matches('=').to_ascii_uppercase();
    let bytes = Secret::Encoded(normalised)
        .to_bytes()
        .map_err(|_| format!("{secret:?} is not a base32 TOTP secret"))?;
    if bytes.is_empty() {
        return Err("the TOTP secret is empty".to_string());
    }
    Ok(TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECONDS,
        bytes,
        None,
        String::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Base32 of the RFC 6238 SHA-1 test key "12345678901234567890".
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        assert_eq!(code(RFC_SECRET, 59, 0).expect("valid secret"), "287082");
        assert_eq!(
            code(RFC_SECRET, 1_111_111_109, 0).expect("valid secret"),
            "081804"
        );
        assert_eq!(
            code(RFC_SECRET, 2_000_000_000, 0).expect("valid secret"),
            "279037"
        );
    }

    #[test]
    fn an_offset_of_one_is_the_code_thirty_seconds_later() {
        let later = code(RFC_SECRET, 1_111_111_109 + 30, 0).expect("valid secret");
        assert_eq!(
            code(RFC_SECRET, 1_111_111_109, 1).expect("valid secret"),
            later
        );
    }

    #[test]
    fn lower_case_and_padded_secrets_are_accepted() {
        let padded = format!("{}==", RFC_SECRET.to_lowercase());
        assert_eq!(code(&padded, 59, 0).expect("valid secret"), "287082");
    }

    #[test]
    fn the_wrong_code_differs_from_every_code_within_two_steps() {
        for now in (0..3_000u64).step_by(7).map(|i| 1_700_000_000 + i * 30) {
            let wrong = wrong_code(RFC_SECRET, now).expect("valid secret");
            for offset in -2..=2 {
                assert_ne!(wrong, code(RFC_SECRET, now, offset).expect("valid secret"));
            }
            assert_eq!(wrong.len(), 6);
        }
    }

    #[test]
    fn the_wrong_code_skips_taken_values_and_wraps_around() {
        assert_eq!(first_free(499_999, &[999_999, 0, 1]), 2);
    }

    #[test]
    fn a_secret_that_is_not_base32_is_an_error() {
        let error = code("not base32!", 0, 0).expect_err("bad secret");
        assert!(error.contains("base32"), "{error}");
    }
}
