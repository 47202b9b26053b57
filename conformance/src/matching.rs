//! Partial matching of an expected JSON body against an actual one.
//!
//! Objects match when every expected key is present and matches (extra actual keys are
//! fine); arrays must have the same length and match item by item; scalars must be equal.
//! Every mismatch is reported with the RFC 6901 pointer where it occurs.

use std::fmt;

use serde_json::Value;

use crate::schemas::display_pointer;

/// One place where the actual body differs from the expected one.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// An expected key is absent.
    Missing {
        /// Pointer to the absent value.
        path: String,
        /// What was expected there.
        expected: Value,
    },
    /// The value differs (or has a different type).
    Different {
        /// Pointer to the value.
        path: String,
        /// What was expected.
        expected: Value,
        /// What was there.
        actual: Value,
    },
    /// An array has the wrong number of items.
    Length {
        /// Pointer to the array.
        path: String,
        /// Expected item count.
        expected: usize,
        /// Actual item count.
        actual: usize,
    },
}

impl Mismatch {
    /// The pointer where the mismatch occurs.
    pub fn path(&self) -> &str {
        match self {
            Self::Missing { path, .. }
            | Self::Different { path, .. }
            | Self::Length { path, .. } => path,
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = display_pointer(self.path());
        match self {
            Self::Missing { expected, .. } => write!(f, "{at}: missing, expected {expected}"),
            Self::Different {
                expected, actual, ..
            } => {
                write!(f, "{at}: expected {expected}, got {actual}")
            }
            Self::Length {
                expected, actual, ..
            } => {
                write!(f, "{at}: expected {expected} items, got {actual}")
            }
        }
    }
}

/// Every mismatch between `expected` (partial) and `actual`.
pub fn partial_match(expected: &Value, actual: &Value) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    compare(expected, actual, String::new(), &mut mismatches);
    mismatches
}

fn compare(expected: &Value, actual: &Value, path: String, out: &mut Vec<Mismatch>) {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, want_value) in want {
                let child = format!("{path}/{}", escape(key));
                match have.get(key) {
                    Some(have_value) => compare(want_value, have_value, child, out),
                    None => out.push(Mismatch::Missing {
                        path: child,
                        expected: want_value.clone(),
                    }),
                }
            }
        }
        (Value::Array(want), Value::Array(have)) if want.len() != have.len() => {
            out.push(Mismatch::Length {
                path,
                expected: want.len(),
                actual: have.len(),
            });
        }
        (Value::Array(want), Value::Array(have)) => {
            for (index, (w, h)) in want.iter().zip(have).enumerate() {
                compare(w, h, format!("{path}/{index}"), out);
            }
        }
        (want, have) if want != have => out.push(Mismatch::Different {
            path,
            expected: want.clone(),
            actual: have.clone(),
        }),
        _ => {}
    }
}

/// Escapes one key as an RFC 6901 reference token.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extra_actual_keys_do_not_matter() {
        assert!(partial_match(&json!({"a": 1}), &json!({"a": 1, "b": 2})).is_empty());
    }

    #[test]
    fn a_missing_key_is_reported_at_its_path() {
        let mismatches = partial_match(&json!({"totp": {"issuer": "Foo"}}), &json!({"totp": {}}));
        assert_eq!(
            mismatches,
            [Mismatch::Missing {
                path: "/totp/issuer".into(),
                expected: json!("Foo")
            }]
        );
    }

    #[test]
    fn every_differing_scalar_is_reported() {
        let mismatches = partial_match(&json!({"a": 1, "b": "x"}), &json!({"a": 2, "b": "y"}));
        let paths: Vec<_> = mismatches.iter().map(Mismatch::path).collect();
        assert_eq!(paths, ["/a", "/b"]);
    }

    #[test]
    fn arrays_must_have_the_same_length() {
        let mismatches = partial_match(&json!({"data": [1]}), &json!({"data": [1, 2]}));
        assert_eq!(
            mismatches,
            [Mismatch::Length {
                path: "/data".into(),
                expected: 1,
                actual: 2
            }]
        );
    }

    #[test]
    fn array_items_match_partially_element_by_element() {
        let expected = json!([{"id": "a"}, {"id": "b"}]);
        let actual = json!([{"id": "a", "x": 1}, {"id": "c"}]);
        let mismatches = partial_match(&expected, &actual);
        assert_eq!(mismatches.len(), 1);
        assert_eq!(mismatches[0].path(), "/1/id");
    }

    #[test]
    fn a_type_change_is_a_difference() {
        let mismatches = partial_match(&json!({"a": {"b": 1}}), &json!({"a": "b"}));
        assert_eq!(mismatches[0].path(), "/a");
    }

    #[test]
    fn null_matches_only_null() {
        assert!(partial_match(&json!({"a": null}), &json!({"a": null})).is_empty());
        assert_eq!(partial_match(&json!({"a": null}), &json!({})).len(), 1);
    }

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped_in_paths() {
        let mismatches = partial_match(&json!({"a/b~c": 1}), &json!({}));
        assert_eq!(mismatches[0].path(), "/a~1b~0c");
    }
}
