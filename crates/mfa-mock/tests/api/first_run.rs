//! What a first-time user sees when something is set up wrong: the reason for a
//! 401 in the log (never the key), a clear line for https sent to the plain
//! port, a start-up banner, a live key refused at start, and a 422 that spots a
//! typo'd field name.

use std::io::Write;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::binary::Binary;
use crate::helpers::spawn_app;

/// The binary's log once it contains `needle`, or as it is after 10 s.
fn log_containing(server: &Binary, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let logs = server.logs();
        if logs.contains(needle) || Instant::now() > deadline {
            return logs;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn every_401_is_logged_with_its_reason_and_a_fingerprint_not_the_key() {
    let server = Binary::start(&["--api-key", "sk_test_TheOnlyKeyAllowed"]);
    let client = reqwest::Client::new();
    let status = client
        .get(format!("{}/auth/factors/auth_factor_1", server.base_url))
        .bearer_auth("sk_test_SomeOtherKeyQ")
        .send()
        .await
        .expect("reaches the binary")
        .status();
    assert_eq!(status, 401);

    let logs = log_containing(&server, "401 Unauthorized");
    let line = logs
        .lines()
        .find(|line| line.contains("401 Unauthorized"))
        .unwrap_or_else(|| panic!("no 401 line in:\n{logs}"));
    assert!(line.contains("INFO"), "{line}");
    assert!(
        line.contains("not one of the server's --api-key keys"),
        "{line}"
    );
    assert!(line.contains("sk_test_…#"), "{line}");
    assert!(!logs.contains("SomeOtherKeyQ"), "the key leaked:\n{logs}");
    assert!(
        !logs.contains("TheOnlyKeyAllowed"),
        "the key leaked:\n{logs}"
    );
}

#[test]
fn a_tls_handshake_on_the_plain_port_logs_one_line_saying_use_http() {
    let server = Binary::start(&[]);
    let mut stream = TcpStream::connect(server.address()).expect("connects");
    // The start of a TLS 1.2 record carrying a ClientHello.
    stream
        .write_all(&[
            0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
        ])
        .expect("writes");

    let logs = log_containing(&server, "TLS handshake");
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("TLS handshake"))
        .collect();
    assert_eq!(lines.len(), 1, "{logs}");
    assert!(lines[0].contains("http://"), "{}", lines[0]);
    assert!(lines[0].contains("https: false"), "{}", lines[0]);
}

#[test]
fn a_plain_http_request_logs_no_tls_line() {
    let server = Binary::start(&[]);
    let mut stream = TcpStream::connect(server.address()).expect("connects");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("writes");
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        !server.logs().contains("TLS handshake"),
        "{}",
        server.logs()
    );
}

#[test]
fn the_banner_names_the_url_the_keys_the_health_check_and_the_controls() {
    let server = Binary::start(&["--api-key", "sk_test_BannerSecretKey"]);
    let logs = log_containing(&server, "test controls");
    let url = &server.base_url;
    assert!(
        logs.contains(&format!("serving the WorkOS MFA API at {url}")),
        "{logs}"
    );
    assert!(logs.contains("accepted API keys: sk_test_…#"), "{logs}");
    assert!(logs.contains(&format!("{url}/health")), "{logs}");
    assert!(logs.contains(&format!("{url}/_mock/")), "{logs}");
    assert!(!logs.contains("BannerSecretKey"), "the key leaked:\n{logs}");
}

#[test]
fn a_live_api_key_flag_fails_at_start() {
    let log = std::env::temp_dir().join(format!("mfa-mock-live-key-{}.log", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-mock"))
        .args(["--port", "0", "--api-key", "sk_live_RealProductionKey"])
        .env_remove("MFA_MOCK_API_KEYS")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("a log file"))
        .spawn()
        .expect("runs");
    // A server that started instead would run until killed: give it 10 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        matches!(status, Some(s) if !s.success()),
        "{status:?}: {stderr}"
    );
    assert!(stderr.contains("live keys are always refused"), "{stderr}");
    assert!(!stderr.contains("RealProductionKey"), "{stderr}");
}

#[tokio::test]
async fn a_missing_field_next_to_its_typo_gets_a_did_you_mean() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/auth/factors/enroll",
            json!({"type": "totp", "totp_isuer": "Foo Corp", "totp_user": "alan@example.com"}),
        )
        .await;
    let body = reply.expect(422).to_string();
    assert!(body.contains("did you mean `totp_issuer`?"), "{body}");
}
