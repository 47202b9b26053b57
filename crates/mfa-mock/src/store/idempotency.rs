//! Responses remembered by `Idempotency-Key`, so an SDK's retry of a POST
//! creates nothing twice.
//!
//! A key is scoped to its tenant, method and path. The first request with a key
//! claims it (`Begin::Fresh`) and its response is remembered; a later request
//! with the same key and an equal body gets that response again; a different
//! body, or a second request while the first is still running, is refused.
//!
//! Nothing a client sends is kept as sent: the scope and the body are kept as
//! SHA-256 digests, the body's of its canonical JSON (object keys sorted, no
//! spacing) when it parses, so key order and whitespace do not matter and a
//! megabyte body costs 32 bytes. Past [`MAX_KEYS`] keys, or [`MAX_BYTES`] of
//! remembered responses, the least recently used completed key is forgotten,
//! one at a time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lru::LruCache;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::response::ApiResponse;

/// How long a key is remembered.
pub(super) const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How many keys one tenant keeps before the least recently used go.
pub(super) const MAX_KEYS: usize = 10_000;
/// How many bytes of remembered responses one tenant keeps.
pub(super) const MAX_BYTES: usize = 32 * 1024 * 1024;

type Sha = [u8; 32];

/// The remembered keys of one tenant.
#[derive(Debug)]
pub struct Idempotency {
    slots: Mutex<LruCache<Sha, Slot>>,
    /// The weight of every slot, readable without the lock.
    bytes: AtomicUsize,
}

impl Default for Idempotency {
    fn default() -> Self {
        Self {
            slots: Mutex::new(LruCache::unbounded()),
            bytes: AtomicUsize::new(0),
        }
    }
}

#[derive(Debug)]
struct Slot {
    body: Sha,
    claimed_at: Instant,
    response: Option<ApiResponse>,
}

impl Slot {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + 64 + self.response.as_ref().map_or(0, response_weight)
    }
}

fn response_weight(response: &ApiResponse) -> usize {
    let body = response.body.as_ref().map_or(0, |json| json.bytes().len());
    let headers: usize = response
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 64)
        .sum();
    std::mem::size_of::<ApiResponse>() + body + headers
}

/// What a request with an `Idempotency-Key` should do.
#[derive(Debug)]
pub enum Begin {
    /// The key is new: run the request, then call [`Idempotency::finish`].
    Fresh,
    /// The key was used with an equal body: send this response again.
    Replay(ApiResponse),
    /// The key was used with a different body.
    BodyMismatch,
    /// A request with this key is still running.
    InFlight,
}

impl Idempotency {
    /// Claims `key` for a request with `body`, or says why not.
    pub fn begin(&self, key: &str, body: &[u8]) -> Begin {
        let body = body_digest(body);
        let scope = sha(key.as_bytes());
        let mut slots = self.lock();
        if let Some(slot) = slots.get(&scope) {
            if slot.claimed_at.elapsed() < KEY_LIFETIME {
                return match (&slot.response, slot.body == body) {
                    (_, false) => Begin::BodyMismatch,
                    (Some(response), true) => Begin::Replay(response.clone()),
                    (None, true) => Begin::InFlight,
                };
            }
            if let Some(old) = slots.pop(&scope) {
                self.bytes.fetch_sub(old.weight(), Ordering::Relaxed);
            }
        }
        let slot = Slot {
            body,
            claimed_at: Instant::now(),
            response: None,
        };
        self.bytes.fetch_add(slot.weight(), Ordering::Relaxed);
        slots.put(scope, slot);
        self.forget_beyond_caps(&mut slots);
        Begin::Fresh
    }

    /// Remembers the response to the request that claimed `key`. Server errors
    /// are not remembered, so a retry runs the request again.
    pub fn finish(&self, key: &str, response: &ApiResponse) {
        let scope = sha(key.as_bytes());
        let mut slots = self.lock();
        if response.status.is_server_error() {
            if let Some(old) = slots.pop(&scope) {
                self.bytes.fetch_sub(old.weight(), Ordering::Relaxed);
            }
            return;
        }
        if let Some(slot) = slots.peek_mut(&scope) {
            self.bytes.fetch_sub(slot.weight(), Ordering::Relaxed);
            slot.response = Some(response.clone());
            self.bytes.fetch_add(slot.weight(), Ordering::Relaxed);
        }
        self.forget_beyond_caps(&mut slots);
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// The approximate bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Forgets the least recently used completed keys, one by one, until both
    /// caps hold. Keys still running are skipped: there are at most as many of
    /// them as requests in flight.
    fn forget_beyond_caps(&self, slots: &mut LruCache<Sha, Slot>) {
        while slots.len() > MAX_KEYS || self.bytes.load(Ordering::Relaxed) > MAX_BYTES {
            let oldest_done = slots
                .iter()
                .rev()
                .find(|(_, slot)| slot.response.is_some())
                .map(|(scope, _)| *scope);
            let Some(scope) = oldest_done else { break };
            if let Some(old) = slots.pop(&scope) {
                self.bytes.fetch_sub(old.weight(), Ordering::Relaxed);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Sha, Slot>> {
        // A poisoned lock means a panic elsewhere mid-update; the cache is still whole.
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn sha(bytes: &[u8]) -> Sha {
    Sha256::digest(bytes).into()
}

/// The digest of `body`'s canonical JSON when it parses, else of its bytes
/// (with a different prefix, so the two never collide).
fn body_digest(body: &[u8]) -> Sha {
    let mut hasher = Sha256::new();
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            hasher.update(b"json\n");
            canonical(&value, &mut hasher);
        }
        Err(_) => {
            hasher.update(b"raw\n");
            hasher.update(body);
        }
    }
    hasher.finalize().into()
}

/// Feeds `value` to `hasher` as JSON with object keys sorted and no spacing.
fn canonical(value: &Value, hasher: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            hasher.update(b"{");
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    hasher.update(b",");
                }
                hasher.update(Value::String(key.clone()).to_string().as_bytes());
                hasher.update(b":");
                canonical(value, hasher);
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    hasher.update(b",");
                }
                canonical(item, hasher);
            }
            hasher.update(b"]");
        }
        scalar => hasher.update(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use serde_json::json;

    fn created() -> ApiResponse {
        ApiResponse::json(StatusCode::CREATED, json!({"id": "auth_factor_1"}))
    }

    #[test]
    fn the_same_key_and_body_replays_the_first_response() {
        let keys = Idempotency::default();
        let body = br#"{"type":"totp","totp_user":"a","n":{"b":1,"a":[1,2]}}"#;
        assert!(matches!(keys.begin("POST /x k", body), Begin::Fresh));
        keys.finish("POST /x k", &created());
        let reordered = br#"{ "n": {"a": [1, 2], "b": 1}, "totp_user": "a", "type": "totp" }"#;
        match keys.begin("POST /x k", reordered) {
            Begin::Replay(response) => assert_eq!(response.status, StatusCode::CREATED),
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn the_same_key_with_another_body_is_a_mismatch() {
        let keys = Idempotency::default();
        keys.begin("k", b"{\"type\":\"totp\"}");
        keys.finish("k", &created());
        assert!(matches!(
            keys.begin("k", b"{\"type\":\"sms\"}"),
            Begin::BodyMismatch
        ));
        assert!(matches!(
            keys.begin("k", b"{\"type\":[\"totp\"]}"),
            Begin::BodyMismatch
        ));
    }

    #[test]
    fn a_key_still_running_is_in_flight() {
        let keys = Idempotency::default();
        keys.begin("k", b"");
        assert!(matches!(keys.begin("k", b""), Begin::InFlight));
    }

    #[test]
    fn a_server_error_is_forgotten_so_the_retry_runs() {
        let keys = Idempotency::default();
        keys.begin("k", b"");
        keys.finish(
            "k",
            &ApiResponse::json(StatusCode::SERVICE_UNAVAILABLE, json!({})),
        );
        assert!(matches!(keys.begin("k", b""), Begin::Fresh));
    }

    #[test]
    fn a_big_body_costs_a_digest_not_its_size() {
        let keys = Idempotency::default();
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(1 << 20));
        keys.begin("k", big.as_bytes());
        assert!(keys.bytes() < 1024, "{} bytes kept", keys.bytes());
    }

    #[test]
    fn past_the_cap_the_least_recently_used_completed_keys_go_one_by_one() {
        let keys = Idempotency::default();
        for n in 0..MAX_KEYS {
            keys.begin(&format!("k{n}"), b"{}");
            keys.finish(&format!("k{n}"), &created());
        }
        // k0 is used again, so k1 is now the least recently used.
        assert!(matches!(keys.begin("k0", b"{}"), Begin::Replay(_)));
        keys.begin("new", b"{}");
        keys.finish("new", &created());
        assert_eq!(keys.len(), MAX_KEYS);
        assert!(matches!(keys.begin("k0", b"{}"), Begin::Replay(_)));
        assert!(matches!(keys.begin("k2", b"{}"), Begin::Replay(_)));
        assert!(matches!(keys.begin("k5000", b"{}"), Begin::Replay(_)));
        assert!(matches!(keys.begin("k1", b"{}"), Begin::Fresh));
    }
}
