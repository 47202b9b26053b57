//! Fuzz target: arbitrary bytes become up to eight HTTP requests, each going
//! through the same edge as a real one (`ApiRequest::from_hyper`, with the
//! body limit) and then `App::handle`, against an empty store per input.
//!
//! Input format (what `build.rs` writes from `fixtures/`, and what the fuzzer
//! mutates), requests separated by `\n\x1e\n`:
//!
//! ```text
//! METHOD /path?query\n
//! Header-Name: value\n      (any number)
//! \n
//! body bytes
//! ```
//!
//! `@factor`, `@challenge`, `@user` and `@code` are replaced by the last such
//! id or six-digit code an earlier response carried, so inputs reach the
//! stateful paths (verify a real challenge, delete a real factor).
//!
//! The properties: no panic; and, until the input injects a fault through
//! `/_mock/faults`, no 5xx and every body JSON in the WorkOS shape (`code`
//! and `message`, or the bare 401).

#![no_main]

use std::cell::RefCell;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use mfa_mock::ApiRequest;
use mfa_mock::ApiResponse;
use mfa_mock::{App, Config};
use serde_json::Value;
use tokio::runtime::Runtime;

/// A small limit, so oversized bodies are reachable within libFuzzer's `-max_len`.
const MAX_BODY_BYTES: usize = 2048;
const SEPARATOR: &[u8] = b"\n\x1e\n";
const MAX_REQUESTS: usize = 8;

thread_local! {
    /// Built once: compiling the schemas is the slow part of `App::new`.
    static APP: RefCell<App> = RefCell::new(
        App::new(Config {
            max_body_bytes: MAX_BODY_BYTES,
            seed: Some(7),
            ..Config::default()
        })
        .expect("the app builds"),
    );
    static RUNTIME: Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
}

fuzz_target!(|data: &[u8]| {
    APP.with_borrow_mut(|app| {
        // A fresh store per input: no state, and no injected fault, outlives it.
        app.forget_all_tenants();
        RUNTIME.with(|runtime| run(app, runtime, data));
    });
});

fn run(app: &App, runtime: &Runtime, data: &[u8]) {
    let mut seen = Seen::default();
    for part in split(data).take(MAX_REQUESTS) {
        let Some(request) = parse(&seen.fill(part)) else {
            continue;
        };
        let adds_fault =
            request.method() == Method::POST && request.uri().path() == "/_mock/faults";
        let response = match runtime.block_on(ApiRequest::from_hyper(request, MAX_BODY_BYTES)) {
            Ok(request) => app.handle(&request),
            Err(error) => error.into_response(),
        };
        check(&response, seen.fault_injected);
        seen.fault_injected |= adds_fault && response.status.as_u16() == 201;
        if let Some(body) = &response.body {
            seen.learn(&body.to_value());
        }
    }
}

/// What earlier responses of this input revealed.
#[derive(Default)]
struct Seen {
    factor: Option<String>,
    challenge: Option<String>,
    user: Option<String>,
    code: Option<String>,
    fault_injected: bool,
}

impl Seen {
    fn learn(&mut self, value: &Value) {
        match value {
            Value::Object(object) => {
                for (key, value) in object {
                    if let (Some(text), "id" | "code") = (value.as_str(), key.as_str()) {
                        self.remember(text);
                    }
                    self.learn(value);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.learn(item)),
            _ => {}
        }
    }

    fn remember(&mut self, text: &str) {
        let slot = if text.starts_with("auth_factor_") {
            &mut self.factor
        } else if text.starts_with("auth_challenge_") {
            &mut self.challenge
        } else if text.starts_with("user_") {
            &mut self.user
        } else if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
            &mut self.code
        } else {
            return;
        };
        *slot = Some(text.to_owned());
    }

    /// `part` with each `@placeholder` replaced by what was seen (if anything).
    fn fill(&self, part: &[u8]) -> Vec<u8> {
        let mut filled = part.to_vec();
        for (placeholder, value) in [
            (&b"@factor"[..], &self.factor),
            (b"@challenge", &self.challenge),
            (b"@user", &self.user),
            (b"@code", &self.code),
        ] {
            if let Some(value) = value {
                filled = replace(&filled, placeholder, value.as_bytes());
            }
        }
        filled
    }
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match current
            .windows(SEPARATOR.len())
            .position(|w| w == SEPARATOR)
        {
            Some(at) => {
                rest = Some(&current[at + SEPARATOR.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The request `data` describes, or `None` where hyper itself would have
/// refused the bytes (an invalid method, URI or header) before the app saw them.
fn parse(data: &[u8]) -> Option<Request<Full<Bytes>>> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = lines.next()?;
    let space = request_line.iter().position(|&b| b == b' ')?;
    let method = Method::from_bytes(&request_line[..space]).ok()?;
    let uri = http::Uri::try_from(&request_line[space + 1..]).ok()?;
    let mut request = Request::builder().method(method).uri(uri);
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        let name = HeaderName::from_bytes(&line[..colon]).ok()?;
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii()).ok()?;
        request = request.header(name, value);
    }
    request.body(Full::new(Bytes::copy_from_slice(body))).ok()
}

/// Panics unless `response` is well formed. After the input injected a
/// fault, any status and body may be that fault's, so only "no panic" holds.
fn check(response: &ApiResponse, fault_injected: bool) {
    if fault_injected {
        return;
    }
    let status = response.status.as_u16();
    let body = response.body.as_ref().map(|body| body.to_value());
    assert!(status < 500, "a {status}: {body:?}");
    match (status, &body) {
        (200 | 204, None) => {}
        (200..=299, Some(body)) => assert!(body.is_object(), "{body}"),
        (401, Some(body)) if body.get("code").is_none() => {
            assert_eq!(body, &serde_json::json!({"message": "Unauthorized"}));
        }
        (400, Some(body)) if body.get("error").is_some() => {
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{body}"
            );
            assert!(
                body["error_description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{body}"
            );
        }
        (400..=499, Some(body)) => {
            assert!(
                body["code"].as_str().is_some_and(|c| !c.is_empty()),
                "{body}"
            );
            assert!(
                body["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        }
        (_, body) => panic!("a {status} with body {body:?}"),
    }
}
