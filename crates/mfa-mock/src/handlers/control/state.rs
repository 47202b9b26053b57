//! `GET` and `PUT /_mock/state`: the tenant's users, factors (secrets included)
//! and challenges as one document.

use http::StatusCode;

use super::{body, no_query};
use crate::error::ApiError;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::state::{self, TenantState};
use crate::store::Tenant;

const EXAMPLE: &str = r#"{"users": [{"email": "ada@example.com"}], "factors": [{"type": "totp", "totp": {"issuer": "Foo Corp", "user": "ada@example.com", "secret": "JBSWY3DPEHPK3PXP"}}]} (the shape GET /_mock/state returns)"#;

/// The tenant's state.
pub fn export(tenant: &Tenant) -> ApiResponse {
    let json = serde_json::to_value(state::export(tenant)).unwrap_or_default();
    ApiResponse::json(StatusCode::OK, json)
}

/// Replaces the tenant's state with the body's; answers with the state as it now is.
pub fn import(tenant: &Tenant, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    no_query(request)?;
    if request.json_object()?.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "required",
            format!(
                "Send a state document, e.g. {EXAMPLE}. To empty the tenant, POST /_mock/reset."
            ),
        ));
    }
    let document: TenantState = body(request, EXAMPLE)?;
    state::import(tenant, &document).map_err(ApiError::Validation)?;
    Ok(export(tenant))
}
