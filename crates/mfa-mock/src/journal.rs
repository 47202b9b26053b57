//! The request journal: what each request of a tenant looked like, what it got
//! back, and what a stricter server would have refused, so an SDK author sees
//! exactly what their client sent.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderValue, header};
use serde::Serialize;
use serde_json::Value;

use crate::bounded::Bounded;
use crate::clock::Timestamp;
use crate::error::FieldError;
use crate::request::ApiRequest;

/// How many requests a tenant's journal keeps by default; older ones drop off.
pub const DEFAULT_CAPACITY: usize = 1000;
/// Longest body kept in an entry; longer ones are cut and marked.
pub const MAX_BODY_CHARS: usize = 64 * 1024;

/// One journaled request, kept as it arrived: turning it into JSON (headers as
/// text, the body parsed) waits until someone lists the journal, so recording
/// a request costs little more than a few reference-counted clones.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    id: String,
    received_at: Timestamp,
    request: ApiRequest,
    status: u16,
    problems: Vec<FieldError>,
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
            request: detached(request),
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
            method: self.request.method.as_str(),
            path: &self.request.path,
            query: Some(self.request.query.as_str()).filter(|query| !query.is_empty()),
            headers: headers(&self.request),
            body: body(&self.request.body),
            status: self.status,
            problems: &self.problems,
        };
        serde_json::to_value(wire).unwrap_or(Value::Null)
    }
}

/// A copy of `request` that shares no memory with the connection: hyper's
/// header values are slices of its read buffer, and a journal entry holding
/// them would keep that whole buffer alive.
fn detached(request: &ApiRequest) -> ApiRequest {
    let mut copy = request.clone();
    copy.headers = request
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let owned = HeaderValue::from_bytes(value.as_bytes()).ok()?;
            Some((name.clone(), owned))
        })
        .collect();
    copy.body = Bytes::copy_from_slice(&request.body);
    copy
}

fn headers(request: &ApiRequest) -> BTreeMap<String, String> {
    request
        .headers
        .iter()
        .map(|(name, value)| {
            let shown = if name == header::AUTHORIZATION {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

fn body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if bytes.len() <= MAX_BODY_CHARS
        && let Ok(json) = serde_json::from_slice(bytes)
    {
        return json;
    }
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(MAX_BODY_CHARS) {
        Some((cut, _)) => {
            Value::String(format!("{}… [{} bytes in all]", &text[..cut], bytes.len()))
        }
        None => Value::String(text.into_owned()),
    }
}

/// The journaled requests, newest first, at most a capacity of them.
pub type Journal = Bounded<JournalEntry>;

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Method};

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
