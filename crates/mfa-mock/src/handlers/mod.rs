//! The operations, one file per group, and what they share: the request
//! context, body parsing against the schemas, and query checks.

mod authkit;
mod challenges;
pub mod control;
mod factors;
mod users;

use std::cell::RefCell;

use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app::App;
use crate::clock::Timestamp;
use crate::error::{ApiError, FieldError};
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::router::Route;
use crate::store::Tenant;
use crate::validation::BodySchema;

/// What a handler works with: the app, the caller's tenant, and the request.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The application.
    pub app: &'a App,
    /// The tenant of the request's API key.
    pub tenant: &'a Tenant,
    /// The request.
    pub request: &'a ApiRequest,
    /// What the request got away with (unknown fields, nulls), for the journal.
    problems: RefCell<Vec<FieldError>>,
}

impl<'a> Ctx<'a> {
    /// The context of `request`, made by `tenant`.
    pub fn new(app: &'a App, tenant: &'a Tenant, request: &'a ApiRequest) -> Self {
        Self {
            app,
            tenant,
            request,
            problems: RefCell::new(Vec::new()),
        }
    }

    /// What the request got away with, and what it was refused for.
    pub fn into_problems(self) -> Vec<FieldError> {
        self.problems.into_inner()
    }

    fn now(&self) -> Timestamp {
        self.tenant.clock.now()
    }

    fn note(&self, problems: impl IntoIterator<Item = FieldError>) {
        self.problems.borrow_mut().extend(problems);
    }

    /// The body, checked against `schema`, as `T`.
    fn body<T: DeserializeOwned>(&self, schema: BodySchema) -> Result<T, ApiError> {
        let json = self.request.json_body()?;
        self.note(json.nulls.iter().map(|field| {
            let message =
                format!("`{field}` was sent as null; it was ignored. Leave the field out instead.");
            FieldError::new(field, "null", message)
        }));
        let body = Value::Object(json.object);
        let findings = self.app.schemas.check(schema, &body);
        self.note(findings.tolerated);
        if !findings.rejected.is_empty() {
            self.note(findings.rejected.iter().cloned());
            return Err(ApiError::Validation(findings.rejected));
        }
        serde_json::from_value(body)
            .map_err(|error| ApiError::invalid("body", "invalid", error.to_string()))
    }

    /// Refuses any query parameter outside `allowed`.
    fn query(&self, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
        query_params(self.request, allowed).map_err(|unknown| {
            self.note(unknown.iter().cloned());
            ApiError::Validation(unknown)
        })
    }
}

/// The request's query parameters, or one error per parameter not in `allowed`.
pub fn query_params(
    request: &ApiRequest,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, Vec<FieldError>> {
    let params = request.query_params();
    let unknown: Vec<_> = params
        .iter()
        .filter(|(name, _)| !allowed.contains(&name.as_str()))
        .map(|(name, _)| {
            let message = match allowed {
                [] => format!("`{name}` is not a query parameter of this endpoint; it takes none."),
                _ => format!(
                    "`{name}` is not a query parameter of this endpoint; use {}.",
                    allowed.join(", ")
                ),
            };
            FieldError::new(name, "unknown_parameter", message)
        })
        .collect();
    match unknown.is_empty() {
        true => Ok(params),
        false => Err(unknown),
    }
}

/// Runs the handler for `route`.
pub fn dispatch(ctx: &Ctx<'_>, route: Route) -> Result<ApiResponse, ApiError> {
    match route {
        Route::EnrollFactor => factors::enroll(ctx),
        Route::GetFactor(id) => factors::get(ctx, &id),
        Route::DeleteFactor(id) => factors::delete(ctx, &id),
        Route::ChallengeFactor(id) => factors::challenge(ctx, &id),
        Route::VerifyChallenge(id) => challenges::verify(ctx, &id),
        Route::CreateUser => users::create(ctx),
        Route::GetUser(id) => users::get(ctx, &id),
        Route::DeleteUser(id) => users::delete(ctx, &id),
        Route::EnrollAuthFactor(id) => authkit::enroll(ctx, &id),
        Route::ListAuthFactors(id) => authkit::list(ctx, &id),
        Route::Health | Route::Control(_) | Route::NotFound | Route::MethodNotAllowed { .. } => {
            Err(ApiError::Internal(
                "routes without a handler are answered before dispatch".to_owned(),
            ))
        }
    }
}

/// `GET /health`
pub fn health() -> ApiResponse {
    ApiResponse::json(StatusCode::OK, json!({"status": "ok"}))
}

/// `None` for an absent or empty string: SDKs send `""` for unused fields.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.is_empty())
}
