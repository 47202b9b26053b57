//! `--deterministic` with a frozen clock: two runs of the real binary answer
//! the same requests byte for byte.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-mock"))
        .args(["--port", "0", "--log", "off"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("it prints its URL");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "unexpected first line {line:?}"
    );
    Server { child, url }
}

async fn transcript(server: &Server) -> Vec<String> {
    let client = reqwest::Client::new();
    let key = "sk_test_deterministic";
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(format!("{}{path}", server.url))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let mut bodies = Vec::new();
    let enrolled = post(
        "/auth/factors/enroll",
        json!({"type": "totp", "totp_issuer": "Foo", "totp_user": "ada"}),
    )
    .await
    .expect("enroll")
    .text()
    .await
    .expect("body");
    let factor: serde_json::Value = serde_json::from_str(&enrolled).expect("json");
    let id = factor["id"].as_str().unwrap_or_default().to_owned();
    bodies.push(enrolled);
    for path in [
        format!("/auth/factors/{id}/challenge"),
        "/user_management/users".to_owned(),
    ] {
        let body = if path.ends_with("users") {
            json!({"email": "ada@example.com"})
        } else {
            json!({})
        };
        bodies.push(
            post(&path, body)
                .await
                .expect("post")
                .text()
                .await
                .expect("body"),
        );
    }
    let generic = post("/auth/factors/enroll", json!({"type": "generic_otp"}))
        .await
        .expect("enroll")
        .text()
        .await
        .expect("body");
    let generic_id = serde_json::from_str::<serde_json::Value>(&generic).expect("json")["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    bodies.push(generic);
    bodies.push(
        post(&format!("/auth/factors/{generic_id}/challenge"), json!({}))
            .await
            .expect("post")
            .text()
            .await
            .expect("body"),
    );
    let journal = client
        .get(format!("{}/_mock/requests", server.url))
        .bearer_auth(key)
        .send()
        .await;
    let mut journal: serde_json::Value = journal.expect("journal").json().await.expect("json");
    for entry in journal["data"].as_array_mut().into_iter().flatten() {
        // The Host header names the port each run's server happened to get.
        entry["headers"]
            .as_object_mut()
            .map(|headers| headers.remove("host"));
    }
    bodies.push(journal.to_string());
    bodies
}

#[tokio::test]
async fn two_deterministic_runs_answer_byte_for_byte_the_same() {
    let args = [
        "--deterministic",
        "42",
        "--freeze-at",
        "2026-01-15T12:00:00Z",
    ];

    let first = transcript(&start(&args)).await;
    let second = transcript(&start(&args)).await;

    assert_eq!(first, second);
    assert!(
        first[0].contains("\"created_at\":\"2026-01-15T12:00:00.000Z\""),
        "{}",
        first[0]
    );
}

#[tokio::test]
async fn without_a_seed_two_runs_differ() {
    let args = ["--freeze-at", "2026-01-15T12:00:00Z"];

    let first = transcript(&start(&args)).await;
    let second = transcript(&start(&args)).await;

    assert_ne!(first[0], second[0]);
}

#[tokio::test]
async fn a_seed_file_on_the_command_line_is_loaded() {
    let path = std::env::temp_dir().join(format!("mfa-mock-seed-{}.yaml", std::process::id()));
    std::fs::write(&path, "tenants:\n  - api_key: sk_test_cli\n    users: [{ id: user_cli, email: cli@example.com }]\n")
        .expect("write the seed");
    let server = start(&["--seed-file", path.to_str().unwrap_or_default()]);

    let reply = reqwest::Client::new()
        .get(format!("{}/user_management/users/user_cli", server.url))
        .bearer_auth("sk_test_cli")
        .send()
        .await
        .expect("reaches the server");

    let _ = std::fs::remove_file(&path);
    assert_eq!(reply.status().as_u16(), 200);
}
