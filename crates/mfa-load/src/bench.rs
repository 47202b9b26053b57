//! One benchmark run from start to finish: decide the pinning, run every load
//! scenario (the ceiling first, then each against a fresh server), then
//! start-up and memory, and assemble the [`Report`]. The load generator is a
//! single-threaded runtime on a thread pinned to its own core.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::ceiling::{self, InProcessServer};
use crate::cli::{ServerChoice, Settings};
use crate::cpu::{CpuSource, Probe};
use crate::driver::{self, Timing};
use crate::floor;
use crate::machine::Machine;
use crate::memory;
use crate::pinning::{self, Plan};
use crate::report::{Report, ScenarioResult};
use crate::scenario::{Scenario, Workload};
use crate::server_process::{self, Launch, ServerProcess};
use crate::startup;
use crate::stats::format_duration;
use crate::target::Target;

/// Runs everything `settings` asks for and returns the report. Progress goes
/// to standard error.
pub fn run(settings: &Settings) -> Result<Report, String> {
    let plan = Plan::detect(!settings.pin);
    if let Some(warning) = &plan.warning {
        eprintln!("mfa-load: WARNING: {warning}");
    }
    if let ServerChoice::Spawn { bin, .. } = &settings.server {
        server_process::check_server_bin(bin)?;
    }
    // Read before pinning: a pinned thread sees only its own core.
    let machine = Machine::detect();
    let generator_core = plan.generator_core;
    let settings = settings.clone();
    let thread = std::thread::Builder::new()
        .name("load-generator".to_owned())
        .spawn(move || {
            if !pinning::pin_current_thread(generator_core) {
                eprintln!("mfa-load: WARNING: could not pin the load generator to its core");
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| format!("cannot start the load generator's runtime: {error}"))?;
            runtime.block_on(run_all(&settings, plan, machine))
        })
        .map_err(|error| format!("cannot start the load generator's thread: {error}"))?;
    thread
        .join()
        .map_err(|_| "the load generator panicked".to_owned())?
}

async fn run_all(settings: &Settings, plan: Plan, machine: Machine) -> Result<Report, String> {
    let launch = match &settings.server {
        ServerChoice::Spawn { bin, args } => Some(Launch {
            bin: bin.clone(),
            args: args.clone(),
            core: plan.server_core,
        }),
        ServerChoice::Running(_) => None,
    };
    let mut report = empty_report(settings, &plan, launch.as_ref(), machine);
    for &(scenario, connections) in &settings.scenarios {
        let result = run_scenario(
            settings,
            &plan,
            launch.as_ref(),
            scenario,
            connections,
            &mut report,
        )
        .await?;
        report.scenarios.push(result);
    }
    report.compute_ratios();
    if let (Some(starts), Some(launch)) = (settings.startup_starts, &launch) {
        eprintln!("mfa-load: startup: {starts} starts");
        report.startup = Some(startup::measure(launch, starts).await?);
    }
    if let (Some((flows, connections)), Some(launch)) = (settings.memory, &launch) {
        eprintln!("mfa-load: memory: {flows} flows on {connections} connections");
        let key = api_key("memory");
        report.memory = Some(memory::measure(launch, connections, flows, &key).await?);
    }
    Ok(report)
}

fn empty_report(
    settings: &Settings,
    plan: &Plan,
    launch: Option<&Launch>,
    machine: Machine,
) -> Report {
    let server = match (&settings.server, launch) {
        (_, Some(launch)) => format!(
            "{} (fresh per scenario, stderr discarded)",
            launch.command_line()
        ),
        (ServerChoice::Running(target), None) => target.url(),
        (ServerChoice::Spawn { bin, .. }, None) => bin.display().to_string(),
    };
    Report {
        machine,
        pinning: plan.describe(launch.is_some()),
        pinning_warning: plan.warning.clone(),
        server_cpus_allowed: None,
        server,
        warmup_ms: millis(settings.warmup),
        duration_ms: millis(settings.duration),
        scenarios: Vec::new(),
        startup: None,
        memory: None,
        notes: settings.notes.clone(),
    }
}

/// Measures one scenario: the ceiling and the floors on their own in-process servers, the others
/// on a fresh spawned server (or the `--url` one).
async fn run_scenario(
    settings: &Settings,
    plan: &Plan,
    launch: Option<&Launch>,
    scenario: Scenario,
    connections: usize,
    report: &mut Report,
) -> Result<ScenarioResult, String> {
    let timing = Timing {
        connections,
        warmup: settings.warmup,
        duration: settings.duration,
    };
    eprintln!(
        "mfa-load: {}: {connections} connections, {} warm-up + {}",
        scenario.name(),
        format_duration(timing.warmup),
        format_duration(timing.duration)
    );
    // Held until the scenario is measured: dropping it stops the server.
    let (target, serving) = serve(settings, plan, launch, scenario, report).await?;
    let key = api_key(scenario.name());
    let workload = Workload::setup(scenario, &target, &key, settings.list_factors).await?;
    let probe = Probe {
        server: serving.cpu_source(),
        generator: CpuSource::current_thread(),
    };
    let (recorder, usage) = driver::run_timed(&target, &key, workload, timing, &probe).await?;
    drop(serving);
    let result = ScenarioResult::new(scenario, connections, &recorder, timing.duration);
    Ok(result.with_cpu(usage))
}

/// Starts the server `scenario` runs against: the ceiling or floor in-process, else a
/// fresh mfa-mock (or the `--url` one).
async fn serve(
    settings: &Settings,
    plan: &Plan,
    launch: Option<&Launch>,
    scenario: Scenario,
    report: &mut Report,
) -> Result<(Target, Serving), String> {
    match (scenario, &settings.server, launch) {
        (Scenario::Ceiling, _, _) => {
            let server = ceiling::start(plan.server_core)
                .map_err(|error| format!("cannot start the ceiling server: {error}"))?;
            Ok((Target::from_addr(server.addr()), Serving::InProcess(server)))
        }
        (Scenario::FloorEnroll | Scenario::FloorFlow, _, _) => {
            let server = floor::start(plan.server_core)
                .map_err(|error| format!("cannot start the floor server: {error}"))?;
            Ok((Target::from_addr(server.addr()), Serving::InProcess(server)))
        }
        (_, _, Some(launch)) => {
            let server = launch.spawn()?;
            let target = Target::from_addr(server.addr());
            if report.server_cpus_allowed.is_none() {
                report.server_cpus_allowed = pinning::cpus_allowed(server.pid());
            }
            startup::first_200(&target).await?;
            Ok((target, Serving::Spawned(server)))
        }
        (_, ServerChoice::Running(target), None) => Ok((target.clone(), Serving::Elsewhere)),
        (_, ServerChoice::Spawn { .. }, None) => Err("no server to measure".to_owned()),
    }
}

/// The server a scenario runs against; dropping it stops the server.
enum Serving {
    /// The in-process ceiling or floor.
    InProcess(InProcessServer),
    /// A spawned mfa-mock.
    Spawned(ServerProcess),
    /// The `--url` server, which mfa-load does not own.
    Elsewhere,
}

impl Serving {
    /// Where the server's CPU time can be read, if mfa-load can see it.
    fn cpu_source(&self) -> Option<CpuSource> {
        match self {
            Self::InProcess(server) => server.cpu_source(),
            Self::Spawned(server) => Some(CpuSource::Process(server.pid())),
            Self::Elsewhere => None,
        }
    }
}

/// A fresh `sk_test_` key, so each scenario is its own tenant even on a
/// server that has seen earlier runs.
fn api_key(purpose: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("sk_test_mfa_load_{purpose}_{}_{nanos}", std::process::id())
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
