//! Graceful shutdown of the real binary: on SIGTERM, requests already in
//! flight finish, new connections are refused, and the process exits 0 within
//! its grace period.
//!
//! "In flight" is made slow on purpose: a chunked enrollment whose last chunk
//! the test holds back until after the signal.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::binary::Binary;
use crate::hostile::{Expect, check};
use crate::raw;

const KEY: &str = "sk_test_shutdown";

/// Opens a connection and sends all of a chunked enrollment but its last chunk.
async fn start_slow_enrollment(server: &Binary) -> TcpStream {
    let mut stream = TcpStream::connect(server.address())
        .await
        .expect("connects");
    let head = format!(
        "POST /auth/factors/enroll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n8\r\n{{\"type\":\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("written");
    stream
}

/// Sends the held-back chunk and the end of the body, then reads the reply.
async fn finish_enrollment(mut stream: TcpStream) -> raw::RawReply {
    let rest = "e\r\n\"generic_otp\"}\r\n0\r\n\r\n";
    stream
        .write_all(rest.as_bytes())
        .await
        .expect("the in-flight request may still send");
    raw::read_reply(&mut stream).await
}

/// Whether connecting to `address` is refused within `limit`.
async fn refused_within(address: &str, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        match TcpStream::connect(address).await {
            Err(error) if error.kind() == ErrorKind::ConnectionRefused => return true,
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    false
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_refuses_new_connections_and_exits_0() {
    let mut server = Binary::start(&["--shutdown-grace-secs", "10"]);
    let mut in_flight = Vec::new();
    for _ in 0..3 {
        in_flight.push(start_slow_enrollment(&server).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.terminate();
    let refused = refused_within(server.address(), Duration::from_secs(3)).await;
    let mut replies = Vec::new();
    for stream in in_flight {
        replies.push(finish_enrollment(stream).await);
    }
    let exit = server.wait_exit(Duration::from_secs(5));

    assert!(refused, "new connections are still accepted after SIGTERM");
    for reply in &replies {
        check(reply, &Expect::Success(201), "an in-flight enrollment");
        assert_eq!(reply.json()["type"], "generic_otp");
    }
    let (status, after) = exit.expect("the process exits once in-flight requests are done");
    assert_eq!(status.code(), Some(0));
    assert!(
        after < Duration::from_secs(2),
        "exit took {after:?} after the last reply"
    );
}

#[tokio::test]
async fn a_request_that_outlasts_the_grace_period_does_not_keep_the_process_alive() {
    let mut server = Binary::start(&["--shutdown-grace-secs", "1"]);
    let mut stalled = start_slow_enrollment(&server).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.terminate();
    let exit = server.wait_exit(Duration::from_secs(5));
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(1), stalled.read_to_end(&mut rest)).await;

    let (status, after) = exit.expect("the process exits after its grace period");
    assert_eq!(status.code(), Some(0));
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(3),
        "exit took {after:?} with a 1 s grace period"
    );
    assert!(closed.is_ok(), "the stalled connection is closed");
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_delay_the_exit() {
    let mut server = Binary::start(&["--shutdown-grace-secs", "10"]);
    let mut idle = TcpStream::connect(server.address())
        .await
        .expect("connects");
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("written");
    let mut received = Vec::new();
    while !received.ends_with(br#"{"status":"ok"}"#) {
        let mut buffer = [0u8; 1024];
        let read = tokio::time::timeout(raw::DEADLINE, idle.read(&mut buffer)).await;
        let count = read.expect("a reply in time").expect("readable");
        assert!(count > 0, "closed before the reply: {received:?}");
        received.extend_from_slice(&buffer[..count]);
    }

    server.terminate();
    let exit = server.wait_exit(Duration::from_secs(5));

    let (status, after) = exit.expect("the process exits");
    assert_eq!(status.code(), Some(0));
    assert!(
        after < Duration::from_secs(1),
        "an idle connection held the exit for {after:?}"
    );
}

#[tokio::test]
async fn sigterm_as_soon_as_the_url_is_printed_is_still_a_clean_exit() {
    let mut server = Binary::start_unready(&[]);

    server.terminate();
    let exit = server.wait_exit(Duration::from_secs(5));

    let (status, _) = exit.expect("the process exits");
    assert_eq!(status.code(), Some(0), "{status}");
}

#[tokio::test]
async fn with_a_state_file_the_state_is_saved_at_shutdown_and_reloads_intact() {
    let path = std::env::temp_dir().join(format!("mfa-mock-state-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let args = ["--state-file", path.to_str().unwrap_or_default()];
    let (client, key) = (reqwest::Client::new(), "sk_test_state_file");
    let mut first = Binary::start(&args);
    let enrolled: serde_json::Value = client
        .post(format!("{}/auth/factors/enroll", first.base_url))
        .bearer_auth(key)
        .json(&serde_json::json!({"type": "totp", "totp_issuer": "Foo", "totp_user": "ada"}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("json");
    let id = enrolled["id"].as_str().unwrap_or_default().to_owned();
    let secret = enrolled["totp"]["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let get = |base: String| {
        let request = client
            .get(format!("{base}/auth/factors/{id}"))
            .bearer_auth(key);
        async move {
            request
                .send()
                .await
                .expect("get")
                .text()
                .await
                .expect("body")
        }
    };
    let before = get(first.base_url.clone()).await;

    first.terminate();
    let exit = first.wait_exit(Duration::from_secs(5));
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    let second = Binary::start(&args);
    let after = get(second.base_url.clone()).await;
    let challenge: serde_json::Value = client
        .post(format!("{}/auth/factors/{id}/challenge", second.base_url))
        .bearer_auth(key)
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let verified: serde_json::Value = client
        .post(format!(
            "{}/auth/challenges/{}/verify",
            second.base_url,
            challenge["id"].as_str().unwrap_or_default()
        ))
        .bearer_auth(key)
        .json(&serde_json::json!({"code": crate::helpers::independent_totp(&secret, now)}))
        .send()
        .await
        .expect("verify")
        .json()
        .await
        .expect("json");
    let _ = std::fs::remove_file(&path);

    assert_eq!(exit.map(|(status, _)| status.code()), Some(Some(0)));
    assert!(
        saved.contains(&id) && saved.contains(&secret),
        "the state file holds the factor"
    );
    assert_eq!(after, before, "the factor reloads byte for byte");
    assert_eq!(verified["valid"], true, "its secret still verifies");
}
