//! Making new factors and challenges: ids, secrets, codes, QR codes, expiry.
//!
//! Handlers decide *whether* to create something; this module decides what a
//! new object looks like, drawing randomness from the tenant's [`Entropy`].

use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::ids::{Entropy, IdKind};
use crate::model::{Challenge, EnrolledTotp, ExpectedCode, Factor, FactorKind, SentSms};
use crate::qr::QrError;
use crate::totp::TotpSecret;

/// How long SMS and generic OTP challenges stay verifiable: 10 minutes.
pub(crate) const CHALLENGE_LIFETIME_SECONDS: i64 = 600;

/// The SMS text sent when the challenge names no `sms_template`.
pub(crate) const DEFAULT_SMS_TEMPLATE: &str = "Your verification code is {{code}}.";

/// A fresh 160-bit TOTP secret.
pub(crate) fn new_secret(entropy: &Entropy) -> TotpSecret {
    TotpSecret::from_bytes(entropy.bytes::<20>().to_vec())
}

/// A TOTP factor's details and the one-time enrollment extras (secret, URI, QR code).
pub(crate) fn totp_kind(
    secret: TotpSecret,
    issuer: String,
    user: String,
) -> Result<(FactorKind, EnrolledTotp), ApiError> {
    let uri = secret.otpauth_uri(&issuer, &user);
    let qr_code = crate::qr::png_data_uri(&uri).map_err(qr_error)?;
    let enrolled = EnrolledTotp {
        secret: secret.to_base32(),
        uri,
        qr_code,
    };
    Ok((
        FactorKind::Totp {
            issuer,
            user,
            secret,
        },
        enrolled,
    ))
}

/// The answer to a QR code that could not be drawn: the caller's fault only when
/// the URI is too long; anything else is ours, logged (without the URI, which holds
/// the secret) and answered with a 500.
fn qr_error(error: QrError) -> ApiError {
    match error {
        QrError::TooLong => ApiError::invalid(
            "totp_user",
            "too_long",
            "`totp_issuer` and `totp_user` together are too long to fit in a QR code; shorten them.",
        ),
        QrError::Internal(detail) => {
            tracing::error!(%detail, "enrollment failed drawing its QR code");
            ApiError::Internal(detail)
        }
    }
}

/// A new factor of `kind`, created now.
pub(crate) fn new_factor(
    entropy: &Entropy,
    kind: FactorKind,
    user_id: Option<String>,
    now: Timestamp,
) -> Factor {
    Factor {
        id: entropy.id(IdKind::Factor, now),
        created_at: now,
        updated_at: now,
        user_id,
        kind,
    }
}

/// A new challenge of `factor`, created now. SMS challenges render
/// `sms_template` (or the default text) with the code in place of `{{code}}`.
pub(crate) fn new_challenge(
    entropy: &Entropy,
    factor: &Factor,
    sms_template: Option<&str>,
    now: Timestamp,
) -> Challenge {
    let expiry = Some(now.plus_seconds(CHALLENGE_LIFETIME_SECONDS));
    let (expected, expires_at, reveals_code, sms) = match &factor.kind {
        FactorKind::Totp { secret, .. } => (ExpectedCode::Totp(secret.clone()), None, false, None),
        FactorKind::Sms { phone_number } => {
            let code = entropy.six_digit_code();
            let text = sms_template
                .unwrap_or(DEFAULT_SMS_TEMPLATE)
                .replace("{{code}}", &code);
            let sent = SentSms {
                phone_number: phone_number.clone(),
                text,
            };
            (ExpectedCode::OneTime(code), expiry, false, Some(sent))
        }
        FactorKind::GenericOtp => {
            let code = entropy.six_digit_code();
            (ExpectedCode::OneTime(code), expiry, true, None)
        }
    };
    Challenge {
        id: entropy.id(IdKind::Challenge, now),
        created_at: now,
        updated_at: now,
        factor_id: factor.id.clone(),
        expires_at,
        expected,
        reveals_code,
        sms,
        verified: false,
        failed_attempts: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn a_uri_too_long_for_a_qr_code_blames_totp_user() {
        let error = qr_error(QrError::TooLong);
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn any_other_qr_failure_is_an_internal_error() {
        let error = qr_error(QrError::Internal("QR code: out of range".to_owned()));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.body()["code"], "internal_error");
    }
}
