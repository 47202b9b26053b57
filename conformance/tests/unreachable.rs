//! The conformance binary against a URL where nothing listens: one clear line and
//! exit code 2, not one failure per fixture.

use std::net::TcpListener;
use std::process::Command;

#[test]
fn nothing_listening_is_one_line_and_exit_code_2() {
    // A port that was free a moment ago and has no listener now.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port");
    let output = Command::new(env!("CARGO_BIN_EXE_mfa-conformance"))
        .args(["--base-url", &format!("http://127.0.0.1:{port}")])
        .env_remove("MFA_CONFORMANCE_BASE_URL")
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("nothing listens at http://127.0.0.1:"),
        "{stderr}"
    );
}
