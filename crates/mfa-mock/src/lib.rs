//! mfa-mock: a local, in-memory, faithful copy of the WorkOS Multi-Factor
//! Authentication API.
//!
//! The server is a library: [`run`] takes an already-bound listener, a
//! [`Config`] and a shutdown future. The `mfa-mock` binary only parses flags,
//! binds and calls it; tests bind `127.0.0.1:0` and do the same.
//!
//! A request flows edge-inwards and dependencies point the same way:
//! `server` (connections) → `request` (the body, once) → `app` (the one
//! pipeline: route table, key, faults, idempotency, journal) → `router` (the
//! table) → `handlers` (one file per operation group, `/_mock/` controls
//! included) → the domain (`enrollment`, `state`, `totp`, `model`, ...) →
//! `store` (the only state). `error` is the one place a failure becomes a
//! status and a WorkOS-shaped body. Every module is private; the names below
//! are the whole public surface.

#![warn(unreachable_pub)]

mod app;
mod auth;
mod bounded;
mod clock;
mod config;
mod enrollment;
mod error;
mod faults;
mod handlers;
mod ids;
mod journal;
mod model;
mod outbox;
mod password;
mod persist;
mod phone;
mod qr;
mod request;
mod response;
mod router;
mod seed;
mod server;
mod signing;
mod state;
mod store;
mod totp;
mod ui;
mod validation;

pub use app::App;
pub use clock::{Clock, ManualClock, Timestamp};
pub use config::{Config, DEFAULT_MAX_BODY_BYTES};
pub use model::ExpectedCode;
pub use qr::{QrError, png_data_uri};
pub use request::ApiRequest;
pub use response::ApiResponse;
pub use seed::SeedFile;
pub use server::{run, serve};
pub use store::Tenant;
