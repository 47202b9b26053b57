//! The request journal: what each request of a tenant looked like, what it got
//! back, and what a stricter server would have refused, so an SDK author sees
//! exactly what their client sent.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, header};
use serde::Serialize;
use serde_json::Value;

use crate::bounded::{Bounded, Weigh};
use crate::clock::Timestamp;
use crate::error::FieldError;
use crate::request::ApiRequest;

/// How many requests a tenant's journal keeps by default; older ones drop off.
pub(crate) const DEFAULT_CAPACITY: usize = 1000;
/// How many bytes a tenant's journal keeps by default; older entries drop off.
pub(crate) const DEFAULT_BYTE_CAP: usize = 4 * 1024 * 1024;
/// The longest body prefix kept in an entry; the rest is counted, not kept.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024;
/// The longest header value kept in an entry; the rest is counted, not kept.
const MAX_HEADER_VALUE_BYTES: usize = 1024;
/// The most problems kept in an entry: a body of a million unknown fields
/// would otherwise make megabytes of them.
const MAX_PROBLEMS: usize = 64;

/// One journaled request: its path, query and headers copied out of the
/// connection's buffers, and at most [`MAX_BODY_BYTES`] of its body. Turning
/// it into JSON (the body parsed) waits until someone lists the journal.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    id: String,
    received_at: Timestamp,
    method: Method,
    path: String,
    query: String,
    /// The headers, in arrival order.
    headers: Vec<KeptHeader>,
    /// The body's first [`MAX_BODY_BYTES`] bytes.
    body: Bytes,
    /// How long the whole body was.
    body_len: usize,
    status: u16,
    problems: Vec<FieldError>,
}

/// A header as journaled: its name (a static or shared `HeaderName`, so
/// cloning it allocates nothing), at most [`MAX_HEADER_VALUE_BYTES`] of its
/// value as sent, and how long the value was. Turning the value into text
/// waits until someone lists the journal.
#[derive(Debug, Clone)]
struct KeptHeader {
    name: HeaderName,
    value: Bytes,
    len: usize,
}

impl KeptHeader {
    fn new(name: &HeaderName, value: &HeaderValue) -> Self {
        let bytes = value.as_bytes();
        Self {
            name: name.clone(),
            value: Bytes::copy_from_slice(&bytes[..bytes.len().min(MAX_HEADER_VALUE_BYTES)]),
            len: bytes.len(),
        }
    }

    /// The value as text, with how long it was when it was cut.
    fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.value);
        match self.len > self.value.len() {
            true => format!("{text}… [{} bytes in all]", self.len),
            false => text.into_owned(),
        }
    }
}

/// How a journal entry is written on the wire.
#[derive(Serialize)]
struct EntryWire<'a> {
    object: &'static str,
    id: &'a str,
    received_at: Timestamp,
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: BTreeMap<String, String>,
    body: Value,
    /// Present (true) only when the body was longer than what was kept.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    body_truncated: bool,
    status: u16,
    problems: &'a [FieldError],
}

impl JournalEntry {
    /// The entry for `request`, answered `status` at `now`.
    pub fn new(
        id: &str,
        request: &ApiRequest,
        status: u16,
        problems: Vec<FieldError>,
        now: Timestamp,
    ) -> Self {
        let headers = request
            .headers
            .iter()
            .map(|(name, value)| KeptHeader::new(name, value))
            .collect();
        let kept = request.body.len().min(MAX_BODY_BYTES);
        let mut problems = problems;
        problems.truncate(MAX_PROBLEMS);
        Self {
            id: id.to_owned(),
            received_at: now,
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers,
            body: Bytes::copy_from_slice(&request.body[..kept]),
            body_len: request.body.len(),
            status,
            problems,
        }
    }

    /// The entry as `GET /_mock/requests` lists it: the API key shown as
    /// `[redacted]`, the body as JSON when it parses, else as text.
    pub fn to_json(&self) -> Value {
        let wire = EntryWire {
            object: "request",
            id: &self.id,
            received_at: self.received_at,
            method: self.method.as_str(),
            path: &self.path,
            query: Some(self.query.as_str()).filter(|query| !query.is_empty()),
            headers: self.shown_headers(),
            body: body(&self.body, self.body_len),
            body_truncated: self.body_len > self.body.len(),
            status: self.status,
            problems: &self.problems,
        };
        serde_json::to_value(wire).unwrap_or(Value::Null)
    }
}

impl JournalEntry {
    fn shown_headers(&self) -> BTreeMap<String, String> {
        self.headers
            .iter()
            .map(|kept| {
                let shown = if kept.name == header::AUTHORIZATION {
                    "[redacted]".to_owned()
                } else {
                    kept.text()
                };
                (kept.name.as_str().to_owned(), shown)
            })
            .collect()
    }
}

impl Weigh for JournalEntry {
    fn weight(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|kept| {
                std::mem::size_of::<KeptHeader>() + kept.name.as_str().len() + kept.value.len()
            })
            .sum();
        let problems: usize = self
            .problems
            .iter()
            .map(|p| {
                p.code.len() + p.field.len() + p.message.len() + 3 * std::mem::size_of::<String>()
            })
            .sum();
        std::mem::size_of::<Self>()
            + self.id.len()
            + self.path.len()
            + self.query.len()
            + headers
            + self.body.len()
            + problems
    }
}

/// The kept body as JSON when it is whole and parses, else as text; a cut
/// body ends with how long it was.
fn body(kept: &[u8], len: usize) -> Value {
    if len == 0 {
        return Value::Null;
    }
    if kept.len() == len
        && let Ok(mut json) = serde_json::from_slice::<Value>(kept)
    {
        redact(&mut json);
        return json;
    }
    let text = String::from_utf8_lossy(kept);
    if SECRET_FIELDS.iter().any(|name| text.contains(name)) {
        return Value::String(format!(
            "[redacted: a body that is not a whole JSON object and may hold a secret, {len} bytes]"
        ));
    }
    match kept.len() < len {
        true => Value::String(format!("{text}… [{len} bytes in all]")),
        false => Value::String(text.into_owned()),
    }
}

/// Body fields shown as `[redacted]`: a password, an API key sent as the
/// OAuth `client_secret`, and a refresh token that is still usable.
const SECRET_FIELDS: [&str; 3] = ["password", "client_secret", "refresh_token"];

fn redact(body: &mut Value) {
    if let Value::Object(fields) = body {
        for name in SECRET_FIELDS {
            if let Some(value) = fields.get_mut(name)
                && !value.is_null()
            {
                *value = Value::String("[redacted]".to_owned());
            }
        }
    }
}

/// The journaled requests, newest first, at most a capacity of them.
pub(crate) type Journal = Bounded<JournalEntry>;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(request: &ApiRequest) -> JournalEntry {
        JournalEntry::new(
            "req_1",
            request,
            201,
            Vec::new(),
            Timestamp::from_unix_millis(0),
        )
    }

    #[test]
    fn the_api_key_is_redacted_and_other_headers_kept() {
        let mut request = ApiRequest::new(
            Method::POST,
            "/auth/factors/enroll?x=1",
            "{\"type\":\"totp\"}",
        );
        request.headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sk_test_secret"),
        );
        request.headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static("workos-node/11.0.0"),
        );
        let entry = entry(&request).to_json();
        assert_eq!(entry["headers"]["authorization"], "[redacted]");
        assert_eq!(entry["headers"]["user-agent"], "workos-node/11.0.0");
        assert_eq!(entry["query"], "x=1");
        assert_eq!(entry["body"], serde_json::json!({"type": "totp"}));
        assert_eq!(entry["object"], "request");
    }

    #[test]
    fn a_long_header_value_is_cut_and_says_how_long_it_was_and_odd_bytes_show_as_text() {
        let mut request = ApiRequest::new(Method::GET, "/auth/factors/f1", "");
        let long = "x".repeat(MAX_HEADER_VALUE_BYTES + 5);
        request.headers.insert(
            header::USER_AGENT,
            HeaderValue::from_str(&long).expect("visible ASCII"),
        );
        request.headers.insert(
            HeaderName::from_static("x-odd"),
            HeaderValue::from_bytes(b"caf\xe9").expect("an opaque byte"),
        );
        let entry = entry(&request);
        assert!(
            entry.weight() < 2 * MAX_HEADER_VALUE_BYTES,
            "only the prefix is kept"
        );
        let json = entry.to_json();
        assert_eq!(
            json["headers"]["user-agent"],
            format!(
                "{}… [{} bytes in all]",
                "x".repeat(MAX_HEADER_VALUE_BYTES),
                MAX_HEADER_VALUE_BYTES + 5
            )
        );
        assert_eq!(json["headers"]["x-odd"], "caf\u{fffd}");
    }

    #[test]
    fn passwords_api_keys_and_refresh_tokens_in_a_body_are_redacted() {
        let request = ApiRequest::new(
            Method::POST,
            "/user_management/authenticate",
            r#"{"grant_type":"password","email":"a@b.c","password":"hunter2","client_secret":"sk_test_x","refresh_token":"r"}"#,
        );
        let body = entry(&request).to_json()["body"].clone();
        assert_eq!(body["password"], "[redacted]");
        assert_eq!(body["client_secret"], "[redacted]");
        assert_eq!(body["refresh_token"], "[redacted]");
        assert_eq!(body["email"], "a@b.c");
        assert!(!body.to_string().contains("hunter2"));
        let form = ApiRequest::new(Method::POST, "/x", "email=a&password=hunter2");
        let shown = entry(&form).to_json()["body"].to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_body_that_is_not_json_is_kept_as_text_and_long_ones_are_cut() {
        let request = ApiRequest::new(Method::POST, "/x", "type=totp");
        assert_eq!(
            entry(&request).to_json()["body"],
            Value::String("type=totp".into())
        );
        let long = ApiRequest::new(Method::POST, "/x", "a".repeat(MAX_BODY_BYTES + 10));
        let long = entry(&long);
        assert!(
            long.weight() < MAX_BODY_BYTES + 1024,
            "only the prefix is kept"
        );
        let json = long.to_json();
        let text = json["body"].as_str().map(str::to_owned).unwrap_or_default();
        assert!(text.ends_with(&format!("[{} bytes in all]", MAX_BODY_BYTES + 10)));
        assert_eq!(json["body_truncated"], true);
        assert!(entry(&request).to_json().get("body_truncated").is_none());
    }
}
