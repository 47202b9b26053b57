//! `GET` and `POST /_mock/settings`: the tenant's environment settings that
//! WorkOS keeps in its dashboard, today only whether MFA is required.

use std::sync::atomic::Ordering;

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::handlers::{Answer, Ctx};
use crate::response::ApiResponse;
use crate::validation::BodySchema;

const EXAMPLE: &str = r#"{"mfa_required": true}"#;

#[derive(Deserialize)]
struct SettingsChange {
    mfa_required: Option<bool>,
}

/// `{"object": "settings", "mfa_required": …}`
pub(crate) fn show(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    Ok(shown(ctx))
}

fn shown(ctx: &Ctx<'_>) -> ApiResponse {
    let mfa_required = ctx.tenant.mfa_required.load(Ordering::Relaxed);
    let json = json!({"object": "settings", "mfa_required": mfa_required});
    ApiResponse::json(StatusCode::OK, json)
}

/// Sets the fields the body names; answers with all of them.
pub(crate) fn change(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    let change: SettingsChange =
        ctx.control_body(BodySchema::ChangeSettings, EXAMPLE, Ok::<_, ApiError>)?;
    if let Some(required) = change.mfa_required {
        ctx.tenant.mfa_required.store(required, Ordering::Relaxed);
    }
    Ok(shown(ctx))
}
