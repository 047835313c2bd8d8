//! The credential-query circuit against its native twin: valid statements satisfy both; a
//! statement that breaks exactly one relation is refused by both, and the native checker
//! names that relation.

use crate::common::valid_spec;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use healthzk_circuits::query::QueryCircuit;
use healthzk_core::{
    query::{check, Unsatisfied},
    testkit::{scenario, Break, Scenario, Spec},
    Fr, DEFAULT_TREE_DEPTH,
};
use proptest::prelude::*;

/// Pinned: a change in circuit size is a visible decision (README and SPEC.md quote it).
const CONSTRAINTS_DEPTH_20: usize = 14_614;
/// Pinned: a change to any constraint is a visible decision ([`crate::common::matrix_digest`]).
const DIGEST_DEPTH_20: &str = "c5ddf50ccd0a026df6d1bb67a1ac3a3f319a0b64e709f9500d07cf6e25f8d481";
const DEPTH: usize = DEFAULT_TREE_DEPTH;

fn satisfied(s: &Scenario) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    QueryCircuit { depth: DEPTH, public: Some(s.public), private: Some(s.witness.clone()) }
        .generate_constraints(cs.clone())
        .expect("synthesis never fails on a complete witness");
    cs.is_satisfied().unwrap()
}

#[test]
fn constraint_count_is_pinned_and_fits_the_2_14_domain() {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    QueryCircuit::blank(DEPTH).generate_constraints(cs.clone()).unwrap();
    let n = cs.num_constraints();
    let inputs = cs.num_instance_variables();
    println!("credential-query depth {DEPTH}: {n} constraints, {inputs} instance variables");
    assert_eq!(n, CONSTRAINTS_DEPTH_20);
    assert_eq!(inputs, 8, "one + seven public inputs");
    assert!(n + inputs <= 1 << 14, "the QAP domain must stay 2^14");
}

#[test]
fn constraint_matrices_are_pinned() {
    let digest = crate::common::matrix_digest(QueryCircuit::blank(DEPTH));
    println!("credential-query depth {DEPTH}: matrix digest {digest}");
    assert_eq!(digest, DIGEST_DEPTH_20);
}

#[test]
fn default_scenario_satisfies_both() {
    let s = scenario(&Spec::default(), None, DEPTH);
    assert_eq!(check(&s.public, &s.witness, DEPTH), Ok(()));
    assert!(satisfied(&s));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn valid_statements_satisfy_native_and_circuit(spec in valid_spec()) {
        let s = scenario(&spec, None, DEPTH);
        prop_assert_eq!(check(&s.public, &s.witness, DEPTH), Ok(()));
        prop_assert!(satisfied(&s));
    }

    #[test]
    fn each_broken_relation_is_refused_by_both(spec in valid_spec(), which in 0usize..Break::ALL.len()) {
        let brk = Break::ALL[which];
        let s = scenario(&spec, Some(brk), DEPTH);
        prop_assert_eq!(check(&s.public, &s.witness, DEPTH), Err(brk.expected()), "{:?}", brk);
        prop_assert!(!satisfied(&s), "circuit accepted a statement breaking {:?}", brk);
    }
}

/// Every relation, once each, deterministically (the proptest above samples them).
#[test]
fn every_relation_once() {
    for brk in Break::ALL {
        let s = scenario(&Spec::default(), Some(brk), DEPTH);
        assert_eq!(check(&s.public, &s.witness, DEPTH), Err(brk.expected()), "{brk:?}");
        assert!(!satisfied(&s), "circuit accepted {brk:?}");
    }
}

/// Edges of the date window: exactly 14 and 270 days hold; 13 and 271 do not.
#[test]
fn date_window_edges() {
    for (days, ok) in [(13u32, false), (14, true), (270, true), (271, false)] {
        let s = scenario(&Spec { days_before: days, ..Spec::default() }, None, DEPTH);
        let expected = if ok { Ok(()) } else { Err(Unsatisfied::Compare(3)) };
        assert_eq!(check(&s.public, &s.witness, DEPTH), expected, "{days} days");
        assert_eq!(satisfied(&s), ok, "{days} days");
    }
}
