//! The runner's own calls to mfa-mock's test-control plane: is it there, what time is it
//! for a tenant, and freezing a tenant's clock.
//!
//! Only `/_mock/clock` is used. A 200 `{"object": "clock"}` from `GET /_mock/clock` means
//! the control plane is there; anything else (the real WorkOS API answers 404) means it
//! is not, and fixtures that need it are skipped. TOTP codes are then computed at the
//! tenant's time, so a fixture that freezes or moves the clock gets the code the server
//! expects. What the fixtures themselves send to `/_mock/` goes through the normal steps.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::http::{self, Incoming, Outgoing};
use crate::requirements::ControlPlane;

/// The clock endpoint, relative to the base URL.
pub const CLOCK_PATH: &str = "/_mock/clock";

/// A tenant's time as `GET /_mock/clock` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantTime {
    /// Milliseconds since the Unix epoch.
    pub unix_millis: i64,
    /// Whether the clock stands still.
    pub frozen: bool,
}

/// Whether the server at `base_url` has the control plane, asking as `authorization`.
pub async fn probe(client: &reqwest::Client, base_url: &str, authorization: &str) -> ControlPlane {
    match clock(client, base_url, authorization).await {
        Ok(_) => ControlPlane::Available,
        Err(reason) => ControlPlane::Unavailable(reason),
    }
}

/// The tenant's time.
pub async fn clock(
    client: &reqwest::Client,
    base_url: &str,
    authorization: &str,
) -> Result<TenantTime, String> {
    let response = send(client, base_url, authorization, "GET", None).await?;
    parse_clock(&response).map_err(|problem| format!("GET {CLOCK_PATH}: {problem}"))
}

/// Freezes the tenant's clock at `at` (RFC 3339).
pub async fn freeze(
    client: &reqwest::Client,
    base_url: &str,
    authorization: &str,
    at: &str,
) -> Result<(), String> {
    let body = json!({"freeze_at": at});
    let response = send(client, base_url, authorization, "POST", Some(body)).await?;
    parse_clock(&response)
        .map(|_| ())
        .map_err(|problem| format!("POST {CLOCK_PATH} {{\"freeze_at\": {at:?}}}: {problem}"))
}

async fn send(
    client: &reqwest::Client,
    base_url: &str,
    authorization: &str,
    method: &str,
    json: Option<Value>,
) -> Result<Incoming, String> {
    let mut headers = vec![("authorization".to_string(), authorization.to_string())];
    if json.is_some() {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    let request = Outgoing {
        method: method.to_string(),
        url: format!("{base_url}{CLOCK_PATH}"),
        headers,
        body: json.map(|value| value.to_string().into_bytes()),
    };
    http::send(client, request)
        .await
        .map_err(|reason| format!("{method} {CLOCK_PATH}: {reason}"))
}

/// The clock in a response, if it is a 200 `{"object": "clock", "now", "frozen"}`.
pub fn parse_clock(response: &Incoming) -> Result<TenantTime, String> {
    let excerpt = || one_line(&response.body.excerpt(120));
    if response.status != 200 {
        return Err(format!("answered {} {}", response.status, excerpt()));
    }
    let body = response.body.json().filter(|b| b["object"] == "clock");
    let now = body.and_then(|b| b["now"].as_str());
    let frozen = body.and_then(|b| b["frozen"].as_bool());
    let (Some(now), Some(frozen)) = (now, frozen) else {
        return Err(format!(
            "answered 200 but not {{\"object\": \"clock\", \"now\", \"frozen\"}}: {}",
            excerpt()
        ));
    };
    let unix_millis = unix_millis(now).ok_or_else(|| format!("\"now\" {now:?} is not RFC 3339"))?;
    Ok(TenantTime {
        unix_millis,
        frozen,
    })
}

/// `text` with every run of whitespace made one space, so an HTML page fits a line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp.
pub fn unix_millis(rfc3339: &str) -> Option<i64> {
    let parsed = OffsetDateTime::parse(rfc3339, &Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ResponseBody;
    use std::collections::BTreeMap;

    fn response(status: u16, body: Value) -> Incoming {
        Incoming {
            status,
            headers: BTreeMap::new(),
            body: ResponseBody::Json(body),
        }
    }

    #[test]
    fn a_clock_response_gives_the_tenant_time_in_milliseconds() {
        let time = parse_clock(&response(
            200,
            json!({"object": "clock", "now": "1970-01-01T00:00:01.500Z", "frozen": true}),
        ));
        assert_eq!(
            time,
            Ok(TenantTime {
                unix_millis: 1_500,
                frozen: true
            })
        );
    }

    #[test]
    fn a_404_means_no_control_plane_and_says_what_came_back() {
        let problem =
            parse_clock(&response(404, json!({"message": "Not Found"}))).expect_err("not a clock");
        assert!(
            problem.contains("404") && problem.contains("Not Found"),
            "{problem}"
        );
    }

    #[test]
    fn an_html_error_page_is_quoted_on_one_line() {
        let page = Incoming {
            status: 404,
            headers: BTreeMap::new(),
            body: ResponseBody::Text("<html>\n  <p>Not Found</p>\n</html>".into()),
        };
        let problem = parse_clock(&page).expect_err("not a clock");
        assert_eq!(problem, "answered 404 <html> <p>Not Found</p> </html>");
    }

    #[test]
    fn a_200_that_is_not_a_clock_is_refused() {
        let problem = parse_clock(&response(200, json!({"object": "list", "data": []})))
            .expect_err("not a clock");
        assert!(problem.contains("\"object\": \"clock\""), "{problem}");
    }

    #[test]
    fn rfc_3339_with_an_offset_is_read_as_utc() {
        assert_eq!(unix_millis("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(unix_millis("yesterday"), None);
    }
}
