//! Drives a workload: N workers, each with its own keep-alive connection,
//! sending one iteration after another (never more than one request in flight
//! per connection), either for a warm-up plus a fixed duration or until a
//! number of iterations is done. Workers are tasks on the caller's runtime,
//! which the benchmark runs on one pinned thread. What an iteration sends is
//! the scenario's business (`scenario`).
//!
//! A workload that creates objects gives each connection a tenant of its own
//! (`{key}_c{n}`), as separate CI jobs would have: a single key holds at most
//! 100 000 objects, which one key filled by all connections reaches within
//! seconds on a fast machine, and the server rightly refuses what is past it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::client::Connection;
use crate::cpu::{self, Probe, Usage};
use crate::recorder::Recorder;
use crate::scenario::Workload;
use crate::target::Target;

/// How long a timed run lasts and how many connections it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Concurrent connections, one worker each.
    pub connections: usize,
    /// Time run but not measured, so connections, caches and the server's
    /// allocator settle first.
    pub warmup: Duration,
    /// Time measured.
    pub duration: Duration,
}

/// When a worker stops.
#[derive(Debug, Clone)]
enum Stop {
    /// At this instant.
    At(Instant),
    /// When the shared counter of started iterations reaches the limit.
    AfterIterations(Arc<AtomicU64>, u64),
}

impl Stop {
    fn another(&self) -> bool {
        match self {
            Stop::At(end) => Instant::now() < *end,
            Stop::AfterIterations(started, limit) => {
                started.fetch_add(1, Ordering::Relaxed) < *limit
            }
        }
    }
}

/// Everything a worker needs besides its connection.
#[derive(Clone)]
struct Job {
    target: Target,
    api_key: Arc<str>,
    workload: Arc<Workload>,
    stop: Stop,
}

impl Job {
    /// The key connection `index` sends: the scenario's own for a workload that
    /// only reads what setup made, one per connection for one that creates.
    fn key_of(&self, index: usize) -> String {
        connection_key(&self.api_key, &self.workload, index)
    }
}

fn connection_key(api_key: &str, workload: &Workload, index: usize) -> String {
    if workload.creates() {
        format!("{api_key}_c{index}")
    } else {
        api_key.to_owned()
    }
}

/// Runs `workload` on `timing.connections` connections for warm-up plus
/// duration; counts, latencies and the CPU use `probe` reads cover the
/// duration only.
pub async fn run_timed(
    target: &Target,
    api_key: &str,
    workload: Workload,
    timing: Timing,
    probe: &Probe,
) -> Result<(Recorder, Usage), String> {
    let window_start = Instant::now() + timing.warmup;
    let window_end = window_start + timing.duration;
    let job = Job {
        target: target.clone(),
        api_key: api_key.into(),
        workload: Arc::new(workload),
        stop: Stop::At(window_end),
    };
    let connections = open_all(&job, timing.connections).await?;
    let empty = Recorder::new(window_start, window_end);
    let workers = spawn_workers(&job, connections, &empty);
    tokio::time::sleep_until(window_start.into()).await;
    let first = probe.sample();
    tokio::time::sleep_until(window_end.into()).await;
    let last = probe.sample();
    let recorder = join_workers(workers, empty).await;
    Ok((recorder, cpu::usage(&first, &last)))
}

/// Runs `iterations` iterations of `workload` as fast as `connections`
/// connections allow; returns what was recorded and how long it took.
pub async fn run_counted(
    target: &Target,
    api_key: &str,
    workload: Workload,
    connections: usize,
    iterations: u64,
) -> Result<(Recorder, Duration), String> {
    let job = Job {
        target: target.clone(),
        api_key: api_key.into(),
        workload: Arc::new(workload),
        stop: Stop::AfterIterations(Arc::new(AtomicU64::new(0)), iterations),
    };
    let connections = open_all(&job, connections).await?;
    let started = Instant::now();
    // Everything counts: the window spans the whole run and then some.
    let recorder = Recorder::new(started, started + Duration::from_secs(365 * 24 * 3600));
    let workers = spawn_workers(&job, connections, &recorder);
    let recorder = join_workers(workers, recorder).await;
    Ok((recorder, started.elapsed()))
}

async fn open_all(job: &Job, count: usize) -> Result<Vec<Connection>, String> {
    let mut connections = Vec::with_capacity(count);
    for index in 0..count {
        let connection = Connection::open(&job.target, &job.key_of(index))
            .await
            .map_err(|error| format!("{}: {error}", job.target.url()))?;
        connections.push(connection);
    }
    Ok(connections)
}

fn spawn_workers(job: &Job, connections: Vec<Connection>, empty: &Recorder) -> JoinSet<Recorder> {
    let mut workers = JoinSet::new();
    for (index, connection) in connections.into_iter().enumerate() {
        workers.spawn(work(job.clone(), index, connection, empty.clone()));
    }
    workers
}

async fn join_workers(mut workers: JoinSet<Recorder>, empty: Recorder) -> Recorder {
    let mut total = empty;
    while let Some(finished) = workers.join_next().await {
        match finished {
            Ok(recorder) => total.merge(&recorder),
            Err(error) => total.transport_error(format!("a worker failed: {error}")),
        }
    }
    total
}

/// One worker: iterations back to back; a connection that breaks is
/// counted and replaced.
async fn work(job: Job, index: usize, connection: Connection, mut recorder: Recorder) -> Recorder {
    let mut connection = Some(connection);
    while job.stop.another() {
        let Some(open) = connection.as_mut() else {
            connection = reconnect(&job, index, &mut recorder).await;
            continue;
        };
        if let Err(error) = job.workload.iterate(open, &mut recorder).await {
            recorder.transport_error(error.to_string());
            connection = None;
        }
    }
    recorder
}

async fn reconnect(job: &Job, index: usize, recorder: &mut Recorder) -> Option<Connection> {
    // A pause, so a server that went away is not hammered with connects.
    tokio::time::sleep(Duration::from_millis(10)).await;
    match Connection::open(&job.target, &job.key_of(index)).await {
        Ok(connection) => Some(connection),
        Err(error) => {
            recorder.transport_error(error.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_stop_lets_exactly_the_limit_through() {
        let stop = Stop::AfterIterations(Arc::new(AtomicU64::new(0)), 3);
        let allowed = (0..10).filter(|_| stop.another()).count();
        assert_eq!(allowed, 3);
    }

    #[test]
    fn creating_workloads_give_each_connection_its_own_tenant() {
        assert_eq!(
            connection_key("sk_test_a", &Workload::Flow, 3),
            "sk_test_a_c3"
        );
        assert_eq!(
            connection_key("sk_test_a", &Workload::Enroll, 0),
            "sk_test_a_c0"
        );
        let get = Workload::Fixed {
            uri: http::Uri::from_static("/auth/factors/x"),
        };
        assert_eq!(connection_key("sk_test_a", &get, 3), "sk_test_a");
    }

    #[test]
    fn a_timed_stop_in_the_past_allows_nothing() {
        let past = Instant::now() - Duration::from_millis(1);
        assert!(!Stop::At(past).another());
        assert!(Stop::At(Instant::now() + Duration::from_secs(60)).another());
    }
}
