//! The application: its state, and the one function from request to response.
//!
//! [`App::handle`] is synchronous and socket-free. For a WorkOS route it runs
//! the pipeline every request goes through: authenticate (the key picks the
//! tenant), apply any injected fault, honour `Idempotency-Key`, run the
//! handler, journal the request. `/_mock/` controls skip faults and the journal.

use http::{HeaderName, HeaderValue, Method};

use crate::auth;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::error::ApiError;
use crate::faults::Fault;
use crate::handlers::{self, Ctx};
use crate::ids::{Entropy, IdKind};
use crate::journal::JournalEntry;
use crate::persist;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::router::{Route, route};
use crate::seed;
use crate::store::{Begin, Store, TenantTemplate};
use crate::validation::RequestSchemas;

/// Everything a request can reach: settings, state, and the sources of time and randomness.
#[derive(Debug)]
pub struct App {
    /// The settings the server started with.
    pub config: Config,
    /// All tenants' objects.
    pub store: Store,
    /// Request ids (tenants draw their own ids, secrets and codes).
    pub entropy: Entropy,
    /// The compiled request schemas.
    pub schemas: RequestSchemas,
}

impl App {
    /// An application with `config`, its seed tenants and then its state file
    /// loaded; fails if either is invalid (or the embedded schemas broken).
    pub fn new(config: Config) -> Result<Self, String> {
        let template = TenantTemplate {
            clock: config.clock.clone(),
            freeze_at: config.freeze_at,
            seed: config.seed,
            journal_capacity: config.journal_capacity,
            outbox_capacity: config.outbox_capacity,
        };
        let app = Self {
            schemas: RequestSchemas::compile()?,
            store: Store::new(template),
            entropy: config.seed.map_or_else(Entropy::from_os, Entropy::seeded),
            config,
        };
        seed::apply(&app, &app.config.seeds)?;
        if let Some(path) = &app.config.state_file
            && let Some(saved) = persist::load(path)?
        {
            seed::apply(&app, &saved)?;
        }
        Ok(app)
    }

    /// The server's time (each tenant's clock may differ).
    pub fn now(&self) -> Timestamp {
        self.config.clock.now()
    }

    /// A fresh `X-Request-Id` for a request no tenant claimed.
    pub fn request_id(&self) -> String {
        self.entropy.id(IdKind::Request, self.now())
    }

    /// The response to `request`. For a request with a valid key it carries the
    /// `X-Request-Id` it was journaled under, drawn from the tenant.
    pub fn handle(&self, request: &ApiRequest) -> ApiResponse {
        let route = route(&request.method, &request.path);
        if route == Route::Health {
            return handlers::health();
        }
        let key = match auth::api_key(&request.headers, &self.config.api_keys) {
            Ok(key) => key,
            Err(error) => {
                return route_error(request, &route)
                    .unwrap_or(error)
                    .into_response();
            }
        };
        let tenant = self.store.tenant(key);
        let request_id = tenant.request_ids.id(IdKind::Request, tenant.clock.now());
        let mut response = match route {
            Route::Control(control) => {
                handlers::control::dispatch(self, key, &tenant, request, control)
            }
            route => {
                let ctx = Ctx::new(self, &tenant, request);
                let response = match route_error(request, &route) {
                    Some(error) => error.into_response(),
                    None => serve(&ctx, route),
                };
                let status = response.status.as_u16();
                let problems = ctx.into_problems();
                let now = tenant.clock.now();
                let entry = JournalEntry::new(&request_id, request, status, problems, now);
                tenant.journal.push(entry);
                response
            }
        };
        response.request_id = Some(request_id);
        response
    }
}

/// A fault's failure (or delay), else the handler's answer.
fn serve(ctx: &Ctx<'_>, route: Route) -> ApiResponse {
    let fault = ctx
        .tenant
        .faults
        .take(ctx.request.method.as_str(), &ctx.request.path);
    let mut response = match fault.as_ref().and_then(Fault::response) {
        Some(failure) => failure,
        None => idempotent(ctx, route),
    };
    response.delay = fault.as_ref().and_then(Fault::delay);
    response
}

/// Runs the handler, unless the request's `Idempotency-Key` was seen before.
fn idempotent(ctx: &Ctx<'_>, route: Route) -> ApiResponse {
    let run = || handlers::dispatch(ctx, route).unwrap_or_else(ApiError::into_response);
    let Some((scope, key)) = idempotency_key(ctx.request) else {
        return run();
    };
    let idempotency = &ctx.tenant.idempotency;
    match idempotency.begin(&scope, &ctx.request.body) {
        Begin::Fresh => {
            let response = run();
            idempotency.finish(&scope, &response);
            response
        }
        Begin::Replay(response) => response.with_header(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        ),
        Begin::BodyMismatch => ApiError::IdempotencyKeyReused(key).into_response(),
        Begin::InFlight => ApiError::IdempotencyKeyInUse(key).into_response(),
    }
}

/// The key's scope (method, path, key) and the key itself, for a POST that sends one.
fn idempotency_key(request: &ApiRequest) -> Option<(String, String)> {
    if request.method != Method::POST {
        return None;
    }
    let key = request
        .headers
        .get("idempotency-key")?
        .to_str()
        .ok()?
        .trim();
    (!key.is_empty()).then(|| (format!("POST {}\n{key}", request.path), key.to_owned()))
}

fn route_error(request: &ApiRequest, route: &Route) -> Option<ApiError> {
    match route {
        Route::NotFound => Some(ApiError::RouteNotFound {
            method: request.method.to_string(),
            path: request.path.clone(),
        }),
        Route::MethodNotAllowed { pattern, allowed } => Some(ApiError::MethodNotAllowed {
            method: request.method.to_string(),
            pattern,
            allowed,
        }),
        _ => None,
    }
}
