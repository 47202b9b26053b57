//! `GET` and `DELETE /_mock/requests`: the tenant's request journal.

use super::list as list_json;
use crate::handlers::Answer;
use crate::handlers::Ctx;
use crate::journal::JournalEntry;
use crate::response::ApiResponse;

/// The journaled requests, newest first.
pub(crate) fn list(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    let entries = ctx.tenant.journal.list(|_| true);
    Ok(list_json(
        &entries
            .iter()
            .map(JournalEntry::to_json)
            .collect::<Vec<_>>(),
    ))
}

/// Empties the journal.
pub(crate) fn clear(ctx: &Ctx<'_>) -> Answer {
    ctx.query(&[])?;
    ctx.tenant.journal.clear();
    Ok(ApiResponse::no_content())
}
