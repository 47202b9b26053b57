//! Replays every fixture against the real server, started in-process on 127.0.0.1:0,
//! and snapshot-tests each fixture's redacted transcript.
//!
//! The server is only started here (through `mfa_mock::run`); everything the suite
//! checks comes from `schemas/` and `fixtures/`. All fixtures are replayed once, shared by
//! both tests: one asserts that every fixture passes, the other compares transcripts with
//! `tests/snapshots/` (one snapshot per fixture, found with `insta::glob!`, which fails
//! when the glob matches nothing). A third test rejects snapshots no fixture produces, so
//! plain `cargo test` catches them too, not only `cargo insta test --unreferenced=reject`.
//!
//! The replay is deterministic: the server draws ids, secrets and codes from [`SEED`],
//! each fixture has fixed keys named after it, and both its tenants are frozen at
//! [`FROZEN_AT`] before its first step. So transcripts keep secrets, QR codes and codes
//! as they are, and a change to any of them shows in the snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use mfa_conformance::{
    Deterministic, FixtureResult, KeySource, Runner, Suite, Verdict, files, report,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The seed of the in-process server's ids, secrets and codes.
const SEED: u64 = 20_260_115;

/// Where both tenants of every fixture are frozen before its first step.
const FROZEN_AT: &str = "2026-01-15T12:00:00.000Z";

/// A replayed fixture: its description (for the snapshot header) and its result.
struct Replayed {
    description: String,
    result: FixtureResult,
}

/// Every fixture's replay by fixture name, or why nothing could be replayed.
static REPLAY: LazyLock<Result<BTreeMap<String, Replayed>, String>> =
    LazyLock::new(replay_everything);

fn fixtures_dir() -> PathBuf {
    mfa_conformance::default_root().join("fixtures")
}

fn replay() -> &'static BTreeMap<String, Replayed> {
    match &*REPLAY {
        Ok(replayed) => replayed,
        Err(error) => panic!("the fixtures could not be replayed: {error}"),
    }
}

fn replay_everything() -> Result<BTreeMap<String, Replayed>, String> {
    let suite = load_suite()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let results = runtime.block_on(replay_against_in_process_server(&suite))?;
    Ok(suite
        .fixtures
        .iter()
        .zip(results)
        .map(|(loaded, result)| {
            let description = loaded.fixture.description.clone();
            (
                loaded.name.clone(),
                Replayed {
                    description,
                    result,
                },
            )
        })
        .collect())
}

fn load_suite() -> Result<Suite, String> {
    let suite = Suite::load(&mfa_conformance::default_root()).map_err(|e| e.to_string())?;
    match suite.dangling_references().first() {
        Some(dangling) => Err(dangling.to_load_error().to_string()),
        None => Ok(suite),
    }
}

/// Starts a seeded server on port 0, replays every fixture deterministically, stops it.
async fn replay_against_in_process_server(suite: &Suite) -> Result<Vec<FixtureResult>, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let config = mfa_mock::Config {
        seed: Some(SEED),
        ..mfa_mock::Config::default()
    };
    let server = tokio::spawn(mfa_mock::run(listener, config, shutdown));
    let runner = Runner::new(&format!("http://{address}"), KeySource::PerFixture)?
        .deterministic(Deterministic::frozen_at(FROZEN_AT)?);
    let results = runner.run_all(&suite.fixtures, &suite.schemas).await;
    let _ = stop.send(());
    match server.await {
        Ok(Ok(())) => Ok(results),
        Ok(Err(e)) => Err(format!("the server failed: {e}")),
        Err(e) => Err(format!("the server task panicked: {e}")),
    }
}

#[test]
fn every_fixture_passes_against_the_in_process_server() {
    let replayed = replay();
    assert!(
        !replayed.is_empty(),
        "fixtures/ holds no *.json fixtures to replay"
    );
    let results: Vec<FixtureResult> = replayed.values().map(|r| r.result.clone()).collect();
    let not_passed: Vec<String> = results
        .iter()
        .filter(|result| result.verdict != Verdict::Passed)
        .map(report::fixture_report)
        .collect();
    assert!(
        not_passed.is_empty(),
        "{} of {} fixtures did not pass:\n{}{}",
        not_passed.len(),
        results.len(),
        not_passed.concat(),
        report::summary_line(&results),
    );
}

#[test]
fn every_fixture_transcript_matches_its_snapshot() {
    let replayed = replay();
    let base = fixtures_dir();
    insta::glob!("../../fixtures", "**/*.json", |path| {
        let name = files::stem_name(&base, path);
        let entry = snapshot_entry(replayed, &name, path);
        insta::with_settings!({ description => entry.description.as_str(), omit_expression => true }, {
            insta::assert_json_snapshot!("transcript", entry.result.transcript);
        });
    });
}

fn snapshot_entry<'a>(
    replayed: &'a BTreeMap<String, Replayed>,
    name: &str,
    path: &Path,
) -> &'a Replayed {
    replayed.get(name).unwrap_or_else(|| {
        panic!(
            "{} was found by the glob but not replayed as {name:?}",
            path.display()
        )
    })
}

#[test]
fn every_snapshot_belongs_to_a_fixture() {
    let expected = expected_snapshot_files();
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("snapshots");
    let present: BTreeSet<String> = std::fs::read_dir(&directory)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    let orphans: Vec<&String> = present
        .iter()
        .filter(|name| name.ends_with(".snap") && !expected.contains(*name))
        .collect();
    assert!(
        orphans.is_empty(),
        "these snapshots in {} belong to no fixture; delete them \
         (or run `cargo insta test --unreferenced=delete`): {orphans:?}",
        directory.display()
    );
}

/// The snapshot file each fixture produces, named the way `insta::glob!` names them: the
/// path below the fixtures' common directory, with `/` turned into `__`.
fn expected_snapshot_files() -> BTreeSet<String> {
    let paths = files::json_files(&fixtures_dir()).unwrap_or_else(|e| panic!("{e}"));
    let prefix = common_directory(&paths);
    paths
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(&prefix).unwrap_or(path);
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            format!("fixtures__transcript@{}.snap", parts.join("__"))
        })
        .collect()
}

/// The components the first and last (sorted) paths share, as `insta::glob!` computes them.
fn common_directory(sorted: &[PathBuf]) -> PathBuf {
    let (Some(first), Some(last)) = (sorted.first(), sorted.last()) else {
        return PathBuf::new();
    };
    first
        .components()
        .zip(last.components())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect()
}
