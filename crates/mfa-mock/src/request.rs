//! The edge: the only code that reads hyper's request body.
//!
//! A hyper request becomes an owned [`ApiRequest`] once, with the body-size
//! limit enforced on the way in. Everything behind it (auth, routing, handlers)
//! is a plain function of owned data that tests can call without a socket.
//!
//! It knows nothing of routes or schemas: it says what arrived (JSON object,
//! nulls dropped) and leaves what is allowed to `handlers` and `validation`.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderMap, Method, Request, header};
use http_body_util::BodyExt;
use hyper::body::Body;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A request as the handlers see it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path, percent-encoded as received, without the query string.
    pub path: String,
    /// The raw query string, without `?` (empty if none).
    pub query: String,
    /// The request headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl ApiRequest {
    /// Reads `request` whole, refusing bodies over `limit` bytes with a 413.
    pub async fn from_hyper<B>(request: Request<B>, limit: usize) -> Result<Self, ApiError>
    where
        B: Body,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let (parts, body) = request.into_parts();
        let body = read_body(body, limit).await?;
        Ok(Self {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts.headers,
            body,
        })
    }

    /// A request built by hand; for tests and tools.
    pub fn new(method: Method, path_and_query: &str, body: impl Into<Bytes>) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// The body as a JSON object, the way SDKs send it.
    ///
    /// An empty body and a literal `null` are an empty object, and keys whose
    /// value is `null` are dropped (SDKs send explicit nulls for absent fields).
    /// Anything else that is not a JSON object is a 400 saying what arrived.
    pub fn json_object(&self) -> Result<Map<String, Value>, ApiError> {
        self.json_body().map(|body| body.object)
    }

    /// [`Self::json_object`], and the names of the keys dropped for being `null`.
    pub fn json_body(&self) -> Result<JsonBody, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody::default());
        }
        self.check_content_type()?;
        let value: Value = serde_json::from_slice(&self.body).map_err(|error| {
            ApiError::InvalidJson(format!(
                "The request body is not valid JSON ({error}). Send a JSON object, e.g. \
                 {{\"type\": \"totp\"}}."
            ))
        })?;
        match value {
            Value::Null => Ok(JsonBody::default()),
            Value::Object(mut object) => {
                let nulls = object
                    .iter()
                    .filter(|(_, value)| value.is_null())
                    .map(|(key, _)| key.clone())
                    .collect();
                object.retain(|_, value| !value.is_null());
                Ok(JsonBody { object, nulls })
            }
            other => Err(ApiError::InvalidJson(format!(
                "The request body must be a JSON object; got {}.",
                json_kind(&other)
            ))),
        }
    }

    /// The query parameters, percent-decoded, in order.
    pub fn query_params(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }

    fn check_content_type(&self) -> Result<(), ApiError> {
        let Some(value) = self.headers.get(header::CONTENT_TYPE) else {
            return Ok(());
        };
        let mime = value
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if mime == "application/json" || mime.ends_with("+json") {
            return Ok(());
        }
        Err(ApiError::InvalidContentType(format!(
            "The request body must be JSON: send `Content-Type: application/json`; got `{}`.",
            String::from_utf8_lossy(value.as_bytes())
        )))
    }
}

/// A request body as a JSON object.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct JsonBody {
    /// The object, without its `null` members.
    pub object: Map<String, Value>,
    /// The keys that were sent as `null`.
    pub nulls: Vec<String>,
}

/// How far past the limit an oversized body is still read (and thrown away).
///
/// Clients that send the whole body before reading the answer would otherwise
/// see a broken pipe instead of the 413; beyond this, the connection is cut.
pub(crate) const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// The body, up to `limit` bytes; a larger one is drained (up to
/// [`DRAIN_BYTES`] more) so the client can read the 413.
async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let mut body = std::pin::pin!(body);
    let mut kept = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            ApiError::InvalidJson(format!("The request body could not be read: {error}."))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.remaining());
        if seen <= limit {
            kept.put(data);
        } else if seen > limit.saturating_add(DRAIN_BYTES) {
            break;
        }
    }
    match seen <= limit {
        true => Ok(kept.freeze()),
        false => Err(ApiError::PayloadTooLarge { limit }),
    }
}

/// How a JSON value is named in messages: "an array", "a string", ….
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http_body_util::Full;
    use serde_json::json;

    fn post(body: &str) -> ApiRequest {
        ApiRequest::new(Method::POST, "/x", body.to_owned())
    }

    #[test]
    fn an_empty_body_and_a_null_body_are_an_empty_object() {
        assert_eq!(post("").json_object(), Ok(Map::new()));
        assert_eq!(post("  \n").json_object(), Ok(Map::new()));
        assert_eq!(post("null").json_object(), Ok(Map::new()));
    }

    #[test]
    fn null_valued_keys_are_dropped() {
        let object = post(r#"{"type":"totp","user_id":null}"#)
            .json_object()
            .expect("object");
        assert_eq!(Value::Object(object), json!({"type": "totp"}));
    }

    #[test]
    fn malformed_json_and_non_objects_are_400s_that_say_what_arrived() {
        assert!(matches!(
            post("{\"type\":").json_object(),
            Err(ApiError::InvalidJson(_))
        ));
        match post("[1,2]").json_object() {
            Err(ApiError::InvalidJson(message)) => assert!(message.contains("an array")),
            other => panic!("expected invalid JSON, got {other:?}"),
        }
    }

    #[test]
    fn a_non_json_content_type_is_refused_and_json_variants_are_accepted() {
        let mut request = post("{}");
        request
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(matches!(
            request.json_object(),
            Err(ApiError::InvalidContentType(_))
        ));
        for accepted in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            request
                .headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(accepted));
            assert!(request.json_object().is_ok(), "{accepted}");
        }
    }

    #[test]
    fn query_parameters_are_percent_decoded() {
        let request = ApiRequest::new(Method::GET, "/x?limit=2&after=a%5Fb", "");
        assert_eq!(
            request.query_params(),
            [
                ("limit".to_owned(), "2".to_owned()),
                ("after".to_owned(), "a_b".to_owned())
            ]
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_413() {
        let request = Request::new(Full::new(Bytes::from(vec![b' '; 11])));
        let result = ApiRequest::from_hyper(request, 10).await;
        assert!(matches!(
            result,
            Err(ApiError::PayloadTooLarge { limit: 10 })
        ));
    }

    #[tokio::test]
    async fn a_body_at_the_limit_is_kept_whole() {
        let request = Request::new(Full::new(Bytes::from(vec![b' '; 10])));
        let result = ApiRequest::from_hyper(request, 10)
            .await
            .expect("within the limit");
        assert_eq!(result.body.len(), 10);
    }
}
