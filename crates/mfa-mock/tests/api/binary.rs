//! The real `mfa-mock` binary as a child process: started on `--port 0`, its
//! URL read from the line it prints, stopped with a real SIGTERM.
//!
//! For what only the binary does: signal handling, exit codes, and the log
//! lines its subscriber writes. Everything else is tested in-process.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A running `mfa-mock` process, killed if the test ends without stopping it.
pub struct Binary {
    child: Child,
    /// Kept open: a later line written to a closed pipe would fail in the child.
    _stdout: BufReader<ChildStdout>,
    pub base_url: String,
    log_path: PathBuf,
}

impl Binary {
    /// Starts the binary with `args` after `--port 0`, its standard error going
    /// to a file, and waits until it handles SIGTERM.
    pub fn start(args: &[&str]) -> Binary {
        let binary = Binary::start_unready(args);
        binary.wait_for_sigterm_handler();
        binary
    }

    /// Starts the binary and returns as soon as it has printed its URL.
    pub fn start_unready(args: &[&str]) -> Binary {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let log_path = std::env::temp_dir().join(format!(
            "mfa-mock-test-{}-{}.log",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let log = File::create(&log_path).expect("a log file in the temp directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-mock"))
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .env_remove("MFA_MOCK_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the binary prints a line");
        let base_url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|url| url.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        Binary {
            child,
            _stdout: stdout,
            base_url,
            log_path,
        }
    }

    /// Waits until the process catches SIGTERM (Linux: `SigCgt` in
    /// `/proc/<pid>/status`); elsewhere, waits half a second.
    ///
    /// The binary prints its URL before it installs its signal handlers, so a
    /// SIGTERM sent the moment the URL appears kills it outright (see
    /// `shutdown.rs`). Waiting here keeps the other shutdown tests about shutdown.
    fn wait_for_sigterm_handler(&self) {
        const SIGTERM_BIT: u64 = 1 << (15 - 1);
        let status_path = format!("/proc/{}/status", self.child.id());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            let Ok(status) = std::fs::read_to_string(&status_path) else {
                std::thread::sleep(Duration::from_millis(500));
                return;
            };
            let caught = status
                .lines()
                .find_map(|line| line.strip_prefix("SigCgt:"))
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
                .unwrap_or(0);
            if caught & SIGTERM_BIT != 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the binary never installed its SIGTERM handler");
    }

    /// `host:port`.
    pub fn address(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL (`kill -9`): a crash, with no chance to save anything.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM, as a process supervisor or `docker stop` would.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `limit` for the process to exit; `None` if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<(ExitStatus, Duration)> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                return Some((status, started.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Everything the process has written to standard error so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).expect("the log file is readable")
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.log_path);
    }
}
