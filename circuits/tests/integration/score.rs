//! The score-threshold circuit against its native twin, in both weight modes: the native
//! checker and the circuit agree on random models and inputs over the full declared ranges
//! (largest magnitudes, negatives, zero, exactly at the threshold and one unit either side);
//! a statement that breaks exactly one relation is refused by both; overflowing a declared
//! width is unsatisfiable. Constraint counts are pinned.

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use healthzk_circuits::score::{ScoreCircuit, Weights};
use healthzk_core::{
    model::{Direction, Hidden, Model, Shape},
    query::Unsatisfied,
    score::{check, ScoreWitness},
    statement::PublicInputs,
    testkit::score::{logistic, mlp, scenario, ScoreBreak},
    Fr, DEFAULT_TREE_DEPTH, SLOTS,
};
use proptest::prelude::*;

/// Small trees keep the proptests fast; the binding is the query statement's, tested at 20.
const DEPTH: usize = 4;

/// Whether the circuit is satisfied (a synthesis error counts as unsatisfied).
fn satisfied(private: bool, public: &PublicInputs, w: &ScoreWitness) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let c = ScoreCircuit {
        depth: DEPTH,
        weights: Weights::for_model(&w.model, private),
        public: Some(*public),
        private: Some(w.clone()),
    };
    c.generate_constraints(cs.clone()).is_ok() && cs.is_satisfied().unwrap()
}

fn count(depth: usize, w: Weights) -> (usize, usize) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    ScoreCircuit::blank(depth, w).generate_constraints(cs.clone()).unwrap();
    (cs.num_constraints(), cs.num_instance_variables())
}

/// Pinned sizes at depth 20 (README and SPEC.md quote them).
const LR_PUBLIC: usize = 8_165;
/// Pinned digests of the same four circuits' matrices ([`crate::common::matrix_digest`]).
const DIGESTS: [&str; 4] = [
    "7a7349d52c8bde26532029c1d3e36e0e4179809fca918f69dd4311e7f5dc65a5",
    "ebdebc50e92054b0c1bdf24c019632df9de475cb8616d00ac16de92c46bb5a09",
    "c9f72c446fd489fd3bd8bdb9d1f5124dc7ad8a66cc8a55dde3bc8d6de4ca2634",
    "dc93cc7503840ce4ae5f7325a89e3100ac8a6729a3b403fc5401d85617ebaaf4",
];
const LR_PRIVATE: usize = 9_071;
const MLP16_PUBLIC: usize = 9_061;
const MLP16_PRIVATE: usize = 16_087;

#[test]
fn constraint_counts_are_pinned() {
    let d = DEFAULT_TREE_DEPTH;
    let lr_model = logistic(vec![1; SLOTS], 0, 0, Direction::Below);
    let mlp_model = mlp(vec![vec![1; SLOTS]; 16], vec![0; 16], 20, vec![1; 16], 0, 0, Direction::Below);
    let got = [
        count(d, Weights::for_model(&lr_model, false)),
        count(d, Weights::Private(Shape { hidden: 0, shift: 0 })),
        count(d, Weights::for_model(&mlp_model, false)),
        count(d, Weights::Private(Shape { hidden: 16, shift: 20 })),
    ];
    println!("score at depth {d}: LR public/private, MLP 16→16→1 public/private: {got:?}");
    let want = [LR_PUBLIC, LR_PRIVATE, MLP16_PUBLIC, MLP16_PRIVATE];
    for ((n, inputs), w) in got.iter().zip(want) {
        assert_eq!(*n, w);
        assert_eq!(*inputs, 8, "one + seven public inputs");
    }
    let domain = |n: usize| (n + 8).next_power_of_two();
    assert_eq!(domain(got[0].0), 1 << 13, "the public-weight LR fits 2^13");
    assert_eq!(domain(got[1].0.max(got[2].0).max(got[3].0)), 1 << 14, "the others, private MLP included, fit 2^14");
}

#[test]
fn constraint_matrices_are_pinned() {
    let d = DEFAULT_TREE_DEPTH;
    let lr_model = logistic(vec![1; SLOTS], 0, 0, Direction::Below);
    let mlp_model = mlp(vec![vec![1; SLOTS]; 16], vec![0; 16], 20, vec![1; 16], 0, 0, Direction::Below);
    let got = [
        Weights::for_model(&lr_model, false),
        Weights::Private(Shape { hidden: 0, shift: 0 }),
        Weights::for_model(&mlp_model, false),
        Weights::Private(Shape { hidden: 16, shift: 20 }),
    ]
    .map(|w| crate::common::matrix_digest(ScoreCircuit::blank(d, w)));
    println!("score at depth {d}: LR public/private, MLP 16→16→1 public/private digests: {got:?}");
    assert_eq!(got, DIGESTS);
}

fn arb_slots() -> impl Strategy<Value = [u64; SLOTS]> {
    let slot = prop_oneof![Just(0u64), Just((1u64 << 32) - 1), 0u64..1 << 32, 0u64..1000];
    proptest::array::uniform16(slot)
}

fn arb_weight() -> impl Strategy<Value = i64> {
    prop_oneof![Just(-(1i64 << 15)), Just((1i64 << 15) - 1), Just(0i64), -(1i64 << 15)..(1i64 << 15), -50i64..50]
}

fn arb_bias() -> impl Strategy<Value = i128> {
    prop_oneof![Just(0i128), Just((1i128 << 66) - 1), Just(-(1i128 << 66) + 1), -(1i128 << 60)..(1i128 << 60)]
}

/// A model of `hidden` neurons (0: logistic regression) with every weight and input shift
/// over its full range, a rescale shift in 0..=64 (small shifts overflow: those cases must
/// agree too), and a threshold placed at `z + offset` for offset in {−2^40, −1, 0, 1, 2^40}.
fn arb_case(hidden: usize) -> impl Strategy<Value = (Model, [u64; SLOTS], i64)> {
    (
        proptest::collection::vec(prop_oneof![Just(0u32), Just(15u32), 0u32..=15], SLOTS),
        proptest::collection::vec(proptest::collection::vec(arb_weight(), SLOTS), hidden),
        proptest::collection::vec(arb_bias(), hidden),
        0u32..=64,
        proptest::collection::vec(arb_weight(), if hidden == 0 { SLOTS } else { hidden }),
        arb_bias(),
        any::<bool>(),
        arb_slots(),
        prop_oneof![Just(-(1i64 << 40)), Just(-1i64), Just(0i64), Just(1i64), Just(1i64 << 40)],
    )
        .prop_map(move |(shifts, rows, hb, shift, out, bias, above, slots, offset)| {
            let d = if above { Direction::Above } else { Direction::Below };
            let mut m = if hidden == 0 { logistic(out, bias, 0, d) } else { mlp(rows, hb, shift, out, bias, 0, d) };
            m.input_shifts = shifts;
            (m, slots, offset)
        })
}

/// Places the threshold at `z + offset` (clamped into the declared range) when z exists.
/// `valid` callers assume the placement was not clamped.
fn place_threshold(mut m: Model, slots: &[u64; SLOTS], offset: i64) -> Model {
    let x: [Fr; SLOTS] = std::array::from_fn(|j| Fr::from(slots[j]));
    if let Ok(z) = m.logit(&x) {
        let bound = (1i128 << 66) - 1;
        m.threshold = (z + offset as i128).clamp(-bound, bound);
    }
    m
}

fn agree(private: bool, m: Model, slots: [u64; SLOTS], offset: i64, seed: u64) -> Result<(), TestCaseError> {
    let m = place_threshold(m, &slots, offset);
    prop_assume!(m.validate().is_ok());
    let (public, w) = scenario(&m, &slots, None, DEPTH, seed);
    let native = check(&public, &w, DEPTH);
    prop_assert_eq!(native.is_ok(), satisfied(private, &public, &w), "native {:?}", native);
    if let Err(e) = native {
        prop_assert!(
            matches!(e, Unsatisfied::Threshold | Unsatisfied::Overflow(_)),
            "only the model relations can fail here, got {e:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn logistic_native_and_circuit_agree((m, slots, offset) in arb_case(0), private in any::<bool>(), seed in any::<u64>()) {
        agree(private, m, slots, offset, seed)?;
    }

    #[test]
    fn mlp_native_and_circuit_agree((m, slots, offset) in arb_case(3), private in any::<bool>(), seed in any::<u64>()) {
        agree(private, m, slots, offset, seed)?;
    }

    /// Valid statements (threshold strictly on the asserted side) satisfy both.
    #[test]
    fn valid_statements_satisfy_both((m, slots, _) in arb_case(2), private in any::<bool>(), seed in any::<u64>()) {
        let m = Model { hidden: m.hidden.map(|h| Hidden { shift: 64, ..h }), ..m };
        let offset = if m.direction == Direction::Below { 1 } else { -1 };
        let m = place_threshold(m, &slots, offset);
        prop_assume!(m.validate().is_ok());
        let x: [Fr; SLOTS] = std::array::from_fn(|j| Fr::from(slots[j]));
        prop_assume!(m.logit(&x).is_ok_and(|z| m.accepts(z)), "threshold clamped at the range edge");
        let (public, w) = scenario(&m, &slots, None, DEPTH, seed);
        prop_assert_eq!(check(&public, &w, DEPTH), Ok(()));
        prop_assert!(satisfied(private, &public, &w));
    }

    /// One strategy per relation: breaking exactly it is refused by both, and named.
    #[test]
    fn each_broken_relation_is_refused_by_both(
        brk in proptest::sample::select(ScoreBreak::ALL.to_vec()),
        (m, slots, _) in arb_case(2),
        private in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let m = Model { hidden: m.hidden.map(|h| Hidden { shift: 64, ..h }), ..m };
        let offset = if m.direction == Direction::Below { 1 } else { -1 };
        let mut m = place_threshold(m, &slots, offset);
        prop_assume!(m.validate().is_ok());
        let x: [Fr; SLOTS] = std::array::from_fn(|j| Fr::from(slots[j]));
        prop_assume!(m.logit(&x).is_ok_and(|z| m.accepts(z)), "threshold clamped at the range edge");
        if brk == ScoreBreak::SlotTooWide {
            // Keep slot 15 out of the model so only its width breaks.
            m.hidden.iter_mut().for_each(|h| h.weights.iter_mut().for_each(|r| r[SLOTS - 1] = 0));
            if m.hidden.is_none() { m.output.weights[SLOTS - 1] = 0; }
        }
        let (public, w) = scenario(&m, &slots, Some(brk), DEPTH, seed);
        prop_assert_eq!(check(&public, &w, DEPTH), Err(brk.expected()));
        prop_assert!(!satisfied(private, &public, &w), "{:?} satisfied the circuit", brk);
    }
}

#[test]
fn exactly_at_the_threshold_is_refused_and_one_unit_inside_accepted() {
    let mut w = vec![0; SLOTS];
    w[0] = -(1 << 15);
    w[1] = (1 << 15) - 1;
    let slots: [u64; SLOTS] = std::array::from_fn(|j| if j < 2 { (1 << 32) - 1 } else { 0 });
    let z = -(1i128 << 15) * ((1 << 32) - 1) + ((1 << 15) - 1) * ((1 << 32) - 1) - 5;
    for d in [Direction::Below, Direction::Above] {
        for (t, ok) in [(z, false), (z + 1, d == Direction::Below), (z - 1, d == Direction::Above)] {
            let m = logistic(w.clone(), -5, t, d);
            let (public, wit) = scenario(&m, &slots, None, DEPTH, 3);
            assert_eq!(check(&public, &wit, DEPTH).is_ok(), ok, "{d:?} T = z {:+}", t - z);
            for private in [false, true] {
                assert_eq!(satisfied(private, &public, &wit), ok, "{d:?} T = z {:+} private {private}", t - z);
            }
        }
    }
}

#[test]
fn overflowing_a_declared_width_is_unsatisfiable() {
    // A private weight of 2^15 (one past the 16-bit range), hashed consistently.
    let mut w = vec![0; SLOTS];
    w[0] = 1 << 15;
    let m = logistic(w, 0, 1, Direction::Below);
    let (public, wit) = scenario(&m, &[0; SLOTS], None, DEPTH, 1);
    assert!(!satisfied(true, &public, &wit));
    // A hidden neuron whose rescaled value needs more than 32 bits.
    let mut row = vec![0; SLOTS];
    row[0] = (1 << 15) - 1;
    let m = mlp(vec![row], vec![0], 0, vec![1], 0, 1 << 60, Direction::Below);
    let slots: [u64; SLOTS] = std::array::from_fn(|j| if j == 0 { (1 << 32) - 1 } else { 0 });
    let (public, wit) = scenario(&m, &slots, None, DEPTH, 2);
    assert_eq!(check(&public, &wit, DEPTH), Err(Unsatisfied::Overflow(0)));
    for private in [false, true] {
        assert!(!satisfied(private, &public, &wit));
    }
    // A negative hidden value at the bottom of the range is in range and clamps to 0.
    let mut row = vec![0; SLOTS];
    row[0] = -1;
    let m = mlp(vec![row], vec![-(1 << 31) + ((1 << 32) - 1)], 0, vec![1], 0, 1, Direction::Below);
    let (public, wit) = scenario(&m, &slots, None, DEPTH, 2);
    assert_eq!(m.logit(&wit.credential.slots), Ok(0));
    assert_eq!(check(&public, &wit, DEPTH), Ok(()));
    assert!(satisfied(true, &public, &wit) && satisfied(false, &public, &wit));
}

#[test]
fn a_private_model_of_another_shape_is_refused() {
    let m = mlp(vec![vec![0; SLOTS]; 2], vec![0; 2], 8, vec![1, 1], 0, 1, Direction::Below);
    let (public, wit) = scenario(&m, &[0; SLOTS], None, DEPTH, 1);
    let cs = ConstraintSystem::<Fr>::new_ref();
    let c = ScoreCircuit {
        depth: DEPTH,
        weights: Weights::Private(Shape { hidden: 3, shift: 8 }),
        public: Some(public),
        private: Some(wit),
    };
    assert!(c.generate_constraints(cs).is_err());
}

/// Malformed models and impossible shapes are refused at synthesis, never a panic.
#[test]
fn malformed_models_and_shapes_are_refused_at_synthesis() {
    let empty_hidden = Model {
        hidden: Some(Hidden { weights: vec![], bias: vec![], shift: 0 }),
        ..logistic(vec![], 0, 0, Direction::Below)
    };
    let short = logistic(vec![1; 3], 0, 0, Direction::Below);
    for m in [empty_hidden, short] {
        let cs = ConstraintSystem::<Fr>::new_ref();
        assert!(ScoreCircuit::blank(DEPTH, Weights::for_model(&m, false)).generate_constraints(cs).is_err());
    }
    for shape in [Shape { hidden: 1, shift: 300 }, Shape { hidden: 17, shift: 0 }, Shape { hidden: 0, shift: 3 }] {
        let cs = ConstraintSystem::<Fr>::new_ref();
        assert!(ScoreCircuit::blank(DEPTH, Weights::Private(shape)).generate_constraints(cs).is_err(), "{shape:?}");
    }
}
