//! Poseidon over BN254 `Fr`, bit-for-bit circomlib's (`circomlibjs.poseidon`): x^5 S-box,
//! 8 full rounds, the circomlib partial-round counts, capacity element 0 first, output
//! `state[0]`. Round constants and MDS matrices are circomlib's, taken from `light-poseidon`.
//!
//! The permutation is written out here (rather than calling `light-poseidon` per hash) so the
//! parameters are parsed once per width and so `healthzk-circuits::poseidon` can mirror it
//! line by line; a test checks it against `light-poseidon` and against circomlibjs vectors.

use crate::Fr;
use ark_ff::Field;
use light_poseidon::{parameters::bn254_x5::get_poseidon_parameters, PoseidonParameters};
use std::sync::OnceLock;

/// Largest number of inputs supported (state width 13).
pub const MAX_INPUTS: usize = 12;

static PARAMS: [OnceLock<PoseidonParameters<Fr>>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];

/// circomlib's parameters for `n` inputs (state width `n + 1`).
///
/// # Panics
/// If `n` is 0 or greater than [`MAX_INPUTS`]; arities are fixed by this crate's encodings.
pub fn params(n: usize) -> &'static PoseidonParameters<Fr> {
    assert!((1..=MAX_INPUTS).contains(&n), "poseidon arity {n} outside 1..=12");
    PARAMS[n - 1].get_or_init(|| get_poseidon_parameters::<Fr>((n + 1) as u8).expect("circomlib widths 2..=13 exist"))
}

/// Poseidon hash of `inputs` (1 to 12 elements), as circomlibjs `poseidon(inputs)`.
///
/// # Panics
/// If `inputs` is empty or longer than [`MAX_INPUTS`].
pub fn hash(inputs: &[Fr]) -> Fr {
    let p = params(inputs.len());
    let t = p.width;
    let mut state = Vec::with_capacity(t);
    state.push(Fr::from(0u64));
    state.extend_from_slice(inputs);
    let half = p.full_rounds / 2;
    let total = p.full_rounds + p.partial_rounds;
    let mut next = vec![Fr::from(0u64); t];
    for round in 0..total {
        for (i, s) in state.iter_mut().enumerate() {
            *s += p.ark[round * t + i];
        }
        if round < half || round >= half + p.partial_rounds {
            for s in state.iter_mut() {
                *s = sbox(*s);
            }
        } else {
            state[0] = sbox(state[0]);
        }
        for (i, n) in next.iter_mut().enumerate() {
            *n = state.iter().zip(&p.mds[i]).map(|(a, m)| *a * m).sum();
        }
        std::mem::swap(&mut state, &mut next);
    }
    state[0]
}

/// Two-to-one hash of Merkle nodes: `Poseidon(left, right)`.
pub fn hash2(left: Fr, right: Fr) -> Fr {
    hash(&[left, right])
}

#[inline]
fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// The chained Poseidon-12 sponge used for policies and models: `acc = tag`; for each chunk of
/// 11 elements (the last zero-padded), `acc = Poseidon(acc, chunk…)`; the result is `acc`.
pub fn chain(tag: Fr, elements: &[Fr]) -> Fr {
    let mut acc = tag;
    for chunk in elements.chunks(11) {
        let mut inp = vec![acc];
        inp.extend_from_slice(chunk);
        inp.resize(12, Fr::from(0u64));
        acc = hash(&inp);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{parse_hex, to_hex};
    use light_poseidon::{Poseidon, PoseidonHasher};
    use proptest::prelude::*;

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    /// Golden vectors computed with circomlibjs 0.1.7 `buildPoseidon()`.
    #[test]
    fn circomlibjs_golden_vectors() {
        let cases: [(&[u64], &str); 4] = [
            (&[1], "0x29176100eaa962bdc1fe6c654d6a3c130e96a4d1168b33848b897dc502820133"),
            (&[1, 2], "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"),
            (&[0, 0], "0x2098f5fb9e239eab3ceac3f27b81e481dc3124d55ffed523a839ee8446b64864"),
            (
                &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                "0x058814945232937db248a01e7cc55b3d681cc08702c8168494e856c1ef7693b5",
            ),
        ];
        for (inputs, expected) in cases {
            let xs: Vec<Fr> = inputs.iter().map(|&n| fr(n)).collect();
            assert_eq!(to_hex(&hash(&xs)), expected, "poseidon({inputs:?})");
            assert_eq!(hash(&xs), parse_hex("v", expected).unwrap());
        }
    }

    proptest! {
        #[test]
        fn equals_light_poseidon(n in 1usize..=12, seed in any::<[u64; 12]>()) {
            let xs: Vec<Fr> = seed[..n].iter().map(|&s| fr(s) * fr(s ^ 0x9e37_79b9_7f4a_7c15)).collect();
            let mut lp = Poseidon::<Fr>::new_circom(n).unwrap();
            prop_assert_eq!(hash(&xs), lp.hash(&xs).unwrap());
        }
    }

    #[test]
    #[should_panic(expected = "outside 1..=12")]
    fn arity_13_is_a_programming_error() {
        hash(&[fr(0); 13]);
    }
}
