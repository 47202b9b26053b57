//! Seed files (`--seed-file`): users, factors and challenges, with pinned ids,
//! known TOTP secrets and an optional frozen time, loaded into named API keys
//! at start, so a test suite begins from a known world.
//!
//! ```yaml
//! tenants:
//!   - api_key: sk_test_ci
//!     freeze_at: "2026-01-15T12:00:00Z"
//!     users:
//!       - { id: user_ada, email: ada@example.com }
//!     factors:
//!       - id: auth_factor_ada
//!         type: totp
//!         user_id: user_ada
//!         totp: { issuer: Foo Corp, user: ada@example.com, secret: JBSWY3DPEHPK3PXP }
//! ```
//!
//! YAML or JSON (JSON is YAML). Each tenant is a `GET /_mock/state` document
//! ([`TenantState`], owned by `state.rs`) with its `api_key`; this module only
//! parses the file and applies it to a store. Reading and writing the state
//! file is `persist.rs`'s.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::state::{self, TenantState};
use crate::store::Store;

/// A whole seed file (or state file): one state document per API key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// One entry per API key, each naming its `api_key`.
    pub(crate) tenants: Vec<TenantState>,
    /// State files only: the last change-log line this file includes, so a
    /// restart replays only newer ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) log_sequence: Option<u64>,
    /// The server's token-signing key (PKCS#8 PEM), so tokens issued before a
    /// restart still verify after it; made on first use when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) signing_key: Option<String>,
}

impl SeedFile {
    /// Parses a seed file's text (YAML or JSON); errors name the line and field.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_yaml_ng::from_str(text).map_err(|error| format!("seed file: {error}"))
    }
}

/// Loads every tenant of `seeds` into `store`.
pub(crate) fn apply(store: &Store, seeds: &SeedFile) -> Result<(), String> {
    if let Some(pem) = &seeds.signing_key {
        store.signer.restore(pem.clone());
    }
    for (index, seed) in seeds.tenants.iter().enumerate() {
        let api_key = seed.api_key.as_deref().unwrap_or_default();
        let at = format!("seed file: tenants[{index}] ({api_key})");
        if api_key.is_empty() {
            return Err(format!(
                "{at}: api_key is required, e.g. api_key: sk_test_ci"
            ));
        }
        if api_key.starts_with("sk_live_") {
            return Err(format!(
                "{at}: live keys (sk_live_...) are never accepted; use an sk_test_ key"
            ));
        }
        let tenant = store.tenant(api_key);
        if let Some(text) = &seed.freeze_at {
            let at_time = Timestamp::parse(text).ok_or_else(|| {
                format!("{at}: freeze_at must be an RFC 3339 timestamp; got \"{text}\"")
            })?;
            tenant.clock.freeze_at(at_time);
        }
        state::import(&tenant, seed).map_err(|problems| {
            let list: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            format!("{at}: {}", list.join(" "))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"
tenants:
  - api_key: sk_test_ci
    freeze_at: "2026-01-15T12:00:00Z"
    users:
      - { id: user_ada, email: ada@example.com }
    factors:
      - id: auth_factor_ada
        type: totp
        user_id: user_ada
        totp: { issuer: Foo Corp, user: ada@example.com, secret: JBSWY3DPEHPK3PXP }
"#;

    #[test]
    fn a_yaml_seed_loads_pinned_ids_secrets_and_a_frozen_clock() {
        let store = Store::default();
        apply(&store, &SeedFile::parse(SEED).expect("parses")).expect("applies");
        let tenant = store.tenant("sk_test_ci");
        assert!(tenant.user("user_ada").is_some());
        assert!(tenant.factor("auth_factor_ada").is_some());
        assert_eq!(tenant.clock.now().to_string(), "2026-01-15T12:00:00.000Z");
    }

    #[test]
    fn json_seeds_parse_too() {
        let json = r#"{"tenants": [{"api_key": "sk_test_j", "users": [{"email": "a@b.c"}]}]}"#;
        assert_eq!(
            SeedFile::parse(json).expect("parses").tenants[0]
                .users
                .len(),
            1
        );
    }

    #[test]
    fn mistakes_are_reported_with_where_they_are() {
        let unknown = SeedFile::parse("tenants:\n  - api_key: k\n    userz: []\n")
            .expect_err("unknown field");
        assert!(unknown.contains("userz"), "{unknown}");
        let live = SeedFile::parse("tenants:\n  - api_key: sk_live_x\n").expect("parses");
        let error = apply(&Store::default(), &live).expect_err("live key");
        assert!(error.contains("sk_live_"), "{error}");
    }

    #[test]
    fn a_seed_entry_is_a_state_document_with_its_api_key() {
        let exported = "tenants:\n  - object: state\n    api_key: sk_test_s\n    clock: { now: \"2026-01-15T12:00:00Z\", frozen: true }\n    users: [{ email: a@b.c }]\n";
        let store = Store::default();
        apply(&store, &SeedFile::parse(exported).expect("parses")).expect("applies");
        let tenant = store.tenant("sk_test_s");
        assert_eq!(tenant.clock.now().to_string(), "2026-01-15T12:00:00.000Z");
        assert_eq!(state::export(&tenant).users.len(), 1);

        let keyless = SeedFile::parse("tenants:\n  - users: []\n").expect("parses");
        let error = apply(&Store::default(), &keyless).expect_err("no key");
        assert!(error.contains("api_key is required"), "{error}");
    }
}
