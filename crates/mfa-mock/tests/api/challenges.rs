//! Challenge factors and verify the challenges: codes, skew, expiry, attempts.

use mfa_mock::Config;
use serde_json::json;

use crate::helpers::{
    independent_totp, spawn_app, spawn_app_with, spawn_app_with_manual_clock, wrong_totp,
};

#[tokio::test]
async fn a_totp_challenge_carries_neither_expiry_nor_code() {
    let app = spawn_app().await;
    let factor = app.enroll_totp().await;

    let reply = app.challenge(&factor.str("/id")).await;

    let challenge = reply.expect(201);
    assert_eq!(challenge["object"], "authentication_challenge");
    assert!(reply.str("/id").starts_with("auth_challenge_"));
    assert_eq!(challenge["authentication_factor_id"], factor.body["id"]);
    assert!(challenge.get("expires_at").is_none() && challenge.get("code").is_none());
}

#[tokio::test]
async fn an_sms_challenge_expires_in_ten_minutes_and_hides_its_code() {
    let (app, _clock) = spawn_app_with_manual_clock().await;
    let factor = app.enroll_sms().await;

    let reply = app.challenge(&factor.str("/id")).await;

    let challenge = reply.expect(201);
    assert_eq!(challenge["created_at"], "2023-11-14T22:13:20.000Z");
    assert_eq!(challenge["expires_at"], "2023-11-14T22:23:20.000Z");
    assert!(challenge.get("code").is_none());
}

#[tokio::test]
async fn an_sms_template_is_sent_with_the_code_in_place_of_the_token() {
    let app = spawn_app().await;
    let factor = app.enroll_sms().await;

    let reply = app
        .post(
            &format!("/auth/factors/{}/challenge", factor.str("/id")),
            json!({"sms_template": "Your Foo Corp code is {{code}}."}),
        )
        .await;

    let stored = app
        .app
        .tenant(&app.key)
        .challenge(&reply.str("/id"))
        .expect("stored");
    let message = stored.sms.expect("an SMS was rendered").text;
    let code = message
        .trim_start_matches("Your Foo Corp code is ")
        .trim_end_matches('.');
    assert_eq!(code.len(), 6, "{message}");
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{message}");
}

#[tokio::test]
async fn a_challenge_body_may_be_empty_or_null() {
    let app = spawn_app().await;
    let path = format!(
        "/auth/factors/{}/challenge",
        app.enroll_totp().await.str("/id")
    );

    let empty = app.post_raw(&path, None, "").await;
    let null = app.post_raw(&path, Some("application/json"), "null").await;

    assert_eq!((empty.status, null.status), (201, 201));
}

#[tokio::test]
async fn a_generic_otp_challenge_carries_the_code_that_verifies_it() {
    let app = spawn_app().await;
    let factor = app.enroll_generic().await;
    let challenge = app.challenge(&factor.str("/id")).await;
    let code = challenge.str("/code");
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    assert!(challenge.body.get("expires_at").is_some());

    let reply = app.verify(&challenge.str("/id"), &code).await;

    assert_eq!(reply.expect(201)["valid"], true);
    assert!(
        reply.body["challenge"].get("code").is_none(),
        "verify never echoes the code"
    );
}

#[tokio::test]
async fn a_code_from_an_independent_totp_library_verifies() {
    let app = spawn_app().await;
    let factor = app.enroll_totp().await;
    let challenge = app.challenge(&factor.str("/id")).await;
    let code = independent_totp(&factor.str("/totp/secret"), app.now_seconds());

    let reply = app.verify(&challenge.str("/id"), &code).await;

    let body = reply.expect(201);
    assert_eq!(body["valid"], true);
    assert_eq!(body["challenge"]["id"], challenge.body["id"]);
    assert_eq!(
        body["challenge"]["authentication_factor_id"],
        factor.body["id"]
    );
}

#[tokio::test]
async fn a_wrong_code_is_valid_false_not_an_error() {
    let app = spawn_app().await;
    let factor = app.enroll_totp().await;
    let challenge = app.challenge(&factor.str("/id")).await;
    let wrong = wrong_totp(&factor.str("/totp/secret"), app.now_seconds());

    let reply = app.verify(&challenge.str("/id"), &wrong).await;

    assert_eq!(reply.expect(201)["valid"], false);
}

#[tokio::test]
async fn the_neighbouring_steps_verify_with_the_default_skew_and_two_steps_away_do_not() {
    let (app, _clock) = spawn_app_with_manual_clock().await;
    let factor = app.enroll_totp().await;
    let secret = factor.str("/totp/secret");
    let now = app.now_seconds();

    for (offset, expected) in [(-30_i64, true), (30, true), (-60, false), (60, false)] {
        let challenge = app.challenge(&factor.str("/id")).await;
        let at = now.saturating_add_signed(offset);
        let reply = app
            .verify(&challenge.str("/id"), &independent_totp(&secret, at))
            .await;
        assert_eq!(reply.expect(201)["valid"], expected, "offset {offset}s");
    }
}

#[tokio::test]
async fn a_challenge_verifies_only_once() {
    let app = spawn_app().await;
    let factor = app.enroll_generic().await;
    let challenge = app.challenge(&factor.str("/id")).await;
    let id = challenge.str("/id");
    app.verify(&id, &challenge.str("/code")).await.expect(201);

    let again = app.verify(&id, &challenge.str("/code")).await;
    let wrong_after = app.verify(&id, "000000").await;

    let expected = json!({
        "code": "authentication_challenge_previously_verified",
        "message": format!("The authentication challenge '{id}' has already been verified."),
    });
    assert_eq!(again.expect(422), &expected);
    assert_eq!(wrong_after.expect(422), &expected);
}

#[tokio::test]
async fn an_sms_challenge_expires_after_ten_minutes() {
    let (app, clock) = spawn_app_with_manual_clock().await;
    let factor = app.enroll_generic().await;
    let challenge = app.challenge(&factor.str("/id")).await;
    let id = challenge.str("/id");

    clock.advance(601);
    let reply = app.verify(&id, &challenge.str("/code")).await;

    assert_eq!(
        reply.expect(422),
        &json!({
            "code": "authentication_challenge_expired",
            "message": format!("The authentication challenge '{id}' has expired."),
        })
    );
}

#[tokio::test]
async fn a_challenge_still_verifies_just_before_it_expires() {
    let (app, clock) = spawn_app_with_manual_clock().await;
    let challenge = app.challenge(&app.enroll_generic().await.str("/id")).await;

    clock.advance(599);
    let reply = app
        .verify(&challenge.str("/id"), &challenge.str("/code"))
        .await;

    assert_eq!(reply.expect(201)["valid"], true);
}

#[tokio::test]
async fn after_five_wrong_codes_every_verify_is_refused_even_a_right_one() {
    let app = spawn_app().await;
    let challenge = app.challenge(&app.enroll_generic().await.str("/id")).await;
    let id = challenge.str("/id");
    let code = challenge.str("/code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for attempt in 1..=5 {
        assert_eq!(
            app.verify(&id, wrong).await.expect(201)["valid"],
            false,
            "attempt {attempt}"
        );
    }

    let reply = app.verify(&id, &code).await;

    assert_eq!(reply.expect(400)["code"], "one_time_code_too_many_attempts");
    assert!(reply.str("/message").contains(&id));
}

#[tokio::test]
async fn the_attempt_limit_is_configurable() {
    let app = spawn_app_with(Config {
        attempt_limit: 1,
        ..Config::default()
    })
    .await;
    let challenge = app.challenge(&app.enroll_generic().await.str("/id")).await;
    let wrong = if challenge.str("/code") == "000000" {
        "111111"
    } else {
        "000000"
    };
    app.verify(&challenge.str("/id"), wrong).await.expect(201);

    let reply = app
        .verify(&challenge.str("/id"), &challenge.str("/code"))
        .await;

    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn unknown_ids_are_404s_naming_the_id() {
    let app = spawn_app().await;

    let factor = app
        .challenge("auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ")
        .await;
    let challenge = app
        .verify("auth_challenge_01FVYZWQTZQ5VB6BC5MPG2EYC5", "123456")
        .await;

    assert_eq!(
        factor.expect(404),
        &json!({
            "message": "Authentication Factor not found: 'auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ'.",
            "code": "entity_not_found",
            "entity_id": "auth_factor_01FVYZ5QM8N98T9ME5BCB2BBMJ",
        })
    );
    assert_eq!(
        challenge.expect(404)["message"],
        "Authentication Challenge not found: 'auth_challenge_01FVYZWQTZQ5VB6BC5MPG2EYC5'."
    );
}

#[tokio::test]
async fn verify_needs_a_code_and_it_must_be_a_string() {
    let app = spawn_app().await;
    let challenge = app.challenge(&app.enroll_generic().await.str("/id")).await;
    let path = format!("/auth/challenges/{}/verify", challenge.str("/id"));

    let missing = app.post(&path, json!({})).await;
    let number = app.post(&path, json!({"code": 123456})).await;

    assert_eq!(missing.expect(422)["errors"][0]["field"], "code");
    assert_eq!(number.expect(422)["errors"][0]["code"], "code_invalid_type");
}
