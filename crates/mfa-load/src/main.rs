//! The `mfa-load` command: parse and check the flags, run the benchmark, print
//! the table (or JSON). Exits 1 when any answer was not what it should be, 2
//! when the benchmark could not run.

use std::process::ExitCode;

use clap::Parser;
use mfa_load::bench;
use mfa_load::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.settings() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("mfa-load: {error}");
            return ExitCode::from(2);
        }
    };
    let report = match bench::run(&settings) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("mfa-load: {error}");
            return ExitCode::from(2);
        }
    };
    if settings.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("mfa-load: cannot write JSON: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", report.to_table());
    }
    if report.failures() > 0 {
        eprintln!(
            "mfa-load: FAILED: {} answers were not what they should be",
            report.failures()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
