//! The Groth16 phase 2 on snarkjs' `.zkey`: the initial key from a circuit and a ptau, a
//! contribution, a beacon, and the verification of a whole transcript
//! (`docs/ceremony-notes.md` §3 to §6).

use super::{
    encoding::{fr_le, u_g1, u_g2},
    error::CeremonyError,
    ffrng::{beacon_rng, hash_to_g2},
    ptau::Ptau,
    zkey::{Beacon, Contribution, Zkey},
};
use crate::{iden3::R1cs, msm};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{
    pairing::Pairing,
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AffineRepr, CurveGroup,
};
use ark_ff::{Field, One, PrimeField, UniformRand, Zero};
use blake2::{Blake2b512, Digest};
use rand::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use zeroize::Zeroize;

/// Above this domain size snarkjs hashes one more H point into the circuit hash
/// (`docs/ceremony-notes.md` §3.5, the `CHUNK_SIZE` quirk).
const HASH_CHUNK: usize = 1 << 14;

fn refused(m: String) -> CeremonyError {
    CeremonyError::Refused(m)
}

/// Whether `e(a1, b2) = e(b1, a2)`, none of the four being the identity (snarkjs' `sameRatio`).
fn same_ratio(a1: G1Affine, b1: G1Affine, a2: G2Affine, b2: G2Affine) -> bool {
    if a1.is_zero() || b1.is_zero() || a2.is_zero() || b2.is_zero() {
        return false;
    }
    Bn254::multi_pairing([a1, -b1], [b2, a2]).0.is_one()
}

/// `Σ coef·base` over a wire's terms: a multi-scalar multiplication for a long column (the
/// constant wire's has thousands of terms, Poseidon's wires dozens of full-size MDS
/// coefficients), else one multiplication per term, by the shorter of `coef` and `−coef`.
fn column<P: SWCurveConfig<ScalarField = Fr>>(terms: &[(usize, Fr)], bases: &[Affine<P>]) -> Projective<P> {
    if terms.len() > 4 {
        let (b, s): (Vec<_>, Vec<_>) = terms.iter().map(|(c, coef)| (bases[*c], coef.into_bigint())).unzip();
        return msm::msm(&b, &s);
    }
    terms.iter().fold(Projective::<P>::zero(), |acc, (c, coef)| {
        let neg = -*coef;
        let (k, sign) = if neg.into_bigint() < coef.into_bigint() { (neg, true) } else { (*coef, false) };
        let p = if k.is_one() { bases[*c].into_group() } else { bases[*c] * k };
        if sign {
            acc - p
        } else {
            acc + p
        }
    })
}

/// The circuit's wires, public inputs, constraints and QAP domain size, checked to fit `ptau`.
fn shape(r1cs: &R1cs, ptau: &Ptau<'_>) -> Result<(usize, usize, usize, usize), CeremonyError> {
    let n_public = r1cs.num_instance - 1;
    let n_vars = r1cs.num_wires();
    let nc = r1cs.num_constraints;
    let rows = nc + n_public + 1;
    let n = rows.max(2).next_power_of_two();
    let power = n.trailing_zeros();
    if power > ptau.power {
        return Err(refused(format!(
            "the circuit needs a 2^{power} domain ({nc} constraints and {} public rows); this ptau serves up to \
             2^{}: use a larger Powers of Tau file",
            n_public + 1,
            ptau.power
        )));
    }
    if n > HASH_CHUNK && power == ptau.power {
        return Err(refused(format!(
            "the circuit's 2^{power} domain fills this ptau, and snarkjs then hashes bytes past the ptau's powers \
             into the circuit hash; use a ptau of power {} or more",
            power + 1
        )));
    }
    Ok((n_vars, n_public, nc, n))
}

/// The initial H query: the odd Lagrange bases of the 2n-point domain (`docs/ceremony-notes.md` §3.3).
fn initial_h(ptau: &Ptau<'_>, n: usize) -> Result<Vec<G1Affine>, CeremonyError> {
    Ok(ptau.lagrange_g1(12, 2 * n)?.into_iter().skip(1).step_by(2).collect())
}

/// The initial `.zkey` of `r1cs` over `ptau` (no contributions; γ = δ = 1), byte for byte what
/// `snarkjs zkey new` writes for the same circuit and ptau.
pub fn new_zkey(r1cs: &R1cs, ptau: &Ptau<'_>) -> Result<Zkey, CeremonyError> {
    let (n_vars, n_public, nc, n) = shape(r1cs, ptau)?;
    let (alpha1, beta1, beta2) = ptau.alpha_beta()?;
    let l1 = ptau.lagrange_g1(12, n)?;
    let l2 = ptau.lagrange_g2(n)?;
    let al = ptau.lagrange_g1(14, n)?;
    let bl = ptau.lagrange_g1(15, n)?;
    let h = initial_h(ptau, n)?;

    // Each matrix by wire: (constraint, coefficient).
    let mut cols = vec![vec![Vec::new(); n_vars]; 3];
    for (m, matrix) in r1cs.matrices.iter().enumerate() {
        for (c, row) in matrix.iter().enumerate().take(nc) {
            for (coef, s) in row {
                cols[m][*s].push((c, *coef));
            }
        }
    }
    let a: Vec<G1Projective> = (0..n_vars)
        .into_par_iter()
        .map(|s| column(&cols[0][s], &l1) + if s <= n_public { l1[nc + s].into_group() } else { G1Projective::zero() })
        .collect();
    let b1: Vec<G1Projective> = (0..n_vars).into_par_iter().map(|s| column(&cols[1][s], &l1)).collect();
    let b2: Vec<G2Projective> = (0..n_vars).into_par_iter().map(|s| column(&cols[1][s], &l2)).collect();
    let k: Vec<G1Projective> = (0..n_vars)
        .into_par_iter()
        .map(|s| {
            column(&cols[0][s], &bl)
                + column(&cols[1][s], &al)
                + column(&cols[2][s], &l1)
                + if s <= n_public { bl[nc + s].into_group() } else { G1Projective::zero() }
        })
        .collect();
    let (a, b1, b2, k) = (
        G1Projective::normalize_batch(&a),
        G1Projective::normalize_batch(&b1),
        G2Projective::normalize_batch(&b2),
        G1Projective::normalize_batch(&k),
    );
    let (ic, c) = (k[..=n_public].to_vec(), k[n_public + 1..].to_vec());

    // Section 4: A then B terms of each constraint, values as c·R² mod r, then one A term per
    // public row.
    let r2 = Fr::from_bigint(Fr::R2).expect("R² mod r is canonical");
    let mut coefs = Vec::new();
    let mut count = 0u32;
    let mut record = |m: u32, c: usize, s: usize, v: Fr| {
        coefs.extend_from_slice(&m.to_le_bytes());
        coefs.extend_from_slice(&(c as u32).to_le_bytes());
        coefs.extend_from_slice(&(s as u32).to_le_bytes());
        coefs.extend_from_slice(&fr_le(&(v * r2)));
        count += 1;
    };
    for c in 0..nc {
        for (m, matrix) in r1cs.matrices[..2].iter().enumerate() {
            for (coef, s) in matrix.get(c).map(Vec::as_slice).unwrap_or_default() {
                record(m as u32, c, *s, *coef);
            }
        }
    }
    for s in 0..=n_public {
        record(0, nc + s, s, Fr::one());
    }
    let mut section4 = count.to_le_bytes().to_vec();
    section4.extend_from_slice(&coefs);

    // The circuit hash, with the monomial H points τⁱ·Z(τ)·G1 = τ^(n+i)·G1 − τⁱ·G1.
    let hashed = if n <= HASH_CHUNK { n - 1 } else { n };
    let tau = ptau.tau_g1(n + hashed)?;
    let hz: Vec<G1Projective> = (0..hashed).into_par_iter().map(|i| tau[n + i].into_group() - tau[i]).collect();
    let hz = G1Projective::normalize_batch(&hz);
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let mut hs = Blake2b512::new();
    hs.update(u_g1(&alpha1));
    hs.update(u_g1(&beta1));
    hs.update(u_g2(&beta2));
    hs.update(u_g2(&g2));
    hs.update(u_g1(&g1));
    hs.update(u_g2(&g2));
    let points_g1 = |hs: &mut Blake2b512, len: usize, ps: &[G1Affine]| {
        hs.update((len as u32).to_be_bytes());
        ps.iter().for_each(|p| hs.update(u_g1(p)));
    };
    points_g1(&mut hs, ic.len(), &ic);
    points_g1(&mut hs, n - 1, &hz);
    points_g1(&mut hs, c.len(), &c);
    points_g1(&mut hs, n_vars, &a);
    points_g1(&mut hs, n_vars, &b1);
    hs.update((n_vars as u32).to_be_bytes());
    b2.iter().for_each(|p| hs.update(u_g2(p)));

    Ok(Zkey {
        n_vars,
        n_public,
        domain_size: n,
        alpha1,
        beta1,
        beta2,
        gamma2: g2,
        delta1: g1,
        delta2: g2,
        ic,
        coefs: section4,
        a,
        b1,
        b2,
        c,
        h,
        cs_hash: hs.finalize().into(),
        contributions: Vec::new(),
    })
}

/// The transcript a contribution's proof of knowledge is bound to: BLAKE2b-512 of the circuit
/// hash, every earlier contribution's public key, then `U(s)‖U(x·s)`.
fn transcript_of(z: &Zkey, upto: usize, g1_s: &G1Affine, g1_sx: &G1Affine) -> [u8; 64] {
    let mut t = Blake2b512::new();
    t.update(z.cs_hash);
    z.contributions[..upto].iter().for_each(|c| t.update(c.public_key_bytes()));
    t.update(u_g1(g1_s));
    t.update(u_g1(g1_sx));
    t.finalize().into()
}

/// Multiplies δ by `x`, divides the C and H queries by it and appends the contribution.
fn apply(z: &Zkey, x: Fr, g1_s: G1Affine, beacon: Option<Beacon>, name: Option<&str>) -> (Zkey, [u8; 64]) {
    let g1_sx = (g1_s * x).into_affine();
    let transcript = transcript_of(z, z.contributions.len(), &g1_s, &g1_sx);
    let g2_spx = (hash_to_g2(&transcript) * x).into_affine();
    let mut inv = x.inverse().expect("a contribution's factor is not zero");
    let scale = |ps: &[G1Affine]| {
        let v: Vec<G1Projective> = ps.par_iter().map(|p| *p * inv).collect();
        G1Projective::normalize_batch(&v)
    };
    let mut out = z.clone();
    out.c = scale(&z.c);
    out.h = scale(&z.h);
    inv.zeroize();
    out.delta1 = (z.delta1 * x).into_affine();
    out.delta2 = (z.delta2 * x).into_affine();
    let name = name.map(|n| {
        let mut n: String = n.chars().take(64).collect();
        while n.len() > 255 {
            n.pop();
        }
        n
    });
    let c = Contribution { delta_after: out.delta1, g1_s, g1_sx, g2_spx, transcript, beacon, name };
    let hash = c.hash();
    out.contributions.push(c);
    (out, hash)
}

/// A contribution with a secret drawn from `os` (the operating system's entropy) mixed with
/// `entropy` (text the contributor typed; may be empty). The secret is zeroized before this
/// returns. Returns the new key and the contribution hash.
pub fn contribute<R: RngCore + CryptoRng>(
    z: &Zkey,
    os: &mut R,
    entropy: &[u8],
    name: Option<&str>,
) -> (Zkey, [u8; 64]) {
    let mut fresh = [0u8; 64];
    os.fill_bytes(&mut fresh);
    let mut h = Blake2b512::new();
    h.update(fresh);
    h.update(entropy);
    let mut seed: [u8; 64] = h.finalize().into();
    fresh.zeroize();
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed[..32].try_into().expect("32 bytes"));
    seed.zeroize();
    let mut x = nonzero(&mut rng);
    let mut k = nonzero(&mut rng);
    let g1_s = (G1Affine::generator() * k).into_affine();
    let out = apply(z, x, g1_s, None, name);
    x.zeroize();
    k.zeroize();
    out
}

fn nonzero<R: RngCore>(rng: &mut R) -> Fr {
    loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return x;
        }
    }
}

/// The largest beacon exponent healthzk applies or verifies: 2^32 SHA-256 iterations take
/// minutes; snarkjs allows 63, which a file from a stranger could use to stall a verifier.
pub const MAX_BEACON_EXP: u8 = 32;

/// Checks a beacon's parameters as snarkjs does, with the exponent capped at
/// [`MAX_BEACON_EXP`].
pub fn check_beacon(hash: &[u8], iterations_exp: u8) -> Result<(), CeremonyError> {
    if hash.is_empty() || hash.len() > 255 {
        return Err(CeremonyError::Malformed(format!(
            "--beacon: {} bytes; a beacon is 1 to 255 bytes of hex",
            hash.len()
        )));
    }
    if !(10..=MAX_BEACON_EXP).contains(&iterations_exp) {
        return Err(CeremonyError::Malformed(format!(
            "--iterations {iterations_exp}: the exponent of the SHA-256 iteration count must be in \
             10..={MAX_BEACON_EXP} (snarkjs allows up to 63, but 2^33 and more iterations would keep a verifier busy \
             for hours: a file from a stranger could use that to stall it)"
        )));
    }
    Ok(())
}

/// The beacon contribution: the secret is derived from public randomness `hash` (SHA-256
/// iterated 2^`iterations_exp` times), so that anyone can recompute it; it closes a ceremony.
pub fn beacon(
    z: &Zkey,
    hash: &[u8],
    iterations_exp: u8,
    name: Option<&str>,
) -> Result<(Zkey, [u8; 64]), CeremonyError> {
    check_beacon(hash, iterations_exp)?;
    let mut rng = beacon_rng(hash, iterations_exp);
    let x = rng.fr();
    let g1_s = rng.g1();
    Ok(apply(z, x, g1_s, Some(Beacon { hash: hash.to_vec(), iterations_exp }), name))
}

/// One verified contribution, as `ceremony verify` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedContribution {
    /// The contributor's name ("" when none was given).
    pub name: String,
    /// The contribution hash.
    pub hash: [u8; 64],
    /// A beacon's parameters.
    pub beacon: Option<Beacon>,
}

/// What a verified transcript is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The circuit hash.
    pub cs_hash: [u8; 64],
    /// The contributions in order.
    pub contributions: Vec<VerifiedContribution>,
    /// BLAKE2b-512 of the circuit hash and every contribution's public key, in order: it names
    /// the whole ceremony (healthzk's, recorded beside imported keys).
    pub transcript_hash: [u8; 64],
}

/// The transcript hash of a key's contributions (see [`Verified::transcript_hash`]).
pub fn transcript_hash(z: &Zkey) -> [u8; 64] {
    let mut t = Blake2b512::new();
    t.update(z.cs_hash);
    z.contributions.iter().for_each(|c| t.update(c.public_key_bytes()));
    t.finalize().into()
}

/// Verifies a phase-2 transcript against the circuit and the ptau it must have started from:
/// the initial key is rebuilt and compared, each contribution's proof of knowledge and its
/// place in the chain of deltas are checked, a beacon's secret is recomputed, and the C and H
/// queries are checked to be the initial ones divided by the final δ (by a random linear
/// combination drawn from `rng`). Every refusal names what failed.
pub fn verify<R: RngCore>(z: &Zkey, r1cs: &R1cs, ptau: &Ptau<'_>, rng: &mut R) -> Result<Verified, CeremonyError> {
    // The cheap checks first; the initial key is rebuilt last.
    let (n_vars, n_public, _, n) = shape(r1cs, ptau)?;
    if (z.n_vars, z.n_public, z.domain_size) != (n_vars, n_public, n) {
        return Err(refused(format!(
            "the zkey is for another circuit: {} wires, {} public inputs and a 2^{} domain; this statement has \
             {n_vars}, {n_public} and 2^{}",
            z.n_vars,
            z.n_public,
            z.domain_size.trailing_zeros(),
            n.trailing_zeros()
        )));
    }
    if (z.alpha1, z.beta1, z.beta2) != ptau.alpha_beta()? {
        return Err(refused("the zkey was not made from this ptau: its alpha and beta are not the ptau's".into()));
    }
    if z.gamma2 != G2Affine::generator() {
        return Err(refused("gamma2 is not the generator of G2".into()));
    }

    let mut delta = G1Affine::generator();
    let mut out = Vec::with_capacity(z.contributions.len());
    for (i, c) in z.contributions.iter().enumerate() {
        let who = format!("contribution {} ({})", i + 1, c.name.as_deref().unwrap_or("unnamed"));
        if transcript_of(z, i, &c.g1_s, &c.g1_sx) != c.transcript {
            return Err(refused(format!("{who}: its transcript hash is not the hash of the transcript before it")));
        }
        let g2_sp = hash_to_g2(&c.transcript);
        if !same_ratio(c.g1_s, c.g1_sx, g2_sp, c.g2_spx) {
            return Err(refused(format!("{who}: its proof of knowledge does not hold (G1 and G2 keys differ)")));
        }
        if !same_ratio(delta, c.delta_after, g2_sp, c.g2_spx) {
            return Err(refused(format!("{who}: its delta does not match its proof of knowledge")));
        }
        if let Some(b) = &c.beacon {
            check_beacon(&b.hash, b.iterations_exp).map_err(|e| refused(format!("{who}: {e}")))?;
            let mut rng = beacon_rng(&b.hash, b.iterations_exp);
            let x = rng.fr();
            let s = rng.g1();
            if s != c.g1_s || (s * x).into_affine() != c.g1_sx {
                return Err(refused(format!("{who}: its key is not the one its beacon derives")));
            }
        }
        delta = c.delta_after;
        out.push(VerifiedContribution {
            name: c.name.clone().unwrap_or_default(),
            hash: c.hash(),
            beacon: c.beacon.clone(),
        });
    }
    if z.delta1 != delta {
        return Err(refused("delta1 is not the last contribution's delta".into()));
    }
    if !same_ratio(G1Affine::generator(), z.delta1, G2Affine::generator(), z.delta2) {
        return Err(refused("delta2 does not match delta1".into()));
    }
    let lincomb_holds = |init_q: &[G1Affine], q: &[G1Affine], rng: &mut R| {
        let rho: Vec<_> = (0..q.len()).map(|_| Fr::rand(rng).into_bigint()).collect();
        let (r1, r2) = (msm::msm(init_q, &rho).into_affine(), msm::msm(q, &rho).into_affine());
        init_q.is_empty() || same_ratio(r1, r2, z.delta2, G2Affine::generator())
    };
    if !lincomb_holds(&initial_h(ptau, n)?, &z.h, rng) {
        return Err(refused("the H query is not the initial one divided by delta: the key was changed".into()));
    }

    let init = new_zkey(r1cs, ptau)?;
    if z.cs_hash != init.cs_hash {
        return Err(refused(format!(
            "the zkey is for another circuit: its circuit hash {} is not this statement's {}",
            short(&z.cs_hash),
            short(&init.cs_hash)
        )));
    }
    for (same, what) in [
        (z.ic == init.ic, "IC (public-input) query"),
        (z.coefs == init.coefs, "coefficients section"),
        (z.a == init.a, "A query"),
        (z.b1 == init.b1, "B query in G1"),
        (z.b2 == init.b2, "B query in G2"),
    ] {
        if !same {
            return Err(refused(format!("the {what} is not the one this circuit and ptau give: the key was changed")));
        }
    }
    if !lincomb_holds(&init.c, &z.c, rng) {
        return Err(refused("the C (L) query is not the initial one divided by delta: the key was changed".into()));
    }
    Ok(Verified { cs_hash: z.cs_hash, contributions: out, transcript_hash: transcript_hash(z) })
}

fn short(h: &[u8; 64]) -> String {
    hex::encode(&h[..8]) + "…"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceremony::ptau::dev_ptau;
    use ark_relations::{
        gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
        lc,
    };
    use rand_chacha::ChaCha20Rng;

    /// `x` public, `x·y = z`, `z + y = w` with w public.
    #[derive(Clone)]
    struct Tiny;
    impl ConstraintSynthesizer<Fr> for Tiny {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let x = cs.new_input_variable(|| Ok(Fr::from(3u64)))?;
            let w = cs.new_input_variable(|| Ok(Fr::from(8u64)))?;
            let y = cs.new_witness_variable(|| Ok(Fr::from(2u64)))?;
            let z = cs.new_witness_variable(|| Ok(Fr::from(6u64)))?;
            cs.enforce_r1cs_constraint(|| lc!() + x, || lc!() + y, || lc!() + z)?;
            cs.enforce_r1cs_constraint(
                || lc!() + z + (Fr::from(5u64), y),
                || lc!() + Variable::one(),
                || lc!() + w + (Fr::from(8u64), y),
            )?;
            Ok(())
        }
    }
    use ark_relations::gr1cs::Variable;

    #[test]
    fn contributions_and_a_beacon_verify_and_tampering_is_named() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let ptau_bytes = dev_ptau(3, &mut rng).unwrap();
        let ptau = Ptau::parse(&ptau_bytes).unwrap();
        let r1cs = R1cs::synthesize(Tiny).unwrap();
        let z0 = new_zkey(&r1cs, &ptau).unwrap();
        assert_eq!(Zkey::parse(&z0.to_bytes()).unwrap(), z0);
        let (z1, h1) = contribute(&z0, &mut rng, b"typed", Some("alice"));
        let (z2, _) = contribute(&z1, &mut rng, b"", None);
        let (z3, _) = beacon(&z2, &[0xab; 32], 10, Some("final beacon")).unwrap();
        let e = beacon(&z2, &[0xab; 32], 33, None).unwrap_err().to_string();
        assert!(e.contains("10..=32"), "a beacon of 2^33 iterations is refused: {e}");
        let back = Zkey::parse(&z3.to_bytes()).unwrap();
        assert_eq!(back, z3);
        let v = verify(&back, &r1cs, &ptau, &mut rng).unwrap();
        assert_eq!(v.contributions.len(), 3);
        assert_eq!(v.contributions[0].hash, h1);
        assert_eq!(v.contributions[0].name, "alice");

        let mut bad = z3.clone();
        bad.contributions[1].delta_after = (bad.contributions[1].delta_after * Fr::from(2u64)).into_affine();
        let e = verify(&bad, &r1cs, &ptau, &mut rng).unwrap_err().to_string();
        assert!(e.contains("contribution 2") && e.contains("delta does not match"), "{e}");
        let mut bad = z3.clone();
        bad.h[1] = (bad.h[1] * Fr::from(2u64)).into_affine();
        let e = verify(&bad, &r1cs, &ptau, &mut rng).unwrap_err().to_string();
        assert!(e.contains("H query"), "{e}");
        let mut bad = z3.clone();
        bad.c[0] = (bad.c[0] * Fr::from(2u64)).into_affine();
        let e = verify(&bad, &r1cs, &ptau, &mut rng).unwrap_err().to_string();
        assert!(e.contains("C (L) query"), "{e}");
        let other = dev_ptau(3, &mut rng).unwrap();
        let e = verify(&z3, &r1cs, &Ptau::parse(&other).unwrap(), &mut rng).unwrap_err().to_string();
        assert!(e.contains("not made from this ptau"), "{e}");
    }
}
