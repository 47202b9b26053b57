//! mfa-load: a load benchmark for mfa-mock.
//!
//! It drives a server over HTTP/1.1 keep-alive connections, one worker per
//! connection, and reports requests (and flows) per second, latency
//! percentiles and failures per scenario, next to a bare hyper server measured
//! in the same run (the ceiling) and a bare server doing a flow's real work
//! (the floor), plus start-up time and resident memory.
//!
//! The binary parses flags (`cli`) and calls [`bench::run`]; a run goes
//! `bench` (orchestration, pinning) → `driver` (workers and timing) →
//! `scenario` (what each iteration sends) → `client` (one connection). The
//! servers it measures are `server_process` (a spawned mfa-mock), `ceiling`
//! and `floor` (both in-process); `startup` and `memory` measure the spawned
//! process; `report` prints everything.

pub mod bench;
pub mod ceiling;
pub mod cli;
pub mod client;
pub mod cpu;
pub mod driver;
pub mod floor;
pub mod help;
pub mod machine;
pub mod memory;
pub mod pinning;
pub mod recorder;
pub mod report;
pub mod scenario;
pub mod server_process;
pub mod startup;
pub mod stats;
pub mod target;
pub mod totp;
