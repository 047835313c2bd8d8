//! Errors from the chain layer.

use std::path::Path;

/// Errors from the chain layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A transaction or call reverted; the decoded reason (custom error, message or panic).
    #[error("reverted: {0}")]
    Reverted(String),
    /// The JSON-RPC endpoint failed or answered an error.
    #[error("chain RPC: {0}")]
    Rpc(String),
    /// A key that cannot be used.
    #[error("chain key: {0}")]
    BadKey(String),
    /// The embedded chain's state or a deployments file cannot be used.
    #[error("{0}")]
    State(String),
    /// A contract answered something that does not decode, or a value out of range.
    #[error("unexpected contract answer: {0}")]
    Abi(String),
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.display().to_string(), source }
    }
}
