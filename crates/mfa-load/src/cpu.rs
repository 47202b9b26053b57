//! CPU time spent by the server and by the load generator during a measured
//! window, as a share of one core, and the time each waited for a CPU that
//! something else held. The first tells which side was the bottleneck (a
//! generator near 100% with a server well below means the figure measures the
//! generator); the second tells when other processes on the machine disturbed
//! the measurement. Read from the kernel's per-thread `schedstat`
//! (nanoseconds on the CPU, nanoseconds waiting to run); absent where the
//! kernel does not provide it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where a party's CPU time is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpuSource {
    /// One thread: a `/proc/<pid>/task/<tid>` directory.
    Thread(PathBuf),
    /// Every thread of a process.
    Process(u32),
}

impl CpuSource {
    /// The thread calling this.
    pub fn current_thread() -> Option<Self> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        Some(Self::Thread(PathBuf::from("/proc").join(link)))
    }

    /// Time on the CPU and time waiting for one, so far.
    pub fn times(&self) -> Option<Times> {
        match self {
            Self::Thread(dir) => schedstat(&std::fs::read_to_string(dir.join("schedstat")).ok()?),
            Self::Process(pid) => process_times(*pid),
        }
    }
}

/// Time on the CPU and time runnable but waiting for a CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Times {
    /// Time spent running.
    pub on_cpu: Duration,
    /// Time spent ready to run while the CPU ran something else.
    pub waiting: Duration,
}

fn process_times(pid: u32) -> Option<Times> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = Times::default();
    for task in tasks.flatten() {
        let times = schedstat(&std::fs::read_to_string(task.path().join("schedstat")).ok()?)?;
        total.on_cpu += times.on_cpu;
        total.waiting += times.waiting;
    }
    Some(total)
}

/// The first two fields of a `schedstat` text: nanoseconds on the CPU and
/// nanoseconds waiting on a run queue.
pub fn schedstat(text: &str) -> Option<Times> {
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let on_cpu = fields.next()?.ok()?;
    let waiting = fields.next()?.ok()?;
    Some(Times {
        on_cpu: Duration::from_nanos(on_cpu),
        waiting: Duration::from_nanos(waiting),
    })
}

/// A reading of both parties at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    at: Instant,
    server: Option<Times>,
    generator: Option<Times>,
}

/// The server's and the generator's CPU time, read together.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The server under test, when mfa-load can see it.
    pub server: Option<CpuSource>,
    /// The load generator's thread.
    pub generator: Option<CpuSource>,
}

impl Probe {
    /// Reads both now.
    pub fn sample(&self) -> Sample {
        Sample {
            at: Instant::now(),
            server: self.server.as_ref().and_then(CpuSource::times),
            generator: self.generator.as_ref().and_then(CpuSource::times),
        }
    }
}

/// CPU use between two samples, each as a share of one core.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// The server's share (1.0 is one core fully busy).
    pub server: Option<f64>,
    /// The generator's share.
    pub generator: Option<f64>,
    /// The share of the window the server was ready to run but waited for a CPU.
    pub server_waiting: Option<f64>,
    /// The share of the window the generator waited for a CPU.
    pub generator_waiting: Option<f64>,
}

/// The CPU use from `start` to `end`.
pub fn usage(start: &Sample, end: &Sample) -> Usage {
    let wall = end.at.saturating_duration_since(start.at).as_secs_f64();
    let share = |a: Option<Duration>, b: Option<Duration>| {
        let busy = b?.checked_sub(a?)?;
        (wall > 0.0).then(|| busy.as_secs_f64() / wall)
    };
    let on_cpu = |times: Option<Times>| times.map(|t| t.on_cpu);
    let waiting = |times: Option<Times>| times.map(|t| t.waiting);
    Usage {
        server: share(on_cpu(start.server), on_cpu(end.server)),
        generator: share(on_cpu(start.generator), on_cpu(end.generator)),
        server_waiting: share(waiting(start.server), waiting(end.server)),
        generator_waiting: share(waiting(start.generator), waiting(end.generator)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_gives_nanoseconds_on_the_cpu() {
        let times = schedstat("126398 7218005 2\n").expect("two fields");
        assert_eq!(times.on_cpu, Duration::from_nanos(126_398));
        assert_eq!(times.waiting, Duration::from_nanos(7_218_005));
        assert_eq!(schedstat(""), None);
    }

    #[test]
    fn usage_is_busy_time_over_wall_time() {
        let at = Instant::now();
        let times = |on_cpu: u64, waiting: u64| Times {
            on_cpu: Duration::from_millis(on_cpu),
            waiting: Duration::from_millis(waiting),
        };
        let start = Sample {
            at,
            server: Some(times(100, 0)),
            generator: Some(times(0, 0)),
        };
        let end = Sample {
            at: at + Duration::from_secs(2),
            server: Some(times(2100, 500)),
            generator: None,
        };
        let usage = usage(&start, &end);
        assert_eq!(usage.server, Some(1.0));
        assert_eq!(usage.server_waiting, Some(0.25));
        assert_eq!(usage.generator, None);
    }

    #[test]
    fn this_thread_has_a_cpu_time() {
        let source = CpuSource::current_thread();
        if let Some(source) = source {
            assert!(source.times().is_some());
        }
    }
}
