//! The score-threshold statement, natively: a credential in the issuer tree, bound to the
//! holder, scores on the asserted side of a registered model's threshold. Same public inputs
//! as the credential query ([`PublicInputs`]); the second one, `policy_hash`, carries the model
//! hash — for this statement the model *is* the verifier's policy. `healthzk-circuits::score`
//! is the R1CS twin of [`check`].

use crate::{
    credential::Credential,
    holder::HolderSecret,
    merkle::MerklePath,
    model::{EvalError, Model},
    query::{check_binding, Unsatisfied},
    revocation::RevocationOpening,
    statement::PublicInputs,
};
use std::fmt;

/// Everything the prover knows.
#[derive(Clone)]
pub struct ScoreWitness {
    /// The credential (lab results).
    pub credential: Credential,
    /// The holder's secret.
    pub secret: HolderSecret,
    /// Path of the credential's commitment in the issuer tree.
    pub path: MerklePath,
    /// The gap of the issuer's revocation list holding the credential's nonce.
    pub revocation: RevocationOpening,
    /// The registered model.
    pub model: Model,
}

impl fmt::Debug for ScoreWitness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScoreWitness").field("model", &self.model.name).finish_non_exhaustive()
    }
}

/// Evaluates every relation of the statement; `Err` names the first that fails: a model
/// that does not validate, schema,
/// holder, issuer root, revocation, nullifier, model hash, expiry, input widths and overflow, threshold.
pub fn check(public: &PublicInputs, w: &ScoreWitness, depth: usize) -> Result<(), Unsatisfied> {
    let c = &w.credential;
    if w.model.validate().is_err() {
        return Err(Unsatisfied::InvalidModel);
    }
    if w.model.schema_id().ok() != Some(c.schema) {
        return Err(Unsatisfied::Schema);
    }
    check_binding(public, c, &w.secret, &w.path, &w.revocation, depth)?;
    if w.model.hash().ok() != Some(public.policy_hash) {
        return Err(Unsatisfied::ModelHash);
    }
    if c.expires < public.as_of {
        return Err(Unsatisfied::Expired);
    }
    let z = w.model.logit(&c.slots).map_err(|e| match e {
        EvalError::InvalidModel => Unsatisfied::InvalidModel,
        EvalError::SlotTooWide(j) => Unsatisfied::SlotTooWide(j),
        EvalError::Overflow(k) => Unsatisfied::Overflow(k),
    })?;
    if !w.model.accepts(z) {
        return Err(Unsatisfied::Threshold);
    }
    Ok(())
}
