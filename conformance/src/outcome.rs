//! What a fixture run produced: a verdict, the failures behind it, and the exchanges.
//!
//! These are plain data; `runner` fills them, `report` prints them and `redact` turns the
//! exchanges into a snapshot transcript.

use serde_json::Value;

use crate::capture::CaptureFailure;
use crate::http::ResponseBody;
use crate::matching::Mismatch;
use crate::schemas::Violation;

/// One request sent and the response it got, before redaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The step's name.
    pub name: String,
    /// The HTTP method.
    pub method: String,
    /// The rendered path, with its query string.
    pub path: String,
    /// The response status.
    pub status: u16,
    /// The response body.
    pub body: ResponseBody,
}

/// Everything wrong with one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFailure {
    /// Zero-based index of the step in the fixture's `steps`.
    pub index: usize,
    /// The step's name.
    pub name: String,
    /// The status the fixture expects.
    pub expected_status: u16,
    /// The status received, if the request was sent.
    pub actual_status: Option<u16>,
    /// Each problem found.
    pub problems: Vec<Problem>,
}

/// One thing wrong with a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The step could not be sent (template, header or transport error); the fixture
    /// stops here.
    NotSent(String),
    /// The rendered request body breaks its request schema; the fixture stops here.
    RequestSchema {
        /// The request schema's name.
        schema: String,
        /// Every violation.
        violations: Vec<Violation>,
    },
    /// The status differs; the body is shown instead of checked.
    Status {
        /// An excerpt of the body received.
        body: String,
    },
    /// The fixture names a schema that does not exist.
    UnknownSchema(String),
    /// The body should have been empty.
    BodyNotEmpty {
        /// An excerpt of the body received.
        body: String,
    },
    /// The body should have been JSON satisfying a schema, but is empty or not JSON.
    NotJson {
        /// The schema it should satisfy.
        schema: String,
        /// An excerpt of the body received.
        body: String,
    },
    /// The body breaks its response schema.
    Schema {
        /// The response schema's name.
        schema: String,
        /// Every violation.
        violations: Vec<Violation>,
    },
    /// The body does not match the expected partial body.
    Body(Mismatch),
    /// A header is not what was expected.
    Header {
        /// The lower-case header name.
        name: String,
        /// The expected value; `None` means it must be absent.
        expected: Option<String>,
        /// The received value, if any.
        actual: Option<String>,
    },
    /// A capture could not be taken.
    Capture(CaptureFailure),
}

/// How a fixture run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every step matched.
    Passed,
    /// At least one step failed.
    Failed(Vec<StepFailure>),
    /// Not run, for the reason given.
    Skipped(String),
}

/// The result of replaying one fixture.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureResult {
    /// The fixture's name: its path under `fixtures/`, without `.json`.
    pub name: String,
    /// How it ended.
    pub verdict: Verdict,
    /// How many steps the fixture has.
    pub step_count: usize,
    /// The redacted transcript of the exchanges, for snapshots.
    pub transcript: Value,
}

impl FixtureResult {
    /// Whether the fixture passed.
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }
}
