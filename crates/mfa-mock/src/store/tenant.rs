//! One API key's world: its users, factors and challenges, and the test
//! controls that belong to it (clock, randomness, SMS outbox, request journal,
//! faults, idempotency keys).
//!
//! Every public method is synchronous, returns owned data and is one atomic
//! step as far as callers can tell: no guard leaves this file, so none is ever
//! held across an `.await`.
//!
//! Lock order, to rule out deadlock: a method may hold a `users` guard while
//! taking `factors`/`user_factors` guards, and a `factors` guard while taking
//! a `challenges` guard; never the other way round. Deletion never holds two
//! guards at once.

mod accounts;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::idempotency::Idempotency;
use super::page::{Page, PageRequest, page_of};
use super::tokens::SignInTokens;
use super::{Hasher, Map};
use crate::clock::{Clock, TenantClock, Timestamp};
use crate::faults::Faults;
use crate::ids::Entropy;
use crate::journal::{self, Journal};
use crate::model::{Challenge, ExpectedCode, Factor, FactorKind, User};
use crate::outbox::{self, Outbox};

#[derive(Debug)]
struct StoredFactor {
    factor: Factor,
    challenge_ids: Vec<String>,
}

/// How long (tenant time) a verified or expired challenge is kept, so a verify
/// still gets `…previously_verified` or `…expired`, before it is pruned.
pub(super) const KEEP_SPENT_SECONDS: i64 = 3600;
/// Shards per map of one tenant. DashMap's default grows with the core count,
/// which costs kilobytes per API key; one key rarely sees much contention.
const SHARDS: usize = 4;
/// Spent challenges are swept once every this many new challenges.
const SWEEP_EVERY: u64 = 1024;
/// The most users, factors and challenges one tenant holds; requests that
/// would create more are refused.
pub(crate) const MAX_OBJECTS: usize = 100_000;
/// The most bytes one tenant's objects hold, by the estimates of [`user_weight`],
/// [`factor_weight`] and [`challenge_weight`].
pub(crate) const MAX_OBJECT_BYTES: usize = 64 * 1024 * 1024;
/// What an empty tenant costs (its maps, generators and locks), measured
/// roughly from RSS per new API key and rounded up.
pub(crate) const EMPTY_TENANT_BYTES: usize = 8 * 1024;
/// Bytes of bookkeeping (map entry, id copies, allocator) per stored object,
/// on top of the strings it owns.
const OBJECT_OVERHEAD_BYTES: usize = 512;

/// One API key's objects and test controls.
#[derive(Debug)]
pub struct Tenant {
    users: Map<String, User>,
    factors: Map<String, StoredFactor>,
    challenges: Map<String, Challenge>,
    /// User id → ids of that user's TOTP factors (its AuthKit list); ids sort in creation order.
    user_factors: Map<String, BTreeSet<String>>,
    /// Challenges created so far, to pace the sweep of spent ones.
    challenge_inserts: AtomicU64,
    /// The estimated bytes of every user, factor and challenge held.
    object_bytes: AtomicUsize,
    /// When this tenant was last used, in the store's milliseconds.
    last_used: AtomicU64,
    /// The store's use count at its last use: orders tenants by recency
    /// exactly, even within one millisecond.
    last_use: AtomicU64,
    /// Changed since the state file's change log last had it.
    dirty: AtomicBool,
    /// This tenant's time: the server's clock, or frozen, or moved.
    pub clock: TenantClock,
    /// This tenant's ids, secrets and codes.
    pub entropy: Entropy,
    /// This tenant's request ids: a stream of their own, so journaling a
    /// request never shifts the ids and secrets a seeded run hands out.
    pub request_ids: Entropy,
    /// The text messages SMS challenges sent.
    pub outbox: Outbox,
    /// The requests this tenant made.
    pub journal: Journal,
    /// Failures and delays injected into this tenant's requests.
    pub faults: Faults,
    /// Responses remembered by `Idempotency-Key`.
    pub idempotency: Idempotency,
    /// Whether a password sign-in of a user without a factor must enroll one.
    pub mfa_required: AtomicBool,
    /// Pending authentication tokens and refresh tokens.
    pub sign_in: SignInTokens,
}

/// A tenant's users, factors and challenges, as plain lists.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    /// The users.
    pub users: Vec<User>,
    /// The factors.
    pub factors: Vec<Factor>,
    /// The challenges.
    pub challenges: Vec<Challenge>,
}

/// What a new tenant starts with.
#[derive(Debug, Clone, Default)]
pub struct TenantTemplate {
    /// The server's clock, under every tenant clock.
    pub clock: Clock,
    /// Where every tenant clock starts frozen, if anywhere.
    pub freeze_at: Option<Timestamp>,
    /// Seed for reproducible ids, secrets and codes; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// How many requests the journal keeps.
    pub journal_capacity: usize,
    /// How many text messages the outbox keeps.
    pub outbox_capacity: usize,
}

/// Why a verification did not get as far as comparing codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyRefusal {
    /// No such challenge in this tenant.
    NotFound,
    /// A correct code was already presented.
    AlreadyVerified,
    /// Its `expires_at` has passed.
    Expired,
    /// Too many wrong codes were presented.
    TooManyAttempts,
}

impl Tenant {
    /// An empty tenant for `api_key`, as `template` says new tenants start.
    pub fn new(template: &TenantTemplate, api_key: &str) -> Self {
        let stream = |salt: &[u8]| match template.seed {
            Some(seed) => Entropy::seeded(seed ^ fnv1a(api_key.as_bytes()) ^ fnv1a(salt)),
            None => Entropy::from_os(),
        };
        let (entropy, request_ids) = (stream(b"objects"), stream(b"requests"));
        Self {
            users: Map::with_hasher_and_shard_amount(Hasher::default(), SHARDS),
            factors: Map::with_hasher_and_shard_amount(Hasher::default(), SHARDS),
            challenges: Map::with_hasher_and_shard_amount(Hasher::default(), SHARDS),
            user_factors: Map::with_hasher_and_shard_amount(Hasher::default(), SHARDS),
            challenge_inserts: AtomicU64::new(0),
            object_bytes: AtomicUsize::new(0),
            last_used: AtomicU64::new(0),
            last_use: AtomicU64::new(0),
            dirty: AtomicBool::new(false),
            clock: TenantClock::new(template.clock.clone(), template.freeze_at),
            entropy,
            request_ids,
            outbox: Outbox::new(template.outbox_capacity, outbox::DEFAULT_BYTE_CAP),
            journal: Journal::new(template.journal_capacity, journal::DEFAULT_BYTE_CAP),
            faults: Faults::default(),
            idempotency: Idempotency::default(),
            mfa_required: AtomicBool::new(false),
            sign_in: SignInTokens::default(),
        }
    }

    /// Stores a new user.
    pub fn insert_user(&self, user: User) {
        self.add_bytes(user_weight(&user));
        if let Some(old) = self.users.insert(user.id.clone(), user) {
            self.sub_bytes(user_weight(&old));
        }
    }

    /// The user with `id`.
    pub fn user(&self, id: &str) -> Option<User> {
        self.users.get(id).map(|user| user.clone())
    }

    /// Deletes the user and every factor enrolled for it; `false` if there was no such user.
    pub fn delete_user(&self, id: &str) -> bool {
        let Some((_, user)) = self.users.remove(id) else {
            return false;
        };
        self.sub_bytes(user_weight(&user));
        self.user_factors.remove(id);
        let owned: Vec<String> = self
            .factors
            .iter()
            .filter(|stored| stored.factor.user_id.as_deref() == Some(id))
            .map(|stored| stored.factor.id.clone())
            .collect();
        for factor_id in owned {
            self.delete_factor(&factor_id);
        }
        true
    }

    /// Stores a new factor. A TOTP factor with a user is also listed under that
    /// user: AuthKit factors are TOTP only, and SDKs assume so.
    pub fn insert_factor(&self, factor: Factor) {
        if let (Some(user_id), FactorKind::Totp { .. }) = (&factor.user_id, &factor.kind) {
            self.index_user_factor(user_id, &factor.id);
        }
        self.store_factor(factor);
    }

    /// Stores `build(user)` as a new factor of the user with `user_id`, atomically
    /// with respect to that user's deletion; `None` if there is no such user.
    pub fn insert_factor_for_user(
        &self,
        user_id: &str,
        build: impl FnOnce(&User) -> Factor,
    ) -> Option<Factor> {
        let user = self.users.get(user_id)?;
        let factor = build(&user);
        self.index_user_factor(user_id, &factor.id);
        self.store_factor(factor.clone());
        Some(factor)
    }

    fn index_user_factor(&self, user_id: &str, factor_id: &str) {
        self.user_factors
            .entry(user_id.to_owned())
            .or_default()
            .insert(factor_id.to_owned());
    }

    fn store_factor(&self, factor: Factor) {
        self.add_bytes(factor_weight(&factor));
        let stored = StoredFactor {
            factor,
            challenge_ids: Vec::new(),
        };
        if let Some(old) = self.factors.insert(stored.factor.id.clone(), stored) {
            self.sub_bytes(factor_weight(&old.factor));
        }
    }

    /// The factor with `id`.
    pub fn factor(&self, id: &str) -> Option<Factor> {
        self.read_factor(id, Factor::clone)
    }

    /// `read` applied to the factor `id`, without copying it: a `GET` writes
    /// its JSON straight from the stored factor.
    pub(crate) fn read_factor<R>(&self, id: &str, read: impl FnOnce(&Factor) -> R) -> Option<R> {
        self.factors.get(id).map(|stored| read(&stored.factor))
    }

    /// Deletes the factor and its challenges; `false` if there was no such factor.
    pub fn delete_factor(&self, id: &str) -> bool {
        let Some((_, stored)) = self.factors.remove(id) else {
            return false;
        };
        self.sub_bytes(factor_weight(&stored.factor));
        if let Some(user_id) = &stored.factor.user_id
            && let Some(mut ids) = self.user_factors.get_mut(user_id)
        {
            ids.remove(id);
        }
        for challenge_id in &stored.challenge_ids {
            if let Some((_, challenge)) = self.challenges.remove(challenge_id) {
                self.sub_bytes(challenge_weight(&challenge));
            }
        }
        true
    }

    /// Stores `build(factor)` as a new challenge of the factor with `factor_id`,
    /// atomically with respect to that factor's deletion; `None` if there is no such factor.
    pub fn insert_challenge(
        &self,
        factor_id: &str,
        build: impl FnOnce(&Factor) -> Challenge,
    ) -> Option<Challenge> {
        let challenge = {
            let mut stored = self.factors.get_mut(factor_id)?;
            let challenge = build(&stored.factor);
            stored.challenge_ids.push(challenge.id.clone());
            self.add_bytes(challenge_weight(&challenge));
            self.challenges
                .insert(challenge.id.clone(), challenge.clone());
            challenge
        };
        let inserted = self.challenge_inserts.fetch_add(1, Ordering::Relaxed) + 1;
        if inserted.is_multiple_of(SWEEP_EVERY) {
            self.prune_challenges(challenge.created_at);
        }
        Some(challenge)
    }

    /// Drops the challenges that are past use for longer than `KEEP_SPENT_SECONDS`
    /// at `now`: expired ones, and verified ones. Until then a verify still gets
    /// the documented 422; afterwards it gets a 404. Returns how many went.
    pub fn prune_challenges(&self, now: Timestamp) -> usize {
        let spent: Vec<(String, String)> = self
            .challenges
            .iter()
            .filter(|challenge| is_spent(challenge, now))
            .map(|challenge| (challenge.id.clone(), challenge.factor_id.clone()))
            .collect();
        let mut by_factor: HashMap<&str, HashSet<&str>> = HashMap::new();
        for (id, factor_id) in &spent {
            if let Some((_, challenge)) = self.challenges.remove(id) {
                self.sub_bytes(challenge_weight(&challenge));
            }
            by_factor.entry(factor_id).or_default().insert(id);
        }
        for (factor_id, ids) in by_factor {
            if let Some(mut stored) = self.factors.get_mut(factor_id) {
                stored.challenge_ids.retain(|id| !ids.contains(id.as_str()));
            }
        }
        spent.len()
    }

    /// The challenge with `id`, secrets included (for inspection, not for the wire).
    pub fn challenge(&self, id: &str) -> Option<Challenge> {
        self.challenges.get(id).map(|challenge| challenge.clone())
    }

    /// Presents a code to the challenge with `id`, at `now`.
    ///
    /// `matches` decides whether the code is right; it runs under the
    /// challenge's lock, so of any number of concurrent correct verifies exactly
    /// one succeeds. Wrong codes count towards `attempt_limit`; once that many
    /// have been presented, every further verify is refused.
    pub fn verify_challenge(
        &self,
        id: &str,
        now: Timestamp,
        attempt_limit: u32,
        matches: impl FnOnce(&ExpectedCode) -> bool,
    ) -> Result<(Challenge, bool), VerifyRefusal> {
        let mut challenge = self.challenges.get_mut(id).ok_or(VerifyRefusal::NotFound)?;
        if challenge.verified {
            return Err(VerifyRefusal::AlreadyVerified);
        }
        if challenge.expires_at.is_some_and(|expiry| now >= expiry) {
            return Err(VerifyRefusal::Expired);
        }
        if challenge.failed_attempts >= attempt_limit {
            return Err(VerifyRefusal::TooManyAttempts);
        }
        let valid = matches(&challenge.expected);
        if valid {
            challenge.verified = true;
            challenge.updated_at = now;
        } else {
            challenge.failed_attempts += 1;
        }
        Ok((challenge.clone(), valid))
    }

    /// A page of the factors of the user with `user_id`; `None` if there is no such user.
    pub fn user_factors(&self, user_id: &str, request: &PageRequest) -> Option<Page<Factor>> {
        if !self.users.contains_key(user_id) {
            return None;
        }
        let ids = self
            .user_factors
            .get(user_id)
            .map(|ids| page_of(&ids, request))
            .unwrap_or_else(|| Page {
                data: Vec::new(),
                before: None,
                after: None,
            });
        let data = ids.data.iter().filter_map(|id| self.factor(id)).collect();
        Some(Page {
            data,
            before: ids.before,
            after: ids.after,
        })
    }

    /// Every user, factor and challenge, sorted by id (creation order for generated ids).
    pub fn snapshot(&self) -> Objects {
        let mut users: Vec<User> = self.users.iter().map(|user| user.clone()).collect();
        let mut factors: Vec<Factor> = self.factors.iter().map(|f| f.factor.clone()).collect();
        let mut challenges: Vec<Challenge> = self.challenges.iter().map(|c| c.clone()).collect();
        users.sort_by(|a, b| a.id.cmp(&b.id));
        factors.sort_by(|a, b| a.id.cmp(&b.id));
        challenges.sort_by(|a, b| a.id.cmp(&b.id));
        Objects {
            users,
            factors,
            challenges,
        }
    }

    /// Replaces every user, factor and challenge with `objects` (already
    /// checked: each challenge's factor is among them). Requests running at
    /// the same moment may see the tenant half-replaced.
    pub fn replace(&self, objects: Objects) {
        self.challenges.clear();
        self.factors.clear();
        self.user_factors.clear();
        self.users.clear();
        self.object_bytes.store(0, Ordering::Relaxed);
        for user in objects.users {
            self.insert_user(user);
        }
        for factor in objects.factors {
            self.insert_factor(factor);
        }
        for challenge in objects.challenges {
            if let Some(mut stored) = self.factors.get_mut(&challenge.factor_id) {
                stored.challenge_ids.push(challenge.id.clone());
                self.add_bytes(challenge_weight(&challenge));
                self.challenges.insert(challenge.id.clone(), challenge);
            }
        }
    }

    /// How many factors this tenant holds.
    pub fn factor_count(&self) -> usize {
        self.factors.len()
    }

    /// How many challenges this tenant holds.
    pub fn challenge_count(&self) -> usize {
        self.challenges.len()
    }

    /// Whether this tenant holds as many objects (or object bytes) as it may:
    /// requests that would create more are refused until some are deleted.
    pub fn is_full(&self) -> bool {
        let objects = self.users.len() + self.factors.len() + self.challenges.len();
        objects >= MAX_OBJECTS || self.object_bytes.load(Ordering::Relaxed) >= MAX_OBJECT_BYTES
    }

    /// The approximate bytes this tenant holds: objects, journal, outbox,
    /// faults and remembered responses, and what an empty tenant costs.
    pub fn bytes(&self) -> usize {
        EMPTY_TENANT_BYTES
            + self.object_bytes.load(Ordering::Relaxed)
            + self.journal.bytes()
            + self.outbox.bytes()
            + self.faults.bytes()
            + self.idempotency.bytes()
    }

    /// Notes use number `use_count` at `now` (the store's milliseconds).
    pub(super) fn touch(&self, now: u64, use_count: u64) {
        self.last_used.store(now, Ordering::Relaxed);
        self.last_use.store(use_count, Ordering::Relaxed);
    }

    /// The store's use count at this tenant's last use.
    pub(super) fn last_use(&self) -> u64 {
        self.last_use.load(Ordering::Relaxed)
    }

    /// When this tenant was last used (the store's milliseconds).
    pub(super) fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// Notes that this tenant changed since the state file last had it.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// Whether this tenant changed since the last call, clearing the mark.
    pub(crate) fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    fn add_bytes(&self, bytes: usize) {
        self.object_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn sub_bytes(&self, bytes: usize) {
        // Saturating: a replace() racing a delete may subtract what it cleared.
        let _ = self
            .object_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                Some(held.saturating_sub(bytes))
            });
    }
}

/// The estimated memory of a user: the strings it owns plus bookkeeping.
fn user_weight(user: &User) -> usize {
    let optional = |text: &Option<String>| text.as_ref().map_or(0, String::len);
    let metadata: usize = user
        .metadata
        .iter()
        .map(|(key, value)| key.len() + value.to_string().len() + 64)
        .sum();
    OBJECT_OVERHEAD_BYTES
        + user.id.len()
        + user.email.len()
        + optional(&user.first_name)
        + optional(&user.last_name)
        + optional(&user.profile_picture_url)
        + optional(&user.external_id)
        + metadata
}

/// The estimated memory of a factor, counted twice for its id (map key and value).
fn factor_weight(factor: &Factor) -> usize {
    let kind = match &factor.kind {
        FactorKind::Totp { issuer, user, .. } => issuer.len() + user.len() + 64,
        FactorKind::Sms { phone_number } => phone_number.len(),
        FactorKind::GenericOtp => 0,
    };
    OBJECT_OVERHEAD_BYTES
        + 2 * factor.id.len()
        + factor.user_id.as_ref().map_or(0, String::len)
        + kind
}

/// The estimated memory of a challenge; its id is also in its factor's list.
fn challenge_weight(challenge: &Challenge) -> usize {
    let code = match &challenge.expected {
        ExpectedCode::OneTime(code) => code.len(),
        ExpectedCode::Totp(_) => 64,
    };
    let sms = challenge
        .sms
        .as_ref()
        .map_or(0, |sms| sms.phone_number.len() + sms.text.len());
    OBJECT_OVERHEAD_BYTES + 3 * challenge.id.len() + challenge.factor_id.len() + code + sms
}

/// Whether `challenge` has been expired, or verified, for longer than [`KEEP_SPENT_SECONDS`].
fn is_spent(challenge: &Challenge, now: Timestamp) -> bool {
    let expired_long_ago = challenge
        .expires_at
        .is_some_and(|expiry| now > expiry.plus_seconds(KEEP_SPENT_SECONDS));
    let verified_long_ago =
        challenge.verified && now > challenge.updated_at.plus_seconds(KEEP_SPENT_SECONDS);
    expired_long_ago || verified_long_ago
}

/// FNV-1a, 64-bit: a stable hash, so a seeded run gives each API key the same
/// stream of ids and secrets on every machine and Rust release.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    fn tenant_with_factor() -> Tenant {
        let tenant = Tenant::new(&TenantTemplate::default(), "sk_test_unit");
        tenant.insert_factor(Factor {
            id: "auth_factor_1".into(),
            created_at: T0,
            updated_at: T0,
            user_id: None,
            kind: FactorKind::GenericOtp,
        });
        tenant
    }

    fn challenge(id: &str, expires_at: Option<Timestamp>) -> Challenge {
        Challenge {
            id: id.into(),
            created_at: T0,
            updated_at: T0,
            factor_id: "auth_factor_1".into(),
            expires_at,
            expected: ExpectedCode::OneTime("123456".into()),
            reveals_code: true,
            sms: None,
            verified: false,
            failed_attempts: 0,
        }
    }

    fn verify(
        tenant: &Tenant,
        id: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<bool, VerifyRefusal> {
        tenant
            .verify_challenge(
                id,
                now,
                5,
                |expected| matches!(expected, ExpectedCode::OneTime(c) if c == code),
            )
            .map(|(_, valid)| valid)
    }

    #[test]
    fn a_challenge_verifies_once_and_then_reports_previously_verified() {
        let tenant = tenant_with_factor();
        tenant.insert_challenge("auth_factor_1", |_| challenge("c1", None));
        assert_eq!(verify(&tenant, "c1", "000000", T0), Ok(false));
        assert_eq!(verify(&tenant, "c1", "123456", T0), Ok(true));
        assert_eq!(
            verify(&tenant, "c1", "123456", T0),
            Err(VerifyRefusal::AlreadyVerified)
        );
    }

    #[test]
    fn spent_challenges_are_kept_for_an_hour_then_pruned() {
        let tenant = tenant_with_factor();
        tenant.insert_challenge("auth_factor_1", |_| challenge("verified", None));
        tenant.insert_challenge("auth_factor_1", |_| {
            challenge("expiring", Some(T0.plus_seconds(600)))
        });
        tenant.insert_challenge("auth_factor_1", |_| challenge("pending", None));
        assert_eq!(verify(&tenant, "verified", "123456", T0), Ok(true));

        assert_eq!(
            tenant.prune_challenges(T0.plus_seconds(KEEP_SPENT_SECONDS)),
            0
        );
        let later = T0.plus_seconds(600 + KEEP_SPENT_SECONDS + 1);
        assert_eq!(
            verify(&tenant, "expiring", "123456", T0.plus_seconds(601)),
            Err(VerifyRefusal::Expired)
        );
        assert_eq!(tenant.prune_challenges(later), 2);

        assert_eq!(
            verify(&tenant, "verified", "123456", later),
            Err(VerifyRefusal::NotFound)
        );
        assert!(
            tenant.challenge("pending").is_some(),
            "an unspent challenge stays"
        );
        assert!(tenant.delete_factor("auth_factor_1"));
        assert_eq!(tenant.challenge_count(), 0);
    }

    #[test]
    fn the_same_seed_and_key_give_the_same_ids_and_other_keys_differ() {
        let template = TenantTemplate {
            seed: Some(9),
            ..TenantTemplate::default()
        };
        let (a, b, c) = (
            Tenant::new(&template, "sk_test_a"),
            Tenant::new(&template, "sk_test_a"),
            Tenant::new(&template, "sk_test_c"),
        );
        let id = |t: &Tenant| t.entropy.id(crate::ids::IdKind::Factor, T0);
        assert_eq!(id(&a), id(&b));
        assert_ne!(id(&a), id(&c));
    }
}
