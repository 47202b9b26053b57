//! Bounds and strict edges: nothing a client sends is kept without bound,
//! tenants come and go by the rules, and inputs the API refuses are refused.

use std::time::Duration;

use mfa_mock::Config;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, independent_totp, spawn_app, spawn_app_with};

/// POSTs `body` (raw JSON text) with an `Idempotency-Key`.
async fn post_with_key(app: &TestApp, path: &str, key: &str, body: &str) -> crate::helpers::Reply {
    let request = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.key)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned());
    app.send(request).await
}

#[tokio::test]
async fn an_equal_json_body_in_any_key_order_replays_and_a_different_one_is_refused() {
    let app = spawn_app().await;
    let first = post_with_key(
        &app,
        "/auth/factors/enroll",
        "k1",
        r#"{"type":"totp","totp_issuer":"Foo","totp_user":"ada"}"#,
    )
    .await;
    let id = first.str("/id");
    let reordered = post_with_key(
        &app,
        "/auth/factors/enroll",
        "k1",
        "{ \"totp_user\" : \"ada\",\n \"totp_issuer\": \"Foo\", \"type\": \"totp\" }",
    )
    .await;
    assert_eq!(reordered.expect(201)["id"], id.as_str());
    assert_eq!(reordered.header("idempotent-replayed"), Some("true"));

    let different = post_with_key(
        &app,
        "/auth/factors/enroll",
        "k1",
        r#"{"type":"totp","totp_issuer":"Foo","totp_user":"bob"}"#,
    )
    .await;
    assert_eq!(different.expect(400)["code"], "idempotency_key_reused");
}

#[tokio::test]
async fn past_ten_thousand_keys_only_the_least_recently_used_are_forgotten() {
    let app = spawn_app().await;
    let total = 10_100;
    // k0 strictly first, so it is the least recently used whatever the workers' order.
    let first = post_with_key(&app, "/auth/factors/enroll", "k0", "{}").await;
    assert_eq!(first.status, 422);
    let mut batch = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let app = app.as_tenant(&app.key);
        batch.spawn(async move {
            let mut n = worker + 1;
            while n < total {
                // k0..k9999 first, then 100 more: only the oldest 100 should go.
                let reply =
                    post_with_key(&app, "/auth/factors/enroll", &format!("k{n}"), "{}").await;
                assert_eq!(reply.status, 422, "{}", reply.text);
                n += 16;
            }
        });
    }
    while let Some(done) = batch.join_next().await {
        done.expect("worker");
    }
    // The order across workers is loose at the edges; k5000 is far from both.
    let middle = post_with_key(&app, "/auth/factors/enroll", "k5000", "{}").await;
    assert_eq!(middle.header("idempotent-replayed"), Some("true"));
    let newest = post_with_key(&app, "/auth/factors/enroll", "k10099", "{}").await;
    assert_eq!(newest.header("idempotent-replayed"), Some("true"));
    let oldest = post_with_key(&app, "/auth/factors/enroll", "k0", "{}").await;
    assert_eq!(
        oldest.header("idempotent-replayed"),
        None,
        "k0 was forgotten"
    );
}

#[tokio::test]
async fn the_journal_keeps_a_prefix_of_each_body_and_a_bounded_number_of_bytes() {
    let app = spawn_app().await;
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(100 * 1024));
    for _ in 0..300 {
        let reply = app
            .post_raw(
                "/auth/factors/enroll",
                Some("application/json"),
                big.clone(),
            )
            .await;
        assert_eq!(reply.status, 422);
    }
    let journal = app.get("/_mock/requests").await;
    let entries = journal.expect(200)["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        entries.len() < 300 && entries.len() > 100,
        "{} entries: the 4 MiB cap, not the 1000-entry one, decides",
        entries.len()
    );
    for entry in &entries {
        assert_eq!(entry["body_truncated"], true);
        let body = entry["body"].as_str().unwrap_or_default();
        assert!(
            body.len() < 17 * 1024,
            "a kept body is {} bytes",
            body.len()
        );
        assert!(body.ends_with(&format!("[{} bytes in all]", big.len())));
    }
}

#[tokio::test]
async fn the_sms_outbox_is_bounded_in_bytes() {
    let app = spawn_app().await;
    let factor = app.enroll_sms().await.str("/id");
    let template = format!("{}{{{{code}}}}", "x".repeat(1590));
    for _ in 0..700 {
        let reply = app
            .post(
                &format!("/auth/factors/{factor}/challenge"),
                json!({"sms_template": template}),
            )
            .await;
        reply.expect(201);
    }
    let outbox = app.get("/_mock/sms").await;
    let kept = outbox.expect(200)["data"].as_array().map_or(0, Vec::len);
    assert!(kept < 700, "{kept} messages of 1.6 KB: the 1 MiB cap holds");
    assert!(kept > 100, "{kept}");
}

#[tokio::test]
async fn faults_may_not_set_framing_headers_and_are_capped_in_number() {
    let app = spawn_app().await;
    for name in ["Content-Length", "Transfer-Encoding", "Connection"] {
        let reply = app
            .post(
                "/_mock/faults",
                json!({"method": "GET", "path": "/x", "status": 503, "headers": {name: "99999"}}),
            )
            .await;
        assert_eq!(reply.expect(422)["errors"][0]["field"], "headers", "{name}");
    }
    for _ in 0..100 {
        let fault = json!({"method": "GET", "path": "/nothing", "status": 503});
        app.post("/_mock/faults", fault).await.expect(201);
    }
    let one_more = app
        .post(
            "/_mock/faults",
            json!({"method": "GET", "path": "/nothing", "status": 503}),
        )
        .await;
    assert!(
        one_more.text.contains("100 active faults"),
        "{}",
        one_more.text
    );
    one_more.expect(422);
}

#[tokio::test]
async fn a_new_key_past_max_tenants_evicts_the_least_recently_used_but_never_a_named_one() {
    let config = Config {
        max_tenants: 3,
        api_keys: vec![
            "sk_test_named".into(),
            "sk_test_a".into(),
            "sk_test_b".into(),
            "sk_test_c".into(),
        ],
        ..Config::default()
    };
    let app = spawn_app_with(config).await;
    let named = app.as_tenant("sk_test_named");
    let kept = named.enroll_generic().await.str("/id");
    let (a, b) = (app.as_tenant("sk_test_a"), app.as_tenant("sk_test_b"));
    a.enroll_generic().await.expect(201);
    b.enroll_generic().await.expect(201);
    named
        .get(&format!("/auth/factors/{kept}"))
        .await
        .expect(200);
    let stats = app.get("/health?stats=1").await;
    assert_eq!(
        stats.expect(200)["evicted_tenants"],
        0,
        "named keys are pinned"
    );
    assert!(stats.body["store_bytes"].as_u64().unwrap_or(0) > 0);
}

#[tokio::test]
async fn over_max_tenants_the_least_recently_used_goes_and_comes_back_empty() {
    let app = spawn_app_with(Config {
        max_tenants: 2,
        ..Config::default()
    })
    .await;
    let (a, b, c) = (
        app.as_tenant("sk_test_lru_a"),
        app.as_tenant("sk_test_lru_b"),
        app.as_tenant("sk_test_lru_c"),
    );
    let factor_a = a.enroll_generic().await.str("/id");
    let factor_b = b.enroll_generic().await.str("/id");
    a.get(&format!("/auth/factors/{factor_a}"))
        .await
        .expect(200);
    c.enroll_generic().await.expect(201);

    a.get(&format!("/auth/factors/{factor_a}"))
        .await
        .expect(200);
    b.get(&format!("/auth/factors/{factor_b}"))
        .await
        .expect(404);
    let stats = app.get("/health?stats=1").await;
    assert!(stats.expect(200)["evicted_tenants"].as_u64().unwrap_or(0) >= 1);
    assert_eq!(app.get("/health").await.body, json!({"status": "ok"}));
}

#[tokio::test]
async fn idle_tenants_are_evicted_and_start_empty() {
    let app = spawn_app_with(Config {
        tenant_idle: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let factor = app.enroll_generic().await.str("/id");
    let other = app.as_tenant("sk_test_busy");
    // The store sweeps every few dozen uses; with no idle time allowed, each sweep evicts.
    for _ in 0..130 {
        other.get("/_mock/clock").await.expect(200);
    }
    app.get(&format!("/auth/factors/{factor}"))
        .await
        .expect(404);
}

#[tokio::test]
async fn a_tenant_at_its_object_limit_refuses_to_create_more() {
    let app = spawn_app_with(Config {
        max_body_bytes: 16 * 1024 * 1024,
        ..Config::default()
    })
    .await;
    let factors: Vec<Value> = (0..100_000)
        .map(|_| json!({"type": "generic_otp"}))
        .collect();
    let request = app
        .client
        .put(app.url("/_mock/state"))
        .bearer_auth(&app.key)
        .json(&json!({"factors": factors}));
    app.send(request).await.expect(200);

    let refused = app.enroll_generic().await;
    assert_eq!(
        refused.expect(422)["errors"][0]["code"],
        "body_tenant_object_limit"
    );
    assert!(refused.text.contains("100000 objects"), "{}", refused.text);
    app.post("/_mock/reset", json!({})).await;
    app.enroll_generic().await.expect(201);
}

#[tokio::test]
async fn keys_longer_than_256_characters_and_a_bare_prefix_are_unauthorized() {
    let app = spawn_app().await;
    let long = format!("sk_test_{}", "k".repeat(249));
    for (key, reason) in [
        (long.as_str(), "longer than 256"),
        ("sk_test_", "only a prefix"),
    ] {
        let reply = app
            .send(app.client.get(app.url("/_mock/clock")).bearer_auth(key))
            .await;
        assert_eq!(reply.status, 401, "{key}");
        let header = reply.header("www-authenticate").unwrap_or_default();
        assert!(header.contains(reason), "{header}");
    }
    let longest = format!("sk_test_{}", "k".repeat(248));
    app.as_tenant(&longest)
        .get("/_mock/clock")
        .await
        .expect(200);
}

#[tokio::test]
async fn a_blank_verify_code_is_a_422_naming_code_and_uses_no_attempt() {
    let app = spawn_app().await;
    let enrolled = app.enroll_totp().await;
    let (factor, secret) = (enrolled.str("/id"), enrolled.str("/totp/secret"));
    let challenge = app.challenge(&factor).await.str("/id");
    for blank in ["", "   ", "\t"] {
        let reply = app.verify(&challenge, blank).await;
        let body = reply.expect(422);
        assert_eq!(body["code"], "invalid_request_parameters");
        assert_eq!(body["errors"][0]["field"], "code");
    }
    for _ in 0..4 {
        app.verify(&challenge, "000000").await.expect(201);
    }
    let code = independent_totp(&secret, app.now_seconds());
    let verified = app.verify(&challenge, &code).await;
    assert_eq!(
        verified.expect(201)["valid"],
        true,
        "the blanks used no attempt"
    );
}

#[tokio::test]
async fn phone_numbers_must_be_possible_for_their_country() {
    let app = spawn_app().await;
    for refused in ["555-0100", "(500) 555-0006", "+1500555000"] {
        let reply = app
            .post(
                "/auth/factors/enroll",
                json!({"type": "sms", "phone_number": refused}),
            )
            .await;
        assert_eq!(
            reply.expect(422)["code"],
            "invalid_phone_number",
            "{refused}"
        );
    }
    for (accepted, stored) in [
        ("+15005550006", "+15005550006"),
        ("+15555555555", "+15555555555"),
        ("16073517112", "+16073517112"),
    ] {
        let reply = app
            .post(
                "/auth/factors/enroll",
                json!({"type": "sms", "phone_number": accepted}),
            )
            .await;
        assert_eq!(reply.expect(201)["sms"]["phone_number"], stored);
    }
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let factor = app.enroll_generic().await.str("/id");
    let get = app.get(&format!("/auth/factors/{factor}")).await;
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connects");
    let head = format!(
        "HEAD /auth/factors/{factor} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\n\r\n",
        app.key
    );
    stream.write_all(head.as_bytes()).await.expect("written");
    let mut received = Vec::new();
    tokio::time::timeout(crate::raw::DEADLINE, stream.read_to_end(&mut received))
        .await
        .expect("a reply in time")
        .expect("readable");
    let text = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(
        text.contains(&format!("content-length: {}", get.text.len())),
        "{text}"
    );
    assert!(
        text.ends_with("\r\n\r\n"),
        "no body after the headers: {text}"
    );
}

#[tokio::test]
async fn the_clock_may_not_leave_years_0_to_9999() {
    let app = spawn_app().await;
    app.post("/_mock/clock", json!({"freeze_at": "9999-12-31T23:00:00Z"}))
        .await
        .expect(200);
    let past_9999 = app
        .post("/_mock/clock", json!({"advance_seconds": 7200}))
        .await;
    assert_eq!(
        past_9999.expect(422)["errors"][0]["field"],
        "advance_seconds"
    );
    assert!(
        past_9999.text.contains("9999-12-31T23:59:59.999Z"),
        "{}",
        past_9999.text
    );
    let clock = app.get("/_mock/clock").await;
    assert_eq!(clock.expect(200)["now"], "9999-12-31T23:00:00.000Z");
    app.post("/_mock/clock", json!({"freeze_at": "0000-01-01T00:30:00Z"}))
        .await
        .expect(200);
    let before_0 = app
        .post("/_mock/clock", json!({"advance_seconds": -3600}))
        .await;
    before_0.expect(422);
}

#[tokio::test]
async fn past_the_store_budget_the_least_recently_used_keys_are_evicted() {
    let app = spawn_app_with(Config {
        store_budget_bytes: 256 * 1024,
        ..Config::default()
    })
    .await;
    for n in 0..200 {
        app.as_tenant(&format!("sk_test_budget_{n}"))
            .enroll_generic()
            .await
            .expect(201);
    }
    let stats = app.get("/health?stats=1").await;
    let body = stats.expect(200);
    assert!(body["evicted_tenants"].as_u64().unwrap_or(0) > 0, "{body}");
    // At most what the requests since the last check added over the budget.
    assert!(
        body["store_bytes"].as_u64().unwrap_or(u64::MAX) < 1024 * 1024,
        "{body}"
    );
}
