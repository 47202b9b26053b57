//! Hostile JSON bodies: malformed and truncated, not an object, every field
//! of every body mistyped, strings of a megabyte, deep nesting, invalid UTF-8.

use serde_json::json;

use super::{Case, Expect, INVALID_JSON, Targets, check, post, rows, run};
use crate::helpers::spawn_app;
use crate::raw;

#[tokio::test]
async fn malformed_and_truncated_json_is_a_400_invalid_json_on_every_endpoint() {
    let app = spawn_app().await;
    let targets = Targets::create(&app).await;
    let table: &[(&str, &[u8], Expect)] = &[
        ("enroll", b"{", INVALID_JSON),
        ("enroll", br#"{"type":"gener"#, INVALID_JSON),
        ("enroll", br#"{"type":"generic_otp",}"#, INVALID_JSON),
        (
            "enroll",
            br#"{"type":"generic_otp" "user_id":"u"}"#,
            INVALID_JSON,
        ),
        ("enroll", br#"{"type":"generic_otp","n":NaN}"#, INVALID_JSON),
        (
            "enroll",
            br#"{"type":"generic_otp","n":1e999}"#,
            INVALID_JSON,
        ),
        (
            "enroll",
            br#"{"type":"generic_otp","n":0x10}"#,
            INVALID_JSON,
        ),
        ("enroll", br#"{"type":"generic_otp"}{}"#, INVALID_JSON),
        (
            "enroll",
            br#"/* comment */ {"type":"generic_otp"}"#,
            INVALID_JSON,
        ),
        (
            "enroll",
            b"\xEF\xBB\xBF{\"type\":\"generic_otp\"}",
            INVALID_JSON,
        ),
        ("enroll", b"{\"type\":\"generic_otp\"}\0", INVALID_JSON),
        ("enroll", b"{\"type\":\"generic\x01otp\"}", INVALID_JSON),
        ("enroll", br#"{"type":"\ud800"}"#, INVALID_JSON),
        ("enroll", br#"{"type":"\x41"}"#, INVALID_JSON),
        ("challenge", b"{,}", INVALID_JSON),
        ("verify", br#"{"code":"12"#, INVALID_JSON),
        ("users", br#"{"email":}"#, INVALID_JSON),
        ("authkit", br#"{"type":"totp""#, INVALID_JSON),
    ];

    run(&app, rows(&app, &targets, table)).await;
}

#[tokio::test]
async fn json_that_is_not_an_object_is_a_400_invalid_json_on_every_endpoint() {
    let app = spawn_app().await;
    let targets = Targets::create(&app).await;
    let table: &[(&str, &[u8], Expect)] = &[
        ("enroll", b"-0.5", INVALID_JSON),
        ("challenge", b"[]", INVALID_JSON),
        ("verify", br#""123456""#, INVALID_JSON),
        ("users", br#"[{"email":"ada@example.com"}]"#, INVALID_JSON),
        ("authkit", b"false", INVALID_JSON),
    ];

    run(&app, rows(&app, &targets, table)).await;
}

#[tokio::test]
async fn a_wrong_type_for_any_field_of_any_body_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let targets = Targets::create(&app).await;
    let table: &[(&str, &[u8], Expect)] = &[
        (
            "enroll",
            br#"{"type":["totp"]}"#,
            Expect::Invalid("type_invalid_value"),
        ),
        (
            "enroll",
            br#"{"type":{"totp":true}}"#,
            Expect::Invalid("type_invalid_value"),
        ),
        (
            "enroll",
            br#"{"type":true}"#,
            Expect::Invalid("type_invalid_value"),
        ),
        (
            "enroll",
            br#"{"type":"totp","totp_issuer":["Foo"],"totp_user":"a"}"#,
            Expect::Invalid("totp_issuer_invalid_type"),
        ),
        (
            "enroll",
            br#"{"type":"totp","totp_issuer":"Foo","totp_user":{"name":"a"}}"#,
            Expect::Invalid("totp_user_invalid_type"),
        ),
        (
            "enroll",
            br#"{"type":"sms","phone_number":15005550006}"#,
            Expect::Invalid("phone_number_invalid_type"),
        ),
        (
            "enroll",
            br#"{"type":"generic_otp","user_id":["user_1"]}"#,
            Expect::Invalid("user_id_invalid_type"),
        ),
        (
            "challenge",
            br#"{"sms_template":["{{code}}"]}"#,
            Expect::Invalid("sms_template_invalid_type"),
        ),
        (
            "challenge",
            br#"{"sms_template":{"text":"x"}}"#,
            Expect::Invalid("sms_template_invalid_type"),
        ),
        (
            "challenge",
            br#"{"sms_template":false}"#,
            Expect::Invalid("sms_template_invalid_type"),
        ),
        (
            "verify",
            br#"{"code":["123456"]}"#,
            Expect::Invalid("code_invalid_type"),
        ),
        (
            "verify",
            br#"{"code":{"value":"123456"}}"#,
            Expect::Invalid("code_invalid_type"),
        ),
        (
            "verify",
            br#"{"code":true}"#,
            Expect::Invalid("code_invalid_type"),
        ),
        (
            "verify",
            br#"{"code":1.5e5}"#,
            Expect::Invalid("code_invalid_type"),
        ),
        (
            "users",
            br#"{"email":["ada@example.com"]}"#,
            Expect::Invalid("email_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","first_name":7}"#,
            Expect::Invalid("first_name_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","last_name":false}"#,
            Expect::Invalid("last_name_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","email_verified":"yes"}"#,
            Expect::Invalid("email_verified_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","external_id":42}"#,
            Expect::Invalid("external_id_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","metadata":["pro"]}"#,
            Expect::Invalid("metadata_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","metadata":"pro"}"#,
            Expect::Invalid("metadata_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","password":12345678}"#,
            Expect::Invalid("password_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","password_hash":[]}"#,
            Expect::Invalid("password_hash_invalid_type"),
        ),
        (
            "users",
            br#"{"email":"a@b.c","password_hash_type":{}}"#,
            Expect::Invalid("password_hash_type_invalid_type"),
        ),
        (
            "authkit",
            br#"{"type":7}"#,
            Expect::Invalid("type_invalid_value"),
        ),
        (
            "authkit",
            br#"{"type":"totp","totp_issuer":1}"#,
            Expect::Invalid("totp_issuer_invalid_type"),
        ),
        (
            "authkit",
            br#"{"type":"totp","totp_user":true}"#,
            Expect::Invalid("totp_user_invalid_type"),
        ),
        (
            "authkit",
            br#"{"type":"totp","totp_secret":123456789012345678}"#,
            Expect::Invalid("totp_secret_invalid_type"),
        ),
    ];

    run(&app, rows(&app, &targets, table)).await;
}

#[tokio::test]
async fn a_string_of_a_megabyte_in_any_bounded_field_is_a_422_too_long() {
    let app = spawn_app().await;
    let targets = Targets::create(&app).await;
    let huge = "é".repeat(500_000);
    let bodies = [
        (
            "enroll",
            json!({"type": "totp", "totp_issuer": huge, "totp_user": "a"}),
            "totp_issuer_too_long",
        ),
        (
            "enroll",
            json!({"type": "totp", "totp_issuer": "a", "totp_user": huge}),
            "totp_user_too_long",
        ),
        (
            "enroll",
            json!({"type": "sms", "phone_number": huge}),
            "phone_number_too_long",
        ),
        (
            "enroll",
            json!({"type": "generic_otp", "user_id": huge}),
            "user_id_too_long",
        ),
        (
            "challenge",
            json!({"sms_template": huge}),
            "sms_template_too_long",
        ),
        (
            "users",
            json!({"email": format!("a@{huge}")}),
            "email_too_long",
        ),
        (
            "users",
            json!({"email": "a@b.c", "first_name": huge}),
            "first_name_too_long",
        ),
        (
            "authkit",
            json!({"type": "totp", "totp_secret": "A".repeat(1_000_000)}),
            "totp_secret_too_long",
        ),
    ];
    let cases = bodies
        .into_iter()
        .map(|(endpoint, body, code)| {
            let bytes = serde_json::to_vec(&body).expect("serialisable");
            assert!(
                bytes.len() >= 1_000_000,
                "{code}: the body really is a megabyte"
            );
            Case::new(
                code,
                post(&app, &targets.path(endpoint), &bytes),
                Expect::Invalid(code),
            )
        })
        .collect();

    run(&app, cases).await;
}

#[tokio::test]
async fn megabyte_unknown_keys_are_ignored_like_any_unknown_key() {
    let app = spawn_app().await;
    let body = json!({"type": "generic_otp", "x".repeat(500_000): "y".repeat(500_000)});
    let bytes = serde_json::to_vec(&body).expect("serialisable");

    let reply = raw::exchange(&app.base_url, &post(&app, "/auth/factors/enroll", &bytes)).await;

    check(&reply, &Expect::Success(201), "a megabyte unknown key");
    assert_eq!(reply.json()["type"], "generic_otp");
}

#[tokio::test]
async fn deeply_nested_json_is_refused_without_exhausting_the_stack() {
    let app = spawn_app().await;
    let targets = Targets::create(&app).await;
    let arrays = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let objects = format!(
        r#"{{"type":"generic_otp","x":{}1{}}}"#,
        r#"{"x":"#.repeat(10_000),
        "}".repeat(10_000)
    );
    let unclosed = r#"{"a":"#.repeat(100_000);
    let metadata = format!(
        r#"{{"email":"a@b.c","metadata":{{"plan":{}"pro"{}}}}}"#,
        r#"{"x":"#.repeat(100),
        "}".repeat(100)
    );
    let table: Vec<(&str, &[u8], Expect)> = vec![
        ("enroll", arrays.as_bytes(), INVALID_JSON),
        ("enroll", objects.as_bytes(), INVALID_JSON),
        ("verify", unclosed.as_bytes(), INVALID_JSON),
        (
            "users",
            metadata.as_bytes(),
            Expect::Invalid("metadata_plan_invalid_type"),
        ),
    ];

    run(&app, rows(&app, &targets, &table)).await;
}

#[tokio::test]
async fn invalid_utf8_anywhere_in_a_body_is_a_400_invalid_json() {
    let app = spawn_app().await;
    let targets = Targets::create(&app).await;
    let table: &[(&str, &[u8], Expect)] = &[
        ("enroll", b"{\"type\":\"\xff\"}", INVALID_JSON),
        (
            "enroll",
            b"{\"type\":\"generic_otp\",\"user_id\":\"\xc0\xaf\"}",
            INVALID_JSON,
        ),
        (
            "challenge",
            b"{\"sms_template\":\"\xed\xa0\x80{{code}}\"}",
            INVALID_JSON,
        ),
        ("verify", b"{\"code\":\"\xe2\x82", INVALID_JSON),
        ("users", b"\xff\xfe{\0\"\0e\0m\0a\0i\0l\0\"\0", INVALID_JSON),
        ("authkit", b"{\"\xfe\":\"totp\"}", INVALID_JSON),
    ];

    run(&app, rows(&app, &targets, table)).await;
}

#[tokio::test]
async fn refused_verify_bodies_cost_no_attempt_and_leave_the_challenge_verifiable() {
    let app = spawn_app().await;
    let challenge = app.challenge(&app.enroll_generic().await.str("/id")).await;
    let path = format!("/auth/challenges/{}/verify", challenge.str("/id"));
    let refused: [&[u8]; 8] = [
        b"{",
        b"[]",
        br#"{"code":123456}"#,
        br#"{"code":["123456"]}"#,
        br#"{"code":null}"#,
        b"{\"code\":\"\xff\"}",
        br#"{"cod":"123456"}"#,
        br#"{"code":"123456""#,
    ];

    for body in refused {
        let reply = raw::exchange(&app.base_url, &post(&app, &path, body)).await;
        assert!(
            [400, 422].contains(&reply.status),
            "{}: {}",
            String::from_utf8_lossy(body),
            reply.text()
        );
    }
    let verify = app
        .verify(&challenge.str("/id"), &challenge.str("/code"))
        .await;

    assert_eq!(
        verify.expect(201)["valid"],
        true,
        "more refusals than the attempt limit, yet none counted"
    );
}
