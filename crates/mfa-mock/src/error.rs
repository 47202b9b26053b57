//! Every way a request can fail, and the one place each becomes a status and a
//! WorkOS-shaped JSON body.
//!
//! Messages say what to send instead, so a user reading a failed test knows the
//! fix without opening this source.

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::{Value, json};

use crate::response::ApiResponse;

/// The kinds of object a 404 can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// An authentication factor.
    Factor,
    /// An authentication challenge.
    Challenge,
    /// A user.
    User,
    /// An injected fault (`/_mock/faults`).
    Fault,
}

impl Entity {
    const fn name(self) -> &'static str {
        match self {
            Entity::Factor => "Authentication Factor",
            Entity::Challenge => "Authentication Challenge",
            Entity::User => "User",
            Entity::Fault => "Fault",
        }
    }
}

/// One broken rule in a request, as listed in a 422's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field and the rule, in snake case: `totp_issuer_required`,
    /// `limit_invalid_value`, …. Some SDKs show only this code, so it names the field.
    pub code: String,
    /// The body field or query parameter that broke it.
    pub field: String,
    /// What was wrong and what to send instead.
    pub message: String,
}

impl FieldError {
    /// `field` broke `rule` (`required`, `invalid_type`, …); `message` says what to send.
    pub fn new(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Self {
            code: format!("{}_{rule}", snake_case(field)),
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// `factors[0].sms.phone_number` as `factors_0_sms_phone_number`: lower-case
/// letters, digits and single underscores.
fn snake_case(field: &str) -> String {
    let mut code = String::with_capacity(field.len());
    for c in field.chars() {
        if c.is_ascii_alphanumeric() {
            code.push(c.to_ascii_lowercase());
        } else if !code.is_empty() && !code.ends_with('_') {
            code.push('_');
        }
    }
    code.trim_end_matches('_').to_owned()
}

/// A failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No usable API key.
    Unauthorized {
        /// Why the key was not accepted; sent in `WWW-Authenticate`, not the body.
        reason: &'static str,
    },
    /// A production key was sent to the mock.
    LiveKeyRefused,
    /// No such object in this tenant.
    NotFound {
        /// What kind of object.
        entity: Entity,
        /// The id asked for, echoed back.
        id: String,
    },
    /// The challenge was already verified.
    ChallengePreviouslyVerified(String),
    /// The challenge has expired.
    ChallengeExpired(String),
    /// Too many wrong codes were presented to the challenge.
    TooManyAttempts(String),
    /// The phone number, as sent, is not a phone number.
    InvalidPhoneNumber(String),
    /// The request broke these rules.
    Validation(Vec<FieldError>),
    /// The body is not a JSON object.
    InvalidJson(String),
    /// The body is not declared as JSON.
    InvalidContentType(String),
    /// The body did not arrive in time.
    RequestTimeout {
        /// The time allowed, in seconds.
        seconds: u64,
    },
    /// The body is larger than the configured limit.
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No route has this path.
    RouteNotFound {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
        /// The route patterns there are, comma-separated.
        routes: String,
    },
    /// The path exists but not with this method.
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The route's path pattern.
        pattern: &'static str,
        /// The methods the route takes, as an `Allow` header lists them.
        allowed: String,
    },
    /// The `Idempotency-Key` was used before with a different body.
    IdempotencyKeyReused(String),
    /// A request with the same `Idempotency-Key` is still running.
    IdempotencyKeyInUse(String),
    /// A password sign-in named an unknown email or the wrong password.
    InvalidCredentials(String),
    /// A password sign-in needs a second factor (403 `mfa_challenge` or
    /// `mfa_enrollment`); the body is built by the sign-in handler.
    AuthenticationFlow(Value),
    /// A pending authentication token is unknown, expired or used.
    InvalidPendingToken(String),
    /// The TOTP code presented to a sign-in is wrong.
    InvalidOneTimeCode(String),
    /// The challenge of a sign-in was already verified.
    OneTimeCodePreviouslyUsed(String),
    /// The challenge of a sign-in has expired.
    OneTimeCodeExpired(String),
    /// The challenge's factor belongs to another user than the pending sign-in.
    UserMismatch(String),
    /// An OAuth-shaped 400: `{"error", "error_description"}`.
    OAuth {
        /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`.
        error: &'static str,
        /// What was wrong.
        description: String,
    },
    /// The server failed; a bug.
    Internal(String),
}

impl ApiError {
    /// A 422 for one broken rule.
    pub fn invalid(field: &str, rule: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, rule, message)])
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized { .. } | ApiError::LiveKeyRefused => StatusCode::UNAUTHORIZED,
            ApiError::NotFound { .. } | ApiError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::ChallengePreviouslyVerified(_)
            | ApiError::ChallengeExpired(_)
            | ApiError::InvalidPhoneNumber(_)
            | ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyAttempts(_)
            | ApiError::InvalidJson(_)
            | ApiError::InvalidContentType(_)
            | ApiError::IdempotencyKeyReused(_)
            | ApiError::InvalidCredentials(_)
            | ApiError::InvalidPendingToken(_)
            | ApiError::InvalidOneTimeCode(_)
            | ApiError::OneTimeCodePreviouslyUsed(_)
            | ApiError::OneTimeCodeExpired(_)
            | ApiError::UserMismatch(_)
            | ApiError::OAuth { .. } => StatusCode::BAD_REQUEST,
            ApiError::AuthenticationFlow(_) => StatusCode::FORBIDDEN,
            ApiError::IdempotencyKeyInUse(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body this error is sent with.
    pub fn body(&self) -> Value {
        match self {
            ApiError::Unauthorized { .. } => json!({"message": "Unauthorized"}),
            ApiError::LiveKeyRefused => json!({
                "code": "live_api_key_refused",
                "message": "Unauthorized: this is mfa-mock, a local test server, and it refuses live \
                            API keys (sk_live_...). Never send a production key here; use any key \
                            starting with sk_test_.",
            }),
            ApiError::NotFound { entity, id } => json!({
                "message": format!("{} not found: '{id}'.", entity.name()),
                "code": "entity_not_found",
                "entity_id": id,
            }),
            ApiError::ChallengePreviouslyVerified(id) => coded(
                "authentication_challenge_previously_verified",
                format!("The authentication challenge '{id}' has already been verified."),
            ),
            ApiError::ChallengeExpired(id) => coded(
                "authentication_challenge_expired",
                format!("The authentication challenge '{id}' has expired."),
            ),
            ApiError::TooManyAttempts(id) => coded(
                "one_time_code_too_many_attempts",
                format!(
                    "Too many wrong codes were presented to the authentication challenge '{id}'. \
                     Create a new challenge for the factor and verify that one."
                ),
            ),
            ApiError::InvalidPhoneNumber(input) => coded(
                "invalid_phone_number",
                format!("Phone number is invalid: '{input}'"),
            ),
            ApiError::Validation(errors) => json!({
                "code": "invalid_request_parameters",
                "message": "Validation failed",
                "errors": errors,
            }),
            ApiError::InvalidJson(detail) => coded("invalid_json", detail.clone()),
            ApiError::InvalidContentType(detail) => coded("invalid_content_type", detail.clone()),
            ApiError::PayloadTooLarge { limit } => coded(
                "payload_too_large",
                format!("The request body is larger than this server's limit of {limit} bytes."),
            ),
            ApiError::RequestTimeout { seconds } => coded(
                "request_timeout",
                format!(
                    "The request body did not arrive within {seconds} s (--body-timeout-secs); \
                     send the whole body the Content-Length announces."
                ),
            ),
            ApiError::RouteNotFound {
                method,
                path,
                routes,
            } => coded(
                "route_not_found",
                format!(
                    "No route matches {method} {path}. This is not a missing object: check the \
                     path. Routes: {routes}."
                ),
            ),
            ApiError::MethodNotAllowed {
                method,
                pattern,
                allowed,
            } => coded(
                "method_not_allowed",
                format!("{method} is not allowed on {pattern}; use {allowed}."),
            ),
            ApiError::IdempotencyKeyReused(key) => coded(
                "idempotency_key_reused",
                format!(
                    "The Idempotency-Key '{key}' was already used on this path with a different \
                     body. Retry with the same body, or send a new key for a new request."
                ),
            ),
            ApiError::IdempotencyKeyInUse(key) => coded(
                "idempotency_key_in_use",
                format!(
                    "A request with the Idempotency-Key '{key}' is still being processed; retry \
                     after it has finished."
                ),
            ),
            ApiError::InvalidCredentials(email) => coded(
                "invalid_credentials",
                format!("Invalid credentials for '{email}'."),
            ),
            ApiError::AuthenticationFlow(body) => body.clone(),
            ApiError::InvalidPendingToken(token) => coded(
                "invalid_pending_authentication_token",
                format!("The pending_authentication_token '{token}' has expired or is invalid."),
            ),
            ApiError::InvalidOneTimeCode(id) => coded(
                "invalid_one_time_code",
                format!(
                    "The code is not valid for the authentication challenge '{id}'. Send the \
                     current code of the factor's authenticator app; the challenge and the \
                     pending_authentication_token stay usable."
                ),
            ),
            ApiError::OneTimeCodePreviouslyUsed(id) => coded(
                "one_time_code_previously_used",
                format!(
                    "The authentication challenge '{id}' was already used. Challenge the factor \
                     again and send the new challenge's id."
                ),
            ),
            ApiError::OneTimeCodeExpired(id) => coded(
                "one_time_code_expired",
                format!("The authentication challenge '{id}' has expired."),
            ),
            ApiError::UserMismatch(id) => coded(
                "user_mismatch",
                format!(
                    "The authentication challenge '{id}' belongs to a factor of another user than \
                     the pending_authentication_token's."
                ),
            ),
            ApiError::OAuth { error, description } => {
                json!({"error": error, "error_description": description})
            }
            ApiError::Internal(detail) => coded("internal_error", detail.clone()),
        }
    }

    /// The whole response: status, body and any headers the error calls for.
    pub fn into_response(self) -> ApiResponse {
        let response = ApiResponse::json(self.status(), self.body());
        match &self {
            ApiError::Unauthorized { reason } => {
                let challenge =
                    format!("Bearer realm=\"mfa-mock\", error_description=\"{reason}\"");
                match HeaderValue::from_str(&challenge) {
                    Ok(value) => response.with_header(header::WWW_AUTHENTICATE, value),
                    Err(_) => response,
                }
            }
            ApiError::MethodNotAllowed { allowed, .. } => match HeaderValue::from_str(allowed) {
                Ok(value) => response.with_header(header::ALLOW, value),
                Err(_) => response,
            },
            _ => response,
        }
    }
}

fn coded(code: &str, message: String) -> Value {
    json!({"code": code, "message": message})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_factor_is_a_404_naming_the_id_in_the_workos_shape() {
        let error = ApiError::NotFound {
            entity: Entity::Factor,
            id: "auth_factor_X".into(),
        };
        assert_eq!(error.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            error.body(),
            json!({
                "message": "Authentication Factor not found: 'auth_factor_X'.",
                "code": "entity_not_found",
                "entity_id": "auth_factor_X",
            })
        );
    }

    #[test]
    fn the_documented_challenge_errors_keep_their_exact_wording() {
        let verified = ApiError::ChallengePreviouslyVerified("auth_challenge_1".into());
        assert_eq!(verified.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            verified.body()["message"],
            "The authentication challenge 'auth_challenge_1' has already been verified."
        );
        let expired = ApiError::ChallengeExpired("auth_challenge_1".into());
        assert_eq!(expired.body()["code"], "authentication_challenge_expired");
    }

    #[test]
    fn error_codes_are_snake_case_even_for_nested_fields() {
        let error = FieldError::new("factors[0].sms.phone_number", "invalid_format", "");
        assert_eq!(error.code, "factors_0_sms_phone_number_invalid_format");
        assert_eq!(
            FieldError::new("Weird-Key!", "unknown_field", "").code,
            "weird_key_unknown_field"
        );
    }

    #[test]
    fn too_many_attempts_is_a_400() {
        let error = ApiError::TooManyAttempts("auth_challenge_1".into());
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.body()["code"], "one_time_code_too_many_attempts");
    }

    #[test]
    fn a_missing_key_is_a_bare_unauthorized_that_explains_itself_in_a_header() {
        let response = ApiError::Unauthorized { reason: "no key" }.into_response();
        let body = response.body.map(|body| body.to_value());
        assert_eq!(body, Some(json!({"message": "Unauthorized"})));
        assert_eq!(response.headers[0].0, header::WWW_AUTHENTICATE);
    }

    #[test]
    fn a_wrong_method_lists_the_allowed_ones() {
        let response = ApiError::MethodNotAllowed {
            method: "PUT".into(),
            pattern: "/auth/factors/:id",
            allowed: "GET, DELETE".to_owned(),
        }
        .into_response();
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            response.headers[0],
            (header::ALLOW, HeaderValue::from_static("GET, DELETE"))
        );
    }
}
