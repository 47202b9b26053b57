//! A tenant's state as a JSON (or YAML) document: what `GET /_mock/state`
//! exports, `PUT /_mock/state` imports, and a `--seed-file` or `--state-file`
//! lists per API key. One type, [`TenantState`], is all three: a seed entry is
//! a state document that also names its `api_key` (and may say `freeze_at`),
//! so what one exports can seed another run unchanged.
//!
//! Exports are complete (secrets and one-time codes included) and import back
//! unchanged. Hand-written documents may leave out ids, timestamps, TOTP
//! secrets and codes: they are generated as for a new object.

use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::Timestamp;
use crate::enrollment::{CHALLENGE_LIFETIME_SECONDS, DEFAULT_SMS_TEMPLATE, new_secret};
use crate::error::FieldError;
use crate::ids::IdKind;
use crate::model::{Challenge, ExpectedCode, Factor, FactorKind, SentSms, User};
use crate::password::PasswordHash;
use crate::phone;
use crate::store::{Objects, Tenant};
use crate::totp::TotpSecret;

/// One tenant's users, factors, challenges and clock.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct TenantState {
    /// `"state"` on export; ignored on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The API key whose tenant this is: required in a seed or state file,
    /// refused by `PUT /_mock/state` (the request's own key decides there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Seed files only: where the tenant's clock starts frozen (RFC 3339),
    /// shorter to write by hand than `clock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_at: Option<String>,
    /// The tenant's clock; on import a frozen clock is frozen at `now`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockState>,
    /// The users.
    #[serde(default)]
    pub users: Vec<UserRecord>,
    /// The factors.
    #[serde(default)]
    pub factors: Vec<FactorRecord>,
    /// The challenges.
    #[serde(default)]
    pub challenges: Vec<ChallengeRecord>,
    /// The environment settings; shown only when one differs from its
    /// default, and reset to the defaults by an import that leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsState>,
}

/// A tenant's environment settings in a state document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsState {
    /// Whether a password sign-in of a user with no TOTP factor must enroll one.
    #[serde(default)]
    pub mfa_required: bool,
}

/// A tenant clock in a state document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockState {
    /// The tenant's time.
    pub now: String,
    /// Whether it stands still.
    pub frozen: bool,
}

/// A user in a state document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserRecord {
    /// `"user"`; ignored on import.
    #[serde(default, skip_serializing)]
    pub object: Option<String>,
    /// `user_…`; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The email address.
    pub email: String,
    /// Given name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Whether the email is verified (default false).
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Avatar URL.
    #[serde(default)]
    pub profile_picture_url: Option<String>,
    /// The caller's own id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The last sign-in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in_at: Option<String>,
    /// The password as an argon2id PHC string (what exports carry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// A plaintext password, hashed on import (handy in seed files); never exported.
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
    /// String key/value pairs.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// Creation time; now when absent.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last change; `created_at` when absent.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A factor in a state document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct FactorRecord {
    /// `"authentication_factor"`; ignored on import.
    #[serde(default, skip_serializing)]
    pub object: Option<String>,
    /// `auth_factor_…`; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// `totp`, `sms` or `generic_otp`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// TOTP details (totp only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpRecord>,
    /// SMS details (sms only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsRecord>,
    /// Creation time; now when absent.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last change; `created_at` when absent.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A TOTP factor's details, secret included.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct TotpRecord {
    /// Shown in the authenticator app above the code.
    pub issuer: String,
    /// The account name shown in the app.
    pub user: String,
    /// Base32 secret; generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
    /// The `otpauth://` URI, in an export that asked for QR codes; ignored on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// A PNG QR code of `uri` as a data URI, beside it; ignored on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

/// An SMS factor's details.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmsRecord {
    /// The phone number (normalised to E.164 on import).
    pub phone_number: String,
}

/// A challenge in a state document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChallengeRecord {
    /// `"authentication_challenge"`; ignored on import.
    #[serde(default, skip_serializing)]
    pub object: Option<String>,
    /// `auth_challenge_…`; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The factor it challenges (must be in the same document).
    pub authentication_factor_id: String,
    /// Creation time; now when absent.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last change; `created_at` when absent.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Expiry (SMS and generic OTP); ten minutes after creation when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The one-time code (SMS and generic OTP); generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Whether a right code was presented already.
    #[serde(default)]
    pub verified: bool,
    /// Wrong codes presented so far.
    #[serde(default)]
    pub failed_attempts: u32,
}

/// The whole state of `tenant`.
pub(crate) fn export(tenant: &Tenant) -> TenantState {
    let objects = tenant.snapshot();
    TenantState {
        object: Some("state".to_owned()),
        api_key: None,
        freeze_at: None,
        clock: Some(ClockState {
            now: tenant.clock.now().to_string(),
            frozen: tenant.clock.is_frozen(),
        }),
        users: objects.users.iter().map(user_record).collect(),
        factors: objects.factors.iter().map(factor_record).collect(),
        challenges: objects.challenges.iter().map(challenge_record).collect(),
        settings: tenant
            .mfa_required
            .load(Ordering::Relaxed)
            .then_some(SettingsState { mfa_required: true }),
    }
}

/// Adds each TOTP factor's `uri` and `qr_code` to an export, as its enrollment
/// showed them, for a viewer that has to show the code to scan (the inspector
/// page). Opt-in: a QR code costs about 25 µs and 2.5 KB, which neither the
/// state file nor a plain export should pay for every factor.
pub(crate) fn add_qr_codes(state: &mut TenantState) {
    for totp in state.factors.iter_mut().filter_map(|f| f.totp.as_mut()) {
        let Some(secret) = totp.secret.as_deref() else {
            continue;
        };
        let Ok(secret) = TotpSecret::from_base32(secret) else {
            continue;
        };
        let uri = secret.otpauth_uri(&totp.issuer, &totp.user);
        totp.qr_code = crate::qr::png_data_uri(&uri).ok();
        totp.uri = Some(uri);
    }
}

fn user_record(user: &User) -> UserRecord {
    UserRecord {
        object: None,
        id: Some(user.id.clone()),
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        email_verified: Some(user.email_verified),
        profile_picture_url: user.profile_picture_url.clone(),
        external_id: user.external_id.clone(),
        last_sign_in_at: user.last_sign_in_at.map(|at| at.to_string()),
        password_hash: user.password.as_ref().map(|hash| hash.as_phc().to_owned()),
        password: None,
        metadata: Some(user.metadata.clone()),
        created_at: Some(user.created_at.to_string()),
        updated_at: Some(user.updated_at.to_string()),
    }
}

fn factor_record(factor: &Factor) -> FactorRecord {
    let (totp, sms) = match &factor.kind {
        FactorKind::Totp {
            issuer,
            user,
            secret,
        } => {
            let totp = TotpRecord {
                issuer: issuer.clone(),
                user: user.clone(),
                secret: Some(secret.to_base32()),
                uri: None,
                qr_code: None,
            };
            (Some(totp), None)
        }
        FactorKind::Sms { phone_number } => (
            None,
            Some(SmsRecord {
                phone_number: phone_number.clone(),
            }),
        ),
        FactorKind::GenericOtp => (None, None),
    };
    FactorRecord {
        object: None,
        id: Some(factor.id.clone()),
        kind: factor.kind.type_name().to_owned(),
        user_id: factor.user_id.clone(),
        totp,
        sms,
        created_at: Some(factor.created_at.to_string()),
        updated_at: Some(factor.updated_at.to_string()),
    }
}

fn challenge_record(challenge: &Challenge) -> ChallengeRecord {
    let code = match &challenge.expected {
        ExpectedCode::OneTime(code) => Some(code.clone()),
        ExpectedCode::Totp(_) => None,
    };
    ChallengeRecord {
        object: None,
        id: Some(challenge.id.clone()),
        authentication_factor_id: challenge.factor_id.clone(),
        created_at: Some(challenge.created_at.to_string()),
        updated_at: Some(challenge.updated_at.to_string()),
        expires_at: challenge.expires_at.map(|at| at.to_string()),
        code,
        verified: challenge.verified,
        failed_attempts: challenge.failed_attempts,
    }
}

/// Replaces `tenant`'s objects (and clock, if the document has one) with
/// `state`'s, or lists every problem with it and changes nothing.
pub(crate) fn import(tenant: &Tenant, state: &TenantState) -> Result<(), Vec<FieldError>> {
    let mut problems = Vec::new();
    let frozen_at = state
        .clock
        .as_ref()
        .filter(|clock| clock.frozen)
        .map(|clock| {
            timestamp("clock.now", &clock.now, &mut problems).unwrap_or_else(|| tenant.clock.now())
        });
    let now = frozen_at.unwrap_or_else(|| tenant.clock.now());
    let mut builder = Builder {
        tenant,
        now,
        problems,
        objects: Objects::default(),
    };
    for (index, record) in state.users.iter().enumerate() {
        builder.user(&format!("users[{index}]"), record);
    }
    for (index, record) in state.factors.iter().enumerate() {
        builder.factor(&format!("factors[{index}]"), record);
    }
    for (index, record) in state.challenges.iter().enumerate() {
        builder.challenge(&format!("challenges[{index}]"), record);
    }
    builder.check_unique_ids();
    if !builder.problems.is_empty() {
        return Err(builder.problems);
    }
    match (frozen_at, &state.clock) {
        (Some(at), _) => tenant.clock.freeze_at(at),
        (None, Some(_)) => tenant.clock.resume(),
        (None, None) => {}
    }
    tenant.replace(builder.objects);
    let mfa_required = state.settings.as_ref().is_some_and(|s| s.mfa_required);
    tenant.mfa_required.store(mfa_required, Ordering::Relaxed);
    Ok(())
}

/// Turns records into objects, collecting every problem on the way.
struct Builder<'a> {
    tenant: &'a Tenant,
    now: Timestamp,
    problems: Vec<FieldError>,
    objects: Objects,
}

impl Builder<'_> {
    fn user(&mut self, at: &str, record: &UserRecord) {
        let id = self.id(at, IdKind::User, record.id.as_deref());
        let (created_at, updated_at) = self.times(
            at,
            record.created_at.as_deref(),
            record.updated_at.as_deref(),
        );
        let last_sign_in_at = record
            .last_sign_in_at
            .as_deref()
            .and_then(|text| timestamp(&format!("{at}.last_sign_in_at"), text, &mut self.problems));
        let password = self.password(at, record);
        self.objects.users.push(User {
            object: "user",
            id,
            email: record.email.clone(),
            first_name: record.first_name.clone(),
            last_name: record.last_name.clone(),
            email_verified: record.email_verified.unwrap_or(false),
            profile_picture_url: record.profile_picture_url.clone(),
            external_id: record.external_id.clone(),
            last_sign_in_at,
            metadata: record.metadata.clone().unwrap_or_default(),
            created_at,
            updated_at,
            password,
        });
    }

    /// The user's password hash: `password_hash` as given, or `password` hashed.
    fn password(&mut self, at: &str, record: &UserRecord) -> Option<PasswordHash> {
        match (&record.password_hash, &record.password) {
            (Some(phc), _) => PasswordHash::from_phc(phc).or_else(|| {
                self.problem(
                    &format!("{at}.password_hash"),
                    "invalid_format",
                    "must be an argon2id PHC string as an export shows it; send `password` to set a plaintext one",
                )
            }),
            (None, Some(plain)) if !plain.is_empty() => {
                PasswordHash::new(plain, self.tenant.entropy.bytes::<16>())
            }
            _ => None,
        }
    }

    fn factor(&mut self, at: &str, record: &FactorRecord) {
        let id = self.id(at, IdKind::Factor, record.id.as_deref());
        let (created_at, updated_at) = self.times(
            at,
            record.created_at.as_deref(),
            record.updated_at.as_deref(),
        );
        let Some(kind) = self.factor_kind(at, record) else {
            return;
        };
        self.objects.factors.push(Factor {
            id,
            created_at,
            updated_at,
            user_id: record.user_id.clone(),
            kind,
        });
    }

    fn factor_kind(&mut self, at: &str, record: &FactorRecord) -> Option<FactorKind> {
        match (record.kind.as_str(), &record.totp, &record.sms) {
            ("totp", Some(totp), None) => {
                let secret = match totp.secret.as_deref() {
                    Some(text) => match TotpSecret::from_base32(text) {
                        Ok(secret) => secret,
                        Err(_) => return self.problem(&format!("{at}.totp.secret"), "invalid_format", "must be base32 of at least 16 characters, e.g. \"JBSWY3DPEHPK3PXP\""),
                    },
                    None => new_secret(&self.tenant.entropy),
                };
                Some(FactorKind::Totp { issuer: totp.issuer.clone(), user: totp.user.clone(), secret })
            }
            ("sms", None, Some(sms)) => match phone::normalise(&sms.phone_number) {
                Ok(phone_number) => Some(FactorKind::Sms { phone_number }),
                Err(_) => self.problem(&format!("{at}.sms.phone_number"), "invalid_format", "is not a phone number; use E.164, e.g. \"+15005550006\""),
            },
            ("generic_otp", None, None) => Some(FactorKind::GenericOtp),
            _ => self.problem(&format!("{at}.type"), "invalid_value", "must be \"totp\" with `totp: {issuer, user, secret?}`, \"sms\" with `sms: {phone_number}`, or \"generic_otp\" with neither"),
        }
    }

    fn challenge(&mut self, at: &str, record: &ChallengeRecord) {
        let id = self.id(at, IdKind::Challenge, record.id.as_deref());
        let (created_at, updated_at) = self.times(
            at,
            record.created_at.as_deref(),
            record.updated_at.as_deref(),
        );
        let factor = self
            .objects
            .factors
            .iter()
            .find(|f| f.id == record.authentication_factor_id)
            .cloned();
        let Some(factor) = factor else {
            self.problem::<()>(
                &format!("{at}.authentication_factor_id"),
                "invalid_value",
                "must be the id of a factor in this document",
            );
            return;
        };
        let expires_at = match record.expires_at.as_deref() {
            Some(text) => timestamp(&format!("{at}.expires_at"), text, &mut self.problems),
            None => Some(created_at.plus_seconds(CHALLENGE_LIFETIME_SECONDS)),
        };
        let one_time = || {
            record
                .code
                .clone()
                .unwrap_or_else(|| self.tenant.entropy.six_digit_code())
        };
        let (expected, expires_at, reveals_code, sms) = match &factor.kind {
            FactorKind::Totp { secret, .. } => {
                (ExpectedCode::Totp(secret.clone()), None, false, None)
            }
            FactorKind::Sms { phone_number } => {
                let code = one_time();
                let sent = SentSms {
                    phone_number: phone_number.clone(),
                    text: DEFAULT_SMS_TEMPLATE.replace("{{code}}", &code),
                };
                (ExpectedCode::OneTime(code), expires_at, false, Some(sent))
            }
            FactorKind::GenericOtp => (ExpectedCode::OneTime(one_time()), expires_at, true, None),
        };
        self.objects.challenges.push(Challenge {
            id,
            created_at,
            updated_at,
            factor_id: factor.id,
            expires_at,
            expected,
            reveals_code,
            sms,
            verified: record.verified,
            failed_attempts: record.failed_attempts,
        });
    }

    fn id(&mut self, at: &str, kind: IdKind, given: Option<&str>) -> String {
        match given {
            None => self.tenant.entropy.id(kind, self.now),
            Some(id) => {
                let suffix_ok = id.strip_prefix(kind.prefix()).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
                if !suffix_ok {
                    let message = format!(
                        "must start with `{}` followed by letters, digits or _",
                        kind.prefix()
                    );
                    self.problem::<()>(&format!("{at}.id"), "invalid_format", &message);
                }
                id.to_owned()
            }
        }
    }

    fn times(
        &mut self,
        at: &str,
        created: Option<&str>,
        updated: Option<&str>,
    ) -> (Timestamp, Timestamp) {
        let created_at = created
            .and_then(|text| timestamp(&format!("{at}.created_at"), text, &mut self.problems))
            .unwrap_or(self.now);
        let updated_at = updated
            .and_then(|text| timestamp(&format!("{at}.updated_at"), text, &mut self.problems))
            .unwrap_or(created_at);
        (created_at, updated_at)
    }

    fn check_unique_ids(&mut self) {
        let ids = self
            .objects
            .users
            .iter()
            .map(|u| u.id.as_str())
            .chain(self.objects.factors.iter().map(|f| f.id.as_str()))
            .chain(self.objects.challenges.iter().map(|c| c.id.as_str()));
        let mut seen = std::collections::HashSet::new();
        let duplicates: Vec<String> = ids
            .filter(|id| !seen.insert(*id))
            .map(str::to_owned)
            .collect();
        for id in duplicates {
            self.problem::<()>("id", "duplicate", &format!("`{id}` appears more than once"));
        }
    }

    fn problem<T>(&mut self, field: &str, rule: &str, what: &str) -> Option<T> {
        self.problems
            .push(FieldError::new(field, rule, format!("`{field}` {what}.")));
        None
    }
}

fn timestamp(field: &str, text: &str, problems: &mut Vec<FieldError>) -> Option<Timestamp> {
    let parsed = Timestamp::parse(text);
    if parsed.is_none() {
        let message = format!(
            "`{field}` must be an RFC 3339 timestamp, e.g. \"2026-01-15T12:00:00.000Z\"; got \"{text}\"."
        );
        problems.push(FieldError::new(field, "invalid_format", message));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TenantTemplate;

    fn tenant() -> Tenant {
        Tenant::new(
            &TenantTemplate {
                seed: Some(1),
                ..TenantTemplate::default()
            },
            "sk_test_state",
        )
    }

    fn document() -> TenantState {
        serde_json::from_value(serde_json::json!({
            "clock": {"now": "2026-01-15T12:00:00Z", "frozen": true},
            "users": [{"id": "user_ada", "email": "ada@example.com"}],
            "factors": [
                {"id": "auth_factor_ada_totp", "type": "totp", "user_id": "user_ada",
                 "totp": {"issuer": "Foo Corp", "user": "ada@example.com", "secret": "JBSWY3DPEHPK3PXP"}},
                {"type": "sms", "sms": {"phone_number": "16073517112"}}
            ],
            "challenges": [{"authentication_factor_id": "auth_factor_ada_totp"}]
        }))
        .expect("a valid document")
    }

    #[test]
    fn an_imported_document_fills_in_what_it_leaves_out() {
        let tenant = tenant();
        import(&tenant, &document()).expect("imports");
        let factor = tenant.factor("auth_factor_ada_totp").expect("pinned id");
        assert_eq!(factor.created_at.to_string(), "2026-01-15T12:00:00.000Z");
        let exported = export(&tenant);
        let phones: Vec<&str> = exported
            .factors
            .iter()
            .filter_map(|f| f.sms.as_ref())
            .map(|s| s.phone_number.as_str())
            .collect();
        assert_eq!(phones, ["+16073517112"]);
        let secrets: Vec<&str> = exported
            .factors
            .iter()
            .filter_map(|f| f.totp.as_ref()?.secret.as_deref())
            .collect();
        assert_eq!(secrets, ["JBSWY3DPEHPK3PXP"]);
        assert_eq!(exported.challenges.len(), 1);
        assert!(tenant.clock.is_frozen());
    }

    #[test]
    fn an_export_imports_back_unchanged() {
        let first = tenant();
        import(&first, &document()).expect("imports");
        let exported = export(&first);
        let second = tenant();
        import(&second, &exported).expect("round trip");
        assert_eq!(export(&second), exported);
    }

    #[test]
    fn qr_codes_are_added_to_totp_factors_only_and_an_export_with_them_imports_back() {
        let first = tenant();
        import(&first, &document()).expect("imports");
        let mut exported = export(&first);
        add_qr_codes(&mut exported);
        let totp = exported
            .factors
            .iter()
            .find_map(|factor| factor.totp.as_ref())
            .expect("a totp factor");
        assert_eq!(
            totp.uri.as_deref(),
            Some(
                "otpauth://totp/Foo%20Corp:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Foo%20Corp"
            )
        );
        let qr_code = totp.qr_code.as_deref().unwrap_or_default();
        assert!(qr_code.starts_with("data:image/png;base64,iVBORw0KGgo"));
        let sms = exported.factors.iter().find(|factor| factor.kind == "sms");
        assert!(sms.is_some_and(|factor| factor.totp.is_none()));
        let second = tenant();
        import(&second, &exported).expect("the extra fields are ignored on import");
        assert_eq!(export(&second), export(&first));
    }

    #[test]
    fn every_problem_is_reported_and_nothing_changes() {
        let tenant = tenant();
        let broken: TenantState = serde_json::from_value(serde_json::json!({
            "factors": [
                {"type": "totp", "totp": {"issuer": "a", "user": "b", "secret": "nope"}},
                {"id": "wrong_prefix", "type": "sms", "sms": {"phone_number": "+1"}}
            ],
            "challenges": [{"authentication_factor_id": "auth_factor_missing"}]
        }))
        .expect("parses");
        let problems = import(&tenant, &broken).expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "factors[0].totp.secret",
                "factors[1].id",
                "factors[1].sms.phone_number",
                "challenges[0].authentication_factor_id"
            ]
        );
        assert_eq!(tenant.factor_count(), 0);
    }
}
