//! What was acknowledged survives a crash: with `--state-file`, writes
//! acknowledged more than a second before a `kill -9` are there after a restart.

use std::time::Duration;

use serde_json::{Value, json};

use crate::binary::Binary;

const KEY: &str = "sk_test_crash";

/// A fresh folder for one test's state file.
fn folder(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mfa-mock-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    dir
}

async fn enroll(client: &reqwest::Client, base: &str, n: usize) -> String {
    let reply: Value = client
        .post(format!("{base}/auth/factors/enroll"))
        .bearer_auth(KEY)
        .json(&json!({"type": "totp", "totp_issuer": "Crash", "totp_user": format!("user{n}")}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("json");
    reply["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn writes_acknowledged_a_second_before_kill_9_are_there_after_a_restart() {
    let dir = folder("kill9");
    let path = dir.join("state.json");
    let args = ["--state-file", path.to_str().unwrap_or_default()];
    let client = reqwest::Client::new();

    let mut first = Binary::start(&args);
    let mut ids = Vec::new();
    for n in 0..50 {
        ids.push(enroll(&client, &first.base_url, n).await);
    }
    let frozen = client
        .post(format!("{}/_mock/clock", first.base_url))
        .bearer_auth(KEY)
        .json(&json!({"freeze_at": "2030-01-01T00:00:00Z"}))
        .send()
        .await
        .expect("clock");
    assert_eq!(frozen.status(), 200);
    // The promise is about writes acknowledged more than a second before the crash.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    first.kill_hard();

    let second = Binary::start(&args);
    for id in &ids {
        let status = client
            .get(format!("{}/auth/factors/{id}", second.base_url))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("get")
            .status();
        assert_eq!(status, 200, "{id} was lost in the crash");
    }
    let clock: Value = client
        .get(format!("{}/_mock/clock", second.base_url))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("clock")
        .json()
        .await
        .expect("json");
    assert_eq!(clock["now"], "2030-01-01T00:00:00.000Z");
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_reset_before_the_crash_stays_reset_after_it() {
    let dir = folder("reset");
    let path = dir.join("state.json");
    let args = ["--state-file", path.to_str().unwrap_or_default()];
    let client = reqwest::Client::new();

    let mut first = Binary::start(&args);
    let id = enroll(&client, &first.base_url, 0).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reset = client
        .post(format!("{}/_mock/reset", first.base_url))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("reset");
    assert!(reset.status().is_success());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    first.kill_hard();

    let second = Binary::start(&args);
    let status = client
        .get(format!("{}/auth/factors/{id}", second.base_url))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("get")
        .status();
    assert_eq!(status, 404, "the reset was durable too");
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}
