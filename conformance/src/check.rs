//! Judging one response against a step's rendered expectations.
//!
//! Status first: when it differs, nothing else is checked and the body is shown, since
//! an error body would only bury the real problem under schema violations. Otherwise the
//! schema, partial body and headers are all checked and every problem is kept.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::http::{Incoming, ResponseBody};
use crate::matching::{Mismatch, partial_match};
use crate::outcome::Problem;
use crate::schemas::SchemaSet;

/// How many characters of a body a report shows.
pub const EXCERPT_LIMIT: usize = 400;

/// A step's expectations with their templates filled.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedExpect {
    /// The exact status.
    pub status: u16,
    /// The response schema, or `None` for an empty body.
    pub schema: Option<String>,
    /// The partial body to match.
    pub body: Option<Value>,
    /// Header name (lower case) -> value, or `None` for "absent".
    pub headers: BTreeMap<String, Option<String>>,
}

/// Every problem with `response` under `expect`.
pub fn check_response(
    expect: &RenderedExpect,
    response: &Incoming,
    schemas: &SchemaSet,
) -> Vec<Problem> {
    if response.status != expect.status {
        return vec![Problem::Status {
            body: response.body.excerpt(EXCERPT_LIMIT),
        }];
    }
    let mut problems = check_schema(expect.schema.as_deref(), &response.body, schemas);
    problems.extend(check_body(expect.body.as_ref(), &response.body));
    problems.extend(check_headers(&expect.headers, &response.headers));
    problems
}

/// The request body's violations of its request schema, if it has JSON to check.
pub fn check_request(schema: &str, json: Option<&Value>, schemas: &SchemaSet) -> Option<Problem> {
    let json = json?;
    match schemas.validate(schema, json) {
        Err(unknown) => Some(Problem::UnknownSchema(unknown.0)),
        Ok(violations) if violations.is_empty() => None,
        Ok(violations) => Some(Problem::RequestSchema {
            schema: schema.to_string(),
            violations,
        }),
    }
}

fn check_schema(schema: Option<&str>, body: &ResponseBody, schemas: &SchemaSet) -> Vec<Problem> {
    let excerpt = || body.excerpt(EXCERPT_LIMIT);
    match (schema, body) {
        (None, ResponseBody::Empty) => Vec::new(),
        (None, _) => vec![Problem::BodyNotEmpty { body: excerpt() }],
        (Some(schema), ResponseBody::Json(value)) => match schemas.validate(schema, value) {
            Err(unknown) => vec![Problem::UnknownSchema(unknown.0)],
            Ok(violations) if violations.is_empty() => Vec::new(),
            Ok(violations) => vec![Problem::Schema {
                schema: schema.to_string(),
                violations,
            }],
        },
        (Some(schema), _) => vec![Problem::NotJson {
            schema: schema.to_string(),
            body: excerpt(),
        }],
    }
}

fn check_body(expected: Option<&Value>, body: &ResponseBody) -> Vec<Problem> {
    let Some(expected) = expected else {
        return Vec::new();
    };
    let mismatches = match body {
        ResponseBody::Json(actual) => partial_match(expected, actual),
        other => vec![Mismatch::Different {
            path: String::new(),
            expected: expected.clone(),
            actual: Value::String(other.excerpt(EXCERPT_LIMIT)),
        }],
    };
    mismatches.into_iter().map(Problem::Body).collect()
}

fn check_headers(
    expected: &BTreeMap<String, Option<String>>,
    actual: &BTreeMap<String, String>,
) -> Vec<Problem> {
    expected
        .iter()
        .filter_map(|(name, want)| {
            let name = name.to_ascii_lowercase();
            let have = actual.get(&name).cloned();
            (have != *want).then(|| Problem::Header {
                name,
                expected: want.clone(),
                actual: have,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> SchemaSet {
        SchemaSet::from_documents(vec![(
            "thing".to_string(),
            json!({"$id": "https://mfa-mock.local/schemas/thing.json", "type": "object",
                   "required": ["id"], "properties": {"id": {"type": "string"}}}),
        )])
        .expect("compiles")
    }

    fn expect(status: u16, schema: Option<&str>) -> RenderedExpect {
        RenderedExpect {
            status,
            schema: schema.map(str::to_string),
            body: None,
            headers: BTreeMap::new(),
        }
    }

    fn response(status: u16, body: ResponseBody) -> Incoming {
        Incoming {
            status,
            headers: BTreeMap::new(),
            body,
        }
    }

    #[test]
    fn a_status_mismatch_shows_the_body_instead_of_checking_it() {
        let problems = check_response(
            &expect(201, Some("thing")),
            &response(404, ResponseBody::Json(json!({"x": 1}))),
            &schemas(),
        );
        assert_eq!(
            problems,
            [Problem::Status {
                body: "{\"x\":1}".into()
            }]
        );
    }

    #[test]
    fn schema_violations_and_body_mismatches_are_both_reported() {
        let mut want = expect(200, Some("thing"));
        want.body = Some(json!({"type": "totp"}));
        let problems = check_response(
            &want,
            &response(200, ResponseBody::Json(json!({"type": "sms"}))),
            &schemas(),
        );
        assert_eq!(problems.len(), 2);
        assert!(
            matches!(&problems[0], Problem::Schema { violations, .. } if violations[0].instance_path.is_empty())
        );
        assert!(matches!(&problems[1], Problem::Body(m) if m.path() == "/type"));
    }

    #[test]
    fn a_null_schema_requires_an_empty_body() {
        assert!(
            check_response(
                &expect(204, None),
                &response(204, ResponseBody::Empty),
                &schemas()
            )
            .is_empty()
        );
        let problems = check_response(
            &expect(204, None),
            &response(204, ResponseBody::Text("x".into())),
            &schemas(),
        );
        assert!(matches!(problems[0], Problem::BodyNotEmpty { .. }));
    }

    #[test]
    fn an_empty_body_fails_a_schema() {
        let problems = check_response(
            &expect(200, Some("thing")),
            &response(200, ResponseBody::Empty),
            &schemas(),
        );
        assert!(matches!(problems[0], Problem::NotJson { .. }));
    }

    #[test]
    fn a_null_header_expectation_requires_absence() {
        let mut want = expect(204, None);
        want.headers.insert("content-type".into(), None);
        let mut got = response(204, ResponseBody::Empty);
        got.headers
            .insert("content-type".into(), "text/plain".into());
        let problems = check_response(&want, &got, &schemas());
        assert_eq!(
            problems,
            [Problem::Header {
                name: "content-type".into(),
                expected: None,
                actual: Some("text/plain".into())
            }]
        );
    }

    #[test]
    fn an_unknown_schema_is_its_own_problem() {
        let problems = check_response(
            &expect(200, Some("nope")),
            &response(200, ResponseBody::Json(json!({}))),
            &schemas(),
        );
        assert_eq!(problems, [Problem::UnknownSchema("nope".into())]);
    }

    #[test]
    fn a_request_without_json_has_nothing_to_precheck() {
        assert_eq!(check_request("thing", None, &schemas()), None);
        assert!(check_request("thing", Some(&json!({})), &schemas()).is_some());
    }
}
