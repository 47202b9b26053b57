//! Each API key is its own tenant: another key's objects do not exist.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn another_key_sees_none_of_this_keys_objects() {
    let app = spawn_app().await;
    let other = app.as_tenant("sk_test_someone_else");
    let factor = app.enroll_generic().await.str("/id");
    let challenge = app.challenge(&factor).await;
    let user = app.create_user("ada@example.com").await.str("/id");

    let replies = [
        other.get(&format!("/auth/factors/{factor}")).await,
        other.delete(&format!("/auth/factors/{factor}")).await,
        other.challenge(&factor).await,
        other
            .verify(&challenge.str("/id"), &challenge.str("/code"))
            .await,
        other.get(&format!("/user_management/users/{user}")).await,
        other
            .get(&format!("/user_management/users/{user}/auth_factors"))
            .await,
        other
            .post(
                &format!("/user_management/users/{user}/auth_factors"),
                json!({"type": "totp"}),
            )
            .await,
        other
            .delete(&format!("/user_management/users/{user}"))
            .await,
    ];

    for reply in replies {
        assert_eq!(reply.expect(404)["code"], "entity_not_found");
    }
    assert_eq!(
        app.get(&format!("/auth/factors/{factor}")).await.status,
        200
    );
    assert_eq!(
        app.verify(&challenge.str("/id"), &challenge.str("/code"))
            .await
            .expect(201)["valid"],
        true
    );
}
