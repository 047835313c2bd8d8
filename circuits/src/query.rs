//! The credential-query statement (Penumbra-style: public and private halves named, a
//! circuit over `Option`s so setup runs without a witness).
//!
//! Public inputs, in order: `issuer_root, policy_hash, as_of, challenge, scope, nullifier`.
//! Enforced relations, each the twin of a check in `healthzk_core::query::check`:
//! 1. `holder = Poseidon(secret)` is the credential's holder (used inside the commitment);
//! 2. the credential commitment is a leaf under `issuer_root` (fixed depth, boolean bits);
//! 3. `nullifier = Poseidon(secret, scope)`;
//! 4. `policy_hash` is the hash of the policy whose schema is the credential's;
//! 5. `as_of < 2^32` and `0 ≤ expires − as_of < 2^32`;
//! 6. every comparison and set clause of the policy holds on the credential's slots;
//! 7. `challenge` is bound by a squaring constraint (Groth16 binds all inputs already; this
//!    keeps it explicit).

use crate::{
    credential::CredentialVar,
    merkle::PathVar,
    policy::{policy_hash, CompareVar, SetVar},
    range::enforce_bits,
    FrVar, SynthesisError,
};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef};
use healthzk_core::{
    policy::{MAX_COMPARE_CLAUSES, MAX_SET_CLAUSES},
    query::{QueryPublic, QueryWitness},
    Fr, DAY_BITS, SLOTS,
};
use std::fmt;

/// The circuit. `public`/`private` are `None` at setup.
#[derive(Clone)]
pub struct QueryCircuit {
    /// Issuer tree depth (fixed per key).
    pub depth: usize,
    /// Public inputs.
    pub public: Option<QueryPublic>,
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
        let missing = || SynthesisError::AssignmentMissing;
        let p = self.public.as_ref();
        let w = self.private.as_ref();
        let input = |f: fn(&QueryPublic) -> Fr| FrVar::new_input(cs.clone(), || p.map(f).ok_or_else(missing));
        let issuer_root = input(|p| p.issuer_root)?;
        let policy_hash_in = input(|p| p.policy_hash)?;
        let as_of = input(|p| Fr::from(p.as_of.0))?;
        let challenge = input(|p| p.challenge)?;
        let scope = input(|p| p.scope)?;
        let nullifier = input(|p| p.nullifier)?;

        let wit = |v: Option<Fr>| FrVar::new_witness(cs.clone(), || v.ok_or_else(missing));
        let c = w.map(|w| &w.credential);
        let secret = wit(w.map(|w| w.secret.expose()))?;
        let cred = CredentialVar {
            schema: wit(c.map(|c| Fr::from(c.schema)))?,
            holder: crate::poseidon::hash(std::slice::from_ref(&secret))?,
            slots: (0..SLOTS).map(|i| wit(c.map(|c| c.slots[i]))).collect::<Result<_, _>>()?,
            issued: wit(c.map(|c| Fr::from(c.issued.0)))?,
            expires: wit(c.map(|c| Fr::from(c.expires.0)))?,
            revocation_nonce: wit(c.map(|c| Fr::from(c.revocation_nonce)))?,
            salt: wit(c.map(|c| c.salt))?,
        };

        // 1–2. Holder binding and membership under the issuer root.
        let path = PathVar::new_witness(cs.clone(), self.depth, w.map(|w| &w.path))?;
        path.root(&cred.commitment()?)?.enforce_equal(&issuer_root)?;

        // 3. Nullifier.
        crate::poseidon::hash(&[secret, scope])?.enforce_equal(&nullifier)?;

        // 4. Policy hash over the schema and every clause.
        let compare = (0..MAX_COMPARE_CLAUSES)
            .map(|i| CompareVar::new_witness(cs.clone(), w.map(|w| &w.policy.compare[i])))
            .collect::<Result<Vec<_>, _>>()?;
        let openings = w.map(|w| w.set_openings());
        let sets = (0..MAX_SET_CLAUSES)
            .map(|i| SetVar::new_witness(cs.clone(), openings.as_ref().map(|o| &o[i])))
            .collect::<Result<Vec<_>, _>>()?;
        let mut elements = vec![cred.schema.clone()];
        elements.extend(compare.iter().flat_map(|c| c.elements.iter().cloned()));
        elements.extend(sets.iter().flat_map(|s| s.elements.iter().cloned()));
        policy_hash(&elements)?.enforce_equal(&policy_hash_in)?;

        // 5. Day widths and expiry.
        enforce_bits(&as_of, DAY_BITS)?;
        enforce_bits(&(&cred.expires - &as_of), DAY_BITS)?;

        // 6. Clauses.
        for c in &compare {
            c.enforce(&cred.slots, &as_of)?;
        }
        for s in &sets {
            s.enforce(&cred.slots)?;
        }

        // 7. Challenge.
        let sq = wit(p.map(|p| p.challenge * p.challenge))?;
        (&challenge * &challenge).enforce_equal(&sq)?;
        Ok(())
    }
}
