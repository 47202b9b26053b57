//! Where the repository is and which JSON files it holds.
//!
//! This module owns the file system side of loading: the default repository root, the
//! sorted recursive listing of `*.json` files, and reading one file as JSON. What the
//! files mean is left to `schemas` and `suite`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::LoadError;

/// The repository root this crate was built in: the parent of its manifest directory.
pub fn default_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// Every `*.json` file under `dir`, recursively, sorted by path.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::new(
            dir,
            "directory not found; pass --root with the repository root",
        ));
    }
    let mut found = Vec::new();
    collect_json(dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect_json(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries =
        fs::read_dir(dir).map_err(|e| LoadError::new(dir, format!("cannot list: {e}")))?;
    for entry in entries {
        let path = entry
            .map_err(|e| LoadError::new(dir, format!("cannot list: {e}")))?
            .path();
        if path.is_dir() {
            collect_json(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "json") {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads `path` and parses it as JSON.
pub fn read_json(path: &Path) -> Result<Value, LoadError> {
    let text =
        fs::read_to_string(path).map_err(|e| LoadError::new(path, format!("cannot read: {e}")))?;
    serde_json::from_str(&text)
        .map_err(|e| LoadError::new(path, format!("is not valid JSON ({e}); fix the syntax")))
}

/// `path` relative to `base`, without the `.json` extension, with `/` separators:
/// the name a schema or fixture is known by.
pub fn stem_name(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path).with_extension("");
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stem_name_drops_the_base_and_extension_and_uses_slashes() {
        let name = stem_name(
            Path::new("/repo/schemas"),
            Path::new("/repo/schemas/requests/enroll_factor.json"),
        );
        assert_eq!(name, "requests/enroll_factor");
    }

    #[test]
    fn a_missing_directory_is_a_load_error_naming_it() {
        let error = json_files(Path::new("/definitely/not/here")).expect_err("no such directory");
        assert_eq!(error.file, PathBuf::from("/definitely/not/here"));
        assert!(error.problem.contains("--root"));
    }
}
