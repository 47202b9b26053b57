//! All state, in memory, one [`Tenant`] per API key.
//!
//! This folder is the only code that touches dashmap. [`Store`] finds (or
//! makes) a tenant; `tenant.rs` holds a tenant's objects, `page.rs` pages a
//! user's factors, `idempotency.rs` remembers responses by `Idempotency-Key`.
//!
//! Every method is synchronous and returns owned data, so no lock outlives a
//! call and each read-modify-write is one call, hence atomic. The store knows
//! nothing of HTTP, routes or JSON bodies: handlers translate, the store keeps.
//!
//! Memory is bounded here: each tenant bounds its own stores, and the store
//! bounds the tenants. A new API key past [`Limits::max_tenants`] evicts the
//! least recently used tenants (one in 64 of the limit); tenants unused for
//! [`Limits::idle`] go, and so do the least recently used ones while all
//! tenants together hold more than [`Limits::budget_bytes`]. Pinned tenants (named at start) are never evicted.

mod idempotency;
mod page;
mod tenant;
mod tokens;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tracing::info;

use crate::signing::Signer;

pub(crate) use idempotency::Begin;
pub(crate) use page::{Order, PageRequest};
pub use tenant::Tenant;
pub(crate) use tenant::{MAX_OBJECTS, Objects, TenantTemplate, VerifyRefusal};
pub(crate) use tokens::{Pending, Refresh};

/// The hasher of the store's maps: foldhash with a per-process random seed.
/// Every request hashes its API key and usually an id; SipHash, the standard
/// default, was 1.5% of a flow's CPU under `perf` (the flow does ~5 lookups),
/// and a random seed keeps the resistance to chosen-key flooding that matters
/// here (tenants are client-named, and capped).
type Hasher = foldhash::quality::RandomState;
/// A concurrent map with the store's hasher.
type Map<K, V> = dashmap::DashMap<K, V, Hasher>;

/// The tenants' memory is checked once every this many uses, or further apart
/// with more than 1 024 tenants ([`sweep_interval`]).
const SWEEP_EVERY: u64 = 64;
/// A sweep visits every tenant twice (idle, then bytes). Every 64 uses, a server
/// holding 10 000 keys spent over half its time in sweeps: 100 000 flows of the
/// new-key soak in `tests/soak.rs` took 6.2 s; one sweep per 8 tenants' uses 3.1 s,
/// per 16 3.6 s. 16 keeps the budget's overshoot (what the requests between two
/// sweeps add) to 625 requests' worth at 10 000 keys.
const TENANTS_PER_SWEEP_USE: u64 = 16;

/// Uses from one sweep to the next, with `tenants` held: 64, or one for every
/// [`TENANTS_PER_SWEEP_USE`] tenants.
fn sweep_interval(tenants: usize) -> u64 {
    let tenants = u64::try_from(tenants).unwrap_or(u64::MAX);
    SWEEP_EVERY.max(tenants / TENANTS_PER_SWEEP_USE)
}

/// How many tenants a new key past `max_tenants` evicts: one in 64 of them
/// (at least one), the least recently used.
///
/// Finding them sorts every tenant by last use. One at a time, a client sending
/// a new key on each request paid that sort on every one: 2.3 ms a request at the
/// default 10 000 tenants (`tests/soak.rs`, one key per flow: 20 000 flows past
/// the limit took 46 s), so the least recently used tenants go in a batch and the
/// next batch of new keys finds room.
fn eviction_batch(max_tenants: usize) -> usize {
    (max_tenants / 64).max(1)
}

/// How many tenants the store keeps, and for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most tenants at once; a new key past it evicts the least recently
    /// used ([`eviction_batch`] of them).
    pub max_tenants: usize,
    /// Tenants unused this long are evicted.
    pub idle: Duration,
    /// The most bytes all tenants together may hold (by their estimates).
    pub budget_bytes: usize,
}

/// The default limits: 10,000 tenants, a day of idleness, 384 MiB.
pub(crate) const DEFAULT_LIMITS: Limits = Limits {
    max_tenants: 10_000,
    idle: Duration::from_secs(86_400),
    budget_bytes: 384 * 1024 * 1024,
};

/// Every tenant's state, keyed by API key.
#[derive(Debug)]
pub(crate) struct Store {
    tenants: Map<String, Arc<Tenant>>,
    template: TenantTemplate,
    /// The server-wide key access tokens are signed with.
    pub(crate) signer: Signer,
    limits: Limits,
    /// Where the store's milliseconds (tenants' `last_used`) count from.
    started: Instant,
    uses: AtomicU64,
    /// The use count at which the next sweep runs.
    next_sweep: AtomicU64,
    evicted: AtomicU64,
    /// Tenants removed so far (reset or evicted), so the state file's flush
    /// knows when to look for removals.
    removals: AtomicU64,
    /// Held while evicting, so two sweeps never race each other.
    sweeping: Mutex<()>,
    /// Keys never evicted (named at start); a reset does not unpin them.
    pinned: RwLock<HashSet<String>>,
}

/// What `GET /health` reports about the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoreStats {
    /// Tenants held now.
    pub tenants: usize,
    /// Tenants evicted since start.
    pub evicted_tenants: u64,
    /// Estimated bytes held by all tenants.
    pub store_bytes: usize,
}

impl Store {
    /// An empty store whose tenants start as `template` says, with the default limits.
    pub(crate) fn new(template: TenantTemplate) -> Self {
        Self::with_limits(template, DEFAULT_LIMITS)
    }

    /// An empty store with `limits`.
    pub(crate) fn with_limits(template: TenantTemplate, limits: Limits) -> Self {
        Self {
            tenants: Map::with_hasher(Hasher::default()),
            signer: Signer::new(template.seed),
            template,
            limits,
            started: Instant::now(),
            uses: AtomicU64::new(0),
            next_sweep: AtomicU64::new(SWEEP_EVERY - 1),
            evicted: AtomicU64::new(0),
            removals: AtomicU64::new(0),
            sweeping: Mutex::new(()),
            pinned: RwLock::new(HashSet::new()),
        }
    }

    /// The tenant for `api_key`, created empty on first use.
    pub(crate) fn tenant(&self, api_key: &str) -> Arc<Tenant> {
        let now = self.millis();
        let use_count = self.uses.fetch_add(1, Ordering::Relaxed);
        let due = self.next_sweep.load(Ordering::Relaxed);
        if use_count >= due {
            let next = use_count.saturating_add(sweep_interval(self.tenants.len()));
            // One caller wins the sweep; the others go on.
            if self
                .next_sweep
                .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                self.sweep(now);
            }
        }
        if let Some(tenant) = self.tenants.get(api_key) {
            tenant.touch(now, use_count);
            return Arc::clone(&tenant);
        }
        if self.tenants.len() >= self.limits.max_tenants {
            let room = eviction_batch(self.limits.max_tenants);
            self.evict_least_recently_used("max_tenants", |store, _| {
                store.tenants.len() + room > store.limits.max_tenants
            });
        }
        let entry = self
            .tenants
            .entry(api_key.to_owned())
            .or_insert_with(|| Arc::new(Tenant::new(&self.template, api_key)));
        entry.touch(now, use_count);
        Arc::clone(&entry)
    }

    /// Marks the tenant for `api_key` (made if need be) as never evicted.
    pub(crate) fn pin(&self, api_key: &str) {
        self.pinned
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(api_key.to_owned());
        self.tenant(api_key);
    }

    fn pinned(&self) -> std::sync::RwLockReadGuard<'_, HashSet<String>> {
        self.pinned
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets the tenant for `api_key` and frees its memory; its next request
    /// starts an empty one, as new.
    pub(crate) fn reset(&self, api_key: &str) {
        if self.tenants.remove(api_key).is_some() {
            self.removals.fetch_add(1, Ordering::Release);
        }
    }

    /// How many tenants have been removed (reset or evicted) since start.
    pub(crate) fn removals(&self) -> u64 {
        self.removals.load(Ordering::Acquire)
    }

    /// Every API key with its tenant.
    pub(crate) fn tenants(&self) -> Vec<(String, Arc<Tenant>)> {
        self.tenants
            .iter()
            .map(|entry| (entry.key().clone(), Arc::clone(entry.value())))
            .collect()
    }

    /// How many tenants there are, how many went, and their estimated bytes.
    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            tenants: self.tenants.len(),
            evicted_tenants: self.evicted.load(Ordering::Relaxed),
            store_bytes: self.bytes(),
        }
    }

    fn bytes(&self) -> usize {
        self.tenants.iter().map(|entry| entry.value().bytes()).sum()
    }

    fn millis(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Evicts idle tenants, then the least recently used while over budget.
    fn sweep(&self, now: u64) {
        let Ok(_sweeping) = self.sweeping.try_lock() else {
            return;
        };
        let idle = u64::try_from(self.limits.idle.as_millis()).unwrap_or(u64::MAX);
        let pinned = self.pinned().clone();
        let stale: Vec<String> = self
            .tenants
            .iter()
            .filter(|entry| {
                !pinned.contains(entry.key())
                    && now.saturating_sub(entry.value().last_used()) >= idle
            })
            .map(|entry| entry.key().clone())
            .collect();
        for key in stale {
            self.evict(&key, "idle");
        }
        let mut total = self.bytes();
        if total > self.limits.budget_bytes {
            // Each eviction takes its tenant's bytes off the total: no recount per eviction.
            self.evict_least_recently_used_locked("store_budget", |_, evicted| {
                total = total.saturating_sub(evicted);
                total > self.limits.budget_bytes
            });
        }
    }

    fn evict_least_recently_used(&self, reason: &str, over: impl FnMut(&Self, usize) -> bool) {
        // A poisoned lock only means a panic mid-sweep; the map is still whole.
        let _sweeping = self
            .sweeping
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.evict_least_recently_used_locked(reason, over);
    }

    /// Evicts unpinned tenants, least recently used first, while
    /// `over(store, bytes just evicted)` holds (asked first with 0).
    fn evict_least_recently_used_locked(
        &self,
        reason: &str,
        mut over: impl FnMut(&Self, usize) -> bool,
    ) {
        let pinned = self.pinned().clone();
        let mut candidates: Vec<(u64, String)> = self
            .tenants
            .iter()
            .filter(|entry| !pinned.contains(entry.key()))
            .map(|entry| (entry.value().last_use(), entry.key().clone()))
            .collect();
        candidates.sort_unstable();
        let mut evicted = 0;
        for (_, key) in candidates {
            if !over(self, evicted) {
                break;
            }
            evicted = self.evict(&key, reason);
        }
    }

    /// Evicts the tenant of `api_key`; returns the bytes it held.
    fn evict(&self, api_key: &str, reason: &str) -> usize {
        let Some((_, tenant)) = self.tenants.remove(api_key) else {
            return 0;
        };
        self.evicted.fetch_add(1, Ordering::Relaxed);
        self.removals.fetch_add(1, Ordering::Release);
        info!(
            tenant = %fingerprint(api_key),
            reason,
            "tenant evicted; its key starts from an empty world"
        );
        tenant.bytes()
    }
}

/// A short, stable name for an API key in logs: the first 8 hex digits of
/// its SHA-256, never the key.
pub(crate) fn fingerprint(api_key: &str) -> String {
    Sha256::digest(api_key.as_bytes())
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl Default for Store {
    fn default() -> Self {
        Self::new(TenantTemplate::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_tenants: usize) -> Limits {
        Limits {
            max_tenants,
            ..DEFAULT_LIMITS
        }
    }

    #[test]
    fn a_new_key_past_the_limit_evicts_the_least_recently_used_unpinned_tenant() {
        let store = Store::with_limits(TenantTemplate::default(), limits(3));
        store.pin("sk_test_pinned");
        store.tenant("sk_test_a");
        store.tenant("sk_test_b");
        store.tenant("sk_test_a");
        store.tenant("sk_test_c");
        let mut keys: Vec<String> = store.tenants().into_iter().map(|(k, _)| k).collect();
        keys.sort();
        assert_eq!(keys, ["sk_test_a", "sk_test_c", "sk_test_pinned"]);
        assert_eq!(store.stats().evicted_tenants, 1);
    }

    #[test]
    fn past_a_large_limit_a_batch_of_the_least_recently_used_goes_at_once() {
        let store = Store::with_limits(TenantTemplate::default(), limits(128));
        for n in 0..128 {
            store.tenant(&format!("sk_test_{n:03}"));
        }
        store.tenant("sk_test_000");
        store.tenant("sk_test_new_1");
        assert_eq!(store.stats().evicted_tenants, 2, "128 / 64 went together");
        store.tenant("sk_test_new_2");
        assert_eq!(store.stats().evicted_tenants, 2, "the batch left room");
        let mut keys: Vec<String> = store.tenants().into_iter().map(|(k, _)| k).collect();
        keys.sort();
        assert_eq!(keys.len(), 128);
        assert_eq!(&keys[..3], ["sk_test_000", "sk_test_003", "sk_test_004"]);
    }

    #[test]
    fn sweeps_come_every_64_uses_or_once_per_16_tenants_uses_past_1024() {
        assert_eq!(sweep_interval(0), 64);
        assert_eq!(sweep_interval(1_024), 64);
        assert_eq!(sweep_interval(10_000), 625);
        let store = Store::default();
        for n in 0..2_000 {
            store.tenant(&format!("sk_test_{n}"));
        }
        let (uses, due) = (
            store.uses.load(Ordering::Relaxed),
            store.next_sweep.load(Ordering::Relaxed),
        );
        // The last sweep saw at most 2 000 tenants, so the next is at most 125 uses on.
        assert!(
            due >= uses && due - uses < 125,
            "{uses} uses, next sweep at {due}"
        );
    }

    #[test]
    fn idle_tenants_are_swept_but_pinned_ones_stay() {
        let store = Store::with_limits(
            TenantTemplate::default(),
            Limits {
                idle: Duration::ZERO,
                ..DEFAULT_LIMITS
            },
        );
        store.pin("sk_test_pinned");
        store.tenant("sk_test_idle");
        store.sweep(store.millis());
        let keys: Vec<String> = store.tenants().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["sk_test_pinned"]);
    }

    #[test]
    fn over_budget_the_least_recently_used_tenants_go() {
        let store = Store::with_limits(
            TenantTemplate::default(),
            Limits {
                budget_bytes: 3 * tenant::EMPTY_TENANT_BYTES,
                ..DEFAULT_LIMITS
            },
        );
        for n in 0..10 {
            store.tenant(&format!("sk_test_{n}"));
        }
        store.sweep(store.millis());
        assert!(store.stats().store_bytes <= 3 * tenant::EMPTY_TENANT_BYTES);
        assert!(store.stats().tenants <= 3);
    }

    #[test]
    fn a_fingerprint_is_short_and_never_the_key() {
        let print = fingerprint("sk_test_secret");
        assert_eq!(print.len(), 8);
        assert!(!print.contains("secret"));
    }
}
