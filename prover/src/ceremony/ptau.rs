//! Powers of Tau files (`.ptau`, snarkjs' format, prepared for phase 2): reading what phase 2
//! needs, every point validated as it is read (`docs/ceremony-notes.md` §1), and a
//! DEVELOPMENT generator whose toxic waste the process knew.

use super::{
    encoding::{binfile, g1s, g2s, u32_at, BinFile, G1_LEN, G2_LEN, N8},
    error::CeremonyError,
};
use ark_bn254::{Fq, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{scalar_mul::BatchMulPreprocessing, PrimeGroup};
use ark_ff::{BigInteger, PrimeField, UniformRand, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroize;

/// The largest power healthzk reads: BN254's scalar field has 2-adicity 28, and snarkjs
/// handles the 2^28 domain with a different coset (refused here).
pub const MAX_POWER: u32 = 27;

/// A parsed `.ptau` file; its points are validated when they are read.
#[derive(Debug)]
pub struct Ptau<'a> {
    file: BinFile<'a>,
    /// Its power: it serves circuits with domains up to 2^power.
    pub power: u32,
}

impl<'a> Ptau<'a> {
    /// Parses the header and checks the file is prepared for phase 2.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CeremonyError> {
        let file = BinFile::parse(bytes, b"ptau", 1, "ptau")?;
        let h = file.section(1)?;
        let bad = |m: &str| CeremonyError::Malformed(format!("ptau file: {m}"));
        if h.len() != 4 + N8 + 8 || u32_at(h, 0) != N8 as u32 {
            return Err(bad("header is not a 32-byte-field header"));
        }
        if h[4..4 + N8] != Fq::MODULUS.to_bytes_le()[..] {
            return Err(bad("it is not over BN254 (its base field modulus differs)"));
        }
        let power = u32_at(h, 4 + N8);
        if power == 0 || power > MAX_POWER {
            return Err(bad(&format!("power {power} is outside 1..={MAX_POWER}")));
        }
        if !file.has(12) {
            return Err(bad(
                "it is not prepared for phase 2 (no Lagrange section 12); run `snarkjs powersoftau prepare phase2`",
            ));
        }
        Ok(Ptau { file, power })
    }

    /// How many phase-1 contributions the file records (0 for a development file).
    pub fn contributions(&self) -> Result<u32, CeremonyError> {
        let s = self.file.section(7)?;
        if s.len() < 4 {
            return Err(CeremonyError::Malformed("ptau file: contributions section is truncated".into()));
        }
        Ok(u32_at(s, 0))
    }

    fn g1_of(&self, section: u32, offset: usize, count: usize) -> Result<Vec<G1Affine>, CeremonyError> {
        let s = self.file.section(section)?;
        let start = offset * G1_LEN;
        let s =
            s.get(start..).ok_or_else(|| CeremonyError::Malformed(format!("ptau section {section} is too short")))?;
        g1s(s, count, &|i| format!("ptau section {section}, point {}", offset + i))
    }

    fn g2_of(&self, section: u32, offset: usize, count: usize) -> Result<Vec<G2Affine>, CeremonyError> {
        let s = self.file.section(section)?;
        let start = offset * G2_LEN;
        let s =
            s.get(start..).ok_or_else(|| CeremonyError::Malformed(format!("ptau section {section} is too short")))?;
        g2s(s, count, &|i| format!("ptau section {section}, point {}", offset + i))
    }

    /// α·G1, β·G1 and β·G2.
    pub fn alpha_beta(&self) -> Result<(G1Affine, G1Affine, G2Affine), CeremonyError> {
        Ok((self.g1_of(4, 0, 1)?[0], self.g1_of(5, 0, 1)?[0], self.g2_of(6, 0, 1)?[0]))
    }

    /// τⁱ·G1 for i < count (section 2).
    pub fn tau_g1(&self, count: usize) -> Result<Vec<G1Affine>, CeremonyError> {
        self.g1_of(2, 0, count)
    }

    /// The Lagrange bases at τ of the m-point domain from G1 section 12 (τ), 14 (α·τ) or 15
    /// (β·τ): the block of m points at point m − 1.
    pub fn lagrange_g1(&self, section: u32, m: usize) -> Result<Vec<G1Affine>, CeremonyError> {
        self.g1_of(section, m - 1, m)
    }

    /// The Lagrange bases at τ of the m-point domain in G2 (section 13).
    pub fn lagrange_g2(&self, m: usize) -> Result<Vec<G2Affine>, CeremonyError> {
        self.g2_of(13, m - 1, m)
    }
}

/// The Lagrange values at τ of the m-point domain, from the powers `τ⁰, …, τ^(m−1)`, the last
/// replaced by zero when `drop_last` (the 2^(power+1) block, whose top power no file has).
fn lagrange_scalars(tau: Fr, m: usize, drop_last: bool) -> Vec<Fr> {
    let mut v = powers(tau, m);
    if drop_last {
        v[m - 1] = Fr::zero();
    }
    Radix2EvaluationDomain::<Fr>::new(m).expect("power of two below 2^28").ifft_in_place(&mut v);
    v
}

fn powers(x: Fr, n: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(n);
    let mut p = Fr::from(1u64);
    for _ in 0..n {
        out.push(p);
        p *= x;
    }
    out
}

/// A DEVELOPMENT `.ptau` of `power`, prepared for phase 2, from τ, α, β drawn from `rng` and
/// then zeroized. It records no phase-1 contribution, so `ceremony new` says it is one:
/// anyone who saw this process's memory could forge proofs for every key made from it.
pub fn dev_ptau<R: RngCore + CryptoRng>(power: u32, rng: &mut R) -> Result<Vec<u8>, CeremonyError> {
    if power == 0 || power > 20 {
        return Err(CeremonyError::Malformed(format!("--power {power}: a development ptau has a power in 1..=20")));
    }
    let n = 1usize << power;
    let (mut tau, mut alpha, mut beta) = (Fr::rand(rng), Fr::rand(rng), Fr::rand(rng));
    let g1 = BatchMulPreprocessing::new(G1Projective::generator(), 4 * n);
    let g2 = BatchMulPreprocessing::new(G2Projective::generator(), n);
    let g1_bytes = |s: &[Fr]| super::encoding::g1_bytes(&g1.batch_mul(s));
    let g2_bytes = |s: &[Fr]| super::encoding::g2_bytes(&g2.batch_mul(s));

    let mut header = (N8 as u32).to_le_bytes().to_vec();
    header.extend_from_slice(&Fq::MODULUS.to_bytes_le());
    header.extend_from_slice(&power.to_le_bytes());
    header.extend_from_slice(&power.to_le_bytes());
    let mut tau_pow = powers(tau, 2 * n - 1);
    let s2 = g1_bytes(&tau_pow);
    let s3 = g2_bytes(&tau_pow[..n]);
    let mut scaled: Vec<Fr> = tau_pow[..n].iter().map(|t| *t * alpha).collect();
    let s4 = g1_bytes(&scaled);
    scaled.iter_mut().zip(&tau_pow).for_each(|(s, t)| *s = *t * beta);
    let s5 = g1_bytes(&scaled);
    scaled.zeroize();
    tau_pow.zeroize();
    let s6 = g2_bytes(&[beta]);
    let s7 = 0u32.to_le_bytes().to_vec();
    let (mut s12, mut s13, mut s14, mut s15) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in 0..=power + 1 {
        let m = 1usize << p;
        let mut l = lagrange_scalars(tau, m, p == power + 1);
        s12.extend_from_slice(&g1_bytes(&l));
        if p <= power {
            s13.extend_from_slice(&g2_bytes(&l));
            let mut a: Vec<Fr> = l.iter().map(|x| *x * alpha).collect();
            s14.extend_from_slice(&g1_bytes(&a));
            a.iter_mut().zip(&l).for_each(|(a, x)| *a = *x * beta);
            s15.extend_from_slice(&g1_bytes(&a));
            a.zeroize();
        }
        l.zeroize();
    }
    tau.zeroize();
    alpha.zeroize();
    beta.zeroize();
    Ok(binfile(
        b"ptau",
        1,
        &[
            (1, &header),
            (2, &s2),
            (3, &s3),
            (4, &s4),
            (5, &s5),
            (6, &s6),
            (7, &s7),
            (12, &s12),
            (13, &s13),
            (14, &s14),
            (15, &s15),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;
    use rand::SeedableRng;

    /// The block's points sum to τ⁰·G1 = G1 (Σ Lᵢ = 1).
    fn lagrange_sums_to_generator(p: &Ptau<'_>, m: usize) -> Result<bool, CeremonyError> {
        let l = p.lagrange_g1(12, m)?;
        let sum: G1Projective = l.iter().map(|a| a.into_group()).sum();
        Ok(sum == G1Projective::generator())
    }

    #[test]
    fn a_dev_ptau_parses_and_its_lagrange_blocks_sum_to_the_generator() {
        let bytes = dev_ptau(4, &mut rand_chacha::ChaCha20Rng::seed_from_u64(1)).unwrap();
        let p = Ptau::parse(&bytes).unwrap();
        assert_eq!(p.power, 4);
        assert_eq!(p.contributions().unwrap(), 0);
        for m in [1, 2, 8, 16] {
            assert!(lagrange_sums_to_generator(&p, m).unwrap(), "block {m}");
        }
        assert_eq!(p.tau_g1(1).unwrap()[0], G1Affine::generator());
        let mut cut = bytes.clone();
        cut.truncate(bytes.len() - 1);
        assert!(Ptau::parse(&cut).unwrap_err().to_string().contains("past the end"));
    }
}
