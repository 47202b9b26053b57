//! Settings that change how the server behaves (not where it listens: the
//! binary binds the socket and hands [`crate::run`] a listener).

use std::path::PathBuf;
use std::time::Duration;

use crate::clock::{Clock, Timestamp};
use crate::seed::SeedFile;

/// How the server behaves. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// Accepted API keys; empty accepts any `sk_test_`/`sk_example_` key.
    pub api_keys: Vec<String>,
    /// TOTP steps accepted either side of the current one.
    pub totp_skew_steps: u32,
    /// Wrong codes a challenge takes before every verify is refused.
    pub attempt_limit: u32,
    /// The issuer AuthKit enrollments use when the request names none.
    pub default_totp_issuer: String,
    /// The `iss` claim of the access tokens sign-in issues.
    pub issuer: String,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_read_timeout: Duration,
    /// How long in-flight requests get to finish on shutdown.
    pub shutdown_grace: Duration,
    /// Where the time comes from.
    pub clock: Clock,
    /// Seed for ids, secrets and codes; `None` seeds from the operating system.
    pub seed: Option<u64>,
    /// Where every tenant's clock starts frozen, if anywhere.
    pub freeze_at: Option<Timestamp>,
    /// How many requests each tenant's journal keeps.
    pub journal_capacity: usize,
    /// How many text messages each tenant's outbox keeps.
    pub outbox_capacity: usize,
    /// Tenants loaded at start (`--seed-file`).
    pub seeds: SeedFile,
    /// Where all tenants are loaded from at start (if it exists), logged to as
    /// they change, and saved to at graceful shutdown (`--state-file`).
    pub state_file: Option<PathBuf>,
    /// The most tenants (API keys) kept at once; a new key past it evicts the
    /// least recently used, one in 64 of this many at once (`--max-tenants`).
    pub max_tenants: usize,
    /// Tenants unused this long are evicted (`--tenant-idle-secs`).
    pub tenant_idle: Duration,
    /// The most bytes all tenants together may hold, by the store's estimate;
    /// past it the least recently used tenants are evicted (`--store-budget-mib`).
    pub store_budget_bytes: usize,
}

/// The `iss` of access tokens unless `--issuer` says otherwise: the value the
/// WorkOS session-token reference documents.
pub(crate) const DEFAULT_ISSUER: &str = "https://api.workos.com";

/// One mebibyte: the default body limit.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

impl Default for Config {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            totp_skew_steps: 1,
            attempt_limit: 5,
            default_totp_issuer: "mfa-mock".to_owned(),
            issuer: DEFAULT_ISSUER.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            clock: Clock::System,
            seed: None,
            freeze_at: None,
            journal_capacity: crate::journal::DEFAULT_CAPACITY,
            outbox_capacity: crate::outbox::DEFAULT_CAPACITY,
            seeds: SeedFile::default(),
            state_file: None,
            max_tenants: crate::store::DEFAULT_LIMITS.max_tenants,
            tenant_idle: crate::store::DEFAULT_LIMITS.idle,
            store_budget_bytes: crate::store::DEFAULT_LIMITS.budget_bytes,
        }
    }
}

impl Config {
    /// The start-up banner's lines for a server at `url`: where it is, which keys
    /// it lets in (prefixes or fingerprints, never a whole key), and where its
    /// health check and test controls are.
    pub fn banner(&self, url: &str) -> Vec<String> {
        let keys = match self.api_keys.as_slice() {
            [] => format!(
                "any key starting {} (each key is its own tenant)",
                crate::auth::ACCEPTED_PREFIXES.join(" or ")
            ),
            listed => listed
                .iter()
                .map(|key| crate::auth::fingerprint(key))
                .collect::<Vec<_>>()
                .join(", "),
        };
        vec![
            format!(
                "mfa-mock {} serving the WorkOS MFA API at {url}",
                env!("CARGO_PKG_VERSION")
            ),
            format!("accepted API keys: {keys}"),
            format!("health check: {url}/health"),
            format!("test controls: {url}/_mock/ (inspector page: {url}/_mock/ui)"),
        ]
    }

    /// Refuses settings a server could only fail on later, request by request.
    pub fn check(&self) -> Result<(), String> {
        match self.api_keys.iter().find(|key| key.starts_with("sk_live_")) {
            Some(key) => Err(format!(
                "--api-key {}: live keys are always refused by this test server; use an sk_test_ key",
                crate::auth::fingerprint(key)
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_names_prefixes_or_fingerprints_never_a_key() {
        let open = Config::default().banner("http://127.0.0.1:1");
        assert!(
            open.iter().any(|l| l.contains("sk_test_ or sk_example_")),
            "{open:?}"
        );
        let listed = Config {
            api_keys: vec!["sk_test_TopSecretKey".to_owned()],
            ..Config::default()
        };
        let lines = listed.banner("http://127.0.0.1:1").join("\n");
        assert!(!lines.contains("TopSecret"), "{lines}");
        assert!(lines.contains("http://127.0.0.1:1/health"), "{lines}");
        assert!(lines.contains("http://127.0.0.1:1/_mock/"), "{lines}");
    }

    #[test]
    fn a_live_key_is_refused_before_start() {
        let live = Config {
            api_keys: vec!["sk_live_SecretPart".to_owned()],
            ..Config::default()
        };
        let refusal = live.check().err().unwrap_or_default();
        assert!(refusal.contains("live keys"), "{refusal}");
        assert!(!refusal.contains("SecretPart"), "{refusal}");
        assert_eq!(Config::default().check(), Ok(()));
    }
}
