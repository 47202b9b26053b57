//! Turning one fixture step into the exact request to send and the expectations to
//! judge its response by, with every template filled.
//!
//! Header order is: `content-type: application/json` when the step has `json`, then the
//! tenant's `authorization`, then the fixture's own headers, which replace either. Sending
//! is `http`'s job; judging is `check`'s.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::check::RenderedExpect;
use crate::fixture::Step;
use crate::http::Outgoing;
use crate::template::{TemplateError, Templater};
use crate::tenants::TenantKeys;

/// A step ready to send and to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedStep {
    /// The request to send.
    pub outgoing: Outgoing,
    /// The rendered path (with query), as the transcript shows it.
    pub path: String,
    /// The rendered JSON body, for the request schema pre-check.
    pub json: Option<Value>,
    /// The rendered expectations.
    pub expect: RenderedExpect,
}

/// Renders `step` for the server at `base_url`, sending as `keys` say.
pub fn render_step(
    templater: &mut Templater<'_>,
    keys: &TenantKeys,
    base_url: &str,
    step: &Step,
) -> Result<RenderedStep, String> {
    let request = &step.request;
    let path = templater
        .render_str(&request.path)
        .map_err(in_field("request.path"))?;
    let json = request
        .json
        .as_ref()
        .map(|j| templater.render_json(j))
        .transpose();
    let json = json.map_err(in_field("request.json"))?;
    let body = match &json {
        Some(json) => Some(json.to_string().into_bytes()),
        None => render_raw_body(templater, request.body.as_deref())?,
    };
    let mut headers = base_headers(keys, step, json.is_some())?;
    for (name, value) in &request.headers {
        let value = templater
            .render_str(value)
            .map_err(in_field("request.headers"))?;
        headers.push((name.clone(), value));
    }
    let expect = render_expect(templater, step).map_err(in_field("expect"))?;
    let url = format!("{base_url}{path}");
    let outgoing = Outgoing {
        method: request.method.clone(),
        url,
        headers,
        body,
    };
    Ok(RenderedStep {
        outgoing,
        path,
        json,
        expect,
    })
}

fn render_raw_body(
    templater: &mut Templater<'_>,
    body: Option<&str>,
) -> Result<Option<Vec<u8>>, String> {
    let body = body.map(|b| templater.render_str(b)).transpose();
    Ok(body
        .map_err(in_field("request.body"))?
        .map(String::into_bytes))
}

/// Content type for JSON bodies and the tenant's key.
fn base_headers(
    keys: &TenantKeys,
    step: &Step,
    has_json: bool,
) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    if has_json {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    if let Some(authorization) = keys.authorization(step.tenant)? {
        headers.push(("authorization".to_string(), authorization));
    }
    Ok(headers)
}

fn render_expect(
    templater: &mut Templater<'_>,
    step: &Step,
) -> Result<RenderedExpect, TemplateError> {
    let body = step
        .expect
        .body
        .as_ref()
        .map(|b| templater.render_json(b))
        .transpose()?;
    let mut headers = BTreeMap::new();
    for (name, value) in &step.expect.headers {
        let value = value
            .as_ref()
            .map(|v| templater.render_str(v))
            .transpose()?;
        headers.insert(name.to_ascii_lowercase(), value);
    }
    Ok(RenderedExpect {
        status: step.expect.status,
        schema: step.expect.schema.clone(),
        body,
        headers,
    })
}

/// Prefixes a template error with the fixture field it came from.
fn in_field(field: &'static str) -> impl Fn(TemplateError) -> String {
    move |error| format!("{field}: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Captures;
    use serde_json::json;

    fn step(raw: Value) -> Step {
        serde_json::from_value(raw).expect("valid step")
    }

    fn render(raw: Value) -> Result<RenderedStep, String> {
        let captures = Captures::from([("factor_id".to_string(), json!("auth_factor_X"))]);
        let keys = TenantKeys {
            main: "sk_test_main".into(),
            other: None,
        };
        let mut unique = || "u1".to_string();
        let mut templater = Templater::new(&captures, 0, &mut unique);
        render_step(&mut templater, &keys, "http://h", &step(raw))
    }

    #[test]
    fn a_json_step_sends_content_type_then_the_key_then_its_own_headers() {
        let rendered = render(json!({"name": "n",
            "request": {"method": "POST", "path": "/auth/factors/{{factor_id}}/challenge",
                        "headers": {"Idempotency-Key": "{{unique}}"}, "json": {"id": "{{factor_id}}"}},
            "expect": {"status": 201, "schema": "x", "body": {"authentication_factor_id": "{{factor_id}}"}}}))
        .expect("renders");
        assert_eq!(
            rendered.outgoing.url,
            "http://h/auth/factors/auth_factor_X/challenge"
        );
        assert_eq!(
            rendered.outgoing.headers,
            [
                ("content-type".to_string(), "application/json".to_string()),
                (
                    "authorization".to_string(),
                    "Bearer sk_test_main".to_string()
                ),
                ("Idempotency-Key".to_string(), "u1".to_string()),
            ]
        );
        assert_eq!(
            rendered.outgoing.body,
            Some(br#"{"id":"auth_factor_X"}"#.to_vec())
        );
        assert_eq!(
            rendered.expect.body,
            Some(json!({"authentication_factor_id": "auth_factor_X"}))
        );
    }

    #[test]
    fn a_literal_null_json_body_is_sent_as_null() {
        let rendered = render(
            json!({"name": "n", "request": {"method": "POST", "path": "/x", "json": null},
            "expect": {"status": 201, "schema": "x"}}),
        )
        .expect("renders");
        assert_eq!(rendered.outgoing.body, Some(b"null".to_vec()));
    }

    #[test]
    fn a_raw_body_is_sent_as_is_without_a_content_type() {
        let rendered = render(json!({"name": "n", "tenant": "none",
            "request": {"method": "POST", "path": "/x", "body": "{\"type\": "},
            "expect": {"status": 400, "schema": "x"}}))
        .expect("renders");
        assert_eq!(rendered.outgoing.body, Some(b"{\"type\": ".to_vec()));
        assert!(rendered.outgoing.headers.is_empty());
    }

    #[test]
    fn the_other_tenant_without_a_key_cannot_be_rendered() {
        let error = render(
            json!({"name": "n", "tenant": "other", "request": {"method": "GET", "path": "/x"},
            "expect": {"status": 404, "schema": "x"}}),
        )
        .expect_err("no second key");
        assert!(error.contains("--api-key-2"), "{error}");
    }

    #[test]
    fn a_template_error_names_the_field_it_is_in() {
        let error = render(
            json!({"name": "n", "request": {"method": "GET", "path": "/x/{{nope}}"},
            "expect": {"status": 404, "schema": "x"}}),
        )
        .expect_err("not captured");
        assert!(error.starts_with("request.path: "), "{error}");
    }
}
