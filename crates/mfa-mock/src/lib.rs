//! mfa-mock: a local, in-memory, faithful copy of the WorkOS Multi-Factor
//! Authentication API.
//!
//! The server is a library: [`run`] takes an already-bound listener, a
//! [`Config`] and a shutdown future. The `mfa-mock` binary only parses flags,
//! binds and calls it; tests bind `127.0.0.1:0` and do the same.
//!
//! A request flows edge-inwards: `server` (connections) → `request` (the body,
//! once) → `app` (auth, routing) → `handlers` (one file per operation group) →
//! `store` (the only state). `error` is the one place a failure becomes a
//! status and a WorkOS-shaped body.

pub mod app;
pub mod auth;
pub mod bounded;
pub mod clock;
pub mod config;
pub mod enrollment;
pub mod error;
pub mod faults;
pub mod handlers;
pub mod ids;
pub mod journal;
pub mod model;
pub mod outbox;
pub mod persist;
pub mod phone;
pub mod qr;
pub mod request;
pub mod response;
pub mod router;
pub mod seed;
pub mod server;
pub mod state;
pub mod store;
pub mod totp;
pub mod validation;

pub use app::App;
pub use config::Config;
pub use server::{run, serve};
