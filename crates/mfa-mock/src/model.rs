//! The objects the server keeps, and how each is written on the wire.
//!
//! Stored types ([`Factor`], [`Challenge`], [`User`]) hold everything the server
//! needs, secrets included; the `*_json` functions write exactly the fields the
//! WorkOS API returns, in the documents' order, so no secret leaves by accident.
//! A [`User`] serialises as it is, less its password hash.
//! Only an enrollment response carries a TOTP secret, through [`EnrolledTotp`].

use serde::Serialize;
use serde_json::Value;

use crate::clock::Timestamp;
use crate::password::PasswordHash;
use crate::totp::TotpSecret;

/// An authentication factor as stored.
#[derive(Clone, Debug)]
pub struct Factor {
    /// `auth_factor_` + ULID.
    pub id: String,
    /// When it was enrolled.
    pub created_at: Timestamp,
    /// When it last changed (factors never change after enrollment).
    pub updated_at: Timestamp,
    /// The user it belongs to, if it was enrolled for one.
    pub user_id: Option<String>,
    /// What kind of factor it is, with that kind's details.
    pub kind: FactorKind,
}

/// The three factor types and what each keeps.
#[derive(Clone, Debug)]
pub enum FactorKind {
    /// An authenticator app.
    Totp {
        /// The name the app shows above the code.
        issuer: String,
        /// The account name the app shows.
        user: String,
        /// The shared secret.
        secret: TotpSecret,
    },
    /// Codes sent by text message.
    Sms {
        /// E.164 phone number.
        phone_number: String,
    },
    /// Codes the caller delivers itself; the challenge carries the code.
    GenericOtp,
}

impl FactorKind {
    /// The wire name of this type.
    pub const fn type_name(&self) -> &'static str {
        match self {
            FactorKind::Totp { .. } => "totp",
            FactorKind::Sms { .. } => "sms",
            FactorKind::GenericOtp => "generic_otp",
        }
    }
}

/// What an enrollment response adds to a TOTP factor, once.
#[derive(Clone, Debug)]
pub(crate) struct EnrolledTotp {
    /// The secret in base32.
    pub secret: String,
    /// The `otpauth://` URI.
    pub uri: String,
    /// A PNG data URI of a QR code of `uri`.
    pub qr_code: String,
}

/// How a challenge's code is checked.
#[derive(Clone, Debug)]
pub enum ExpectedCode {
    /// Any code the TOTP secret produces around the time of verification.
    Totp(TotpSecret),
    /// This exact one-time code.
    OneTime(String),
}

/// An authentication challenge as stored.
#[derive(Clone, Debug)]
pub struct Challenge {
    /// `auth_challenge_` + ULID.
    pub id: String,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it last changed (it changes when verified).
    pub updated_at: Timestamp,
    /// The factor it challenges.
    pub factor_id: String,
    /// When it stops being verifiable (SMS and generic OTP only).
    pub expires_at: Option<Timestamp>,
    /// What a verify must present.
    pub expected: ExpectedCode,
    /// Whether the response shows the code (generic OTP: the caller delivers it).
    pub reveals_code: bool,
    /// The text message an SMS challenge sent.
    pub sms: Option<SentSms>,
    /// Set once a correct code has been presented.
    pub verified: bool,
    /// Wrong codes presented so far.
    pub failed_attempts: u32,
}

/// The text message an SMS challenge sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentSms {
    /// Where it went, in E.164.
    pub phone_number: String,
    /// The rendered text, code included.
    pub text: String,
}

/// A user, the minimal AuthKit resource the factor endpoints hang off.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    /// Always `"user"`.
    pub object: &'static str,
    /// `user_` + ULID.
    pub id: String,
    /// The user's email address.
    pub email: String,
    /// Given name, if known.
    pub first_name: Option<String>,
    /// Family name, if known.
    pub last_name: Option<String>,
    /// Whether the email address is verified.
    pub email_verified: bool,
    /// Avatar URL, if known.
    pub profile_picture_url: Option<String>,
    /// The caller's own id for this user, if given.
    pub external_id: Option<String>,
    /// When the user last signed in through `/user_management/authenticate`.
    pub last_sign_in_at: Option<Timestamp>,
    /// Free-form string key/value pairs the caller attached.
    pub metadata: serde_json::Map<String, Value>,
    /// When the user was created.
    pub created_at: Timestamp,
    /// When the user last changed.
    pub updated_at: Timestamp,
    /// The password's salted hash, if the user has one; never on the wire.
    #[serde(skip)]
    pub password: Option<PasswordHash>,
}

/// A factor as the API shows it; serialise it into a response body.
#[derive(Serialize)]
pub(crate) struct FactorJson<'a> {
    object: &'static str,
    id: &'a str,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp: Option<TotpJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms: Option<SmsJson<'a>>,
}

#[derive(Serialize)]
struct TotpJson<'a> {
    issuer: &'a str,
    user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<&'a str>,
}

#[derive(Serialize)]
struct SmsJson<'a> {
    phone_number: &'a str,
}

/// A challenge as the API shows it; serialise it into a response body.
#[derive(Serialize)]
pub(crate) struct ChallengeJson<'a> {
    object: &'static str,
    id: &'a str,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    authentication_factor_id: &'a str,
}

/// The factor as `GET /auth/factors/:id` returns it: no secret, QR code or URI.
pub(crate) fn factor_json(factor: &Factor) -> FactorJson<'_> {
    factor_wire(factor, None)
}

/// The factor as an enrollment returns it: TOTP factors add `secret`, `qr_code` and `uri`.
pub(crate) fn enrolled_factor_json<'a>(
    factor: &'a Factor,
    enrolled: Option<&'a EnrolledTotp>,
) -> FactorJson<'a> {
    factor_wire(factor, enrolled)
}

fn factor_wire<'a>(factor: &'a Factor, enrolled: Option<&'a EnrolledTotp>) -> FactorJson<'a> {
    let (totp, sms) = match &factor.kind {
        FactorKind::Totp { issuer, user, .. } => {
            let wire = TotpJson {
                issuer,
                user,
                secret: enrolled.map(|e| e.secret.as_str()),
                qr_code: enrolled.map(|e| e.qr_code.as_str()),
                uri: enrolled.map(|e| e.uri.as_str()),
            };
            (Some(wire), None)
        }
        FactorKind::Sms { phone_number } => (None, Some(SmsJson { phone_number })),
        FactorKind::GenericOtp => (None, None),
    };
    FactorJson {
        object: "authentication_factor",
        id: &factor.id,
        created_at: factor.created_at,
        updated_at: factor.updated_at,
        kind: factor.kind.type_name(),
        user_id: factor.user_id.as_deref(),
        totp,
        sms,
    }
}

/// The challenge as the challenge and enroll endpoints return it: a generic
/// OTP challenge shows its code, which the caller delivers itself.
pub(crate) fn challenge_json(challenge: &Challenge) -> ChallengeJson<'_> {
    let code = match (&challenge.expected, challenge.reveals_code) {
        (ExpectedCode::OneTime(code), true) => Some(code.as_str()),
        _ => None,
    };
    challenge_wire(challenge, code)
}

/// The challenge inside a verify response: never the code, so a failed
/// verify does not hand out the right answer.
pub(crate) fn verified_challenge_json(challenge: &Challenge) -> ChallengeJson<'_> {
    challenge_wire(challenge, None)
}

fn challenge_wire<'a>(challenge: &'a Challenge, code: Option<&'a str>) -> ChallengeJson<'a> {
    ChallengeJson {
        object: "authentication_challenge",
        id: &challenge.id,
        created_at: challenge.created_at,
        updated_at: challenge.updated_at,
        expires_at: challenge.expires_at,
        code,
        authentication_factor_id: &challenge.factor_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a view serialises to, as a value to index into.
    fn json(view: impl Serialize) -> Value {
        serde_json::to_value(view).expect("serialises")
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_millis(millis)
    }

    fn totp_factor() -> Factor {
        Factor {
            id: "auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ".into(),
            created_at: at(0),
            updated_at: at(0),
            user_id: None,
            kind: FactorKind::Totp {
                issuer: "Foo Corp".into(),
                user: "alan@example.com".into(),
                secret: TotpSecret::from_bytes(vec![1; 20]),
            },
        }
    }

    #[test]
    fn a_fetched_totp_factor_shows_only_issuer_and_user() {
        let json = json(factor_json(&totp_factor()));
        assert_eq!(
            json["totp"],
            serde_json::json!({"issuer": "Foo Corp", "user": "alan@example.com"})
        );
        assert!(json.get("user_id").is_none());
        assert!(json.get("sms").is_none());
    }

    #[test]
    fn an_enrolled_totp_factor_adds_secret_qr_code_and_uri() {
        let enrolled = EnrolledTotp {
            secret: "S".into(),
            uri: "U".into(),
            qr_code: "Q".into(),
        };
        let json = json(enrolled_factor_json(&totp_factor(), Some(&enrolled)));
        assert_eq!(json["totp"]["secret"], "S");
        assert_eq!(json["totp"]["uri"], "U");
        assert_eq!(json["totp"]["qr_code"], "Q");
    }

    #[test]
    fn a_generic_otp_challenge_reveals_its_code_and_a_totp_one_does_not() {
        let mut challenge = Challenge {
            id: "auth_challenge_01FVYZWQTZQ5VB6BC5MPG2EYC5".into(),
            created_at: at(0),
            updated_at: at(0),
            factor_id: "auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ".into(),
            expires_at: Some(at(600_000)),
            expected: ExpectedCode::OneTime("123456".into()),
            reveals_code: true,
            sms: None,
            verified: false,
            failed_attempts: 0,
        };
        assert_eq!(json(challenge_json(&challenge))["code"], "123456");
        assert!(
            json(verified_challenge_json(&challenge))
                .get("code")
                .is_none()
        );
        challenge.reveals_code = false;
        assert!(json(challenge_json(&challenge)).get("code").is_none());
        assert_eq!(
            json(challenge_json(&challenge))["expires_at"],
            "1970-01-01T00:10:00.000Z"
        );
    }
}
