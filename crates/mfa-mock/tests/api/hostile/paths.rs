//! Paths and methods: ids with separators, percent-encodings, control and
//! non-ASCII characters and 10 000 characters, in every route; dot segments;
//! methods no route takes.

use super::{Case, ENROLL, Expect, check, run, send, still_answers};
use crate::helpers::spawn_app;
use crate::raw;

#[tokio::test]
async fn odd_ids_in_every_path_are_404s_that_echo_the_decoded_id() {
    let app = spawn_app().await;
    let accents = "%C3%A9".repeat(10_000);
    let ids: [(&str, String); 10] = [
        ("..%2F..%2Fetc%2Fpasswd", "../../etc/passwd".into()),
        ("%5C..%5Cwindows", "\\..\\windows".into()),
        ("%2e%2e", "..".into()),
        ("%00", "\0".into()),
        ("%FF", "\u{FFFD}".into()),
        ("%ZZ", "%ZZ".into()),
        ("%252F", "%2F".into()),
        ("%E2%80%AE%20x", "\u{202E} x".into()),
        ("\u{e9}\u{1F600}", "\u{e9}\u{1F600}".into()),
        (&accents, "\u{e9}".repeat(10_000)),
    ];
    let mut cases = Vec::new();
    for (raw_id, decoded) in ids {
        let paths = [
            ("GET", format!("/auth/factors/{raw_id}")),
            ("DELETE", format!("/auth/factors/{raw_id}")),
            ("POST", format!("/auth/factors/{raw_id}/challenge")),
            ("POST", format!("/auth/challenges/{raw_id}/verify")),
            ("GET", format!("/user_management/users/{raw_id}")),
            (
                "GET",
                format!("/user_management/users/{raw_id}/auth_factors"),
            ),
        ];
        for (method, path) in paths {
            let body: &[u8] = if path.ends_with("verify") {
                br#"{"code":"123456"}"#
            } else {
                b""
            };
            let bytes = send(&app, method.as_bytes(), path.as_bytes(), &[], body);
            let label = format!("{method} {}", &path[..path.len().min(60)]);
            cases.push(Case::new(label, bytes, Expect::NotFound(decoded.clone())));
        }
    }

    run(&app, cases).await;
}

#[tokio::test]
async fn dot_segments_and_empty_segments_are_not_resolved_into_another_route() {
    let app = spawn_app().await;
    let paths: [&[u8]; 5] = [
        b"/auth/factors/../../health",
        b"/auth/factors/./enroll",
        b"//health",
        b"/health/.",
        b"/auth//factors/enroll",
    ];
    let cases = paths
        .into_iter()
        .map(|path| {
            let bytes = send(&app, b"GET", path, &[], b"");
            Case::new(
                String::from_utf8_lossy(path),
                bytes,
                Expect::Error(404, "route_not_found"),
            )
        })
        .collect();

    run(&app, cases).await;
}

#[tokio::test]
async fn unknown_methods_are_a_405_with_allow_on_known_paths_and_a_404_elsewhere() {
    let app = spawn_app().await;
    let long_method = "X".repeat(1_000);
    let table: [(&[u8], &[u8], &str); 8] = [
        (b"PROPFIND", ENROLL, "POST"),
        (b"BREW", b"/health", "GET"),
        (b"TRACE", b"/auth/factors/auth_factor_1", "GET, DELETE"),
        (
            b"OPTIONS",
            b"/auth/challenges/auth_challenge_1/verify",
            "POST",
        ),
        (b"PATCH", b"/user_management/users", "GET, POST"),
        (b"get", b"/health", "GET"),
        (
            b"PATCH",
            b"/user_management/users/user_1",
            "GET, PUT, DELETE",
        ),
        (
            long_method.as_bytes(),
            b"/user_management/users/user_1/auth_factors",
            "GET, POST",
        ),
    ];
    for (method, path, allowed) in table {
        let label = String::from_utf8_lossy(&method[..method.len().min(20)]).into_owned();
        let reply = raw::exchange(&app.base_url, &send(&app, method, path, &[], b"")).await;
        check(&reply, &Expect::Error(405, "method_not_allowed"), &label);
        assert_eq!(
            (reply.status, reply.header("allow")),
            (405, Some(allowed)),
            "{label}"
        );
        still_answers(&app, &label).await;
    }
    let unknown = send(&app, b"FROB", b"/nowhere", &[], b"");
    run(
        &app,
        vec![Case::new(
            "FROB /nowhere",
            unknown,
            Expect::Error(404, "route_not_found"),
        )],
    )
    .await;
}

#[tokio::test]
async fn head_answers_as_get_would_without_the_body() {
    let app = spawn_app().await;
    let factor = app.enroll_totp().await.str("/id");
    for path in ["/health".to_owned(), format!("/auth/factors/{factor}")] {
        let get = raw::exchange(
            &app.base_url,
            &send(&app, b"GET", path.as_bytes(), &[], b""),
        )
        .await;
        let head = raw::exchange(
            &app.base_url,
            &send(&app, b"HEAD", path.as_bytes(), &[], b""),
        )
        .await;

        assert_eq!(head.status, get.status, "{path}");
        assert!(head.body.is_empty(), "{path}: {}", head.text());
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}"
        );
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
    }
    let missing = raw::exchange(
        &app.base_url,
        &send(&app, b"HEAD", b"/auth/factors/nope", &[], b""),
    )
    .await;
    assert_eq!((missing.status, missing.body.len()), (404, 0));
}
