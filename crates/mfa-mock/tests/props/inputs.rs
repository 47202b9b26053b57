//! Arbitrary input never breaks the server: any body on any endpoint, and
//! any method on any path, gets a well-formed answer.

use http::{HeaderValue, Method, header};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{app, call, config, fresh_key, request, well_formed};

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z_]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "totp",
            "sms",
            "generic_otp",
            "+15005550006",
            "a@b.c",
            "JBSWY3DPEHPK3PXP"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        let keys = prop::sample::select(vec![
            "type",
            "totp_issuer",
            "totp_user",
            "totp_secret",
            "phone_number",
            "user_id",
            "sms_template",
            "code",
            "email",
            "metadata",
            "first_name",
            "extra",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(keys, inner, 0..5).prop_map(|map| Value::Object(
                map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

/// Raw bytes, JSON-looking bytes, and serialised JSON values.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "[{}\\[\\]\":,a-z0-9 ]{0,64}".prop_map(String::into_bytes),
        json_value().prop_map(|value| serde_json::to_vec(&value).unwrap_or_default()),
    ]
}

/// A tenant with one of everything, and the paths of the five endpoints that take a body.
fn body_endpoints(key: &str) -> Vec<String> {
    let factor = call(
        key,
        Method::POST,
        "/auth/factors/enroll",
        json!({"type": "sms", "phone_number": "+15005550006"}),
    );
    let factor = factor
        .body
        .as_ref()
        .and_then(|b| b.to_value()["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let challenge = call(
        key,
        Method::POST,
        &format!("/auth/factors/{factor}/challenge"),
        json!({}),
    );
    let challenge = challenge
        .body
        .as_ref()
        .and_then(|b| b.to_value()["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let user = call(
        key,
        Method::POST,
        "/user_management/users",
        json!({"email": "a@b.c"}),
    );
    let user = user
        .body
        .as_ref()
        .and_then(|b| b.to_value()["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    vec![
        "/auth/factors/enroll".to_owned(),
        format!("/auth/factors/{factor}/challenge"),
        format!("/auth/challenges/{challenge}/verify"),
        "/user_management/users".to_owned(),
        format!("/user_management/users/{user}/auth_factors"),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_body_on_any_endpoint_gets_a_well_formed_answer(
        endpoint in 0usize..5,
        body in body_bytes(),
        content_type in prop::option::of(prop::sample::select(vec!["application/json", "text/plain", "application/x+json", ""])),
    ) {
        let key = fresh_key();
        let paths = body_endpoints(&key);
        let mut request = request(&key, Method::POST, &paths[endpoint], body);
        match content_type.map(HeaderValue::from_static) {
            Some(value) => request.headers.insert(header::CONTENT_TYPE, value),
            None => request.headers.remove(header::CONTENT_TYPE),
        };

        let response = app().handle(&request);

        well_formed(&response)?;
    }
}

/// Path segments that mean something to the router, and some that must not.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "auth",
            "factors",
            "enroll",
            "challenge",
            "challenges",
            "verify",
            "user_management",
            "users",
            "auth_factors",
            "health",
            "_mock",
            "clock",
            "sms",
            "requests",
            "faults",
            "reset",
            "state",
            "",
            ".",
            "..",
            "%2F",
            "%",
            "%ZZ",
            "%FF",
            "%00",
            "\u{e9}",
            "auth_factor_01",
        ])
        .prop_map(str::to_owned),
        "[^/?#]{0,12}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(segment(), 0..6)
            .prop_map(|segments| format!("/{}", segments.join("/"))),
        any::<String>(),
        (prop::collection::vec(segment(), 0..5), "[a-z=&%0-9]{0,20}")
            .prop_map(|(segments, query)| format!("/{}?{query}", segments.join("/"))),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        prop::sample::select(vec![
            Method::GET,
            Method::POST,
            Method::DELETE,
            Method::PUT,
            Method::PATCH,
            Method::HEAD,
            Method::OPTIONS
        ]),
        "[A-Za-z]{1,12}"
            .prop_filter_map("a token", |token| Method::from_bytes(token.as_bytes()).ok()),
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_method_and_path_gets_a_well_formed_answer(method in method(), path in path(), keyed in any::<bool>()) {
        let key = fresh_key();
        let mut request = request(&key, method, &path, Vec::new());
        if !keyed {
            request.headers.remove(header::AUTHORIZATION);
        }

        let response = app().handle(&request);

        well_formed(&response)?;
    }
}
