//! healthzk-verifier: checks a presentation against a verifying key, the verifier's policy,
//! the challenge it issued, its scope, an `as_of` window and the issuer and revocation roots it
//! accepts,
//! and returns a [`Verdict`] naming the first reason for rejection.
//!
//! Lightweight on purpose: depends on `healthzk-core`, `ark-groth16`, `ark-bn254` and
//! `merlin` (and, for the trust bundles' EIP-191 signatures, `k256` and `sha3`), has no
//! constraint code and no chain client, performs no I/O, and is meant to build for wasm32.
//! Proof points are decoded with full validation (on curve, G2 subgroup, not the identity).
//! Replay protection rests on the challenge and the nullifier, never on proof bytes:
//! Groth16 proofs are malleable.
#![deny(missing_docs)]

pub mod bundle;
pub mod snarkjs;

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{
    pairing::{MillerLoopOutput, Pairing},
    AffineRepr, CurveGroup,
};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{prepare_verifying_key, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Validate};
use healthzk_core::{
    day::Day,
    field,
    presentation::{Presentation, PRESENTATION_FORMAT, PROOF_BYTES},
    statement::{PublicInputs, Statement},
};
use rand::{CryptoRng, RngCore};
use std::fmt;

/// Why a presentation was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Unknown format marker or statement.
    UnsupportedFormat(String),
    /// A public input is not a canonical field element (or a valid date); names it.
    NonCanonicalInput(String),
    /// The proof is not 128 bytes of hex.
    MalformedProof(String),
    /// A proof point is off the curve, outside the subgroup, or the identity; names it.
    MalformedPoint(String),
    /// The presentation's key id is not this verifier's key.
    UnknownKeyId(String),
    /// The issuer root is not among the accepted (anchored, unrevoked) roots.
    RootNotAccepted,
    /// The revocation root is not one the verifier accepts for that issuer: unknown, or
    /// superseded too long ago (stale).
    RevocationRootNotAccepted,
    /// The policy hash is not the hash of the verifier's policy.
    PolicyMismatch,
    /// The challenge is not the one this verifier issued.
    ChallengeMismatch,
    /// The scope is not this verifier's.
    ScopeMismatch,
    /// `as_of` lies outside the accepted window.
    AsOfOutsideWindow {
        /// The presentation's day.
        as_of: Day,
        /// Earliest accepted.
        earliest: Day,
        /// Latest accepted.
        latest: Day,
    },
    /// The Groth16 proof does not verify for these public inputs.
    InvalidProof,
}

impl Rejection {
    /// Whether the presentation was malformed (bad input) rather than well-formed and false.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Rejection::UnsupportedFormat(_)
                | Rejection::NonCanonicalInput(_)
                | Rejection::MalformedProof(_)
                | Rejection::MalformedPoint(_)
        )
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::UnsupportedFormat(m) => write!(f, "unsupported presentation: {m}"),
            Rejection::NonCanonicalInput(m) => write!(f, "non-canonical public input: {m}"),
            Rejection::MalformedProof(m) => write!(f, "malformed proof: {m}"),
            Rejection::MalformedPoint(m) => write!(f, "malformed proof point: {m}"),
            Rejection::UnknownKeyId(k) => write!(f, "unknown key id {k}"),
            Rejection::RootNotAccepted => write!(f, "issuer root is not an accepted anchored root"),
            Rejection::RevocationRootNotAccepted => write!(
                f,
                "revocation root is not the issuer's current one (stale or unknown): the holder must prove against the latest revocation list"
            ),
            Rejection::PolicyMismatch => {
                write!(f, "policy hash does not match the verifier's policy")
            }
            Rejection::ChallengeMismatch => write!(f, "challenge does not match the one issued"),
            Rejection::ScopeMismatch => write!(f, "scope does not match the verifier's scope"),
            Rejection::AsOfOutsideWindow { as_of, earliest, latest } => {
                write!(f, "as_of {as_of} outside the accepted window {earliest}..={latest}")
            }
            Rejection::InvalidProof => write!(f, "invalid proof"),
        }
    }
}

/// The outcome of verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted; the nullifier is the holder's pseudonym in this scope.
    Accepted {
        /// The presentation's nullifier.
        nullifier: Fr,
    },
    /// Rejected, with the first reason found.
    Rejected(Rejection),
}

impl Verdict {
    /// Whether the presentation was accepted.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted { .. })
    }
}

/// What the verifier expects of a presentation.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// Hash of the verifier's policy.
    pub policy_hash: Fr,
    /// The challenge it issued.
    pub challenge: Fr,
    /// Its scope.
    pub scope: Fr,
    /// Earliest accepted `as_of`.
    pub earliest: Day,
    /// Latest accepted `as_of`.
    pub latest: Day,
    /// Accepted issuer roots — of one issuer, the one whose revocation roots follow.
    pub accepted_roots: Vec<Fr>,
    /// That issuer's accepted revocation roots: its current one, and any it superseded
    /// within the verifier's grace period. Never mix issuers: a credential of one issuer
    /// proven against another's revocation list would escape its own revocations.
    pub accepted_revocation_roots: Vec<Fr>,
}

/// The `as_of` days a verifier accepts on `today`: `[today − tolerance, today]`. The tolerance
/// covers clocks and time zones a day apart, and it widens every date window of every policy by
/// that many days (a dose 13 days old passes a ≥ 14-day rule with a tolerance of 1, proved as
/// of yesterday). A future `as_of` is never accepted: it would shift the windows the other way
/// and buys an honest holder nothing.
pub fn as_of_window(today: Day, tolerance_days: u32) -> (Day, Day) {
    (today.plus(-i64::from(tolerance_days)), today)
}

/// A verifier for one statement under one verifying key. Both statements (credential query
/// and score threshold) have the same seven public inputs; for the score statement the second,
/// `policy_hash`, is the registered model's hash.
pub struct Verifier {
    pvk: PreparedVerifyingKey<Bn254>,
    key_id: [u8; 32],
    statement: Statement,
    /// β's line coefficients, for batch verification.
    beta_prepared: <Bn254 as Pairing>::G2Prepared,
    /// Fixed-base tables for `gamma_abc_g1[1..]`, one per public input.
    input_tables: Vec<FixedBaseTable>,
}

/// Fixed-base multiplication table for one G1 point: 32 windows of 8 bits, each holding
/// `j · 2^(8i) · P` for j = 1..=255 (affine). A scalar multiplication is then at most 32
/// mixed additions instead of ~254 doublings and additions. 32 × 255 points = 510 KiB.
#[derive(Clone)]
pub struct FixedBaseTable {
    windows: Vec<Vec<G1Affine>>,
}

impl fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBaseTable").field("windows", &self.windows.len()).finish()
    }
}

impl FixedBaseTable {
    /// Builds the table for `base`.
    pub fn new(base: G1Affine) -> Self {
        let mut windows = Vec::with_capacity(32);
        let mut w = base.into_group();
        for _ in 0..32 {
            let mut row = Vec::with_capacity(255);
            let mut acc = w;
            for _ in 0..255 {
                row.push(acc);
                acc += w;
            }
            windows.push(G1Projective::normalize_batch(&row));
            w = acc; // 256 · w
        }
        FixedBaseTable { windows }
    }

    /// `s · base`.
    pub fn mul(&self, s: &Fr) -> G1Projective {
        let bytes = s.into_bigint().to_bytes_le();
        let mut acc = G1Projective::default();
        for (row, &b) in self.windows.iter().zip(&bytes) {
            if b != 0 {
                acc += row[b as usize - 1];
            }
        }
        acc
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("key_id", &self.key_id_hex()).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier of `statement`'s presentations under `vk`, whose key id is `key_id` (SHA-256
    /// of its compressed form). For the score statement the expected `policy_hash` is the
    /// registered model hash.
    pub fn new(statement: Statement, vk: &VerifyingKey<Bn254>, key_id: [u8; 32]) -> Self {
        let input_tables = vk.gamma_abc_g1.iter().skip(1).map(|p| FixedBaseTable::new(*p)).collect();
        Verifier { pvk: prepare_verifying_key(vk), key_id, statement, beta_prepared: vk.beta_g2.into(), input_tables }
    }

    /// The statement it verifies.
    pub fn statement(&self) -> Statement {
        self.statement
    }

    /// The key id.
    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id)
    }

    /// Verifies a presentation; never panics on any input.
    pub fn verify(&self, p: &Presentation, e: &Expectations) -> Verdict {
        match self.check(p, e) {
            Ok(nullifier) => Verdict::Accepted { nullifier },
            Err(r) => Verdict::Rejected(r),
        }
    }

    fn check(&self, p: &Presentation, e: &Expectations) -> Result<Fr, Rejection> {
        self.check_envelope(p)?;
        let public = p.public.parse().map_err(|e| Rejection::NonCanonicalInput(e.to_string()))?;
        let proof = decode_proof(&p.proof)?;
        self.check_terms(p, &public, e)?;
        self.verify_proof(&public, &proof)?;
        Ok(public.nullifier)
    }

    /// Every check but the Groth16 one, on a presentation whose public inputs are already
    /// parsed: format, statement, key id, roots, policy, challenge, scope, date window. A
    /// caller batching the proofs ([`Verifier::verify_proof_batch`]) runs this first.
    pub fn check_terms(&self, p: &Presentation, public: &PublicInputs, e: &Expectations) -> Result<(), Rejection> {
        self.check_envelope(p)?;
        if p.key_id != self.key_id_hex() {
            return Err(Rejection::UnknownKeyId(p.key_id.clone()));
        }
        self.check_public(public, e)
    }

    /// Format marker and statement.
    fn check_envelope(&self, p: &Presentation) -> Result<(), Rejection> {
        if p.format != PRESENTATION_FORMAT {
            return Err(Rejection::UnsupportedFormat(format!("format {:?}", p.format)));
        }
        if p.statement != self.statement.name() {
            return Err(Rejection::UnsupportedFormat(format!(
                "statement {:?}; this verifier checks {:?}",
                p.statement,
                self.statement.name()
            )));
        }
        Ok(())
    }

    fn check_public(&self, public: &PublicInputs, e: &Expectations) -> Result<(), Rejection> {
        if !e.accepted_roots.contains(&public.issuer_root) {
            return Err(Rejection::RootNotAccepted);
        }
        if !e.accepted_revocation_roots.contains(&public.revocation_root) {
            return Err(Rejection::RevocationRootNotAccepted);
        }
        if public.policy_hash != e.policy_hash {
            return Err(Rejection::PolicyMismatch);
        }
        if public.challenge != e.challenge {
            return Err(Rejection::ChallengeMismatch);
        }
        if public.scope != e.scope {
            return Err(Rejection::ScopeMismatch);
        }
        if public.as_of < e.earliest || public.as_of > e.latest {
            return Err(Rejection::AsOfOutsideWindow { as_of: public.as_of, earliest: e.earliest, latest: e.latest });
        }
        Ok(())
    }

    /// The Groth16 check alone, on typed inputs:
    /// `e(A, B) · e(Σ xᵢ·ICᵢ, −γ) · e(C, −δ) = e(α, β)`.
    ///
    /// With the `parallel` feature (default) the Miller loop of `(A, B)` — which must first
    /// compute B's line coefficients — runs on one rayon thread while the other prepares the
    /// inputs and runs the two loops against the precomputed `−γ`, `−δ`; one final
    /// exponentiation follows. The result is the same as arkworks' `verify_proof`.
    pub fn verify_proof(&self, public: &PublicInputs, proof: &Proof<Bn254>) -> Result<(), Rejection> {
        let inputs = public.to_field_elements();
        if inputs.len() != self.input_tables.len() {
            return Err(Rejection::InvalidProof);
        }
        let ab = || Bn254::multi_miller_loop([proof.a], [proof.b]);
        let rest = || {
            let mut prepared = self.pvk.vk.gamma_abc_g1[0].into_group();
            for (t, x) in self.input_tables.iter().zip(&inputs) {
                prepared += t.mul(x);
            }
            Bn254::multi_miller_loop(
                [prepared.into_affine(), proof.c],
                [self.pvk.gamma_g2_neg_pc.clone(), self.pvk.delta_g2_neg_pc.clone()],
            )
        };
        #[cfg(feature = "parallel")]
        let (f1, f2) = rayon::join(ab, rest);
        #[cfg(not(feature = "parallel"))]
        let (f1, f2) = (ab(), rest());
        match Bn254::final_exponentiation(MillerLoopOutput(f1.0 * f2.0)) {
            Some(gt) if gt.0 == self.pvk.alpha_g1_beta_g2 => Ok(()),
            _ => Err(Rejection::InvalidProof),
        }
    }
}

impl Verifier {
    /// Verifies many Groth16 proofs under this key at once. With coefficients `ρ_i` drawn
    /// from a merlin transcript over the key id, every proof and every input, and 32 bytes of
    /// the verifier's randomness, it checks the random linear combination
    ///
    /// `Π e(ρ_i·A_i, B_i) · e(Σ_i ρ_i·IC(x_i), −γ) · e(Σ_i ρ_i·C_i, −δ) · e(−(Σ ρ_i)·α, β) = 1`
    ///
    /// — n + 3 Miller loops (the proofs' loops split over rayon threads) and one final
    /// exponentiation, instead of 3n loops and n exponentiations. `Σ_i ρ_i·IC(x_i)` is
    /// `IC_0·Σρ_i + Σ_j (Σ_i ρ_i·x_ij)·IC_j`: the inputs are combined in the scalar field first,
    /// so it costs one fixed-base multiplication per public input, whatever n. A false proof
    /// passes only if the 128-bit coefficients hit a root of a nonzero relation
    /// (probability ≤ 2^-128 per batch).
    ///
    /// On failure every proof is checked on its own (in parallel) and the indices of the bad
    /// ones are returned, in order.
    pub fn verify_proof_batch<R: RngCore + CryptoRng>(
        &self,
        items: &[(PublicInputs, Proof<Bn254>)],
        rng: &mut R,
    ) -> Result<(), Vec<usize>> {
        if items.is_empty() || self.batch_holds(items, rng) {
            return Ok(());
        }
        let check = |i: usize| self.verify_proof(&items[i].0, &items[i].1).is_err();
        #[cfg(feature = "parallel")]
        let bad: Vec<usize> = {
            use rayon::prelude::*;
            (0..items.len()).into_par_iter().filter(|&i| check(i)).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let bad: Vec<usize> = (0..items.len()).filter(|&i| check(i)).collect();
        // A batch can only fail because of a bad proof; if none is found alone, report all.
        Err(if bad.is_empty() { (0..items.len()).collect() } else { bad })
    }

    fn batch_holds<R: RngCore + CryptoRng>(&self, items: &[(PublicInputs, Proof<Bn254>)], rng: &mut R) -> bool {
        let mut t = merlin::Transcript::new(b"healthzk groth16 batch v1");
        t.append_message(b"key id", &self.key_id);
        t.append_u64(b"n", items.len() as u64);
        for (public, proof) in items {
            t.append_message(b"proof", &encode_proof(proof));
            for x in public.to_field_elements() {
                t.append_message(b"input", &field::to_be_bytes(&x));
            }
        }
        let mut nonce = [0u8; 32];
        rng.fill_bytes(&mut nonce);
        t.append_message(b"verifier nonce", &nonce);
        let rho: Vec<Fr> = (0..items.len())
            .map(|_| {
                let mut b = [0u8; 16];
                t.challenge_bytes(b"rho", &mut b);
                Fr::from(u128::from_le_bytes(b) | 1) // nonzero, 128 bits
            })
            .collect();

        // Σρ·IC(x) through the scalar field, then the fixed-base tables.
        let n_inputs = self.input_tables.len();
        let mut combined = vec![Fr::from(0u64); n_inputs];
        let mut rho_sum = Fr::from(0u64);
        for ((public, _), r) in items.iter().zip(&rho) {
            let x = public.to_field_elements();
            if x.len() != n_inputs {
                return false;
            }
            for (c, x) in combined.iter_mut().zip(x) {
                *c += *r * x;
            }
            rho_sum += r;
        }
        let mut ic = self.pvk.vk.gamma_abc_g1[0] * rho_sum;
        for (t, s) in self.input_tables.iter().zip(&combined) {
            ic += t.mul(s);
        }
        let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.c).collect();
        let c_sum = <G1Projective as ark_ec::VariableBaseMSM>::msm(&cs, &rho).expect("equal lengths");
        let scaled_a: Vec<G1Projective> = items.iter().zip(&rho).map(|((_, p), r)| p.a * r).collect();
        let scaled_a = G1Projective::normalize_batch(&scaled_a);
        let alpha = -(self.pvk.vk.alpha_g1 * rho_sum);
        let fixed_g1 = G1Projective::normalize_batch(&[ic, c_sum, alpha]);
        let fixed = Bn254::multi_miller_loop(
            fixed_g1,
            [self.pvk.gamma_g2_neg_pc.clone(), self.pvk.delta_g2_neg_pc.clone(), self.beta_prepared.clone()],
        );
        let loop_chunk = |a: &[G1Affine], b: &[(PublicInputs, Proof<Bn254>)]| {
            Bn254::multi_miller_loop(a.iter().copied(), b.iter().map(|(_, p)| p.b))
        };
        #[cfg(feature = "parallel")]
        let proofs_loop = {
            use rayon::prelude::*;
            let chunk = items.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
            scaled_a
                .par_chunks(chunk)
                .zip(items.par_chunks(chunk))
                .map(|(a, b)| loop_chunk(a, b).0)
                .reduce(|| <Bn254 as Pairing>::TargetField::from(1u64), |x, y| x * y)
        };
        #[cfg(not(feature = "parallel"))]
        let proofs_loop = loop_chunk(&scaled_a, items).0;
        match Bn254::final_exponentiation(MillerLoopOutput(proofs_loop * fixed.0)) {
            Some(gt) => gt.0 == <Bn254 as Pairing>::TargetField::from(1u64),
            None => false,
        }
    }
}

/// Decodes a hex proof of exactly 128 bytes, validating each point.
pub fn decode_proof(hex_str: &str) -> Result<Proof<Bn254>, Rejection> {
    let bytes = hex::decode(hex_str).map_err(|_| Rejection::MalformedProof("not hexadecimal".into()))?;
    if bytes.len() != PROOF_BYTES {
        return Err(Rejection::MalformedProof(format!("expected {PROOF_BYTES} bytes, got {}", bytes.len())));
    }
    decode_proof_bytes(bytes[..].try_into().expect("128"))
}

/// Decodes a 128-byte compressed proof, validating each point.
pub fn decode_proof_bytes(bytes: &[u8; PROOF_BYTES]) -> Result<Proof<Bn254>, Rejection> {
    let point = |name: &str, e: SerializationError| Rejection::MalformedPoint(format!("{name}: {e}"));
    let a = G1Affine::deserialize_with_mode(&bytes[..32], Compress::Yes, Validate::Yes).map_err(|e| point("A", e))?;
    let b = G2Affine::deserialize_with_mode(&bytes[32..96], Compress::Yes, Validate::Yes).map_err(|e| point("B", e))?;
    let c = G1Affine::deserialize_with_mode(&bytes[96..], Compress::Yes, Validate::Yes).map_err(|e| point("C", e))?;
    for (name, zero) in [("A", a.is_zero()), ("B", b.is_zero()), ("C", c.is_zero())] {
        if zero {
            return Err(Rejection::MalformedPoint(format!("{name} is the point at infinity")));
        }
    }
    Ok(Proof { a, b, c })
}

/// Encodes a proof as 128 compressed bytes.
pub fn encode_proof(p: &Proof<Bn254>) -> [u8; PROOF_BYTES] {
    let mut v = Vec::with_capacity(PROOF_BYTES);
    p.serialize_compressed(&mut v).expect("Vec write");
    v.try_into().expect("128 bytes")
}

/// A fresh challenge: a merlin transcript over the verifier's request context (policy,
/// scope, its own identifiers) and 32 bytes of OS randomness, squeezed to 31 bytes so the
/// value is canonical.
pub fn fresh_challenge<R: RngCore + CryptoRng>(context: &[u8], rng: &mut R) -> Fr {
    let mut t = merlin::Transcript::new(b"healthzk challenge v1");
    t.append_message(b"context", context);
    let mut nonce = [0u8; 32];
    rng.fill_bytes(&mut nonce);
    t.append_message(b"nonce", &nonce);
    let mut out = [0u8; 32];
    t.challenge_bytes(b"challenge", &mut out[1..]);
    field::from_be_bytes(&out).expect("< 2^248")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn fixed_base_table_equals_scalar_multiplication() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let base = (G1Affine::generator() * Fr::rand(&mut rng)).into_affine();
        let t = FixedBaseTable::new(base);
        let mut scalars = vec![Fr::from(0u64), Fr::from(1u64), Fr::from(255u64), Fr::from(256u64), -Fr::from(1u64)];
        scalars.extend((0..20).map(|_| Fr::rand(&mut rng)));
        for s in scalars {
            assert_eq!(t.mul(&s).into_affine(), (base * s).into_affine(), "{s}");
        }
    }
}
