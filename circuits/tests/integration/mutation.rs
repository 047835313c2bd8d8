//! Witness mutation (issue #7): from a valid assignment of each statement — the credential
//! query and the score threshold with public and private weights, logistic and MLP — change
//! each variable, one at a time and in random pairs, and require the R1CS the prover uses
//! (synthesized exactly as `healthzk-prover` does, linear combinations inlined) to become
//! unsatisfied.
//!
//! A variable whose change leaves every constraint satisfied is *free*. The only free
//! variables a sound statement may have are **don't-cares**: witnesses that, in this
//! assignment, appear only as a factor multiplied by zero — e.g. the inverse witness of an
//! equality test whose operands are equal (`d · inv = 1 − eq` with `d = 0`). Such a variable
//! touches no other variable and no public input in this assignment, so it cannot move a public
//! output or the asserted relation. Anything else free — a variable in no constraint at all,
//! or one that survives a change while taking part in a constraint with a non-zero partner —
//! is reported with the constraints it is in. Public inputs are mutated too: each must break
//! the system on its own.
//!
//! The analysis works on the matrices: it evaluates `A·z`, `B·z`, `C·z` once and re-checks only
//! the rows a change touches, so every variable of every statement is covered in well under a
//! second. Changes are a random non-zero delta for every variable and, for a 0/1 value, the
//! flip; the proptests draw the statements. `a_weakened_range_check_is_caught` runs the same
//! analysis on a deliberately weakened copy of the range gadget and requires it to fail.

use crate::common::{assert_no_free_variable, valid_spec, Analysis};
use ark_ff::One;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, GR1CSVar};
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef, OptimizationGoal, SynthesisError};
use healthzk_circuits::{
    query::QueryCircuit,
    range,
    score::{ScoreCircuit, Weights},
    BoolVar, FrVar,
};
use healthzk_core::{
    model::Model,
    testkit::{
        scenario,
        score::{sample_model, sample_patients},
        Spec,
    },
    Fr, SLOTS,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn query_analysis(spec: &Spec, depth: usize) -> Analysis {
    let s = scenario(spec, None, depth);
    Analysis::of(QueryCircuit { depth, public: Some(s.public), private: Some(s.witness) })
}

/// A sample patient `model` accepts, as a valid score scenario.
fn score_analysis(model: &Model, private: bool, patient: usize, depth: usize, seed: u64) -> Analysis {
    let patients = sample_patients();
    let accepted: Vec<_> = patients
        .iter()
        .filter(|p| {
            let x: [Fr; SLOTS] = std::array::from_fn(|j| Fr::from(p.slots[j]));
            model.accepts(model.logit(&x).unwrap())
        })
        .collect();
    let p = accepted[patient % accepted.len()];
    let (public, w) = healthzk_core::testkit::score::scenario(model, &p.slots, None, depth, seed);
    Analysis::of(ScoreCircuit {
        depth,
        weights: Weights::for_model(model, private),
        public: Some(public),
        private: Some(w),
    })
}

/// Every statement at the production depth, once: no free variable.
#[test]
fn every_statement_has_no_free_variable() {
    let d = healthzk_core::DEFAULT_TREE_DEPTH;
    let mut report = Vec::new();
    let q = query_analysis(&Spec::default(), d);
    report.push(("credential query", q.num_vars(), assert_no_free_variable("credential query", &q, 1)));
    for (name, model, private) in [
        ("score LR public", "lr", false),
        ("score LR private", "lr", true),
        ("score MLP public", "mlp", false),
        ("score MLP private", "mlp", true),
    ] {
        let a = score_analysis(&sample_model(model), private, 0, d, 7);
        report.push((name, a.num_vars(), assert_no_free_variable(name, &a, 2)));
    }
    for (name, vars, dont_cares) in report {
        println!("{name}: {vars} variables mutated, none free; {dont_cares} don't-care(s) multiplied by zero");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Over generated credential queries (small trees keep it quick; the tree gadget is the
    /// same at every depth).
    #[test]
    fn generated_queries_have_no_free_variable(spec in valid_spec(), seed in any::<u64>()) {
        let a = query_analysis(&spec, 4);
        assert_no_free_variable("credential query", &a, seed);
    }

    /// Over generated score statements: either sample model, either weight mode, any
    /// accepted patient.
    #[test]
    fn generated_score_statements_have_no_free_variable(
        mlp in any::<bool>(), private in any::<bool>(), patient in 0usize..111, seed in any::<u64>(),
    ) {
        let model = sample_model(if mlp { "mlp" } else { "lr" });
        let a = score_analysis(&model, private, patient, 4, seed);
        assert_no_free_variable("score", &a, seed);
    }
}

/// A range check that forgets to tie its bits to the value: each bit is boolean, but nothing
/// says they sum to `x` — a copy of `range::enforce_bits` with its last constraint dropped.
fn weak_enforce_bits(x: &FrVar, bits: usize) -> Result<Vec<BoolVar>, SynthesisError> {
    use ark_ff::{BigInteger, PrimeField};
    let value = x.value().ok().map(|v| v.into_bigint());
    (0..bits)
        .map(|i| BoolVar::new_witness(x.cs(), || value.map(|v| v.get_bit(i)).ok_or(SynthesisError::AssignmentMissing)))
        .collect()
}

/// `y = x + 1` for a public `x`, with `y` range-checked to 16 bits and its low bit exposed
/// as the statement's answer (`out = bit 0 of y`, public).
fn parity_statement(weak: bool) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    let x = FrVar::new_input(cs.clone(), || Ok(Fr::from(41u64))).unwrap();
    let out = FrVar::new_input(cs.clone(), || Ok(Fr::from(0u64))).unwrap();
    let y = FrVar::new_witness(cs.clone(), || Ok(Fr::from(42u64))).unwrap();
    y.enforce_equal(&(x + Fr::one())).unwrap();
    let bits = if weak { weak_enforce_bits(&y, 16) } else { range::enforce_bits(&y, 16) }.unwrap();
    FrVar::from(bits[0].clone()).enforce_equal(&out).unwrap();
    cs
}

/// The test can fail: the weakened gadget's bits are free (the answer bit among them), and the
/// analysis says so; the real gadget has none.
#[test]
fn a_weakened_range_check_is_caught() {
    let sound = Analysis::of_cs(parity_statement(false));
    assert_no_free_variable("parity (real range check)", &sound, 3);

    let weak = Analysis::of_cs(parity_statement(true));
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (findings, _) = weak.single_mutations(&mut rng);
    // Bit 0 is pinned to the public answer, so the 15 others are free: each flips alone.
    assert_eq!(findings.len(), 15, "{findings:?}");
    assert!(findings.iter().all(|f| !f.public && f.change.contains('→')), "{findings:?}");
    let caught = std::panic::catch_unwind(|| assert_no_free_variable("parity (weakened)", &weak, 3));
    assert!(caught.is_err(), "the mutation test must fail on the weakened gadget");
    // And the free bits are a real soundness hole: with bit 0 flipped as well as the public
    // answer, the weakened statement "proves" that 42 is odd.
    let flipped = weak.satisfied_after(&[(2, Fr::one()), (weak.num_instance + 1, Fr::one())]);
    assert!(flipped, "the weakened check lets the answer bit move with the public output");
    assert!(!sound.satisfied_after(&[(2, Fr::one()), (sound.num_instance + 1, Fr::one())]));
}

/// The analysis itself: a variable in no constraint is free and not a don't-care; an
/// inverse witness multiplied by zero is a don't-care.
#[test]
fn orphans_are_reported_and_zero_factors_are_dont_cares() {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    let x = FrVar::new_input(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
    let _orphan = FrVar::new_witness(cs.clone(), || Ok(Fr::from(9u64))).unwrap();
    let y = FrVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
    // `eq` = (x == y), as x − y = d, d · inv = 1 − eq, d · eq = 0.
    let eq = x.is_eq(&y).unwrap();
    eq.enforce_equal(&BoolVar::TRUE).unwrap();
    let a = Analysis::of_cs(cs);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (findings, dont_cares) = a.single_mutations(&mut rng);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].rows.is_empty(), "the orphan is in no constraint: {findings:?}");
    assert!(dont_cares >= 1, "the inverse of x − y = 0 is a don't-care");
}
