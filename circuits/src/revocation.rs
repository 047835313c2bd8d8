//! Non-revocation gadget, twin of `healthzk_core::revocation`: the credential's nonce lies in a
//! gap `[lo, hi]` whose leaf `Poseidon(TAG_REVOCATION_GAP, lo, hi)` is under the public
//! revocation root (quaternary tree of depth `REVOCATION_DEPTH`).
//!
//! Soundness: `lo ≤ hi < 2^64` for every leaf the issuer commits to, and the gadget enforces
//! `nonce − lo ∈ [0, 2^64)` and `hi − nonce ∈ [0, 2^64)`; the two differences sum to
//! `hi − lo < 2^64` modulo r, and since both sides are below r they are equal as integers, so
//! `nonce = lo + (nonce − lo)` is an integer in `[lo, hi]` — a nonce no gap contains (a revoked
//! one) has no satisfying witness. Cost at depth 16: 8 levels × 302 + the leaf hash (258: its
//! tag is a constant) + 2 × 65 + 1 = 2,805.

use crate::{merkle::PathVar, poseidon, range::enforce_bits, FrVar, SynthesisError};
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    eq::EqGadget,
    fields::FieldVar,
};
use ark_relations::gr1cs::Namespace;
use healthzk_core::{
    revocation::{revocation_tag, RevocationOpening, REVOCATION_DEPTH},
    Fr, COMPARE_BITS,
};
use std::borrow::Borrow;

/// A revocation opening as variables.
#[derive(Debug, Clone)]
pub struct RevocationVar {
    /// Gap lower bound.
    pub lo: FrVar,
    /// Gap upper bound.
    pub hi: FrVar,
    /// Path of the gap's leaf.
    pub path: PathVar,
}

impl AllocVar<RevocationOpening, Fr> for RevocationVar {
    /// Allocates an opening: the gap and the path of its leaf, at the fixed
    /// [`REVOCATION_DEPTH`].
    fn new_variable<T: Borrow<RevocationOpening>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let o: Option<RevocationOpening> = f().ok().map(|o| o.borrow().clone());
        let o = o.as_ref();
        let missing = || SynthesisError::AssignmentMissing;
        let lo = FrVar::new_variable(cs.clone(), || o.map(|o| Fr::from(o.lo)).ok_or_else(missing), mode)?;
        let hi = FrVar::new_variable(cs.clone(), || o.map(|o| Fr::from(o.hi)).ok_or_else(missing), mode)?;
        let path = PathVar::new_variable(cs, REVOCATION_DEPTH, o.map(|o| &o.path), mode)?;
        Ok(RevocationVar { lo, hi, path })
    }
}

impl RevocationVar {
    /// Enforces that the gap is under `root` and contains `nonce`.
    pub fn enforce(&self, nonce: &FrVar, root: &FrVar) -> Result<(), SynthesisError> {
        let leaf = poseidon::hash(&[FrVar::constant(revocation_tag()), self.lo.clone(), self.hi.clone()])?;
        self.path.root(&leaf)?.enforce_equal(root)?;
        enforce_bits(&(nonce - &self.lo), COMPARE_BITS)?;
        enforce_bits(&(&self.hi - nonce), COMPARE_BITS)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use healthzk_core::revocation::RevocationList;

    fn run(nonce: u64, o: &RevocationOpening, root: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let root = FrVar::new_input(cs.clone(), || Ok(root)).unwrap();
        let n = FrVar::new_witness(cs.clone(), || Ok(Fr::from(nonce))).unwrap();
        let v = RevocationVar::new_witness(cs.clone(), || Ok(o.clone())).unwrap();
        v.enforce(&n, &root).unwrap();
        assert_eq!(n.value().unwrap(), Fr::from(nonce));
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn gadget_equals_native() {
        let l = RevocationList::new(vec![0, 5, 9, u64::MAX]).unwrap();
        for nonce in [1, 4, 6, 8, 10, 1 << 40, u64::MAX - 1] {
            let o = l.opening(nonce).unwrap();
            assert_eq!(run(nonce, &o, l.root()), (true, 2_805), "{nonce}");
            assert!(!run(nonce, &o, l.root() + Fr::from(1u64)).0, "{nonce}: another root");
        }
    }

    #[test]
    fn a_revoked_nonce_has_no_satisfying_gap() {
        let l = RevocationList::new(vec![0, 5, 9, u64::MAX]).unwrap();
        for nonce in [0, 5, 9, u64::MAX] {
            assert!(l.opening(nonce).is_none());
            for &(lo, _) in l.gaps() {
                let o = l.opening(lo).unwrap();
                assert!(!run(nonce, &o, l.root()).0, "nonce {nonce} in gap from {lo}");
            }
        }
    }

    #[test]
    fn a_forged_gap_is_not_under_the_root() {
        let l = RevocationList::new(vec![5]).unwrap();
        let mut o = l.opening(4).unwrap();
        o.hi = 6; // stretch [0, 4] over the revoked 5
        assert!(!run(5, &o, l.root()).0);
    }
}
