//! Typed errors. The library never prints; the binary turns these into
//! messages and exit codes.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::term::clean;

/// One thing wrong with the input, located as `FILE:LINE` where a line applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based line number; `None` for a problem with the whole file.
    pub line: Option<u64>,
    pub message: String,
}

impl Problem {
    pub fn at(file: &Path, line: u64, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line: Some(line),
            message: message.into(),
        }
    }

    pub fn file(file: &Path, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line: None,
            message: message.into(),
        }
    }
}

/// A path as it may be printed to a terminal (see [`crate::term`]).
pub fn shown(path: &Path) -> String {
    clean(&path.display().to_string()).into_owned()
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{}: {}",
                shown(&self.file),
                line,
                clean(&self.message)
            ),
            None => write!(f, "{}: {}", shown(&self.file), clean(&self.message)),
        }
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input cannot be understood; every problem found is listed.
    #[error("{} error(s) in the input", .0.len())]
    Input(Vec<Problem>),
    /// Reading or writing a file failed.
    #[error("{}: {}", shown(.path), clean(&.source.to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `--strict` and findings of severity error were found.
    #[error("{0} finding(s) of severity error (--strict)")]
    Strict(usize),
    /// A copy of a site could not be reached or read (network, server).
    #[error("{}", clean(.0))]
    Unreachable(String),
    /// Anything else, described in words.
    #[error("{}", clean(.0))]
    Other(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
