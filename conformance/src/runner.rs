//! Replaying fixtures against a base URL, one step at a time.
//!
//! For each step: fill the templates (`render`), pre-check the request body against its
//! schema, send it (`http`), judge the response (`check`), take the captures and record
//! the exchange. A step that cannot be sent ends the fixture, since later steps depend on
//! it; a step whose response is wrong is recorded and the fixture goes on, so one run
//! shows every problem.

use std::ops::ControlFlow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use ulid::Ulid;

use crate::capture::capture_all;
use crate::check::{check_request, check_response};
use crate::fixture::Step;
use crate::http::{self, Incoming};
use crate::outcome::{Exchange, FixtureResult, Problem, StepFailure, Verdict};
use crate::redact;
use crate::render::{RenderedStep, render_step};
use crate::schemas::SchemaSet;
use crate::suite::LoadedFixture;
use crate::template::{Captures, Templater};
use crate::tenants::{KeySource, TenantKeys};
use crate::totp::STEP_SECONDS;

/// A step that needs a TOTP code waits for the next 30 s step when fewer than this
/// many milliseconds are left in the current one, so the code is still current when
/// the server checks it.
const TOTP_GUARD_MILLIS: u64 = 2_000;

/// Replays fixtures against one server.
pub struct Runner {
    client: reqwest::Client,
    base_url: String,
    keys: KeySource,
}

impl Runner {
    /// A runner for the server at `base_url` (e.g. `http://127.0.0.1:4100`).
    pub fn new(base_url: &str, keys: KeySource) -> Result<Self, String> {
        Ok(Self {
            client: http::client()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            keys,
        })
    }

    /// Replays every fixture in order.
    pub async fn run_all<'a>(
        &self,
        fixtures: impl IntoIterator<Item = &'a LoadedFixture>,
        schemas: &SchemaSet,
    ) -> Vec<FixtureResult> {
        let mut results = Vec::new();
        for loaded in fixtures {
            results.push(self.run(loaded, schemas).await);
        }
        results
    }

    /// Replays one fixture with fresh state (and, for generated keys, fresh tenants).
    pub async fn run(&self, loaded: &LoadedFixture, schemas: &SchemaSet) -> FixtureResult {
        let step_count = loaded.fixture.steps.len();
        if let Some(reason) = self.keys.missing_requirement(&loaded.fixture.requires) {
            let verdict = Verdict::Skipped(reason);
            let transcript = Value::Array(Vec::new());
            return FixtureResult {
                name: loaded.name.clone(),
                verdict,
                step_count,
                transcript,
            };
        }
        let mut run = Run::new(self.keys.keys_for_run());
        for (index, step) in loaded.fixture.steps.iter().enumerate() {
            if run.step(self, index, step, schemas).await.is_break() {
                break;
            }
        }
        run.finish(&loaded.name, step_count)
    }
}

/// The state of one fixture run.
struct Run {
    keys: TenantKeys,
    captures: Captures,
    uniques: Vec<String>,
    exchanges: Vec<Exchange>,
    failures: Vec<StepFailure>,
}

impl Run {
    fn new(keys: TenantKeys) -> Self {
        Self {
            keys,
            captures: Captures::new(),
            uniques: Vec::new(),
            exchanges: Vec::new(),
            failures: Vec::new(),
        }
    }

    async fn step(
        &mut self,
        runner: &Runner,
        index: usize,
        step: &Step,
        schemas: &SchemaSet,
    ) -> ControlFlow<()> {
        wait_out_totp_boundary(step).await;
        let rendered = match self.render(&runner.base_url, step) {
            Ok(rendered) => rendered,
            Err(reason) => return self.stop(index, step, Problem::NotSent(reason)),
        };
        if let Some(problem) = precheck(step, rendered.json.as_ref(), schemas) {
            return self.stop(index, step, problem);
        }
        match http::send(&runner.client, rendered.outgoing.clone()).await {
            Ok(response) => self.judge(index, step, &rendered, response, schemas),
            Err(reason) => self.stop(index, step, Problem::NotSent(reason)),
        }
    }

    fn render(&mut self, base_url: &str, step: &Step) -> Result<RenderedStep, String> {
        let Self {
            captures,
            uniques,
            keys,
            ..
        } = self;
        let mut unique = || {
            let value = Ulid::new().to_string().to_lowercase();
            uniques.push(value.clone());
            value
        };
        let mut templater = Templater::new(captures, unix_seconds(), &mut unique);
        render_step(&mut templater, keys, base_url, step)
    }

    fn judge(
        &mut self,
        index: usize,
        step: &Step,
        rendered: &RenderedStep,
        response: Incoming,
        schemas: &SchemaSet,
    ) -> ControlFlow<()> {
        let mut problems = check_response(&rendered.expect, &response, schemas);
        let (captured, failures) = capture_all(response.body.json(), &step.capture);
        self.captures.extend(captured);
        if response.status == rendered.expect.status {
            problems.extend(failures.into_iter().map(Problem::Capture));
        }
        if !problems.is_empty() {
            self.fail(index, step, Some(response.status), problems);
        }
        self.exchanges.push(Exchange {
            name: step.name.clone(),
            method: step.request.method.clone(),
            path: rendered.path.clone(),
            status: response.status,
            body: response.body,
        });
        ControlFlow::Continue(())
    }

    fn fail(
        &mut self,
        index: usize,
        step: &Step,
        actual_status: Option<u16>,
        problems: Vec<Problem>,
    ) {
        self.failures.push(StepFailure {
            index,
            name: step.name.clone(),
            expected_status: step.expect.status,
            actual_status,
            problems,
        });
    }

    fn stop(&mut self, index: usize, step: &Step, problem: Problem) -> ControlFlow<()> {
        self.fail(index, step, None, vec![problem]);
        ControlFlow::Break(())
    }

    fn finish(self, name: &str, step_count: usize) -> FixtureResult {
        let mut literals = self.keys.literals();
        let uniques = self.uniques.iter().enumerate();
        literals.extend(uniques.map(|(i, value)| (value.clone(), format!("[unique_{}]", i + 1))));
        let transcript = redact::transcript(&self.exchanges, literals);
        let verdict = if self.failures.is_empty() {
            Verdict::Passed
        } else {
            Verdict::Failed(self.failures)
        };
        FixtureResult {
            name: name.to_string(),
            verdict,
            step_count,
            transcript,
        }
    }
}

/// The request schema pre-check, when the step names one.
fn precheck(step: &Step, json: Option<&Value>, schemas: &SchemaSet) -> Option<Problem> {
    let schema = step.request.schema.as_deref()?;
    check_request(schema, json, schemas)
}

/// Whether any request string of `step` asks for a TOTP code.
fn mentions_totp(step: &Step) -> bool {
    let request = &step.request;
    let json = request
        .json
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    [
        request.path.as_str(),
        json.as_str(),
        request.body.as_deref().unwrap_or_default(),
    ]
    .into_iter()
    .chain(request.headers.values().map(String::as_str))
    .any(|text| text.contains("{{totp"))
}

/// Sleeps into the next TOTP step when the current one is about to end.
async fn wait_out_totp_boundary(step: &Step) {
    if !mentions_totp(step) {
        return;
    }
    let step_millis = STEP_SECONDS * 1_000;
    let left = step_millis - unix_millis() % step_millis;
    if left < TOTP_GUARD_MILLIS {
        tokio::time::sleep(Duration::from_millis(left + 100)).await;
    }
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

fn unix_seconds() -> u64 {
    unix_millis() / 1_000
}
