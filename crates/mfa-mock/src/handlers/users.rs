//! The AuthKit user resource: what the factor endpoints hang off and what a
//! password sign-in checks.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::authkit::{ListMetadata, page_request};
use super::{Ctx, non_empty};
use crate::error::{ApiError, Entity};
use crate::ids::IdKind;
use crate::model::User;
use crate::password::PasswordHash;
use crate::response::ApiResponse;
use crate::store::Tenant;
use crate::validation::BodySchema;

#[derive(Deserialize)]
struct CreateBody {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    email_verified: Option<bool>,
    external_id: Option<String>,
    metadata: Option<Map<String, Value>>,
    password: Option<String>,
}

/// `POST /user_management/users`
pub(crate) fn create(ctx: &Ctx<'_>) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: CreateBody = ctx.body(BodySchema::CreateUser)?;
    let password = non_empty(body.password)
        .map(|text| hash(ctx.tenant, &text))
        .transpose()?;
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
        password,
    };
    ctx.tenant.insert_user(user.clone());
    Ok(ApiResponse::json(StatusCode::CREATED, &user))
}

#[derive(Deserialize)]
struct UpdateBody {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email_verified: Option<bool>,
    external_id: Option<String>,
    metadata: Option<Map<String, Value>>,
    password: Option<String>,
}

/// `PUT /user_management/users/:id`: fields left out keep their values.
pub(crate) fn update(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let body: UpdateBody = ctx.body(BodySchema::UpdateUser)?;
    if ctx.tenant.user(id).is_none() {
        return Err(not_found(id));
    }
    let password = non_empty(body.password)
        .map(|text| hash(ctx.tenant, &text))
        .transpose()?;
    let now = ctx.now();
    let user = ctx
        .tenant
        .update_user(id, |user| {
            if let Some(email) = non_empty(body.email) {
                user.email = email;
            }
            if let Some(first_name) = body.first_name {
                user.first_name = non_empty(Some(first_name));
            }
            if let Some(last_name) = body.last_name {
                user.last_name = non_empty(Some(last_name));
            }
            if let Some(verified) = body.email_verified {
                user.email_verified = verified;
            }
            if let Some(external_id) = body.external_id {
                user.external_id = non_empty(Some(external_id));
            }
            if let Some(metadata) = body.metadata {
                user.metadata = metadata;
            }
            if password.is_some() {
                user.password = password;
            }
            user.updated_at = now;
        })
        .ok_or_else(|| not_found(id))?;
    Ok(ApiResponse::json(StatusCode::OK, &user))
}

/// A page of users.
#[derive(Serialize)]
struct UserList<'a> {
    object: &'static str,
    data: &'a [User],
    list_metadata: ListMetadata<'a>,
}

/// `GET /user_management/users`: newest first, `email` filters, cursors as
/// the factor list's.
pub(crate) fn list(ctx: &Ctx<'_>) -> Result<ApiResponse, ApiError> {
    let params = ctx.query(&[
        "limit",
        "order",
        "before",
        "after",
        "email",
        "organization_id",
    ])?;
    let request = page_request(&params)?;
    let email = params
        .iter()
        .rev()
        .find(|(name, value)| name == "email" && !value.is_empty())
        .map(|(_, value)| value.as_str());
    let page = ctx.tenant.users_page(email, &request);
    let json = UserList {
        object: "list",
        data: &page.data,
        list_metadata: ListMetadata {
            before: page.before.as_deref(),
            after: page.after.as_deref(),
        },
    };
    Ok(ApiResponse::json(StatusCode::OK, json))
}

/// `GET /user_management/users/:id`
pub(crate) fn get(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    let user = ctx.tenant.user(id).ok_or_else(|| not_found(id))?;
    Ok(ApiResponse::json(StatusCode::OK, &user))
}

/// `DELETE /user_management/users/:id` (its factors go with it): 200 with an
/// empty body, as the real API answers.
pub(crate) fn delete(ctx: &Ctx<'_>, id: &str) -> Result<ApiResponse, ApiError> {
    ctx.query(&[])?;
    match ctx.tenant.delete_user(id) {
        true => Ok(ApiResponse::empty(StatusCode::OK)),
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

/// `password`'s salted hash, the salt drawn from the tenant (so seeded runs repeat).
pub(crate) fn hash(tenant: &Tenant, password: &str) -> Result<PasswordHash, ApiError> {
    PasswordHash::new(password, tenant.entropy.bytes::<16>())
        .ok_or_else(|| ApiError::Internal("the password could not be hashed".to_owned()))
}
