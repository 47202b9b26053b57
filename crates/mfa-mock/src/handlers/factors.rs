//! The standalone MFA factor endpoints: enroll, get, delete, challenge.

use http::StatusCode;
use serde::Deserialize;

use super::{Ctx, non_empty};
use crate::enrollment::{new_challenge, new_factor, new_secret, totp_kind};
use crate::error::{ApiError, Entity};
use crate::ids::IdKind;
use crate::model::{
    Challenge, ExpectedCode, FactorKind, challenge_json, enrolled_factor_json, factor_json,
};
use crate::outbox::SmsMessage;
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
pub(crate) fn enroll(ctx: &Ctx<'_>) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: EnrollBody = ctx.body(BodySchema::EnrollFactor)?;
    let (kind, enrolled) = match body.kind.as_str() {
        "totp" => {
            let issuer = body.totp_issuer.unwrap_or_default();
            let user = body.totp_user.unwrap_or_default();
            let (kind, enrolled) = totp_kind(new_secret(&ctx.tenant.entropy), issuer, user)?;
            (kind, Some(enrolled))
        }
        "sms" => (sms_kind(body.phone_number.unwrap_or_default())?, None),
        _ => (FactorKind::GenericOtp, None),
    };
    let factor = new_factor(
        &ctx.tenant.entropy,
        kind,
        non_empty(body.user_id),
        ctx.now(),
    );
    let json = enrolled_factor_json(&factor, enrolled.as_ref());
    let response = ApiResponse::json(StatusCode::CREATED, json);
    ctx.tenant.insert_factor(factor);
    Ok(response)
}

fn sms_kind(raw: String) -> Result<FactorKind, ApiError> {
    match phone::normalise(&raw) {
        Ok(phone_number) => Ok(FactorKind::Sms { phone_number }),
        Err(_) => Err(ApiError::InvalidPhoneNumber(raw)),
    }
}

/// `GET /auth/factors/:id`
pub(crate) fn get(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    ctx.tenant
        .read_factor(id, |factor| {
            ApiResponse::json(StatusCode::OK, factor_json(factor))
        })
        .ok_or_else(|| not_found(id))
}

/// `DELETE /auth/factors/:id`
pub(crate) fn delete(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    match ctx.tenant.delete_factor(id) {
        true => Ok(ApiResponse::no_content()),
        false => Err(not_found(id)),
    }
}

/// `POST /auth/factors/:id/challenge`
pub(crate) fn challenge(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: ChallengeBody = ctx.body(BodySchema::ChallengeFactor)?;
    let template = non_empty(body.sms_template);
    let now = ctx.now();
    let challenge = ctx
        .tenant
        .insert_challenge(id, |factor| {
            new_challenge(&ctx.tenant.entropy, factor, template.as_deref(), now)
        })
        .ok_or_else(|| not_found(id))?;
    send_sms(ctx, &challenge);
    Ok(ApiResponse::json(
        StatusCode::CREATED,
        challenge_json(&challenge),
    ))
}

/// Puts an SMS challenge's text message in the tenant's outbox.
fn send_sms(ctx: &Ctx<'_>, challenge: &Challenge) {
    let (Some(sms), ExpectedCode::OneTime(code)) = (&challenge.sms, &challenge.expected) else {
        return;
    };
    ctx.tenant.outbox.push(SmsMessage {
        object: "sms_message",
        id: ctx.tenant.entropy.id(IdKind::Sms, challenge.created_at),
        phone_number: sms.phone_number.clone(),
        text: sms.text.clone(),
        code: code.clone(),
        authentication_factor_id: challenge.factor_id.clone(),
        authentication_challenge_id: challenge.id.clone(),
        sent_at: challenge.created_at,
    });
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        entity: Entity::Factor,
        id: id.to_owned(),
    }
}
