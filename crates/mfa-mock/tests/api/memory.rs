//! Memory figures of the real binary under hostile load: each phase fills one
//! kind of store past its bound and prints the process's resident memory
//! (`VmRSS` from `/proc/<pid>/status`) and `GET /health?stats=1`. They print
//! figures and assert nothing about them; the bounds themselves are tested in
//! `limits.rs`. Ignored by `cargo test`; run with
//! `cargo test --release -p mfa-mock --test api -- --ignored --nocapture memory::`.

use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use crate::binary::Binary;

/// Resident memory of `pid` in MiB (Linux), or 0 where `/proc` is missing.
fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| {
                    value
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

async fn report(server: &Binary, client: &reqwest::Client, phase: &str) {
    let stats: Value = client
        .get(format!("{}/health?stats=1", server.base_url))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    println!(
        "{phase:<58} RSS {:>7.1} MiB  tenants {:>6}  evicted {:>6}  store_bytes {:>6.1} MiB",
        rss_mib(server.pid()),
        stats["tenants"],
        stats["evicted_tenants"],
        stats["store_bytes"].as_f64().unwrap_or(0.0) / 1_048_576.0,
    );
}

/// Sends `count` POSTs from 8 workers; `request(n)` gives key, path, body and
/// an optional `Idempotency-Key` for the n-th.
async fn flood(
    server: &Binary,
    count: usize,
    request: impl Fn(usize) -> (String, String, String, Option<String>) + Send + Sync + 'static,
) {
    let request = Arc::new(request);
    let mut workers = JoinSet::new();
    for worker in 0..8 {
        let (client, base, request) = (
            reqwest::Client::new(),
            server.base_url.clone(),
            Arc::clone(&request),
        );
        workers.spawn(async move {
            let mut n = worker;
            while n < count {
                let (key, path, body, idempotency) = request(n);
                let mut builder = client
                    .post(format!("{base}{path}"))
                    .bearer_auth(key)
                    .header("content-type", "application/json")
                    .body(body);
                if let Some(idempotency) = idempotency {
                    builder = builder.header("idempotency-key", idempotency);
                }
                let _ = builder.send().await.expect("sent").bytes().await;
                n += 8;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker");
    }
}

#[tokio::test]
#[ignore = "memory figures: cargo test --release -p mfa-mock --test api -- --ignored --nocapture memory::"]
async fn memory_stays_bounded_under_each_hostile_load_and_all_of_them() {
    let server = Binary::start(&[]);
    let client = reqwest::Client::new();
    report(&server, &client, "started").await;

    let mib = Arc::new(format!("{{\"pad\":\"{}\"}}", "x".repeat((1 << 20) - 64)));
    let body = Arc::clone(&mib);
    flood(&server, 300, move |n| {
        (
            "sk_test_mem_idem".into(),
            "/auth/factors/enroll".into(),
            (*body).clone(),
            Some(format!("k{n}")),
        )
    })
    .await;
    report(
        &server,
        &client,
        "300 x 1 MiB enrolls, each a new Idempotency-Key",
    )
    .await;

    let body = Arc::clone(&mib);
    flood(&server, 300, move |_| {
        (
            "sk_test_mem_journal".into(),
            "/auth/factors/enroll".into(),
            (*body).clone(),
            None,
        )
    })
    .await;
    report(&server, &client, "300 x 1 MiB posts on one key (journal)").await;

    flood(&server, 20_000, |n| {
        (
            format!("sk_test_mem_key_{n}"),
            "/auth/factors/enroll".into(),
            "{\"type\":\"generic_otp\"}".into(),
            None,
        )
    })
    .await;
    report(&server, &client, "20,000 new keys, one factor each").await;

    let big_key = format!("sk_test_{}", "k".repeat(240));
    flood(&server, 20_000, move |n| {
        (
            format!("{big_key}{n}"),
            "/auth/factors/enroll".into(),
            "{}".into(),
            None,
        )
    })
    .await;
    report(&server, &client, "20,000 new 256-character keys").await;

    // The worst case with the defaults: tenants that each fill every store to its cap.
    for tenant in 0..6 {
        let key = format!("sk_test_mem_full_{tenant}");
        // Remembered responses (a TOTP enroll's carries a QR code): past the 32 MiB cap.
        let idempotency_key = key.clone();
        flood(&server, 10_000, move |n| {
            let body = "{\"type\":\"totp\",\"totp_issuer\":\"Worst Case Inc\",\"totp_user\":\"ada@example.com\"}";
            (idempotency_key.clone(), "/auth/factors/enroll".into(), body.into(), Some(format!("i{n}")))
        })
        .await;
        // Objects: up to the 100,000 cap.
        let objects_key = key.clone();
        flood(&server, 90_000, move |_| {
            (
                objects_key.clone(),
                "/auth/factors/enroll".into(),
                "{\"type\":\"generic_otp\"}".into(),
                None,
            )
        })
        .await;
        // The journal: 17 KiB bodies, past its 4 MiB cap.
        let prefix = Arc::new(format!("{{\"pad\":\"{}\"}}", "y".repeat(17 * 1024)));
        let (journal_key, body) = (key.clone(), Arc::clone(&prefix));
        flood(&server, 300, move |_| {
            (
                journal_key.clone(),
                "/auth/factors/enroll".into(),
                (*body).clone(),
                None,
            )
        })
        .await;
        report(
            &server,
            &client,
            &format!("worst case: {} full tenant(s)", tenant + 1),
        )
        .await;
    }
}
