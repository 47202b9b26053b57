//! A conformance suite for the WorkOS MFA API: replays the JSON fixtures of `fixtures/`
//! against any base URL and checks every response against the JSON Schemas of `schemas/`.
//!
//! Its truth is those two directories and nothing else: it never imports the server's
//! types, so a bug in a shared type cannot pass on both sides. Map of the modules:
//! `files` and `suite` load the catalogue, `schemas` compiles and validates, `fixture` is
//! the strict fixture format, `requirements` decides which fixtures a run can replay,
//! `template`, `totp`, `totp_time`, `tenants` and `render` prepare each request, `control`
//! reads and freezes a tenant's clock on mfa-mock, `http` sends requests, `check`, `matching` and
//! `capture` judge the response, `runner` drives a fixture, `outcome` holds the results,
//! `redact` makes the snapshot transcript and `report` prints them.

pub mod capture;
pub mod check;
pub mod control;
pub mod error;
pub mod files;
pub mod fixture;
pub mod http;
pub mod matching;
pub mod outcome;
pub mod redact;
pub mod render;
pub mod report;
pub mod requirements;
pub mod runner;
pub mod schemas;
pub mod suite;
pub mod template;
pub mod tenants;
pub mod totp;
pub mod totp_time;

pub use error::LoadError;
pub use files::default_root;
pub use outcome::{FixtureResult, Verdict};
pub use requirements::ControlPlane;
pub use runner::{Deterministic, Runner};
pub use suite::Suite;
pub use tenants::KeySource;
