//! One error type for the library. Every variant that concerns a file says
//! which file, and where it can, which line, so the user knows what to fix.

use std::path::PathBuf;

/// Where in an input a problem was found: a file and, when known, a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: Option<u64>,
}

impl Location {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            path: path.into(),
            line: None,
        }
    }

    pub fn line(path: impl Into<PathBuf>, line: u64) -> Self {
        Location {
            path: path.into(),
            line: Some(line),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path.display(), line),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Bad content at a known place: a label file row, an article record.
    #[error("{at}: {problem}")]
    Input { at: Location, problem: String },

    /// Writing an output failed for a reason the user can act on (no
    /// permission, no space, not a directory): says what to do.
    #[error("{path}: {source}; {advice}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        advice: String,
    },

    /// A model file that cannot be used.
    #[error("{path}: not a usable model: {problem}")]
    Model { path: PathBuf, problem: String },

    /// Training could not run (too little data, one class only, solver failure).
    #[error("training failed: {0}")]
    Training(String),

    /// A setting outside its allowed range.
    #[error("invalid setting: {0}")]
    Setting(String),

    /// Another process held a file's lock for longer than we would wait.
    #[error("{path}: another writer still holds its lock ({lock}) after {waited_secs} s; nothing was written; try again, or wait longer with --wait SECONDS")]
    Busy {
        path: PathBuf,
        lock: PathBuf,
        waited_secs: u64,
    },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn input(at: Location, problem: impl Into<String>) -> Self {
        Error::Input {
            at,
            problem: problem.into(),
        }
    }

    pub fn model(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
