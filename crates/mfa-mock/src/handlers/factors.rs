//! The standalone MFA factor endpoints: enroll, get, delete, challenge.

use http::StatusCode;
use serde::Deserialize;

use super::{Ctx, non_empty};
use crate::enrollment::{new_challenge, new_factor, new_secret, totp_kind};
use crate::error::{ApiError, Entity};
use crate::model::{FactorKind, challenge_json, enrolled_factor_json, factor_json};
use crate::phone;
use crate::response::ApiResponse;
use crate::validation::BodySchema;

#[derive(Deserialize)]
struct EnrollBody {
    #[serde(rename = "type")]
    kind: String,
    totp_issuer: Option<String>,
    totp_user: Option<String>,
    phone_number: Option<String>,
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct ChallengeBody {
    sms_template: Option<String>,
}

/// `POST /auth/factors/enroll`
pub fn enroll(ctx: &Ctx<'_>) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: EnrollBody = ctx.body(BodySchema::EnrollFactor)?;
    let (kind, enrolled) = match body.kind.as_str() {
        "totp" => {
            let issuer = body.totp_issuer.unwrap_or_default();
            let user = body.totp_user.unwrap_or_default();
            let (kind, enrolled) = totp_kind(new_secret(ctx.app), issuer, user)?;
            (kind, Some(enrolled))
        }
        "sms" => (sms_kind(body.phone_number.unwrap_or_default())?, None),
        _ => (FactorKind::GenericOtp, None),
    };
    let factor = new_factor(ctx.app, kind, non_empty(body.user_id), ctx.now());
    ctx.tenant.insert_factor(factor.clone());
    let json = enrolled_factor_json(&factor, enrolled.as_ref());
    Ok(ApiResponse::json(StatusCode::CREATED, json))
}

fn sms_kind(raw: String) -> Result<FactorKind, ApiError> {
    match phone::normalise(&raw) {
        Ok(phone_number) => Ok(FactorKind::Sms { phone_number }),
        Err(_) => Err(ApiError::InvalidPhoneNumber(raw)),
    }
}

/// `GET /auth/factors/:id`
pub fn get(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let factor = ctx.tenant.factor(id).ok_or_else(|| not_found(id))?;
    Ok(ApiResponse::json(StatusCode::OK, factor_json(&factor)))
}

/// `DELETE /auth/factors/:id`
pub fn delete(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    match ctx.tenant.delete_factor(id) {
        true => Ok(ApiResponse::no_content()),
        false => Err(not_found(id)),
    }
}

/// `POST /auth/factors/:id/challenge`
pub fn challenge(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: ChallengeBody = ctx.body(BodySchema::ChallengeFactor)?;
    let template = non_empty(body.sms_template);
    let now = ctx.now();
    let challenge = ctx
        .tenant
        .insert_challenge(id, |factor| {
            new_challenge(ctx.app, factor, template.as_deref(), now)
        })
        .ok_or_else(|| not_found(id))?;
    Ok(ApiResponse::json(
        StatusCode::CREATED,
        challenge_json(&challenge),
    ))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        entity: Entity::Factor,
        id: id.to_owned(),
    }
}
