//! Concurrency: the answers stay right when many requests race.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{independent_totp, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_64_concurrent_correct_verifies_exactly_one_is_valid() {
    let app = spawn_app().await;
    let factor = app.enroll_totp().await;
    let challenge = app.challenge(&factor.str("/id")).await.str("/id");
    let code = independent_totp(&factor.str("/totp/secret"), app.now_seconds());

    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (client, url, key, code) = (
                app.client.clone(),
                app.url(&format!("/auth/challenges/{challenge}/verify")),
                app.key.clone(),
                code.clone(),
            );
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"code": code}))
                    .send()
                    .await;
                let response = response.expect("reaches the server");
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await.expect("json");
                (status, body)
            })
        })
        .collect();
    let mut valid = 0;
    let mut previously_verified = 0;
    for task in tasks {
        let (status, body) = task.await.expect("task finishes");
        match (status, body["valid"].as_bool(), body["code"].as_str()) {
            (201, Some(true), _) => valid += 1,
            (422, _, Some("authentication_challenge_previously_verified")) => {
                previously_verified += 1
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }

    assert_eq!((valid, previously_verified), (1, 63));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_enrollments_get_distinct_ids_and_all_are_listed() {
    let app = spawn_app().await;
    let user_id = app.create_user("ada@example.com").await.str("/id");
    let path = format!("/user_management/users/{user_id}/auth_factors");

    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (client, url, key) = (app.client.clone(), app.url(&path), app.key.clone());
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"type": "totp"}))
                    .send()
                    .await;
                let body: serde_json::Value =
                    response.expect("reaches").json().await.expect("json");
                body["authentication_factor"]["id"]
                    .as_str()
                    .map(str::to_owned)
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await.expect("task finishes").expect("an id"));
    }
    let listed = app.get(&format!("{path}?limit=100")).await;

    assert_eq!(ids.len(), 64);
    let listed_ids: HashSet<String> = listed.expect(200)["data"]
        .as_array()
        .map(|data| {
            data.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(listed_ids, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn once_a_factor_is_deleted_none_of_its_challenges_verify() {
    let app = spawn_app().await;
    let factor = app.enroll_generic().await.str("/id");
    let mut challengers = Vec::new();
    for _ in 0..32 {
        let (client, url, key) = (
            app.client.clone(),
            app.url(&format!("/auth/factors/{factor}/challenge")),
            app.key.clone(),
        );
        challengers.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(key)
                .json(&json!({}))
                .send()
                .await
                .expect("reaches");
            let body: serde_json::Value = response.json().await.expect("json");
            (
                body["id"].as_str().map(str::to_owned),
                body["code"].as_str().map(str::to_owned),
            )
        }));
    }
    let deleted = app.delete(&format!("/auth/factors/{factor}")).await;
    assert_eq!(deleted.status, 204);

    let mut issued = 0;
    for challenger in challengers {
        if let (Some(id), Some(code)) = challenger.await.expect("task finishes") {
            issued += 1;
            let verify = app.verify(&id, &code).await;
            assert_eq!(
                verify.expect(404)["code"],
                "entity_not_found",
                "challenge {id} outlived its factor"
            );
        }
    }
    let tenant = app.app.tenant(&app.key);
    assert_eq!(
        tenant.challenge_count(),
        0,
        "{issued} challenges were issued; none may remain"
    );
}
