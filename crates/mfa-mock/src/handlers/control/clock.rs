//! `GET` and `POST /_mock/clock`: read, freeze, move and resume the tenant's time.

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::handlers::Answer;
use crate::handlers::Ctx;
use crate::response::ApiResponse;
use crate::validation::BodySchema;

/// The furthest one `advance_seconds` may move the clock: about ten years.
const MAX_ADVANCE_SECONDS: i64 = 10 * 366 * 24 * 60 * 60;
/// 0000-01-01T00:00:00.000Z: RFC 3339 has four-digit years, so a clock
/// outside years 0 to 9999 would write times no parser (ours included) reads back.
const EARLIEST: Timestamp = Timestamp::from_unix_millis(-62_167_219_200_000);
/// 9999-12-31T23:59:59.999Z.
const LATEST: Timestamp = Timestamp::from_unix_millis(253_402_300_799_999);

const EXAMPLE: &str =
    r#"{"freeze_at": "2026-01-15T12:00:00Z"}, {"advance_seconds": 601} or {"resume": true}."#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    freeze_at: Option<String>,
    advance_seconds: Option<i64>,
    resume: Option<bool>,
}

/// The one change a valid body asks for.
#[derive(Clone, Copy)]
enum Move {
    Freeze(Timestamp),
    Advance(i64),
    Resume,
}

/// `{"object": "clock", "now": …, "frozen": …}`
pub(crate) fn show(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    Ok(shown(ctx))
}

fn shown(ctx: &Ctx<'_>) -> ApiResponse {
    let clock = &ctx.tenant.clock;
    let json = json!({"object": "clock", "now": clock.now(), "frozen": clock.is_frozen()});
    ApiResponse::json(StatusCode::OK, json)
}

/// Applies exactly one of `freeze_at`, `advance_seconds` or `resume`.
pub(crate) fn change(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    let clock = &ctx.tenant.clock;
    let change = ctx.control_body(BodySchema::ChangeClock, EXAMPLE, planned)?;
    let (field, lands_at) = match change {
        Move::Freeze(at) => ("freeze_at", Some(at)),
        Move::Advance(seconds) => ("advance_seconds", Some(clock.now().plus_seconds(seconds))),
        Move::Resume => ("resume", None),
    };
    if let Some(at) = lands_at
        && !(EARLIEST..=LATEST).contains(&at)
    {
        return Err(ApiError::invalid(
            field,
            "out_of_range",
            format!(
                "The clock must stay between {EARLIEST} and {LATEST} (years 0 to 9999, as RFC 3339 writes them); this would move it to {} ms since 1970.",
                at.unix_millis()
            ),
        ));
    }
    match change {
        Move::Freeze(at) => clock.freeze_at(at),
        Move::Advance(seconds) => clock.advance(seconds),
        Move::Resume => clock.resume(),
    }
    Ok(shown(ctx))
}

fn planned(change: ClockChange) -> Result<Move, ApiError> {
    match (change.freeze_at, change.advance_seconds, change.resume) {
        (Some(text), None, None) => Timestamp::parse(&text).map(Move::Freeze).ok_or_else(|| {
            ApiError::invalid("freeze_at", "invalid_format", format!(
                "`freeze_at` must be an RFC 3339 timestamp, e.g. \"2026-01-15T12:00:00Z\"; got \"{text}\"."
            ))
        }),
        (None, Some(seconds), None) if seconds.abs() <= MAX_ADVANCE_SECONDS => {
            Ok(Move::Advance(seconds))
        }
        (None, Some(_), None) => Err(ApiError::invalid(
            "advance_seconds",
            "out_of_range",
            format!(
                "`advance_seconds` must be between -{MAX_ADVANCE_SECONDS} and {MAX_ADVANCE_SECONDS}."
            ),
        )),
        (None, None, Some(true)) => Ok(Move::Resume),
        _ => Err(ApiError::invalid(
            "body",
            "invalid_value",
            format!("Send exactly one of {EXAMPLE}"),
        )),
    }
}
