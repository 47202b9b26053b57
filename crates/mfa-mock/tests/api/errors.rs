//! Authentication, routing and body errors: status, WorkOS-shaped body, and the
//! server still answering afterwards.

use mfa_mock::Config;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

async fn still_healthy(app: &TestApp) {
    assert_eq!(
        app.enroll_generic().await.status,
        201,
        "the server still answers"
    );
}

#[tokio::test]
async fn health_needs_no_key() {
    let app = spawn_app().await;

    let reply = app.send(app.client.get(app.url("/health"))).await;

    assert_eq!(reply.expect(200), &json!({"status": "ok"}));
}

#[tokio::test]
async fn missing_and_unknown_keys_are_a_bare_401() {
    let app = spawn_app().await;
    let url = app.url("/auth/factors/enroll");
    let requests = [
        app.client.post(&url),
        app.client.post(&url).bearer_auth("nonsense"),
        app.client.post(&url).header("authorization", "Bearer"),
        app.client
            .post(&url)
            .header("authorization", "Basic c2tfdGVzdF94"),
    ];
    for request in requests {
        let reply = app
            .send(request.json(&json!({"type": "generic_otp"})))
            .await;
        assert_eq!(reply.expect(401), &json!({"message": "Unauthorized"}));
        assert!(
            reply
                .header("www-authenticate")
                .is_some_and(|h| h.contains("Bearer"))
        );
    }
}

#[tokio::test]
async fn a_live_key_is_refused_with_a_message_saying_why() {
    let app = spawn_app().await.as_tenant("sk_live_0123456789");

    let reply = app.enroll_generic().await;

    assert_eq!(reply.expect(401)["code"], "live_api_key_refused");
    assert!(
        reply
            .str("/message")
            .contains("Never send a production key")
    );
}

#[tokio::test]
async fn an_explicit_key_list_admits_only_its_keys() {
    let app = spawn_app_with(Config {
        api_keys: vec!["ci_key_1".into()],
        ..Config::default()
    })
    .await;

    let listed = app.as_tenant("ci_key_1").enroll_generic().await;
    let unlisted = app.as_tenant("sk_test_other").enroll_generic().await;

    assert_eq!((listed.status, unlisted.status), (201, 401));
}

#[tokio::test]
async fn malformed_json_is_a_400_that_says_what_was_wrong() {
    let app = spawn_app().await;
    for body in [
        "{\"type\": \"totp\"",
        "{type: totp}",
        "not json",
        "{\"type\":\"totp\"}}",
    ] {
        let reply = app
            .post_raw("/auth/factors/enroll", Some("application/json"), body)
            .await;
        assert_eq!(reply.expect(400)["code"], "invalid_json", "{body}");
        assert!(reply.str("/message").contains("not valid JSON"), "{body}");
    }
    still_healthy(&app).await;
}

#[tokio::test]
async fn json_that_is_not_an_object_is_a_400() {
    let app = spawn_app().await;
    for (body, kind) in [
        ("[]", "an array"),
        ("\"totp\"", "a string"),
        ("42", "a number"),
        ("true", "a boolean"),
    ] {
        let reply = app
            .post_raw("/auth/factors/enroll", Some("application/json"), body)
            .await;
        assert_eq!(reply.expect(400)["code"], "invalid_json");
        assert!(
            reply.str("/message").contains(kind),
            "{body}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn invalid_utf8_is_a_400() {
    let app = spawn_app().await;

    let reply = app
        .post_raw(
            "/auth/factors/enroll",
            Some("application/json"),
            vec![b'{', 0xff, 0xfe, b'}'],
        )
        .await;

    assert_eq!(reply.expect(400)["code"], "invalid_json");
    still_healthy(&app).await;
}

#[tokio::test]
async fn a_body_declared_as_something_other_than_json_is_a_400() {
    let app = spawn_app().await;

    let reply = app
        .post_raw(
            "/auth/factors/enroll",
            Some("application/x-www-form-urlencoded"),
            "type=totp",
        )
        .await;

    assert_eq!(reply.expect(400)["code"], "invalid_content_type");
    assert!(
        reply
            .str("/message")
            .contains("Content-Type: application/json")
    );
}

#[tokio::test]
async fn a_json_body_without_a_content_type_is_accepted() {
    let app = spawn_app().await;

    let reply = app
        .post_raw("/auth/factors/enroll", None, r#"{"type":"generic_otp"}"#)
        .await;

    assert_eq!(reply.status, 201);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_with_a_json_body() {
    let app = spawn_app_with(Config {
        max_body_bytes: 1024,
        ..Config::default()
    })
    .await;
    let big = format!(
        r#"{{"type":"generic_otp","padding":"{}"}}"#,
        "a".repeat(2048)
    );

    let reply = app
        .post_raw("/auth/factors/enroll", Some("application/json"), big)
        .await;

    assert_eq!(reply.expect(413)["code"], "payload_too_large");
    assert!(reply.str("/message").contains("1024"));
    still_healthy(&app).await;
}

#[tokio::test]
async fn an_unknown_route_is_a_404_that_names_the_route() {
    let app = spawn_app().await;

    let reply = app.get("/auth/factor/auth_factor_1").await;

    assert_eq!(reply.expect(404)["code"], "route_not_found");
    assert!(
        reply
            .str("/message")
            .contains("GET /auth/factor/auth_factor_1")
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_listing_the_allowed_ones() {
    let app = spawn_app().await;

    let reply = app
        .send(
            app.client
                .put(app.url("/auth/factors/auth_factor_1"))
                .bearer_auth(&app.key),
        )
        .await;

    assert_eq!(reply.expect(405)["code"], "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET, DELETE"));
}

#[tokio::test]
async fn an_unknown_query_parameter_is_a_422() {
    let app = spawn_app().await;
    let id = app.enroll_generic().await.str("/id");

    let reply = app.get(&format!("/auth/factors/{id}?expand=secret")).await;

    assert_eq!(
        reply.expect(422)["errors"][0]["code"],
        "expand_unknown_parameter"
    );
}

#[tokio::test]
async fn every_response_has_a_request_id_and_every_body_is_utf8_json() {
    let app = spawn_app().await;
    let replies = [
        app.enroll_totp().await,
        app.get("/auth/factors/missing").await,
        app.get("/nowhere").await,
        app.send(app.client.get(app.url("/health"))).await,
    ];
    for reply in replies {
        assert!(
            reply
                .header("x-request-id")
                .is_some_and(|id| id.starts_with("req_"))
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn odd_ids_are_404s_that_echo_the_id() {
    let app = spawn_app().await;
    let long = "x".repeat(10_000);
    for (path_id, echoed) in [
        ("auth%2Ffactor", "auth/factor"),
        ("%E2%9C%93", "\u{2713}"),
        (long.as_str(), long.as_str()),
        ("...", "..."),
    ] {
        let reply = app.get(&format!("/auth/factors/{path_id}")).await;
        assert_eq!(reply.expect(404)["entity_id"], echoed);
    }
}
