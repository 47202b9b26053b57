//! Headers: `Authorization` values that carry no usable key, spaces around
//! a key, and header values that are not UTF-8.

use super::{Case, ENROLL, Expect, GENERIC, check, run, send};
use crate::helpers::spawn_app;
use crate::raw;

#[tokio::test]
async fn an_authorization_header_without_a_usable_key_is_a_bare_401() {
    let app = spawn_app().await;
    let values: [&[u8]; 11] = [
        b"Bearer ",
        b"Bearer  sk_test_two_spaces",
        b"Bearer\tsk_test_tab",
        b"Bearer sk_test_a\tb",
        b"Bearer sk_test_a b",
        b"Bearer Bearer sk_test_twice",
        b"Token sk_test_x",
        b"sk_test_no_scheme",
        b"",
        "Bearer sk_test_\u{e9}t\u{e9}".as_bytes(),
        b"Bearer sk_test_\xff\xfe",
    ];
    let cases = values
        .into_iter()
        .map(|value| {
            let bytes = raw::request(b"POST", ENROLL, &[(b"Authorization", value)], GENERIC);
            Case::new(
                format!("Authorization: {}", String::from_utf8_lossy(value)),
                bytes,
                Expect::Unauthorized,
            )
        })
        .collect();

    run(&app, cases).await;
}

#[tokio::test]
async fn spaces_around_a_key_are_not_part_of_it() {
    let app = spawn_app().await;
    let padded = format!("Bearer {} \t ", app.key);

    let bytes = raw::request(
        b"POST",
        ENROLL,
        &[(b"Authorization", padded.as_bytes())],
        GENERIC,
    );
    let reply = raw::exchange(&app.base_url, &bytes).await;

    check(&reply, &Expect::Success(201), "a key followed by spaces");
    let id = reply.json()["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default();
    assert_eq!(
        app.get(&format!("/auth/factors/{id}")).await.status,
        200,
        "same tenant as the bare key"
    );
}

#[tokio::test]
async fn other_headers_that_are_not_utf8_are_ignored() {
    let app = spawn_app().await;
    let headers: [(&[u8], &[u8]); 4] = [
        (b"User-Agent", b"sdk/\xff\xfe"),
        (b"X-Custom", b"\x80\x81\x82"),
        (b"Accept", b"application/\xc3\x28json"),
        (b"Idempotency-Key", b"retry-\xff-1"),
    ];
    let cases = headers
        .into_iter()
        .map(|header| {
            let bytes = send(&app, b"POST", ENROLL, &[header], GENERIC);
            Case::new(
                String::from_utf8_lossy(header.0),
                bytes,
                Expect::Success(201),
            )
        })
        .collect();

    run(&app, cases).await;
}
