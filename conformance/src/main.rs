//! The `mfa-conformance` binary: replays the fixtures against a running server and
//! prints a report. It first asks the server once whether it has mfa-mock's test-control
//! plane (`GET /_mock/clock`); without it, fixtures that need it are skipped, so the same
//! suite runs against the real WorkOS API. Exit code 0 when everything passed, 1 on any
//! failure, 2 when the schemas or fixtures cannot be loaded (the message names the file)
//! or nothing listens at the base URL (one line, instead of one failure per fixture).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mfa_conformance::{ControlPlane, KeySource, LoadError, Runner, Suite, report};

/// Replays fixtures/ against a WorkOS MFA server and checks every response against schemas/.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Base URL of the server under test.
    #[arg(
        long,
        env = "MFA_CONFORMANCE_BASE_URL",
        default_value = "http://127.0.0.1:4100"
    )]
    base_url: String,
    /// API key for the main tenant; without it, fresh sk_test_conformance_ keys are
    /// generated per fixture (fine for mfa-mock, not for a real account).
    #[arg(long, env = "MFA_CONFORMANCE_API_KEY")]
    api_key: Option<String>,
    /// API key for the second tenant; without it (and with --api-key), fixtures that need
    /// a second tenant are skipped.
    #[arg(
        long = "api-key-2",
        env = "MFA_CONFORMANCE_API_KEY_2",
        requires = "api_key"
    )]
    api_key_2: Option<String>,
    /// Only run fixtures whose name (path under fixtures/, without .json) contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Repository root holding schemas/ and fixtures/.
    #[arg(long)]
    root: Option<PathBuf>,
}

/// Exit code for a schema or fixture that cannot be loaded.
const LOAD_ERROR: u8 = 2;
/// Exit code for a base URL where nothing listens.
const UNREACHABLE: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(problem) = listening(&args.base_url).await {
        eprintln!("error: {problem}");
        return ExitCode::from(UNREACHABLE);
    }
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(LOAD_ERROR)
        }
    }
}

/// Loads, replays and prints; `Ok(true)` when nothing failed.
async fn run(args: Args) -> Result<bool, LoadError> {
    let root = args.root.unwrap_or_else(mfa_conformance::default_root);
    let suite = load(&root)?;
    let selected: Vec<_> = suite.matching(args.filter.as_deref()).collect();
    if selected.is_empty() {
        let problem = format!(
            "no fixture name contains {:?}",
            args.filter.unwrap_or_default()
        );
        return Err(LoadError::new(&root.join("fixtures"), problem));
    }
    let keys = match args.api_key {
        Some(main) => KeySource::External {
            main,
            other: args.api_key_2,
        },
        None => KeySource::Generated,
    };
    let mut runner = Runner::new(&args.base_url, keys).map_err(|e| LoadError::new(&root, e))?;
    println!(
        "replaying {} fixtures against {}",
        selected.len(),
        args.base_url
    );
    match runner.detect_control_plane().await {
        ControlPlane::Available => println!("test-control plane: available (GET /_mock/clock)"),
        ControlPlane::Unavailable(reason) => println!(
            "test-control plane: not available, fixtures that require control_plane are skipped ({reason})"
        ),
    }
    let results = runner.run_all(selected, &suite.schemas).await;
    for result in &results {
        print!("{}", report::fixture_report(result));
    }
    println!("{}", report::summary_line(&results));
    Ok(results
        .iter()
        .all(|r| !matches!(r.verdict, mfa_conformance::Verdict::Failed(_))))
}

/// Whether anything accepts a TCP connection at `base_url`'s host and port: a
/// server that is not running would otherwise fail every fixture the same way.
async fn listening(base_url: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|error| format!("--base-url {base_url:?} is not a URL: {error}"))?;
    let addresses = url
        .socket_addrs(|| None)
        .map_err(|error| format!("cannot resolve {base_url}: {error}"))?;
    let connect = tokio::net::TcpStream::connect(addresses.as_slice());
    match tokio::time::timeout(std::time::Duration::from_secs(10), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!(
            "nothing listens at {base_url} ({error}); start the server first \
             (cargo run -p mfa-mock) or pass --base-url"
        )),
        Err(_) => Err(format!(
            "{base_url} did not accept a connection within 10 s"
        )),
    }
}

/// The suite, refusing fixtures that name missing schemas and an empty catalogue.
fn load(root: &std::path::Path) -> Result<Suite, LoadError> {
    let suite = Suite::load(root)?;
    if let Some(dangling) = suite.dangling_references().first() {
        return Err(dangling.to_load_error());
    }
    if suite.fixtures.is_empty() {
        return Err(LoadError::new(
            &root.join("fixtures"),
            "holds no *.json fixtures; add at least one",
        ));
    }
    Ok(suite)
}
