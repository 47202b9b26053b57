//! Enroll, get and delete factors of every type.

use base64::Engine;
use serde_json::json;

use crate::helpers::spawn_app;

const TIMESTAMP: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";

fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 24
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && text.ends_with('Z')
        && text.chars().filter(char::is_ascii_digit).count() == 17
}

fn is_ulid_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 26
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    })
}

/// Decodes a `data:image/png;base64,` QR code the way a phone camera would.
fn scan_qr(data_uri: &str) -> String {
    let base64_png = data_uri
        .strip_prefix("data:image/png;base64,")
        .expect("a PNG data URI");
    let png = base64::engine::general_purpose::STANDARD
        .decode(base64_png)
        .expect("valid base64");
    let image = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("a real PNG")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    grids[0].decode().expect("the QR code decodes").1
}

#[tokio::test]
async fn enrolling_a_totp_factor_returns_its_secret_qr_code_and_uri() {
    let app = spawn_app().await;

    let reply = app.enroll_totp().await;

    let factor = reply.expect(201);
    assert_eq!(factor["object"], "authentication_factor");
    assert!(
        is_ulid_id(factor["id"].as_str().unwrap_or_default(), "auth_factor_"),
        "{factor}"
    );
    assert_eq!(factor["type"], "totp");
    assert!(
        is_timestamp(&reply.str("/created_at")),
        "{TIMESTAMP} vs {factor}"
    );
    assert_eq!(factor["created_at"], factor["updated_at"]);
    assert_eq!(factor["totp"]["issuer"], "Foo Corp");
    assert_eq!(factor["totp"]["user"], "alan@example.com");
    let secret = reply.str("/totp/secret");
    assert_eq!(secret.len(), 32, "160 random bits in base32");
    assert!(
        secret
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
    );
    assert_eq!(
        reply.str("/totp/uri"),
        format!("otpauth://totp/Foo%20Corp:alan%40example.com?secret={secret}&issuer=Foo%20Corp")
    );
    assert!(factor.get("user_id").is_none() && factor.get("sms").is_none());
}

#[tokio::test]
async fn the_qr_code_scans_to_exactly_the_uri() {
    let app = spawn_app().await;

    let reply = app.enroll_totp().await;

    assert_eq!(scan_qr(&reply.str("/totp/qr_code")), reply.str("/totp/uri"));
}

#[tokio::test]
async fn every_enrollment_gets_its_own_secret() {
    let app = spawn_app().await;

    let first = app.enroll_totp().await.str("/totp/secret");
    let second = app.enroll_totp().await.str("/totp/secret");

    assert_ne!(first, second);
}

#[tokio::test]
async fn a_fetched_totp_factor_shows_no_secret() {
    let app = spawn_app().await;
    let enrolled = app.enroll_totp().await;

    let reply = app
        .get(&format!("/auth/factors/{}", enrolled.str("/id")))
        .await;

    let factor = reply.expect(200);
    assert_eq!(
        factor["totp"],
        json!({"issuer": "Foo Corp", "user": "alan@example.com"})
    );
    assert_eq!(factor["id"], enrolled.body["id"]);
    assert_eq!(factor["created_at"], enrolled.body["created_at"]);
}

#[tokio::test]
async fn an_sms_factor_stores_its_phone_number_in_e164() {
    let app = spawn_app().await;

    let reply = app
        .post(
            "/auth/factors/enroll",
            json!({"type": "sms", "phone_number": "16073517112"}),
        )
        .await;

    let factor = reply.expect(201);
    assert_eq!(factor["sms"], json!({"phone_number": "+16073517112"}));
    assert!(factor.get("totp").is_none());
}

#[tokio::test]
async fn the_documents_phone_numbers_are_accepted() {
    let app = spawn_app().await;
    for number in ["+15005550006", "+15555555555"] {
        let reply = app
            .post(
                "/auth/factors/enroll",
                json!({"type": "sms", "phone_number": number}),
            )
            .await;
        assert_eq!(reply.expect(201)["sms"]["phone_number"], number);
    }
}

#[tokio::test]
async fn a_malformed_phone_number_is_a_422_that_echoes_it() {
    let app = spawn_app().await;
    for number in ["not-a-phone", "+1", "123"] {
        let reply = app
            .post(
                "/auth/factors/enroll",
                json!({"type": "sms", "phone_number": number}),
            )
            .await;
        assert_eq!(
            reply.expect(422),
            &json!({"code": "invalid_phone_number", "message": format!("Phone number is invalid: '{number}'")})
        );
    }
}

#[tokio::test]
async fn a_generic_otp_factor_has_neither_totp_nor_sms() {
    let app = spawn_app().await;

    let factor = app.enroll_generic().await;

    let body = factor.expect(201);
    assert_eq!(body["type"], "generic_otp");
    assert!(body.get("totp").is_none() && body.get("sms").is_none());
}

#[tokio::test]
async fn a_factor_enrolled_with_a_user_id_carries_it() {
    let app = spawn_app().await;

    let reply = app
        .post(
            "/auth/factors/enroll",
            json!({"type": "generic_otp", "user_id": "user_01E4ZCR3C56J083X43JQXF3JK5"}),
        )
        .await;

    assert_eq!(
        reply.expect(201)["user_id"],
        "user_01E4ZCR3C56J083X43JQXF3JK5"
    );
}

#[tokio::test]
async fn deleting_a_factor_answers_204_with_no_body_and_then_it_is_gone() {
    let app = spawn_app().await;
    let id = app.enroll_totp().await.str("/id");

    let deleted = app.delete(&format!("/auth/factors/{id}")).await;
    let fetched = app.get(&format!("/auth/factors/{id}")).await;

    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.text, "");
    assert_eq!(deleted.header("content-type"), None);
    assert_eq!(fetched.expect(404)["entity_id"], id.as_str());
    assert_eq!(app.delete(&format!("/auth/factors/{id}")).await.status, 404);
}

#[tokio::test]
async fn deleting_a_factor_takes_its_challenges_with_it() {
    let app = spawn_app().await;
    let factor = app.enroll_generic().await;
    let challenge = app.challenge(&factor.str("/id")).await;

    app.delete(&format!("/auth/factors/{}", factor.str("/id")))
        .await
        .expect(204);
    let verify = app
        .verify(&challenge.str("/id"), &challenge.str("/code"))
        .await;

    assert_eq!(verify.expect(404)["code"], "entity_not_found");
}

#[tokio::test]
async fn enrollment_requires_a_known_type_and_its_fields() {
    let app = spawn_app().await;
    let cases = [
        (json!({}), "type", "required"),
        (json!({"type": "email"}), "type", "invalid_value"),
        (json!({"type": 7}), "type", "invalid_value"),
        (
            json!({"type": "totp", "totp_user": "a"}),
            "totp_issuer",
            "required",
        ),
        (
            json!({"type": "totp", "totp_issuer": "a"}),
            "totp_user",
            "required",
        ),
        (
            json!({"type": "totp", "totp_issuer": "", "totp_user": "a"}),
            "totp_issuer",
            "too_short",
        ),
        (json!({"type": "sms"}), "phone_number", "required"),
        (
            json!({"type": "sms", "phone_number": 15005550006_u64}),
            "phone_number",
            "invalid_type",
        ),
        (
            json!({"type": "generic_otp", "user_id": ["u"]}),
            "user_id",
            "invalid_type",
        ),
    ];
    for (body, field, code) in cases {
        let reply = app.post("/auth/factors/enroll", body.clone()).await;
        let error = reply.expect(422);
        assert_eq!(error["code"], "invalid_request_parameters", "{body}");
        assert_eq!(error["message"], "Validation failed");
        let named = error["errors"].as_array().is_some_and(|errors| {
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == format!("{field}_{code}"))
        });
        assert!(named, "{body} should break {field}/{code}: {error}");
    }
}

#[tokio::test]
async fn what_real_sdks_send_is_tolerated() {
    let app = spawn_app().await;
    let body = json!({
        "type": "totp",
        "totp_issuer": "Foo Corp",
        "totp_user": "alan@example.com",
        "phone_number": "",
        "user_id": null,
        "some_future_field": {"nested": true},
    });
    let request = app
        .client
        .post(app.url("/auth/factors/enroll"))
        .bearer_auth(&app.key)
        .header("idempotency-key", "retry-1")
        .header("user-agent", "workos-python/10.0.0")
        .json(&body);

    let reply = app.send(request).await;

    assert!(reply.expect(201).get("user_id").is_none());
}
