//! Properties of the request-to-response path, checked on generated input by
//! calling [`App::handle`] directly (no socket, so thousands of cases are cheap).
//!
//! - Arbitrary bytes as a body, and arbitrary methods and paths, never panic
//!   and never get a 5xx: every answer is a 2xx for valid input or a 4xx with
//!   a WorkOS-shaped JSON error.
//! - Any sequence of enrollments, challenges, verifications, deletions and
//!   clock moves keeps the store's invariants: a factor's challenges belong to
//!   it, a challenge verifies successfully at most once, and a deleted factor
//!   leaves no challenge behind. A model predicts every status on the way.
//!
//! - The QR code of any enrollment's URI, and of any text that fits, decodes
//!   back to exactly that text.
//!
//! Case counts are kept small for `cargo test`; `PROPTEST_CASES=10000` runs more.

mod inputs;
mod qr;
mod sequences;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{HeaderValue, Method, header};
use mfa_mock::ApiRequest;
use mfa_mock::ApiResponse;
use mfa_mock::Timestamp;
use mfa_mock::{App, Config};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

/// `PROPTEST_CASES` if set, else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One application for every case: tenants keep cases apart.
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        App::new(Config {
            freeze_at: Some(Timestamp::from_unix_millis(1_700_000_000_000)),
            ..Config::default()
        })
        .expect("the app builds")
    })
}

/// A key no other case uses, so each case starts from an empty tenant.
fn fresh_key() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("sk_test_props_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn request(key: &str, method: Method, path: &str, body: Vec<u8>) -> ApiRequest {
    let mut request = ApiRequest::new(method, path, body);
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {key}")) {
        request.headers.insert(header::AUTHORIZATION, value);
    }
    request.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    request
}

fn call(key: &str, method: Method, path: &str, body: Value) -> ApiResponse {
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    app().handle(&request(key, method, path, bytes))
}

/// Not a 5xx; a 2xx carries a JSON object (or nothing, for 204); a 4xx is
/// `{"message":"Unauthorized"}` or has a `code` and a `message`.
fn well_formed(response: &ApiResponse) -> Result<(), TestCaseError> {
    let status = response.status.as_u16();
    let body = response.body.as_ref().map(|body| body.to_value());
    prop_assert!(status < 500, "a {status}: {body:?}");
    match (status, &body) {
        (204, body) => prop_assert!(body.is_none()),
        (200..=299, Some(body)) => prop_assert!(body.is_object(), "{body}"),
        (401, Some(body)) if body.get("code").is_none() => {
            prop_assert_eq!(body, &json!({"message": "Unauthorized"}))
        }
        (400..=499, Some(body)) => {
            prop_assert!(
                body["code"].as_str().is_some_and(|c| !c.is_empty()),
                "{body}"
            );
            prop_assert!(
                body["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        }
        (_, body) => prop_assert!(false, "a {status} with body {body:?}"),
    }
    Ok(())
}

fn str_at(response: &ApiResponse, pointer: &str) -> String {
    response
        .body
        .as_ref()
        .map(|body| body.to_value())
        .and_then(|body| {
            body.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}
