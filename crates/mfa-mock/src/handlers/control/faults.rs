//! `GET` and `POST /_mock/faults`, and `DELETE /_mock/faults/:id`: the
//! tenant's injected failures and delays (the store of them is `faults.rs`).

use http::StatusCode;

use super::list as list_json;
use crate::error::{ApiError, Entity};
use crate::faults::{Fault, FaultSpec, MAX_FAULTS};
use crate::handlers::Answer;
use crate::handlers::Ctx;
use crate::ids::IdKind;
use crate::response::ApiResponse;
use crate::validation::BodySchema;

const EXAMPLE: &str =
    r#"{"method": "POST", "path": "/auth/factors/enroll", "status": 503, "times": 2}"#;

/// The active faults.
pub(crate) fn list(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    Ok(list_json(&ctx.tenant.faults.list()))
}

/// Adds a fault; 201 with the fault.
pub(crate) fn add(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    let now = ctx.tenant.clock.now();
    let id = ctx.tenant.entropy.id(IdKind::Fault, now);
    let fault = ctx.control_body(BodySchema::CreateFault, EXAMPLE, |spec: FaultSpec| {
        Fault::from_spec(spec, id, now).map_err(ApiError::Validation)
    })?;
    ctx.tenant.faults.add(fault.clone()).map_err(|_| {
        ApiError::invalid(
            "faults",
            "too_many",
            format!("This API key already has {MAX_FAULTS} active faults; remove some (DELETE /_mock/faults/:id) first."),
        )
    })?;
    let json =
        serde_json::to_value(&fault).map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(ApiResponse::json(StatusCode::CREATED, json))
}

/// Removes the fault `:id`; 204, or 404 if there is none.
pub(crate) fn remove(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    match ctx.tenant.faults.remove(ctx.id) {
        true => Ok(ApiResponse::no_content()),
        false => Err(ApiError::NotFound {
            entity: Entity::Fault,
            id: ctx.id.to_owned(),
        }),
    }
}
