//! What a handler answers: a status, an optional JSON body and extra headers.
//!
//! Kept free of hyper so handlers stay plain functions; `server.rs` turns it
//! into a hyper response and adds `X-Request-Id`.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::Value;

/// The content type of every body this server sends.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A response before it meets the wire.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body, or `None` for an empty body without a content type.
    pub body: Option<JsonBody>,
    /// A body built into the binary (the inspector page), sent when there is no JSON body.
    pub document: Option<Document>,
    /// Headers beyond content type and request id (e.g. `Allow`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// How long to wait before sending it (an injected fault's delay).
    pub delay: Option<Duration>,
    /// The `X-Request-Id`, when the tenant's generator made it.
    pub request_id: Option<String>,
}

impl ApiResponse {
    /// A JSON response: `body` is encoded once, here.
    pub fn json(status: StatusCode, body: impl Serialize) -> Self {
        Self {
            status,
            body: Some(JsonBody::encode(&body)),
            document: None,
            headers: Vec::new(),
            delay: None,
            request_id: None,
        }
    }

    /// `204 No Content`: no body, no content type.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            document: None,
            headers: Vec::new(),
            delay: None,
            request_id: None,
        }
    }

    /// `status` with an empty body and no content type (`Content-Length: 0`).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            ..Self::no_content()
        }
    }

    /// `200 OK` with `document` as the body.
    pub fn document(document: Document) -> Self {
        Self {
            status: StatusCode::OK,
            body: None,
            document: Some(document),
            headers: Vec::new(),
            delay: None,
            request_id: None,
        }
    }

    /// This response with one more header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// A body that is not JSON: bytes built into the binary, with their content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document {
    /// The bytes sent.
    pub bytes: &'static [u8],
    /// Their `Content-Type`.
    pub content_type: &'static str,
}

/// A JSON body, encoded once when the response is made.
///
/// Handlers serialise their view structs straight into bytes, with no
/// `serde_json::Value` tree in between; replaying or sending the body is a
/// reference-count bump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonBody(Bytes);

/// Room a body starts with: a factor, a challenge or an error fits, where
/// `serde_json::to_vec`'s 128 bytes grew once for nearly every response (2.2%
/// of a `GET`'s instructions, `crates/mfa-load/callgrind/measure.sh`).
const BODY_CAPACITY: usize = 512;

impl JsonBody {
    /// `value` as JSON. Every body this server sends is a tree of strings,
    /// numbers, booleans and string-keyed maps, which always serialises; were
    /// one not to, the body would be `null` rather than a half-written document.
    pub fn encode(value: &impl Serialize) -> Self {
        let mut bytes = Vec::with_capacity(BODY_CAPACITY);
        match serde_json::to_writer(&mut bytes, value) {
            Ok(()) => Self(Bytes::from(bytes)),
            Err(_) => Self(Bytes::from_static(b"null")),
        }
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }

    /// The body parsed back into a value, for tests and tools that inspect it.
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.0).unwrap_or(Value::Null)
    }
}
