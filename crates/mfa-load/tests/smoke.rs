//! Runs every load scenario briefly against an in-process mfa-mock on port 0
//! and checks that the benchmark works end to end: every answer 2xx, every
//! flow verified, something counted. Speed is reported by the benchmark,
//! never asserted here.

use clap::Parser;
use mfa_load::bench;
use mfa_load::cli::Cli;
use mfa_load::scenario::Scenario;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[test]
fn every_scenario_runs_against_mfa_mock_with_only_2xx_answers() {
    // Arrange: mfa-mock on its own runtime, as a test would run it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = runtime.spawn(mfa_mock::run(
        listener,
        mfa_mock::Config::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    let cli = Cli::try_parse_from([
        "mfa-load",
        "--url",
        &url,
        "--duration",
        "300ms",
        "--warmup",
        "50ms",
        "--connections",
        "2",
        // 20 rather than 100: each enrollment renders a QR code, slow in a debug build.
        "--list-factors",
        "20",
        "--no-pin",
    ])
    .expect("valid flags");
    let settings = cli.settings().expect("valid settings");

    // Act
    let report = bench::run(&settings).expect("the benchmark runs");
    let _ = stop.send(());
    let _ = runtime.block_on(server);

    // Assert
    let measured: Vec<Scenario> = report.scenarios.iter().map(|r| r.scenario).collect();
    assert_eq!(measured, Scenario::ALL);
    for result in &report.scenarios {
        let name = result.scenario.name();
        assert_eq!(result.non_2xx, 0, "{name}: {:?}", result.first_problem);
        assert_eq!(
            result.failed_checks, 0,
            "{name}: {:?}",
            result.first_problem
        );
        assert_eq!(
            result.transport_errors, 0,
            "{name}: {:?}",
            result.first_problem
        );
        assert!(result.requests > 0, "{name} counted no requests");
        assert!(result.p50_us > 0.0, "{name} recorded no latency");
    }
    let flow = report
        .scenarios
        .iter()
        .find(|r| r.scenario == Scenario::Flow)
        .and_then(|r| r.flows_per_sec);
    assert!(flow.is_some_and(|rate| rate > 0.0), "no verified flows");
    assert!(report.to_table().contains("vs ceiling"));
}
