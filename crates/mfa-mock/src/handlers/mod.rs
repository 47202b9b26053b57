//! The operations, one file per group, and what they share: the request
//! context, body parsing against the schemas, and query checks.
//!
//! The WorkOS operations and the `/_mock/` controls get the same [`Ctx`] and
//! parse bodies and queries through the same functions, so a bad fault body is
//! refused in the same 422 shape as a bad enroll. A context holds exactly what
//! handlers use (settings, schemas, store, tenant, request), never the whole
//! application: handlers cannot reach the pipeline that calls them. Routing
//! lives in `router.rs`, which names these handlers; they never name it.

pub(crate) mod authkit;
pub(crate) mod challenges;
pub(crate) mod control;
pub(crate) mod factors;
pub(crate) mod signin;
pub(crate) mod users;

use std::cell::RefCell;

use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::config::Config;
use crate::error::{ApiError, FieldError};
use crate::request::{ApiRequest, JsonBody};
use crate::response::ApiResponse;
use crate::store::{Store, Tenant};
use crate::validation::{BodySchema, RequestSchemas};

/// What a handler returns; the pipeline turns an error into its response.
pub(crate) type Answer = Result<ApiResponse, ApiError>;

/// What every handler may use, key or no key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    /// The settings the server started with.
    pub(crate) config: &'a Config,
    /// The compiled request schemas.
    pub(crate) schemas: &'a RequestSchemas,
    /// Every tenant.
    pub(crate) store: &'a Store,
    /// The request.
    pub(crate) request: &'a ApiRequest,
    /// The path's `:id` segment, decoded (empty when the route has none).
    pub(crate) id: &'a str,
}

/// What a keyed handler works with: [`Env`], and the tenant the key chose.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) config: &'a Config,
    pub(crate) schemas: &'a RequestSchemas,
    pub(crate) store: &'a Store,
    pub(crate) request: &'a ApiRequest,
    pub(crate) id: &'a str,
    /// The API key that chose the tenant.
    pub(crate) api_key: &'a str,
    /// The request's tenant.
    pub(crate) tenant: &'a Tenant,
    /// The `X-Request-Id` the response will carry and the journal file it under.
    pub(crate) request_id: &'a str,
    /// What the request got away with (unknown fields, nulls), for the journal.
    problems: RefCell<Vec<FieldError>>,
}

impl<'a> Ctx<'a> {
    /// The context of a request whose key `api_key` chose `tenant`.
    pub(crate) fn new(
        env: Env<'a>,
        api_key: &'a str,
        tenant: &'a Tenant,
        request_id: &'a str,
    ) -> Self {
        Self {
            config: env.config,
            schemas: env.schemas,
            store: env.store,
            request: env.request,
            id: env.id,
            api_key,
            tenant,
            request_id,
            problems: RefCell::new(Vec::new()),
        }
    }

    /// What the request got away with, and what it was refused for.
    pub(crate) fn into_problems(self) -> Vec<FieldError> {
        self.problems.into_inner()
    }

    fn now(&self) -> Timestamp {
        self.tenant.clock.now()
    }

    fn note(&self, problems: impl IntoIterator<Item = FieldError>) {
        self.problems.borrow_mut().extend(problems);
    }

    /// The body as a JSON object; keys sent as `null` are dropped and noted.
    fn json(&self) -> Result<Value, ApiError> {
        let JsonBody { object, nulls } = self.request.json_body()?;
        self.note(nulls.iter().map(|field| {
            let message =
                format!("`{field}` was sent as null; it was ignored. Leave the field out instead.");
            FieldError::new(field, "null", message)
        }));
        Ok(Value::Object(object))
    }

    /// Checks `body` against `schema`: unknown fields are noted, broken rules refused.
    fn check(&self, schema: BodySchema, body: &Value) -> Result<(), ApiError> {
        let findings = self
            .schemas
            .check(schema, body)
            .map_err(ApiError::Internal)?;
        self.note(findings.tolerated);
        if findings.rejected.is_empty() {
            return Ok(());
        }
        self.note(findings.rejected.iter().cloned());
        Err(ApiError::Validation(findings.rejected))
    }

    /// The body, checked against `schema`, as `T`.
    fn body<T: DeserializeOwned>(&self, schema: BodySchema) -> Result<T, ApiError> {
        let body = self.json()?;
        self.check(schema, &body)?;
        serde_json::from_value(body)
            .map_err(|error| ApiError::invalid("body", "invalid", error.to_string()))
    }

    /// A control's body as `T`, then as `U` by `validate`, through the same
    /// parsing and schema check as [`Self::body`].
    ///
    /// The body's own type and `validate` speak first, so each control's errors
    /// keep the wording its users know (and show `example` when the body does
    /// not fit at all); the schema then refuses anything they let through.
    fn control_body<T: DeserializeOwned, U>(
        &self,
        schema: BodySchema,
        example: &str,
        validate: impl FnOnce(T) -> Result<U, ApiError>,
    ) -> Result<U, ApiError> {
        let body = self.json()?;
        let parsed: T = serde_json::from_value(body.clone()).map_err(|error| {
            ApiError::invalid("body", "invalid", format!("{error}. Send e.g. {example}"))
        })?;
        let valid = validate(parsed)?;
        self.check(schema, &body)?;
        Ok(valid)
    }

    /// Refuses any query parameter outside `allowed`.
    fn query(&self, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
        self.query_described(allowed, |name| match allowed {
            [] => format!("`{name}` is not a query parameter of this endpoint; it takes none."),
            _ => format!(
                "`{name}` is not a query parameter of this endpoint; use {}.",
                allowed.join(", ")
            ),
        })
    }

    /// [`Self::query`], with `unknown` saying what to send instead of a parameter.
    fn query_described(
        &self,
        allowed: &[&str],
        unknown: impl Fn(&str) -> String,
    ) -> Result<Vec<(String, String)>, ApiError> {
        let params = self.request.query_params();
        let refused: Vec<FieldError> = params
            .iter()
            .filter(|(name, _)| !allowed.contains(&name.as_str()))
            .map(|(name, _)| FieldError::new(name, "unknown_parameter", unknown(name)))
            .collect();
        if refused.is_empty() {
            return Ok(params);
        }
        self.note(refused.iter().cloned());
        Err(ApiError::Validation(refused))
    }
}

/// `GET /health`: `{"status": "ok"}`. With `?stats=1` it also says how many
/// tenants the store holds, how many it has evicted and the bytes they hold
/// (estimated), so a long-running server's memory can be watched without a
/// key; plain `/health` stays the fixed body health checks compare against.
pub(crate) fn health(env: &Env<'_>) -> Result<ApiResponse, ApiError> {
    let wants_stats = env
        .request
        .query_params()
        .iter()
        .any(|(name, value)| name == "stats" && value != "0" && value != "false");
    if !wants_stats {
        return Ok(ApiResponse::json(StatusCode::OK, json!({"status": "ok"})));
    }
    let stats = env.store.stats();
    Ok(ApiResponse::json(
        StatusCode::OK,
        json!({
            "status": "ok",
            "tenants": stats.tenants,
            "evicted_tenants": stats.evicted_tenants,
            "store_bytes": stats.store_bytes,
        }),
    ))
}

/// `None` for an absent or empty string: SDKs send `""` for unused fields.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.is_empty())
}
