//! The results of a run and how they are printed: a plain-text table headed by
//! the machine, the pinning, the durations and the connection counts, or the
//! same data as JSON. Failures are printed loudly, since a figure measured over
//! error answers means nothing.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::cpu::Usage;
use crate::machine::Machine;
use crate::memory::Memory;
use crate::recorder::Recorder;
use crate::scenario::Scenario;
use crate::startup::Startup;
use crate::stats::{self, format_kib, format_latency, format_rate, format_ratio};

/// The share of the measured time spent waiting for a CPU above which a
/// scenario's figures are flagged as disturbed by other processes.
pub const NOISE_THRESHOLD: f64 = 0.05;

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Cores and CPU model.
    pub machine: Machine,
    /// What was pinned where.
    pub pinning: String,
    /// Why nothing is pinned, if so.
    pub pinning_warning: Option<String>,
    /// The spawned server's `Cpus_allowed_list`, as the kernel reports it.
    pub server_cpus_allowed: Option<String>,
    /// The server command line, or the URL measured.
    pub server: String,
    /// Warm-up per scenario, in milliseconds.
    pub warmup_ms: u64,
    /// Measured time per scenario, in milliseconds.
    pub duration_ms: u64,
    /// One entry per load scenario, the ceiling first.
    pub scenarios: Vec<ScenarioResult>,
    /// Start-up figures, when measured.
    pub startup: Option<Startup>,
    /// Memory figures, when measured.
    pub memory: Option<Memory>,
    /// Parts skipped and why.
    pub notes: Vec<String>,
}

/// The figures of one load scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Which scenario.
    pub scenario: Scenario,
    /// Concurrent connections.
    pub connections: usize,
    /// Requests answered per second in the measured window.
    pub requests_per_sec: f64,
    /// Verified flows per second (`flow` only).
    pub flows_per_sec: Option<f64>,
    /// Median latency per request, in microseconds.
    pub p50_us: f64,
    /// 99th percentile, in microseconds.
    pub p99_us: f64,
    /// 99.9th percentile, in microseconds.
    pub p999_us: f64,
    /// Requests answered in the measured window.
    pub requests: u64,
    /// Answers outside 200–299 (warm-up included): must be 0.
    pub non_2xx: u64,
    /// 2xx answers that failed the scenario's checks: must be 0.
    pub failed_checks: u64,
    /// Requests that got no answer: must be 0.
    pub transport_errors: u64,
    /// The first failure, if any.
    pub first_problem: Option<String>,
    /// Requests per second as a fraction of the ceiling's (`None` when no
    /// ceiling was measured).
    pub vs_ceiling: Option<f64>,
    /// Requests per second as a fraction of the reference's (the floor for
    /// `enroll` and `flow`, the ceiling otherwise; see [`Scenario::reference`]).
    pub vs_reference: Option<f64>,
    /// The server's CPU use in the measured window, as a share of one core.
    pub server_cpu: Option<f64>,
    /// Server CPU time per request answered, in microseconds: what a request
    /// costs, whatever else the machine was doing.
    pub server_cpu_us: Option<f64>,
    /// Server CPU time per verified flow, in microseconds (flows only).
    pub server_cpu_us_per_flow: Option<f64>,
    /// Server CPU per request as a multiple of the reference's.
    pub cpu_vs_reference: Option<f64>,
    /// The load generator's CPU use in the measured window.
    pub generator_cpu: Option<f64>,
    /// The share of the window the server waited for a CPU another process held.
    pub server_waiting: Option<f64>,
    /// The share of the window the generator waited for a CPU.
    pub generator_waiting: Option<f64>,
}

impl ScenarioResult {
    /// The figures of a recorder whose window lasted `duration`.
    pub fn new(
        scenario: Scenario,
        connections: usize,
        recorder: &Recorder,
        duration: Duration,
    ) -> Self {
        let seconds = duration.as_secs_f64().max(f64::MIN_POSITIVE);
        let micros = |p: f64| recorder.latencies.percentile(p).as_secs_f64() * 1e6;
        Self {
            scenario,
            connections,
            requests_per_sec: recorder.requests as f64 / seconds,
            flows_per_sec: scenario.is_flow().then(|| recorder.flows as f64 / seconds),
            p50_us: micros(50.0),
            p99_us: micros(99.0),
            p999_us: micros(99.9),
            requests: recorder.requests,
            non_2xx: recorder.non_2xx,
            failed_checks: recorder.failed_checks,
            transport_errors: recorder.transport_errors,
            first_problem: recorder.first_problem.clone(),
            vs_ceiling: None,
            vs_reference: None,
            server_cpu: None,
            server_cpu_us: None,
            server_cpu_us_per_flow: None,
            cpu_vs_reference: None,
            generator_cpu: None,
            server_waiting: None,
            generator_waiting: None,
        }
    }

    /// The same figures with the CPU use of the measured window.
    pub fn with_cpu(self, usage: Usage) -> Self {
        let micros_per = |rate: f64| {
            let share = usage.server?;
            (rate > 0.0).then(|| share / rate * 1e6)
        };
        Self {
            server_cpu_us: micros_per(self.requests_per_sec),
            server_cpu_us_per_flow: self.flows_per_sec.and_then(micros_per),
            server_cpu: usage.server,
            generator_cpu: usage.generator,
            server_waiting: usage.server_waiting,
            generator_waiting: usage.generator_waiting,
            ..self
        }
    }

    /// Non-2xx answers, failed checks and requests without an answer.
    pub fn failures(&self) -> u64 {
        self.non_2xx + self.failed_checks + self.transport_errors
    }

    /// Whether other processes took the CPU from the server or the generator
    /// for more than [`NOISE_THRESHOLD`] of the measured time.
    pub fn noisy(&self) -> bool {
        [self.server_waiting, self.generator_waiting]
            .iter()
            .any(|waiting| waiting.is_some_and(|share| share > NOISE_THRESHOLD))
    }
}

impl Report {
    /// Sets every scenario's ratios to the ceiling and to its reference
    /// measured in the same run.
    pub fn compute_ratios(&mut self) {
        let find = |scenario: Scenario| {
            self.scenarios
                .iter()
                .find(|result| result.scenario == scenario)
                .map(|result| (result.requests_per_sec, result.server_cpu_us))
        };
        let ratios: Vec<_> = self
            .scenarios
            .iter()
            .map(|result| {
                let ceiling = find(Scenario::Ceiling).map(|(rate, _)| rate);
                let reference = find(result.scenario.reference());
                let cpu = result.server_cpu_us.and_then(|cpu| {
                    stats::ratio(cpu, reference.and_then(|(_, reference)| reference))
                });
                (
                    stats::ratio(result.requests_per_sec, ceiling),
                    stats::ratio(result.requests_per_sec, reference.map(|(rate, _)| rate)),
                    cpu,
                )
            })
            .collect();
        for (result, (ceiling, reference, cpu)) in self.scenarios.iter_mut().zip(ratios) {
            result.vs_ceiling = ceiling;
            result.vs_reference = reference;
            result.cpu_vs_reference = cpu;
        }
    }

    /// Failures across every scenario and the memory run.
    pub fn failures(&self) -> u64 {
        let load: u64 = self.scenarios.iter().map(ScenarioResult::failures).sum();
        let memory: u64 = self
            .memory
            .iter()
            .flat_map(|memory| &memory.checkpoints)
            .map(|checkpoint| checkpoint.failures)
            .sum();
        load + memory
    }

    /// The report as a plain-text table.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        self.write_header(&mut out);
        if !self.scenarios.is_empty() {
            self.write_scenarios(&mut out);
        }
        if let Some(startup) = &self.startup {
            write_startup(&mut out, startup);
        }
        if let Some(memory) = &self.memory {
            write_memory(&mut out, memory);
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        self.write_failures(&mut out);
        out
    }

    fn write_header(&self, out: &mut String) {
        let _ = writeln!(out, "mfa-load on {}", self.machine.describe());
        let pinned = match &self.server_cpus_allowed {
            Some(cpus) => format!("{} (kernel: server Cpus_allowed_list {cpus})", self.pinning),
            None => self.pinning.clone(),
        };
        let _ = writeln!(out, "pinning: {pinned}");
        if let Some(warning) = &self.pinning_warning {
            let _ = writeln!(out, "WARNING: {warning}");
        }
        let _ = writeln!(out, "server: {}", self.server);
        if !self.scenarios.is_empty() {
            let connections: Vec<String> = self
                .scenarios
                .iter()
                .map(|r| format!("{} {}", r.scenario.name(), r.connections))
                .collect();
            let _ = writeln!(
                out,
                "each scenario: {} warm-up, then {} measured; connections: {}",
                stats::format_duration(Duration::from_millis(self.warmup_ms)),
                stats::format_duration(Duration::from_millis(self.duration_ms)),
                connections.join(", ")
            );
        }
    }

    fn write_scenarios(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n{:<12} {:>5} {:>9} {:>8} {:>9} {:>9} {:>9} {:>7} {:>10} {:>11} {:>8} {:>12} {:>11}",
            "scenario",
            "conns",
            "req/s",
            "flows/s",
            "p50",
            "p99",
            "p99.9",
            "non-2xx",
            "vs ceiling",
            "cpu srv/gen",
            "µs/req",
            "reference",
            "vs ref"
        );
        for result in &self.scenarios {
            let micros = |us: f64| format_latency(Duration::from_secs_f64(us / 1e6));
            let reference = result.scenario.reference();
            let _ = writeln!(
                out,
                "{:<12} {:>5} {:>9} {:>8} {:>9} {:>9} {:>9} {:>7} {:>10} {:>11} {:>8} {:>12} {:>11}",
                result.scenario.name(),
                result.connections,
                format_rate(result.requests_per_sec),
                result.flows_per_sec.map_or("-".to_owned(), format_rate),
                micros(result.p50_us),
                micros(result.p99_us),
                micros(result.p999_us),
                result.non_2xx,
                format_ratio(result.vs_ceiling),
                format!(
                    "{}/{}",
                    cpu_share(result.server_cpu),
                    cpu_share(result.generator_cpu)
                ),
                result
                    .server_cpu_us
                    .map_or("-".to_owned(), |us| format!("{us:.1}")),
                reference.name(),
                format!(
                    "{}/{}",
                    format_ratio(result.vs_reference),
                    result
                        .cpu_vs_reference
                        .map_or("-".to_owned(), |ratio| format!("{ratio:.2}×"))
                ),
            );
        }
        let _ = writeln!(
            out,
            "latency is per request; vs ceiling = req/s ÷ the ceiling's req/s (for flow: flows/s × 3);\n\
             cpu srv/gen = share of one core the server and the load generator used while measured;\n\
             µs/req = server CPU time per request; vs ref = req/s ÷ the reference's, then\n\
             µs/req ÷ the reference's (the floors do a flow's real work and nothing else)"
        );
        for result in self.scenarios.iter() {
            if let Some(per_flow) = result.server_cpu_us_per_flow {
                let _ = writeln!(
                    out,
                    "{}: {per_flow:.1} µs of server CPU per flow",
                    result.scenario.name()
                );
            }
        }
        self.write_noise(out);
    }

    fn write_noise(&self, out: &mut String) {
        for result in self.scenarios.iter().filter(|r| r.noisy()) {
            let _ = writeln!(
                out,
                "noisy: {}: the server waited {} and the load generator {} of the measured time \
                 for a CPU that another process held",
                result.scenario.name(),
                cpu_share(result.server_waiting),
                cpu_share(result.generator_waiting)
            );
        }
    }

    fn write_failures(&self, out: &mut String) {
        for result in self.scenarios.iter().filter(|r| r.failures() > 0) {
            let _ = writeln!(
                out,
                "\n!!! {}: {} non-2xx answers, {} failed checks, {} requests without an answer: \
                 its figures are not valid",
                result.scenario.name().to_uppercase(),
                result.non_2xx,
                result.failed_checks,
                result.transport_errors
            );
            if let Some(problem) = &result.first_problem {
                let _ = writeln!(out, "!!! first: {problem}");
            }
        }
        let memory_failures = self
            .memory
            .iter()
            .flat_map(|m| &m.checkpoints)
            .filter(|c| c.failures > 0);
        for checkpoint in memory_failures {
            let _ = writeln!(
                out,
                "\n!!! MEMORY: {} failures in the flows up to {}; first: {}",
                checkpoint.failures,
                checkpoint.flows,
                checkpoint.first_problem.as_deref().unwrap_or("-")
            );
        }
    }
}

/// A CPU share as a whole percentage, `-` when unknown.
fn cpu_share(share: Option<f64>) -> String {
    share.map_or("-".to_owned(), |share| format!("{:.0}%", share * 100.0))
}

fn write_startup(out: &mut String, startup: &Startup) {
    let micros = |us: u64| format_latency(Duration::from_micros(us));
    let _ = writeln!(
        out,
        "\nstart-up, spawn to first 200 on /health ({} starts): median {}, min {}, max {}",
        startup.starts,
        micros(startup.median_us),
        micros(startup.min_us),
        micros(startup.max_us)
    );
}

fn write_memory(out: &mut String, memory: &Memory) {
    let _ = writeln!(out, "\nresident memory (VmRSS) of a fresh server:");
    let _ = writeln!(
        out,
        "  idle                  {:>10}",
        format_kib(memory.idle_kib)
    );
    for checkpoint in &memory.checkpoints {
        let seconds = checkpoint.batch_ms as f64 / 1e3;
        let rate = checkpoint.batch_flows as f64 / seconds.max(1e-9);
        let _ = writeln!(
            out,
            "  after {:>7} flows   {:>10}   ({} flows in {seconds:.1} s, {} flows/s)",
            stats::group_thousands(checkpoint.flows),
            format_kib(checkpoint.rss_kib),
            stats::group_thousands(checkpoint.batch_flows),
            format_rate(rate)
        );
    }
    if let [first, .., last] = memory.checkpoints.as_slice() {
        let growth = last.rss_kib as f64 / (first.rss_kib.max(1)) as f64;
        let flows = last.flows.saturating_sub(first.flows).max(1) as f64;
        let per_flow = last.rss_kib.saturating_sub(first.rss_kib) as f64 * 1024.0 / flows;
        let _ = writeln!(
            out,
            "  after {} flows / after {} flows: {growth:.2}×; {per_flow:.0} bytes more per flow \
             in between",
            stats::group_thousands(last.flows),
            stats::group_thousands(first.flows)
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use http::StatusCode;

    use super::*;
    use crate::memory::Checkpoint;

    fn result(scenario: Scenario, requests: u64, failures: u64) -> ScenarioResult {
        let start = Instant::now();
        let mut recorder = Recorder::new(start, start + Duration::from_secs(10));
        for _ in 0..requests {
            recorder.request(start, start + Duration::from_micros(500), StatusCode::OK);
        }
        for _ in 0..failures {
            recorder.request(start, start, StatusCode::NOT_FOUND);
        }
        ScenarioResult::new(scenario, 16, &recorder, Duration::from_secs(1))
    }

    fn report(scenarios: Vec<ScenarioResult>) -> Report {
        let mut report = Report {
            machine: Machine {
                cores: 2,
                cpu_model: "Test CPU".to_owned(),
            },
            pinning: "not pinned".to_owned(),
            pinning_warning: None,
            server_cpus_allowed: None,
            server: "http://127.0.0.1:4100".to_owned(),
            warmup_ms: 1000,
            duration_ms: 1000,
            scenarios,
            startup: None,
            memory: None,
            notes: Vec::new(),
        };
        report.compute_ratios();
        report
    }

    #[test]
    fn every_scenario_is_a_ratio_of_the_ceiling() {
        let report = report(vec![
            result(Scenario::Ceiling, 1000, 0),
            result(Scenario::Get, 800, 0),
        ]);
        assert_eq!(report.scenarios[1].vs_ceiling, Some(0.8));
        assert_eq!(report.scenarios[0].vs_ceiling, Some(1.0));
    }

    #[test]
    fn enroll_and_flow_are_read_against_their_floor_in_throughput_and_cpu() {
        let cpu = |share: f64| Usage {
            server: Some(share),
            ..Usage::default()
        };
        let floor = result(Scenario::FloorFlow, 900, 0).with_cpu(cpu(0.9));
        let flow = result(Scenario::Flow, 300, 0).with_cpu(cpu(0.6));
        let report = report(vec![floor, flow]);
        let flow = &report.scenarios[1];
        // 300 req/s on 60% of a core: 2 000 µs each; the floor's 900 on 90%: 1 000 µs.
        assert_eq!(flow.server_cpu_us.map(f64::round), Some(2000.0));
        assert_eq!(flow.vs_reference.map(|r| (r * 1000.0).round()), Some(333.0));
        assert_eq!(
            flow.cpu_vs_reference.map(|r| (r * 100.0).round()),
            Some(200.0)
        );
        assert_eq!(report.scenarios[0].cpu_vs_reference, Some(1.0));
    }

    #[test]
    fn without_a_ceiling_there_is_no_ratio() {
        let report = report(vec![result(Scenario::Get, 800, 0)]);
        assert_eq!(report.scenarios[0].vs_ceiling, None);
        assert!(
            !report.to_table().contains('%'),
            "no ratio and no CPU share"
        );
    }

    #[test]
    fn the_table_heads_with_the_machine_and_lists_each_scenario() {
        let table = report(vec![
            result(Scenario::Ceiling, 1000, 0),
            result(Scenario::Get, 800, 0),
        ])
        .to_table();
        assert!(
            table.starts_with("mfa-load on 2 cores, Test CPU\n"),
            "{table}"
        );
        assert!(table.contains("connections: ceiling 16, get 16"), "{table}");
        assert!(table.contains("get             16       800"), "{table}");
        assert!(table.contains("80.0%"), "{table}");
        assert!(!table.contains("!!!"), "{table}");
    }

    #[test]
    fn non_2xx_answers_are_printed_loudly() {
        let report = report(vec![result(Scenario::Get, 10, 3)]);
        let table = report.to_table();
        assert!(table.contains("!!! GET: 3 non-2xx answers"), "{table}");
        assert_eq!(report.failures(), 3);
    }

    #[test]
    fn a_scenario_whose_server_waited_for_a_cpu_is_flagged_noisy() {
        let mut busy = result(Scenario::Get, 10, 0);
        busy.server_waiting = Some(0.2);
        busy.generator_waiting = Some(0.01);
        let table = report(vec![busy]).to_table();
        assert!(
            table.contains("noisy: get: the server waited 20% and the load generator 1%"),
            "{table}"
        );
    }

    #[test]
    fn memory_shows_the_growth_between_checkpoints_and_per_flow() {
        let checkpoint = |flows: u64, rss_kib: u64| Checkpoint {
            flows,
            rss_kib,
            batch_ms: 1000,
            batch_flows: flows,
            failures: 0,
            first_problem: None,
        };
        let mut report = report(Vec::new());
        report.memory = Some(Memory {
            idle_kib: 8 * 1024,
            checkpoints: vec![checkpoint(10_000, 10_000), checkpoint(100_000, 19_000)],
        });
        let table = report.to_table();
        assert!(
            table.contains(
                "after 100 000 flows / after 10 000 flows: 1.90×; 102 bytes more per flow"
            ),
            "{table}"
        );
    }

    #[test]
    fn the_json_form_carries_the_same_figures() {
        let report = report(vec![result(Scenario::Flow, 300, 0)]);
        let json = serde_json::to_value(&report).expect("serializable");
        assert_eq!(json["scenarios"][0]["scenario"], "flow");
        assert_eq!(json["scenarios"][0]["requests"], 300);
        assert_eq!(json["machine"]["cores"], 2);
    }
}
