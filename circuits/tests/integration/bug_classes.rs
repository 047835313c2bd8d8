//! Known bug classes of arithmetic circuits (issue #7), one test each, named after its class.
//! The proof-system classes (public inputs ≥ r, unused inputs, malleability, bad points,
//! nullifiers, expired/revoked/stale presentations) are in `prover/tests/prove.rs`, and the
//! Solidity verifier's in `anchor/tests/common/mod.rs`, under the same `bug_class_` names.

use crate::common::Analysis;
use ark_ff::{BigInteger, Field, One, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode};
use healthzk_circuits::{
    merkle::PathVar, policy::CompareVar, query::QueryCircuit, range, BoolVar, FrVar, SynthesisError,
};
use healthzk_core::{
    merkle::MerkleTree,
    policy::{Bound, CompareClause, CompareKind},
    testkit::{scenario, Spec},
    Fr, COMPARE_BITS, SLOTS,
};

/// `lo ≤ slot 0 ≤ hi` through the policy comparator, slot 0 = `x`.
fn range_clause_satisfied(x: Fr, lo: i128, hi: i128) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let mut values = [Fr::from(0u64); SLOTS];
    values[0] = x;
    let slots: Vec<FrVar> = values.iter().map(|v| FrVar::new_witness(cs.clone(), || Ok(*v)).unwrap()).collect();
    let as_of = FrVar::new_input(cs.clone(), || Ok(Fr::from(20_000u64))).unwrap();
    let bound = |constant| Bound { constant, as_of: false, slot: false };
    let clause = CompareClause { kind: CompareKind::Range, a: 0, b: 0, lo: bound(lo), hi: bound(hi) };
    CompareVar::new_witness(cs.clone(), || Ok(clause)).unwrap().enforce(&slots, &as_of).unwrap();
    cs.is_satisfied().unwrap()
}

/// A comparator on field elements is meaningless: `hi − x` for `x = −1` is `hi + 1`, a small
/// "positive" number. Ours compares only values range-checked to 64 bits: `x`, `x − lo` and
/// `hi − x` each must fit, so negative and wrapped values are refused.
#[test]
fn bug_class_comparator_on_unbounded_inputs() {
    for x in [0u64, 50, 100] {
        assert!(range_clause_satisfied(Fr::from(x), 0, 100), "{x} is in [0, 100]");
    }
    assert!(!range_clause_satisfied(Fr::from(101u64), 0, 100));
    for (x, what) in [
        (-Fr::one(), "−1 (= r − 1)"),
        (-Fr::from(50u64), "−50"),
        (Fr::from(u64::MAX) + Fr::from(51u64), "2^64 + 50"),
        (Fr::from(2u64).pow([200]) + Fr::from(50u64), "2^200 + 50"),
    ] {
        assert!(!range_clause_satisfied(x, 0, 100), "{what} must not pass [0, 100]");
    }
    // A bound below zero is a 64-bit difference too: x = 5 in [−10, 10] holds, x = −3 does not.
    assert!(range_clause_satisfied(Fr::from(5u64), -10, 10));
    assert!(!range_clause_satisfied(-Fr::from(3u64), -10, 10), "slot values are never negative");
    assert_eq!(COMPARE_BITS, 64);
}

/// A decomposition into 254 bits (or more) aliases: the bits of `x + r` sum to `x` in the field,
/// so "x < 2^k" proves nothing. Ours refuses widths above 252 (< log2 r), where the sum of any
/// bit vector is below r and therefore unique; the widest use in healthzk is 64 bits.
#[test]
fn bug_class_bit_decomposition_aliasing() {
    // The danger, natively: the 254 bits of 5 + r recompose to 5.
    let mut big = Fr::MODULUS;
    assert!(!big.add_with_carry(&Fr::from(5u64).into_bigint()), "5 + r fits 256 bits");
    let bits = big.to_bits_le();
    assert!(bits.len() >= 254 && bits[253], "5 + r needs 254 bits");
    let recomposed: Fr = bits.iter().rev().fold(Fr::from(0u64), |acc, b| acc + acc + Fr::from(*b as u64));
    assert_eq!(recomposed, Fr::from(5u64), "the aliased bit vector passes a 254-bit check");
    // Ours: no width that could alias is accepted…
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    let x = FrVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
    let too_wide = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| range::enforce_bits(&x, 253)));
    assert!(too_wide.is_err(), "a 253-bit range check must be refused");
    // …and at the widest allowed width the witness bits are the canonical ones: overwriting
    // them with any other vector of the same field value is impossible, and a changed bit
    // breaks the system.
    let out = range::enforce_bits(&x, 252).unwrap();
    let a = Analysis::of_cs(cs);
    let b0 = match &out[0] {
        BoolVar::Var(v) => a.num_instance + v.variable().index().unwrap(),
        _ => unreachable!("witness bits"),
    };
    assert_eq!(a.z[b0], Fr::one(), "bit 0 of 5");
    assert!(!a.satisfied_after(&[(b0, -Fr::one())]), "clearing bit 0 of 5 breaks the recomposition");
    // And a value that only an aliased decomposition could fit is refused at 64 bits.
    let cs = ConstraintSystem::<Fr>::new_ref();
    let neg = FrVar::new_witness(cs.clone(), || Ok(-Fr::from(5u64))).unwrap();
    range::enforce_bits(&neg, 64).unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

/// Builds the membership of leaf `index` of a depth-`depth` tree; returns the evaluated system
/// and the path variables.
fn membership(depth: usize, index: u64) -> (Analysis, PathVar) {
    let leaves: Vec<Fr> = (1..=40u64).map(Fr::from).collect();
    let tree = MerkleTree::from_leaves(depth, &leaves).unwrap();
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    let path = tree.path(index).unwrap();
    let leaf = FrVar::new_witness(cs.clone(), || Ok(leaves[index as usize])).unwrap();
    let root = FrVar::new_input(cs.clone(), || Ok(tree.root())).unwrap();
    let p = PathVar::new_witness(cs.clone(), depth, Some(&path)).unwrap();
    p.root(&leaf).unwrap().enforce_equal(&root).unwrap();
    (Analysis::of_cs(cs), p)
}

/// Path bits that are not constrained boolean let a prover select a blend of siblings. Each of
/// ours is an allocated boolean: setting one to 2, −1 or 1/2 breaks the system.
#[test]
fn bug_class_merkle_path_bits_not_boolean() {
    let (a, p) = membership(6, 21);
    assert_eq!(p.bits.len(), 6);
    for (k, bit) in p.bits.iter().enumerate() {
        let i = match bit {
            BoolVar::Var(v) => a.num_instance + v.variable().index().unwrap(),
            _ => panic!("path bit {k} is a constant"),
        };
        assert_eq!(a.z[i], Fr::from((21u64 >> k) & 1), "bit {k} of 21");
        for bad in [Fr::from(2u64), -Fr::one(), Fr::from(2u64).inverse().unwrap()] {
            assert!(!a.satisfied_after(&[(i, bad - a.z[i])]), "path bit {k} = {bad} must be refused");
        }
    }
}

/// A path whose length the prover chooses lets a prover present an inner node as a leaf (a
/// shorter path) or a longer chain. Ours is fixed by the key: the statement's shape does not
/// depend on the witness, and a path of another depth cannot even be synthesized.
#[test]
fn bug_class_merkle_depth_not_fixed() {
    let depth = 20;
    // Same number of constraints with and without a witness: the shape is the key's.
    let count = |c: QueryCircuit, setup: bool| {
        let cs = ConstraintSystem::<Fr>::new_ref();
        if setup {
            cs.set_mode(SynthesisMode::Setup);
        }
        c.generate_constraints(cs.clone()).unwrap();
        cs.num_constraints()
    };
    let s = scenario(&Spec::default(), None, depth);
    let with_witness = count(QueryCircuit { depth, public: Some(s.public), private: Some(s.witness.clone()) }, false);
    assert_eq!(with_witness, count(QueryCircuit::blank(depth), true));
    // A witness path for a shallower tree (an inner node as the leaf) has too few siblings: the
    // circuit refuses to synthesize rather than shorten the path.
    let shallow = scenario(&Spec::default(), None, 18);
    let cs = ConstraintSystem::<Fr>::new_ref();
    let r = QueryCircuit { depth, public: Some(shallow.public), private: Some(shallow.witness) }
        .generate_constraints(cs.clone());
    assert!(
        matches!(r, Err(SynthesisError::AssignmentMissing)),
        "a depth-18 path must not synthesize in a depth-20 statement: {r:?}"
    );
    // The gadget allocates exactly the depth's bits and siblings, whatever the path holds.
    let (_, p) = membership(6, 3);
    assert_eq!((p.bits.len(), p.siblings.len()), (6, 9));
    let (_, p) = membership(8, 3);
    assert_eq!((p.bits.len(), p.siblings.len()), (8, 12));
}
