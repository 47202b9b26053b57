//! Hostile input over a real socket, one table per kind of abuse: each row
//! is the raw bytes sent and the exact status and WorkOS error expected, and
//! after every row the server must still run a whole enroll-challenge-verify
//! flow correctly (it neither fell over nor started lying).
//!
//! This module holds the table machinery; the tables are in `bodies` (JSON
//! that is malformed, mistyped, huge, deep or badly encoded), `framing` (body
//! limits, chunked bodies, content types, what hyper refuses), `paths` (odd
//! ids, dot segments, unknown methods) and `headers` (keys and non-UTF-8
//! values). The basics already in `errors.rs` are not repeated.

mod bodies;
mod framing;
mod headers;
mod paths;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::raw::{self, RawReply};

/// What a hostile request must get.
#[derive(Debug, Clone)]
pub enum Expect {
    /// An error with this status and `code`.
    Error(u16, &'static str),
    /// A 422 `invalid_request_parameters` whose `errors` include this `<field>_<rule>`.
    Invalid(&'static str),
    /// A 404 `entity_not_found` echoing this id.
    NotFound(String),
    /// The bare `401 {"message":"Unauthorized"}` with a `WWW-Authenticate` header.
    Unauthorized,
    /// Success: input that looks hostile but is valid.
    Success(u16),
}

/// One row of a table: a label for failure messages, the bytes, the answer.
pub struct Case {
    pub label: String,
    pub request: Vec<u8>,
    pub expect: Expect,
}

impl Case {
    pub fn new(label: impl Into<String>, request: Vec<u8>, expect: Expect) -> Self {
        Self {
            label: label.into(),
            request,
            expect,
        }
    }
}

/// The answer to any malformed JSON body.
const INVALID_JSON: Expect = Expect::Error(400, "invalid_json");
const ENROLL: &[u8] = b"/auth/factors/enroll";
const GENERIC: &[u8] = br#"{"type":"generic_otp"}"#;
const CHUNKED: (&[u8], &[u8]) = (b"Transfer-Encoding", b"chunked");

/// An authenticated JSON `POST` of raw `body` bytes.
pub fn post(app: &TestApp, path: &str, body: &[u8]) -> Vec<u8> {
    send(app, b"POST", path.as_bytes(), &[], body)
}

/// Sends every case, checks its answer, and checks the server is still right afterwards.
pub async fn run(app: &TestApp, cases: Vec<Case>) {
    assert!(!cases.is_empty(), "an empty table tests nothing");
    for case in cases {
        let reply = raw::exchange(&app.base_url, &case.request).await;
        check(&reply, &case.expect, &case.label);
        still_answers(app, &case.label).await;
    }
}

/// Asserts `reply` is exactly what `expect` says, in the WorkOS shape.
#[track_caller]
pub fn check(reply: &RawReply, expect: &Expect, label: &str) {
    let body = reply.json();
    let context = format!("{label}: got {} {}", reply.status, reply.text());
    assert_eq!(reply.status, status_of(expect), "{context}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8"),
        "{context}"
    );
    assert!(
        reply
            .header("x-request-id")
            .is_some_and(|id| id.starts_with("req_")),
        "{context}"
    );
    match expect {
        Expect::Success(_) => assert!(body.is_object(), "{context}"),
        Expect::Unauthorized => {
            assert_eq!(body, json!({"message": "Unauthorized"}), "{context}");
            assert!(reply.header("www-authenticate").is_some(), "{context}");
        }
        Expect::Error(_, code) => assert_error(&body, code, &context),
        Expect::NotFound(id) => {
            assert_error(&body, "entity_not_found", &context);
            assert_eq!(body["entity_id"].as_str(), Some(id.as_str()), "{context}");
        }
        Expect::Invalid(code) => {
            assert_error(&body, "invalid_request_parameters", &context);
            let errors = body["errors"].as_array().cloned().unwrap_or_default();
            assert!(errors.iter().all(is_field_error), "{context}");
            assert!(errors.iter().any(|e| e["code"] == *code), "{context}");
        }
    }
}

fn status_of(expect: &Expect) -> u16 {
    match expect {
        Expect::Error(status, _) | Expect::Success(status) => *status,
        Expect::Invalid(_) => 422,
        Expect::NotFound(_) => 404,
        Expect::Unauthorized => 401,
    }
}

#[track_caller]
fn assert_error(body: &Value, code: &str, context: &str) {
    assert_eq!(body["code"].as_str(), Some(code), "{context}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        !message.is_empty(),
        "a message says what to send: {context}"
    );
}

fn is_field_error(error: &Value) -> bool {
    ["code", "field", "message"]
        .iter()
        .all(|key| error[key].as_str().is_some_and(|text| !text.is_empty()))
}

/// A whole generic OTP flow still works: the server neither died nor lies.
pub async fn still_answers(app: &TestApp, after: &str) {
    let factor = app.enroll_generic().await;
    assert_eq!(factor.status, 201, "enroll after {after}: {}", factor.text);
    let challenge = app.challenge(&factor.str("/id")).await;
    let verify = app
        .verify(&challenge.str("/id"), &challenge.str("/code"))
        .await;
    assert_eq!(verify.expect(201)["valid"], true, "verify after {after}");
}

/// The objects a table's paths point at, so every endpoint is reached for real.
pub struct Targets {
    pub factor: String,
    pub challenge: String,
    pub user: String,
}

impl Targets {
    pub async fn create(app: &TestApp) -> Self {
        let factor = app.enroll_sms().await.str("/id");
        let challenge = app.challenge(&factor).await.str("/id");
        let user = app.create_user("ada@example.com").await.str("/id");
        Self {
            factor,
            challenge,
            user,
        }
    }

    /// The five endpoints that take a body, by a short name.
    pub fn path(&self, endpoint: &str) -> String {
        match endpoint {
            "enroll" => "/auth/factors/enroll".to_owned(),
            "challenge" => format!("/auth/factors/{}/challenge", self.factor),
            "verify" => format!("/auth/challenges/{}/verify", self.challenge),
            "users" => "/user_management/users".to_owned(),
            "authkit" => format!("/user_management/users/{}/auth_factors", self.user),
            other => panic!("no endpoint called {other}"),
        }
    }
}

/// One JSON `POST` row per `(endpoint, body, expect)`.
fn rows(app: &TestApp, targets: &Targets, table: &[(&str, &[u8], Expect)]) -> Vec<Case> {
    table
        .iter()
        .map(|(endpoint, body, expect)| {
            let label = format!(
                "{endpoint} {}",
                String::from_utf8_lossy(&body[..body.len().min(80)])
            );
            Case::new(
                label,
                post(app, &targets.path(endpoint), body),
                expect.clone(),
            )
        })
        .collect()
}

/// A request with the tenant's key, JSON content type and these extra headers.
fn send(
    app: &TestApp,
    method: &[u8],
    path: &[u8],
    extra: &[(&[u8], &[u8])],
    body: &[u8],
) -> Vec<u8> {
    let authorization = format!("Bearer {}", app.key);
    let mut headers: Vec<(&[u8], &[u8])> = vec![(b"Authorization", authorization.as_bytes())];
    if !extra
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(b"content-type"))
    {
        headers.push((b"Content-Type", b"application/json"));
    }
    headers.extend_from_slice(extra);
    raw::request(method, path, &headers, body)
}

/// A valid generic OTP enrollment padded with an unknown key to exactly `size` bytes.
fn padded_enrollment(size: usize) -> Vec<u8> {
    let frame = r#"{"type":"generic_otp","pad":""}"#.len();
    format!(
        r#"{{"type":"generic_otp","pad":"{}"}}"#,
        "p".repeat(size - frame)
    )
    .into_bytes()
}
