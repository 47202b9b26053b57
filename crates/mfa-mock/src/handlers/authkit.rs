//! AuthKit's per-user factor endpoints: enroll (factor and challenge at once) and list.

use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::users::not_found;
use super::{Ctx, non_empty};
use crate::enrollment::{new_challenge, new_factor, new_secret, totp_kind};
use crate::error::{ApiError, FieldError};
use crate::model::{ChallengeJson, FactorJson, challenge_json, enrolled_factor_json, factor_json};
use crate::response::ApiResponse;
use crate::store::{Order, PageRequest};
use crate::totp::{SecretError, TotpSecret};
use crate::validation::BodySchema;

/// The body of an AuthKit enrollment: the factor and its first challenge.
#[derive(Serialize)]
struct Enrolled<'a> {
    authentication_factor: FactorJson<'a>,
    authentication_challenge: ChallengeJson<'a>,
}

/// A page of a user's factors.
#[derive(Serialize)]
struct FactorList<'a> {
    object: &'static str,
    data: Vec<FactorJson<'a>>,
    list_metadata: ListMetadata<'a>,
}

/// The cursors around a page; `null` at either end.
#[derive(Serialize)]
pub(crate) struct ListMetadata<'a> {
    pub(crate) before: Option<&'a str>,
    pub(crate) after: Option<&'a str>,
}

/// The page size when the request names none.
pub(crate) const DEFAULT_LIMIT: usize = 10;
/// The largest page size.
pub(crate) const MAX_LIMIT: usize = 100;

#[derive(Deserialize)]
struct EnrollBody {
    totp_issuer: Option<String>,
    totp_user: Option<String>,
    totp_secret: Option<String>,
}

/// `POST /user_management/users/:id/auth_factors`
pub(crate) fn enroll(ctx: &Ctx<'_>, user_id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: EnrollBody = ctx.body(BodySchema::EnrollAuthFactor)?;
    let user = ctx.tenant.user(user_id).ok_or_else(|| not_found(user_id))?;
    let secret = match non_empty(body.totp_secret) {
        Some(text) => TotpSecret::from_base32(&text).map_err(secret_error)?,
        None => new_secret(&ctx.tenant.entropy),
    };
    let issuer =
        non_empty(body.totp_issuer).unwrap_or_else(|| ctx.config.default_totp_issuer.clone());
    let account = non_empty(body.totp_user).unwrap_or(user.email);
    let (kind, enrolled) = totp_kind(secret, issuer, account)?;
    let now = ctx.now();
    let factor = new_factor(&ctx.tenant.entropy, kind, Some(user_id.to_owned()), now);
    let factor = ctx
        .tenant
        .insert_factor_for_user(user_id, |_| factor)
        .ok_or_else(|| not_found(user_id))?;
    let challenge = ctx
        .tenant
        .insert_challenge(&factor.id, |factor| {
            new_challenge(&ctx.tenant.entropy, factor, None, now)
        })
        .ok_or_else(|| not_found(user_id))?;
    let json = Enrolled {
        authentication_factor: enrolled_factor_json(&factor, Some(&enrolled)),
        authentication_challenge: challenge_json(&challenge),
    };
    Ok(ApiResponse::json(StatusCode::CREATED, json))
}

fn secret_error(error: SecretError) -> ApiError {
    let problem = match error {
        SecretError::NotBase32 => "is not base32 (letters A-Z and digits 2-7)",
        SecretError::TooShort => "is too short",
    };
    ApiError::invalid(
        "totp_secret",
        "invalid_format",
        format!(
            "`totp_secret` {problem}: send at least 16 base32 characters, e.g. \"JBSWY3DPEHPK3PXP\"."
        ),
    )
}

/// `GET /user_management/users/:id/auth_factors`
pub(crate) fn list(ctx: &Ctx<'_>, user_id: &str) -> Result<ApiResponse, ApiError> {
    let params = ctx.query(&["limit", "order", "before", "after"])?;
    let page_request = page_request(&params)?;
    let page = ctx
        .tenant
        .user_factors(user_id, &page_request)
        .ok_or_else(|| not_found(user_id))?;
    let json = FactorList {
        object: "list",
        data: page.data.iter().map(factor_json).collect(),
        list_metadata: ListMetadata {
            before: page.before.as_deref(),
            after: page.after.as_deref(),
        },
    };
    Ok(ApiResponse::json(StatusCode::OK, json))
}

/// Reads `limit`, `order`, `before` and `after`; empty values count as absent.
pub(crate) fn page_request(params: &[(String, String)]) -> Result<PageRequest, ApiError> {
    let value = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.clone())
    };
    let mut errors = Vec::new();
    let limit =
        match value("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => {
                text.parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .unwrap_or_else(|| {
                        errors.push(FieldError::new("limit", "invalid_value", format!(
                "`limit` must be a whole number from 1 to {MAX_LIMIT}; got \"{text}\"."
            )));
                        DEFAULT_LIMIT
                    })
            }
        };
    let order = match value("order").as_deref() {
        None | Some("desc") | Some("normal") => Order::Descending,
        Some("asc") => Order::Ascending,
        Some(other) => {
            errors.push(FieldError::new(
                "order",
                "invalid_value",
                format!("`order` must be \"asc\", \"desc\" or \"normal\"; got \"{other}\"."),
            ));
            Order::Descending
        }
    };
    let (before, after) = (value("before"), value("after"));
    if before.is_some() && after.is_some() {
        errors.push(FieldError::new(
            "before",
            "invalid_value",
            "Send `before` or `after`, not both.".to_owned(),
        ));
    }
    match errors.is_empty() {
        true => Ok(PageRequest {
            limit,
            order,
            before,
            after,
        }),
        false => Err(ApiError::Validation(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_ten_newest_first() {
        let request = page_request(&[]).expect("valid");
        assert_eq!(
            (request.limit, request.order),
            (DEFAULT_LIMIT, Order::Descending)
        );
    }

    #[test]
    fn normal_order_is_the_default_order() {
        let request = page_request(&params(&[("order", "normal")])).expect("valid");
        assert_eq!(request.order, Order::Descending);
    }

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        for limit in ["0", "101", "abc", "-1", "1.5"] {
            let result = page_request(&params(&[("limit", limit)]));
            assert!(matches!(result, Err(ApiError::Validation(_))), "{limit}");
        }
        assert_eq!(
            page_request(&params(&[("limit", "100")])).map(|r| r.limit),
            Ok(100)
        );
    }

    #[test]
    fn empty_cursors_count_as_absent() {
        let request = page_request(&params(&[("before", ""), ("after", "f1")])).expect("valid");
        assert_eq!(
            (request.before, request.after.as_deref()),
            (None, Some("f1"))
        );
    }
}
