//! The fixture format as strict Rust types: one scenario of steps per file.
//!
//! These types mirror `schemas/fixture.json` and reject unknown keys, so a typo in a
//! fixture is a load error rather than a silently ignored expectation. Reading the file
//! and checking it against the schema is `suite`'s job; replaying it is `runner`'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The requirement a fixture declares when one of its steps uses the `other` tenant.
pub const SECOND_TENANT: &str = "second_tenant";

/// The requirement a fixture declares when one of its steps calls mfa-mock's test-control
/// plane (a path under [`CONTROL_PREFIX`]), which the real WorkOS API does not have.
pub const CONTROL_PLANE: &str = "control_plane";

/// Where the test-control plane lives.
pub const CONTROL_PREFIX: &str = "/_mock/";

/// One scenario: a description and the steps that prove it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// Editor hint pointing at `schemas/fixture.json`; ignored by the runner.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// What the scenario proves, one sentence.
    pub description: String,
    /// Capabilities the runner must provide: [`SECOND_TENANT`], [`CONTROL_PLANE`].
    #[serde(default)]
    pub requires: Vec<String>,
    /// The requests, in order.
    pub steps: Vec<Step>,
}

/// One request, what its response must look like, and what to remember from it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does, shown in reports and snapshots.
    pub name: String,
    /// Whose API key the request carries.
    #[serde(default)]
    pub tenant: Tenant,
    /// The request to send.
    pub request: Request,
    /// What the response must satisfy.
    pub expect: Expect,
    /// Values to remember: capture name -> RFC 6901 pointer into the response body.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

/// Which API key a step sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tenant {
    /// The fixture run's main key.
    #[default]
    Main,
    /// The fixture run's second key, for isolation scenarios.
    Other,
    /// No `Authorization` header at all.
    None,
}

/// The request half of a step; every string may hold templates.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path, possibly with a query string.
    pub path: String,
    /// Extra headers; they replace the runner's own of the same name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body (any value, `null` included), sent as `application/json`.
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Value>,
    /// A raw body, sent as-is.
    #[serde(default)]
    pub body: Option<String>,
    /// A request schema the rendered `json` must satisfy before it is sent.
    #[serde(default)]
    pub schema: Option<String>,
}

/// The expectation half of a step.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The exact status code.
    pub status: u16,
    /// The response schema the body must satisfy; `None` (JSON `null`) means the body
    /// must be empty. The key itself is required.
    #[serde(deserialize_with = "required_nullable")]
    pub schema: Option<String>,
    /// A partial body: every key given must be present and match.
    #[serde(default, deserialize_with = "present")]
    pub body: Option<Value>,
    /// Lower-case header names; `None` (JSON `null`) means the header must be absent.
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
}

impl Fixture {
    /// Every schema name the fixture uses: `(step index, field, name)`.
    pub fn schema_references(&self) -> Vec<(usize, &'static str, &str)> {
        let mut references = Vec::new();
        for (index, step) in self.steps.iter().enumerate() {
            if let Some(name) = &step.request.schema {
                references.push((index, "request.schema", name.as_str()));
            }
            if let Some(name) = &step.expect.schema {
                references.push((index, "expect.schema", name.as_str()));
            }
        }
        references
    }

    /// Whether any step sends with the `other` tenant.
    pub fn uses_other_tenant(&self) -> bool {
        self.steps.iter().any(|step| step.tenant == Tenant::Other)
    }

    /// Whether any step calls the test-control plane.
    pub fn uses_control_plane(&self) -> bool {
        self.steps
            .iter()
            .any(|step| step.request.path.starts_with(CONTROL_PREFIX))
    }

    /// Whether the fixture declares `requirement` in `requires`.
    pub fn requires(&self, requirement: &str) -> bool {
        self.requires.iter().any(|r| r == requirement)
    }
}

/// Deserialises a present key as `Some`, even when its value is JSON `null`; an absent
/// key falls back to the field's `default` (`None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// A key that must be present but may be `null`.
fn required_nullable<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(expect: Value) -> Value {
        json!({"name": "s", "request": {"method": "GET", "path": "/health"}, "expect": expect})
    }

    fn parse(value: Value) -> Result<Fixture, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn an_explicit_null_json_body_is_kept_apart_from_no_body() {
        let mut raw = json!({"description": "d", "steps": [step(json!({"status": 200, "schema": "health"}))]});
        raw["steps"][0]["request"]["json"] = Value::Null;
        let fixture = parse(raw).expect("valid fixture");
        assert_eq!(fixture.steps[0].request.json, Some(Value::Null));
    }

    #[test]
    fn an_absent_json_body_is_none() {
        let raw = json!({"description": "d", "steps": [step(json!({"status": 200, "schema": "health"}))]});
        assert_eq!(
            parse(raw).expect("valid fixture").steps[0].request.json,
            None
        );
    }

    #[test]
    fn expect_schema_null_means_an_empty_body() {
        let raw =
            json!({"description": "d", "steps": [step(json!({"status": 204, "schema": null}))]});
        assert_eq!(
            parse(raw).expect("valid fixture").steps[0].expect.schema,
            None
        );
    }

    #[test]
    fn a_missing_expect_schema_is_rejected() {
        let raw = json!({"description": "d", "steps": [step(json!({"status": 200}))]});
        let error = parse(raw).expect_err("schema is required");
        assert!(error.to_string().contains("schema"), "{error}");
    }

    #[test]
    fn an_unknown_key_is_rejected() {
        let raw = json!({"description": "d", "steps": [step(json!({"status": 200, "schema": "x", "statuz": 1}))]});
        let error = parse(raw).expect_err("unknown key");
        assert!(error.to_string().contains("statuz"), "{error}");
    }

    #[test]
    fn a_step_under_mock_uses_the_control_plane() {
        let mut raw =
            json!({"description": "d", "steps": [step(json!({"status": 200, "schema": "clock"}))]});
        assert!(!parse(raw.clone()).expect("valid").uses_control_plane());
        raw["steps"][0]["request"]["path"] = json!("/_mock/clock");
        assert!(parse(raw).expect("valid").uses_control_plane());
    }

    #[test]
    fn the_tenant_defaults_to_main_and_accepts_none() {
        let mut raw = json!({"description": "d", "steps": [
            step(json!({"status": 200, "schema": "health"})),
            step(json!({"status": 200, "schema": "health"}))]});
        raw["steps"][1]["tenant"] = json!("none");
        let fixture = parse(raw).expect("valid fixture");
        assert_eq!(fixture.steps[0].tenant, Tenant::Main);
        assert_eq!(fixture.steps[1].tenant, Tenant::None);
    }
}
