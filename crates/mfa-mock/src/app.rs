//! The application: its state, and the one path every request takes.
//!
//! [`App::handle`] is synchronous and socket-free. It looks the request up in
//! the route table (`router.rs`) and serves the row the way its kind says:
//!
//! - public rows (`/health`) run with no key;
//! - keyed rows let the API key pick the tenant, then build one [`Ctx`];
//!   WorkOS rows also pass through injected faults, `Idempotency-Key` and the
//!   request journal, while `/_mock/` controls skip those so a test can always
//!   reach them;
//! - a path the table does not know, or a method it does not take, is answered
//!   with the route error (before the key is checked, because a wrong route is
//!   the more useful thing to hear) and journaled like any WorkOS request.
//!
//! This module composes the others and is imported by none but `server.rs`
//! and `lib.rs`; it owns start-up (seed tenants, then the state file).

use std::sync::Arc;

use http::{HeaderName, HeaderValue, Method};

use crate::auth;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::error::ApiError;
use crate::faults::Fault;
use crate::handlers::{Answer, Ctx, Env};
use crate::ids::{Entropy, IdKind};
use crate::journal::JournalEntry;
use crate::persist::Persistence;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::router::{self, Handler, Resolved};
use crate::seed;
use crate::store::{Begin, Limits, MAX_OBJECTS, Store, Tenant, TenantTemplate};
use crate::validation::RequestSchemas;

/// Everything a request can reach: settings, state, and the sources of time and randomness.
#[derive(Debug)]
pub struct App {
    pub(crate) config: Config,
    pub(crate) store: Store,
    /// Request ids for requests no tenant claimed (tenants draw their own).
    entropy: Entropy,
    schemas: RequestSchemas,
    /// The state file and its change log, with `--state-file`.
    pub(crate) persistence: Option<Persistence>,
}

impl App {
    /// An application with `config`, its seed tenants and then its state file
    /// (and change log) loaded and compacted; fails if either is invalid, the
    /// state file's folder is not writable (or the embedded shared schemas broken).
    pub fn new(config: Config) -> Result<Self, String> {
        let mut app = Self {
            schemas: RequestSchemas::load()?,
            store: Store::with_limits(template(&config), limits(&config)),
            entropy: config.seed.map_or_else(Entropy::from_os, Entropy::seeded),
            config,
            persistence: None,
        };
        seed::apply(&app.store, &app.config.seeds)?;
        // Keys named at start are what a deployment relies on: never evicted.
        let named = app
            .config
            .seeds
            .tenants
            .iter()
            .filter_map(|t| t.api_key.as_ref());
        for api_key in named.chain(&app.config.api_keys) {
            app.store.pin(api_key);
        }
        if let Some(path) = &app.config.state_file {
            let (files, saved) = Persistence::open(path)?;
            if let Some(saved) = saved {
                seed::apply(&app.store, &saved)
                    .map_err(|error| format!("state file {}: {error}", path.display()))?;
            }
            files.compact(&app.store)?;
            app.persistence = Some(files);
        }
        Ok(app)
    }

    /// The settings the server started with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The server's time (each tenant's clock may differ).
    pub fn now(&self) -> Timestamp {
        self.config.clock.now()
    }

    /// The tenant of `api_key`, created empty on first use; for tests and tools
    /// that look behind the API.
    pub fn tenant(&self, api_key: &str) -> Arc<Tenant> {
        self.store.tenant(api_key)
    }

    /// Forgets every tenant, as if the server had just started with no seeds.
    pub fn forget_all_tenants(&self) {
        for (api_key, _) in self.store.tenants() {
            self.store.reset(&api_key);
        }
    }

    /// A fresh `X-Request-Id` for a request no tenant claimed.
    pub fn request_id(&self) -> String {
        self.entropy.id(IdKind::Request, self.now())
    }

    /// The response to `request`. For a request with a valid key it carries the
    /// `X-Request-Id` it was journaled under, drawn from the tenant.
    ///
    /// A `HEAD` runs the `GET` row and answers with its whole response: the
    /// HTTP layer sends the headers and `Content-Length` without the body.
    pub fn handle(&self, request: &ApiRequest) -> ApiResponse {
        let (step, id) = match router::resolve(&request.method, &request.path) {
            Resolved::Found { row, id } => (Ok(row.handler), id),
            Resolved::NotAllowed(error) | Resolved::NotFound(error) => (Err(error), String::new()),
        };
        let env = Env {
            config: &self.config,
            schemas: &self.schemas,
            store: &self.store,
            request,
            id: &id,
        };
        match step {
            Ok(Handler::Public(handler)) => answer(handler(&env)),
            Ok(Handler::Api(handler)) => {
                self.keyed(env, None, |ctx| journaled(ctx, |ctx| serve(ctx, handler)))
            }
            Ok(Handler::Control(handler)) => self.keyed(env, None, |ctx| answer(handler(&ctx))),
            Err(error) => self.keyed(env, Some(error.clone()), |ctx| {
                journaled(ctx, |_| error.into_response())
            }),
        }
    }

    /// Lets the request's API key pick the tenant and runs `run` in its context;
    /// without a valid key, the answer is `route_error` if there is one, else 401.
    fn keyed(
        &self,
        env: Env<'_>,
        route_error: Option<ApiError>,
        run: impl FnOnce(Ctx<'_>) -> ApiResponse,
    ) -> ApiResponse {
        let key = match auth::api_key(&env.request.headers, &self.config.api_keys) {
            Ok(key) => key,
            Err(error) => {
                let reason = match &error {
                    ApiError::Unauthorized { reason } => reason,
                    _ => "live keys (sk_live_) are always refused by this test server",
                };
                // SDKs show only "Unauthorized": the log is where a user finds out why.
                tracing::info!(
                    method = %env.request.method,
                    path = %env.request.path,
                    key = %auth::presented(&env.request.headers),
                    reason,
                    "401 Unauthorized"
                );
                return route_error.unwrap_or(error).into_response();
            }
        };
        let tenant = self.store.tenant(key);
        let request_id = tenant.request_ids.id(IdKind::Request, tenant.clock.now());
        let changes = !matches!(env.request.method, Method::GET | Method::HEAD);
        let mut response = run(Ctx::new(env, key, &tenant, &request_id));
        if changes {
            // Before the response leaves: the state file's next flush sees it.
            tenant.mark_dirty();
        }
        response.request_id = Some(request_id);
        response
    }
}

/// How many tenants the store keeps, from the settings.
fn limits(config: &Config) -> Limits {
    Limits {
        max_tenants: config.max_tenants.max(1),
        idle: config.tenant_idle,
        budget_bytes: config.store_budget_bytes,
    }
}

/// What a new tenant starts with, from the settings.
fn template(config: &Config) -> TenantTemplate {
    TenantTemplate {
        clock: config.clock.clone(),
        freeze_at: config.freeze_at,
        seed: config.seed,
        journal_capacity: config.journal_capacity,
        outbox_capacity: config.outbox_capacity,
    }
}

fn answer(result: Answer) -> ApiResponse {
    result.unwrap_or_else(ApiError::into_response)
}

/// Runs `run`, then writes the request, its status and its problems to the
/// tenant's journal.
fn journaled(ctx: Ctx<'_>, run: impl FnOnce(&Ctx<'_>) -> ApiResponse) -> ApiResponse {
    let response = run(&ctx);
    let (tenant, request, request_id) = (ctx.tenant, ctx.request, ctx.request_id);
    let status = response.status.as_u16();
    let entry = JournalEntry::new(
        request_id,
        request,
        status,
        ctx.into_problems(),
        tenant.clock.now(),
    );
    tenant.journal.push(entry);
    response
}

/// A fault's failure (or delay), else the handler's answer.
fn serve(ctx: &Ctx<'_>, handler: fn(&Ctx<'_>) -> Answer) -> ApiResponse {
    let fault = ctx
        .tenant
        .faults
        .take(ctx.request.method.as_str(), &ctx.request.path);
    let mut response = match fault.as_ref().and_then(Fault::response) {
        Some(failure) => failure,
        None if creates_objects(ctx.request) && ctx.tenant.is_full() => {
            ApiError::invalid(
                "body",
                "tenant_object_limit",
                format!("This API key holds {MAX_OBJECTS} objects (or 64 MiB of them), the most one key may; delete some, or POST /_mock/reset, before creating more."),
            )
            .into_response()
        }
        None => idempotent(ctx, handler),
    };
    response.delay = fault.as_ref().and_then(Fault::delay);
    response
}

/// Whether `request` may create objects: every WorkOS POST but a verify.
fn creates_objects(request: &ApiRequest) -> bool {
    request.method == Method::POST && !request.path.ends_with("/verify")
}

/// Runs the handler, unless the request's `Idempotency-Key` was seen before.
fn idempotent(ctx: &Ctx<'_>, handler: fn(&Ctx<'_>) -> Answer) -> ApiResponse {
    let run = || answer(handler(ctx));
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
