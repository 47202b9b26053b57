//! The human-readable report: one line per fixture, details under each failure, and the
//! closing `N passed, N failed, N skipped` line.
//!
//! The same text is the panic message of the in-process test, so a failure reads the
//! same whether it came from `cargo test` or from the binary.

use crate::http::cut;
use crate::outcome::{FixtureResult, Problem, StepFailure, Verdict};
use crate::schemas::{Violation, display_pointer};

/// How many characters of one violation a report shows (messages quote the value,
/// which for a QR code is long).
const VIOLATION_LIMIT: usize = 300;

/// One fixture's block of the report.
pub fn fixture_report(result: &FixtureResult) -> String {
    match &result.verdict {
        Verdict::Passed => format!("PASS {}\n", result.name),
        Verdict::Skipped(reason) => format!("SKIP {}: {reason}\n", result.name),
        Verdict::Failed(failures) => {
            let mut text = format!("FAIL {}\n", result.name);
            for failure in failures {
                text.push_str(&step_report(failure, result.step_count));
            }
            text
        }
    }
}

/// The closing line: `N passed, N failed, N skipped`.
pub fn summary_line(results: &[FixtureResult]) -> String {
    let count =
        |wanted: fn(&Verdict) -> bool| results.iter().filter(|r| wanted(&r.verdict)).count();
    let passed = count(|v| matches!(v, Verdict::Passed));
    let failed = count(|v| matches!(v, Verdict::Failed(_)));
    let skipped = count(|v| matches!(v, Verdict::Skipped(_)));
    format!("{passed} passed, {failed} failed, {skipped} skipped")
}

fn step_report(failure: &StepFailure, step_count: usize) -> String {
    let actual = failure
        .actual_status
        .map_or_else(|| "no response".to_string(), |status| status.to_string());
    let mut text = format!(
        "  step {} of {step_count} (steps[{}]) {:?}: expected status {}, got {actual}\n",
        failure.index + 1,
        failure.index,
        failure.name,
        failure.expected_status,
    );
    for line in failure.problems.iter().flat_map(problem_lines) {
        text.push_str("    ");
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn problem_lines(problem: &Problem) -> Vec<String> {
    match problem {
        Problem::NotSent(reason) => vec![format!("not sent: {reason}; later steps were not run")],
        Problem::RequestSchema { schema, violations } => with_violations(
            format!("request body breaks schemas/{schema}.json (fix the fixture):"),
            violations,
        ),
        Problem::Status { body } => vec![format!("body: {body}")],
        Problem::UnknownSchema(name) => {
            vec![format!(
                "schema {name:?} does not exist (no schemas/{name}.json)"
            )]
        }
        Problem::BodyNotEmpty { body } => vec![format!("body should be empty, got: {body}")],
        Problem::NotJson { schema, body } => vec![format!(
            "body should be JSON matching schemas/{schema}.json, got: {body}"
        )],
        Problem::Schema { schema, violations } => with_violations(
            format!("response breaks schemas/{schema}.json:"),
            violations,
        ),
        Problem::Body(mismatch) => vec![format!("body {mismatch}")],
        Problem::Header {
            name,
            expected,
            actual,
        } => vec![format!(
            "header {name}: expected {}, got {}",
            header_value(expected.as_deref()),
            header_value(actual.as_deref()),
        )],
        Problem::Capture(failure) => vec![format!(
            "capture {:?} at {}: {}",
            failure.name,
            display_pointer(&failure.pointer),
            failure.reason
        )],
    }
}

fn with_violations(heading: String, violations: &[Violation]) -> Vec<String> {
    let details = violations
        .iter()
        .map(|v| format!("  {}", cut(&v.to_string(), VIOLATION_LIMIT)));
    std::iter::once(heading).chain(details).collect()
}

fn header_value(value: Option<&str>) -> String {
    value.map_or_else(|| "absent".to_string(), |v| format!("{v:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Mismatch;
    use serde_json::{Value, json};

    fn result(verdict: Verdict) -> FixtureResult {
        FixtureResult {
            name: "factors/get".into(),
            verdict,
            step_count: 3,
            transcript: Value::Null,
        }
    }

    #[test]
    fn a_failure_names_the_fixture_the_step_and_the_json_path() {
        let failure = StepFailure {
            index: 1,
            name: "get the factor".into(),
            expected_status: 200,
            actual_status: Some(200),
            problems: vec![
                Problem::Schema {
                    schema: "authentication_factor".into(),
                    violations: vec![Violation {
                        instance_path: "/created_at".into(),
                        schema_path: "/properties/created_at/pattern".into(),
                        message: "bad".into(),
                    }],
                },
                Problem::Body(Mismatch::Different {
                    path: "/type".into(),
                    expected: json!("totp"),
                    actual: json!("sms"),
                }),
            ],
        };
        let text = fixture_report(&result(Verdict::Failed(vec![failure])));
        assert!(text.starts_with("FAIL factors/get\n"), "{text}");
        assert!(
            text.contains(
                "step 2 of 3 (steps[1]) \"get the factor\": expected status 200, got 200"
            ),
            "{text}"
        );
        assert!(text.contains("/created_at: bad"), "{text}");
        assert!(
            text.contains("body /type: expected \"totp\", got \"sms\""),
            "{text}"
        );
    }

    #[test]
    fn the_summary_counts_each_verdict() {
        let results = [
            result(Verdict::Passed),
            result(Verdict::Skipped("x".into())),
            result(Verdict::Passed),
        ];
        assert_eq!(summary_line(&results), "2 passed, 0 failed, 1 skipped");
    }

    #[test]
    fn a_skip_gives_its_reason() {
        assert_eq!(
            fixture_report(&result(Verdict::Skipped("needs a key".into()))),
            "SKIP factors/get: needs a key\n"
        );
    }
}
