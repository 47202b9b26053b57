//! Injected faults: make matching requests fail, or slow down, a given number
//! of times, so a test can exercise its retries and timeouts.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{HeaderName, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::error::FieldError;
use crate::response::ApiResponse;

/// The longest delay a fault may add.
pub(crate) const MAX_DELAY_MS: u64 = 300_000;
/// The most faults one tenant may have active at once.
pub(crate) const MAX_FAULTS: usize = 100;
/// The largest fault (its body and headers, as JSON) a tenant may add.
pub(crate) const MAX_FAULT_BYTES: usize = 16 * 1024;
/// Headers that frame the message: the HTTP layer sets them from the body it
/// sends, and a fault that overrode them would leave the client waiting for
/// bytes that never come (or reading the next response as this one's body).
const FRAMING_HEADERS: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
];

/// A fault as a test asks for it (`POST /_mock/faults`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The method to match, or `*` for any.
    pub method: String,
    /// The path to match; `*` matches any run of characters.
    pub path: String,
    /// The status to answer with; without it the request only slows down.
    pub status: Option<u16>,
    /// The body to answer with (a WorkOS-shaped error by default).
    pub body: Option<Value>,
    /// Extra response headers, e.g. `{"Retry-After": "2"}`.
    pub headers: Option<BTreeMap<String, String>>,
    /// Milliseconds to wait before answering.
    pub delay_ms: Option<u64>,
    /// How many matching requests it applies to; absent means until removed.
    pub times: Option<u32>,
}

/// An active fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fault {
    /// Always `"fault"`.
    pub object: &'static str,
    /// `fault_` + ULID.
    pub id: String,
    /// The method it matches (upper case, or `*`).
    pub method: String,
    /// The path pattern it matches.
    pub path: String,
    /// The status it answers with, if it fails requests.
    pub status: Option<u16>,
    /// The body it answers with, if it fails requests.
    pub body: Option<Value>,
    /// Headers it adds.
    pub headers: BTreeMap<String, String>,
    /// Milliseconds it waits before answering.
    pub delay_ms: Option<u64>,
    /// How many more requests it applies to; null means until removed.
    pub times_remaining: Option<u32>,
    /// When it was created, by the tenant's clock.
    pub created_at: Timestamp,
}

impl Fault {
    /// Checks `spec` and makes it an active fault called `id`.
    pub fn from_spec(spec: FaultSpec, id: String, now: Timestamp) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let method = spec.method.trim().to_ascii_uppercase();
        if method != "*" && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase())) {
            errors.push(FieldError::new(
                "method",
                "invalid_value",
                "`method` must be an HTTP method such as \"POST\", or \"*\".",
            ));
        }
        if !(spec.path.starts_with('/') || spec.path == "*") {
            errors.push(FieldError::new("path", "invalid_format", "`path` must start with /, e.g. \"/auth/factors/enroll\" or \"/auth/challenges/*/verify\", or be \"*\"."));
        }
        if spec
            .status
            .is_some_and(|status| StatusCode::from_u16(status).is_err() || status < 200)
        {
            errors.push(FieldError::new(
                "status",
                "out_of_range",
                "`status` must be an HTTP status from 200 to 599.",
            ));
        }
        if spec.status.is_none() && spec.delay_ms.is_none() {
            errors.push(FieldError::new(
                "status",
                "required",
                "Send `status` (to fail requests), `delay_ms` (to slow them), or both.",
            ));
        }
        if spec.delay_ms.is_some_and(|delay| delay > MAX_DELAY_MS) {
            errors.push(FieldError::new(
                "delay_ms",
                "out_of_range",
                format!("`delay_ms` must be at most {MAX_DELAY_MS}."),
            ));
        }
        if spec.times == Some(0) {
            errors.push(FieldError::new(
                "times",
                "out_of_range",
                "`times` must be at least 1; leave it out for a fault that lasts until removed.",
            ));
        }
        let headers = spec.headers.unwrap_or_default();
        let size = spec.path.len()
            + spec.body.as_ref().map_or(0, |body| body.to_string().len())
            + headers
                .iter()
                .map(|(n, v)| n.len() + v.len())
                .sum::<usize>();
        if size > MAX_FAULT_BYTES {
            errors.push(FieldError::new(
                "body",
                "too_long",
                format!("A fault's `path`, `body` and `headers` together must be at most {MAX_FAULT_BYTES} bytes as JSON; these are {size}."),
            ));
        }
        for name in headers.keys() {
            if FRAMING_HEADERS
                .iter()
                .any(|framing| name.eq_ignore_ascii_case(framing))
            {
                errors.push(FieldError::new(
                    "headers",
                    "framing_header",
                    format!("`{name}` frames the response and is set by the server; a fault may not set Content-Length, Transfer-Encoding, Connection, Keep-Alive or Upgrade."),
                ));
            }
        }
        for (name, value) in &headers {
            if HeaderName::from_bytes(name.as_bytes()).is_err()
                || HeaderValue::from_str(value).is_err()
            {
                errors.push(FieldError::new(
                    "headers",
                    "invalid_value",
                    format!("`{name}: {value}` is not a valid HTTP header."),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            object: "fault",
            id,
            method,
            path: spec.path,
            status: spec.status,
            body: spec.body,
            headers,
            delay_ms: spec.delay_ms,
            times_remaining: spec.times,
            created_at: now,
        })
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method == method) && wildcard_match(&self.path, path)
    }

    /// How long to wait before answering.
    pub fn delay(&self) -> Option<Duration> {
        self.delay_ms.map(Duration::from_millis)
    }

    /// The response a failing fault sends, or `None` for a delay-only fault.
    pub fn response(&self) -> Option<ApiResponse> {
        let status = StatusCode::from_u16(self.status?).ok()?;
        let body = self.body.clone().unwrap_or_else(|| {
            json!({
                "code": "injected_fault",
                "message": format!("mfa-mock answered {status} because of fault {} (POST /_mock/faults).", self.id),
            })
        });
        let mut response = ApiResponse::json(status, body);
        let retryable = matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        );
        if retryable
            && !self
                .headers
                .keys()
                .any(|name| name.eq_ignore_ascii_case("retry-after"))
        {
            response = response.with_header(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response = response.with_header(name, value);
            }
        }
        Some(response)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Refused: the tenant already has [`MAX_FAULTS`] active faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyFaults;

/// A tenant's active faults, in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    active: Mutex<Vec<Fault>>,
    /// The weight of the active faults, kept as they come and go so the
    /// store's memory check never re-serialises a body.
    bytes: AtomicUsize,
}

/// Roughly what `fault` holds in memory; its body counts four times its JSON
/// text, as a parsed `Value` costs several times its text.
fn weight(fault: &Fault) -> usize {
    let body = fault.body.as_ref().map_or(0, |body| body.to_string().len());
    let headers: usize = fault
        .headers
        .iter()
        .map(|(name, value)| name.len() + value.len() + 64)
        .sum();
    std::mem::size_of::<Fault>() + fault.id.len() + fault.path.len() + 4 * body + headers
}

impl Faults {
    /// Adds a fault, unless [`MAX_FAULTS`] are already active.
    pub fn add(&self, fault: Fault) -> Result<(), TooManyFaults> {
        let mut active = self.lock();
        if active.len() >= MAX_FAULTS {
            return Err(TooManyFaults);
        }
        self.bytes.fetch_add(weight(&fault), Ordering::Relaxed);
        active.push(fault);
        Ok(())
    }

    /// The approximate bytes the active faults hold.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Every active fault.
    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    /// Removes the fault `id`; `false` if there was none.
    pub fn remove(&self, id: &str) -> bool {
        let mut active = self.lock();
        let Some(index) = active.iter().position(|fault| fault.id == id) else {
            return false;
        };
        let removed = active.remove(index);
        self.bytes.fetch_sub(weight(&removed), Ordering::Relaxed);
        true
    }

    /// The first fault matching the request, used up once (and dropped when spent).
    pub fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut active = self.lock();
        let index = active
            .iter()
            .position(|fault| fault.matches(method, path))?;
        let hit = active[index].clone();
        match active[index].times_remaining {
            Some(1) => {
                let spent = active.remove(index);
                self.bytes.fetch_sub(weight(&spent), Ordering::Relaxed);
            }
            Some(n) => active[index].times_remaining = Some(n - 1),
            None => {}
        }
        Some(hit)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(method: &str, path: &str, status: Option<u16>, times: Option<u32>) -> FaultSpec {
        FaultSpec {
            method: method.into(),
            path: path.into(),
            status,
            body: None,
            headers: None,
            delay_ms: None,
            times,
        }
    }

    fn fault(spec: FaultSpec) -> Fault {
        Fault::from_spec(spec, "fault_1".into(), Timestamp::from_unix_millis(0)).expect("valid")
    }

    #[test]
    fn wildcards_match_any_run_of_characters() {
        assert!(wildcard_match(
            "/auth/challenges/*/verify",
            "/auth/challenges/auth_challenge_1/verify"
        ));
        assert!(wildcard_match("/auth/*", "/auth/factors/enroll"));
        assert!(wildcard_match("*", "/anything"));
        assert!(wildcard_match("/health", "/health"));
        assert!(!wildcard_match("/health", "/healthz"));
        assert!(!wildcard_match("/auth/*/verify", "/auth/factors/enroll"));
        assert!(!wildcard_match("/a*a", "/a"));
    }

    #[test]
    fn a_fault_with_times_two_applies_twice_then_is_gone() {
        let faults = Faults::default();
        let added = faults.add(fault(spec(
            "post",
            "/auth/factors/enroll",
            Some(503),
            Some(2),
        )));
        assert!(added.is_ok());
        assert!(faults.take("POST", "/auth/factors/enroll").is_some());
        assert!(faults.take("POST", "/auth/factors/enroll").is_some());
        assert!(faults.take("POST", "/auth/factors/enroll").is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn framing_headers_and_oversized_faults_are_refused_and_the_count_is_capped() {
        for name in ["Content-Length", "transfer-encoding", "Connection"] {
            let mut framing = spec("POST", "/x", Some(503), None);
            framing.headers = Some(BTreeMap::from([(name.to_owned(), "1".to_owned())]));
            let errors = Fault::from_spec(framing, "f".into(), Timestamp::from_unix_millis(0));
            assert!(errors.is_err_and(|e| e[0].field == "headers"), "{name}");
        }
        let mut big = spec("POST", "/x", Some(503), None);
        big.body = Some(Value::String("x".repeat(MAX_FAULT_BYTES)));
        assert!(Fault::from_spec(big, "f".into(), Timestamp::from_unix_millis(0)).is_err());
        let faults = Faults::default();
        for _ in 0..MAX_FAULTS {
            assert!(
                faults
                    .add(fault(spec("GET", "/x", Some(500), None)))
                    .is_ok()
            );
        }
        let one_more = faults.add(fault(spec("GET", "/x", Some(500), None)));
        assert_eq!(one_more, Err(TooManyFaults));
        let held = faults.bytes();
        assert!(held > 0);
        assert!(faults.remove("fault_1"));
        assert!(faults.bytes() < held);
    }

    #[test]
    fn a_fault_matches_only_its_method_and_path() {
        let faults = Faults::default();
        assert!(
            faults
                .add(fault(spec("GET", "/auth/factors/*", Some(500), None)))
                .is_ok()
        );
        assert!(faults.take("DELETE", "/auth/factors/x").is_none());
        assert!(faults.take("GET", "/auth/factors/x").is_some());
        assert!(
            faults.take("GET", "/auth/factors/x").is_some(),
            "no times: until removed"
        );
    }

    #[test]
    fn a_429_gets_a_retry_after_unless_one_is_given() {
        let response = fault(spec("*", "*", Some(429), None))
            .response()
            .expect("fails");
        assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            response
                .headers
                .iter()
                .any(|(name, value)| name == header::RETRY_AFTER && value == "1")
        );
        assert_eq!(
            response.body.as_ref().map(|b| b.to_value()["code"].clone()),
            Some(json!("injected_fault"))
        );
    }

    #[test]
    fn a_spec_without_status_or_delay_or_with_a_bad_path_is_refused() {
        let errors = Fault::from_spec(
            spec("POST", "auth", None, None),
            "f".into(),
            Timestamp::from_unix_millis(0),
        )
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["path", "status"]);
    }
}
