//! The minimal user resource.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_new_user_carries_every_key_the_sdks_require() {
    let app = spawn_app().await;

    let reply = app
        .post(
            "/user_management/users",
            json!({"email": "ada@example.com", "first_name": "Ada", "password": "hunter2"}),
        )
        .await;

    let user = reply.expect(201);
    assert_eq!(user["object"], "user");
    assert!(reply.str("/id").starts_with("user_"));
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["email_verified"], false);
    for nullable in [
        "last_name",
        "profile_picture_url",
        "external_id",
        "last_sign_in_at",
    ] {
        assert!(
            user[nullable].is_null(),
            "{nullable} should be null: {user}"
        );
    }
    assert!(user.get("password").is_none());
    assert!(user["created_at"].is_string() && user["updated_at"].is_string());
}

#[tokio::test]
async fn a_user_can_be_fetched_and_deleted() {
    let app = spawn_app().await;
    let created = app.create_user("ada@example.com").await;
    let path = format!("/user_management/users/{}", created.str("/id"));

    let fetched = app.get(&path).await;
    let deleted = app.delete(&path).await;
    let gone = app.get(&path).await;

    assert_eq!(fetched.expect(200), &created.body);
    assert_eq!((deleted.status, deleted.text.as_str()), (200, ""));
    assert_eq!(
        gone.expect(404)["message"],
        format!("User not found: '{}'.", created.str("/id"))
    );
}

#[tokio::test]
async fn deleting_a_user_deletes_its_factors() {
    let app = spawn_app().await;
    let user_id = app.create_user("ada@example.com").await.str("/id");
    let enrolled = app
        .post(
            &format!("/user_management/users/{user_id}/auth_factors"),
            json!({"type": "totp"}),
        )
        .await;

    app.delete(&format!("/user_management/users/{user_id}"))
        .await;

    let factor = app
        .get(&format!(
            "/auth/factors/{}",
            enrolled.str("/authentication_factor/id")
        ))
        .await;
    assert_eq!(factor.status, 404);
    let challenge = app
        .verify(&enrolled.str("/authentication_challenge/id"), "123456")
        .await;
    assert_eq!(challenge.status, 404);
}

#[tokio::test]
async fn a_user_needs_a_plausible_email() {
    let app = spawn_app().await;

    let missing = app
        .post("/user_management/users", json!({"first_name": "Ada"}))
        .await;
    let malformed = app
        .post("/user_management/users", json!({"email": "not an email"}))
        .await;

    assert_eq!(missing.expect(422)["errors"][0]["code"], "email_required");
    assert_eq!(
        malformed.expect(422)["errors"][0]["code"],
        "email_invalid_format"
    );
}
