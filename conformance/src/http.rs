//! The only code that touches reqwest: one owned request out, one owned response back.
//!
//! Converting at this edge keeps the runner and the checks plain functions of owned
//! data. Redirects are not followed, so every status is the server's own.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

/// How long one request may take before the step fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A fully rendered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// Headers in sending order; a later one replaces an earlier one of the same name.
    pub headers: Vec<(String, String)>,
    /// The raw body, if any.
    pub body: Option<Vec<u8>>,
}

/// A response body, classified once.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody {
    /// No bytes at all.
    Empty,
    /// Bytes that parse as JSON.
    Json(Value),
    /// Bytes that do not parse as JSON (shown lossily as UTF-8).
    Text(String),
}

impl ResponseBody {
    /// Classifies raw body bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            return Self::Empty;
        }
        match serde_json::from_slice(bytes) {
            Ok(value) => Self::Json(value),
            Err(_) => Self::Text(String::from_utf8_lossy(bytes).into_owned()),
        }
    }

    /// The JSON value, when the body is JSON.
    pub fn json(&self) -> Option<&Value> {
        match self {
            Self::Json(value) => Some(value),
            _ => None,
        }
    }

    /// A one-line excerpt for reports, cut at `limit` characters.
    pub fn excerpt(&self, limit: usize) -> String {
        let full = match self {
            Self::Empty => "(empty)".to_string(),
            Self::Json(value) => value.to_string(),
            Self::Text(text) => text.clone(),
        };
        cut(&full, limit)
    }
}

/// `text` cut to at most `limit` characters, marking the cut with `…`.
pub fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_string(),
    }
}

/// A received response.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The status code.
    pub status: u16,
    /// Headers by lower-case name; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: ResponseBody,
}

/// The HTTP client the runner uses: no redirects, a per-request timeout.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Sends `request` and reads the whole response.
pub async fn send(client: &reqwest::Client, request: Outgoing) -> Result<Incoming, String> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("{:?} is not an HTTP method", request.method))?;
    let mut builder = client
        .request(method, &request.url)
        .headers(header_map(&request.headers)?);
    if let Some(body) = request.body {
        builder = builder.body(body);
    }
    let response = builder.send().await.map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let headers = owned_headers(response.headers());
    let bytes = response.bytes().await.map_err(|e| {
        format!(
            "reading the response from {} failed: {}",
            request.url,
            describe(&e)
        )
    })?;
    Ok(Incoming {
        status,
        headers,
        body: ResponseBody::from_bytes(&bytes),
    })
}

fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a valid header name"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of header {name} is not a valid header value"))?;
        map.insert(name, value);
    }
    Ok(map)
}

fn owned_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut owned: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        owned
            .entry(name.as_str().to_string())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    owned
}

/// The error with its causes, which reqwest keeps in the source chain.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_classified_as_empty_json_or_text() {
        assert_eq!(ResponseBody::from_bytes(b""), ResponseBody::Empty);
        assert_eq!(
            ResponseBody::from_bytes(b"{\"a\":1}"),
            ResponseBody::Json(json!({"a": 1}))
        );
        assert_eq!(
            ResponseBody::from_bytes(b"nope"),
            ResponseBody::Text("nope".into())
        );
    }

    #[test]
    fn excerpts_are_cut_on_character_boundaries() {
        assert_eq!(cut("héllo", 2), "hé…");
        assert_eq!(cut("hi", 2), "hi");
    }

    #[test]
    fn later_headers_replace_earlier_ones_of_the_same_name() {
        let headers = vec![
            ("authorization".to_string(), "Bearer a".to_string()),
            ("Authorization".to_string(), "Bearer b".to_string()),
        ];
        let map = header_map(&headers).expect("valid headers");
        assert_eq!(map.get_all("authorization").iter().count(), 1);
        assert_eq!(
            map.get("authorization").map(HeaderValue::as_bytes),
            Some(&b"Bearer b"[..])
        );
    }
}
