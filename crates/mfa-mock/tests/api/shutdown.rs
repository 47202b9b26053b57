//! Graceful shutdown of the real binary: on SIGTERM, requests already in
//! flight finish, new connections are refused, and the process exits 0 within
//! its grace period.
//!
//! "In flight" is made slow on purpose: a chunked enrollment whose last chunk
//! the test holds back until after the signal. Every step waits on an event
//! (the server's `100 Continue` once it reads the body, a log line, the exit)
//! with generous limits; nothing asserts how fast anything was.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::binary::Binary;
use crate::hostile::{Expect, check};
use crate::raw;

const KEY: &str = "sk_test_shutdown";

/// How long any one event may take on a loaded machine before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// Opens a connection and sends all of a chunked enrollment but its last
/// chunk; returns once the server has started reading the body (it answers
/// `Expect: 100-continue` only then), so the request is in flight.
async fn start_slow_enrollment(server: &Binary) -> TcpStream {
    let mut stream = TcpStream::connect(server.address())
        .await
        .expect("connects");
    let head = format!(
        "POST /auth/factors/enroll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("written");
    let mut received = Vec::new();
    while !received.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut byte)).await;
        let count = read.expect("100 Continue in time").expect("readable");
        assert!(count > 0, "closed before 100 Continue: {received:?}");
        received.push(byte[0]);
    }
    assert!(
        received.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&received)
    );
    stream
        .write_all(b"8\r\n{\"type\":\r\n")
        .await
        .expect("first chunk written");
    stream
}

/// Waits until the server's log contains `line`.
async fn wait_for_log(server: &Binary, line: &str) {
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        if server.logs().contains(line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no {line:?} in the log: {}", server.logs());
}

/// Sends SIGTERM and waits until the server has acted on it.
async fn terminate_and_wait(server: &Binary) {
    server.terminate();
    wait_for_log(server, "shutting down").await;
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
    // A grace far longer than the wait below: an exit within it is the
    // requests finishing, not the grace running out.
    let mut server = Binary::start(&["--shutdown-grace-secs", "120"]);
    let mut in_flight = Vec::new();
    for _ in 0..3 {
        in_flight.push(start_slow_enrollment(&server).await);
    }

    terminate_and_wait(&server).await;
    let refused = refused_within(server.address(), PATIENCE).await;
    let mut replies = Vec::new();
    for stream in in_flight {
        replies.push(finish_enrollment(stream).await);
    }
    let exit = server.wait_exit(PATIENCE * 2);

    assert!(refused, "new connections are still accepted after SIGTERM");
    for reply in &replies {
        check(reply, &Expect::Success(201), "an in-flight enrollment");
        assert_eq!(reply.json()["type"], "generic_otp");
    }
    let (status, _) = exit.expect("the process exits once in-flight requests are done");
    assert_eq!(status.code(), Some(0));
    assert!(server.logs().contains("all connections closed"));
}

#[tokio::test]
async fn a_request_that_outlasts_the_grace_period_does_not_keep_the_process_alive() {
    let mut server = Binary::start(&["--shutdown-grace-secs", "1"]);
    let mut stalled = start_slow_enrollment(&server).await;

    terminate_and_wait(&server).await;
    let exit = server.wait_exit(PATIENCE);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, stalled.read_to_end(&mut rest)).await;

    let (status, _) = exit.expect("the process exits after its grace period");
    assert_eq!(status.code(), Some(0));
    assert!(
        server.logs().contains("still open after the grace period"),
        "it exited because the grace ran out: {}",
        server.logs()
    );
    assert!(closed.is_ok(), "the stalled connection is closed");
}

#[tokio::test]
async fn a_second_signal_during_the_grace_period_exits_at_once() {
    let mut server = Binary::start(&["--shutdown-grace-secs", "600"]);
    let _stalled = start_slow_enrollment(&server).await;

    terminate_and_wait(&server).await;
    server.terminate();
    let exit = server.wait_exit(PATIENCE);

    let (status, _) = exit.expect("the second signal ends the process long before its grace");
    assert_ne!(
        status.code(),
        Some(0),
        "an interrupted shutdown is not a clean exit"
    );
    assert!(server.logs().contains("second signal"), "{}", server.logs());
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_delay_the_exit() {
    let mut server = Binary::start(&["--shutdown-grace-secs", "120"]);
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
    // Far less than the grace: the idle connection did not hold the exit.
    let exit = server.wait_exit(PATIENCE);

    let (status, _) = exit.expect("the process exits before the grace runs out");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn sigterm_as_soon_as_the_url_is_printed_is_still_a_clean_exit() {
    let mut server = Binary::start_unready(&[]);

    server.terminate();
    let exit = server.wait_exit(PATIENCE);

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
    let exit = first.wait_exit(PATIENCE);
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
    let _ = std::fs::remove_file(format!("{}.log", path.display()));

    assert_eq!(exit.map(|(status, _)| status.code()), Some(Some(0)));
    assert!(
        saved.contains(&id) && saved.contains(&secret),
        "the state file holds the factor"
    );
    assert_eq!(after, before, "the factor reloads byte for byte");
    assert_eq!(verified["valid"], true, "its secret still verifies");
}
