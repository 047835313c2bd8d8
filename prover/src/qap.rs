//! The R1CS-to-QAP reduction of snarkjs and circom, so that one proving key format serves
//! healthzk's own development setup and keys made by a phase-2 ceremony on snarkjs' `.zkey`
//! files (see `docs/ceremony-notes.md` §3.3 and §7).
//!
//! The A, B and C polynomials are the same as in arkworks' [`LibsnarkReduction`] (which
//! [`CircomReduction::instance_map_with_evaluation`] reuses): the n-point radix-2 domain over the
//! constraints, plus one extra row `zᵢ·0 = 0` per instance variable. The quotient differs.
//! Instead of the coefficients of `h = (A·B − C)/Z` against `τⁱ·Z(τ)/δ`, the prover gives
//! `Q = A·B − C` at the n odd points `ω₂ₙ^(2i+1)` of the 2n-point domain, and the key holds the
//! matching Lagrange bases `L^(2n)_(2i+1)(τ)/δ`. Q vanishes on the even points (the n-point
//! domain), so `Σ Q(ω₂ₙ^(2i+1))·L^(2n)_(2i+1)(τ) = Q(τ) = h(τ)·Z(τ)`. No division by Z is done.

use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, SynthesisError};
use rayon::prelude::*;

/// snarkjs' reduction (called `CircomReduction` in ark-circom, which implements the same).
#[derive(Debug, Clone, Copy)]
pub struct CircomReduction;

impl R1CSToQAP for CircomReduction {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    /// `A·B − C` at the odd points of the 2n-point domain. C is taken as `A∘B` row by row, as
    /// snarkjs does: it equals the C matrix's values for a satisfying assignment, and an
    /// assignment that does not satisfy the matrices gives a proof that does not verify either
    /// way (the C matrix enters through the L query).
    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let domain = D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let double = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let odd = domain.get_coset(double.group_gen()).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let mut a = vec![F::zero(); n];
        let mut b = vec![F::zero(); n];
        a[..num_constraints]
            .par_iter_mut()
            .zip(&mut b[..num_constraints])
            .zip(&matrices[0])
            .zip(&matrices[1])
            .for_each(|(((a, b), at), bt)| {
                *a = evaluate_constraint(at, full_assignment);
                *b = evaluate_constraint(bt, full_assignment);
            });
        a[num_constraints..num_constraints + num_inputs].copy_from_slice(&full_assignment[..num_inputs]);
        let mut c: Vec<F> = a.par_iter().zip(&b).map(|(a, b)| *a * b).collect();
        for v in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(v);
            odd.fft_in_place(v);
        }
        a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| {
            *a *= b;
            *a -= c;
        });
        Ok(a)
    }

    /// The n odd entries of `IFFT₂ₙ([τ⁰, …, τ^(2n−2), 0])`, times δ⁻¹: snarkjs' H section. (It
    /// leaves out τ^(2n−1), which a ptau file does not hold; Q has degree at most 2n − 2, so the
    /// term it would meet is zero.) The arkworks generator passes `max_power = n − 1`.
    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        let n = max_power + 1;
        let double = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let mut powers = Vec::with_capacity(2 * n);
        let mut p = F::one();
        for _ in 0..2 * n - 1 {
            powers.push(p);
            p *= t;
        }
        powers.push(F::zero());
        double.ifft_in_place(&mut powers);
        Ok(powers.into_iter().skip(1).step_by(2).map(|l| l * delta_inverse).collect())
    }
}
