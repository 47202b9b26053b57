//! API keys: fresh ones per fixture run, or the ones an operator supplied.
//!
//! Against the in-process server every fixture run gets its own `main` and `other`
//! keys, so runs never see each other's data. Against an external server the keys come
//! from the command line; without a second one, fixtures that need it are skipped.

use ulid::Ulid;

use crate::fixture::{SECOND_TENANT, Tenant};

/// Where keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `sk_test_conformance_<ulid>` keys, fresh for every fixture run.
    Generated,
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
    /// The keys for one fixture run.
    pub fn keys_for_run(&self) -> TenantKeys {
        match self {
            Self::Generated => TenantKeys {
                main: generated_key(),
                other: Some(generated_key()),
            },
            Self::External { main, other } => TenantKeys {
                main: main.clone(),
                other: other.clone(),
            },
        }
    }

    /// Why a fixture with these `requires` cannot run, if it cannot.
    pub fn missing_requirement(&self, requires: &[String]) -> Option<String> {
        requires
            .iter()
            .find_map(|requirement| match requirement.as_str() {
                SECOND_TENANT if !self.has_second_tenant() => {
                    Some("needs a second tenant: pass --api-key-2 as well as --api-key".to_string())
                }
                SECOND_TENANT => None,
                unknown => Some(format!(
                    "requires {unknown:?}, which this runner does not know"
                )),
            })
    }

    fn has_second_tenant(&self) -> bool {
        match self {
            Self::Generated => true,
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
    format!(
        "sk_test_conformance_{}",
        Ulid::new().to_string().to_lowercase()
    )
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
        let keys = KeySource::Generated.keys_for_run();
        assert_ne!(Some(keys.main), keys.other);
    }

    #[test]
    fn an_external_key_without_a_second_one_cannot_run_second_tenant_fixtures() {
        let source = KeySource::External {
            main: "sk_test_a".into(),
            other: None,
        };
        let reason = source
            .missing_requirement(&[SECOND_TENANT.to_string()])
            .expect("skipped");
        assert!(reason.contains("--api-key-2"));
        assert_eq!(
            KeySource::Generated.missing_requirement(&[SECOND_TENANT.to_string()]),
            None
        );
    }

    #[test]
    fn an_unknown_requirement_is_reported() {
        let reason = KeySource::Generated.missing_requirement(&["time_travel".to_string()]);
        assert!(reason.is_some_and(|r| r.contains("time_travel")));
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
