//! Black-box tests: each starts the real server on 127.0.0.1:0 and talks HTTP to it.

mod authkit;
mod binary;
mod challenges;
mod control;
mod determinism;
mod errors;
mod factors;
mod first_run;
mod helpers;
mod hostile;
mod logs;
mod races;
mod raw;
mod shutdown;
mod slow_clients;
mod tenants;
mod ui;
mod users;
