//! Slow and broken clients: connections that stall before or during their
//! headers are dropped at `header_read_timeout` without holding anyone else
//! up, and a client that goes away in the middle of a body leaves nothing
//! behind.

use std::time::{Duration, Instant};

use mfa_mock::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::raw;

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
/// A normal request must take far less than the header timeout, so a
/// request that waited behind a stalled client would fail this bound.
const PROMPT: Duration = Duration::from_millis(500);

async fn spawn_impatient_app() -> TestApp {
    spawn_app_with(Config {
        header_read_timeout: HEADER_TIMEOUT,
        ..Config::default()
    })
    .await
}

/// How long the server takes to close `stream`, reading whatever it sends.
async fn time_until_closed(mut stream: TcpStream, since: Instant) -> Duration {
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "the server never closed the stalled connection"
    );
    since.elapsed()
}

/// Runs `count` normal requests one after another and returns the slowest.
async fn slowest_of(app: &TestApp, count: usize) -> Duration {
    let mut slowest = Duration::ZERO;
    for _ in 0..count {
        let started = Instant::now();
        let reply = app.send(app.client.get(app.url("/health"))).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(reply.status, 200);
    }
    slowest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_headers_a_byte_at_a_time_is_dropped_at_the_header_timeout() {
    let app = spawn_impatient_app().await;
    let key = app.key.clone();
    let headers = format!("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n");
    let stream = raw::connect(&app.base_url).await;
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    // A byte every 250 ms is faster than the timeout: only a deadline on the
    // whole header section, not an idle timer, stops this client.
    let dripper = tokio::spawn(async move {
        let mut sent = 0;
        for byte in headers.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        (sent, headers.len())
    });

    let slowest = slowest_of(&app, 20).await;
    let mut reply = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut reply)).await;
    let closed_after = started.elapsed();
    dripper.abort();

    assert!(closed.is_ok(), "the dripping client was never dropped");
    assert!(slowest < PROMPT, "a normal request took {slowest:?}");
    assert!(
        closed_after >= HEADER_TIMEOUT.mul_f32(0.9) && closed_after < HEADER_TIMEOUT * 3,
        "the dripping client was dropped after {closed_after:?}"
    );
    assert!(
        !String::from_utf8_lossy(&reply).contains("200 OK"),
        "the dripping client must not be served"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_half_sent_clients_are_dropped_at_the_header_timeout_without_delaying_others() {
    let app = spawn_impatient_app().await;
    let started = Instant::now();
    let mut stalled = Vec::new();
    for n in 0..100 {
        let mut stream = raw::connect(&app.base_url).await;
        // Half the clients send nothing at all; half stop in the middle of a header.
        if n % 2 == 0 {
            stream
                .write_all(b"POST /auth/factors/enroll HTTP/1.1\r\nHo")
                .await
                .expect("written");
        }
        stalled.push(stream);
    }

    let slowest = slowest_of(&app, 20).await;
    let flow = app.enroll_generic().await;
    let closings: Vec<_> = stalled
        .into_iter()
        .map(|stream| tokio::spawn(time_until_closed(stream, started)))
        .collect();
    let (mut first_closed, mut last_closed) = (Duration::MAX, Duration::ZERO);
    for closing in closings {
        let closed = closing.await.expect("task finishes");
        (first_closed, last_closed) = (first_closed.min(closed), last_closed.max(closed));
    }

    assert!(slowest < PROMPT, "a normal request took {slowest:?}");
    assert_eq!(flow.status, 201);
    assert!(
        first_closed >= HEADER_TIMEOUT.mul_f32(0.9),
        "a stalled client was dropped early, after {first_closed:?}"
    );
    assert!(
        last_closed < HEADER_TIMEOUT * 3,
        "the last stalled client went after {last_closed:?}"
    );
}

/// Sends each request (all cut short), lets the server start on them, then hangs up.
async fn hang_up_after(app: &TestApp, requests: &[&[u8]]) {
    let mut streams = Vec::new();
    for bytes in requests {
        let mut stream = raw::connect(&app.base_url).await;
        stream.write_all(bytes).await.expect("written");
        streams.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(streams);
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_body_leaves_no_partial_state() {
    let app = spawn_app().await;
    let authorization = format!("Bearer {}", app.key);
    let auth: (&[u8], &[u8]) = (b"Authorization", authorization.as_bytes());
    let json: (&[u8], &[u8]) = (b"Content-Type", b"application/json");
    // Each body is already a complete, valid enrollment: only the framing says
    // more is coming, so a server that acted on a partial body would create a factor.
    let whole = br#"{"type":"generic_otp"}"#;
    let longer = raw::request(
        b"POST",
        b"/auth/factors/enroll",
        &[auth, json, (b"Content-Length", b"64")],
        whole,
    );
    let mut unterminated = raw::request(
        b"POST",
        b"/auth/factors/enroll",
        &[auth, json, (b"Transfer-Encoding", b"chunked")],
        &raw::chunked(whole, 64),
    );
    unterminated.truncate(unterminated.len() - b"0\r\n\r\n".len());
    let mut mid_headers = raw::request(b"POST", b"/auth/factors/enroll", &[auth, json], whole);
    mid_headers.truncate(mid_headers.len() - whole.len() - 2);

    hang_up_after(&app, &[&longer, &unterminated, &mid_headers]).await;
    let tenant = app.app.tenant(&app.key);
    let left_behind = tenant.factor_count();
    let after = app.enroll_generic().await;

    assert_eq!(left_behind, 0, "a cut-short request created a factor");
    assert_eq!(after.status, 201);
    assert_eq!(tenant.factor_count(), 1);
}
