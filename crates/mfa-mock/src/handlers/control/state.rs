//! `GET` and `PUT /_mock/state`: the tenant's users, factors (secrets
//! included) and challenges as one document; `POST /_mock/reset` empties it.
//! The document itself is `state.rs`'s.

use http::StatusCode;

use crate::error::ApiError;
use crate::handlers::Answer;
use crate::handlers::Ctx;
use crate::response::ApiResponse;
use crate::state::{self, TenantState};
use crate::validation::BodySchema;

const EXAMPLE: &str = r#"{"users": [{"email": "ada@example.com"}], "factors": [{"type": "totp", "totp": {"issuer": "Foo Corp", "user": "ada@example.com", "secret": "JBSWY3DPEHPK3PXP"}}]} (the shape GET /_mock/state returns)"#;

/// The tenant's state; with `include=qr_code`, each TOTP factor's `uri` and
/// `qr_code` too (what the inspector page shows to scan).
pub(crate) fn export(ctx: &Ctx<'_>) -> Answer {
    let mut with_qr_codes = false;
    for (_, value) in ctx.query(&["include"])? {
        match value.as_str() {
            "qr_code" => with_qr_codes = true,
            _ => {
                return Err(ApiError::invalid(
                    "include",
                    "invalid_value",
                    format!("`include` takes only `qr_code`; got \"{value}\"."),
                ));
            }
        }
    }
    if !with_qr_codes {
        return Ok(exported(ctx));
    }
    let mut document = state::export(ctx.tenant);
    state::add_qr_codes(&mut document);
    let json = serde_json::to_value(document).unwrap_or_default();
    Ok(ApiResponse::json(StatusCode::OK, json))
}

fn exported(ctx: &Ctx<'_>) -> ApiResponse {
    let json = serde_json::to_value(state::export(ctx.tenant)).unwrap_or_default();
    ApiResponse::json(StatusCode::OK, json)
}

/// Replaces the tenant's state with the body's; answers with the state as it now is.
pub(crate) fn import(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    if ctx.request.json_object()?.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "required",
            format!(
                "Send a state document, e.g. {EXAMPLE}. To empty the tenant, POST /_mock/reset."
            ),
        ));
    }
    let document = ctx.control_body(BodySchema::ImportState, EXAMPLE, seed_fields_refused)?;
    state::import(ctx.tenant, &document).map_err(ApiError::Validation)?;
    Ok(exported(ctx))
}

/// `api_key` and `freeze_at` belong to seed files: here the request's key
/// names the tenant, and `clock` sets its time.
fn seed_fields_refused(document: TenantState) -> Result<TenantState, ApiError> {
    let refused = |field: &str, instead: &str| {
        ApiError::invalid(
            field,
            "unknown_field",
            format!("`{field}` belongs in a seed file; {instead}. Send e.g. {EXAMPLE}"),
        )
    };
    match (&document.api_key, &document.freeze_at) {
        (Some(_), _) => Err(refused("api_key", "the request's API key names the tenant")),
        (_, Some(_)) => Err(refused(
            "freeze_at",
            "send \"clock\": {\"now\": \"2026-01-15T12:00:00Z\", \"frozen\": true}",
        )),
        (None, None) => Ok(document),
    }
}

/// Forgets the tenant of the request's key; its next request starts empty.
pub(crate) fn reset(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    ctx.store.reset(ctx.api_key);
    Ok(ApiResponse::no_content())
}
