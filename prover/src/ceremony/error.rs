//! Why a ceremony file was refused.

/// Why a ceremony file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CeremonyError {
    /// The file is not a well-formed file of its kind (or a point in it is invalid).
    #[error("{0}")]
    Malformed(String),
    /// The file is well formed, but the ceremony does not verify, or cannot serve.
    #[error("{0}")]
    Refused(String),
}
