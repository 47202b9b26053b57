//! API keys: fresh ones per fixture run, fixed ones per fixture, or the ones an operator
//! supplied.
//!
//! Every fixture run gets its own `main` and `other` keys unless the operator supplied
//! them, so runs never see each other's data. Fresh keys suit a server that is already
//! running; fixed keys (named after the fixture) let a seeded in-process server give the
//! same ids, secrets and codes every run. Operator keys come from the command line;
//! without a second one, fixtures that need it are skipped (see `requirements`).

use ulid::Ulid;

use crate::fixture::{SECOND_TENANT, Tenant};

/// The start of every key the runner makes up.
const KEY_PREFIX: &str = "sk_test_conformance_";

/// Where keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `sk_test_conformance_<ulid>` keys, fresh for every fixture run.
    Generated,
    /// `sk_test_conformance_<fixture>_main` and `_other`: the same keys every run of a
    /// fixture, so a seeded server draws the same ids, secrets and codes for it.
    PerFixture,
    /// Keys supplied by the operator.
    External {
        /// The key for the `main` tenant.
        main: String,
        /// The key for the `other` tenant, if any.
        other: Option<String>,
    },
}

/// The keys one fixture run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantKeys {
    /// The `main` tenant's key.
    pub main: String,
    /// The `other` tenant's key, when there is one.
    pub other: Option<String>,
}

impl KeySource {
    /// The keys for one run of the fixture called `fixture` (e.g. `control/reset`).
    pub fn keys_for_run(&self, fixture: &str) -> TenantKeys {
        match self {
            Self::Generated => TenantKeys {
                main: generated_key(),
                other: Some(generated_key()),
            },
            Self::PerFixture => TenantKeys {
                main: fixture_key(fixture, "main"),
                other: Some(fixture_key(fixture, "other")),
            },
            Self::External { main, other } => TenantKeys {
                main: main.clone(),
                other: other.clone(),
            },
        }
    }

    /// Whether runs get a key for the `other` tenant.
    pub fn has_second_tenant(&self) -> bool {
        match self {
            Self::Generated | Self::PerFixture => true,
            Self::External { other, .. } => other.is_some(),
        }
    }
}

impl TenantKeys {
    /// The `Authorization` value for `tenant`; `Ok(None)` sends none.
    pub fn authorization(&self, tenant: Tenant) -> Result<Option<String>, String> {
        match tenant {
            Tenant::Main => Ok(Some(format!("Bearer {}", self.main))),
            Tenant::Other => self
                .other
                .as_ref()
                .map(|key| Some(format!("Bearer {key}")))
                .ok_or_else(|| format!("tenant \"other\" has no key; declare requires [\"{SECOND_TENANT}\"] and pass --api-key-2")),
            Tenant::None => Ok(None),
        }
    }

    /// The `Authorization` value whose tenant a step acts on: its own key, or the `main`
    /// key for a step that sends none (its TOTP codes still come from the main tenant).
    pub fn acting_authorization(&self, tenant: Tenant) -> Result<String, String> {
        let acting = match tenant {
            Tenant::None => Tenant::Main,
            other => other,
        };
        self.authorization(acting)?
            .ok_or_else(|| "no key to act with".to_string())
    }

    /// Each key with the name it has in transcripts.
    pub fn literals(&self) -> Vec<(String, String)> {
        let mut literals = vec![(self.main.clone(), "[api_key:main]".to_string())];
        if let Some(other) = &self.other {
            literals.push((other.clone(), "[api_key:other]".to_string()));
        }
        literals
    }
}

/// A fresh test key: `sk_test_conformance_` and a lowercase ULID.
pub fn generated_key() -> String {
    format!("{KEY_PREFIX}{}", Ulid::new().to_string().to_lowercase())
}

/// The fixed key of `tenant` in runs of `fixture`: its name with every character other
/// than a lowercase letter or digit turned into `_`.
pub fn fixture_key(fixture: &str, tenant: &str) -> String {
    let slug: String = fixture
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{KEY_PREFIX}{slug}_{tenant}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_fresh_test_keys_with_a_lowercase_ulid() {
        let (a, b) = (generated_key(), generated_key());
        assert_ne!(a, b);
        let ulid = a.strip_prefix("sk_test_conformance_").expect("prefix");
        assert_eq!(ulid.len(), 26);
        assert_eq!(ulid, ulid.to_lowercase());
    }

    #[test]
    fn generated_runs_get_two_distinct_keys() {
        let keys = KeySource::Generated.keys_for_run("f");
        assert_ne!(Some(keys.main), keys.other);
    }

    #[test]
    fn per_fixture_keys_are_the_same_every_run_and_named_after_the_fixture() {
        let first = KeySource::PerFixture.keys_for_run("control/clock-Freezes");
        assert_eq!(
            first,
            KeySource::PerFixture.keys_for_run("control/clock-Freezes")
        );
        assert_eq!(first.main, "sk_test_conformance_control_clock_freezes_main");
        assert_eq!(
            first.other.as_deref(),
            Some("sk_test_conformance_control_clock_freezes_other")
        );
    }

    #[test]
    fn an_external_key_without_a_second_one_has_no_second_tenant() {
        let source = KeySource::External {
            main: "sk_test_a".into(),
            other: None,
        };
        assert!(!source.has_second_tenant());
        assert!(KeySource::Generated.has_second_tenant());
        assert!(KeySource::PerFixture.has_second_tenant());
    }

    #[test]
    fn a_step_without_a_key_acts_on_the_main_tenant() {
        let keys = TenantKeys {
            main: "k".into(),
            other: None,
        };
        assert_eq!(
            keys.acting_authorization(Tenant::None),
            Ok("Bearer k".into())
        );
        assert!(keys.acting_authorization(Tenant::Other).is_err());
    }

    #[test]
    fn the_none_tenant_sends_no_authorization() {
        let keys = TenantKeys {
            main: "k".into(),
            other: None,
        };
        assert_eq!(keys.authorization(Tenant::None), Ok(None));
        assert_eq!(
            keys.authorization(Tenant::Main),
            Ok(Some("Bearer k".into()))
        );
        assert!(keys.authorization(Tenant::Other).is_err());
    }
}
