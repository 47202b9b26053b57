//! Body limits and framing: oversized bodies however framed, chunked bodies
//! cut anywhere, content types, and requests so broken that hyper answers
//! them itself.

use std::time::Duration;

use mfa_mock::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    CHUNKED, Case, ENROLL, Expect, GENERIC, check, padded_enrollment, run, send, still_answers,
};
use crate::helpers::{spawn_app, spawn_app_with};
use crate::raw::{self, chunked};

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_however_it_is_framed() {
    let app = spawn_app_with(Config {
        max_body_bytes: 1024,
        ..Config::default()
    })
    .await;
    let over = padded_enrollment(1025);
    let no_key = raw::request(b"POST", ENROLL, &[], &over);
    let table = vec![
        (
            "at the limit",
            send(&app, b"POST", ENROLL, &[], &padded_enrollment(1024)),
            Expect::Success(201),
        ),
        (
            "one byte over",
            send(&app, b"POST", ENROLL, &[], &over),
            Expect::Error(413, "payload_too_large"),
        ),
        (
            "chunked, over in total",
            send(&app, b"POST", ENROLL, &[CHUNKED], &chunked(&over, 512)),
            Expect::Error(413, "payload_too_large"),
        ),
        (
            "over and malformed",
            send(&app, b"POST", ENROLL, &[], &[b'{'; 4096]),
            Expect::Error(413, "payload_too_large"),
        ),
        (
            "over, without a key",
            no_key,
            Expect::Error(413, "payload_too_large"),
        ),
    ];

    run(
        &app,
        table
            .into_iter()
            .map(|(label, bytes, expect)| Case::new(label, bytes, expect))
            .collect(),
    )
    .await;
}

#[tokio::test]
async fn a_content_type_that_is_not_json_is_a_400_and_json_suffixes_are_accepted() {
    let app = spawn_app().await;
    let types: [(&[u8], Expect); 7] = [
        (
            b"application/xml",
            Expect::Error(400, "invalid_content_type"),
        ),
        (
            b"multipart/form-data; boundary=x",
            Expect::Error(400, "invalid_content_type"),
        ),
        (
            b"application/jsonp",
            Expect::Error(400, "invalid_content_type"),
        ),
        (b"", Expect::Error(400, "invalid_content_type")),
        (
            b"application/\xffjson",
            Expect::Error(400, "invalid_content_type"),
        ),
        (b"application/vnd.api+json", Expect::Success(201)),
        (b"APPLICATION/JSON;charset=\"utf-8\"", Expect::Success(201)),
    ];
    let cases = types
        .into_iter()
        .map(|(content_type, expect)| {
            let bytes = send(
                &app,
                b"POST",
                ENROLL,
                &[(b"Content-Type", content_type)],
                GENERIC,
            );
            Case::new(String::from_utf8_lossy(content_type), bytes, expect)
        })
        .collect();

    run(&app, cases).await;
}

#[tokio::test]
async fn chunked_bodies_are_read_whole_whatever_the_chunk_boundaries() {
    let app = spawn_app().await;
    let accented = r#"{"type":"generic_otp","user_id":"usér_ü"}"#.as_bytes();
    let mut trailer = chunked(GENERIC, 8);
    trailer.truncate(trailer.len() - 2);
    trailer.extend_from_slice(b"X-Trailer: 1\r\n\r\n");
    let table = vec![
        ("one-byte chunks", chunked(GENERIC, 1), Expect::Success(201)),
        (
            "chunks that split a UTF-8 character",
            chunked(accented, 1),
            Expect::Success(201),
        ),
        (
            "chunk extensions",
            b"5;name=value\r\n{\"typ\r\n11\r\ne\":\"generic_otp\"}\r\n0\r\n\r\n".to_vec(),
            Expect::Success(201),
        ),
        ("a trailer", trailer, Expect::Success(201)),
        (
            "malformed JSON in chunks",
            chunked(br#"{"type":"generic_otp""#, 4),
            Expect::Error(400, "invalid_json"),
        ),
        (
            "a chunk size that is not hex",
            b"zz\r\n{}\r\n0\r\n\r\n".to_vec(),
            Expect::Error(400, "invalid_json"),
        ),
        (
            "a chunk longer than its size",
            b"2\r\n{}}}\r\n0\r\n\r\n".to_vec(),
            Expect::Error(400, "invalid_json"),
        ),
    ];
    let cases = table
        .into_iter()
        .map(|(label, body, expect)| {
            Case::new(
                label,
                send(&app, b"POST", ENROLL, &[CHUNKED], &body),
                expect,
            )
        })
        .collect();

    run(&app, cases).await;
}

#[tokio::test]
async fn requests_hyper_cannot_parse_get_a_bare_4xx_and_the_server_keeps_serving() {
    // These never reach the application: hyper answers them itself, with an
    // empty body and no request id, so only the status and the server's
    // survival are checked here.
    let app = spawn_app().await;
    let long_path = format!("/auth/factors/{}", "a".repeat(1_000_000));
    let table: [(&str, Vec<u8>, u16); 4] = [
        ("not HTTP", b"GARBAGE\r\n\r\n".to_vec(), 400),
        (
            "a megabyte path",
            send(&app, b"GET", long_path.as_bytes(), &[], b""),
            431,
        ),
        (
            "Transfer-Encoding gzip",
            send(
                &app,
                b"POST",
                ENROLL,
                &[(b"Transfer-Encoding", b"gzip")],
                GENERIC,
            ),
            400,
        ),
        (
            "a header without a colon",
            raw::request(
                b"GET",
                b"/health",
                &[(b"X-Broken\r\nno colon here", b"1")],
                b"",
            ),
            400,
        ),
    ];
    for (label, bytes, status) in table {
        let reply = raw::exchange(&app.base_url, &bytes).await;
        assert_eq!(reply.status, status, "{label}: {}", reply.text());
        still_answers(&app, label).await;
    }
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_given_up_on() {
    let app = spawn_app_with(Config {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let bytes = send(
        &app,
        b"POST",
        ENROLL,
        &[(b"Content-Length", b"100")],
        GENERIC,
    );
    let mut stream = raw::connect(&app.base_url).await;
    stream.write_all(&bytes).await.expect("written");

    let mut received = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;

    assert!(read.is_ok(), "the connection is still held open after 5 s");
    check(
        &raw::parse(&received),
        &Expect::Error(408, "request_timeout"),
        "a short body",
    );
    still_answers(&app, "a short body").await;
}
