//! Why proving failed, and the depth check every statement's key makes.

use healthzk_core::query::Unsatisfied;
use thiserror::Error;

/// Why proving failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The statement is false; names the relation (nothing was proven).
    #[error("the statement does not hold: {0}")]
    Unsatisfied(Unsatisfied),
    /// The circuit could not be synthesized.
    #[error("synthesis failed: {0}")]
    Synthesis(String),
    /// The key does not serve this model.
    #[error("wrong key: {0}")]
    WrongKey(String),
    /// The model does not validate (dimensions or widths).
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// The tree depth is not an even number in 2..=32.
    #[error("invalid tree depth: {0}")]
    InvalidDepth(String),
}

/// Checks a key's issuer-tree depth (index bits of the quaternary tree).
pub(crate) fn check_depth(depth: usize) -> Result<(), ProveError> {
    healthzk_core::merkle::check_depth(depth).map_err(|e| ProveError::InvalidDepth(e.to_string()))
}

pub(crate) fn syn(e: ark_relations::gr1cs::SynthesisError) -> ProveError {
    ProveError::Synthesis(e.to_string())
}
