//! Request-body validation against the JSON Schemas in `schemas/requests/`.
//!
//! The schemas are the one source of truth for what a request may contain: the
//! conformance suite checks fixtures with the same files. Each broken rule
//! becomes a [`FieldError`] naming the field, the rule and, from the schema's
//! own `description`, what to send instead. Unknown fields are reported
//! separately as tolerated: real SDKs send extra keys and the real API ignores
//! them.
//!
//! Each schema compiles on its first use rather than at start-up: compiling them
//! all (with the draft 2020-12 meta-schema jsonschema checks them against) was
//! most of start-up's page faults and 3 MiB of an idle server's memory (10.2 → 7.2
//! MiB, `mfa-load memory`; the first request needing a schema waits about 4 ms), and a
//! server often answers only a few kinds of body. A unit test compiles every one, so
//! a broken schema fails the build's tests, not a request.
//!
//! This is the only module that loads schema files (API and `/_mock/` bodies
//! alike, plus the object schemas they refer to), so moving `schemas/` touches
//! one place. It judges a body; it never sees a tenant or builds a response.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::Value;

use crate::error::FieldError;
use crate::request::json_kind;

/// The request bodies that have a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodySchema {
    /// `POST /auth/factors/enroll`
    EnrollFactor,
    /// `POST /auth/factors/:id/challenge`
    ChallengeFactor,
    /// `POST /auth/challenges/:id/verify`
    VerifyChallenge,
    /// `POST /user_management/users/:id/auth_factors`
    EnrollAuthFactor,
    /// `POST /user_management/users`
    CreateUser,
    /// `POST /_mock/clock`
    ChangeClock,
    /// `POST /_mock/faults`
    CreateFault,
    /// `PUT /_mock/state`
    ImportState,
    /// `PUT /user_management/users/:id`
    UpdateUser,
    /// `POST /user_management/authenticate`
    Authenticate,
    /// `POST /_mock/settings`
    ChangeSettings,
}

impl BodySchema {
    const ALL: [BodySchema; 11] = [
        BodySchema::EnrollFactor,
        BodySchema::ChallengeFactor,
        BodySchema::VerifyChallenge,
        BodySchema::EnrollAuthFactor,
        BodySchema::CreateUser,
        BodySchema::ChangeClock,
        BodySchema::CreateFault,
        BodySchema::ImportState,
        BodySchema::UpdateUser,
        BodySchema::Authenticate,
        BodySchema::ChangeSettings,
    ];

    /// The schema file's text, embedded at build time.
    const fn source(self) -> &'static str {
        match self {
            BodySchema::EnrollFactor => {
                include_str!("../schemas/requests/enroll_factor.json")
            }
            BodySchema::ChallengeFactor => {
                include_str!("../schemas/requests/challenge_factor.json")
            }
            BodySchema::VerifyChallenge => {
                include_str!("../schemas/requests/verify_challenge.json")
            }
            BodySchema::EnrollAuthFactor => {
                include_str!("../schemas/requests/enroll_auth_factor.json")
            }
            BodySchema::CreateUser => include_str!("../schemas/requests/create_user.json"),
            BodySchema::ChangeClock => {
                include_str!("../schemas/requests/change_clock.json")
            }
            BodySchema::CreateFault => {
                include_str!("../schemas/requests/create_fault.json")
            }
            BodySchema::ImportState => {
                include_str!("../schemas/requests/import_state.json")
            }
            BodySchema::UpdateUser => include_str!("../schemas/requests/update_user.json"),
            BodySchema::Authenticate => {
                include_str!("../schemas/requests/authenticate.json")
            }
            BodySchema::ChangeSettings => {
                include_str!("../schemas/requests/change_settings.json")
            }
        }
    }
}

/// The schemas request schemas refer to (`import_state.json` takes its id
/// shapes from `state.json`, which takes them from the object schemas), each
/// under its `$id`.
const SHARED_SCHEMAS: [(&str, &str); 3] = [
    (
        "https://mfa-mock.local/schemas/state.json",
        include_str!("../schemas/state.json"),
    ),
    (
        "https://mfa-mock.local/schemas/user.json",
        include_str!("../schemas/user.json"),
    ),
    (
        "https://mfa-mock.local/schemas/authentication_factor.json",
        include_str!("../schemas/authentication_factor.json"),
    ),
];

/// What validating one body found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Findings {
    /// Rules broken badly enough to refuse the request with a 422.
    pub rejected: Vec<FieldError>,
    /// Problems the server lets through (unknown fields).
    pub tolerated: Vec<FieldError>,
}

struct Compiled {
    schema: Value,
    validator: Validator,
}

/// Every request schema, each compiled once, on first use.
pub(crate) struct RequestSchemas {
    /// The shared schemas, parsed and resolved at start-up.
    registry: Registry<'static>,
    /// Indexed by `BodySchema as usize`.
    compiled: [OnceLock<Result<Compiled, String>>; BodySchema::ALL.len()],
}

impl std::fmt::Debug for RequestSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSchemas").finish_non_exhaustive()
    }
}

impl RequestSchemas {
    /// Parses and resolves the shared schemas the request schemas refer to; an
    /// error here is a broken build.
    pub(crate) fn load() -> Result<Self, String> {
        let shared = SHARED_SCHEMAS
            .iter()
            .map(|(id, text)| {
                serde_json::from_str::<Value>(text)
                    .map(|schema| (*id, schema))
                    .map_err(|error| format!("schema {id} is not JSON: {error}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let registry = shared
            .into_iter()
            .try_fold(Registry::new(), |builder, (id, schema)| {
                builder.add(id, schema)
            })
            .and_then(|builder| builder.prepare())
            .map_err(|error| format!("the shared schemas do not resolve: {error}"))?;
        Ok(Self {
            registry,
            compiled: std::array::from_fn(|_| OnceLock::new()),
        })
    }

    /// Checks `body` against `which`'s schema; an error is a schema that does not
    /// compile, a bug of the server's.
    pub(crate) fn check(&self, which: BodySchema, body: &Value) -> Result<Findings, String> {
        let compiled = self.compiled[which as usize]
            .get_or_init(|| compile_one(which, &self.registry))
            .as_ref()
            .map_err(Clone::clone)?;
        let mut findings = Findings::default();
        for error in compiled.validator.iter_errors(body) {
            if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
                findings
                    .tolerated
                    .extend(unexpected.iter().map(|field| unknown_field(field)));
            } else {
                findings
                    .rejected
                    .push(field_error(&compiled.schema, &error));
            }
        }
        suggest_typos(&mut findings);
        Ok(findings)
    }
}

fn compile_one(which: BodySchema, registry: &Registry<'_>) -> Result<Compiled, String> {
    let schema: Value = serde_json::from_str(which.source())
        .map_err(|error| format!("schema for {which:?} is not JSON: {error}"))?;
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(registry)
        .build(&schema)
        .map_err(|error| format!("schema for {which:?} does not compile: {error}"))?;
    Ok(Compiled { schema, validator })
}

/// A required field missing next to an unknown field a typo or two away from it
/// (`totp_isuer` for `totp_issuer`) is that typo: both errors say so.
fn suggest_typos(findings: &mut Findings) {
    for missing in findings
        .rejected
        .iter_mut()
        .filter(|error| error.code.ends_with("_required"))
    {
        let Some(typo) = findings
            .tolerated
            .iter_mut()
            .filter(|unknown| !unknown.message.contains("did you mean"))
            .map(|unknown| {
                let distance = strsim::damerau_levenshtein(&unknown.field, &missing.field);
                (distance, unknown)
            })
            .filter(|(distance, _)| *distance <= 2)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, unknown)| unknown)
        else {
            continue;
        };
        let suggestion = format!(" Did you mean `{}`?", missing.field);
        missing.message.push_str(&format!(
            " The body has `{}`: did you mean `{}`?",
            typo.field, missing.field
        ));
        typo.message.push_str(&suggestion);
    }
}

fn unknown_field(field: &str) -> FieldError {
    let message = format!("`{field}` is not a field of this request; it was ignored.");
    FieldError::new(field, "unknown_field", message)
}

fn field_error(schema: &Value, error: &ValidationError<'_>) -> FieldError {
    let path = error.instance_path().as_str();
    let field = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            if path.is_empty() {
                name.to_owned()
            } else {
                format!("{}.{name}", dotted(path))
            }
        }
        _ => dotted(path),
    };
    let hint = describe(schema, &field);
    let (rule, problem) = rule(error);
    FieldError::new(&field, rule, format!("`{field}` {problem}.{hint}"))
}

/// The rule's name and what went wrong, phrased to follow the field name.
fn rule(error: &ValidationError<'_>) -> (&'static str, String) {
    let got = || json_kind(error.instance());
    match error.kind() {
        ValidationErrorKind::Required { .. } => ("required", "is required".to_owned()),
        ValidationErrorKind::Type { kind } => (
            "invalid_type",
            format!("must be {}; got {}", type_name(kind), got()),
        ),
        ValidationErrorKind::Enum { options } => (
            "invalid_value",
            format!("must be one of {options}; got {}", error.instance()),
        ),
        ValidationErrorKind::Constant { expected_value } => (
            "invalid_value",
            format!("must be {expected_value}; got {}", error.instance()),
        ),
        ValidationErrorKind::MinLength { limit } => (
            "too_short",
            format!("must be at least {limit} characters long"),
        ),
        ValidationErrorKind::MaxLength { limit } => (
            "too_long",
            format!("must be at most {limit} characters long"),
        ),
        ValidationErrorKind::Pattern { .. } => {
            ("invalid_format", "has the wrong format".to_owned())
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            ("out_of_range", format!("must be at least {limit}"))
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            ("out_of_range", format!("must be at most {limit}"))
        }
        _ => ("invalid", format!("is invalid: {error}")),
    }
}

fn type_name(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(single) => format!("a JSON {single}"),
        TypeKind::Multiple(set) => format!("one of the JSON types {set:?}"),
    }
}

/// `/metadata/plan` becomes `metadata.plan`; the root is `body`.
fn dotted(pointer: &str) -> String {
    let trimmed = pointer.trim_start_matches('/');
    if trimmed.is_empty() {
        "body".to_owned()
    } else {
        trimmed.replace('/', ".")
    }
}

/// " " + the schema's description of a top-level field, or nothing.
fn describe(schema: &Value, field: &str) -> String {
    schema["properties"][field]["description"]
        .as_str()
        .map(|text| format!(" {text}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> RequestSchemas {
        RequestSchemas::load().expect("the shared schemas resolve")
    }

    /// `body` checked against `which`, its schema compiled.
    fn check(which: BodySchema, body: &Value) -> Findings {
        schemas().check(which, body).expect("the schema compiles")
    }

    #[test]
    fn every_embedded_schema_compiles() {
        let schemas = schemas();
        for (index, which) in BodySchema::ALL.into_iter().enumerate() {
            assert_eq!(which as usize, index, "ALL lists {which:?} out of order");
            let compiled = compile_one(which, &schemas.registry);
            assert!(compiled.is_ok(), "{which:?}: {:?}", compiled.err());
        }
    }

    #[test]
    fn a_valid_totp_enrollment_has_no_findings() {
        let body = json!({"type": "totp", "totp_issuer": "Foo Corp", "totp_user": "alan"});
        assert_eq!(check(BodySchema::EnrollFactor, &body), Findings::default());
    }

    #[test]
    fn a_missing_type_names_the_field_and_says_what_to_send() {
        let findings = check(BodySchema::EnrollFactor, &json!({}));
        let [error] = findings.rejected.as_slice() else {
            panic!("expected one error, got {findings:?}");
        };
        assert_eq!(
            (error.code.as_str(), error.field.as_str()),
            ("type_required", "type")
        );
        assert!(error.message.contains("\"totp\""), "{}", error.message);
    }

    #[test]
    fn type_specific_requirements_apply_only_to_their_type() {
        let sms = check(
            BodySchema::EnrollFactor,
            &json!({"type": "sms", "totp_issuer": ""}),
        );
        let fields: Vec<&str> = sms.rejected.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["phone_number"]);
    }

    #[test]
    fn a_bad_enum_and_a_wrong_type_are_each_reported() {
        let findings = check(
            BodySchema::EnrollFactor,
            &json!({"type": "email", "user_id": 7}),
        );
        let codes: Vec<(&str, &str)> = findings
            .rejected
            .iter()
            .map(|e| (e.code.as_str(), e.field.as_str()))
            .collect();
        assert!(codes.contains(&("type_invalid_value", "type")), "{codes:?}");
        assert!(
            codes.contains(&("user_id_invalid_type", "user_id")),
            "{codes:?}"
        );
    }

    #[test]
    fn a_missing_field_next_to_its_typo_suggests_the_right_name() {
        let findings = check(
            BodySchema::EnrollFactor,
            &json!({"type": "totp", "totp_isuer": "Foo Corp", "totp_user": "a@example.com"}),
        );
        let [missing] = findings.rejected.as_slice() else {
            panic!("expected one error, got {findings:?}");
        };
        assert_eq!(missing.field, "totp_issuer");
        assert!(
            missing.message.contains("did you mean `totp_issuer`?"),
            "{}",
            missing.message
        );
        assert!(
            missing.message.contains("`totp_isuer`"),
            "{}",
            missing.message
        );
        assert!(
            findings.tolerated[0]
                .message
                .contains("Did you mean `totp_issuer`?")
        );
    }

    #[test]
    fn an_unknown_field_unlike_the_missing_one_suggests_nothing() {
        let findings = check(
            BodySchema::EnrollFactor,
            &json!({"type": "totp", "colour": "blue", "totp_user": "a@example.com"}),
        );
        assert!(
            findings
                .rejected
                .iter()
                .all(|e| !e.message.contains("did you mean")),
            "{findings:?}"
        );
    }

    #[test]
    fn unknown_fields_are_tolerated_but_reported() {
        let findings = check(
            BodySchema::VerifyChallenge,
            &json!({"code": "1", "extra": 1}),
        );
        assert!(findings.rejected.is_empty());
        assert_eq!(findings.tolerated[0].field, "extra");
    }

    #[test]
    fn a_secret_outside_base32_is_an_invalid_format() {
        let body = json!({"type": "totp", "totp_secret": "not-base32-at-all!"});
        let findings = check(BodySchema::EnrollAuthFactor, &body);
        assert_eq!(findings.rejected[0].code, "totp_secret_invalid_format");
        assert_eq!(findings.rejected[0].field, "totp_secret");
    }

    #[test]
    fn nested_metadata_values_are_named_by_path() {
        let body = json!({"email": "a@b.c", "metadata": {"plan": 3}});
        let findings = check(BodySchema::CreateUser, &body);
        assert_eq!(findings.rejected[0].field, "metadata.plan");
        assert_eq!(findings.rejected[0].code, "metadata_plan_invalid_type");
    }
}
