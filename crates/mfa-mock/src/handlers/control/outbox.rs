//! `GET /_mock/sms`: the text messages SMS challenges sent, newest first.

use super::list as list_json;
use crate::error::{ApiError, FieldError};
use crate::outbox::SmsFilter;
use crate::phone;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::store::Tenant;

/// Lists the outbox, filtered by `phone_number`, `factor_id` or `challenge_id`
/// (also accepted as `authentication_factor_id` / `authentication_challenge_id`).
pub fn list(tenant: &Tenant, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    let mut filter = SmsFilter::default();
    let mut unknown = Vec::new();
    for (name, value) in request.query_params() {
        let value = Some(value).filter(|v| !v.is_empty());
        match name.as_str() {
            "phone_number" => {
                filter.phone_number = value.map(|v| phone::normalise(&v).unwrap_or(v));
            }
            "factor_id" | "authentication_factor_id" => filter.factor_id = value,
            "challenge_id" | "authentication_challenge_id" => filter.challenge_id = value,
            _ => unknown.push(FieldError::new(&name, "unknown_parameter", format!(
                "`{name}` is not a filter of /_mock/sms; use phone_number, factor_id or challenge_id."
            ))),
        }
    }
    match unknown.is_empty() {
        true => Ok(list_json(
            &tenant.outbox.list(|message| filter.admits(message)),
        )),
        false => Err(ApiError::Validation(unknown)),
    }
}
