//! Remembering values from a response body by RFC 6901 JSON pointer.
//!
//! A capture that cannot be taken (no body, a malformed pointer, nothing there) is a
//! failure of the step; later steps that need it will say so when they render.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// A capture that could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureFailure {
    /// The capture's name.
    pub name: String,
    /// The pointer that was followed.
    pub pointer: String,
    /// Why nothing was captured.
    pub reason: String,
}

impl fmt::Display for CaptureFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "capture {:?} at {:?}: {}",
            self.name, self.pointer, self.reason
        )
    }
}

/// Takes every capture in `spec` (name -> pointer) from `body`.
pub fn capture_all(
    body: Option<&Value>,
    spec: &BTreeMap<String, String>,
) -> (BTreeMap<String, Value>, Vec<CaptureFailure>) {
    let mut captured = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, pointer) in spec {
        match capture_one(body, pointer) {
            Ok(value) => {
                captured.insert(name.clone(), value);
            }
            Err(reason) => failures.push(CaptureFailure {
                name: name.clone(),
                pointer: pointer.clone(),
                reason,
            }),
        }
    }
    (captured, failures)
}

fn capture_one(body: Option<&Value>, pointer: &str) -> Result<Value, String> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err("not a JSON pointer; start it with / (e.g. /id)".to_string());
    }
    let body = body.ok_or("the response has no JSON body")?;
    body.pointer(pointer)
        .cloned()
        .ok_or_else(|| "nothing at that pointer in the response body".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(n, p)| (n.to_string(), p.to_string()))
            .collect()
    }

    #[test]
    fn values_are_captured_by_pointer_with_their_type() {
        let body = json!({"id": "x", "data": [{"n": 2}], "ok": true});
        let (captured, failures) = capture_all(
            Some(&body),
            &spec(&[("id", "/id"), ("n", "/data/0/n"), ("ok", "/ok")]),
        );
        assert!(failures.is_empty());
        assert_eq!(captured["id"], json!("x"));
        assert_eq!(captured["n"], json!(2));
        assert_eq!(captured["ok"], json!(true));
    }

    #[test]
    fn the_empty_pointer_captures_the_whole_body() {
        let body = json!({"a": 1});
        let (captured, _) = capture_all(Some(&body), &spec(&[("all", "")]));
        assert_eq!(captured["all"], body);
    }

    #[test]
    fn a_missing_pointer_is_a_failure_naming_the_capture() {
        let (captured, failures) = capture_all(Some(&json!({})), &spec(&[("id", "/id")]));
        assert!(captured.is_empty());
        assert_eq!(failures[0].name, "id");
        assert_eq!(failures[0].pointer, "/id");
    }

    #[test]
    fn a_pointer_without_a_leading_slash_is_rejected() {
        let (_, failures) = capture_all(Some(&json!({"id": 1})), &spec(&[("id", "id")]));
        assert!(failures[0].reason.contains("start it with /"));
    }

    #[test]
    fn an_empty_body_has_nothing_to_capture() {
        let (_, failures) = capture_all(None, &spec(&[("id", "/id")]));
        assert!(failures[0].reason.contains("no JSON body"));
    }
}
