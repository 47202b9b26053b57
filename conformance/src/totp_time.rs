//! When a step's TOTP codes are computed: at the tenant's time when the server has the
//! test-control plane (so a frozen or moved clock gets the code the server expects), else
//! at the wall clock's; and, on a running clock, never in the last moments of a 30 s
//! step, so the code is still current when the server checks it.
//!
//! Computing the codes is `totp`'s job; reading the tenant's clock is `control`'s.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::control;
use crate::fixture::Step;
use crate::totp::STEP_SECONDS;

/// A code is not computed when fewer than this many milliseconds are left in its step.
const TOTP_GUARD_MILLIS: u64 = 2_000;

/// Whether any request string of `step` asks for a TOTP code.
pub fn mentions_totp(step: &Step) -> bool {
    let request = &step.request;
    let json = request
        .json
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    [
        request.path.as_str(),
        json.as_str(),
        request.body.as_deref().unwrap_or_default(),
    ]
    .into_iter()
    .chain(request.headers.values().map(String::as_str))
    .any(|text| text.contains("{{totp"))
}

/// The Unix seconds to compute codes at: the clock of the tenant `authorization` names
/// (`None`: the wall clock), after waiting out the end of a step on a running clock.
pub async fn code_time(
    client: &reqwest::Client,
    base_url: &str,
    authorization: Option<&str>,
) -> Result<u64, String> {
    let (now, frozen) = match authorization {
        None => (wall_millis(), false),
        Some(authorization) => {
            let time = control::clock(client, base_url, authorization)
                .await
                .map_err(|reason| {
                    format!("reading the tenant's clock for a TOTP code: {reason}")
                })?;
            (u64::try_from(time.unix_millis).unwrap_or(0), time.frozen)
        }
    };
    let wait = if frozen {
        Duration::ZERO
    } else {
        boundary_wait(now)
    };
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    Ok((now + millis(wait)) / 1_000)
}

/// The wall clock in Unix seconds.
pub fn wall_seconds() -> u64 {
    wall_millis() / 1_000
}

/// How long to wait at `now_millis` so a TOTP code is not computed in the last
/// [`TOTP_GUARD_MILLIS`] of its 30 s step; zero when there is time enough.
fn boundary_wait(now_millis: u64) -> Duration {
    let step_millis = STEP_SECONDS * 1_000;
    let left = step_millis - now_millis % step_millis;
    if left < TOTP_GUARD_MILLIS {
        Duration::from_millis(left + 100)
    } else {
        Duration::ZERO
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn wall_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(request: Value) -> Step {
        serde_json::from_value(json!({"name": "s", "request": request,
            "expect": {"status": 201, "schema": "x"}}))
        .expect("valid step")
    }

    #[test]
    fn a_code_is_not_computed_in_the_last_two_seconds_of_a_step() {
        assert_eq!(boundary_wait(1_000), Duration::ZERO);
        assert_eq!(boundary_wait(27_999), Duration::ZERO);
        assert_eq!(boundary_wait(28_500), Duration::from_millis(1_600));
    }

    #[test]
    fn a_step_mentions_totp_in_its_json_path_body_or_headers() {
        let in_json = json!({"method": "POST", "path": "/v", "json": {"code": "{{totp:secret}}"}});
        let in_header =
            json!({"method": "GET", "path": "/v", "headers": {"X-Code": "{{totp_wrong:s}}"}});
        let none = json!({"method": "POST", "path": "/v", "json": {"code": "{{code}}"}});
        assert!(mentions_totp(&step(in_json)));
        assert!(mentions_totp(&step(in_header)));
        assert!(!mentions_totp(&step(none)));
    }

    #[tokio::test]
    async fn without_a_tenant_the_wall_clock_is_used() {
        let client = reqwest::Client::new();
        let before = wall_seconds();
        let at = code_time(&client, "http://unused.invalid", None)
            .await
            .expect("no request is made");
        assert!((before..=before + 3).contains(&at), "{before} {at}");
    }
}
