//! The catalogue stays consistent: there are fixtures, every schema a fixture names
//! exists, every schema file is used by some fixture (named by it, or reached through
//! `$ref` from one it names, as list items are), and fixtures that need a second tenant
//! or the control plane say so.
//!
//! `schemas/fixture.json` is the one schema no fixture uses: the loader does.

use mfa_conformance::Suite;

fn suite() -> Suite {
    Suite::load(&mfa_conformance::default_root())
        .unwrap_or_else(|error| panic!("the catalogue does not load: {error}"))
}

#[test]
fn there_is_at_least_one_fixture() {
    assert!(
        !suite().fixtures.is_empty(),
        "fixtures/ holds no *.json fixtures"
    );
}

#[test]
fn every_schema_a_fixture_names_exists() {
    let dangling: Vec<String> = suite()
        .dangling_references()
        .iter()
        .map(|reference| format!("\n  {}", reference.to_load_error()))
        .collect();
    assert!(
        dangling.is_empty(),
        "fixtures name schemas that do not exist:{}",
        dangling.concat()
    );
}

#[test]
fn every_schema_file_is_used_by_some_fixture() {
    let unused = suite().unused_schemas();
    assert!(
        unused.is_empty(),
        "no fixture names these schemas in request.schema or expect.schema, nor any schema \
         that refers to them: {unused:?}; add a fixture that uses each, or delete the file"
    );
}

#[test]
fn every_fixture_that_uses_the_other_tenant_declares_second_tenant() {
    let suite = suite();
    let undeclared: Vec<&str> = suite
        .undeclared_second_tenant()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(
        undeclared.is_empty(),
        "these fixtures send as tenant \"other\" without \"requires\": [\"second_tenant\"], \
         so they would fail instead of being skipped against a server with one key: {undeclared:?}"
    );
}

#[test]
fn every_fixture_that_calls_the_control_plane_declares_control_plane() {
    let suite = suite();
    let undeclared: Vec<&str> = suite
        .undeclared_control_plane()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(
        undeclared.is_empty(),
        "these fixtures call /_mock/ without \"requires\": [\"control_plane\"], so they would \
         fail instead of being skipped against a server without it: {undeclared:?}"
    );
}
