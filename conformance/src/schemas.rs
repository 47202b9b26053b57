//! The compiled JSON Schemas of `schemas/`, known by name, and validation against them.
//!
//! Every file is registered with the validator under its `$id`, so the relative
//! `$ref`s between files (`{"$ref": "authentication_challenge.json"}`) resolve without
//! any network or file access. Validation reports every violation with its instance
//! path, never just the first. The set also knows which schemas each one points at, so the
//! catalogue can tell a schema used only as a list's items from an unused one. Which schema
//! a response needs is the fixtures' business.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

use crate::error::LoadError;
use crate::files;

/// The base every schema's `$id` must sit under: `<BASE><name>.json`.
pub const ID_BASE: &str = "https://mfa-mock.local/schemas/";

/// One broken rule in a validated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// RFC 6901 pointer to the offending value (`""` is the whole document).
    pub instance_path: String,
    /// Pointer to the schema keyword that rejected it.
    pub schema_path: String,
    /// The validator's description of the problem.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = display_pointer(&self.instance_path);
        write!(f, "{at}: {} (schema {})", self.message, self.schema_path)
    }
}

/// A pointer as shown to people: the root is written `(root)` rather than nothing.
pub fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

/// A schema name that no file in `schemas/` provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSchema(pub String);

impl fmt::Display for UnknownSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no schema named {:?} (expected schemas/{}.json)",
            self.0, self.0
        )
    }
}

/// Every schema of a repository, compiled and ready to validate.
pub struct SchemaSet {
    validators: BTreeMap<String, Validator>,
    references: BTreeMap<String, BTreeSet<String>>,
}

impl SchemaSet {
    /// Loads and compiles every `*.json` under `dir`; the name of `dir/requests/x.json`
    /// is `requests/x`.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let mut documents = Vec::new();
        for path in files::json_files(dir)? {
            let name = files::stem_name(dir, &path);
            let contents = files::read_json(&path)?;
            check_id(&name, &contents).map_err(|problem| LoadError::new(&path, problem))?;
            documents.push((name, contents));
        }
        Self::from_documents(documents)
            .map_err(|(name, problem)| LoadError::new(&dir.join(format!("{name}.json")), problem))
    }

    /// Compiles named schema documents that already passed the `$id` check; on failure
    /// returns the name of the schema at fault and the problem.
    pub fn from_documents(documents: Vec<(String, Value)>) -> Result<Self, (String, String)> {
        let registry = registry(&documents)?;
        let mut validators = BTreeMap::new();
        let mut references = BTreeMap::new();
        for (name, contents) in &documents {
            let validator = compile(contents, &registry).map_err(|e| (name.clone(), e))?;
            validators.insert(name.clone(), validator);
            references.insert(name.clone(), referenced_names(name, contents));
        }
        Ok(Self {
            validators,
            references,
        })
    }

    /// `names` and every schema they reach through `$ref`, directly or not.
    pub fn reachable_from<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut reached = BTreeSet::new();
        let mut pending: Vec<String> = names.into_iter().map(str::to_string).collect();
        while let Some(name) = pending.pop() {
            if let Some(targets) = self.references.get(&name) {
                pending.extend(targets.iter().filter(|t| !reached.contains(*t)).cloned());
            }
            reached.insert(name);
        }
        reached
    }

    /// The names of all schemas, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    /// Whether a schema called `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// Every violation of schema `name` in `instance`; empty when it is valid.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<Vec<Violation>, UnknownSchema> {
        let validator = self
            .validators
            .get(name)
            .ok_or_else(|| UnknownSchema(name.to_string()))?;
        Ok(validator.iter_errors(instance).map(violation).collect())
    }
}

/// The `$id` a schema called `name` must declare.
pub fn expected_id(name: &str) -> String {
    format!("{ID_BASE}{name}.json")
}

fn check_id(name: &str, contents: &Value) -> Result<(), String> {
    let expected = expected_id(name);
    match contents.get("$id").and_then(Value::as_str) {
        Some(id) if id == expected => Ok(()),
        Some(id) => Err(format!("\"$id\" is {id:?}; set it to {expected:?}")),
        None => Err(format!("has no \"$id\"; add \"$id\": {expected:?}")),
    }
}

/// The names of the other schemas the schema `name` points at with `$ref`.
fn referenced_names(name: &str, contents: &Value) -> BTreeSet<String> {
    let mut found = Vec::new();
    collect_refs(contents, &mut found);
    found
        .into_iter()
        .filter_map(|reference| resolve_ref(name, reference))
        .filter(|target| target != name)
        .collect()
}

fn collect_refs<'v>(value: &'v Value, found: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item.as_str()) {
                    ("$ref", Some(reference)) => found.push(reference),
                    _ => collect_refs(item, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, found)),
        _ => {}
    }
}

/// The schema a `$ref` in the schema `from` names, resolved against `from`'s `$id`;
/// `None` for a reference within the same file or outside [`ID_BASE`].
fn resolve_ref(from: &str, reference: &str) -> Option<String> {
    let path = reference.split('#').next().unwrap_or_default();
    if path.is_empty() {
        return None;
    }
    let relative = match path.strip_prefix(ID_BASE) {
        Some(rest) => rest.to_string(),
        None if path.contains("://") => return None,
        None => match from.rsplit_once('/') {
            Some((directory, _)) => format!("{directory}/{path}"),
            None => path.to_string(),
        },
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in relative.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/").strip_suffix(".json").map(str::to_string)
}

/// Every schema under its `$id`, so relative `$ref`s between files resolve.
/// A `$ref` to a file that does not exist is reported against the schema holding it.
fn registry(documents: &[(String, Value)]) -> Result<Registry<'_>, (String, String)> {
    let known: BTreeSet<&str> = documents.iter().map(|(name, _)| name.as_str()).collect();
    for (name, contents) in documents {
        if let Some(missing) = referenced_names(name, contents)
            .into_iter()
            .find(|target| !known.contains(target.as_str()))
        {
            return Err((
                name.clone(),
                format!("refers to {missing}.json, which is not in schemas/"),
            ));
        }
    }
    let mut builder = Registry::new();
    for (name, contents) in documents {
        builder = builder
            .add(expected_id(name), contents)
            .map_err(|e| (name.clone(), format!("is not a usable schema: {e}")))?;
    }
    builder.prepare().map_err(|e| {
        (
            "schemas".to_owned(),
            format!("do not resolve together: {e}"),
        )
    })
}

fn compile(contents: &Value, registry: &Registry<'_>) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .with_registry(registry)
        .build(contents)
        .map_err(|e| {
            format!(
                "does not compile: {e} (at {})",
                display_pointer(e.instance_path().as_str())
            )
        })
}

fn violation(error: jsonschema::ValidationError<'_>) -> Violation {
    Violation {
        instance_path: error.instance_path().as_str().to_string(),
        schema_path: error.schema_path().as_str().to_string(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(name: &str, body: Value) -> (String, Value) {
        let mut contents = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": expected_id(name),
        });
        if let (Some(target), Value::Object(extra)) = (contents.as_object_mut(), body) {
            target.extend(extra);
        }
        (name.to_string(), contents)
    }

    fn sample_set() -> SchemaSet {
        SchemaSet::from_documents(vec![
            schema(
                "child",
                json!({"type": "object", "required": ["id"],
                "properties": {"id": {"type": "string", "pattern": "^c_"}}}),
            ),
            schema(
                "parent",
                json!({"type": "object", "additionalProperties": false,
                "properties": {"child": {"$ref": "child.json"}, "count": {"type": "integer"}}}),
            ),
            schema("requests/nested", json!({"$ref": "../child.json"})),
        ])
        .expect("sample schemas compile")
    }

    #[test]
    fn relative_refs_resolve_between_registered_files() {
        let set = sample_set();
        let violations = set
            .validate("parent", &json!({"child": {"id": "x"}}))
            .expect("parent exists");
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].instance_path, "/child/id");
    }

    #[test]
    fn refs_from_a_subdirectory_resolve_against_its_id() {
        let set = sample_set();
        let violations = set.validate("requests/nested", &json!({})).expect("exists");
        assert_eq!(violations.len(), 1);
    }

    #[test]
    fn every_violation_is_reported_with_its_path() {
        let set = sample_set();
        let violations = set
            .validate("parent", &json!({"child": {}, "count": "many", "extra": 1}))
            .expect("parent exists");
        let mut paths: Vec<_> = violations
            .iter()
            .map(|v| v.instance_path.as_str())
            .collect();
        paths.sort_unstable();
        assert_eq!(paths, ["", "/child", "/count"]);
    }

    #[test]
    fn refs_are_followed_across_files_and_directories() {
        let set = sample_set();
        let reached = set.reachable_from(["requests/nested"]);
        assert_eq!(
            reached.into_iter().collect::<Vec<_>>(),
            ["child", "requests/nested"]
        );
        assert_eq!(set.reachable_from(["parent"]).len(), 2);
    }

    #[test]
    fn a_ref_resolves_against_the_referring_schema_and_drops_its_fragment() {
        assert_eq!(
            resolve_ref("state", "authentication_factor.json#/$defs/timestamp").as_deref(),
            Some("authentication_factor")
        );
        assert_eq!(
            resolve_ref("requests/x", "../user.json").as_deref(),
            Some("user")
        );
        assert_eq!(
            resolve_ref("x", "https://mfa-mock.local/schemas/requests/y.json").as_deref(),
            Some("requests/y")
        );
        assert_eq!(resolve_ref("x", "#/$defs/a"), None);
    }

    #[test]
    fn an_unknown_schema_name_is_an_error() {
        let set = sample_set();
        let error = set
            .validate("nope", &json!({}))
            .expect_err("no such schema");
        assert_eq!(error, UnknownSchema("nope".into()));
    }

    #[test]
    fn a_wrong_id_is_rejected_with_the_id_to_use() {
        let problem = check_id("user", &json!({"$id": "user.json"})).expect_err("wrong id");
        assert!(problem.contains("https://mfa-mock.local/schemas/user.json"));
    }

    #[test]
    fn a_ref_to_a_missing_file_fails_to_compile_and_names_the_schema() {
        let error = SchemaSet::from_documents(vec![schema("lonely", json!({"$ref": "gone.json"}))])
            .err()
            .expect("dangling ref");
        assert_eq!(error.0, "lonely");
    }
}
