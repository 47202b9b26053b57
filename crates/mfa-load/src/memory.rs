//! Resident memory of a fresh server: idle, then after a tenth of the flows,
//! then after all of them (10 000 and 100 000 by default), the flows driven as
//! fast as the connections allow. Growth between the two checkpoints shows
//! whether memory is bounded or grows with every factor.

use std::time::Duration;

use serde::Serialize;

use crate::driver;
use crate::scenario::Workload;
use crate::server_process::Launch;
use crate::startup;
use crate::target::Target;

/// How long an idle server is left before its memory is read.
const SETTLE: Duration = Duration::from_millis(200);

/// Memory figures of one server process.
#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    /// VmRSS after start-up and one `/health`, in KiB.
    pub idle_kib: u64,
    /// VmRSS after each batch of flows.
    pub checkpoints: Vec<Checkpoint>,
}

/// The server's memory after a number of flows.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Flows completed since start (cumulative).
    pub flows: u64,
    /// VmRSS then, in KiB.
    pub rss_kib: u64,
    /// How long this batch of flows took, in milliseconds.
    pub batch_ms: u64,
    /// Flows in this batch.
    pub batch_flows: u64,
    /// Non-2xx answers, failed checks and lost connections in this batch.
    pub failures: u64,
    /// The first failure, if any.
    pub first_problem: Option<String>,
}

/// Cumulative flow counts at which memory is read: a tenth of `total`, then
/// `total` (just `total` when a tenth would be zero).
pub fn checkpoints(total: u64) -> Vec<u64> {
    match total / 10 {
        0 => vec![total],
        tenth => vec![tenth, total],
    }
}

/// Starts a fresh server and reads its memory idle and after the flows.
pub async fn measure(
    launch: &Launch,
    connections: usize,
    total_flows: u64,
    api_key: &str,
) -> Result<Memory, String> {
    let server = launch.spawn()?;
    let target = Target::from_addr(server.addr());
    startup::first_200(&target).await?;
    tokio::time::sleep(SETTLE).await;
    let idle_kib = server.rss_kib()?;
    let mut done = 0;
    let mut readings = Vec::new();
    for flows in checkpoints(total_flows) {
        let batch = flows - done;
        let (recorder, took) =
            driver::run_counted(&target, api_key, Workload::Flow, connections, batch).await?;
        done = flows;
        readings.push(Checkpoint {
            flows,
            rss_kib: server.rss_kib()?,
            batch_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            batch_flows: batch,
            failures: recorder.failures(),
            first_problem: recorder.first_problem,
        });
    }
    Ok(Memory {
        idle_kib,
        checkpoints: readings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_read_after_a_tenth_of_the_flows_and_after_all() {
        assert_eq!(checkpoints(100_000), [10_000, 100_000]);
        assert_eq!(checkpoints(5), [5]);
    }
}
