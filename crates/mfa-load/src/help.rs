//! The words of `mfa-load --help`: what each scenario sends, which server is
//! measured, what is pinned where and what the output holds. Kept apart from
//! the flags (`cli`) so both stay readable.

/// One line on what the benchmark does (`-h`).
pub const ABOUT: &str = "Load benchmark for mfa-mock: requests/s, flows/s and latency \
percentiles per scenario, each next to a bare hyper server measured in the same run, plus \
start-up time and resident memory.";

/// The scenarios, the server, the pinning and the output (`--help`).
pub const LONG_ABOUT: &str = "\
Load benchmark for mfa-mock: requests/s, flows/s and latency percentiles per scenario,
each next to a bare hyper server measured in the same run, plus start-up time and
resident memory.

Each worker holds one HTTP/1.1 keep-alive connection and sends requests one after
another. Every scenario runs for the warm-up (not measured), then for the duration
(measured). Latency is per request. Every answer outside 200-299 is counted: it must be 0.

SCENARIOS
  ceiling  a minimal hyper server inside mfa-load that answers every request with a
           fixed ~400-byte JSON body (64 connections). It is measured whenever another
           scenario is, and every mfa-mock figure is printed as a ratio of it: ratios
           measured side by side hold on a busy machine, absolute figures drift.
  floor-enroll, floor-flow
           the enroll and flow workloads against the honest floor: a bare hyper server
           inside mfa-load that stores a factor with a random 160-bit secret in a
           DashMap, stores a challenge, checks an HMAC-SHA1 TOTP code, and answers small
           fixed-shape JSON (no routing, journal, validation, ids or QR). Measured
           whenever enroll or flow is, pinned like the ceiling; enroll and flow are
           printed as ratios of it, in req/s and in server CPU µs per request.
  get      GET /auth/factors/:id of a TOTP factor enrolled in setup (64 connections)
  enroll   POST /auth/factors/enroll, TOTP, QR code and all (16 connections)
  flow     enroll -> challenge -> verify with the correct TOTP code computed from the
           returned secret; counts flows (16 connections)
  list     GET /user_management/users/:id/auth_factors?limit=10 over a user with 100
           factors created in setup (16 connections)
  startup  time from spawning mfa-mock to its first 200 on GET /health
           (median, min and max of 20 starts)
  memory   VmRSS of a fresh mfa-mock when idle, after 10 000 flows and after 100 000
           flows (driven as fast as possible; the time they took is printed)

THE SERVER
By default each scenario gets a fresh mfa-mock process: the mfa-mock executable beside
this one (build both with `cargo build --release -p mfa-mock -p mfa-load`), or
--server-bin PATH. It is started as `mfa-mock --host 127.0.0.1 --port 0` with
TOKIO_WORKER_THREADS=1, its default flags (add some with --server-arg) and its log
(standard error) discarded. --url measures a server that is already running instead;
start-up and memory are then skipped. Each scenario uses its own sk_test_ key, so its
own tenant; enroll and flow (and memory's flows) give each connection a key of its own,
as separate test jobs would, since one key holds at most 100 000 objects.

PINNING
With two cores or more, the spawned mfa-mock (one tokio worker), the ceiling and the
floor servers (each a single-threaded runtime) run on the first core this process may use (core 0 on most
machines), the load generator (a single-threaded runtime) on the second (core 1), so
server and generator never compete for a CPU. The report shows
the server's Cpus_allowed_list as the kernel has it. With one core, or --no-pin,
nothing is pinned and a warning says so.

OUTPUT
A plain-text table (or --json), headed by the machine (cores, CPU model), the pinning,
the durations and the connection counts. The exit status is 1 if any answer was not
2xx, a flow failed its checks or a request got no answer; 2 if the benchmark could not
run.";

/// Example command lines.
pub const AFTER_HELP: &str = "\
Examples:
  cargo build --release -p mfa-mock -p mfa-load && target/release/mfa-load
  target/release/mfa-load get flow --duration 5s
  target/release/mfa-load --url http://127.0.0.1:4100 get -c 32
  target/release/mfa-load startup memory --json";
