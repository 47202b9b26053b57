//! The workloads: what each scenario creates before it is measured (setup) and
//! what one iteration sends (one request, or for `flow` one enroll → challenge
//! → verify round trip). How many workers run it and for how long is the
//! driver's business (`driver`).

use std::time::Instant;

use bytes::Bytes;
use clap::ValueEnum;
use http::{Method, Uri};
use serde::{Deserialize, Serialize};

use crate::client::{Answer, ClientError, Connection};
use crate::recorder::Recorder;
use crate::target::Target;
use crate::totp;

/// A workload the benchmark measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// A bare hyper server in this process answering every request with a fixed
    /// ~400-byte JSON body: the most a server can do on this machine.
    Ceiling,
    /// The `enroll` workload against the honest floor: a bare hyper server in
    /// this process that stores a factor with a random secret and nothing more.
    FloorEnroll,
    /// The `flow` workload against the honest floor (a stored factor, a stored
    /// challenge, an HMAC-SHA1 TOTP check).
    FloorFlow,
    /// GET /auth/factors/:id of a TOTP factor enrolled in setup.
    Get,
    /// POST /auth/factors/enroll for TOTP: secret, otpauth URI and QR PNG.
    Enroll,
    /// Enroll → challenge → verify with the correct TOTP code.
    Flow,
    /// GET /user_management/users/:id/auth_factors?limit=10 over a user with
    /// 100 factors.
    List,
}

impl Scenario {
    /// Every scenario, in the order a full run measures them.
    pub const ALL: [Scenario; 7] = [
        Scenario::Ceiling,
        Scenario::FloorEnroll,
        Scenario::FloorFlow,
        Scenario::Get,
        Scenario::Enroll,
        Scenario::Flow,
        Scenario::List,
    ];

    /// The scenario's name on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Ceiling => "ceiling",
            Scenario::FloorEnroll => "floor-enroll",
            Scenario::FloorFlow => "floor-flow",
            Scenario::Get => "get",
            Scenario::Enroll => "enroll",
            Scenario::Flow => "flow",
            Scenario::List => "list",
        }
    }

    /// Concurrent connections when none are given.
    pub fn default_connections(self) -> usize {
        match self {
            Scenario::Ceiling | Scenario::Get => 64,
            Scenario::FloorEnroll
            | Scenario::FloorFlow
            | Scenario::Enroll
            | Scenario::Flow
            | Scenario::List => 16,
        }
    }

    /// Whether an iteration is a whole enroll → challenge → verify flow.
    pub fn is_flow(self) -> bool {
        matches!(self, Scenario::Flow | Scenario::FloorFlow)
    }

    /// What the scenario is read against: the floor running the same workload
    /// for `enroll` and `flow`, the ceiling for `get` and `list`; the ceiling
    /// and the floors are their own.
    pub fn reference(self) -> Scenario {
        match self {
            Scenario::Enroll => Scenario::FloorEnroll,
            Scenario::Flow => Scenario::FloorFlow,
            Scenario::FloorEnroll | Scenario::FloorFlow => self,
            Scenario::Ceiling | Scenario::Get | Scenario::List => Scenario::Ceiling,
        }
    }

    /// Requests one iteration sends when it succeeds.
    pub fn requests_per_iteration(self) -> u64 {
        if self.is_flow() { 3 } else { 1 }
    }
}

/// The enroll body every `enroll` and `flow` iteration sends.
pub const ENROLL_BODY: &str =
    r#"{"type":"totp","totp_issuer":"Foo Corp","totp_user":"alan.turing@example.com"}"#;
/// Where the ceiling's requests go (any path gets the same answer there).
const CEILING_PATH: &str = "/auth/factors/auth_factor_01CEILING0000000000000000";
const ENROLL_PATH: &str = "/auth/factors/enroll";

/// A scenario after its setup: everything an iteration needs.
#[derive(Debug, Clone)]
pub enum Workload {
    /// One GET of a fixed path (`get`, `list` and `ceiling`).
    Fixed {
        /// The path and query fetched.
        uri: Uri,
    },
    /// One TOTP enrollment.
    Enroll,
    /// One enroll → challenge → verify round trip.
    Flow,
}

/// The server's answer to an enrollment (or a user creation): its id, and for
/// TOTP the secret.
#[derive(Debug, Deserialize)]
struct Created {
    id: String,
    totp: Option<TotpPart>,
}

#[derive(Debug, Deserialize)]
struct TotpPart {
    secret: String,
}

#[derive(Debug, Deserialize)]
struct Verified {
    valid: bool,
}

impl Workload {
    /// Creates what `scenario` needs on the server, as `api_key`. `list_factors`
    /// is how many factors the `list` user gets.
    pub async fn setup(
        scenario: Scenario,
        target: &Target,
        api_key: &str,
        list_factors: usize,
    ) -> Result<Self, String> {
        let connect = || async {
            Connection::open(target, api_key)
                .await
                .map_err(|error| format!("{}: setup: {error}", target.url()))
        };
        match scenario {
            Scenario::Ceiling => Ok(Self::Fixed {
                uri: Uri::from_static(CEILING_PATH),
            }),
            Scenario::Enroll | Scenario::FloorEnroll => Ok(Self::Enroll),
            Scenario::Flow | Scenario::FloorFlow => Ok(Self::Flow),
            Scenario::Get => {
                let factor = create(&mut connect().await?, ENROLL_PATH, ENROLL_BODY).await?;
                fixed(&format!("/auth/factors/{}", factor.id))
            }
            Scenario::List => setup_list(&mut connect().await?, list_factors).await,
        }
    }

    /// Whether an iteration creates objects on the server (and so fills a
    /// tenant), rather than reading what setup made.
    pub fn creates(&self) -> bool {
        matches!(self, Self::Enroll | Self::Flow)
    }

    /// Runs one iteration on `connection`, recording every request.
    pub async fn iterate(
        &self,
        connection: &mut Connection,
        recorder: &mut Recorder,
    ) -> Result<(), ClientError> {
        match self {
            Self::Fixed { uri } => {
                timed(connection, recorder, Method::GET, uri.clone(), Bytes::new()).await?;
            }
            Self::Enroll => {
                let body = Bytes::from_static(ENROLL_BODY.as_bytes());
                let uri = Uri::from_static(ENROLL_PATH);
                timed(connection, recorder, Method::POST, uri, body).await?;
            }
            Self::Flow => flow(connection, recorder).await?,
        }
        Ok(())
    }
}

async fn setup_list(connection: &mut Connection, factors: usize) -> Result<Workload, String> {
    let user = create(
        connection,
        "/user_management/users",
        r#"{"email":"load.test@example.com"}"#,
    )
    .await?;
    let factors_path = format!("/user_management/users/{}/auth_factors", user.id);
    for _ in 0..factors {
        let uri = to_uri(&factors_path)?;
        let body = Bytes::from_static(br#"{"type":"totp"}"#);
        let answer = connection
            .send(Method::POST, uri, body)
            .await
            .map_err(|error| format!("setup: {error}"))?;
        require_2xx(&answer, &factors_path)?;
    }
    fixed(&format!("{factors_path}?limit=10"))
}

fn fixed(path: &str) -> Result<Workload, String> {
    Ok(Workload::Fixed { uri: to_uri(path)? })
}

fn to_uri(path: &str) -> Result<Uri, String> {
    Uri::try_from(path).map_err(|error| {
        format!("the server returned an id that does not fit a path ({path}): {error}")
    })
}

/// POSTs `body` to `path` during setup and returns the created object's id.
async fn create(connection: &mut Connection, path: &str, body: &str) -> Result<Created, String> {
    let body = Bytes::copy_from_slice(body.as_bytes());
    let answer = connection
        .send(Method::POST, to_uri(path)?, body)
        .await
        .map_err(|error| format!("setup: POST {path}: {error}"))?;
    require_2xx(&answer, path)?;
    serde_json::from_slice(&answer.body)
        .map_err(|error| format!("setup: POST {path}: unexpected body: {error}"))
}

fn require_2xx(answer: &Answer, path: &str) -> Result<(), String> {
    if answer.status.is_success() {
        return Ok(());
    }
    Err(format!(
        "setup: POST {path} answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    ))
}

/// Sends one request and records it; `Some(answer)` only for a 2xx answer.
async fn timed(
    connection: &mut Connection,
    recorder: &mut Recorder,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Result<Option<Answer>, ClientError> {
    // Cheap clones (a static method, a shared path) kept only to name a failure.
    let (label_method, label_uri) = (method.clone(), uri.clone());
    let started = Instant::now();
    let answer = connection.send(method, uri, body).await?;
    if recorder.request(started, Instant::now(), answer.status) {
        return Ok(Some(answer));
    }
    let what = format!("{label_method} {}", label_uri.path());
    recorder.non_2xx_body(answer.status, &what, &answer.body);
    Ok(None)
}

async fn flow(connection: &mut Connection, recorder: &mut Recorder) -> Result<(), ClientError> {
    let body = Bytes::from_static(ENROLL_BODY.as_bytes());
    let uri = Uri::from_static(ENROLL_PATH);
    let Some(enrolled) = timed(connection, recorder, Method::POST, uri, body).await? else {
        return Ok(());
    };
    let Some((factor_id, secret)) = check(recorder, parse_enrolled(&enrolled.body)) else {
        return Ok(());
    };
    let Some(uri) = check(
        recorder,
        to_uri(&format!("/auth/factors/{factor_id}/challenge")),
    ) else {
        return Ok(());
    };
    let body = Bytes::from_static(b"{}");
    let Some(challenge) = timed(connection, recorder, Method::POST, uri, body).await? else {
        return Ok(());
    };
    let Some(verify) = check(recorder, verify_request(&challenge.body, &secret)) else {
        return Ok(());
    };
    let (uri, body) = verify;
    let Some(verified) = timed(connection, recorder, Method::POST, uri, body).await? else {
        return Ok(());
    };
    if check(recorder, parse_verified(&verified.body)).is_some() {
        recorder.flow(Instant::now());
    }
    Ok(())
}

/// The value, or `None` after recording the problem as a failed check.
fn check<T>(recorder: &mut Recorder, result: Result<T, String>) -> Option<T> {
    result
        .map_err(|problem| recorder.failed_check(problem))
        .ok()
}

/// The factor id and TOTP secret from an enrollment answer.
fn parse_enrolled(body: &[u8]) -> Result<(String, String), String> {
    let created: Created = serde_json::from_slice(body)
        .map_err(|error| format!("enroll: unexpected body: {error}"))?;
    let secret = created
        .totp
        .ok_or("enroll: the answer has no totp object")?
        .secret;
    Ok((created.id, secret))
}

/// The verify request for a challenge answer: its path, and a body with the
/// code `secret` gives now.
fn verify_request(challenge: &[u8], secret: &str) -> Result<(Uri, Bytes), String> {
    let created: Created = serde_json::from_slice(challenge)
        .map_err(|error| format!("challenge: unexpected body: {error}"))?;
    let uri = to_uri(&format!("/auth/challenges/{}/verify", created.id))?;
    let code = totp::code_now(secret)?;
    Ok((uri, Bytes::from(format!(r#"{{"code":"{code}"}}"#))))
}

fn parse_verified(body: &[u8]) -> Result<(), String> {
    let verified: Verified = serde_json::from_slice(body)
        .map_err(|error| format!("verify: unexpected body: {error}"))?;
    if verified.valid {
        Ok(())
    } else {
        Err("verify: a correct TOTP code came back valid: false".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrollment_answer_gives_the_factor_id_and_secret() {
        let body = br#"{"object":"authentication_factor","id":"auth_factor_1","type":"totp",
            "totp":{"issuer":"Foo Corp","secret":"JBSWY3DPEHPK3PXP","qr_code":"data:image/png;base64,iVBOR"}}"#;
        assert_eq!(
            parse_enrolled(body),
            Ok(("auth_factor_1".to_owned(), "JBSWY3DPEHPK3PXP".to_owned()))
        );
    }

    #[test]
    fn an_enrollment_answer_without_a_secret_is_a_failed_check() {
        let error = parse_enrolled(br#"{"id":"auth_factor_1","type":"sms"}"#);
        assert_eq!(
            error,
            Err("enroll: the answer has no totp object".to_owned())
        );
    }

    #[test]
    fn the_verify_request_carries_a_six_digit_code_for_the_challenge() {
        let (uri, body) = verify_request(br#"{"id":"auth_challenge_1"}"#, "JBSWY3DPEHPK3PXP")
            .expect("a valid challenge answer");
        assert_eq!(uri.path(), "/auth/challenges/auth_challenge_1/verify");
        let sent: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        let code = sent["code"].as_str().unwrap_or_default();
        assert_eq!(code.len(), 6);
    }

    #[test]
    fn a_verification_that_is_not_valid_is_a_failed_check() {
        assert!(parse_verified(br#"{"challenge":{},"valid":true}"#).is_ok());
        assert!(parse_verified(br#"{"challenge":{},"valid":false}"#).is_err());
    }

    #[test]
    fn only_flows_send_three_requests_per_iteration() {
        let per_iteration: Vec<u64> = Scenario::ALL
            .iter()
            .map(|s| s.requests_per_iteration())
            .collect();
        assert_eq!(per_iteration, [1, 1, 3, 1, 1, 3, 1]);
    }

    #[test]
    fn the_issue_defaults_are_64_connections_for_get_and_ceiling_and_16_otherwise() {
        let defaults: Vec<usize> = Scenario::ALL
            .iter()
            .map(|s| s.default_connections())
            .collect();
        assert_eq!(defaults, [64, 16, 16, 64, 16, 16, 16]);
    }
}
