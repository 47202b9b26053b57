//! `GET` and `DELETE /_mock/sms`: the text messages SMS challenges sent,
//! newest first.

use super::list as list_json;
use crate::handlers::Answer;
use crate::handlers::Ctx;
use crate::outbox::SmsFilter;
use crate::phone;
use crate::response::ApiResponse;

const FILTERS: [&str; 5] = [
    "phone_number",
    "factor_id",
    "authentication_factor_id",
    "challenge_id",
    "authentication_challenge_id",
];

/// Lists the outbox, filtered by `phone_number`, `factor_id` or `challenge_id`
/// (also accepted as `authentication_factor_id` / `authentication_challenge_id`).
pub(crate) fn list(ctx: &Ctx<'_>) -> Answer {
    let params = ctx.query_described(&FILTERS, |name| {
        format!(
            "`{name}` is not a filter of /_mock/sms; use phone_number, factor_id or challenge_id."
        )
    })?;
    let mut filter = SmsFilter::default();
    for (name, value) in params {
        let value = Some(value).filter(|v| !v.is_empty());
        match name.as_str() {
            "phone_number" => {
                filter.phone_number = value.map(|v| phone::normalise(&v).unwrap_or(v));
            }
            "factor_id" | "authentication_factor_id" => filter.factor_id = value,
            _ => filter.challenge_id = value,
        }
    }
    Ok(list_json(
        &ctx.tenant.outbox.list(|message| filter.admits(message)),
    ))
}

/// Empties the outbox.
pub(crate) fn clear(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    ctx.tenant.outbox.clear();
    Ok(ApiResponse::no_content())
}
