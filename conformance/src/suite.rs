//! The whole catalogue: every schema and every fixture of a repository, loaded strictly.
//!
//! A fixture is first validated against `schemas/fixture.json` (so every problem comes
//! with its JSON path) and then read into the strict types of `fixture`. The catalogue
//! checks (schemas a fixture names but nobody wrote, schemas nobody uses, requirements a
//! fixture forgot to declare) live here too, so the binary and the tests ask the same
//! questions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::LoadError;
use crate::files;
use crate::fixture::{CONTROL_PLANE, Fixture, SECOND_TENANT};
use crate::schemas::SchemaSet;

/// Where the schemas live under the repository root: inside the server crate, so
/// that the published crate carries the request schemas it compiles in.
pub(crate) const SCHEMAS_DIR: &str = "crates/mfa-mock/schemas";

/// The schema every fixture file must satisfy; used by the loader, not by fixtures.
pub const FIXTURE_SCHEMA: &str = "fixture";

/// One fixture and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedFixture {
    /// Its path under `fixtures/`, without `.json`, e.g. `factors/enroll_totp`.
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Its contents.
    pub fixture: Fixture,
}

/// A schema name used by a fixture that no file provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DanglingReference {
    /// The fixture file.
    pub file: PathBuf,
    /// Zero-based step index.
    pub step: usize,
    /// `request.schema` or `expect.schema`.
    pub field: &'static str,
    /// The missing schema's name.
    pub schema: String,
}

impl DanglingReference {
    /// As a load error naming the fixture file.
    pub fn to_load_error(&self) -> LoadError {
        LoadError::new(
            &self.file,
            format!(
                "steps[{}].{} names schema {:?}, but schemas/{}.json does not exist; fix the name or add the schema",
                self.step, self.field, self.schema, self.schema
            ),
        )
    }
}

/// Every schema and fixture of a repository.
pub struct Suite {
    /// The compiled schemas.
    pub schemas: SchemaSet,
    /// The fixtures, sorted by path.
    pub fixtures: Vec<LoadedFixture>,
}

impl Suite {
    /// Loads `root/crates/mfa-mock/schemas/**/*.json` (the server embeds the same
    /// files) and `root/fixtures/**/*.json`.
    pub fn load(root: &Path) -> Result<Self, LoadError> {
        let schemas = SchemaSet::load(&root.join(SCHEMAS_DIR))?;
        if !schemas.contains(FIXTURE_SCHEMA) {
            let path = root
                .join(SCHEMAS_DIR)
                .join(format!("{FIXTURE_SCHEMA}.json"));
            return Err(LoadError::new(
                &path,
                "is missing; the fixture format needs a schema",
            ));
        }
        let fixtures_dir = root.join("fixtures");
        let fixtures = files::json_files(&fixtures_dir)?
            .into_iter()
            .map(|path| load_fixture(&fixtures_dir, &path, &schemas))
            .collect::<Result<_, _>>()?;
        Ok(Self { schemas, fixtures })
    }

    /// Schema names used by fixtures that no file provides.
    pub fn dangling_references(&self) -> Vec<DanglingReference> {
        let mut dangling = Vec::new();
        for loaded in &self.fixtures {
            for (step, field, schema) in loaded.fixture.schema_references() {
                if !self.schemas.contains(schema) {
                    let file = loaded.path.clone();
                    dangling.push(DanglingReference {
                        file,
                        step,
                        field,
                        schema: schema.to_string(),
                    });
                }
            }
        }
        dangling
    }

    /// Schemas no fixture uses (the fixture format itself excepted): neither named by a
    /// fixture nor reached through `$ref` from a schema a fixture names, as the item
    /// schema of a list is.
    pub fn unused_schemas(&self) -> Vec<String> {
        let named: BTreeSet<&str> = self
            .fixtures
            .iter()
            .flat_map(|loaded| loaded.fixture.schema_references())
            .map(|(_, _, schema)| schema)
            .collect();
        let used = self.schemas.reachable_from(named);
        self.schemas
            .names()
            .filter(|name| *name != FIXTURE_SCHEMA && !used.contains(*name))
            .map(str::to_string)
            .collect()
    }

    /// Fixtures that send as the `other` tenant without declaring that they need it.
    pub fn undeclared_second_tenant(&self) -> Vec<&LoadedFixture> {
        self.fixtures
            .iter()
            .filter(|loaded| loaded.fixture.uses_other_tenant())
            .filter(|loaded| !loaded.fixture.requires(SECOND_TENANT))
            .collect()
    }

    /// Fixtures that call `/_mock/` without declaring that they need the control plane.
    pub fn undeclared_control_plane(&self) -> Vec<&LoadedFixture> {
        self.fixtures
            .iter()
            .filter(|loaded| loaded.fixture.uses_control_plane())
            .filter(|loaded| !loaded.fixture.requires(CONTROL_PLANE))
            .collect()
    }

    /// The fixtures whose name contains `filter` (all of them for `None`).
    pub fn matching<'a>(
        &'a self,
        filter: Option<&'a str>,
    ) -> impl Iterator<Item = &'a LoadedFixture> {
        self.fixtures
            .iter()
            .filter(move |loaded| filter.is_none_or(|f| loaded.name.contains(f)))
    }
}

/// Reads one fixture file: JSON, then the fixture schema, then the strict types.
pub fn load_fixture(
    base: &Path,
    path: &Path,
    schemas: &SchemaSet,
) -> Result<LoadedFixture, LoadError> {
    let value = files::read_json(path)?;
    let violations = schemas
        .validate(FIXTURE_SCHEMA, &value)
        .map_err(|e| LoadError::new(path, e.to_string()))?;
    if !violations.is_empty() {
        let lines: Vec<String> = violations.iter().map(|v| format!("\n  {v}")).collect();
        return Err(LoadError::new(
            path,
            format!("breaks schemas/fixture.json:{}", lines.concat()),
        ));
    }
    let fixture: Fixture = serde_json::from_value(value)
        .map_err(|e| LoadError::new(path, format!("is not a valid fixture: {e}")))?;
    check_structure(&fixture).map_err(|problem| LoadError::new(path, problem))?;
    Ok(LoadedFixture {
        name: files::stem_name(base, path),
        path: path.to_path_buf(),
        fixture,
    })
}

/// Rules the types cannot express.
fn check_structure(fixture: &Fixture) -> Result<(), String> {
    if fixture.steps.is_empty() {
        return Err("has no steps; add at least one".to_string());
    }
    for (index, step) in fixture.steps.iter().enumerate() {
        if step.request.json.is_some() && step.request.body.is_some() {
            return Err(format!(
                "steps[{index}].request has both json and body; keep one"
            ));
        }
        if !step.request.path.starts_with('/') {
            return Err(format!("steps[{index}].request.path must start with /"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn fixture(steps: Value) -> LoadedFixture {
        let fixture = serde_json::from_value(json!({"description": "d", "steps": steps}))
            .expect("valid fixture");
        LoadedFixture {
            name: "f".into(),
            path: PathBuf::from("fixtures/f.json"),
            fixture,
        }
    }

    fn step(request_schema: Option<&str>, expect_schema: Option<&str>) -> Value {
        json!({"name": "s", "request": {"method": "GET", "path": "/", "schema": request_schema},
               "expect": {"status": 200, "schema": expect_schema}})
    }

    fn suite(fixtures: Vec<LoadedFixture>) -> Suite {
        let schema = |name: &str| {
            (
                name.to_string(),
                json!({"$id": crate::schemas::expected_id(name)}),
            )
        };
        let schemas = SchemaSet::from_documents(vec![
            schema("fixture"),
            schema("health"),
            schema("requests/x"),
            schema("user"),
        ])
        .expect("compiles");
        Suite { schemas, fixtures }
    }

    #[test]
    fn a_schema_reached_through_a_ref_from_a_named_one_is_used() {
        let schemas = SchemaSet::from_documents(vec![
            (
                "fixture".to_string(),
                json!({"$id": crate::schemas::expected_id("fixture")}),
            ),
            (
                "item".to_string(),
                json!({"$id": crate::schemas::expected_id("item")}),
            ),
            (
                "item_list".to_string(),
                json!({"$id": crate::schemas::expected_id("item_list"),
                       "properties": {"data": {"items": {"$ref": "item.json"}}}}),
            ),
        ])
        .expect("compiles");
        let fixtures = vec![fixture(json!([step(None, Some("item_list"))]))];
        let suite = Suite { schemas, fixtures };
        assert!(
            suite.unused_schemas().is_empty(),
            "{:?}",
            suite.unused_schemas()
        );
    }

    #[test]
    fn calling_the_control_plane_without_declaring_it_is_found() {
        let mut raw = step(None, Some("health"));
        raw["request"]["path"] = json!("/_mock/clock");
        let suite = suite(vec![fixture(json!([raw]))]);
        assert_eq!(suite.undeclared_control_plane().len(), 1);
    }

    #[test]
    fn schemas_no_fixture_names_are_unused_except_the_fixture_format() {
        let suite = suite(vec![fixture(json!([step(
            Some("requests/x"),
            Some("health")
        )]))]);
        assert_eq!(suite.unused_schemas(), ["user"]);
    }

    #[test]
    fn a_schema_name_without_a_file_is_dangling_and_names_the_step() {
        let suite = suite(vec![fixture(json!([
            step(None, Some("health")),
            step(None, Some("helth"))
        ]))]);
        let dangling = suite.dangling_references();
        assert_eq!(dangling.len(), 1);
        assert_eq!((dangling[0].step, dangling[0].field), (1, "expect.schema"));
        assert!(
            dangling[0]
                .to_load_error()
                .to_string()
                .contains("fixtures/f.json")
        );
    }

    #[test]
    fn both_json_and_body_in_one_request_is_rejected() {
        let mut raw = step(None, None);
        raw["request"]["json"] = json!({});
        raw["request"]["body"] = json!("{}");
        let loaded = fixture(json!([raw]));
        assert!(check_structure(&loaded.fixture).is_err());
    }

    #[test]
    fn using_the_other_tenant_without_declaring_it_is_found() {
        let mut raw = step(None, Some("health"));
        raw["tenant"] = json!("other");
        let suite = suite(vec![fixture(json!([raw]))]);
        assert_eq!(suite.undeclared_second_tenant().len(), 1);
    }

    #[test]
    fn the_filter_keeps_fixtures_whose_name_contains_it() {
        let suite = suite(vec![fixture(json!([step(None, None)]))]);
        assert_eq!(suite.matching(Some("f")).count(), 1);
        assert_eq!(suite.matching(Some("zzz")).count(), 0);
    }
}
