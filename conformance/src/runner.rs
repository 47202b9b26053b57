//! Replaying fixtures against a base URL, one step at a time.
//!
//! For each step: fill the templates (`render`), pre-check the request body against its
//! schema, send it (`http`), judge the response (`check`), take the captures and record
//! the exchange. A step that cannot be sent ends the fixture, since later steps depend on
//! it; a step whose response is wrong is recorded and the fixture goes on, so one run
//! shows every problem.
//!
//! TOTP codes are computed at the tenant's time when the server has the control plane
//! (`control`), else at the wall clock's. A [`Deterministic`] runner also freezes both
//! tenants at a fixed instant before each fixture, draws `{{unique}}` values from the
//! fixture's name and keeps the values a seeded server repeats in the transcript.

use std::ops::ControlFlow;

use serde_json::Value;
use ulid::Ulid;

use crate::capture::capture_all;
use crate::check::{check_request, check_response};
use crate::control;
use crate::fixture::Step;
use crate::http::{self, Incoming};
use crate::outcome::{Exchange, FixtureResult, Problem, StepFailure, Verdict};
use crate::redact::{self, Profile};
use crate::render::{RenderedStep, render_step};
use crate::requirements::{Capabilities, ControlPlane};
use crate::schemas::SchemaSet;
use crate::suite::LoadedFixture;
use crate::template::{Captures, Templater};
use crate::tenants::{KeySource, TenantKeys};
use crate::totp_time;

/// Settings for byte-identical transcripts from a seeded mfa-mock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deterministic {
    freeze_at: String,
    epoch_millis: i64,
}

impl Deterministic {
    /// Freeze both tenants at `freeze_at` (RFC 3339) before each fixture.
    pub fn frozen_at(freeze_at: &str) -> Result<Self, String> {
        let epoch_millis = control::unix_millis(freeze_at)
            .ok_or_else(|| format!("{freeze_at:?} is not an RFC 3339 timestamp"))?;
        Ok(Self {
            freeze_at: freeze_at.to_string(),
            epoch_millis,
        })
    }
}

/// Replays fixtures against one server.
pub struct Runner {
    client: reqwest::Client,
    base_url: String,
    keys: KeySource,
    control_plane: ControlPlane,
    deterministic: Option<Deterministic>,
}

impl Runner {
    /// A runner for the server at `base_url` (e.g. `http://127.0.0.1:4100`). Until
    /// [`Runner::detect_control_plane`] or [`Runner::with_control_plane`], fixtures that
    /// require the control plane are skipped.
    pub fn new(base_url: &str, keys: KeySource) -> Result<Self, String> {
        Ok(Self {
            client: http::client()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            keys,
            control_plane: ControlPlane::Unavailable("it was not looked for".to_string()),
            deterministic: None,
        })
    }

    /// Asks the server once, with the main key, whether it has the control plane.
    pub async fn detect_control_plane(&mut self) -> &ControlPlane {
        let keys = self.keys.keys_for_run("control_plane_probe");
        let authorization = format!("Bearer {}", keys.main);
        self.control_plane = control::probe(&self.client, &self.base_url, &authorization).await;
        &self.control_plane
    }

    /// Declares the control plane present without asking (the server is mfa-mock).
    pub fn with_control_plane(mut self) -> Self {
        self.control_plane = ControlPlane::Available;
        self
    }

    /// Makes every run deterministic as `settings` say. The clocks are frozen through the
    /// control plane, so this also declares it present.
    pub fn deterministic(mut self, settings: Deterministic) -> Self {
        self.deterministic = Some(settings);
        self.with_control_plane()
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
        if let Some(reason) = self.capabilities().missing(&loaded.fixture.requires) {
            return FixtureResult {
                name: loaded.name.clone(),
                verdict: Verdict::Skipped(reason),
                step_count,
                transcript: Value::Array(Vec::new()),
            };
        }
        let mut run = Run::new(self, &loaded.name);
        if run.freeze_tenants().await.is_continue() {
            for (index, step) in loaded.fixture.steps.iter().enumerate() {
                if run.step(index, step, schemas).await.is_break() {
                    break;
                }
            }
        }
        run.finish(&loaded.name, step_count)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            second_tenant: self.keys.has_second_tenant(),
            control_plane: self.control_plane.clone(),
        }
    }

    fn profile(&self) -> Profile {
        match &self.deterministic {
            Some(settings) => Profile::Deterministic {
                epoch_millis: settings.epoch_millis,
            },
            None => Profile::Strict,
        }
    }
}

/// Where `{{unique}}` values come from.
enum Uniques {
    /// A fresh lowercase ULID each time.
    Random,
    /// Lowercase ULIDs at the frozen instant, counted up from a hash of the fixture's name:
    /// the same every run, different for every fixture.
    Seeded { millis: u64, base: u128 },
}

impl Uniques {
    fn for_run(runner: &Runner, fixture: &str) -> Self {
        match &runner.deterministic {
            Some(settings) => Self::Seeded {
                millis: u64::try_from(settings.epoch_millis).unwrap_or(0),
                base: u128::from(fnv1a(fixture.as_bytes())) << 16,
            },
            None => Self::Random,
        }
    }

    fn next(&self, count: usize) -> String {
        let ulid = match self {
            Self::Random => Ulid::new(),
            Self::Seeded { millis, base } => Ulid::from_parts(*millis, base + count as u128),
        };
        ulid.to_string().to_lowercase()
    }
}

/// The state of one fixture run.
struct Run<'r> {
    runner: &'r Runner,
    keys: TenantKeys,
    captures: Captures,
    unique_source: Uniques,
    uniques: Vec<String>,
    exchanges: Vec<Exchange>,
    failures: Vec<StepFailure>,
}

impl<'r> Run<'r> {
    fn new(runner: &'r Runner, fixture: &str) -> Self {
        Self {
            runner,
            keys: runner.keys.keys_for_run(fixture),
            captures: Captures::new(),
            unique_source: Uniques::for_run(runner, fixture),
            uniques: Vec::new(),
            exchanges: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// For a deterministic runner, freezes both tenants before the first step.
    async fn freeze_tenants(&mut self) -> ControlFlow<()> {
        let Some(settings) = &self.runner.deterministic else {
            return ControlFlow::Continue(());
        };
        let keys = std::iter::once(&self.keys.main).chain(self.keys.other.as_ref());
        for key in keys {
            let authorization = format!("Bearer {key}");
            let runner = self.runner;
            let frozen = control::freeze(
                &runner.client,
                &runner.base_url,
                &authorization,
                &settings.freeze_at,
            );
            if let Err(reason) = frozen.await {
                return self.setup_failed(format!("freezing the tenants failed: {reason}"));
            }
        }
        ControlFlow::Continue(())
    }

    /// Records why the run could not start; no step is sent.
    fn setup_failed(&mut self, reason: String) -> ControlFlow<()> {
        self.failures.push(StepFailure {
            index: 0,
            name: "(before the first step)".to_string(),
            expected_status: 200,
            actual_status: None,
            problems: vec![Problem::NotSent(reason)],
        });
        ControlFlow::Break(())
    }

    async fn step(&mut self, index: usize, step: &Step, schemas: &SchemaSet) -> ControlFlow<()> {
        let now = match self.totp_time(step).await {
            Ok(now) => now,
            Err(reason) => return self.stop(index, step, Problem::NotSent(reason)),
        };
        let rendered = match self.render(step, now) {
            Ok(rendered) => rendered,
            Err(reason) => return self.stop(index, step, Problem::NotSent(reason)),
        };
        if let Some(problem) = precheck(step, rendered.json.as_ref(), schemas) {
            return self.stop(index, step, problem);
        }
        match http::send(&self.runner.client, rendered.outgoing.clone()).await {
            Ok(response) => self.judge(index, step, &rendered, response, schemas),
            Err(reason) => self.stop(index, step, Problem::NotSent(reason)),
        }
    }

    /// The Unix seconds the step's TOTP placeholders are computed at.
    async fn totp_time(&self, step: &Step) -> Result<u64, String> {
        if !totp_time::mentions_totp(step) {
            return Ok(totp_time::wall_seconds());
        }
        let runner = self.runner;
        let tenant = match runner.control_plane.is_available() {
            true => Some(self.keys.acting_authorization(step.tenant)?),
            false => None,
        };
        totp_time::code_time(&runner.client, &runner.base_url, tenant.as_deref()).await
    }

    fn render(&mut self, step: &Step, now: u64) -> Result<RenderedStep, String> {
        let Self {
            runner,
            captures,
            unique_source,
            uniques,
            keys,
            ..
        } = self;
        let mut unique = || {
            let value = unique_source.next(uniques.len());
            uniques.push(value.clone());
            value
        };
        let mut templater = Templater::new(captures, now, &mut unique);
        render_step(&mut templater, keys, &runner.base_url, step)
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
        literals.push((
            host(&self.runner.base_url).to_string(),
            "[host]".to_string(),
        ));
        let transcript = redact::transcript(&self.exchanges, self.runner.profile(), literals);
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

/// The `host:port` of a base URL, as a server sees it in the `Host` header.
fn host(base_url: &str) -> &str {
    let without_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    without_scheme.split('/').next().unwrap_or(without_scheme)
}

/// FNV-1a, 64-bit: a stable hash of a fixture's name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_a_base_url_is_its_authority() {
        assert_eq!(host("http://127.0.0.1:4100"), "127.0.0.1:4100");
        assert_eq!(host("https://api.workos.com/v1"), "api.workos.com");
    }

    #[test]
    fn seeded_uniques_repeat_per_fixture_and_differ_between_fixtures() {
        let seeded = |name: &str| Uniques::Seeded {
            millis: 1_768_478_400_000,
            base: u128::from(fnv1a(name.as_bytes())) << 16,
        };
        let (a, b) = (seeded("users/a"), seeded("users/b"));
        assert_eq!(a.next(0), seeded("users/a").next(0));
        assert_ne!(a.next(0), a.next(1));
        assert_ne!(a.next(0), b.next(0));
        assert_eq!(a.next(0), a.next(0).to_lowercase());
        assert_eq!(a.next(0).len(), 26);
    }

    #[test]
    fn deterministic_settings_need_an_rfc_3339_instant() {
        let settings = Deterministic::frozen_at("2026-01-15T12:00:00Z").expect("valid");
        assert_eq!(settings.epoch_millis, 1_768_478_400_000);
        assert!(Deterministic::frozen_at("noon").is_err());
    }
}
