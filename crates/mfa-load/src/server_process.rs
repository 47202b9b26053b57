//! The mfa-mock process under test: found beside this executable (or given
//! with `--server-bin`), started on a free port with one tokio worker and
//! pinned to the server core, its address read from the first line it prints,
//! its resident memory read from `/proc`, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::pinning;

/// How long a server may take to print its address before it counts as failed.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start the server under test.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The mfa-mock executable.
    pub bin: PathBuf,
    /// Extra arguments (`--server-arg`), after `--host 127.0.0.1 --port 0`.
    pub args: Vec<String>,
    /// The core it is pinned to, if any.
    pub core: Option<usize>,
}

/// A running server; dropping it kills it.
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    spawned_at: Instant,
    // Held open so the server never writes into a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

/// `target/release/mfa-mock` when this is `target/release/mfa-load`.
pub fn sibling_server_bin() -> Result<PathBuf, String> {
    let me =
        std::env::current_exe().map_err(|error| format!("cannot find this executable: {error}"))?;
    let dir = me.parent().ok_or("this executable has no directory")?;
    Ok(dir.join(format!("mfa-mock{}", std::env::consts::EXE_SUFFIX)))
}

/// Checks that `bin` exists, saying how to build it if not.
pub fn check_server_bin(bin: &Path) -> Result<(), String> {
    if bin.is_file() {
        return Ok(());
    }
    Err(format!(
        "no mfa-mock executable at {}: build it with `cargo build --release -p mfa-mock`, \
         or pass --server-bin PATH, or --url URL for a server already running",
        bin.display()
    ))
}

impl Launch {
    /// Starts the server and waits for its `listening on` line.
    pub fn spawn(&self) -> Result<ServerProcess, String> {
        let (mut child, spawned_at) = self.spawn_pinned()?;
        let stdout = child
            .stdout
            .take()
            .ok_or("the server's standard output was not captured")?;
        match read_first_line(stdout) {
            Ok((line, stdout)) => match parse_listening_line(&line) {
                Ok(addr) => Ok(ServerProcess {
                    child,
                    addr,
                    spawned_at,
                    _stdout: stdout,
                }),
                Err(error) => Err(stop_after(child, error)),
            },
            Err(error) => Err(stop_after(child, error)),
        }
    }

    /// The command line, for messages.
    pub fn command_line(&self) -> String {
        let mut words = vec![
            "TOKIO_WORKER_THREADS=1".to_owned(),
            self.bin.display().to_string(),
            "--host 127.0.0.1 --port 0".to_owned(),
        ];
        words.extend(self.args.iter().cloned());
        words.join(" ")
    }

    /// Spawns from a short-lived thread pinned to the server core, so the
    /// child inherits that affinity; returns the child and when it was spawned.
    fn spawn_pinned(&self) -> Result<(Child, Instant), String> {
        let mut command = Command::new(&self.bin);
        command
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(&self.args)
            .env("TOKIO_WORKER_THREADS", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let core = self.core;
        let spawned = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    pinning::pin_current_thread(core);
                    let spawned_at = Instant::now();
                    command.spawn().map(|child| (child, spawned_at))
                })
                .join()
        });
        match spawned {
            Ok(Ok(spawned)) => Ok(spawned),
            Ok(Err(error)) => Err(format!("cannot start {}: {error}", self.bin.display())),
            Err(_) => Err("the thread starting the server panicked".to_owned()),
        }
    }
}

impl ServerProcess {
    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// When the process was spawned.
    pub fn spawned_at(&self) -> Instant {
        self.spawned_at
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in KiB (`VmRSS` in `/proc/<pid>/status`).
    pub fn rss_kib(&self) -> Result<u64, String> {
        let path = format!("/proc/{}/status", self.pid());
        let status = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {path}: {error}"))?;
        parse_vm_rss(&status).ok_or_else(|| format!("{path} has no VmRSS line"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the first line on a helper thread, giving up after [`READY_TIMEOUT`].
fn read_first_line(stdout: ChildStdout) -> Result<(String, BufReader<ChildStdout>), String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line).map(|_| (line, reader));
        let _ = sender.send(read);
    });
    match receiver.recv_timeout(READY_TIMEOUT) {
        Ok(Ok((line, reader))) if !line.is_empty() => Ok((line, reader)),
        Ok(Ok(_)) => Err("the server exited before printing its address".to_owned()),
        Ok(Err(error)) => Err(format!("cannot read the server's output: {error}")),
        Err(_) => Err(format!(
            "the server printed no address within {}s",
            READY_TIMEOUT.as_secs()
        )),
    }
}

fn stop_after(mut child: Child, error: String) -> String {
    let _ = child.kill();
    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
    format!("{error} ({status}); run the command by hand to see its error")
}

/// The address in `mfa-mock listening on http://127.0.0.1:PORT`.
pub fn parse_listening_line(line: &str) -> Result<SocketAddr, String> {
    line.trim()
        .rsplit_once("http://")
        .and_then(|(_, addr)| addr.trim_end_matches('/').parse().ok())
        .ok_or_else(|| format!("expected `mfa-mock listening on http://…`, got {line:?}"))
}

/// `VmRSS` in KiB from a `/proc/<pid>/status` text.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    let value = pinning::status_field(status, "VmRSS")?;
    value.strip_suffix("kB")?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_line_gives_the_address() {
        let addr = parse_listening_line("mfa-mock listening on http://127.0.0.1:43210\n");
        assert_eq!(addr.map(|a| a.port()), Ok(43210));
    }

    #[test]
    fn another_first_line_is_an_error_that_quotes_it() {
        let error = parse_listening_line("error: no such flag").expect_err("not an address");
        assert!(error.contains("no such flag"), "{error}");
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tmfa-mock\nVmPeak:\t  20000 kB\nVmRSS:\t    8123 kB\n";
        assert_eq!(parse_vm_rss(status), Some(8123));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }

    #[test]
    fn a_missing_server_binary_says_how_to_build_it() {
        let error = check_server_bin(Path::new("/nonexistent/mfa-mock")).expect_err("missing");
        assert!(
            error.contains("cargo build --release -p mfa-mock"),
            "{error}"
        );
    }

    #[test]
    fn the_server_is_looked_for_beside_this_executable() {
        let bin = sibling_server_bin().expect("a current executable");
        assert!(bin.ends_with(format!("mfa-mock{}", std::env::consts::EXE_SUFFIX)));
    }
}
