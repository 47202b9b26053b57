//! Memory soaks: a million enroll-challenge-verify flows in-process through
//! [`App::handle`] (no socket, so a million take about a minute in release),
//! with resident memory read from `/proc/self/status` after the first 10 000
//! flows and at the end. The bound: the end within twice the 10 000-flow figure.
//! The soak that keeps its factors runs until its key holds the most objects one
//! key may, and shows that further enrolls are refused without growing memory.
//!
//! Ignored by `cargo test`. Run each in a process of its own, since memory one
//! soak frees is not always handed back before the next one measures:
//! `cargo test --release -p mfa-mock --test soak -- --ignored --nocapture --exact <name>`
//! (`SOAK_FLOWS=100000` for a shorter run).

use std::time::Instant;

use http::{HeaderValue, Method, header};
use mfa_mock::ApiRequest;
use mfa_mock::ApiResponse;
use mfa_mock::Timestamp;
use mfa_mock::{App, Config};
use serde_json::{Value, json};

const WARM_UP_FLOWS: u64 = 10_000;

fn flows() -> u64 {
    std::env::var("SOAK_FLOWS")
        .ok()
        .and_then(|flows| flows.parse().ok())
        .unwrap_or(1_000_000)
        .max(WARM_UP_FLOWS)
}

/// Resident memory in KiB (Linux), or 0 where `/proc` is missing.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn soak_app() -> App {
    App::new(Config {
        freeze_at: Some(Timestamp::from_unix_millis(1_700_000_000_000)),
        ..Config::default()
    })
    .expect("the app builds")
}

fn respond(app: &App, key: &str, method: Method, path: &str, body: Value) -> ApiResponse {
    let mut request = ApiRequest::new(method, path, serde_json::to_vec(&body).unwrap_or_default());
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {key}")) {
        request.headers.insert(header::AUTHORIZATION, value);
    }
    app.handle(&request)
}

fn call(app: &App, key: &str, method: Method, path: &str, body: Value) -> Value {
    let response = respond(app, key, method, path, body);
    assert!(response.status.is_success(), "{path}: {:?}", response.body);
    body_json(response)
}

/// The response's body as JSON (`null` when it has none).
fn body_json(response: ApiResponse) -> Value {
    response.body.map_or(Value::Null, |body| body.to_value())
}

fn id(body: &Value, pointer: &str) -> String {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A challenge of `factor`, verified with its code.
/// Enrolls a generic OTP factor and returns its id.
fn enroll_generic(app: &App, key: &str) -> String {
    let body = json!({"type": "generic_otp"});
    id(
        &call(app, key, Method::POST, "/auth/factors/enroll", body),
        "/id",
    )
}

fn challenge_and_verify(app: &App, key: &str, factor: &str) {
    let challenge = call(
        app,
        key,
        Method::POST,
        &format!("/auth/factors/{factor}/challenge"),
        json!({}),
    );
    let verify = call(
        app,
        key,
        Method::POST,
        &format!("/auth/challenges/{}/verify", id(&challenge, "/id")),
        json!({"code": id(&challenge, "/code")}),
    );
    assert_eq!(verify["valid"], true);
}

/// Runs `flow(n)` for every flow, reporting memory after the warm-up and at the end.
fn soak(name: &str, mut flow: impl FnMut(u64)) -> (u64, u64) {
    let total = flows();
    let started = Instant::now();
    let mut warm = 0;
    for n in 0..total {
        flow(n);
        if n + 1 == WARM_UP_FLOWS {
            warm = rss_kib();
            eprintln!("{name}: RSS after {WARM_UP_FLOWS} flows: {warm} KiB");
        }
    }
    let end = rss_kib();
    eprintln!(
        "{name}: RSS after {total} flows: {end} KiB ({:.2}x) in {:.1?}",
        end as f64 / warm.max(1) as f64,
        started.elapsed()
    );
    (warm, end)
}

#[test]
#[ignore = "soak: cargo test --release -p mfa-mock --test soak -- --ignored --nocapture --exact <name>"]
fn a_million_flows_that_delete_their_factor_stay_within_twice_the_early_memory() {
    let app = soak_app();
    let key = "sk_test_soak_delete";

    let (warm, end) = soak("enroll-challenge-verify-delete", |_| {
        let factor = enroll_generic(&app, key);
        challenge_and_verify(&app, key, &factor);
        call(
            &app,
            key,
            Method::DELETE,
            &format!("/auth/factors/{factor}"),
            Value::Null,
        );
    });

    assert_eq!(app.tenant(key).challenge_count(), 0);
    assert!(
        end <= warm * 2,
        "{end} KiB at the end, {warm} KiB after {WARM_UP_FLOWS} flows"
    );
}

#[test]
#[ignore = "soak: cargo test --release -p mfa-mock --test soak -- --ignored --nocapture --exact <name>"]
fn a_million_verified_challenges_of_one_factor_stay_within_twice_the_early_memory() {
    let app = soak_app();
    let key = "sk_test_soak_challenges";
    let factor = enroll_generic(&app, key);
    let tenant = app.tenant(key);

    let (warm, end) = soak("challenge-verify on one factor", |_| {
        challenge_and_verify(&app, key, &factor);
        // A second a flow, so spent challenges age past the server's keep time.
        tenant.clock.advance(1);
    });

    eprintln!("challenges still stored: {}", tenant.challenge_count());
    assert!(
        end <= warm * 2,
        "{end} KiB at the end, {warm} KiB after {WARM_UP_FLOWS} flows"
    );
}

#[test]
#[ignore = "soak: enroll-challenge-verify without deleting, until the key holds its most objects (run: see the module docs)"]
fn factors_kept_grow_memory_until_the_key_holds_its_most_objects_then_stop() {
    let app = soak_app();
    let key = "sk_test_soak_keep";
    let enroll = || {
        respond(
            &app,
            key,
            Method::POST,
            "/auth/factors/enroll",
            json!({"type": "generic_otp"}),
        )
    };

    let started = Instant::now();
    let (mut flows, mut warm) = (0u64, 0);
    let refusal = loop {
        let enrolled = enroll();
        if !enrolled.status.is_success() {
            break enrolled;
        }
        let factor = id(&body_json(enrolled), "/id");
        challenge_and_verify(&app, key, &factor);
        flows += 1;
        if flows == WARM_UP_FLOWS {
            warm = rss_kib();
        }
    };
    let full = rss_kib();
    let tenant = app.tenant(key);
    eprintln!(
        "{flows} flows kept {} factors and {} challenges in {:.1?}: RSS {warm} KiB after \
         {WARM_UP_FLOWS}, {full} KiB when full; {:.0} bytes a flow",
        tenant.factor_count(),
        tenant.challenge_count(),
        started.elapsed(),
        (full.saturating_sub(warm) * 1024) as f64
            / (flows.saturating_sub(WARM_UP_FLOWS)).max(1) as f64
    );
    assert_eq!(refusal.status.as_u16(), 422);
    let said = body_json(refusal).to_string();
    assert!(said.contains("tenant_object_limit"), "{said}");

    // A client that keeps trying is refused every time, and memory stays put.
    for _ in 0..WARM_UP_FLOWS {
        assert_eq!(enroll().status.as_u16(), 422);
    }
    let end = rss_kib();
    eprintln!("after {WARM_UP_FLOWS} refused enrolls: {end} KiB");
    assert!(
        end <= full + full / 10,
        "{end} KiB after the refusals, {full} KiB when full"
    );
}

#[test]
#[ignore = "soak: a new key each flow, older tenants evicted past --max-tenants (run: see the module docs)"]
fn a_million_flows_each_on_a_new_key_stay_within_twice_the_early_memory() {
    let app = soak_app();

    let (warm, end) = soak("one key per flow", |n| {
        let key = format!("sk_test_soak_tenant_{n}");
        let factor = enroll_generic(&app, &key);
        challenge_and_verify(&app, &key, &factor);
        call(
            &app,
            &key,
            Method::DELETE,
            &format!("/auth/factors/{factor}"),
            Value::Null,
        );
    });

    assert!(
        end <= warm * 2,
        "{end} KiB at the end, {warm} KiB after {WARM_UP_FLOWS} flows"
    );
}
