//! The request journal: what each request of a tenant looked like, what it got
//! back, and what a stricter server would have refused, so an SDK author sees
//! exactly what their client sent.

use std::borrow::Cow;
use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Method, header};
use serde::Serialize;
use serde_json::Value;

use crate::bounded::Bounded;
use crate::clock::Timestamp;
use crate::error::FieldError;
use crate::request::ApiRequest;

/// How many requests a tenant's journal keeps by default; older ones drop off.
pub(crate) const DEFAULT_CAPACITY: usize = 1000;
/// Longest body kept in an entry; longer ones are cut and marked.
pub(crate) const MAX_BODY_CHARS: usize = 64 * 1024;

/// One journaled request, kept as it arrived: turning it into JSON (headers as
/// text, the body parsed) waits until someone lists the journal. The path,
/// query and headers are copied into one buffer, so recording a request (and
/// dropping the entry it pushes out) is a handful of allocations whatever the
/// headers, and nothing points into the connection's read buffer.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    id: String,
    received_at: Timestamp,
    method: Method,
    request: PackedRequest,
    body: Bytes,
    status: u16,
    problems: Vec<FieldError>,
}

/// The request's path, query and headers, end to end in one buffer.
#[derive(Debug, Clone)]
struct PackedRequest {
    text: Vec<u8>,
    /// Where the path ends and the query ends.
    path_end: usize,
    query_end: usize,
    /// For each header, where its name ends and where its value ends.
    headers: Vec<(usize, usize)>,
}

impl PackedRequest {
    fn new(request: &ApiRequest) -> Self {
        let header_bytes: usize = request
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        let mut text = Vec::with_capacity(request.path.len() + request.query.len() + header_bytes);
        text.extend_from_slice(request.path.as_bytes());
        let path_end = text.len();
        text.extend_from_slice(request.query.as_bytes());
        let query_end = text.len();
        let headers = request
            .headers
            .iter()
            .map(|(name, value)| {
                text.extend_from_slice(name.as_str().as_bytes());
                let name_end = text.len();
                text.extend_from_slice(value.as_bytes());
                (name_end, text.len())
            })
            .collect();
        Self {
            text,
            path_end,
            query_end,
            headers,
        }
    }

    fn path(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.text[..self.path_end])
    }

    fn query(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.text[self.path_end..self.query_end])
    }

    /// Header names and values, in the order they arrived.
    fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let starts = std::iter::once(self.query_end).chain(self.headers.iter().map(|h| h.1));
        starts
            .zip(&self.headers)
            .map(|(start, &(name_end, value_end))| {
                (&self.text[start..name_end], &self.text[name_end..value_end])
            })
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
        Self {
            id: id.to_owned(),
            received_at: now,
            method: request.method.clone(),
            request: PackedRequest::new(request),
            body: Bytes::copy_from_slice(&request.body),
            status,
            problems,
        }
    }

    /// The entry as `GET /_mock/requests` lists it: the API key shown as
    /// `[redacted]`, the body as JSON when it parses, else as text.
    pub fn to_json(&self) -> Value {
        let (path, query) = (self.request.path(), self.request.query());
        let wire = EntryWire {
            object: "request",
            id: &self.id,
            received_at: self.received_at,
            method: self.method.as_str(),
            path: &path,
            query: Some(query.as_ref()).filter(|query| !query.is_empty()),
            headers: headers(&self.request),
            body: body(&self.body),
            status: self.status,
            problems: &self.problems,
        };
        serde_json::to_value(wire).unwrap_or(Value::Null)
    }
}

fn headers(request: &PackedRequest) -> BTreeMap<String, String> {
    request
        .headers()
        .map(|(name, value)| {
            let name = String::from_utf8_lossy(name).into_owned();
            let shown = if name == header::AUTHORIZATION.as_str() {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value).into_owned()
            };
            (name, shown)
        })
        .collect()
}

fn body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if bytes.len() <= MAX_BODY_CHARS
        && let Ok(mut json) = serde_json::from_slice::<Value>(bytes)
    {
        redact(&mut json);
        return json;
    }
    let text = String::from_utf8_lossy(bytes);
    if SECRET_FIELDS.iter().any(|name| text.contains(name)) {
        return Value::String(format!(
            "[redacted: a body that is not a JSON object and may hold a secret, {} bytes]",
            bytes.len()
        ));
    }
    match text.char_indices().nth(MAX_BODY_CHARS) {
        Some((cut, _)) => {
            Value::String(format!("{}… [{} bytes in all]", &text[..cut], bytes.len()))
        }
        None => Value::String(text.into_owned()),
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
    use http::HeaderValue;

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
        let long = ApiRequest::new(Method::POST, "/x", "a".repeat(MAX_BODY_CHARS + 10));
        let text = entry(&long).to_json()["body"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(text.ends_with(&format!("[{} bytes in all]", MAX_BODY_CHARS + 10)));
    }
}
