//! The inspector page at /_mock/ui, and the state export's QR codes it shows.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_inspector_page_needs_no_key_and_is_html_under_a_strict_policy() {
    let app = spawn_app().await;

    let reply = app.send(app.client.get(app.url("/_mock/ui"))).await;

    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let policy = reply.header("content-security-policy").unwrap_or_default();
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert!(policy.contains("img-src data:"), "{policy}");
    assert!(reply.text.contains("mfa-mock inspector"));
}

#[tokio::test]
async fn the_inspector_page_takes_only_get() {
    let app = spawn_app().await;

    let reply = app.post("/_mock/ui", serde_json::json!({})).await;

    reply.expect(405);
    assert_eq!(reply.header("allow"), Some("GET"));
}

#[tokio::test]
async fn the_state_export_carries_qr_codes_only_when_asked() {
    let app = spawn_app().await;
    let enrolled = app.enroll_totp().await;
    let uri = enrolled.str("/totp/uri");
    let qr_code = enrolled.str("/totp/qr_code");

    let plain = app.get("/_mock/state").await;
    let with_qr = app.get("/_mock/state?include=qr_code").await;
    let wrong = app.get("/_mock/state?include=secrets").await;

    let plain_totp = &plain.expect(200)["factors"][0]["totp"];
    assert!(plain_totp.get("qr_code").is_none() && plain_totp.get("uri").is_none());
    let totp = &with_qr.expect(200)["factors"][0]["totp"];
    assert_eq!(totp["uri"], uri.as_str());
    assert_eq!(totp["qr_code"], qr_code.as_str());
    assert_eq!(wrong.expect(422)["errors"][0]["field"], "include");
}

#[tokio::test]
async fn an_export_with_qr_codes_imports_back() {
    let app = spawn_app().await;
    app.enroll_totp().await;
    let exported = app.get("/_mock/state?include=qr_code").await.body;
    let other = app.as_tenant("sk_test_other_tenant");

    let imported = other
        .send(
            other
                .client
                .put(other.url("/_mock/state"))
                .bearer_auth(&other.key)
                .json(&exported),
        )
        .await;

    let factor = &imported.expect(200)["factors"][0];
    assert_eq!(
        factor["totp"]["secret"],
        exported["factors"][0]["totp"]["secret"]
    );
    assert!(factor["totp"].get("qr_code").is_none());
}
