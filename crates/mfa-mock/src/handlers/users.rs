//! The minimal user resource the AuthKit factor endpoints hang off.

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Ctx, non_empty};
use crate::error::{ApiError, Entity};
use crate::ids::IdKind;
use crate::model::User;
use crate::response::ApiResponse;
use crate::validation::BodySchema;

#[derive(Deserialize)]
struct CreateBody {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email_verified: Option<bool>,
    external_id: Option<String>,
    metadata: Option<Map<String, Value>>,
}

/// `POST /user_management/users`
pub(crate) fn create(ctx: &Ctx<'_>) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: CreateBody = ctx.body(BodySchema::CreateUser)?;
    let now = ctx.now();
    let user = User {
        object: "user",
        id: ctx.tenant.entropy.id(IdKind::User, now),
        email: body.email,
        first_name: non_empty(body.first_name),
        last_name: non_empty(body.last_name),
        email_verified: body.email_verified.unwrap_or(false),
        profile_picture_url: None,
        external_id: non_empty(body.external_id),
        last_sign_in_at: None,
        metadata: body.metadata.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    ctx.tenant.insert_user(user.clone());
    Ok(ApiResponse::json(StatusCode::CREATED, &user))
}

/// `GET /user_management/users/:id`
pub(crate) fn get(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let user = ctx.tenant.user(id).ok_or_else(|| not_found(id))?;
    Ok(ApiResponse::json(StatusCode::OK, &user))
}

/// `DELETE /user_management/users/:id` (its factors go with it)
pub(crate) fn delete(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    match ctx.tenant.delete_user(id) {
        true => Ok(ApiResponse::no_content()),
        false => Err(not_found(id)),
    }
}

/// The 404 for a user id this tenant does not have.
pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        entity: Entity::User,
        id: id.to_owned(),
    }
}
