//! The command line: flags, their help text, and their validation into
//! [`Settings`], the one value the benchmark runs from. Nothing here touches
//! the network except resolving `--url`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::help;
use crate::scenario::Scenario;
use crate::target::Target;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// Everything below.
    All,
    /// The in-process hyper ceiling only.
    Ceiling,
    /// GET a factor by id.
    Get,
    /// Enroll TOTP factors.
    Enroll,
    /// Enroll, challenge, verify.
    Flow,
    /// The AuthKit list, limit=10.
    List,
    /// Start-up time.
    Startup,
    /// Resident memory, idle and after flows.
    Memory,
}

/// The flags.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "mfa-load",
    version,
    about = help::ABOUT,
    long_about = help::LONG_ABOUT,
    after_help = help::AFTER_HELP
)]
pub struct Cli {
    /// What to measure (several may be given); any load scenario brings the
    /// ceiling with it.
    #[arg(value_enum, default_value = "all")]
    pub what: Vec<Part>,
    /// Measured time per scenario (e.g. 10s, 500ms, 1m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Unmeasured time before each scenario's measurement.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Connections for every scenario (overrides the defaults below).
    #[arg(short = 'c', long)]
    pub connections: Option<usize>,
    /// Connections for the ceiling [default: 64].
    #[arg(long, value_name = "N")]
    pub ceiling_connections: Option<usize>,
    /// Connections for `get` [default: 64].
    #[arg(long, value_name = "N")]
    pub get_connections: Option<usize>,
    /// Connections for `enroll` [default: 16].
    #[arg(long, value_name = "N")]
    pub enroll_connections: Option<usize>,
    /// Connections for `flow`, and for the memory run's flows [default: 16].
    #[arg(long, value_name = "N")]
    pub flow_connections: Option<usize>,
    /// Connections for `list` [default: 16].
    #[arg(long, value_name = "N")]
    pub list_connections: Option<usize>,
    /// Measure the server already running at this URL instead of spawning one.
    #[arg(long)]
    pub url: Option<String>,
    /// Allow --url to name a server on another machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// The mfa-mock executable to spawn [default: mfa-mock beside this executable].
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// An extra argument for the spawned server (repeatable), e.g. --server-arg=--log=warn.
    #[arg(long = "server-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
    /// Server starts timed for `startup`.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub starts: usize,
    /// Flows driven for `memory`; memory is read after a tenth of them and after all.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub memory_flows: u64,
    /// Factors the `list` user gets in setup.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub list_factors: usize,
    /// Pin nothing (the figures then depend on the scheduler).
    #[arg(long)]
    pub no_pin: bool,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Where the server under test comes from.
#[derive(Debug, Clone)]
pub enum ServerChoice {
    /// Spawn this executable with these extra arguments, fresh per scenario.
    Spawn {
        /// The mfa-mock executable.
        bin: PathBuf,
        /// Extra arguments.
        args: Vec<String>,
    },
    /// Measure a server that is already running.
    Running(Target),
}

/// A validated benchmark run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Load scenarios in order, with their connection counts (ceiling first).
    pub scenarios: Vec<(Scenario, usize)>,
    /// Unmeasured time before each measurement.
    pub warmup: Duration,
    /// Measured time per scenario.
    pub duration: Duration,
    /// The server under test.
    pub server: ServerChoice,
    /// Starts to time, when start-up is measured.
    pub startup_starts: Option<usize>,
    /// Flows and connections for the memory run, when memory is measured.
    pub memory: Option<(u64, usize)>,
    /// Factors the `list` user gets.
    pub list_factors: usize,
    /// Whether to pin threads and the server to cores.
    pub pin: bool,
    /// JSON instead of a table.
    pub json: bool,
    /// Parts skipped and why, for the report.
    pub notes: Vec<String>,
}

/// The most connections one scenario may open.
pub const MAX_CONNECTIONS: usize = 4096;

impl Cli {
    /// Checks the flags and turns them into [`Settings`].
    pub fn settings(&self) -> Result<Settings, String> {
        if self.duration.is_zero() {
            return Err("--duration must be more than 0".to_owned());
        }
        let everything = self.what.contains(&Part::All);
        let wants = |part: Part| everything || self.what.contains(&part);
        let server = self.server_choice()?;
        let running = matches!(server, ServerChoice::Running(_));
        let mut notes = Vec::new();
        for (part, name) in [(Part::Startup, "startup"), (Part::Memory, "memory")] {
            if running && self.what.contains(&part) {
                return Err(format!("{name} needs a server mfa-load starts: drop --url"));
            }
            if running && everything {
                notes.push(format!(
                    "{name} skipped: it needs a server mfa-load starts, not --url"
                ));
            }
        }
        let flow_connections = self.connections_for(Scenario::Flow)?;
        Ok(Settings {
            scenarios: self.scenarios(&wants)?,
            warmup: self.warmup,
            duration: self.duration,
            startup_starts: (wants(Part::Startup) && !running)
                .then(|| at_least_one(self.starts, "--starts"))
                .transpose()?,
            memory: (wants(Part::Memory) && !running)
                .then(|| at_least_one(self.memory_flows, "--memory-flows"))
                .transpose()?
                .map(|flows| (flows, flow_connections)),
            server,
            list_factors: self.list_factors,
            pin: !self.no_pin,
            json: self.json,
            notes,
        })
    }

    fn server_choice(&self) -> Result<ServerChoice, String> {
        if let Some(url) = &self.url {
            if self.server_bin.is_some() || !self.server_args.is_empty() {
                return Err(
                    "--url measures a running server: drop --server-bin and --server-arg"
                        .to_owned(),
                );
            }
            return Ok(ServerChoice::Running(Target::resolve(
                url,
                self.allow_remote,
            )?));
        }
        let bin = match &self.server_bin {
            Some(bin) => bin.clone(),
            None => crate::server_process::sibling_server_bin()?,
        };
        Ok(ServerChoice::Spawn {
            bin,
            args: self.server_args.clone(),
        })
    }

    fn scenarios(&self, wants: &dyn Fn(Part) -> bool) -> Result<Vec<(Scenario, usize)>, String> {
        let load = [
            (Part::Get, Scenario::Get),
            (Part::Enroll, Scenario::Enroll),
            (Part::Flow, Scenario::Flow),
            (Part::List, Scenario::List),
        ];
        let mut chosen: Vec<Scenario> = load
            .iter()
            .filter(|(part, _)| wants(*part))
            .map(|(_, scenario)| *scenario)
            .collect();
        // The floors come right after the ceiling, in the order of their scenarios.
        let floors: Vec<Scenario> = chosen
            .iter()
            .map(|scenario| scenario.reference())
            .filter(|reference| *reference != Scenario::Ceiling)
            .collect();
        chosen.splice(0..0, floors);
        if !chosen.is_empty() || wants(Part::Ceiling) {
            chosen.insert(0, Scenario::Ceiling);
        }
        chosen
            .into_iter()
            .map(|scenario| Ok((scenario, self.connections_for(scenario)?)))
            .collect()
    }

    fn connections_for(&self, scenario: Scenario) -> Result<usize, String> {
        let specific = match scenario {
            Scenario::Ceiling => self.ceiling_connections,
            Scenario::Get => self.get_connections,
            Scenario::Enroll | Scenario::FloorEnroll => self.enroll_connections,
            Scenario::Flow | Scenario::FloorFlow => self.flow_connections,
            Scenario::List => self.list_connections,
        };
        let count = specific
            .or(self.connections)
            .unwrap_or_else(|| scenario.default_connections());
        if (1..=MAX_CONNECTIONS).contains(&count) {
            Ok(count)
        } else {
            Err(format!(
                "{}: connections must be between 1 and {MAX_CONNECTIONS}, not {count}",
                scenario.name()
            ))
        }
    }
}

fn at_least_one<T: PartialOrd + From<u8> + std::fmt::Display>(
    value: T,
    flag: &str,
) -> Result<T, String> {
    if value >= T::from(1) {
        Ok(value)
    } else {
        Err(format!("{flag} must be at least 1, not {value}"))
    }
}

/// Parses `2s`, `500ms`, `1.5s`, `1m`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (e.g. 10s, 500ms, 1m)"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1e3,
        "m" | "min" => value * 60.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use ms, s or m"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("not a duration: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        let mut argv = vec!["mfa-load", "--server-bin", "/usr/bin/true"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("valid flags")
    }

    fn names(settings: &Settings) -> Vec<(&'static str, usize)> {
        settings
            .scenarios
            .iter()
            .map(|(s, c)| (s.name(), *c))
            .collect()
    }

    #[test]
    fn durations_take_seconds_milliseconds_and_minutes() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
    }

    #[test]
    fn durations_without_a_number_or_with_an_unknown_unit_are_refused() {
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn by_default_everything_runs_with_the_issue_connection_counts() {
        let settings = cli(&[]).settings().expect("valid");
        assert_eq!(
            names(&settings),
            [
                ("ceiling", 64),
                ("floor-enroll", 16),
                ("floor-flow", 16),
                ("get", 64),
                ("enroll", 16),
                ("flow", 16),
                ("list", 16)
            ]
        );
        assert_eq!(settings.startup_starts, Some(20));
        assert_eq!(settings.memory, Some((100_000, 16)));
    }

    #[test]
    fn one_scenario_brings_the_ceiling_and_its_floor_and_nothing_else() {
        let settings = cli(&["flow"]).settings().expect("valid");
        assert_eq!(
            names(&settings),
            [("ceiling", 64), ("floor-flow", 16), ("flow", 16)]
        );
        let settings = cli(&["get"]).settings().expect("valid");
        assert_eq!(names(&settings), [("ceiling", 64), ("get", 64)]);
        assert_eq!((settings.startup_starts, settings.memory), (None, None));
    }

    #[test]
    fn a_specific_connection_count_beats_the_general_one() {
        let settings = cli(&["-c", "2", "--get-connections", "8"])
            .settings()
            .expect("valid");
        assert_eq!(
            names(&settings),
            [
                ("ceiling", 2),
                ("floor-enroll", 2),
                ("floor-flow", 2),
                ("get", 8),
                ("enroll", 2),
                ("flow", 2),
                ("list", 2)
            ]
        );
    }

    #[test]
    fn zero_connections_are_refused() {
        let error = cli(&["-c", "0"]).settings().expect_err("invalid");
        assert!(error.contains("between 1 and"), "{error}");
    }

    #[test]
    fn a_zero_duration_is_refused() {
        assert!(cli(&["--duration", "0s"]).settings().is_err());
    }

    #[test]
    fn startup_and_memory_need_a_spawned_server() {
        let error = Cli::try_parse_from(["mfa-load", "--url", "http://127.0.0.1:4100", "memory"])
            .expect("parses")
            .settings()
            .expect_err("memory with --url");
        assert!(error.contains("drop --url"), "{error}");
    }

    #[test]
    fn with_url_a_full_run_skips_startup_and_memory_and_says_so() {
        let settings = Cli::try_parse_from(["mfa-load", "--url", "127.0.0.1:4100"])
            .expect("parses")
            .settings()
            .expect("valid");
        assert_eq!((settings.startup_starts, settings.memory), (None, None));
        assert_eq!(settings.notes.len(), 2);
        assert!(matches!(settings.server, ServerChoice::Running(_)));
    }

    #[test]
    fn server_arguments_may_start_with_dashes() {
        let settings = cli(&["--server-arg", "--log=warn"])
            .settings()
            .expect("valid");
        let ServerChoice::Spawn { args, .. } = settings.server else {
            panic!("expected a spawned server");
        };
        assert_eq!(args, ["--log=warn"]);
    }
}
