//! Turning a fixture run's exchanges into a stable transcript for snapshots.
//!
//! Every redaction checks the value's shape before replacing it, so a malformed value
//! stays visible in the snapshot: ids (`auth_factor_`, `auth_challenge_`, `user_`,
//! `sms_`, `fault_`, `req_` plus a 26-character Crockford ULID, also inside strings) become
//! `[auth_factor_1]` numbered per prefix by first appearance; RFC 3339 timestamps become
//! `[timestamp]`; base32 `secret`s `[totp_secret]`; PNG `qr_code` data URIs
//! `[qr_code:png]`; the `otpauth://` `uri` keeps everything but its secret; 6-digit `code`s
//! `[code]`; pending and refresh tokens `[token]`. Values the runner generated (unique
//! values, API keys, the server's host) are replaced by the names the runner gives them. An
//! `access_token` JWT is `[jwt]` in every profile: its times come from the wall clock, even
//! on a server whose tenants are frozen.
//!
//! That is the [`Profile::Strict`] set, for a server whose values change every run. A
//! seeded mfa-mock whose tenants start frozen ([`Profile::Deterministic`]) repeats its
//! secrets, QR codes and codes byte for byte, so those are kept, and so are timestamps near
//! the instant the clocks were frozen at. What still changes stays redacted: timestamps
//! far from it (wall-clock time after a reset or a resume) and ids, whose numbered names
//! also cover request ids, which the server draws from its own wall clock.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::http::ResponseBody;
use crate::outcome::Exchange;

/// Id prefixes, longest first so none shadows another.
const ID_PREFIXES: [&str; 6] = [
    "auth_challenge_",
    "auth_factor_",
    "fault_",
    "user_",
    "sms_",
    "req_",
];
/// Length of a ULID in Crockford base32.
const ULID_LEN: usize = 26;
/// The 8-byte signature every PNG file starts with.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_DATA_PREFIX: &str = "data:image/png;base64,";
const OTPAUTH_PREFIX: &str = "otpauth://totp/";
/// How far from the frozen instant a timestamp may be and still be kept by
/// [`Profile::Deterministic`]: thirty days, far more than any fixture moves its clock.
pub const KEPT_TIMESTAMP_WINDOW_MILLIS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Which values a transcript redacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Everything that may differ between runs of any server.
    Strict,
    /// A seeded mfa-mock whose tenants were frozen at `epoch_millis`: secrets, QR codes,
    /// URIs, codes and timestamps within [`KEPT_TIMESTAMP_WINDOW_MILLIS`] of it are kept.
    Deterministic {
        /// The instant the tenants' clocks were frozen at, in Unix milliseconds.
        epoch_millis: i64,
    },
}

/// Redacts the values of one fixture run, numbering ids by first appearance.
pub struct Redactor {
    profile: Profile,
    literals: Vec<(String, String)>,
    ids: BTreeMap<String, String>,
    counters: BTreeMap<&'static str, usize>,
}

impl Redactor {
    /// A [`Profile::Strict`] redactor that also replaces each literal
    /// `(value, placeholder)` in strings.
    pub fn new(literals: Vec<(String, String)>) -> Self {
        Self::with_profile(Profile::Strict, literals)
    }

    /// A redactor for `profile` that also replaces each literal `(value, placeholder)`.
    pub fn with_profile(profile: Profile, literals: Vec<(String, String)>) -> Self {
        let literals = literals
            .into_iter()
            .filter(|(value, _)| !value.is_empty())
            .collect();
        Self {
            profile,
            literals,
            ids: BTreeMap::new(),
            counters: BTreeMap::new(),
        }
    }

    /// `value` with every redaction applied, recursively.
    pub fn redact_value(&mut self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact_string(text)),
            Value::Array(items) => items.iter().map(|item| self.redact_value(item)).collect(),
            Value::Object(map) => Value::Object(self.redact_object(map)),
            other => other.clone(),
        }
    }

    fn redact_object(&mut self, map: &Map<String, Value>) -> Map<String, Value> {
        map.iter()
            .map(|(key, item)| {
                let redacted = match item.as_str().and_then(|text| self.redact_field(key, text)) {
                    Some(text) => Value::String(text),
                    None => self.redact_value(item),
                };
                (key.clone(), redacted)
            })
            .collect()
    }

    /// Redactions that depend on the field name; `None` when the rule does not apply.
    fn redact_field(&mut self, key: &str, text: &str) -> Option<String> {
        // An access token's times come from the wall clock, never a frozen one, so
        // even a deterministic run signs a different token each time.
        if key == "access_token" && is_jwt(text) {
            return Some("[jwt]".to_string());
        }
        if let Profile::Deterministic { .. } = self.profile {
            return None;
        }
        match key {
            "refresh_token" | "pending_authentication_token"
                if !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Some("[token]".to_string())
            }
            "secret" if is_base32(text) => Some("[totp_secret]".to_string()),
            "qr_code" if is_png_data_uri(text) => Some("[qr_code:png]".to_string()),
            "uri" if text.starts_with(OTPAUTH_PREFIX) => {
                Some(self.redact_text(&redact_uri_secret(text)))
            }
            "code" if is_six_digits(text) => Some("[code]".to_string()),
            _ => None,
        }
    }

    /// A string anywhere: a whole timestamp, or text in which ids and literals are replaced.
    pub fn redact_string(&mut self, text: &str) -> String {
        match (timestamp_millis(text), self.profile) {
            (Some(at), Profile::Deterministic { epoch_millis })
                if at.abs_diff(epoch_millis) <= KEPT_TIMESTAMP_WINDOW_MILLIS.unsigned_abs() =>
            {
                text.to_string()
            }
            (Some(_), _) => "[timestamp]".to_string(),
            (None, _) => self.redact_text(text),
        }
    }

    fn redact_text(&mut self, text: &str) -> String {
        let mut text = text.to_string();
        for (value, placeholder) in &self.literals {
            text = text.replace(value.as_str(), placeholder);
        }
        self.replace_ids(&text)
    }

    fn replace_ids(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end, prefix) in find_ids(text) {
            out.push_str(&text[copied..start]);
            out.push_str(&self.placeholder(prefix, &text[start..end]));
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }

    fn placeholder(&mut self, prefix: &'static str, id: &str) -> String {
        if let Some(existing) = self.ids.get(id) {
            return existing.clone();
        }
        let counter = self.counters.entry(prefix).or_insert(0);
        *counter += 1;
        let placeholder = format!("[{prefix}{counter}]");
        self.ids.insert(id.to_string(), placeholder.clone());
        placeholder
    }
}

/// The redacted transcript of a run: per step its name, request line, status and body.
pub fn transcript(
    exchanges: &[Exchange],
    profile: Profile,
    literals: Vec<(String, String)>,
) -> Value {
    let mut redactor = Redactor::with_profile(profile, literals);
    let steps: Vec<Value> = exchanges
        .iter()
        .map(|exchange| {
            let request = format!("{} {}", exchange.method, redactor.redact_text(&exchange.path));
            let body = match &exchange.body {
                ResponseBody::Empty => Value::Null,
                ResponseBody::Json(value) => redactor.redact_value(value),
                ResponseBody::Text(text) => Value::String(redactor.redact_string(text)),
            };
            json!({"name": exchange.name, "request": request, "status": exchange.status, "body": body})
        })
        .collect();
    Value::Array(steps)
}

/// Every well-formed id in `text`: (start, end, prefix).
fn find_ids(text: &str) -> Vec<(usize, usize, &'static str)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        match id_at(bytes, index) {
            Some((end, prefix)) => {
                found.push((index, end, prefix));
                index = end;
            }
            None => index += 1,
        }
    }
    found
}

/// The id starting exactly at `start`, if one does: its end and prefix.
fn id_at(bytes: &[u8], start: usize) -> Option<(usize, &'static str)> {
    if start > 0 && is_word_byte(bytes[start - 1]) {
        return None;
    }
    let prefix = ID_PREFIXES
        .into_iter()
        .find(|p| bytes[start..].starts_with(p.as_bytes()))?;
    let ulid_start = start + prefix.len();
    let end = ulid_start + ULID_LEN;
    let ulid = bytes.get(ulid_start..end)?;
    let ends_cleanly = bytes.get(end).is_none_or(|b| !is_word_byte(*b));
    (ulid.iter().all(|b| is_crockford(*b)) && ends_cleanly).then_some((end, prefix))
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn is_crockford(byte: u8) -> bool {
    byte.is_ascii_digit()
        || (byte.is_ascii_uppercase() && !matches!(byte, b'I' | b'L' | b'O' | b'U'))
}

/// Base32 (RFC 4648 alphabet, upper case), optionally `=`-padded.
fn is_base32(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// Three dot-separated base64url parts, the first a JSON header: a compact JWT.
fn is_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[0])
            .is_ok_and(|header| header.first() == Some(&b'{'))
}

fn is_six_digits(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The Unix milliseconds of `text` when it is a whole RFC 3339 timestamp.
fn timestamp_millis(text: &str) -> Option<i64> {
    if text.len() < 20 {
        return None;
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

fn is_png_data_uri(text: &str) -> bool {
    text.strip_prefix(PNG_DATA_PREFIX)
        .and_then(|data| base64::engine::general_purpose::STANDARD.decode(data).ok())
        .is_some_and(|bytes| bytes.starts_with(PNG_SIGNATURE))
}

/// The `otpauth://` URI with its `secret=` parameter replaced, when it is base32.
fn redact_uri_secret(uri: &str) -> String {
    let Some((base, query)) = uri.split_once('?') else {
        return uri.to_string();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.strip_prefix("secret=") {
            Some(secret) if is_base32(secret) => "secret=[totp_secret]".to_string(),
            _ => param.to_string(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const F1: &str = "auth_factor_01HZX3K4M5N6P7Q8R9S0T1V2W3";
    const F2: &str = "auth_factor_01HZX3K4M5N6P7Q8R9S0T1V2W4";
    const C1: &str = "auth_challenge_01HZX3K4M5N6P7Q8R9S0T1V2W5";

    fn redact(value: Value) -> Value {
        Redactor::new(Vec::new()).redact_value(&value)
    }

    #[test]
    fn ids_are_numbered_per_prefix_by_first_appearance() {
        let value = json!([F2, C1, F1, F2]);
        assert_eq!(
            redact(value),
            json!([
                "[auth_factor_1]",
                "[auth_challenge_1]",
                "[auth_factor_2]",
                "[auth_factor_1]"
            ])
        );
    }

    #[test]
    fn ids_inside_messages_are_replaced_consistently() {
        let message = format!("Authentication Factor not found: '{F1}'.");
        let value = json!({"entity_id": F1, "message": message});
        let redacted = redact(value);
        assert_eq!(
            redacted["message"],
            json!("Authentication Factor not found: '[auth_factor_1]'.")
        );
        assert_eq!(redacted["entity_id"], json!("[auth_factor_1]"));
    }

    #[test]
    fn an_id_of_the_wrong_shape_is_left_visible() {
        let value = json!([
            "auth_factor_123",
            "auth_factor_01hzx3k4m5n6p7q8r9s0t1v2w3",
            format!("{F1}X"),
            format!("x{F1}")
        ]);
        assert_eq!(redact(value.clone()), value);
    }

    #[test]
    fn ids_are_numbered_across_the_path_and_the_body_of_a_transcript() {
        let exchanges = [Exchange {
            name: "get".into(),
            method: "GET".into(),
            path: format!("/auth/factors/{F2}"),
            status: 200,
            body: ResponseBody::Json(json!({"id": F2, "other": F1})),
        }];
        let value = transcript(&exchanges, Profile::Strict, Vec::new());
        assert_eq!(
            value[0]["request"],
            json!("GET /auth/factors/[auth_factor_1]")
        );
        assert_eq!(
            value[0]["body"],
            json!({"id": "[auth_factor_1]", "other": "[auth_factor_2]"})
        );
    }

    #[test]
    fn timestamps_are_redacted_only_when_they_are_rfc_3339() {
        let value =
            json!({"created_at": "2024-05-01T10:11:12.123Z", "updated_at": "2024-05-01 10:11"});
        assert_eq!(
            redact(value),
            json!({"created_at": "[timestamp]", "updated_at": "2024-05-01 10:11"})
        );
    }

    #[test]
    fn a_base32_secret_is_redacted_and_a_malformed_one_is_kept() {
        assert_eq!(
            redact(json!({"secret": "JBSWY3DPEHPK3PXP"})),
            json!({"secret": "[totp_secret]"})
        );
        assert_eq!(
            redact(json!({"secret": "jbswy3dp!"})),
            json!({"secret": "jbswy3dp!"})
        );
    }

    #[test]
    fn a_png_qr_code_is_redacted_and_another_data_uri_is_kept() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        let gif = base64::engine::general_purpose::STANDARD.encode(b"GIF89a");
        assert_eq!(
            redact(json!({"qr_code": format!("{PNG_DATA_PREFIX}{png}")})),
            json!({"qr_code": "[qr_code:png]"})
        );
        let other = json!({"qr_code": format!("{PNG_DATA_PREFIX}{gif}")});
        assert_eq!(redact(other.clone()), other);
    }

    #[test]
    fn the_otpauth_uri_keeps_everything_but_its_secret() {
        let uri = "otpauth://totp/Foo%20Corp:alan%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Foo%20Corp";
        let redacted = redact(json!({"uri": uri}));
        assert_eq!(
            redacted["uri"],
            json!(
                "otpauth://totp/Foo%20Corp:alan%40example.com?secret=[totp_secret]&issuer=Foo%20Corp"
            )
        );
    }

    #[test]
    fn only_six_digit_codes_are_redacted() {
        assert_eq!(redact(json!({"code": "012345"})), json!({"code": "[code]"}));
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        assert_eq!(
            redact(json!({"access_token": format!("{header}.e30.c2ln")})),
            json!({"access_token": "[jwt]"})
        );
        assert_eq!(
            redact(json!({"access_token": "not.a.jwt"})),
            json!({"access_token": "not.a.jwt"})
        );
        assert_eq!(
            redact(json!({"refresh_token": "yAjhKk123NLIjdrBdGZPf8pLIDvK"})),
            json!({"refresh_token": "[token]"})
        );
        assert_eq!(
            redact(json!({"code": "entity_not_found"})),
            json!({"code": "entity_not_found"})
        );
        assert_eq!(redact(json!({"code": "12345"})), json!({"code": "12345"}));
    }

    #[test]
    fn generated_literals_are_replaced_by_their_names() {
        let mut redactor = Redactor::new(vec![("01abc".into(), "[unique_1]".into())]);
        let redacted = redactor.redact_value(&json!({"email": "01abc@example.com"}));
        assert_eq!(redacted, json!({"email": "[unique_1]@example.com"}));
    }

    #[test]
    fn sms_fault_and_request_ids_are_numbered_too() {
        let value = json!({
            "id": "sms_01HZX3K4M5N6P7Q8R9S0T1V2W3",
            "fault": "because of fault fault_01HZX3K4M5N6P7Q8R9S0T1V2W3 (POST)",
            "request": "req_01HZX3K4M5N6P7Q8R9S0T1V2W3"
        });
        assert_eq!(
            redact(value),
            json!({"id": "[sms_1]", "fault": "because of fault [fault_1] (POST)", "request": "[req_1]"})
        );
    }

    fn deterministic(value: Value) -> Value {
        let epoch_millis = 1_768_478_400_000; // 2026-01-15T12:00:00Z
        Redactor::with_profile(Profile::Deterministic { epoch_millis }, Vec::new())
            .redact_value(&value)
    }

    #[test]
    fn a_deterministic_transcript_keeps_secrets_qr_codes_uris_and_codes() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        let value = json!({
            "secret": "JBSWY3DPEHPK3PXP",
            "qr_code": format!("{PNG_DATA_PREFIX}{png}"),
            "uri": "otpauth://totp/Foo:ada?secret=JBSWY3DPEHPK3PXP&issuer=Foo",
            "code": "012345"
        });
        assert_eq!(deterministic(value.clone()), value);
    }

    #[test]
    fn a_deterministic_transcript_keeps_timestamps_near_the_frozen_instant_only() {
        let value = json!({
            "created_at": "2026-01-15T12:00:00.000Z",
            "expires_at": "2026-01-15T12:10:00.000Z",
            "now": "2026-11-26T13:49:54.377Z",
            "id": F1
        });
        assert_eq!(
            deterministic(value),
            json!({
                "created_at": "2026-01-15T12:00:00.000Z",
                "expires_at": "2026-01-15T12:10:00.000Z",
                "now": "[timestamp]",
                "id": "[auth_factor_1]"
            })
        );
    }

    #[test]
    fn an_empty_or_text_body_is_kept_in_the_transcript() {
        let exchanges = [
            Exchange {
                name: "a".into(),
                method: "DELETE".into(),
                path: "/x".into(),
                status: 204,
                body: ResponseBody::Empty,
            },
            Exchange {
                name: "b".into(),
                method: "GET".into(),
                path: "/y".into(),
                status: 500,
                body: ResponseBody::Text("oops".into()),
            },
        ];
        let value = transcript(&exchanges, Profile::Strict, Vec::new());
        assert_eq!(value[0]["body"], Value::Null);
        assert_eq!(value[1]["body"], json!("oops"));
    }
}
