//! Poseidon gadget, the twin of `healthzk_core::poseidon::hash`: same circomlib parameters,
//! same round structure. Each S-box `x^5` costs 3 constraints; additions and the MDS mix are
//! linear and free, so a hash of `n` witness inputs costs `3·(8·(n+1) + R_P) − 3` constraints (the
//! capacity lane starts as the constant 0, so its first S-box is free).

use crate::{FrVar, SynthesisError};
use ark_r1cs_std::fields::FieldVar;
use healthzk_core::poseidon::params;

/// Poseidon of 1 to 12 field variables.
pub fn hash(inputs: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let p = params(inputs.len());
    let t = p.width;
    let mut state: Vec<FrVar> = Vec::with_capacity(t);
    state.push(FrVar::zero());
    state.extend_from_slice(inputs);
    let half = p.full_rounds / 2;
    let total = p.full_rounds + p.partial_rounds;
    for round in 0..total {
        for (i, s) in state.iter_mut().enumerate() {
            *s += p.ark[round * t + i];
        }
        if round < half || round >= half + p.partial_rounds {
            for s in state.iter_mut() {
                *s = sbox(s)?;
            }
        } else {
            state[0] = sbox(&state[0])?;
        }
        state = (0..t)
            .map(|i| state.iter().zip(&p.mds[i]).fold(FrVar::zero(), |acc, (s, m)| acc + s.clone() * *m))
            .collect();
    }
    Ok(state.swap_remove(0))
}

/// Twin of `healthzk_core::poseidon::chain`: the chained Poseidon-12 sponge from `tag`.
pub fn chain(tag: healthzk_core::Fr, elements: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let mut acc = FrVar::constant(tag);
    for chunk in elements.chunks(11) {
        let mut inp = vec![acc];
        inp.extend_from_slice(chunk);
        inp.resize(12, FrVar::zero());
        acc = hash(&inp)?;
    }
    Ok(acc)
}

fn sbox(x: &FrVar) -> Result<FrVar, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use healthzk_core::{poseidon as native, Fr};
    use proptest::prelude::*;

    /// Constraint cost per arity, pinned: a change is a visible decision.
    /// `3·(8·(n+1) + R_P) − 3`: the capacity lane is the constant 0 in round 1, so its first
    /// S-box is free.
    const COSTS: [usize; 12] = [213, 240, 261, 297, 321, 354, 381, 402, 417, 459, 465, 504];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn gadget_equals_native(n in 1usize..=12, seed in any::<u64>()) {
            let xs: Vec<Fr> = (0..n as u64).map(|i| Fr::from(seed.wrapping_mul(i + 1)) * Fr::from(seed ^ i)).collect();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<FrVar> = xs.iter().map(|x| FrVar::new_witness(cs.clone(), || Ok(*x)).unwrap()).collect();
            let out = hash(&vars).unwrap();
            prop_assert_eq!(out.value().unwrap(), native::hash(&xs));
            prop_assert!(cs.is_satisfied().unwrap());
            prop_assert_eq!(cs.num_constraints(), COSTS[n - 1]);
        }
    }

    #[test]
    fn constants_cost_nothing_and_agree() {
        let xs = [Fr::from(1u64), Fr::from(2u64)];
        let out = hash(&[FrVar::constant(xs[0]), FrVar::constant(xs[1])]).unwrap();
        assert_eq!(out.value().unwrap(), native::hash(&xs));
        assert!(out.is_constant());
    }

    #[test]
    fn wrong_output_is_unsatisfied() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FrVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let b = FrVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
        let claimed = FrVar::new_input(cs.clone(), || Ok(native::hash(&[Fr::from(1u64), Fr::from(3u64)]))).unwrap();
        use ark_r1cs_std::eq::EqGadget;
        hash(&[a, b]).unwrap().enforce_equal(&claimed).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
