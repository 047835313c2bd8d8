//! Merkle membership gadget, twin of `healthzk_core::merkle::MerklePath::root`: fixed depth
//! (the number of siblings), path bits allocated as constrained booleans, nodes
//! `Poseidon(left, right)`. Per level: 1 booleanity + 1 swap + a Poseidon-2 (240).

use crate::{poseidon, BoolVar, FrVar, SynthesisError};
use ark_r1cs_std::alloc::AllocVar;
use ark_relations::gr1cs::ConstraintSystemRef;
use healthzk_core::{merkle::MerklePath, Fr};

/// A path as variables.
#[derive(Debug, Clone)]
pub struct PathVar {
    /// Path bits, leaf level first (1: current node is the right child).
    pub bits: Vec<BoolVar>,
    /// Siblings, leaf level first.
    pub siblings: Vec<FrVar>,
}

impl PathVar {
    /// Allocates a path of exactly `depth` levels as witnesses.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        depth: usize,
        path: Option<&MerklePath>,
    ) -> Result<Self, SynthesisError> {
        let missing = || SynthesisError::AssignmentMissing;
        let mut bits = Vec::with_capacity(depth);
        let mut siblings = Vec::with_capacity(depth);
        for l in 0..depth {
            bits.push(BoolVar::new_witness(cs.clone(), || path.map(|p| (p.index >> l) & 1 == 1).ok_or_else(missing))?);
            siblings.push(FrVar::new_witness(cs.clone(), || {
                path.and_then(|p| p.siblings.get(l).copied()).ok_or_else(missing)
            })?);
        }
        Ok(PathVar { bits, siblings })
    }

    /// The root reached from `leaf`.
    pub fn root(&self, leaf: &FrVar) -> Result<FrVar, SynthesisError> {
        let mut cur = leaf.clone();
        for (bit, sib) in self.bits.iter().zip(&self.siblings) {
            // left = bit ? sib : cur  (one constraint); right = cur + sib − left.
            let left = &cur + FrVar::from(bit.clone()) * (sib - &cur);
            let right = &cur + sib - &left;
            cur = poseidon::hash(&[left, right])?;
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
        let leaves: Vec<Fr> = (1..=11u64).map(Fr::from).collect();
        MerkleTree::from_leaves(5, &leaves).unwrap()
    }

    #[test]
    fn gadget_equals_native_for_every_leaf() {
        let t = tree();
        for i in 0..t.len() {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let p = t.path(i).unwrap();
            let leaf = FrVar::new_witness(cs.clone(), || Ok(t.leaves()[i as usize])).unwrap();
            let pv = PathVar::new_witness(cs.clone(), 5, Some(&p)).unwrap();
            let root = pv.root(&leaf).unwrap();
            assert_eq!(root.value().unwrap(), t.root());
            root.enforce_equal(&FrVar::new_input(cs.clone(), || Ok(t.root())).unwrap()).unwrap();
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(cs.num_constraints(), 5 * (2 + 240) + 1);
        }
    }

    #[test]
    fn wrong_index_bit_is_unsatisfied() {
        let t = tree();
        let mut p = t.path(2).unwrap();
        p.index ^= 1;
        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf = FrVar::new_witness(cs.clone(), || Ok(t.leaves()[2])).unwrap();
        let root = PathVar::new_witness(cs.clone(), 5, Some(&p)).unwrap().root(&leaf).unwrap();
        root.enforce_equal(&FrVar::new_input(cs.clone(), || Ok(t.root())).unwrap()).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
