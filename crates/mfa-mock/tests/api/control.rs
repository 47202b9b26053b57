//! The /_mock/ test controls: clock, SMS outbox, request journal, faults,
//! idempotency, reset, state and seeds.

use std::time::{Duration, Instant};

use mfa_mock::Config;
use mfa_mock::SeedFile;
use serde_json::{Value, json};

use crate::helpers::{TestApp, independent_totp, spawn_app, spawn_app_with};

async fn freeze(app: &TestApp, at: &str) -> Value {
    app.post("/_mock/clock", json!({"freeze_at": at}))
        .await
        .expect(200)
        .clone()
}

fn unix_seconds(rfc3339: &str) -> u64 {
    let at = mfa_mock::Timestamp::parse(rfc3339).expect("a timestamp");
    at.unix_seconds()
}

#[tokio::test]
async fn the_clock_freezes_advances_and_resumes() {
    let app = spawn_app().await;

    let frozen = freeze(&app, "2026-01-15T12:00:00Z").await;
    let advanced = app
        .post("/_mock/clock", json!({"advance_seconds": 90}))
        .await;
    let shown = app.get("/_mock/clock").await;
    let resumed = app.post("/_mock/clock", json!({"resume": true})).await;

    assert_eq!(
        frozen,
        json!({"object": "clock", "now": "2026-01-15T12:00:00.000Z", "frozen": true})
    );
    assert_eq!(advanced.expect(200)["now"], "2026-01-15T12:01:30.000Z");
    assert_eq!(shown.expect(200)["now"], "2026-01-15T12:01:30.000Z");
    assert_eq!(resumed.expect(200)["frozen"], false);
    assert_ne!(
        resumed.str("/now"),
        "2026-01-15T12:01:30.000Z",
        "back on the real time"
    );
}

#[tokio::test]
async fn a_frozen_clock_drives_timestamps() {
    let app = spawn_app().await;
    freeze(&app, "2026-01-15T12:00:00Z").await;

    let factor = app.enroll_sms().await;

    assert_eq!(factor.str("/created_at"), "2026-01-15T12:00:00.000Z");
}

#[tokio::test]
async fn a_clock_change_must_name_exactly_one_thing() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({"advance_seconds": 1, "resume": true}),
        json!({"freeze_at": "yesterday"}),
        json!({"tick": 1}),
    ] {
        let reply = app.post("/_mock/clock", body.clone()).await;
        assert_eq!(
            reply.expect(422)["code"],
            "invalid_request_parameters",
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_sms_challenge_expires_after_the_clock_moves_601_seconds() {
    let app = spawn_app().await;
    let factor = app.enroll_sms().await.str("/id");
    let challenge = app.challenge(&factor).await.str("/id");
    let code = app
        .get(&format!("/_mock/sms?challenge_id={challenge}"))
        .await
        .str("/data/0/code");

    app.post("/_mock/clock", json!({"advance_seconds": 601}))
        .await
        .expect(200);
    let reply = app.verify(&challenge, &code).await;

    assert_eq!(
        reply.expect(422)["code"],
        "authentication_challenge_expired"
    );
}

#[tokio::test]
async fn the_sms_code_read_from_the_outbox_verifies() {
    let app = spawn_app().await;
    let factor = app.enroll_sms().await.str("/id");
    let challenge = app
        .post(
            &format!("/auth/factors/{factor}/challenge"),
            json!({"sms_template": "Your Foo Corp code is {{code}}."}),
        )
        .await
        .str("/id");

    let outbox = app.get("/_mock/sms?phone_number=%2B15005550006").await;
    let message = &outbox.expect(200)["data"][0];
    let code = message["code"].as_str().expect("a code").to_owned();
    let reply = app.verify(&challenge, &code).await;

    assert_eq!(message["object"], "sms_message");
    assert_eq!(message["text"], format!("Your Foo Corp code is {code}."));
    assert_eq!(message["phone_number"], "+15005550006");
    assert_eq!(message["authentication_factor_id"], factor.as_str());
    assert_eq!(message["authentication_challenge_id"], challenge.as_str());
    assert_eq!(reply.expect(201)["valid"], true);
}

#[tokio::test]
async fn the_outbox_lists_newest_first_filters_and_clears() {
    let app = spawn_app().await;
    let first = app.enroll_sms().await.str("/id");
    let second = app
        .post(
            "/auth/factors/enroll",
            json!({"type": "sms", "phone_number": "+15555555555"}),
        )
        .await
        .str("/id");
    app.challenge(&first).await;
    let newest = app.challenge(&second).await.str("/id");

    let all = app.get("/_mock/sms").await;
    let filtered = app.get(&format!("/_mock/sms?factor_id={first}")).await;
    let cleared = app.delete("/_mock/sms").await;
    let after = app.get("/_mock/sms").await;

    assert_eq!(
        all.expect(200)["data"][0]["authentication_challenge_id"],
        newest.as_str()
    );
    assert!(
        all.str("/data/0/text")
            .starts_with("Your verification code is ")
    );
    assert_eq!(
        filtered.expect(200)["data"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(cleared.status, 204);
    assert_eq!(after.body["data"], json!([]));
}

#[tokio::test]
async fn a_totp_code_for_the_frozen_time_verifies_and_the_neighbours_follow_the_skew() {
    let app = spawn_app_with(Config {
        totp_skew_steps: 1,
        ..Config::default()
    })
    .await;
    let frozen = "2026-01-15T12:00:10Z";
    freeze(&app, frozen).await;
    let factor = app.enroll_totp().await;
    let secret = factor.str("/totp/secret");
    let now = unix_seconds(frozen);

    for (offset, expected) in [
        (0_i64, true),
        (-30, true),
        (30, true),
        (-60, false),
        (60, false),
        (3600, false),
    ] {
        let challenge = app.challenge(&factor.str("/id")).await.str("/id");
        let code = independent_totp(&secret, now.saturating_add_signed(offset));
        let reply = app.verify(&challenge, &code).await;
        assert_eq!(
            reply.expect(201)["valid"],
            expected,
            "a code {offset}s from the frozen time"
        );
    }
}

#[tokio::test]
async fn with_no_skew_only_the_current_step_verifies() {
    let app = spawn_app_with(Config {
        totp_skew_steps: 0,
        ..Config::default()
    })
    .await;
    freeze(&app, "2026-01-15T12:00:10Z").await;
    let factor = app.enroll_totp().await;
    let now = unix_seconds("2026-01-15T12:00:10Z");

    let current = app.challenge(&factor.str("/id")).await.str("/id");
    let previous = app.challenge(&factor.str("/id")).await.str("/id");
    let secret = factor.str("/totp/secret");

    assert_eq!(
        app.verify(&current, &independent_totp(&secret, now))
            .await
            .body["valid"],
        true
    );
    assert_eq!(
        app.verify(&previous, &independent_totp(&secret, now - 30))
            .await
            .body["valid"],
        false
    );
}

#[tokio::test]
async fn a_fault_with_times_two_fails_twice_then_passes() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/_mock/faults",
            json!({"method": "POST", "path": "/auth/factors/enroll", "status": 503, "times": 2}),
        )
        .await;
    assert_eq!(created.expect(201)["times_remaining"], 2);
    assert!(created.str("/id").starts_with("fault_"));

    let first = app.enroll_generic().await;
    let second = app.enroll_generic().await;
    let third = app.enroll_generic().await;

    assert_eq!(first.expect(503)["code"], "injected_fault");
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(second.status, 503);
    assert_eq!(third.status, 201);
    assert_eq!(app.get("/_mock/faults").await.body["data"], json!([]));
}

#[tokio::test]
async fn a_fault_can_match_a_wildcard_path_carry_a_body_and_headers_and_be_removed() {
    let app = spawn_app().await;
    let fault = app
        .post(
            "/_mock/faults",
            json!({"method": "*", "path": "/auth/challenges/*/verify", "status": 429,
                   "body": {"message": "slow down"}, "headers": {"Retry-After": "7"}}),
        )
        .await
        .str("/id");
    let challenge = app.challenge(&app.enroll_generic().await.str("/id")).await;

    let limited = app
        .verify(&challenge.str("/id"), &challenge.str("/code"))
        .await;
    app.delete(&format!("/_mock/faults/{fault}")).await;
    let passed = app
        .verify(&challenge.str("/id"), &challenge.str("/code"))
        .await;

    assert_eq!(limited.expect(429), &json!({"message": "slow down"}));
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert_eq!(passed.expect(201)["valid"], true);
    assert_eq!(
        app.delete(&format!("/_mock/faults/{fault}")).await.status,
        404
    );
}

#[tokio::test]
async fn a_delay_fault_slows_the_answer_without_failing_it() {
    let app = spawn_app().await;
    app.post(
        "/_mock/faults",
        json!({"method": "GET", "path": "/auth/factors/*", "delay_ms": 300, "times": 1}),
    )
    .await
    .expect(201);
    let id = app.enroll_generic().await.str("/id");

    let started = Instant::now();
    let slow = app.get(&format!("/auth/factors/{id}")).await;
    let slow_took = started.elapsed();

    assert_eq!(slow.status, 200);
    assert!(
        slow_took >= Duration::from_millis(300),
        "took {slow_took:?}"
    );
}

#[tokio::test]
async fn an_sdk_retry_with_the_same_idempotency_key_creates_one_factor() {
    let app = spawn_app().await;
    let user = app.create_user("ada@example.com").await.str("/id");
    let path = format!("/user_management/users/{user}/auth_factors");
    let send = |body: Value| {
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(&app.key)
            .header("idempotency-key", "retry-123")
            .json(&body);
        app.send(request)
    };

    let first = send(json!({"type": "totp", "totp_issuer": "Foo Corp"})).await;
    let retry = send(json!({"totp_issuer": "Foo Corp", "type": "totp"})).await;
    let changed = send(json!({"type": "totp", "totp_issuer": "Bar Corp"})).await;
    let list = app.get(&path).await;

    assert_eq!(first.status, 201);
    assert_eq!(
        retry.text, first.text,
        "the retry gets the first response, byte for byte"
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(changed.expect(400)["code"], "idempotency_key_reused");
    assert_eq!(list.expect(200)["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_retry_after_an_injected_503_runs_the_request() {
    let app = spawn_app().await;
    app.post(
        "/_mock/faults",
        json!({"method": "POST", "path": "/auth/factors/enroll", "status": 503, "times": 1}),
    )
    .await
    .expect(201);
    let send = || {
        let request = app
            .client
            .post(app.url("/auth/factors/enroll"))
            .bearer_auth(&app.key)
            .header("idempotency-key", "k1")
            .json(&json!({"type": "generic_otp"}));
        app.send(request)
    };

    let failed = send().await;
    let retried = send().await;

    assert_eq!((failed.status, retried.status), (503, 201));
}

#[tokio::test]
async fn the_journal_shows_what_the_client_sent_and_what_a_stricter_server_would_refuse() {
    let app = spawn_app().await;
    let request = app
        .client
        .post(app.url("/auth/factors/enroll?"))
        .bearer_auth(&app.key)
        .header("user-agent", "workos-python/10.8.0")
        .json(&json!({"type": "generic_otp", "user_id": null, "extra": 1}));
    app.send(request).await.expect(201);
    app.get("/auth/factors/missing").await;

    let journal = app.get("/_mock/requests").await;

    let entries = journal.expect(200)["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let (newest, enroll) = (&entries[0], &entries[1]);
    assert_eq!(newest["status"], 404);
    assert_eq!(enroll["method"], "POST");
    assert_eq!(enroll["path"], "/auth/factors/enroll");
    assert_eq!(enroll["status"], 201);
    assert_eq!(enroll["headers"]["authorization"], "[redacted]");
    assert_eq!(enroll["headers"]["user-agent"], "workos-python/10.8.0");
    assert_eq!(
        enroll["body"],
        json!({"type": "generic_otp", "user_id": null, "extra": 1})
    );
    let problems: Vec<&str> = enroll["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert_eq!(problems, ["user_id_null", "extra_unknown_field"]);
    assert!(
        !journal.text.contains(&app.key),
        "the API key never appears"
    );

    app.delete("/_mock/requests").await;
    assert_eq!(app.get("/_mock/requests").await.body["data"], json!([]));
}

#[tokio::test]
async fn the_journal_records_refused_requests_with_their_reasons() {
    let app = spawn_app().await;
    app.post("/auth/factors/enroll", json!({"type": "email"}))
        .await
        .expect(422);

    let entry = &app.get("/_mock/requests").await.body["data"][0];

    assert_eq!(entry["status"], 422);
    assert_eq!(entry["problems"][0]["code"], "type_invalid_value");
}

#[tokio::test]
async fn the_journal_is_bounded() {
    let app = spawn_app_with(Config {
        journal_capacity: 3,
        ..Config::default()
    })
    .await;
    for _ in 0..5 {
        app.get("/auth/factors/x").await;
    }

    let journal = app.get("/_mock/requests").await;

    assert_eq!(journal.body["data"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn reset_empties_the_tenant() {
    let app = spawn_app().await;
    let factor = app.enroll_sms().await.str("/id");
    app.challenge(&factor).await;
    freeze(&app, "2026-01-15T12:00:00Z").await;
    app.post(
        "/_mock/faults",
        json!({"method": "GET", "path": "/health", "status": 500}),
    )
    .await;

    let reset = app.post("/_mock/reset", json!({})).await;

    assert_eq!(reset.status, 204);
    assert_eq!(
        app.get(&format!("/auth/factors/{factor}")).await.status,
        404
    );
    assert_eq!(app.get("/_mock/sms").await.body["data"], json!([]));
    assert_eq!(app.get("/_mock/faults").await.body["data"], json!([]));
    assert_eq!(
        app.get("/_mock/requests").await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(app.get("/_mock/clock").await.body["frozen"], false);
}

#[tokio::test]
async fn state_exports_with_secrets_and_imports_into_another_tenant() {
    let app = spawn_app().await;
    let user = app.create_user("ada@example.com").await.str("/id");
    let enrolled = app
        .post(
            &format!("/user_management/users/{user}/auth_factors"),
            json!({"type": "totp", "totp_secret": "JBSWY3DPEHPK3PXP"}),
        )
        .await;
    let exported = app.get("/_mock/state").await;
    let copy = app.as_tenant("sk_test_copy");

    let imported = copy
        .send(
            copy.client
                .put(copy.url("/_mock/state"))
                .bearer_auth(&copy.key)
                .json(&exported.body),
        )
        .await;

    assert_eq!(
        exported.expect(200)["factors"][0]["totp"]["secret"],
        "JBSWY3DPEHPK3PXP"
    );
    assert_eq!(imported.expect(200)["factors"], exported.body["factors"]);
    let factor_id = enrolled.str("/authentication_factor/id");
    assert_eq!(
        copy.get(&format!("/auth/factors/{factor_id}")).await.status,
        200
    );
    let challenge = enrolled.str("/authentication_challenge/id");
    let code = independent_totp("JBSWY3DPEHPK3PXP", copy.now_seconds());
    assert_eq!(
        copy.verify(&challenge, &code).await.expect(201)["valid"],
        true
    );
}

#[tokio::test]
async fn an_invalid_state_document_is_refused_naming_each_problem() {
    let app = spawn_app().await;
    let request = app
        .client
        .put(app.url("/_mock/state"))
        .bearer_auth(&app.key)
        .json(&json!({"factors": [{"type": "sms", "sms": {"phone_number": "nope"}}]}));

    let reply = app.send(request).await;

    assert_eq!(
        reply.expect(422)["errors"][0]["field"],
        "factors[0].sms.phone_number"
    );
}

#[tokio::test]
async fn an_empty_state_import_is_refused_rather_than_wiping_the_tenant() {
    let app = spawn_app().await;
    let factor = app.enroll_generic().await.str("/id");
    for body in ["{}", "null", ""] {
        let request = app
            .client
            .put(app.url("/_mock/state"))
            .bearer_auth(&app.key)
            .header("content-type", "application/json")
            .body(body);

        let reply = app.send(request).await;

        assert_eq!(
            reply.expect(422)["errors"][0]["code"],
            "body_required",
            "{body:?}"
        );
        assert!(reply.str("/errors/0/message").contains("/_mock/reset"));
    }
    assert_eq!(
        app.get(&format!("/auth/factors/{factor}")).await.status,
        200
    );
}

#[tokio::test]
async fn two_api_keys_are_isolated_in_every_control() {
    let app = spawn_app().await;
    let other = app.as_tenant("sk_test_other_tenant");
    let factor = app.enroll_sms().await.str("/id");
    app.challenge(&factor).await;
    freeze(&app, "2026-01-15T12:00:00Z").await;
    app.post(
        "/_mock/faults",
        json!({"method": "GET", "path": "*", "status": 500}),
    )
    .await;

    assert_eq!(other.get("/_mock/sms").await.body["data"], json!([]));
    assert_eq!(other.get("/_mock/faults").await.body["data"], json!([]));
    assert_eq!(other.get("/_mock/requests").await.body["data"], json!([]));
    assert_eq!(other.get("/_mock/clock").await.body["frozen"], false);
    assert_eq!(other.get("/_mock/state").await.body["factors"], json!([]));
    other.post("/_mock/reset", json!({})).await;
    assert_eq!(
        app.get("/_mock/sms").await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        app.get("/auth/factors/x").await.status,
        500,
        "the fault still applies to its own tenant"
    );
}

#[tokio::test]
async fn controls_need_an_api_key() {
    let app = spawn_app().await;

    let reply = app.send(app.client.get(app.url("/_mock/sms"))).await;

    assert_eq!(reply.expect(401), &json!({"message": "Unauthorized"}));
}

#[tokio::test]
async fn a_seed_file_gives_stable_ids_and_a_known_secret() {
    let seeds = SeedFile::parse(
        r#"
tenants:
  - api_key: sk_test_seeded
    freeze_at: "2026-01-15T12:00:00Z"
    users: [{ id: user_ada, email: ada@example.com }]
    factors:
      - { id: auth_factor_ada, type: totp, user_id: user_ada, totp: { issuer: Foo Corp, user: ada@example.com, secret: JBSWY3DPEHPK3PXP } }
"#,
    )
    .expect("a valid seed");
    let app = spawn_app_with(Config {
        seeds,
        ..Config::default()
    })
    .await
    .as_tenant("sk_test_seeded");

    let factor = app.get("/auth/factors/auth_factor_ada").await;
    let list = app
        .get("/user_management/users/user_ada/auth_factors")
        .await;
    let challenge = app.challenge("auth_factor_ada").await.str("/id");
    let code = independent_totp("JBSWY3DPEHPK3PXP", unix_seconds("2026-01-15T12:00:00Z"));

    assert_eq!(factor.expect(200)["created_at"], "2026-01-15T12:00:00.000Z");
    assert_eq!(list.expect(200)["data"][0]["id"], "auth_factor_ada");
    assert_eq!(
        app.verify(&challenge, &code).await.expect(201)["valid"],
        true
    );
}

#[tokio::test]
async fn a_control_body_only_the_schema_refuses_gets_the_same_422_as_a_bad_enroll() {
    let app = spawn_app().await;
    let document = json!({"users": [{"id": "ada", "email": "ada@example.com"}]});

    let refused = app
        .send(
            app.client
                .put(app.url("/_mock/state"))
                .bearer_auth(&app.key)
                .json(&document),
        )
        .await;
    let enroll = app.post("/auth/factors/enroll", json!({"type": 5})).await;

    let refused = refused.expect(422);
    let enroll = enroll.expect(422);
    assert_eq!(refused["code"], enroll["code"]);
    assert_eq!(refused["message"], enroll["message"]);
    assert_eq!(refused["errors"][0]["field"], "users.0.id");
    assert_eq!(refused["errors"][0]["code"], "users_0_id_invalid");
    assert!(
        app.app.tenant(&app.key).user("ada").is_none(),
        "nothing was imported"
    );
}

#[tokio::test]
async fn a_state_import_naming_an_api_key_is_refused_because_the_request_key_decides() {
    let app = spawn_app().await;
    let document = json!({"api_key": "sk_test_other", "users": [{"email": "ada@example.com"}]});

    let reply = app
        .send(
            app.client
                .put(app.url("/_mock/state"))
                .bearer_auth(&app.key)
                .json(&document),
        )
        .await;

    assert_eq!(reply.expect(422)["errors"][0]["field"], "api_key");
    assert!(
        app.get("/_mock/state").await.body["users"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}
