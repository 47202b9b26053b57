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
//! YAML or JSON (JSON is YAML). Each tenant takes the fields of a
//! `GET /_mock/state` document.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::state::{self, ChallengeRecord, FactorRecord, TenantState, UserRecord};
use crate::store::Store;

/// A whole seed file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// One entry per API key.
    pub tenants: Vec<SeedTenant>,
}

/// The starting state of one API key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTenant {
    /// The key whose tenant this fills.
    pub api_key: String,
    /// Where the tenant's clock starts frozen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_at: Option<String>,
    /// Its users.
    #[serde(default)]
    pub users: Vec<UserRecord>,
    /// Its factors.
    #[serde(default)]
    pub factors: Vec<FactorRecord>,
    /// Its challenges.
    #[serde(default)]
    pub challenges: Vec<ChallengeRecord>,
}

impl SeedFile {
    /// Parses a seed file's text (YAML or JSON); errors name the line and field.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_yaml_ng::from_str(text).map_err(|error| format!("seed file: {error}"))
    }
}

/// Loads every tenant of `seeds` into `store`.
pub(crate) fn apply(store: &Store, seeds: &SeedFile) -> Result<(), String> {
    for (index, seed) in seeds.tenants.iter().enumerate() {
        let at = format!("seed file: tenants[{index}] ({})", seed.api_key);
        if seed.api_key.starts_with("sk_live_") {
            return Err(format!(
                "{at}: live keys (sk_live_...) are never accepted; use an sk_test_ key"
            ));
        }
        let tenant = store.tenant(&seed.api_key);
        if let Some(text) = &seed.freeze_at {
            let at_time = Timestamp::parse(text).ok_or_else(|| {
                format!("{at}: freeze_at must be an RFC 3339 timestamp; got \"{text}\"")
            })?;
            tenant.clock.freeze_at(at_time);
        }
        let document = TenantState {
            users: seed.users.clone(),
            factors: seed.factors.clone(),
            challenges: seed.challenges.clone(),
            ..TenantState::default()
        };
        state::import(&tenant, &document).map_err(|problems| {
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
}
