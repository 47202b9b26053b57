//! Start-up time: from spawning the server process to its first 200 on
//! `GET /health`, over several fresh starts; the median, minimum and maximum.
//! This is what every CI job pays before its first test.

use std::time::{Duration, Instant};

use http::{Method, StatusCode, Uri};
use serde::Serialize;

use crate::client::Connection;
use crate::server_process::Launch;
use crate::stats;
use crate::target::Target;

/// How long a started server may take to answer `/health` with a 200.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// Start-up times of `starts` fresh server processes.
#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    /// How many processes were started.
    pub starts: usize,
    /// Median time from spawn to the first 200, in microseconds.
    pub median_us: u64,
    /// The fastest start, in microseconds.
    pub min_us: u64,
    /// The slowest start, in microseconds.
    pub max_us: u64,
}

/// Starts the server `starts` times, one after another, and times each.
pub async fn measure(launch: &Launch, starts: usize) -> Result<Startup, String> {
    let mut samples = Vec::with_capacity(starts);
    for _ in 0..starts {
        let server = launch.spawn()?;
        let ready = first_200(&Target::from_addr(server.addr())).await?;
        samples.push(ready.saturating_duration_since(server.spawned_at()));
    }
    let (median, min, max) =
        stats::median_min_max(&samples).ok_or("start-up needs at least one start")?;
    Ok(Startup {
        starts,
        median_us: micros(median),
        min_us: micros(min),
        max_us: micros(max),
    })
}

/// Polls `GET /health` until it answers 200; returns when it did.
pub async fn first_200(target: &Target) -> Result<Instant, String> {
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    let mut last_problem = String::from("no answer");
    while Instant::now() < deadline {
        match health(target).await {
            Ok(StatusCode::OK) => return Ok(Instant::now()),
            Ok(status) => last_problem = format!("GET /health answered {status}"),
            Err(error) => last_problem = error,
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    Err(format!(
        "{} did not answer GET /health with 200 within {}s: {last_problem}",
        target.url(),
        HEALTH_TIMEOUT.as_secs()
    ))
}

async fn health(target: &Target) -> Result<StatusCode, String> {
    let mut connection = Connection::open(target, "sk_test_mfa_load_health")
        .await
        .map_err(|error| error.to_string())?;
    let answer = connection
        .send(Method::GET, Uri::from_static("/health"), Default::default())
        .await
        .map_err(|error| error.to_string())?;
    Ok(answer.status)
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
