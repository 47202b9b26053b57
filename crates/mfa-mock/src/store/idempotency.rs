//! Responses remembered by `Idempotency-Key`, so an SDK's retry of a POST
//! creates nothing twice.
//!
//! A key is scoped to its tenant, method and path. The first request with a key
//! claims it (`Begin::Fresh`) and its response is remembered; a later request
//! with the same key and an equal body gets that response again; a different
//! body, or a second request while the first is still running, is refused.
//! Bodies are compared as JSON values when both parse, so whitespace and key
//! order do not matter.

use std::time::{Duration, Instant};

use bytes::Bytes;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use serde_json::Value;

use crate::response::ApiResponse;

/// How long a key is remembered.
pub(super) const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How many keys one tenant keeps before old ones are dropped.
pub(super) const MAX_KEYS: usize = 10_000;

/// The remembered keys of one tenant.
#[derive(Debug)]
pub struct Idempotency {
    slots: DashMap<String, Slot>,
}

impl Default for Idempotency {
    fn default() -> Self {
        // Few shards: one per API key adds up when every test uses its own key.
        Self {
            slots: DashMap::with_shard_amount(4),
        }
    }
}

#[derive(Debug)]
struct Slot {
    body: Fingerprint,
    claimed_at: Instant,
    response: Option<ApiResponse>,
}

#[derive(Debug, PartialEq)]
enum Fingerprint {
    Json(Value),
    Raw(Bytes),
}

impl Fingerprint {
    fn of(body: &Bytes) -> Self {
        match serde_json::from_slice(body) {
            Ok(value) => Fingerprint::Json(value),
            Err(_) => Fingerprint::Raw(body.clone()),
        }
    }
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
    pub fn begin(&self, key: &str, body: &Bytes) -> Begin {
        let fingerprint = Fingerprint::of(body);
        if self.slots.len() >= MAX_KEYS {
            self.forget_old();
        }
        match self.slots.entry(key.to_owned()) {
            Entry::Vacant(vacant) => {
                vacant.insert(Slot {
                    body: fingerprint,
                    claimed_at: Instant::now(),
                    response: None,
                });
                Begin::Fresh
            }
            Entry::Occupied(occupied) => {
                let slot = occupied.get();
                match (&slot.response, slot.body == fingerprint) {
                    (_, false) => Begin::BodyMismatch,
                    (Some(response), true) => Begin::Replay(response.clone()),
                    (None, true) => Begin::InFlight,
                }
            }
        }
    }

    /// Remembers the response to the request that claimed `key`. Server errors
    /// are not remembered, so a retry runs the request again.
    pub fn finish(&self, key: &str, response: &ApiResponse) {
        if response.status.is_server_error() {
            self.slots.remove(key);
        } else if let Some(mut slot) = self.slots.get_mut(key) {
            slot.response = Some(response.clone());
        }
    }

    fn forget_old(&self) {
        self.slots
            .retain(|_, slot| slot.claimed_at.elapsed() < KEY_LIFETIME);
        if self.slots.len() >= MAX_KEYS {
            self.slots.retain(|_, slot| slot.response.is_none());
        }
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
        let body = Bytes::from_static(br#"{"type":"totp","totp_user":"a"}"#);
        assert!(matches!(keys.begin("POST /x k", &body), Begin::Fresh));
        keys.finish("POST /x k", &created());
        let reordered = Bytes::from_static(br#"{ "totp_user": "a", "type": "totp" }"#);
        match keys.begin("POST /x k", &reordered) {
            Begin::Replay(response) => assert_eq!(response.status, StatusCode::CREATED),
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn the_same_key_with_another_body_is_a_mismatch() {
        let keys = Idempotency::default();
        keys.begin("k", &Bytes::from_static(b"{\"type\":\"totp\"}"));
        keys.finish("k", &created());
        assert!(matches!(
            keys.begin("k", &Bytes::from_static(b"{\"type\":\"sms\"}")),
            Begin::BodyMismatch
        ));
    }

    #[test]
    fn a_key_still_running_is_in_flight() {
        let keys = Idempotency::default();
        keys.begin("k", &Bytes::new());
        assert!(matches!(keys.begin("k", &Bytes::new()), Begin::InFlight));
    }

    #[test]
    fn a_server_error_is_forgotten_so_the_retry_runs() {
        let keys = Idempotency::default();
        keys.begin("k", &Bytes::new());
        keys.finish(
            "k",
            &ApiResponse::json(StatusCode::SERVICE_UNAVAILABLE, json!({})),
        );
        assert!(matches!(keys.begin("k", &Bytes::new()), Begin::Fresh));
    }
}
