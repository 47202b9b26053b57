//! `POST /_mock/faults` and `DELETE /_mock/faults/:id`.

use http::StatusCode;

use super::{body, no_query};
use crate::error::{ApiError, Entity};
use crate::faults::{Fault, FaultSpec};
use crate::ids::IdKind;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::store::Tenant;

const EXAMPLE: &str =
    r#"{"method": "POST", "path": "/auth/factors/enroll", "status": 503, "times": 2}"#;

/// Adds a fault; 201 with the fault.
pub fn add(tenant: &Tenant, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    no_query(request)?;
    let spec: FaultSpec = body(request, EXAMPLE)?;
    let now = tenant.clock.now();
    let fault = Fault::from_spec(spec, tenant.entropy.id(IdKind::Fault, now), now)
        .map_err(ApiError::Validation)?;
    tenant.faults.add(fault.clone());
    let json =
        serde_json::to_value(&fault).map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(ApiResponse::json(StatusCode::CREATED, json))
}

/// Removes the fault `id`; 204, or 404 if there is none.
pub fn remove(tenant: &Tenant, id: &str) -> Result<ApiResponse, ApiError> {
    match tenant.faults.remove(id) {
        true => Ok(ApiResponse::no_content()),
        false => Err(ApiError::NotFound {
            entity: Entity::Fault,
            id: id.to_owned(),
        }),
    }
}
