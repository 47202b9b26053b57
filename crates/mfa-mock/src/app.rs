//! The application: its state, and the one function from request to response.
//!
//! [`App::handle`] is synchronous and socket-free: authenticate, route, run the
//! handler, turn any error into its response. `server.rs` calls it for every
//! request; unit tests call it directly.

use crate::auth;
use crate::clock::Timestamp;
use crate::config::Config;
use crate::error::ApiError;
use crate::handlers::{self, Ctx};
use crate::ids::Entropy;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::router::{Route, route};
use crate::store::Store;
use crate::validation::RequestSchemas;

/// Everything a request can reach: settings, state, and the sources of time and randomness.
#[derive(Debug)]
pub struct App {
    /// The settings the server started with.
    pub config: Config,
    /// All tenants' objects.
    pub store: Store,
    /// Ids, secrets and codes.
    pub entropy: Entropy,
    /// The compiled request schemas.
    pub schemas: RequestSchemas,
}

impl App {
    /// An empty application with `config`; fails only if the embedded schemas are broken.
    pub fn new(config: Config) -> Result<Self, String> {
        let entropy = config.seed.map_or_else(Entropy::from_os, Entropy::seeded);
        Ok(Self {
            schemas: RequestSchemas::compile()?,
            store: Store::default(),
            entropy,
            config,
        })
    }

    /// The current time by the configured clock.
    pub fn now(&self) -> Timestamp {
        self.config.clock.now()
    }

    /// The response to `request`.
    pub fn handle(&self, request: &ApiRequest) -> ApiResponse {
        self.dispatch(request)
            .unwrap_or_else(ApiError::into_response)
    }

    fn dispatch(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let route = match route(&request.method, &request.path) {
            Route::Health => return Ok(handlers::health()),
            Route::NotFound => {
                return Err(ApiError::RouteNotFound {
                    method: request.method.to_string(),
                    path: request.path.clone(),
                });
            }
            Route::MethodNotAllowed { pattern, allowed } => {
                return Err(ApiError::MethodNotAllowed {
                    method: request.method.to_string(),
                    pattern,
                    allowed,
                });
            }
            route => route,
        };
        let key = auth::api_key(&request.headers, &self.config.api_keys)?;
        let tenant = self.store.tenant(key);
        let ctx = Ctx {
            app: self,
            tenant: &tenant,
            request,
        };
        handlers::dispatch(&ctx, route)
    }
}
