//! Seeds `corpus/request/` from `../fixtures/`: one corpus file per fixture,
//! holding all its requests in the target's input format (see
//! `fuzz_targets/request.rs`), so the fuzzer starts from every documented
//! request, body and error case instead of from nothing.
//!
//! Fixture placeholders become what the target can fill in at run time:
//! captured ids become `@factor`, `@challenge` or `@user` (the last such id a
//! response carried), codes become `@code`, and `{{long:N}}` becomes a string
//! just over the target's body limit.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Separates the requests of one input.
const SEPARATOR: &[u8] = b"\n\x1e\n";

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let fixtures = manifest.join("../fixtures");
    let corpus = manifest.join("corpus/request");
    println!("cargo:rerun-if-changed={}", fixtures.display());
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(error) = seed(&fixtures, &corpus) {
        println!("cargo:warning=the fuzz corpus was not seeded: {error}");
    }
}

fn seed(fixtures: &Path, corpus: &Path) -> std::io::Result<()> {
    fs::create_dir_all(corpus)?;
    for group in fs::read_dir(fixtures)? {
        let group = group?.path();
        if !group.is_dir() {
            continue;
        }
        for file in fs::read_dir(&group)? {
            let file = file?.path();
            let Ok(fixture) = serde_json::from_slice::<Value>(&fs::read(&file)?) else {
                continue;
            };
            let name = format!(
                "{}__{}",
                group.file_name().unwrap_or_default().to_string_lossy(),
                file.file_stem().unwrap_or_default().to_string_lossy()
            );
            fs::write(corpus.join(name), input(&fixture))?;
        }
    }
    Ok(())
}

/// Every step of `fixture` as one input.
fn input(fixture: &Value) -> Vec<u8> {
    let steps = fixture["steps"].as_array().cloned().unwrap_or_default();
    let requests: Vec<Vec<u8>> = steps.iter().map(request).collect();
    requests.join(SEPARATOR)
}

fn request(step: &Value) -> Vec<u8> {
    let request = &step["request"];
    let method = request["method"].as_str().unwrap_or("GET");
    let path = request["path"].as_str().unwrap_or("/");
    let mut text = format!("{method} {}\n", fill(path));
    let headers = request["headers"].as_object().cloned().unwrap_or_default();
    let named = |name: &str| headers.keys().any(|key| key.eq_ignore_ascii_case(name));
    if !named("authorization") {
        match step["tenant"].as_str() {
            Some("none") => {}
            Some(other) => text.push_str(&format!("Authorization: Bearer sk_test_fuzz_{other}\n")),
            None => text.push_str("Authorization: Bearer sk_test_fuzz\n"),
        }
    }
    if request.get("json").is_some() && !named("content-type") {
        text.push_str("Content-Type: application/json\n");
    }
    for (name, value) in &headers {
        if let Some(value) = value.as_str() {
            text.push_str(&format!("{name}: {}\n", fill(value)));
        }
    }
    text.push('\n');
    let body = match (request.get("json"), request["body"].as_str()) {
        (Some(json), _) => fill(&json.to_string()),
        (None, Some(body)) => fill(body),
        (None, None) => String::new(),
    };
    text.push_str(&body);
    text.into_bytes()
}

/// Replaces every `{{placeholder}}` in `text`.
fn fill(text: &str) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        filled.push_str(&rest[..start]);
        filled.push_str(&placeholder(&rest[start + 2..start + end]));
        rest = &rest[start + end + 2..];
    }
    filled.push_str(rest);
    filled
}

fn placeholder(name: &str) -> String {
    if let Some(length) = name.strip_prefix("long:") {
        let length: usize = length.parse().unwrap_or(0);
        return "x".repeat(length.min(3000));
    }
    let name = name.split(':').next().unwrap_or(name);
    match name {
        "unique" => "fuzz".to_owned(),
        "email" => "ada@example.com".to_owned(),
        "code" | "totp" => "@code".to_owned(),
        "totp_wrong" => "000000".to_owned(),
        "created_at" | "updated_at" => "2026-01-01T00:00:00.000Z".to_owned(),
        _ if name.contains("challenge") || name.starts_with('c') => "@challenge".to_owned(),
        _ if name.contains("user") || name == "ada_id" || name == "bob_id" => "@user".to_owned(),
        _ => "@factor".to_owned(),
    }
}
