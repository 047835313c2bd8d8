//! Errors of the native layer. Each variant names what was wrong with the input.

use thiserror::Error;

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong while parsing or building a native object.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A field element was not canonical (≥ r) or not well-formed hex.
    #[error("{field}: {reason}")]
    InvalidFieldElement {
        /// Which field of the input.
        field: String,
        /// Why it was refused.
        reason: String,
    },
    /// A value does not fit the width declared for it.
    #[error("{field}: value {value} does not fit in {bits} bits")]
    TooWide {
        /// Which field of the input.
        field: String,
        /// The offending value, as text.
        value: String,
        /// The declared width.
        bits: usize,
    },
    /// Some input was structurally wrong (unknown name, missing field, too many clauses...).
    #[error("{0}")]
    Invalid(String),
    /// A Merkle tree is full or an index is out of range.
    #[error("merkle tree: {0}")]
    Tree(String),
    /// JSON that does not parse.
    #[error("malformed JSON: {0}")]
    Json(String),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}
