//! Secrets stay out of the logs: the real binary runs at `--log debug`, in
//! both formats, through every flow that handles a secret, and its standard
//! error is searched for every TOTP secret, code and API key it saw.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::binary::Binary;
use crate::helpers::{independent_totp, wrong_totp};

const KEY: &str = "sk_test_LogSecretKey7Q";
const KNOWN_SECRET: &str = "krsxg5ctmvrxezlukrsxg5ctmvrxezlu====";
const SMS_MARKER: &str = "SMSMARKER";

/// A JSON client for one key.
struct Client {
    http: reqwest::Client,
    base_url: String,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("reaches the binary");
        let status = response.status().as_u16();
        let text = response.text().await.expect("readable");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, reply) = self
            .call(reqwest::Method::POST, path, KEY, Some(body))
            .await;
        assert!(
            [200, 201].contains(&status),
            "POST {path}: {status} {reply}"
        );
        reply
    }

    async fn verify(&self, challenge_id: &str, code: &str) -> bool {
        let reply = self
            .post(
                &format!("/auth/challenges/{challenge_id}/verify"),
                json!({"code": code}),
            )
            .await;
        reply["valid"].as_bool().expect("a verify answer")
    }
}

fn text(value: &Value, pointer: &str) -> String {
    match value.pointer(pointer).and_then(Value::as_str) {
        Some(text) => text.to_owned(),
        None => panic!("no string at {pointer} in {value}"),
    }
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Drives every flow that handles a secret; returns each secret it saw.
async fn drive_every_secret_through(server: &Binary) -> Vec<String> {
    let client = Client {
        http: reqwest::Client::new(),
        base_url: server.base_url.clone(),
    };
    let mut seen = vec![
        KEY.to_owned(),
        KNOWN_SECRET.trim_end_matches('=').to_owned(),
        SMS_MARKER.to_owned(),
    ];

    let totp = client
        .post(
            "/auth/factors/enroll",
            json!({"type": "totp", "totp_issuer": "Foo", "totp_user": "ada@example.com"}),
        )
        .await;
    let secret = text(&totp, "/totp/secret");
    let challenge = text(
        &client
            .post(
                &format!("/auth/factors/{}/challenge", text(&totp, "/id")),
                json!({}),
            )
            .await,
        "/id",
    );
    let wrong = wrong_totp(&secret, now_seconds());
    let right = independent_totp(&secret, now_seconds());
    assert!(!client.verify(&challenge, &wrong).await);
    assert!(client.verify(&challenge, &right).await);
    seen.extend([secret, wrong, right]);

    let user = text(
        &client
            .post(
                "/user_management/users",
                json!({"email": "ada@example.com"}),
            )
            .await,
        "/id",
    );
    let factors = format!("/user_management/users/{user}/auth_factors");
    let known = client
        .post(
            &factors,
            json!({"type": "totp", "totp_secret": KNOWN_SECRET}),
        )
        .await;
    let code = independent_totp(&KNOWN_SECRET.to_ascii_uppercase(), now_seconds());
    assert!(
        client
            .verify(&text(&known, "/authentication_challenge/id"), &code)
            .await
    );
    let generated = client.post(&factors, json!({"type": "totp"})).await;
    seen.extend([code, text(&generated, "/authentication_factor/totp/secret")]);

    let generic = text(
        &client
            .post("/auth/factors/enroll", json!({"type": "generic_otp"}))
            .await,
        "/id",
    );
    let challenge = client
        .post(&format!("/auth/factors/{generic}/challenge"), json!({}))
        .await;
    let code = text(&challenge, "/code");
    assert!(client.verify(&text(&challenge, "/id"), &code).await);
    seen.push(code);

    let sms = text(
        &client
            .post(
                "/auth/factors/enroll",
                json!({"type": "sms", "phone_number": "+15005550006"}),
            )
            .await,
        "/id",
    );
    let template = format!("{SMS_MARKER} {{{{code}}}}");
    let challenge = text(
        &client
            .post(
                &format!("/auth/factors/{sms}/challenge"),
                json!({"sms_template": template}),
            )
            .await,
        "/id",
    );
    let (_, outbox) = client
        .call(reqwest::Method::GET, "/_mock/sms", KEY, None)
        .await;
    let code = text(&outbox, "/data/0/code");
    assert!(client.verify(&challenge, &code).await);
    seen.push(code);

    for refused in ["sk_live_LiveSecretKey9Z", "not_a_key_BadSecretKey3X"] {
        let (status, _) = client
            .call(reqwest::Method::GET, "/auth/factors/x", refused, None)
            .await;
        assert_eq!(status, 401);
        seen.push(refused.to_owned());
    }
    seen
}

/// The log without what legitimately holds digits that could pass for a
/// code: ANSI colours, timestamps and durations.
fn scrub(log: &str) -> String {
    log.lines().map(scrub_line).collect::<Vec<_>>().join("\n")
}

fn scrub_line(line: &str) -> String {
    let plain = strip_ansi(line);
    if let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(&plain) {
        event.remove("timestamp");
        if let Some(Value::Object(fields)) = event.get_mut("fields") {
            fields.remove("micros");
        }
        return Value::Object(event).to_string();
    }
    plain
        .split_whitespace()
        .skip(1)
        .filter(|token| !token.starts_with("micros="))
        .collect::<Vec<_>>()
        .join(" ")
}

fn strip_ansi(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            plain.push(c);
        }
    }
    plain
}

/// Whether `needle` occurs in `haystack`, case-insensitively, and (for
/// all-digit codes) not as part of a longer number.
fn leaks(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.to_ascii_lowercase(), needle.to_ascii_lowercase());
    let digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
    haystack.match_indices(&needle).any(|(at, _)| {
        let before = haystack[..at].bytes().next_back();
        let after = haystack[at + needle.len()..].bytes().next();
        !digits(&needle)
            || !before.is_some_and(|b| b.is_ascii_digit())
                && !after.is_some_and(|b| b.is_ascii_digit())
    })
}

async fn assert_no_secret_in_logs(args: &[&str]) {
    let mut server = Binary::start(args);
    let secrets = drive_every_secret_through(&server).await;
    server.terminate();
    assert!(
        server
            .wait_exit(std::time::Duration::from_secs(5))
            .is_some(),
        "the binary exits"
    );
    let log = server.logs();

    assert!(
        log.contains("/auth/challenges/"),
        "request lines were logged: {log}"
    );
    let scrubbed = scrub(&log);
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|secret| leaks(&scrubbed, secret))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?} appear in the log:\n{log}");
}

#[tokio::test]
async fn no_secret_code_or_key_appears_in_debug_logs() {
    assert_no_secret_in_logs(&["--log", "debug"]).await;
}

#[tokio::test]
async fn no_secret_code_or_key_appears_in_json_debug_logs() {
    assert_no_secret_in_logs(&["--log", "debug", "--log-format", "json"]).await;
}

#[test]
fn the_search_finds_a_code_but_not_a_longer_number_that_contains_it() {
    assert!(leaks("code=123456 ok", "123456"));
    assert!(leaks("{\"code\":\"123456\"}", "123456"));
    assert!(!leaks("micros=91234567", "123456"));
    assert!(leaks("secret JBSWY3DP", "jbswy3dp"));
}

#[test]
fn scrubbing_removes_timestamps_colours_and_durations() {
    let human =
        "\u{1b}[2m2026-01-01T00:00:00.123456Z\u{1b}[0m INFO request micros=123456 status=201";
    let json =
        r#"{"timestamp":"2026-01-01T00:00:00.123456Z","fields":{"micros":123456,"status":201}}"#;

    assert!(!scrub(human).contains("123456"), "{}", scrub(human));
    assert!(!scrub(json).contains("123456"), "{}", scrub(json));
}
