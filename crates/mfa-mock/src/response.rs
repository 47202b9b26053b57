//! What a handler answers: a status, an optional JSON body and extra headers.
//!
//! Kept free of hyper so handlers stay plain functions; `server.rs` turns it
//! into a hyper response and adds `X-Request-Id`.

use std::time::Duration;

use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// The content type of every body this server sends.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A response before it meets the wire.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body, or `None` for an empty body without a content type.
    pub body: Option<Value>,
    /// Headers beyond content type and request id (e.g. `Allow`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// How long to wait before sending it (an injected fault's delay).
    pub delay: Option<Duration>,
    /// The `X-Request-Id`, when the tenant's generator made it.
    pub request_id: Option<String>,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
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
