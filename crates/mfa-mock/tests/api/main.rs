//! Black-box tests: each starts the real server on 127.0.0.1:0 and talks HTTP to it.

mod authkit;
mod binary;
mod challenges;
mod control;
mod crash;
mod determinism;
mod errors;
mod factors;
mod first_run;
mod helpers;
mod hostile;
mod limits;
mod logs;
mod memory;
mod races;
mod raw;
mod shutdown;
mod signin;
mod slow_clients;
mod startup;
mod tenants;
mod ui;
mod users;
