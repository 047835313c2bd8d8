//! EVM encoding of field elements, points, proofs and verifying keys, in the layout the
//! Solidity verifier and the precompiles (EIP-196/197) expect.
//!
//! G1 points are `(x, y)`; G2 points are `[x.c1, x.c0, y.c1, y.c0]` — imaginary part first,
//! the opposite of arkworks' and snarkjs' JSON order. The point at infinity is `(0, 0)`.

use alloy_primitives::U256;
use ark_bn254::{Bn254, Fq, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::PrimeField;
use ark_groth16::{Proof, VerifyingKey};
use healthzk_core::statement::{PublicInputs, NUM_PUBLIC_INPUTS};

/// The scalar field modulus r as a `U256` (public inputs must be below it).
pub fn scalar_modulus() -> U256 {
    U256::from_limbs(Fr::MODULUS.0)
}

/// The base field modulus q as a `U256` (point coordinates must be below it).
pub fn base_modulus() -> U256 {
    U256::from_limbs(Fq::MODULUS.0)
}

/// A scalar field element as a `U256` (its canonical integer).
pub fn fr_to_u256(x: &Fr) -> U256 {
    U256::from_limbs(x.into_bigint().0)
}

/// A `U256` as a scalar field element, or `None` if it is not canonical (≥ r). Never reduces.
pub fn u256_to_fr(x: U256) -> Option<Fr> {
    let bytes: [u8; 32] = x.to_le_bytes();
    let mut limbs = [0u64; 4];
    for (i, l) in limbs.iter_mut().enumerate() {
        *l = u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    }
    Fr::from_bigint(ark_ff::BigInt::new(limbs))
}

fn fq(x: &Fq) -> U256 {
    U256::from_limbs(x.into_bigint().0)
}

/// A G1 point as `[x, y]` (`[0, 0]` for the identity).
pub fn g1(p: &G1Affine) -> [U256; 2] {
    match p.xy() {
        Some((x, y)) => [fq(&x), fq(&y)],
        None => [U256::ZERO; 2],
    }
}

/// A G2 point as `[x.c1, x.c0, y.c1, y.c0]` (all zero for the identity).
pub fn g2(p: &G2Affine) -> [U256; 4] {
    match p.xy() {
        Some((x, y)) => [fq(&x.c1), fq(&x.c0), fq(&y.c1), fq(&y.c0)],
        None => [U256::ZERO; 4],
    }
}

/// A proof as the verifier contract's `uint256[8]`: `A.x, A.y, B (4), C.x, C.y`.
pub fn proof(p: &Proof<Bn254>) -> [U256; 8] {
    let a = g1(&p.a);
    let b = g2(&p.b);
    let c = g1(&p.c);
    [a[0], a[1], b[0], b[1], b[2], b[3], c[0], c[1]]
}

/// The seven public inputs in circuit order, as the contract's `uint256[7]`.
pub fn public_inputs(p: &PublicInputs) -> [U256; NUM_PUBLIC_INPUTS] {
    p.to_field_elements().map(|x| fr_to_u256(&x))
}

/// The verifier contract's constructor arguments for a verifying key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierArgs {
    /// `[α.x, α.y]`.
    pub alpha: [U256; 2],
    /// β in EVM G2 order.
    pub beta: [U256; 4],
    /// γ in EVM G2 order.
    pub gamma: [U256; 4],
    /// δ in EVM G2 order.
    pub delta: [U256; 4],
    /// `IC0.x, IC0.y, …, IC7.x, IC7.y`.
    pub ic: [U256; 2 * (NUM_PUBLIC_INPUTS + 1)],
}

/// Why a verifying key cannot be encoded for the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the verifying key has {0} input points; the contract takes exactly {n} (7 public inputs + 1)", n = NUM_PUBLIC_INPUTS + 1)]
pub struct WrongInputCount(pub usize);

impl VerifierArgs {
    /// Encodes a verifying key with exactly seven public inputs.
    pub fn new(vk: &VerifyingKey<Bn254>) -> Result<Self, WrongInputCount> {
        if vk.gamma_abc_g1.len() != NUM_PUBLIC_INPUTS + 1 {
            return Err(WrongInputCount(vk.gamma_abc_g1.len()));
        }
        let mut ic = [U256::ZERO; 2 * (NUM_PUBLIC_INPUTS + 1)];
        for (i, p) in vk.gamma_abc_g1.iter().enumerate() {
            let [x, y] = g1(p);
            ic[2 * i] = x;
            ic[2 * i + 1] = y;
        }
        Ok(VerifierArgs {
            alpha: g1(&vk.alpha_g1),
            beta: g2(&vk.beta_g2),
            gamma: g2(&vk.gamma_g2),
            delta: g2(&vk.delta_g2),
            ic,
        })
    }
}

/// Decimal text of a `U256` (for Solidity source).
pub fn decimal(x: &U256) -> String {
    x.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn scalars_round_trip_and_r_is_refused() {
        let mut rng = rand::thread_rng();
        for _ in 0..100 {
            let x = Fr::rand(&mut rng);
            assert_eq!(u256_to_fr(fr_to_u256(&x)), Some(x));
        }
        let r = scalar_modulus();
        assert_eq!(u256_to_fr(r), None);
        assert_eq!(u256_to_fr(r - U256::from(1)), Some(-Fr::from(1u64)));
        assert_eq!(u256_to_fr(U256::MAX), None);
        assert_eq!(r.to_string(), "21888242871839275222246405745257275088548364400416034343698204186575808495617");
        assert_eq!(
            base_modulus().to_string(),
            "21888242871839275222246405745257275088696311157297823662689037894645226208583"
        );
    }

    #[test]
    fn g2_is_imaginary_part_first() {
        let p = G2Affine::generator();
        let e = g2(&p);
        assert_eq!(e[0], fq(&p.x.c1));
        assert_eq!(e[1], fq(&p.x.c0));
        assert_eq!(e[2], fq(&p.y.c1));
        assert_eq!(e[3], fq(&p.y.c0));
        // The generator's x.c0 as the EIP-197 test vectors state it.
        assert_eq!(e[1].to_string(), "10857046999023057135944570762232829481370756359578518086990519993285655852781");
    }
}
