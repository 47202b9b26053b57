//! The loading boundary's one error: a schema or fixture file that cannot be used.
//!
//! Every problem found while reading `schemas/` and `fixtures/` becomes a [`LoadError`]
//! naming the file and saying what to change in it. Failures met while replaying a
//! fixture are not errors of this kind: they are results, owned by `outcome`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A schema or fixture file that cannot be loaded, and what to fix in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file at fault (or the directory, when a whole directory is missing).
    pub file: PathBuf,
    /// What is wrong with it, phrased as what to change.
    pub problem: String,
}

impl LoadError {
    /// Builds an error about `file`.
    pub fn new(file: &Path, problem: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.problem)
    }
}

impl std::error::Error for LoadError {}
