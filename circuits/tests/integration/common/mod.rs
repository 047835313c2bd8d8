//! Witness-mutation analysis shared by `mutation.rs` and `bug_classes.rs`: the R1CS of one
//! assignment, synthesized as the prover does and evaluated on its matrices, so a change to
//! any variable is checked against exactly the constraints it is in. (A `ConstraintSystem`'s
//! own `is_satisfied` keeps the values its linear combinations were built with, so it cannot
//! judge a changed witness.)
#![allow(dead_code)]

use ark_ff::{One, UniformRand, Zero};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL,
};
use healthzk_core::{day::Day, testkit::Spec, Fr};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// SHA-256 (hex) of a circuit's constraint system as the prover synthesizes it (setup mode,
/// fewest constraints, linear combinations inlined): the instance, witness and constraint
/// counts, then every row of A, B and C as (column, coefficient) pairs. Pinned beside each
/// constraint count, as sapling-crypto pins `cs.hash()`: a change to any constraint — not only
/// to their number — fails the pin, so it is a visible decision (and old keys are refused by a
/// key-file version bump).
pub fn matrix_digest<C: ConstraintSynthesizer<Fr>>(circuit: C) -> String {
    use ark_ff::{BigInteger, PrimeField};
    use sha2::{Digest, Sha256};
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    circuit.generate_constraints(cs.clone()).expect("synthesis");
    cs.finalize();
    let mut h = Sha256::new();
    for n in [cs.num_instance_variables(), cs.num_witness_variables(), cs.num_constraints()] {
        h.update((n as u64).to_le_bytes());
    }
    let mut all = cs.to_matrices().expect("matrices");
    let m = all.remove(R1CS_PREDICATE_LABEL).expect("R1CS matrices");
    assert_eq!(m.len(), 3);
    for matrix in &m {
        h.update((matrix.len() as u64).to_le_bytes());
        for row in matrix {
            h.update((row.len() as u64).to_le_bytes());
            for (coeff, col) in row {
                h.update((*col as u64).to_le_bytes());
                h.update(coeff.into_bigint().to_bytes_be());
            }
        }
    }
    hex::encode(h.finalize())
}

/// The R1CS of one assignment, evaluated.
pub struct Analysis {
    /// Instance variables, the constant one first.
    pub num_instance: usize,
    pub z: Vec<Fr>,
    m: [Matrix<Fr>; 3],
    /// `A·z`, `B·z`, `C·z` per row.
    eval: [Vec<Fr>; 3],
    /// Per variable: the rows it is in (sorted, distinct).
    rows_of: Vec<Vec<usize>>,
}

/// Why a variable was reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index into z (instance variables first).
    pub var: usize,
    pub public: bool,
    /// The mutation that survived, described.
    pub change: String,
    /// The rows the variable is in.
    pub rows: Vec<usize>,
}

impl Analysis {
    /// Synthesizes `circuit` as the prover does and evaluates it.
    pub fn of<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Analysis {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        circuit.generate_constraints(cs.clone()).expect("synthesis");
        Self::of_cs(cs)
    }

    pub fn of_cs(cs: ConstraintSystemRef<Fr>) -> Analysis {
        cs.finalize();
        assert!(cs.is_satisfied().unwrap(), "the starting assignment must be valid");
        let mut all = cs.to_matrices().unwrap();
        let mut m = all.remove(R1CS_PREDICATE_LABEL).expect("R1CS matrices");
        assert_eq!(m.len(), 3);
        let c = m.pop().unwrap();
        let b = m.pop().unwrap();
        let a = m.pop().unwrap();
        let mut z = cs.instance_assignment().unwrap();
        let num_instance = z.len();
        z.extend(cs.witness_assignment().unwrap());
        let m = [a, b, c];
        let eval = std::array::from_fn(|k| {
            m[k].iter().map(|row| row.iter().map(|(coeff, i)| *coeff * z[*i]).sum::<Fr>()).collect::<Vec<_>>()
        });
        let mut rows_of = vec![Vec::new(); z.len()];
        for mk in &m {
            for (r, row) in mk.iter().enumerate() {
                for (_, i) in row {
                    if rows_of[*i].last() != Some(&r) {
                        rows_of[*i].push(r);
                    }
                }
            }
        }
        for rows in &mut rows_of {
            rows.sort_unstable();
            rows.dedup();
        }
        Analysis { num_instance, z, m, eval, rows_of }
    }

    /// Coefficient of variable `i` in row `r` of matrix `k`.
    pub fn coeff(&self, k: usize, r: usize, i: usize) -> Fr {
        self.m[k][r].iter().filter(|(_, j)| *j == i).map(|(c, _)| *c).sum()
    }

    /// Whether the system stays satisfied after adding `delta` to each variable listed.
    pub fn satisfied_after(&self, changes: &[(usize, Fr)]) -> bool {
        let mut rows: Vec<usize> = changes.iter().flat_map(|(i, _)| self.rows_of[*i].iter().copied()).collect();
        rows.sort_unstable();
        rows.dedup();
        rows.iter().all(|&r| {
            let [a, b, c] = std::array::from_fn(|k| {
                self.eval[k][r] + changes.iter().map(|(i, d)| self.coeff(k, r, *i) * d).sum::<Fr>()
            });
            a * b == c
        })
    }

    /// The changes tried on variable `i`: a random non-zero delta, and the flip of a 0/1 value.
    pub fn changes(&self, i: usize, rng: &mut ChaCha20Rng) -> Vec<(Fr, String)> {
        let mut d = Fr::rand(rng);
        while d.is_zero() {
            d = Fr::rand(rng);
        }
        let mut out = vec![(d, "a random delta".to_string())];
        if self.z[i].is_zero() {
            out.push((Fr::one(), "0 → 1".into()));
        } else if self.z[i].is_one() {
            out.push((-Fr::one(), "1 → 0".into()));
        }
        out
    }

    /// A don't-care: in every row it is in, it appears in A only with `B·z = 0`, or in B only
    /// with `A·z = 0`, and never in C — multiplied by zero, touching nothing.
    pub fn is_dont_care(&self, i: usize) -> bool {
        !self.rows_of[i].is_empty()
            && self.rows_of[i].iter().all(|&r| {
                let (a, b, c) = (self.coeff(0, r, i), self.coeff(1, r, i), self.coeff(2, r, i));
                c.is_zero()
                    && ((!a.is_zero() && b.is_zero() && self.eval[1][r].is_zero())
                        || (a.is_zero() && !b.is_zero() && self.eval[0][r].is_zero()))
            })
    }

    /// Every variable (but the constant one) changed alone; returns the free ones that are not
    /// don't-cares, and the number of don't-cares.
    pub fn single_mutations(&self, rng: &mut ChaCha20Rng) -> (Vec<Finding>, usize) {
        let mut findings = Vec::new();
        let mut dont_cares = 0;
        for i in 1..self.z.len() {
            for (delta, what) in self.changes(i, rng) {
                if self.satisfied_after(&[(i, delta)]) {
                    let public = i < self.num_instance;
                    if !public && self.is_dont_care(i) {
                        dont_cares += 1;
                    } else {
                        findings.push(Finding { var: i, public, change: what, rows: self.rows_of[i].clone() });
                    }
                    break;
                }
            }
        }
        (findings, dont_cares)
    }

    /// `n` random pairs of variables changed together, each pair taken from one constraint (so
    /// the two can compensate each other), by random deltas or flips; returns the pairs that
    /// survive where neither variable is a don't-care.
    pub fn pair_mutations(&self, n: usize, rng: &mut ChaCha20Rng) -> Vec<(usize, usize)> {
        let rows = self.m[0].len();
        let mut out = Vec::new();
        for _ in 0..n {
            let r = rng.gen_range(0..rows);
            let vars: Vec<usize> =
                (0..3).flat_map(|k| self.m[k][r].iter().map(|(_, i)| *i)).filter(|&i| i != 0).collect();
            if vars.len() < 2 {
                continue;
            }
            let (x, y) = (vars[rng.gen_range(0..vars.len())], vars[rng.gen_range(0..vars.len())]);
            if x == y || self.is_dont_care(x) || self.is_dont_care(y) {
                continue;
            }
            let cx = self.changes(x, rng);
            let cy = self.changes(y, rng);
            let (dx, dy) = (cx[rng.gen_range(0..cx.len())].0, cy[rng.gen_range(0..cy.len())].0);
            if self.satisfied_after(&[(x, dx), (y, dy)]) {
                out.push((x, y));
            }
        }
        out
    }

    pub fn num_vars(&self) -> usize {
        self.z.len() - 1
    }
}

/// Runs both analyses; panics naming every finding.
pub fn assert_no_free_variable(name: &str, a: &Analysis, seed: u64) -> usize {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (findings, dont_cares) = a.single_mutations(&mut rng);
    assert!(findings.is_empty(), "{name}: {} free variable(s) (of {}): {findings:?}", findings.len(), a.num_vars());
    let pairs = a.pair_mutations(2_000, &mut rng);
    assert!(pairs.is_empty(), "{name}: pairs that move together freely: {pairs:?}");
    dont_cares
}

prop_compose! {
    /// A valid credential-query statement's spec: any series, any interval in 14–270 days, any
    /// approved product, trees with credentials before and after.
    pub fn valid_spec()(
        series_doses in 1u64..=4,
        extra in 0u64..=2,
        days_before in 14u32..=270,
        product in 0usize..7,
        as_of in 19_000u32..30_000,
        before in 0usize..6,
        after in 0usize..4,
        seed in any::<u64>(),
    ) -> Spec {
        Spec { dose_number: series_doses + extra, series_doses, days_before, product, as_of: Day(as_of), before, after, seed }
    }
}
