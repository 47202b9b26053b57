//! Drives a workload: N workers, each with its own keep-alive connection,
//! sending one iteration after another (never more than one request in flight
//! per connection), either for a warm-up plus a fixed duration or until a
//! number of iterations is done. Workers are tasks on the caller's runtime,
//! which the benchmark runs on one pinned thread. What an iteration sends is
//! the scenario's business (`scenario`).

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
    let connections = open_all(target, api_key, timing.connections).await?;
    let window_start = Instant::now() + timing.warmup;
    let window_end = window_start + timing.duration;
    let job = Job {
        target: target.clone(),
        api_key: api_key.into(),
        workload: Arc::new(workload),
        stop: Stop::At(window_end),
    };
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
    let connections = open_all(target, api_key, connections).await?;
    let started = Instant::now();
    let job = Job {
        target: target.clone(),
        api_key: api_key.into(),
        workload: Arc::new(workload),
        stop: Stop::AfterIterations(Arc::new(AtomicU64::new(0)), iterations),
    };
    // Everything counts: the window spans the whole run and then some.
    let recorder = Recorder::new(started, started + Duration::from_secs(365 * 24 * 3600));
    let workers = spawn_workers(&job, connections, &recorder);
    let recorder = join_workers(workers, recorder).await;
    Ok((recorder, started.elapsed()))
}

async fn open_all(target: &Target, api_key: &str, count: usize) -> Result<Vec<Connection>, String> {
    let mut connections = Vec::with_capacity(count);
    for _ in 0..count {
        let connection = Connection::open(target, api_key)
            .await
            .map_err(|error| format!("{}: {error}", target.url()))?;
        connections.push(connection);
    }
    Ok(connections)
}

fn spawn_workers(job: &Job, connections: Vec<Connection>, empty: &Recorder) -> JoinSet<Recorder> {
    let mut workers = JoinSet::new();
    for connection in connections {
        workers.spawn(work(job.clone(), connection, empty.clone()));
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
async fn work(job: Job, connection: Connection, mut recorder: Recorder) -> Recorder {
    let mut connection = Some(connection);
    while job.stop.another() {
        let Some(open) = connection.as_mut() else {
            connection = reconnect(&job, &mut recorder).await;
            continue;
        };
        if let Err(error) = job.workload.iterate(open, &mut recorder).await {
            recorder.transport_error(error.to_string());
            connection = None;
        }
    }
    recorder
}

async fn reconnect(job: &Job, recorder: &mut Recorder) -> Option<Connection> {
    // A pause, so a server that went away is not hammered with connects.
    tokio::time::sleep(Duration::from_millis(10)).await;
    match Connection::open(&job.target, &job.api_key).await {
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
    fn a_timed_stop_in_the_past_allows_nothing() {
        let past = Instant::now() - Duration::from_millis(1);
        assert!(!Stop::At(past).another());
        assert!(Stop::At(Instant::now() + Duration::from_secs(60)).another());
    }
}
