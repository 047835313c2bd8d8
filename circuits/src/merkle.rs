//! Merkle membership gadget, twin of `healthzk_core::merkle::MerklePath::root`: quaternary, fixed
//! depth (index bits; `depth / 2` levels), path bits allocated as constrained booleans, nodes
//! `Poseidon(c0, c1, c2, c3)`. Per level: 2 booleanity + 3 selections + a Poseidon-4 (297) = 302,
//! against 2 · 242 for two binary levels.

use crate::{poseidon, BoolVar, FrVar, SynthesisError};
use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_relations::gr1cs::ConstraintSystemRef;
use healthzk_core::{
    merkle::{levels, siblings_len, MerklePath},
    Fr,
};

/// A path as variables.
#[derive(Debug, Clone)]
pub struct PathVar {
    /// Path bits, leaf level first, two per level (`p = b0 + 2·b1`).
    pub bits: Vec<BoolVar>,
    /// Siblings, leaf level first, three per level (pair partner, then the other pair).
    pub siblings: Vec<FrVar>,
}

impl PathVar {
    /// Allocates a path of a tree of exactly `depth` index bits as witnesses.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        depth: usize,
        path: Option<&MerklePath>,
    ) -> Result<Self, SynthesisError> {
        Self::new_variable(cs, depth, path, AllocationMode::Witness)
    }

    /// [`PathVar::new_witness`] in any allocation mode. The depth is the circuit's, never the
    /// path's: a path of another length still allocates exactly `depth` bits (and fails to
    /// reach the root), which is why this is not an `AllocVar` (whose value-less setup could
    /// not know it).
    pub fn new_variable(
        cs: ConstraintSystemRef<Fr>,
        depth: usize,
        path: Option<&MerklePath>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let missing = || SynthesisError::AssignmentMissing;
        let n_bits = 2 * levels(depth);
        let bits = (0..n_bits)
            .map(|l| {
                BoolVar::new_variable(cs.clone(), || path.map(|p| (p.index >> l) & 1 == 1).ok_or_else(missing), mode)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let siblings = (0..siblings_len(depth))
            .map(|k| {
                FrVar::new_variable(
                    cs.clone(),
                    || path.and_then(|p| p.siblings.get(k).copied()).ok_or_else(missing),
                    mode,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PathVar { bits, siblings })
    }

    /// The root reached from `leaf`.
    pub fn root(&self, leaf: &FrVar) -> Result<FrVar, SynthesisError> {
        let mut cur = leaf.clone();
        for (b, s) in self.bits.chunks(2).zip(self.siblings.chunks(3)) {
            let (b0, b1) = (FrVar::from(b[0].clone()), FrVar::from(b[1].clone()));
            // The pair holding `cur`, ordered by b0 (one constraint).
            let l = &cur + &b0 * (&s[0] - &cur);
            let r = &cur + &s[0] - &l;
            // The two pairs, ordered by b1 (two constraints).
            let c0 = &l + &b1 * (&s[1] - &l);
            let c1 = &r + &b1 * (&s[2] - &r);
            let c2 = &l + &s[1] - &c0;
            let c3 = &r + &s[2] - &c1;
            cur = poseidon::hash(&[c0, c1, c2, c3])?;
        }
        Ok(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::{eq::EqGadget, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use healthzk_core::merkle::MerkleTree;

    fn tree() -> MerkleTree {
        let leaves: Vec<Fr> = (1..=37u64).map(Fr::from).collect();
        MerkleTree::from_leaves(6, &leaves).unwrap()
    }

    #[test]
    fn gadget_equals_native_for_every_leaf() {
        let t = tree();
        for i in 0..t.len() {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let p = t.path(i).unwrap();
            let leaf = FrVar::new_witness(cs.clone(), || Ok(t.leaves()[i as usize])).unwrap();
            let pv = PathVar::new_witness(cs.clone(), 6, Some(&p)).unwrap();
            let root = pv.root(&leaf).unwrap();
            assert_eq!(root.value().unwrap(), t.root());
            root.enforce_equal(&FrVar::new_input(cs.clone(), || Ok(t.root())).unwrap()).unwrap();
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(cs.num_constraints(), 3 * (2 + 3 + 297) + 1);
        }
    }

    #[test]
    fn each_wrong_index_bit_is_unsatisfied() {
        let t = tree();
        for bit in 0..6 {
            let mut p = t.path(22).unwrap();
            p.index ^= 1 << bit;
            let cs = ConstraintSystem::<Fr>::new_ref();
            let leaf = FrVar::new_witness(cs.clone(), || Ok(t.leaves()[22])).unwrap();
            let root = PathVar::new_witness(cs.clone(), 6, Some(&p)).unwrap().root(&leaf).unwrap();
            root.enforce_equal(&FrVar::new_input(cs.clone(), || Ok(t.root())).unwrap()).unwrap();
            assert!(!cs.is_satisfied().unwrap(), "bit {bit}");
        }
    }

    #[test]
    fn each_wrong_sibling_is_unsatisfied() {
        let t = tree();
        let p = t.path(22).unwrap();
        for k in 0..p.siblings.len() {
            let mut q = p.clone();
            q.siblings[k] += Fr::from(1u64);
            let cs = ConstraintSystem::<Fr>::new_ref();
            let leaf = FrVar::new_witness(cs.clone(), || Ok(t.leaves()[22])).unwrap();
            let root = PathVar::new_witness(cs.clone(), 6, Some(&q)).unwrap().root(&leaf).unwrap();
            root.enforce_equal(&FrVar::new_input(cs.clone(), || Ok(t.root())).unwrap()).unwrap();
            assert!(!cs.is_satisfied().unwrap(), "sibling {k}");
        }
    }
}
