//! The honest floor: a plain hyper server in this process that does the least
//! real work an enroll → challenge → verify flow needs and nothing else. An
//! enrollment stores a factor with a random 160-bit secret in a `DashMap`, a
//! challenge stores a challenge, a verification checks an HMAC-SHA1 TOTP code;
//! each answers a small JSON object of fixed shape. No routing table, journal,
//! validation, ULIDs or QR code. mfa-mock's `enroll` and `flow` figures read as
//! multiples of it: what the API's extras cost over the work itself.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dashmap::DashMap;
use data_encoding::BASE32_NOPAD;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use totp_lite::{Sha1, totp_custom};

use crate::ceiling::InProcessServer;

/// Factors and challenges each store at most this many; past it an enrollment
/// or challenge is a 503 (a 10-second run stores a few hundred thousand).
pub const CAPACITY: usize = 4_000_000;
/// The largest request body read (a verification's is about 20 bytes).
const MAX_BODY: usize = 1024;

const CONTENT_TYPE_JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// Starts the floor on 127.0.0.1 (a free port), on a new thread pinned to
/// `core` when one is given.
pub fn start(core: Option<usize>) -> io::Result<InProcessServer> {
    let floor = Arc::new(Floor::new(CAPACITY));
    InProcessServer::start("floor-server", core, move |request| {
        let floor = Arc::clone(&floor);
        async move { Ok::<_, Infallible>(floor.answer(request).await) }
    })
}

/// What the floor keeps: secrets by factor and by challenge number.
#[derive(Debug)]
pub struct Floor {
    factors: DashMap<u64, [u8; 20]>,
    challenges: DashMap<u64, [u8; 20]>,
    next_id: AtomicU64,
    capacity: usize,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

impl Floor {
    /// An empty floor whose stores hold at most `capacity` entries each.
    pub fn new(capacity: usize) -> Self {
        Self {
            factors: DashMap::new(),
            challenges: DashMap::new(),
            next_id: AtomicU64::new(1),
            capacity,
        }
    }

    /// The answer to `request`, told apart by the last path segment only:
    /// `…/enroll`, `…/<factor>/challenge` or `…/<challenge>/verify`.
    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        let mut segments = path.rsplit('/');
        let (last, id) = (segments.next(), segments.next());
        let id = id.and_then(|id| id.parse().ok());
        match (last, id) {
            (Some("enroll"), _) => self.enroll(),
            (Some("challenge"), Some(factor)) => self.challenge(factor),
            (Some("verify"), Some(challenge)) => {
                let body = Limited::new(request.into_body(), MAX_BODY).collect().await;
                let code = body
                    .ok()
                    .and_then(|body| serde_json::from_slice::<Code>(&body.to_bytes()).ok());
                match code {
                    Some(code) => self.verify(challenge, &code.code, unix_seconds()),
                    None => reply(StatusCode::BAD_REQUEST, r#"{"code":"invalid"}"#.to_owned()),
                }
            }
            _ => reply(StatusCode::NOT_FOUND, r#"{"code":"not_found"}"#.to_owned()),
        }
    }

    /// Stores a factor with a fresh 160-bit secret; answers its number and secret.
    pub fn enroll(&self) -> Response<Full<Bytes>> {
        if self.factors.len() >= self.capacity {
            return full();
        }
        let secret: [u8; 20] = rand::random();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.factors.insert(id, secret);
        let body = format!(
            r#"{{"object":"authentication_factor","id":"{id}","type":"totp","totp":{{"secret":"{}"}}}}"#,
            BASE32_NOPAD.encode(&secret)
        );
        reply(StatusCode::CREATED, body)
    }

    /// Stores a challenge of `factor`; answers its number.
    pub fn challenge(&self, factor: u64) -> Response<Full<Bytes>> {
        if self.challenges.len() >= self.capacity {
            return full();
        }
        let Some(secret) = self.factors.get(&factor).map(|secret| *secret) else {
            return reply(StatusCode::NOT_FOUND, r#"{"code":"not_found"}"#.to_owned());
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.challenges.insert(id, secret);
        let body = format!(
            r#"{{"object":"authentication_challenge","id":"{id}","authentication_factor_id":"{factor}"}}"#
        );
        reply(StatusCode::CREATED, body)
    }

    /// Checks `code` against the challenge's secret at `now` (and the steps
    /// either side, as an authenticator's clock may drift).
    pub fn verify(&self, challenge: u64, code: &str, now: u64) -> Response<Full<Bytes>> {
        let Some(secret) = self.challenges.get(&challenge).map(|secret| *secret) else {
            return reply(StatusCode::NOT_FOUND, r#"{"code":"not_found"}"#.to_owned());
        };
        let valid = [now, now.saturating_sub(30), now + 30]
            .into_iter()
            .any(|at| totp_custom::<Sha1>(30, 6, &secret, at) == code);
        let body = format!(r#"{{"challenge":{{"id":"{challenge}"}},"valid":{valid}}}"#);
        reply(StatusCode::OK, body)
    }
}

fn full() -> Response<Full<Bytes>> {
    reply(
        StatusCode::SERVICE_UNAVAILABLE,
        r#"{"code":"full"}"#.to_owned(),
    )
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, CONTENT_TYPE_JSON);
    response
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn json(response: Response<Full<Bytes>>) -> serde_json::Value {
        let body = response.into_body().collect().await.expect("a full body");
        serde_json::from_slice(&body.to_bytes()).expect("JSON")
    }

    #[tokio::test]
    async fn a_flow_verifies_with_the_code_of_the_returned_secret() {
        let floor = Floor::new(10);
        let factor = json(floor.enroll()).await;
        let secret = factor["totp"]["secret"].as_str().expect("a secret");
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let factor_id = factor["id"]
            .as_str()
            .expect("an id")
            .parse()
            .expect("a number");
        let challenge = json(floor.challenge(factor_id)).await;
        let challenge_id = challenge["id"]
            .as_str()
            .expect("an id")
            .parse()
            .expect("a number");
        let now = 1_700_000_000;
        let code = crate::totp::code_at(secret, now).expect("a code");
        let verified = json(floor.verify(challenge_id, &code, now)).await;
        assert_eq!(verified["valid"], true);
        let wrong = format!(
            "{:06}",
            (code.parse::<u32>().expect("digits") + 1) % 1_000_000
        );
        assert_eq!(
            json(floor.verify(challenge_id, &wrong, now)).await["valid"],
            false
        );
    }

    #[test]
    fn each_store_stops_at_its_capacity() {
        let floor = Floor::new(2);
        assert_eq!(floor.enroll().status(), StatusCode::CREATED);
        assert_eq!(floor.enroll().status(), StatusCode::CREATED);
        assert_eq!(floor.enroll().status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(floor.factors.len(), 2);
        assert_eq!(floor.challenge(1).status(), StatusCode::CREATED);
        assert_eq!(floor.challenge(1).status(), StatusCode::CREATED);
        assert_eq!(floor.challenge(1).status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(floor.challenges.len(), 2);
    }

    #[test]
    fn an_unknown_factor_or_challenge_is_a_404() {
        let floor = Floor::new(2);
        assert_eq!(floor.challenge(7).status(), StatusCode::NOT_FOUND);
        assert_eq!(floor.verify(7, "123456", 0).status(), StatusCode::NOT_FOUND);
    }
}
