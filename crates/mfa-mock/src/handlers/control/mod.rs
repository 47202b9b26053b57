//! The test controls under `/_mock/`: each is scoped to the request's API key,
//! takes and returns JSON, and is neither journaled nor subject to faults.

mod clock;
mod faults;
mod outbox;
mod state;

use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::journal::JournalEntry;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::router::Control;
use crate::store::Tenant;

/// The response to the control request `control` of the tenant of `api_key`.
pub fn dispatch(
    app: &App,
    api_key: &str,
    tenant: &Tenant,
    request: &ApiRequest,
    control: Control,
) -> ApiResponse {
    let result = match control {
        Control::GetClock => no_query(request).map(|()| clock::show(tenant)),
        Control::SetClock => clock::change(tenant, request),
        Control::ListSms => outbox::list(tenant, request),
        Control::ClearSms => no_query(request).map(|()| {
            tenant.outbox.clear();
            ApiResponse::no_content()
        }),
        Control::ListRequests => no_query(request).map(|()| {
            list(
                &tenant
                    .journal
                    .list(|_| true)
                    .iter()
                    .map(JournalEntry::to_json)
                    .collect::<Vec<_>>(),
            )
        }),
        Control::ClearRequests => no_query(request).map(|()| {
            tenant.journal.clear();
            ApiResponse::no_content()
        }),
        Control::ListFaults => no_query(request).map(|()| list(&tenant.faults.list())),
        Control::AddFault => faults::add(tenant, request),
        Control::RemoveFault(id) => faults::remove(tenant, &id),
        Control::Reset => no_query(request).map(|()| {
            app.store.reset(api_key);
            ApiResponse::no_content()
        }),
        Control::ExportState => no_query(request).map(|()| state::export(tenant)),
        Control::ImportState => state::import(tenant, request),
    };
    result.unwrap_or_else(ApiError::into_response)
}

/// `{"object": "list", "data": items}`, newest first as the caller ordered them.
fn list<T: Serialize>(items: &[T]) -> ApiResponse {
    ApiResponse::json(StatusCode::OK, json!({"object": "list", "data": items}))
}

/// The request body as `T`; a body that does not fit says what to send.
fn body<T: DeserializeOwned>(request: &ApiRequest, example: &str) -> Result<T, ApiError> {
    let object = Value::Object(request.json_object()?);
    serde_json::from_value(object).map_err(|error| {
        ApiError::invalid("body", "invalid", format!("{error}. Send e.g. {example}"))
    })
}

fn no_query(request: &ApiRequest) -> Result<(), ApiError> {
    super::query_params(request, &[])
        .map(|_| ())
        .map_err(ApiError::Validation)
}
