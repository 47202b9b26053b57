//! AuthKit password sign-in with MFA: `POST /user_management/authenticate`
//! (the password, MFA-TOTP and refresh-token grants) and the public JWKS that
//! verifies the access tokens it issues.
//!
//! A password sign-in of a user with a TOTP factor, or of any user when the
//! tenant requires MFA, stops at a 403 carrying a pending authentication
//! token; the MFA grant trades that token and a verified challenge for a
//! session. Access tokens are RS256 JWTs timed by the server's clock, never the
//! tenant's adjustable one: the SDKs' JWT libraries refuse a token issued in
//! their future or expired in their past.

use std::sync::atomic::Ordering;

use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{Ctx, Env, non_empty};
use crate::auth;
use crate::error::ApiError;
use crate::ids::IdKind;
use crate::model::{ExpectedCode, User};
use crate::password::{self, PasswordHash};
use crate::response::ApiResponse;
use crate::store::{Pending, Refresh, Tenant, VerifyRefusal};
use crate::validation::BodySchema;

/// The MFA grant's `grant_type`.
const MFA_TOTP_GRANT: &str = "urn:workos:oauth:grant-type:mfa-totp";
/// How long (tenant time) a pending authentication token is accepted.
pub(crate) const PENDING_LIFETIME_SECONDS: i64 = 600;
/// How long an access token lives, as WorkOS's do.
const ACCESS_TOKEN_SECONDS: u64 = 300;
/// Length of pending and refresh tokens, as the real pending tokens.
const TOKEN_LENGTH: usize = 25;

#[derive(Deserialize)]
struct AuthenticateBody {
    grant_type: Option<String>,
    client_secret: Option<String>,
    email: Option<String>,
    password: Option<String>,
    code: Option<String>,
    pending_authentication_token: Option<String>,
    authentication_challenge_id: Option<String>,
    refresh_token: Option<String>,
}

/// The claims of an access token.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    sid: &'a str,
    jti: &'a str,
    iat: u64,
    exp: u64,
    auth_time: i64,
}

/// The body of every successful grant.
#[derive(Serialize)]
struct Authenticated<'a> {
    user: &'a User,
    access_token: String,
    refresh_token: String,
    authentication_method: &'static str,
}

/// `POST /user_management/authenticate`
pub(crate) fn authenticate(ctx: &Ctx<'_>) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: AuthenticateBody = ctx.body(BodySchema::Authenticate)?;
    let tenant_of_secret = match non_empty(body.client_secret.clone()) {
        Some(secret) if secret != ctx.api_key => Some(tenant_of(ctx, &secret)?),
        _ => None,
    };
    let tenant = tenant_of_secret.as_deref().unwrap_or(ctx.tenant);
    let grant = non_empty(body.grant_type.clone()).ok_or_else(|| {
        invalid_request("grant_type is required: \"password\", \"refresh_token\" or \"urn:workos:oauth:grant-type:mfa-totp\".")
    })?;
    match grant.as_str() {
        "password" => password_grant(ctx, tenant, body),
        MFA_TOTP_GRANT => mfa_totp_grant(ctx, tenant, body),
        "refresh_token" => refresh_grant(ctx, tenant, body),
        other => Err(ApiError::OAuth {
            error: "unsupported_grant_type",
            description: format!(
                "The grant_type '{other}' is not supported here; use \"password\", \
                 \"refresh_token\" or \"urn:workos:oauth:grant-type:mfa-totp\"."
            ),
        }),
    }
}

/// The tenant of `client_secret`, if the server accepts it as an API key.
fn tenant_of(ctx: &Ctx<'_>, secret: &str) -> Result<std::sync::Arc<Tenant>, ApiError> {
    let mut headers = HeaderMap::new();
    let value =
        HeaderValue::from_str(&format!("Bearer {secret}")).map_err(|_| ApiError::Unauthorized {
            reason: "client_secret is not an API key",
        })?;
    headers.insert(header::AUTHORIZATION, value);
    auth::api_key(&headers, &ctx.config.api_keys)?;
    Ok(ctx.store.tenant(secret))
}

fn password_grant(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    body: AuthenticateBody,
) -> Result<ApiResponse, ApiError> {
    let (Some(email), Some(password)) = (non_empty(body.email), non_empty(body.password)) else {
        return Err(invalid_request("email and password are required."));
    };
    let users = tenant.users_with_email(&email);
    let with_password: Vec<(&User, &PasswordHash)> = users
        .iter()
        .filter_map(|user| user.password.as_ref().map(|hash| (user, hash)))
        .collect();
    if with_password.is_empty() {
        password::burn_one_verification(&password);
        return Err(ApiError::InvalidCredentials(email));
    }
    let user = with_password
        .iter()
        .find(|(_, hash)| hash.verifies(&password))
        .map(|(user, _)| *user)
        .ok_or(ApiError::InvalidCredentials(email))?;
    let factors = tenant.totp_factors(&user.id);
    let code = match (
        factors.is_empty(),
        tenant.mfa_required.load(Ordering::Relaxed),
    ) {
        (false, _) => "mfa_challenge",
        (true, true) => "mfa_enrollment",
        (true, false) => return signed_in(ctx, tenant, &user.id, None),
    };
    let token = random_token(tenant);
    tenant.sign_in.add_pending(
        token.clone(),
        Pending {
            user_id: user.id.clone(),
            expires_at: tenant.clock.now().plus_seconds(PENDING_LIFETIME_SECONDS),
        },
    );
    let body = if factors.is_empty() {
        json!({
            "code": code,
            "message": "The user must enroll in MFA to finish authenticating.",
            "pending_authentication_token": token,
            "user": user,
        })
    } else {
        let listed: Vec<_> = factors
            .iter()
            .map(|factor| json!({"id": factor.id, "type": factor.kind.type_name()}))
            .collect();
        json!({
            "code": code,
            "message": "The user must complete an MFA challenge to finish authenticating.",
            "pending_authentication_token": token,
            "authentication_factors": listed,
            "user": user,
        })
    };
    Err(ApiError::AuthenticationFlow(body))
}

fn mfa_totp_grant(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    body: AuthenticateBody,
) -> Result<ApiResponse, ApiError> {
    let (Some(code), Some(token), Some(challenge_id)) = (
        non_empty(body.code),
        non_empty(body.pending_authentication_token),
        non_empty(body.authentication_challenge_id),
    ) else {
        return Err(invalid_request(
            "code, pending_authentication_token and authentication_challenge_id are required.",
        ));
    };
    let now = tenant.clock.now();
    let pending = tenant
        .sign_in
        .pending(&token, now)
        .ok_or_else(|| ApiError::InvalidPendingToken(token.clone()))?;
    let owner = tenant
        .challenge(&challenge_id)
        .and_then(|challenge| tenant.factor(&challenge.factor_id))
        .ok_or_else(|| {
            invalid_request(&format!(
                "The authentication_challenge_id '{challenge_id}' is not a challenge of this \
                 environment; challenge one of the user's factors first."
            ))
        })?
        .user_id;
    if owner.as_deref() != Some(pending.user_id.as_str()) {
        return Err(ApiError::UserMismatch(challenge_id));
    }
    let skew = ctx.config.totp_skew_steps;
    let (_, valid) = tenant
        .verify_challenge(&challenge_id, now, ctx.config.attempt_limit, |expected| {
            match expected {
                ExpectedCode::Totp(secret) => secret.verifies(&code, now.unix_seconds(), skew),
                ExpectedCode::OneTime(expected) => expected.as_bytes().ct_eq(code.as_bytes()).into(),
            }
        })
        .map_err(|refusal| match refusal {
            VerifyRefusal::NotFound => invalid_request(&format!(
                "The authentication_challenge_id '{challenge_id}' is not a challenge of this environment."
            )),
            VerifyRefusal::AlreadyVerified => ApiError::OneTimeCodePreviouslyUsed(challenge_id.clone()),
            VerifyRefusal::Expired => ApiError::OneTimeCodeExpired(challenge_id.clone()),
            VerifyRefusal::TooManyAttempts => ApiError::TooManyAttempts(challenge_id.clone()),
        })?;
    if !valid {
        return Err(ApiError::InvalidOneTimeCode(challenge_id));
    }
    let pending = tenant
        .sign_in
        .take_pending(&token, now)
        .ok_or(ApiError::InvalidPendingToken(token))?;
    signed_in(ctx, tenant, &pending.user_id, None)
}

fn refresh_grant(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    body: AuthenticateBody,
) -> Result<ApiResponse, ApiError> {
    let Some(token) = non_empty(body.refresh_token) else {
        return Err(invalid_request("refresh_token is required."));
    };
    let invalid = || ApiError::OAuth {
        error: "invalid_grant",
        description: "Invalid refresh token.".to_owned(),
    };
    let session = tenant.sign_in.take_refresh(&token).ok_or_else(invalid)?;
    if tenant.user(&session.user_id).is_none() {
        return Err(invalid());
    }
    let user_id = session.user_id.clone();
    signed_in(ctx, tenant, &user_id, Some(session))
}

/// The 200 of a finished sign-in or refresh: a new access token (in the same
/// session when refreshing) and a new refresh token.
fn signed_in(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    user_id: &str,
    session: Option<Refresh>,
) -> Result<ApiResponse, ApiError> {
    let tenant_now = tenant.clock.now();
    let user = tenant
        .update_user(user_id, |user| user.last_sign_in_at = Some(tenant_now))
        .ok_or_else(|| super::users::not_found(user_id))?;
    let now = ctx.config.clock.now();
    let iat = now.unix_seconds();
    let session = session.unwrap_or_else(|| Refresh {
        user_id: user.id.clone(),
        session_id: tenant.entropy.id(IdKind::Session, tenant_now),
        auth_time: i64::try_from(iat).unwrap_or(i64::MAX),
    });
    let jti = tenant.entropy.id(IdKind::Session, tenant_now);
    let claims = Claims {
        iss: &ctx.config.issuer,
        sub: &user.id,
        sid: &session.session_id,
        jti: jti.trim_start_matches(IdKind::Session.prefix()),
        iat,
        exp: iat + ACCESS_TOKEN_SECONDS,
        auth_time: session.auth_time,
    };
    let access_token = ctx.store.signer.sign(&claims).map_err(ApiError::Internal)?;
    let refresh_token = random_token(tenant);
    tenant.sign_in.add_refresh(refresh_token.clone(), session);
    let json = Authenticated {
        user: &user,
        access_token,
        refresh_token,
        authentication_method: "Password",
    };
    Ok(ApiResponse::json(StatusCode::OK, json))
}

/// `GET /sso/jwks/:client_id`: the public key of every access token, for
/// any client id and without an API key (the SDKs send none).
pub(crate) fn jwks(env: &Env<'_>) -> Result<ApiResponse, ApiError> {
    let jwks = env.store.signer.jwks().map_err(ApiError::Internal)?;
    Ok(ApiResponse::json(StatusCode::OK, jwks))
}

fn invalid_request(description: &str) -> ApiError {
    ApiError::OAuth {
        error: "invalid_request",
        description: description.to_owned(),
    }
}

/// An opaque token of letters and digits, drawn from the tenant's randomness.
fn random_token(tenant: &Tenant) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    tenant
        .entropy
        .bytes::<TOKEN_LENGTH>()
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}
