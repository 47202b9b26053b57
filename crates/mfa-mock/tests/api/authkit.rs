//! AuthKit: enroll a user's factor (factor and challenge at once) and list them.

use mfa_mock::Config;
use serde_json::{Value, json};

use crate::helpers::{TestApp, independent_totp, spawn_app, spawn_app_with};

async fn user(app: &TestApp) -> String {
    app.create_user("ada@example.com").await.str("/id")
}

async fn enroll(app: &TestApp, user_id: &str, body: Value) -> crate::helpers::Reply {
    app.post(
        &format!("/user_management/users/{user_id}/auth_factors"),
        body,
    )
    .await
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .map(|data| {
            data.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn enrolling_returns_the_factor_and_a_challenge_with_the_defaults_filled_in() {
    let app = spawn_app_with(Config {
        default_totp_issuer: "Acme".into(),
        ..Config::default()
    })
    .await;
    let user_id = user(&app).await;

    let reply = enroll(&app, &user_id, json!({"type": "totp"})).await;

    let body = reply.expect(201);
    let factor = &body["authentication_factor"];
    let challenge = &body["authentication_challenge"];
    assert_eq!(factor["user_id"], user_id.as_str());
    assert_eq!(factor["totp"]["issuer"], "Acme");
    assert_eq!(factor["totp"]["user"], "ada@example.com");
    assert!(
        factor["totp"]["qr_code"]
            .as_str()
            .is_some_and(|qr| qr.starts_with("data:image/png;base64,"))
    );
    assert_eq!(challenge["object"], "authentication_challenge");
    assert_eq!(challenge["authentication_factor_id"], factor["id"]);
    assert!(challenge.get("expires_at").is_none());
}

#[tokio::test]
async fn a_supplied_totp_secret_is_used_and_its_codes_verify_the_challenge() {
    let app = spawn_app().await;
    let user_id = user(&app).await;

    let reply = enroll(
        &app,
        &user_id,
        json!({"type": "totp", "totp_issuer": "Foo Corp", "totp_user": "bob@example.com", "totp_secret": "JBSWY3DPEHPK3PXP"}),
    )
    .await;
    reply.expect(201);
    let code = independent_totp("JBSWY3DPEHPK3PXP", app.now_seconds());
    let verify = app
        .verify(&reply.str("/authentication_challenge/id"), &code)
        .await;

    assert_eq!(
        reply.str("/authentication_factor/totp/secret"),
        "JBSWY3DPEHPK3PXP"
    );
    assert!(
        reply
            .str("/authentication_factor/totp/uri")
            .contains("secret=JBSWY3DPEHPK3PXP")
    );
    assert_eq!(verify.expect(201)["valid"], true);
}

#[tokio::test]
async fn a_secret_that_is_not_base32_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let user_id = user(&app).await;
    for secret in ["not base32!", "JBSWY3DP", "JBSWY3DPEHPK3PX1"] {
        let reply = enroll(
            &app,
            &user_id,
            json!({"type": "totp", "totp_secret": secret}),
        )
        .await;
        let error = reply.expect(422);
        assert_eq!(error["errors"][0]["field"], "totp_secret", "{secret}");
    }
}

#[tokio::test]
async fn only_totp_can_be_enrolled_through_authkit() {
    let app = spawn_app().await;
    let user_id = user(&app).await;

    let reply = enroll(
        &app,
        &user_id,
        json!({"type": "sms", "phone_number": "+15005550006"}),
    )
    .await;

    assert_eq!(reply.expect(422)["errors"][0]["code"], "type_invalid_value");
}

#[tokio::test]
async fn an_unknown_user_is_a_404_for_enroll_and_list() {
    let app = spawn_app().await;
    let missing = "user_01E4ZCR3C56J083X43JQXF3JK5";

    let enrolled = enroll(&app, missing, json!({"type": "totp"})).await;
    let listed = app
        .get(&format!("/user_management/users/{missing}/auth_factors"))
        .await;

    let expected = json!({
        "message": format!("User not found: '{missing}'."),
        "code": "entity_not_found",
        "entity_id": missing,
    });
    assert_eq!(enrolled.expect(404), &expected);
    assert_eq!(listed.expect(404), &expected);
}

#[tokio::test]
async fn the_list_is_newest_first_and_pages_forwards_and_backwards() {
    let app = spawn_app().await;
    let user_id = user(&app).await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(
            enroll(&app, &user_id, json!({"type": "totp"}))
                .await
                .str("/authentication_factor/id"),
        );
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    let path = format!("/user_management/users/{user_id}/auth_factors");

    let first = app.get(&format!("{path}?limit=2")).await;
    let second = app
        .get(&format!(
            "{path}?limit=2&after={}",
            first.str("/list_metadata/after")
        ))
        .await;
    let third = app
        .get(&format!(
            "{path}?limit=2&after={}",
            second.str("/list_metadata/after")
        ))
        .await;
    let back = app
        .get(&format!(
            "{path}?limit=2&before={}",
            third.str("/list_metadata/before")
        ))
        .await;

    assert_eq!(first.expect(200)["object"], "list");
    assert_eq!(ids(&first.body), newest_first[0..2]);
    assert_eq!(
        first.body["list_metadata"],
        json!({"before": null, "after": newest_first[1]})
    );
    assert_eq!(ids(&second.body), newest_first[2..4]);
    assert_eq!(ids(&third.body), newest_first[4..5]);
    assert_eq!(
        third.body["list_metadata"],
        json!({"before": newest_first[4], "after": null})
    );
    assert_eq!(ids(&back.body), newest_first[2..4]);
    let listed_factor = &first.body["data"][0];
    assert!(
        listed_factor["totp"].get("secret").is_none(),
        "{listed_factor}"
    );
}

#[tokio::test]
async fn ascending_order_lists_oldest_first_and_the_default_limit_is_ten() {
    let app = spawn_app().await;
    let user_id = user(&app).await;
    let mut created = Vec::new();
    for _ in 0..12 {
        created.push(
            enroll(&app, &user_id, json!({"type": "totp"}))
                .await
                .str("/authentication_factor/id"),
        );
    }
    let path = format!("/user_management/users/{user_id}/auth_factors");

    let ascending = app.get(&format!("{path}?order=asc")).await;

    assert_eq!(ids(ascending.expect(200)), created[0..10]);
    assert_eq!(
        ascending.body["list_metadata"]["after"],
        created[9].as_str()
    );
}

#[tokio::test]
async fn standalone_totp_factors_with_the_user_id_are_listed_and_other_types_are_not() {
    let app = spawn_app().await;
    let user_id = user(&app).await;
    let totp = app
        .post(
            "/auth/factors/enroll",
            json!({"type": "totp", "totp_issuer": "Foo", "totp_user": "ada", "user_id": user_id}),
        )
        .await;
    let sms = app
        .post(
            "/auth/factors/enroll",
            json!({"type": "sms", "phone_number": "+15005550006", "user_id": user_id}),
        )
        .await;

    let list = app
        .get(&format!("/user_management/users/{user_id}/auth_factors"))
        .await;
    app.delete(&format!("/user_management/users/{user_id}"))
        .await;

    assert_eq!(
        ids(list.expect(200)),
        [totp.str("/id")],
        "AuthKit lists TOTP factors only"
    );
    assert_eq!(
        app.get(&format!("/auth/factors/{}", sms.str("/id")))
            .await
            .status,
        404,
        "deleting the user deletes every factor naming it"
    );
}

#[tokio::test]
async fn bad_list_parameters_are_422s_naming_each_one() {
    let app = spawn_app().await;
    let user_id = user(&app).await;
    let path = format!("/user_management/users/{user_id}/auth_factors");
    let cases = [
        ("limit=0", "limit_invalid_value"),
        ("limit=101", "limit_invalid_value"),
        ("limit=abc", "limit_invalid_value"),
        ("order=sideways", "order_invalid_value"),
        ("page=2", "page_unknown_parameter"),
    ];
    for (query, code) in cases {
        let reply = app.get(&format!("{path}?{query}")).await;
        assert_eq!(reply.expect(422)["errors"][0]["code"], code, "{query}");
    }
}
