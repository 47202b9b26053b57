//! AuthKit password sign-in with MFA: users with passwords, the three grants
//! of `POST /user_management/authenticate`, and the JWKS that verifies tokens.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use crate::binary::Binary;
use crate::helpers::{
    Reply, TestApp, independent_totp, spawn_app, spawn_app_with_manual_clock, wrong_totp,
};

const AUTHENTICATE: &str = "/user_management/authenticate";
const MFA_GRANT: &str = "urn:workos:oauth:grant-type:mfa-totp";

async fn user_with_password(app: &TestApp, email: &str) -> Value {
    let body = json!({"email": email, "password": "correct horse", "email_verified": true});
    app.post("/user_management/users", body)
        .await
        .expect(201)
        .clone()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Reply {
    let body = json!({
        "client_id": "client_123", "client_secret": app.key, "grant_type": "password",
        "email": email, "password": password, "device_id": "tolerated",
    });
    app.post(AUTHENTICATE, body).await
}

async fn mfa(app: &TestApp, token: &str, challenge_id: &str, code: &str) -> Reply {
    let body = json!({
        "client_id": "client_123", "client_secret": app.key, "grant_type": MFA_GRANT,
        "code": code, "pending_authentication_token": token,
        "authentication_challenge_id": challenge_id,
    });
    app.post(AUTHENTICATE, body).await
}

async fn refresh(app: &TestApp, token: &str) -> Reply {
    let body =
        json!({"client_id": "client_123", "grant_type": "refresh_token", "refresh_token": token});
    app.post(AUTHENTICATE, body).await
}

/// Enrolls a TOTP factor for `user_id`; returns (factor id, secret, challenge id).
async fn enroll(app: &TestApp, user_id: &str) -> (String, String, String) {
    let enrolled = app
        .post(
            &format!("/user_management/users/{user_id}/auth_factors"),
            json!({"type": "totp"}),
        )
        .await;
    let body = enrolled.expect(201);
    let text = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (
        text("/authentication_factor/id"),
        text("/authentication_factor/totp/secret"),
        text("/authentication_challenge/id"),
    )
}

/// The claims of `token`, verified with the key the JWKS publishes.
async fn verified_claims(app: &TestApp, token: &str) -> Value {
    let jwks = app
        .send(app.client.get(app.url("/sso/jwks/client_123")))
        .await;
    let key = &jwks.expect(200)["keys"][0];
    let header = jsonwebtoken::decode_header(token).expect("a JWT header");
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let decoding = DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap_or_default(),
        key["e"].as_str().unwrap_or_default(),
    )
    .expect("an RSA key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation.set_issuer(&["https://api.workos.com"]);
    jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .expect("the token verifies through the JWKS")
        .claims
}

#[tokio::test]
async fn a_user_without_factors_signs_in_with_a_password_and_gets_verifiable_tokens() {
    let app = spawn_app().await;
    let user = user_with_password(&app, "ada@example.com").await;
    assert!(user.get("password").is_none());

    let signed_in = sign_in(&app, "ADA@example.com", "correct horse").await;
    let body = signed_in.expect(200);
    assert_eq!(body["authentication_method"], "Password");
    assert_eq!(body["user"]["id"], user["id"]);
    assert!(body["user"]["last_sign_in_at"].is_string());
    assert!(body.get("organization_id").is_none());
    let claims = verified_claims(&app, body["access_token"].as_str().unwrap_or_default()).await;
    assert_eq!(claims["sub"], user["id"]);
    assert!(
        claims["sid"]
            .as_str()
            .is_some_and(|sid| sid.starts_with("session_"))
    );
    assert_eq!(
        claims["exp"].as_u64(),
        claims["iat"].as_u64().map(|iat| iat + 300)
    );
    assert_eq!(claims["auth_time"], claims["iat"]);
    assert_eq!(claims["jti"].as_str().map(str::len), Some(26));
    let fetched = app
        .get(&format!("/user_management/users/{}", user.str_at("/id")))
        .await;
    assert_eq!(
        fetched.expect(200)["last_sign_in_at"],
        body["user"]["last_sign_in_at"]
    );
}

trait StrAt {
    fn str_at(&self, pointer: &str) -> String;
}

impl StrAt for Value {
    fn str_at(&self, pointer: &str) -> String {
        self.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_invalid_credentials() {
    let app = spawn_app().await;
    user_with_password(&app, "ada@example.com").await;
    app.create_user("nopassword@example.com").await.expect(201);
    for (email, password) in [
        ("ada@example.com", "wrong"),
        ("nobody@example.com", "correct horse"),
        ("nopassword@example.com", "correct horse"),
    ] {
        let refused = sign_in(&app, email, password).await;
        assert_eq!(
            refused.expect(400),
            &json!({"code": "invalid_credentials", "message": format!("Invalid credentials for '{email}'.")})
        );
        assert!(
            refused
                .header("content-type")
                .is_some_and(|t| t.starts_with("application/json"))
        );
    }
    let missing = app
        .post(
            AUTHENTICATE,
            json!({"grant_type": "password", "email": "a@b.c"}),
        )
        .await;
    assert_eq!(missing.expect(400)["error"], "invalid_request");
    let unsupported = app.post(AUTHENTICATE, json!({"grant_type": "magic"})).await;
    assert_eq!(unsupported.expect(400)["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_user_with_a_totp_factor_is_challenged_and_finishes_with_the_mfa_grant_then_refreshes() {
    let app = spawn_app().await;
    let user = user_with_password(&app, "ada@example.com").await;
    let user_id = user.str_at("/id");
    let (factor_id, secret, _) = enroll(&app, &user_id).await;

    let challenged = sign_in(&app, "ada@example.com", "correct horse").await;
    let body = challenged.expect(403).clone();
    assert_eq!(body["code"], "mfa_challenge");
    assert_eq!(
        body["authentication_factors"],
        json!([{"id": factor_id, "type": "totp"}])
    );
    assert_eq!(body["user"]["id"], user["id"]);
    assert!(body["user"]["last_sign_in_at"].is_null());
    let token = body.str_at("/pending_authentication_token");
    assert_eq!(token.len(), 25);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));

    let challenge = app.challenge(&factor_id).await.expect(201).str_at("/id");
    let now = app.now_seconds();
    let wrong = mfa(&app, &token, &challenge, &wrong_totp(&secret, now)).await;
    assert_eq!(wrong.expect(400)["code"], "invalid_one_time_code");
    let done = mfa(&app, &token, &challenge, &independent_totp(&secret, now)).await;
    let done = done.expect(200).clone();
    assert_eq!(done["user"]["id"], user["id"]);
    let claims = verified_claims(&app, &done.str_at("/access_token")).await;

    let again = mfa(&app, &token, &challenge, &independent_totp(&secret, now)).await;
    assert_eq!(
        again.expect(400)["code"],
        "invalid_pending_authentication_token"
    );

    let refreshed = refresh(&app, &done.str_at("/refresh_token")).await;
    let refreshed = refreshed.expect(200).clone();
    let new_claims = verified_claims(&app, &refreshed.str_at("/access_token")).await;
    assert_eq!(new_claims["sid"], claims["sid"]);
    assert_eq!(new_claims["auth_time"], claims["auth_time"]);
    assert_ne!(refreshed["refresh_token"], done["refresh_token"]);
    let reused = refresh(&app, &done.str_at("/refresh_token")).await;
    assert_eq!(
        reused.expect(400),
        &json!({"error": "invalid_grant", "error_description": "Invalid refresh token."})
    );
}

#[tokio::test]
async fn with_mfa_required_a_user_without_factors_enrolls_during_sign_in() {
    let app = spawn_app().await;
    let user = user_with_password(&app, "ada@example.com").await;
    let settings = app
        .post("/_mock/settings", json!({"mfa_required": true}))
        .await;
    assert_eq!(
        settings.expect(200),
        &json!({"object": "settings", "mfa_required": true})
    );
    assert_eq!(
        app.get("/_mock/settings").await.expect(200)["mfa_required"],
        true
    );

    let pending = sign_in(&app, "ada@example.com", "correct horse").await;
    let body = pending.expect(403).clone();
    assert_eq!(body["code"], "mfa_enrollment");
    assert!(body.get("authentication_factors").is_none());
    let (_, secret, challenge) = enroll(&app, &body.str_at("/user/id")).await;
    let code = independent_totp(&secret, app.now_seconds());
    let done = mfa(
        &app,
        &body.str_at("/pending_authentication_token"),
        &challenge,
        &code,
    )
    .await;
    assert_eq!(done.expect(200)["user"]["id"], user["id"]);

    let next = sign_in(&app, "ada@example.com", "correct horse").await;
    assert_eq!(next.expect(403)["code"], "mfa_challenge");
}

#[tokio::test]
async fn a_challenge_of_another_users_factor_is_a_user_mismatch() {
    let app = spawn_app().await;
    let ada = user_with_password(&app, "ada@example.com").await;
    let bob = user_with_password(&app, "bob@example.com").await;
    enroll(&app, &ada.str_at("/id")).await;
    let (_, bob_secret, bob_challenge) = enroll(&app, &bob.str_at("/id")).await;
    let token = sign_in(&app, "ada@example.com", "correct horse")
        .await
        .expect(403)
        .str_at("/pending_authentication_token");
    let code = independent_totp(&bob_secret, app.now_seconds());
    let mismatch = mfa(&app, &token, &bob_challenge, &code).await;
    assert_eq!(mismatch.expect(400)["code"], "user_mismatch");
    let unknown = mfa(&app, &token, "auth_challenge_unknown", &code).await;
    assert_eq!(unknown.expect(400)["error"], "invalid_request");
}

#[tokio::test]
async fn wrong_codes_count_towards_the_attempt_limit_and_a_used_challenge_is_refused() {
    let app = spawn_app().await;
    let user = user_with_password(&app, "ada@example.com").await;
    let (factor_id, secret, _) = enroll(&app, &user.str_at("/id")).await;
    let token = || async {
        sign_in(&app, "ada@example.com", "correct horse")
            .await
            .expect(403)
            .str_at("/pending_authentication_token")
    };
    let first = token().await;
    let challenge = app.challenge(&factor_id).await.expect(201).str_at("/id");
    let wrong = wrong_totp(&secret, app.now_seconds());
    for _ in 0..5 {
        assert_eq!(
            mfa(&app, &first, &challenge, &wrong).await.expect(400)["code"],
            "invalid_one_time_code"
        );
    }
    let right = independent_totp(&secret, app.now_seconds());
    let limited = mfa(&app, &first, &challenge, &right).await;
    assert_eq!(
        limited.expect(400)["code"],
        "one_time_code_too_many_attempts"
    );

    let second = app.challenge(&factor_id).await.expect(201).str_at("/id");
    mfa(&app, &first, &second, &right).await.expect(200);
    let other = token().await;
    let used = mfa(&app, &other, &second, &right).await;
    assert_eq!(used.expect(400)["code"], "one_time_code_previously_used");
}

#[tokio::test]
async fn a_pending_token_expires_after_ten_minutes_of_the_tenant_clock() {
    let (app, _clock) = spawn_app_with_manual_clock().await;
    let user = user_with_password(&app, "ada@example.com").await;
    let (factor_id, secret, _) = enroll(&app, &user.str_at("/id")).await;
    let token = sign_in(&app, "ada@example.com", "correct horse")
        .await
        .expect(403)
        .str_at("/pending_authentication_token");
    app.post("/_mock/clock", json!({"advance_seconds": 601}))
        .await
        .expect(200);
    let challenge = app.challenge(&factor_id).await.expect(201).str_at("/id");
    let now = app.get("/_mock/clock").await.expect(200).str_at("/now");
    let seconds = time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339)
        .map(|at| at.unix_timestamp() as u64)
        .unwrap_or_default();
    let expired = mfa(
        &app,
        &token,
        &challenge,
        &independent_totp(&secret, seconds),
    )
    .await;
    assert_eq!(
        expired.expect(400),
        &json!({
            "code": "invalid_pending_authentication_token",
            "message": format!("The pending_authentication_token '{token}' has expired or is invalid."),
        })
    );
}

#[tokio::test]
async fn client_secret_chooses_the_tenant_and_the_jwks_needs_no_key() {
    let app = spawn_app().await;
    let other = app.as_tenant("sk_test_other_tenant");
    user_with_password(&other, "ada@example.com").await;
    let body = json!({
        "client_id": "client_123", "client_secret": other.key, "grant_type": "password",
        "email": "ada@example.com", "password": "correct horse",
    });
    app.post(AUTHENTICATE, body.clone()).await.expect(200);
    let mut live = body;
    live["client_secret"] = json!("sk_live_nope");
    assert_eq!(app.post(AUTHENTICATE, live).await.status, 401);

    let jwks = app
        .send(app.client.get(app.url("/sso/jwks/client_anything")))
        .await;
    let key = &jwks.expect(200)["keys"][0];
    let names: Vec<&String> = key
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["alg", "kty", "use", "n", "e", "kid", "x5c", "x5t#S256"]
    );
}

#[tokio::test]
async fn users_are_updated_listed_by_email_and_a_new_password_replaces_the_old() {
    let app = spawn_app().await;
    let ada = user_with_password(&app, "ada@example.com").await;
    for n in 0..3 {
        app.create_user(&format!("user{n}@example.com"))
            .await
            .expect(201);
    }
    let path = format!("/user_management/users/{}", ada.str_at("/id"));
    let update = json!({"password": "new secret", "first_name": "Ada", "email_verified": false});
    let updated = app
        .send(
            app.client
                .put(app.url(&path))
                .bearer_auth(&app.key)
                .json(&update),
        )
        .await;
    let updated = updated.expect(200).clone();
    assert_eq!(
        (
            updated["first_name"].clone(),
            updated["email_verified"].clone()
        ),
        (json!("Ada"), json!(false))
    );
    assert_eq!(
        sign_in(&app, "ada@example.com", "correct horse")
            .await
            .status,
        400
    );
    sign_in(&app, "ada@example.com", "new secret")
        .await
        .expect(200);
    let missing = app
        .send(
            app.client
                .put(app.url("/user_management/users/user_nope"))
                .bearer_auth(&app.key)
                .json(&json!({})),
        )
        .await;
    assert_eq!(missing.expect(404)["code"], "entity_not_found");

    let listed = app
        .get("/user_management/users?email=ada%40example.com")
        .await;
    let listed = listed.expect(200);
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["object"], "list");
    let page = app.get("/user_management/users?limit=2").await;
    let page = page.expect(200).clone();
    assert_eq!(page["data"].as_array().map(Vec::len), Some(2));
    let after = page.str_at("/list_metadata/after");
    let rest = app
        .get(&format!("/user_management/users?limit=2&after={after}"))
        .await;
    assert_eq!(rest.expect(200)["data"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn the_journal_never_shows_a_password_and_state_exports_only_its_hash() {
    let app = spawn_app().await;
    user_with_password(&app, "ada@example.com").await;
    sign_in(&app, "ada@example.com", "correct horse")
        .await
        .expect(200);
    let journal = app.get("/_mock/requests").await;
    assert!(!journal.text.contains("correct horse"));
    assert!(journal.text.contains("[redacted]"));
    let state = app.get("/_mock/state").await;
    assert!(!state.text.contains("correct horse"));
    let hash = state.expect(200).str_at("/users/0/password_hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let other = app.as_tenant("sk_test_imported");
    let put = other
        .send(
            other
                .client
                .put(other.url("/_mock/state"))
                .bearer_auth(&other.key)
                .json(state.expect(200)),
        )
        .await;
    put.expect(200);
    sign_in(&other, "ada@example.com", "correct horse")
        .await
        .expect(200);
}

#[tokio::test]
async fn with_a_state_file_the_signing_key_survives_a_restart_and_passwords_stay_hashed() {
    let path =
        std::env::temp_dir().join(format!("mfa-mock-signin-state-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let args = ["--state-file", path.to_str().unwrap_or_default()];
    let client = reqwest::Client::new();
    let jwks = |base: String| {
        let request = client.get(format!("{base}/sso/jwks/client_123"));
        async move {
            request
                .send()
                .await
                .expect("jwks")
                .text()
                .await
                .expect("body")
        }
    };
    let mut first = Binary::start(&args);
    client
        .post(format!("{}/user_management/users", first.base_url))
        .bearer_auth("sk_test_signin_state")
        .json(&json!({"email": "ada@example.com", "password": "correct horse"}))
        .send()
        .await
        .expect("create");
    let before = jwks(first.base_url.clone()).await;
    first.terminate();
    first
        .wait_exit(std::time::Duration::from_secs(5))
        .expect("exits");
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    let second = Binary::start(&args);
    let after = jwks(second.base_url.clone()).await;
    let _ = std::fs::remove_file(&path);

    assert!(before.contains("sso_oidc_key_pair_"), "{before}");
    assert_eq!(after, before);
    assert!(saved.contains("BEGIN PRIVATE KEY") && saved.contains("$argon2id$"));
    assert!(!saved.contains("correct horse"));
}

#[tokio::test]
async fn of_concurrent_grants_with_one_pending_token_or_one_refresh_token_exactly_one_succeeds() {
    let app = spawn_app().await;
    let user = user_with_password(&app, "ada@example.com").await;
    let (factor_id, secret, _) = enroll(&app, &user.str_at("/id")).await;
    let token = sign_in(&app, "ada@example.com", "correct horse")
        .await
        .expect(403)
        .str_at("/pending_authentication_token");
    let mut challenges = Vec::new();
    for _ in 0..8 {
        challenges.push(app.challenge(&factor_id).await.expect(201).str_at("/id"));
    }
    let code = independent_totp(&secret, app.now_seconds());
    let mut racers = Vec::new();
    for challenge in challenges {
        let (app, token, code) = (app.as_tenant(&app.key), token.clone(), code.clone());
        racers.push(tokio::spawn(async move {
            mfa(&app, &token, &challenge, &code).await
        }));
    }
    let mut finished = Vec::new();
    for racer in racers {
        finished.push(racer.await.expect("the task completes"));
    }
    let winners: Vec<&Reply> = finished.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1);
    for loser in finished.iter().filter(|r| r.status != 200) {
        assert_eq!(
            loser.expect(400)["code"],
            "invalid_pending_authentication_token"
        );
    }

    let refresh_token = winners[0].body.str_at("/refresh_token");
    let mut racers = Vec::new();
    for _ in 0..8 {
        let (app, refresh_token) = (app.as_tenant(&app.key), refresh_token.clone());
        racers.push(tokio::spawn(async move {
            refresh(&app, &refresh_token).await.status
        }));
    }
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.expect("the task completes"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400]);
}
