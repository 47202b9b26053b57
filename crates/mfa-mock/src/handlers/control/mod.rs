//! The test controls under `/_mock/`: clock, SMS outbox, request journal,
//! faults, settings and state. Each is scoped to the request's API key through the same
//! [`Ctx`](super::Ctx) as the WorkOS operations, parses bodies and queries the same way,
//! and is neither journaled nor subject to faults (the pipeline in `app.rs`
//! decides that from the route table, not from here).

pub(crate) mod clock;
pub(crate) mod faults;
pub(crate) mod journal;
pub(crate) mod outbox;
pub(crate) mod settings;
pub(crate) mod state;

use http::StatusCode;
use serde::Serialize;
use serde_json::json;

use crate::response::ApiResponse;

/// `{"object": "list", "data": items}`, newest first as the caller ordered them.
fn list<T: Serialize>(items: &[T]) -> ApiResponse {
    ApiResponse::json(StatusCode::OK, json!({"object": "list", "data": items}))
}
