//! Start-up of the real binary: everything is loaded and checked before the
//! URL is printed, and every failure says what and where.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::binary::Binary;

/// Runs the binary with `args` to its exit (it is expected to fail at start).
fn run_to_exit(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-mock"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(args)
        .env_remove("MFA_MOCK_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // A binary that wrongly starts serving would never exit: stop it after a generous wait.
    let started = std::time::Instant::now();
    while child.try_wait().ok().flatten().is_none() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if child.try_wait().ok().flatten().is_none() {
        let _ = child.kill();
    }
    child.wait_with_output().expect("output")
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mfa-mock-start-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    dir
}

#[track_caller]
fn assert_failed_before_listening(output: &Output, names: &str) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        !stdout.contains("listening"),
        "printed {stdout:?} before failing"
    );
    assert!(stderr.contains(names), "{stderr:?} does not name {names}");
}

#[test]
fn a_corrupt_state_file_fails_before_the_url_is_printed_and_names_the_file() {
    let dir = temp("corrupt");
    let path = dir.join("state.json");
    std::fs::write(&path, "{ not a state file").expect("written");
    let path = path.to_str().unwrap_or_default();
    let output = run_to_exit(&["--state-file", path]);
    assert_failed_before_listening(&output, path);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_seed_file_fails_before_the_url_is_printed() {
    let dir = temp("seed");
    let path = dir.join("seed.yaml");
    std::fs::write(&path, "tenants:\n  - api_key: sk_test_x\n    factors: [{ type: sms, sms: { phone_number: \"555-0100\" } }]\n").expect("written");
    let output = run_to_exit(&["--seed-file", path.to_str().unwrap_or_default()]);
    assert_failed_before_listening(&output, "phone_number");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_file_whose_folder_cannot_be_written_fails_at_start_naming_the_path() {
    let dir = temp("unwritable");
    let not_a_folder = dir.join("file");
    std::fs::write(&not_a_folder, "").expect("written");
    let path = not_a_folder.join("state.json");
    let path = path.to_str().unwrap_or_default();
    let output = run_to_exit(&["--state-file", path]);
    assert_failed_before_listening(&output, path);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_log_filter_is_a_start_up_error() {
    let output = run_to_exit(&["--log", "mfa_mock=[nonsense"]);
    assert_failed_before_listening(&output, "--log");
}

#[cfg(unix)]
#[tokio::test]
async fn the_state_file_and_its_log_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp("mode");
    let path = dir.join("state.json");
    let server = Binary::start(&["--state-file", path.to_str().unwrap_or_default()]);
    for file in [path.clone(), dir.join("state.json.log")] {
        let mode = std::fs::metadata(&file)
            .expect("created at start")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn logs_to_a_file_have_no_colours_and_evictions_name_no_key() {
    let server = Binary::start(&["--max-tenants", "1"]);
    let client = reqwest::Client::new();
    for key in ["sk_test_first_secret_key", "sk_test_second_secret_key"] {
        let status = client
            .get(format!("{}/_mock/clock", server.base_url))
            .bearer_auth(key)
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(status, 200);
    }
    let mut logs = String::new();
    for _ in 0..500 {
        logs = server.logs();
        if logs.contains("tenant evicted") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(logs.contains("tenant evicted"), "{logs}");
    assert!(!logs.contains("secret_key"), "a key in the logs: {logs}");
    assert!(!logs.contains('\u{1b}'), "colour codes in a file: {logs:?}");
}
