//! The credential-query statement (Penumbra-style: public and private halves named, a
//! circuit over `Option`s so setup runs without a witness).
//!
//! Public inputs, in order: `issuer_root, policy_hash, as_of, challenge, scope, nullifier,
//! revocation_root`.
//! Enforced relations, each the twin of a check in `healthzk_core::query::check`:
//! 1–3, 5, 7. the shared relations of [`crate::binding::bind`]: holder binding, membership
//!    under `issuer_root`, not revoked under `revocation_root`, nullifier, day widths and expiry,
//!    challenge;
//! 4. `policy_hash` is the hash of the policy whose schema is the credential's;
//! 6. every comparison and set clause of the policy holds on the credential's slots.

use crate::{
    binding::{bind, CredentialWitness},
    policy::{policy_hash, CompareVar, SetVar},
    SynthesisError,
};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef};
use healthzk_core::{
    policy::{MAX_COMPARE_CLAUSES, MAX_SET_CLAUSES},
    query::QueryWitness,
    statement::PublicInputs,
    Fr,
};
use std::fmt;

/// The circuit. `public`/`private` are `None` at setup.
#[derive(Clone)]
pub struct QueryCircuit {
    /// Issuer tree depth (fixed per key).
    pub depth: usize,
    /// Public inputs.
    pub public: Option<PublicInputs>,
    /// Witness.
    pub private: Option<QueryWitness>,
}

impl fmt::Debug for QueryCircuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryCircuit").field("depth", &self.depth).finish_non_exhaustive()
    }
}

impl QueryCircuit {
    /// The circuit without values, for setup and matrix synthesis.
    pub fn blank(depth: usize) -> Self {
        QueryCircuit { depth, public: None, private: None }
    }
}

impl ConstraintSynthesizer<Fr> for QueryCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.private.as_ref();
        let (p, cred) = bind(
            cs.clone(),
            self.depth,
            self.public.as_ref(),
            w.map(|w| CredentialWitness {
                credential: &w.credential,
                secret: &w.secret,
                path: &w.path,
                revocation: &w.revocation,
            }),
        )?;

        // 4. Policy hash over the schema and every clause.
        let compare = (0..MAX_COMPARE_CLAUSES)
            .map(|i| {
                CompareVar::new_witness(cs.clone(), || {
                    w.map(|w| w.policy.compare[i]).ok_or(SynthesisError::AssignmentMissing)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let openings = w.map(|w| w.set_openings());
        let sets = (0..MAX_SET_CLAUSES)
            .map(|i| {
                SetVar::new_witness(cs.clone(), || {
                    openings.as_ref().map(|o| o[i].clone()).ok_or(SynthesisError::AssignmentMissing)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut elements = vec![cred.schema.clone()];
        elements.extend(compare.iter().flat_map(|c| c.elements()));
        elements.extend(sets.iter().flat_map(|s| s.elements.iter().cloned()));
        policy_hash(&elements)?.enforce_equal(&p.policy_hash)?;

        // 6. Clauses.
        for c in &compare {
            c.enforce(&cred.slots, &p.as_of)?;
        }
        for s in &sets {
            s.enforce(&cred.slots)?;
        }
        Ok(())
    }
}
