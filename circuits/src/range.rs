//! Range checks: a value is the sum of `bits` boolean witnesses weighted by powers of two, so
//! it lies in `[0, 2^bits)`. With `bits ≤ 252 < log2(r)` the decomposition is unique — no
//! aliasing modulo r. Costs `bits + 1` constraints.

use crate::{BoolVar, FrVar, SynthesisError};
use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::FieldVar, GR1CSVar};
use healthzk_core::Fr;

/// Enforces `0 ≤ x < 2^bits` and returns the bits, least significant first.
///
/// For an out-of-range witness the bits are x's low `bits` bits, so the system is
/// unsatisfied rather than the synthesis failing (useful to build unsatisfied witnesses).
pub fn enforce_bits(x: &FrVar, bits: usize) -> Result<Vec<BoolVar>, SynthesisError> {
    assert!(bits > 0 && bits <= 252, "range width {bits} must be in 1..=252");
    if let FrVar::Constant(c) = x {
        let b = c.into_bigint();
        if b.num_bits() as usize > bits {
            return Err(SynthesisError::Unsatisfiable);
        }
        return Ok((0..bits).map(|i| BoolVar::constant(b.get_bit(i))).collect());
    }
    let cs = x.cs();
    let value = x.value().ok().map(|v| v.into_bigint());
    let out = (0..bits)
        .map(|i| {
            BoolVar::new_witness(cs.clone(), || value.map(|v| v.get_bit(i)).ok_or(SynthesisError::AssignmentMissing))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut sum = FrVar::zero();
    let mut pow = Fr::from(1u64);
    for b in &out {
        sum += FrVar::from(b.clone()) * pow;
        pow.double_in_place();
    }
    sum.enforce_equal(x)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    fn sat(v: Fr, bits: usize) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let x = FrVar::new_witness(cs.clone(), || Ok(v)).unwrap();
        enforce_bits(&x, bits).unwrap();
        assert_eq!(cs.num_constraints(), bits + 1);
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn edges_of_the_width() {
        for bits in [1usize, 8, 32, 64] {
            let max = if bits == 64 { Fr::from(u64::MAX) } else { Fr::from((1u64 << bits) - 1) };
            assert!(sat(Fr::from(0u64), bits));
            assert!(sat(max, bits), "2^{bits}-1 fits");
            assert!(!sat(max + Fr::from(1u64), bits), "2^{bits} does not fit");
            assert!(!sat(-Fr::from(1u64), bits), "r-1 does not fit {bits} bits");
        }
    }

    #[test]
    fn aliasing_x_plus_r_is_impossible() {
        // A small value and the same value + r are the same field element; the witness bits of
        // a 252-bit check must then equal the canonical ones, so only the canonical value passes.
        assert!(sat(Fr::from(5u64), 252));
        assert!(!sat(-Fr::from(5u64), 64));
    }

    #[test]
    fn constants_are_checked_natively() {
        let bits = enforce_bits(&FrVar::constant(Fr::from(0b1010_0101u64)), 8).unwrap();
        let got: Vec<bool> = bits.iter().map(|b| b.value().unwrap()).collect();
        assert_eq!(got, [true, false, true, false, false, true, false, true]);
        assert!(matches!(enforce_bits(&FrVar::constant(Fr::from(256u64)), 8), Err(SynthesisError::Unsatisfiable)));
    }
}
