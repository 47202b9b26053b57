//! The `mfa-mock` command: parse flags, set up logging, bind, serve until
//! SIGINT or SIGTERM.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use mfa_mock::{App, Config, SeedFile, Timestamp};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// A local, in-memory, faithful copy of the WorkOS Multi-Factor Authentication API.
///
/// Point any official WorkOS SDK at the URL it prints. Every flag can also be
/// set through the environment variable shown with it.
#[derive(Debug, Parser)]
#[command(name = "mfa-mock", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "MFA_MOCK_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one (the URL is printed on start).
    #[arg(long, env = "MFA_MOCK_PORT", default_value_t = 4100)]
    port: u16,
    /// Accept only this API key (repeatable, or comma-separated in the variable).
    /// Without it, any key starting sk_test_ or sk_example_ is accepted.
    #[arg(long = "api-key", env = "MFA_MOCK_API_KEYS", value_delimiter = ',')]
    api_keys: Vec<String>,
    /// TOTP time steps (30 s each) accepted either side of the current one.
    #[arg(long, env = "MFA_MOCK_TOTP_SKEW", default_value_t = 1)]
    totp_skew: u32,
    /// Wrong codes a challenge takes before every further verify is refused.
    #[arg(long, env = "MFA_MOCK_ATTEMPT_LIMIT", default_value_t = 5)]
    attempt_limit: u32,
    /// TOTP issuer for AuthKit enrollments that name none.
    #[arg(long, env = "MFA_MOCK_TOTP_ISSUER", default_value = "mfa-mock")]
    totp_issuer: String,
    /// The `iss` claim of the access tokens sign-in issues.
    #[arg(
        long,
        env = "MFA_MOCK_ISSUER",
        default_value = "https://api.workos.com"
    )]
    issuer: String,
    /// Largest request body accepted, in bytes (larger ones get a 413).
    #[arg(long, env = "MFA_MOCK_MAX_BODY_BYTES", default_value_t = mfa_mock::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Seconds a client may take to send a request's headers before it is dropped.
    #[arg(long, env = "MFA_MOCK_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body before it gets a 408.
    #[arg(long, env = "MFA_MOCK_BODY_TIMEOUT_SECS", default_value_t = 30)]
    body_timeout_secs: u64,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(long, env = "MFA_MOCK_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    shutdown_grace_secs: u64,
    /// Start every tenant's clock frozen at this RFC 3339 time (move it with POST /_mock/clock).
    #[arg(long, env = "MFA_MOCK_FREEZE_AT", value_parser = parse_timestamp)]
    freeze_at: Option<Timestamp>,
    /// Load users, factors and challenges into named API keys at start (YAML or JSON;
    /// see the README's "Seed files").
    #[arg(long, env = "MFA_MOCK_SEED_FILE")]
    seed_file: Option<PathBuf>,
    /// Keep every API key's users, factors and challenges in this file (a seed
    /// file) and its change log `<file>.log`: loaded at start, changes fsynced
    /// within a second, compacted at start and graceful shutdown.
    #[arg(long, env = "MFA_MOCK_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// Most API keys (tenants) kept at once; a new key past it evicts the least
    /// recently used, one in 64 of this many at once (at least one). Keys from
    /// --api-key or a seed file are never evicted.
    #[arg(long, env = "MFA_MOCK_MAX_TENANTS", default_value_t = 10_000)]
    max_tenants: usize,
    /// Tenants unused for this many seconds are evicted (their key starts empty).
    #[arg(long, env = "MFA_MOCK_TENANT_IDLE_SECS", default_value_t = 86_400)]
    tenant_idle_secs: u64,
    /// Memory all tenants together may hold, in MiB (by the store's estimate);
    /// past it the least recently used tenants are evicted.
    #[arg(long, env = "MFA_MOCK_STORE_BUDGET_MIB", default_value_t = 384)]
    store_budget_mib: usize,
    /// Draw ids, secrets and codes from a generator seeded with this number, so
    /// the same requests (with a frozen clock) give byte-identical responses.
    #[arg(long, env = "MFA_MOCK_DETERMINISTIC")]
    deterministic: Option<u64>,
    /// Log format.
    #[arg(long, env = "MFA_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Log filter, in tracing's EnvFilter syntax (e.g. "debug", "mfa_mock=info").
    #[arg(long, env = "MFA_MOCK_LOG", default_value = "info")]
    log: String,
}

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event.
    Json,
}

fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text)
        .ok_or_else(|| format!("not an RFC 3339 time: {text:?} (e.g. 2026-01-15T12:00:00Z)"))
}

impl Cli {
    fn config(&self) -> Result<Config, String> {
        let seeds = match &self.seed_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    format!("cannot read --seed-file {}: {error}", path.display())
                })?;
                SeedFile::parse(&text)?
            }
            None => SeedFile::default(),
        };
        Ok(Config {
            api_keys: self
                .api_keys
                .iter()
                .filter(|k| !k.is_empty())
                .cloned()
                .collect(),
            totp_skew_steps: self.totp_skew,
            attempt_limit: self.attempt_limit,
            default_totp_issuer: self.totp_issuer.clone(),
            issuer: self.issuer.clone(),
            max_body_bytes: self.max_body_bytes,
            header_read_timeout: Duration::from_secs(self.header_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            freeze_at: self.freeze_at,
            seed: self.deterministic,
            seeds,
            state_file: self.state_file.clone(),
            max_tenants: self.max_tenants,
            tenant_idle: Duration::from_secs(self.tenant_idle_secs),
            store_budget_bytes: self.store_budget_mib.saturating_mul(1024 * 1024),
            ..Config::default()
        })
    }
}

/// Sets up logging to standard error; a filter that does not parse is an
/// error, not a silent fall-back. Colours only when stderr is a terminal.
fn init_logging(cli: &Cli) -> Result<(), String> {
    let filter = EnvFilter::builder().parse(&cli.log).map_err(|error| {
        format!(
            "--log {:?} is not a valid filter: {error} (e.g. \"info\" or \"mfa_mock=debug\")",
            cli.log
        )
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

/// Installs the SIGINT and SIGTERM handlers now, so a signal that arrives as soon
/// as the URL is printed is already a graceful shutdown, and returns the future
/// that completes on the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                    // A second signal during the grace period means "now".
                    tokio::spawn(async move {
                        tokio::select! {
                            _ = interrupt.recv() => {},
                            _ = terminate.recv() => {},
                        }
                        tracing::warn!(
                            "second signal: exiting without waiting for in-flight requests"
                        );
                        std::process::exit(130);
                    });
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            tracing::info!("shutting down: finishing in-flight requests");
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = init_logging(&cli) {
        eprintln!("mfa-mock: {error}");
        return ExitCode::FAILURE;
    }
    // Everything is loaded and checked before the URL is printed: a script
    // waiting for that line never goes on to a server that is about to exit.
    let app = match cli
        .config()
        .and_then(|config| config.check().map(|()| config))
        .and_then(App::new)
    {
        Ok(app) => Arc::new(app),
        Err(error) => {
            eprintln!("mfa-mock: {error}");
            return ExitCode::FAILURE;
        }
    };
    let address = SocketAddr::new(cli.host, cli.port);
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "mfa-mock: cannot listen on {address}: {error}. Pass --port 0 for any free port."
            );
            return ExitCode::FAILURE;
        }
    };
    let url = match listener.local_addr() {
        Ok(bound) => format!("http://{bound}"),
        Err(_) => format!("http://{address}"),
    };
    let shutdown = shutdown_signal();
    println!("mfa-mock listening on {url}");
    let _ = std::io::stdout().flush();
    for line in app.config().banner(&url) {
        tracing::info!("{line}");
    }
    match mfa_mock::serve(listener, app, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mfa-mock: {error}");
            ExitCode::FAILURE
        }
    }
}
