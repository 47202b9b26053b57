//! The state file (`--state-file`): every API key's users, factors and
//! challenges, loaded at start when the file exists and written at graceful
//! shutdown, so a restarted server carries on where it stopped.
//!
//! The file is a seed file (see `seed.rs`), so it can also seed other runs. The
//! SMS outbox, request journal, faults and idempotency keys are not kept: they
//! describe a run, not the world it built.
//!
//! This is the only code that reads or writes the state file; `app.rs` calls
//! `load` at start and `server.rs` calls `save` at shutdown. The document
//! is `state.rs`'s and applying it is `seed.rs`'s: this module only moves it
//! between the store and the disk, atomically.

use std::io;
use std::path::Path;

use crate::seed::SeedFile;
use crate::state::{self, TenantState};
use crate::store::Store;

/// The seed file at `path`, or `None` when there is no file yet.
pub(crate) fn load(path: &Path) -> Result<Option<SeedFile>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => SeedFile::parse(&text)
            .map(Some)
            .map_err(|error| format!("state file {}: {error}", path.display())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!(
            "cannot read the state file {}: {error}",
            path.display()
        )),
    }
}

/// Writes every API key that holds anything to `path`, replacing it atomically.
pub(crate) fn save(store: &Store, path: &Path) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(&snapshot(store)).map_err(io::Error::other)?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, json)?;
    std::fs::rename(&partial, path)
}

/// Every API key with users, factors, challenges or a frozen clock.
pub(crate) fn snapshot(store: &Store) -> SeedFile {
    let mut tenants: Vec<TenantState> = store
        .tenants()
        .into_iter()
        .filter_map(|(api_key, tenant)| {
            let exported = state::export(&tenant);
            let frozen = tenant.clock.is_frozen();
            let empty = exported.users.is_empty() && exported.factors.is_empty();
            (!empty || frozen).then(|| TenantState {
                object: None,
                api_key: Some(api_key),
                freeze_at: frozen.then(|| tenant.clock.now().to_string()),
                clock: None,
                ..exported
            })
        })
        .collect();
    tenants.sort_by(|a, b| a.api_key.cmp(&b.api_key));
    SeedFile {
        tenants,
        signing_key: store.signer.saved_pem(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_store_loads_back_with_the_same_objects() {
        let seeds = SeedFile::parse(
            "tenants:\n  - api_key: sk_test_a\n    freeze_at: \"2026-01-15T12:00:00Z\"\n    users: [{ id: user_ada, email: ada@example.com }]\n    factors: [{ id: auth_factor_ada, type: totp, user_id: user_ada, totp: { issuer: Foo, user: ada, secret: JBSWY3DPEHPK3PXP } }]\n",
        )
        .expect("parses");
        let first = Store::default();
        crate::seed::apply(&first, &seeds).expect("seeds");
        first.tenant("sk_test_empty");
        let path = std::env::temp_dir().join(format!("mfa-mock-state-{}.json", std::process::id()));

        save(&first, &path).expect("saves");
        let loaded = load(&path).expect("reads").expect("exists");
        let _ = std::fs::remove_file(&path);

        assert_eq!(loaded.tenants.len(), 1, "empty keys are not written");
        let second = Store::default();
        crate::seed::apply(&second, &loaded).expect("restarts");
        let (a, b) = (first.tenant("sk_test_a"), second.tenant("sk_test_a"));
        assert_eq!(state::export(&a), state::export(&b));
    }

    #[test]
    fn a_missing_state_file_is_a_fresh_start() {
        let path = std::env::temp_dir().join("mfa-mock-state-that-does-not-exist.json");
        assert!(load(&path).expect("no error").is_none());
    }
}
