# Everyday recipes. Each is one plain command, so nothing here needs `just`.

# Run the server on 127.0.0.1:4100.
serve:
    cargo run --release -p mfa-mock

# Run every test: unit, integration over HTTP, and the conformance suite.
test:
    cargo test --workspace

# Run the official WorkOS SDKs against a fresh server: just sdk-tests, or just sdk-tests python-10 node-8
sdk-tests *suites:
    bash sdk-tests/run.sh {{suites}}

# Review changed conformance snapshots (needs `cargo install cargo-insta`).
review:
    cargo insta review

# Replay the fixtures against a running server: just conformance http://127.0.0.1:4100
conformance base_url="http://127.0.0.1:4100":
    cargo run -p mfa-conformance -- --base-url {{base_url}}

# The load benchmark: every scenario next to a bare hyper ceiling, start-up and memory.
bench *args:
    cargo build --release -p mfa-mock -p mfa-load
    target/release/mfa-load {{args}}

# QR rendering alone: mfa-mock's against totp-rs's, same bytes, time per code.
bench-qr:
    cargo bench -p mfa-mock --bench qr

# Format and lint as CI does.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Exactly what CI runs.
ci:
    bash .ci/run
