//! Verifying a challenge.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::Ctx;
use crate::error::{ApiError, Entity};
use crate::model::{ChallengeJson, ExpectedCode, verified_challenge_json};
use crate::response::ApiResponse;
use crate::store::VerifyRefusal;
use crate::validation::BodySchema;

/// The body of a verify: the challenge and whether the code was right.
#[derive(Serialize)]
struct Verified<'a> {
    challenge: ChallengeJson<'a>,
    valid: bool,
}

#[derive(Deserialize)]
struct VerifyBody {
    code: String,
}

/// `POST /auth/challenges/:id/verify`
///
/// A wrong code is `valid: false`, not an error; refusals (already verified,
/// expired, too many attempts) are errors with the documented codes.
pub(crate) fn verify(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: VerifyBody = ctx.body(BodySchema::VerifyChallenge)?;
    // Refused before the challenge is touched, so a blank code uses up no attempt.
    if body.code.trim().is_empty() {
        return Err(ApiError::invalid(
            "code",
            "required",
            "`code` is required and may not be blank: send the code the user entered, e.g. \"123456\".",
        ));
    }
    let now = ctx.now();
    let config = &ctx.config;
    let outcome = ctx
        .tenant
        .verify_challenge(id, now, config.attempt_limit, |expected| match expected {
            ExpectedCode::Totp(secret) => {
                secret.verifies(&body.code, now.unix_seconds(), config.totp_skew_steps)
            }
            ExpectedCode::OneTime(code) => code.as_bytes().ct_eq(body.code.as_bytes()).into(),
        });
    let (challenge, valid) = outcome.map_err(|refusal| refused(refusal, id))?;
    let json = Verified {
        challenge: verified_challenge_json(&challenge),
        valid,
    };
    Ok(ApiResponse::json(StatusCode::CREATED, json))
}

fn refused(refusal: VerifyRefusal, id: &str) -> ApiError {
    let id = id.to_owned();
    match refusal {
        VerifyRefusal::NotFound => ApiError::NotFound {
            entity: Entity::Challenge,
            id,
        },
        VerifyRefusal::AlreadyVerified => ApiError::ChallengePreviouslyVerified(id),
        VerifyRefusal::Expired => ApiError::ChallengeExpired(id),
        VerifyRefusal::TooManyAttempts => ApiError::TooManyAttempts(id),
    }
}
