//! `GET` and `POST /_mock/clock`: read, freeze, move and resume the tenant's time.

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{body, no_query};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::store::Tenant;

/// The furthest one `advance_seconds` may move the clock: about ten years.
const MAX_ADVANCE_SECONDS: i64 = 10 * 366 * 24 * 60 * 60;

const EXAMPLE: &str =
    r#"{"freeze_at": "2026-01-15T12:00:00Z"}, {"advance_seconds": 601} or {"resume": true}."#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    freeze_at: Option<String>,
    advance_seconds: Option<i64>,
    resume: Option<bool>,
}

/// `{"object": "clock", "now": …, "frozen": …}`
pub fn show(tenant: &Tenant) -> ApiResponse {
    let clock =
        json!({"object": "clock", "now": tenant.clock.now(), "frozen": tenant.clock.is_frozen()});
    ApiResponse::json(StatusCode::OK, clock)
}

/// Applies exactly one of `freeze_at`, `advance_seconds` or `resume`.
pub fn change(tenant: &Tenant, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    no_query(request)?;
    let change: ClockChange = body(request, EXAMPLE)?;
    match (change.freeze_at, change.advance_seconds, change.resume) {
        (Some(text), None, None) => {
            let at = Timestamp::parse(&text).ok_or_else(|| {
                ApiError::invalid("freeze_at", "invalid_format", format!(
                    "`freeze_at` must be an RFC 3339 timestamp, e.g. \"2026-01-15T12:00:00Z\"; got \"{text}\"."
                ))
            })?;
            tenant.clock.freeze_at(at);
        }
        (None, Some(seconds), None) if seconds.abs() <= MAX_ADVANCE_SECONDS => {
            tenant.clock.advance(seconds)
        }
        (None, Some(_), None) => {
            return Err(ApiError::invalid(
                "advance_seconds",
                "out_of_range",
                format!(
                    "`advance_seconds` must be between -{MAX_ADVANCE_SECONDS} and {MAX_ADVANCE_SECONDS}."
                ),
            ));
        }
        (None, None, Some(true)) => tenant.clock.resume(),
        _ => {
            return Err(ApiError::invalid(
                "body",
                "invalid_value",
                format!("Send exactly one of {EXAMPLE}"),
            ));
        }
    }
    Ok(show(tenant))
}
