//! snarkjs' Groth16 `.zkey` (`docs/ceremony-notes.md` §2): parsing with every point
//! validated and every section's size checked, writing, and the arkworks proving key it holds.

use super::{
    encoding::{self, binfile, g1, g1s, g2, g2s, u32_at, u_g1, u_g2, BinFile, G1_LEN, G2_LEN, N8},
    error::CeremonyError,
    ptau::MAX_POWER,
};
use ark_bn254::{Bn254, Fq, Fr, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{ProvingKey, VerifyingKey};
use blake2::{Blake2b512, Digest};

/// A beacon contribution's public parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    /// The beacon value (public randomness, e.g. a future block hash), raw bytes.
    pub hash: Vec<u8>,
    /// SHA-256 is iterated 2^this times on it.
    pub iterations_exp: u8,
}

/// One phase-2 contribution as the zkey records it: the new δ and the proof of knowledge of
/// the factor it was multiplied by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// δ·G1 after this contribution.
    pub delta_after: G1Affine,
    /// The proof-of-knowledge base in G1, s.
    pub g1_s: G1Affine,
    /// x·s.
    pub g1_sx: G1Affine,
    /// x·s' where s' = hashToG2(transcript).
    pub g2_spx: G2Affine,
    /// BLAKE2b-512 of the circuit hash, the earlier contributions and (s, x·s).
    pub transcript: [u8; 64],
    /// Set for a beacon contribution.
    pub beacon: Option<Beacon>,
    /// The contributor's name, if given (at most 64 characters).
    pub name: Option<String>,
}

impl Contribution {
    /// `U(δ')‖U(s)‖U(x·s)‖U(x·s')‖transcript`: what the next transcript and this
    /// contribution's hash are computed over.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(3 * G1_LEN + G2_LEN + 64);
        v.extend_from_slice(&u_g1(&self.delta_after));
        v.extend_from_slice(&u_g1(&self.g1_s));
        v.extend_from_slice(&u_g1(&self.g1_sx));
        v.extend_from_slice(&u_g2(&self.g2_spx));
        v.extend_from_slice(&self.transcript);
        v
    }

    /// The contribution hash snarkjs prints: BLAKE2b-512 of [`Self::public_key_bytes`].
    pub fn hash(&self) -> [u8; 64] {
        Blake2b512::digest(self.public_key_bytes()).into()
    }
}

/// A Groth16 `.zkey`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zkey {
    /// Wires, the constant included.
    pub n_vars: usize,
    /// Public inputs (the constant excluded).
    pub n_public: usize,
    /// The QAP domain's size, a power of two.
    pub domain_size: usize,
    /// α·G1.
    pub alpha1: G1Affine,
    /// β·G1.
    pub beta1: G1Affine,
    /// β·G2.
    pub beta2: G2Affine,
    /// γ·G2 (the generator: snarkjs' γ is 1).
    pub gamma2: G2Affine,
    /// δ·G1.
    pub delta1: G1Affine,
    /// δ·G2.
    pub delta2: G2Affine,
    /// The public inputs' bases (`n_public + 1`).
    pub ic: Vec<G1Affine>,
    /// Section 4 as it is: the A and B matrices with snarkjs' extra public rows.
    pub coefs: Vec<u8>,
    /// A query, per wire.
    pub a: Vec<G1Affine>,
    /// B query in G1, per wire.
    pub b1: Vec<G1Affine>,
    /// B query in G2, per wire.
    pub b2: Vec<G2Affine>,
    /// The private wires' bases divided by δ (snarkjs' "C", arkworks' L query).
    pub c: Vec<G1Affine>,
    /// The H query divided by δ.
    pub h: Vec<G1Affine>,
    /// The circuit hash (`docs/ceremony-notes.md` §3.5).
    pub cs_hash: [u8; 64],
    /// The contributions in order.
    pub contributions: Vec<Contribution>,
}

fn malformed(m: String) -> CeremonyError {
    CeremonyError::Malformed(format!("zkey file: {m}"))
}

fn exact(section: &[u8], id: u32, what: &str, len: usize) -> Result<(), CeremonyError> {
    if section.len() != len {
        return Err(malformed(format!("section {id} ({what}) has {} bytes, expected {len}", section.len())));
    }
    Ok(())
}

impl Zkey {
    /// Parses and validates a `.zkey`.
    pub fn parse(bytes: &[u8]) -> Result<Zkey, CeremonyError> {
        let f = BinFile::parse(bytes, b"zkey", 1, "zkey")?;
        let s1 = f.section(1)?;
        if s1.len() != 4 || u32_at(s1, 0) != 1 {
            return Err(malformed("not a Groth16 key (protocol section is not 1)".into()));
        }
        let h = f.section(2)?;
        exact(h, 2, "header", 84 + 3 * G1_LEN + 3 * G2_LEN)?;
        if u32_at(h, 0) != N8 as u32 || h[4..36] != Fq::MODULUS.to_bytes_le()[..] {
            return Err(malformed("its base field is not BN254's".into()));
        }
        if u32_at(h, 36) != N8 as u32 || h[40..72] != Fr::MODULUS.to_bytes_le()[..] {
            return Err(malformed("its scalar field is not BN254's".into()));
        }
        let (n_vars, n_public, domain_size) = (u32_at(h, 72) as usize, u32_at(h, 76) as usize, u32_at(h, 80) as usize);
        if n_public + 1 > n_vars || n_vars > 1 << 28 {
            return Err(malformed(format!("{n_public} public inputs and {n_vars} wires do not fit")));
        }
        if !domain_size.is_power_of_two() || !(2..=1 << MAX_POWER).contains(&domain_size) {
            return Err(malformed(format!("domain size {domain_size} is not a power of two in 2..=2^{MAX_POWER}")));
        }
        let at = |name: &'static str| move || format!("zkey header, {name}");
        let mut p = 84;
        let next_g1 = |name: &'static str, p: &mut usize| {
            let r = g1(&h[*p..*p + G1_LEN], &at(name));
            *p += G1_LEN;
            r
        };
        let alpha1 = next_g1("alpha1", &mut p)?;
        let beta1 = next_g1("beta1", &mut p)?;
        let beta2 = g2(&h[p..p + G2_LEN], &at("beta2"))?;
        let gamma2 = g2(&h[p + G2_LEN..p + 2 * G2_LEN], &at("gamma2"))?;
        p += 2 * G2_LEN;
        let delta1 = next_g1("delta1", &mut p)?;
        let delta2 = g2(&h[p..p + G2_LEN], &at("delta2"))?;

        let section_g1 = |id: u32, what: &'static str, n: usize| -> Result<Vec<G1Affine>, CeremonyError> {
            let s = f.section(id)?;
            exact(s, id, what, n * G1_LEN)?;
            g1s(s, n, &|i| format!("zkey section {id} ({what}), point {i}"))
        };
        let ic = section_g1(3, "IC", n_public + 1)?;
        let coefs = f.section(4)?;
        if coefs.len() < 4 || coefs.len() != 4 + 44 * u32_at(coefs, 0) as usize {
            return Err(malformed("section 4 (coefficients) does not hold its count of 44-byte records".into()));
        }
        let a = section_g1(5, "A", n_vars)?;
        let b1 = section_g1(6, "B1", n_vars)?;
        let s7 = f.section(7)?;
        exact(s7, 7, "B2", n_vars * G2_LEN)?;
        let b2 = g2s(s7, n_vars, &|i| format!("zkey section 7 (B2), point {i}"))?;
        let c = section_g1(8, "C", n_vars - n_public - 1)?;
        let hq = section_g1(9, "H", domain_size)?;
        let (cs_hash, contributions) = parse_mpc(f.section(10)?)?;
        Ok(Zkey {
            n_vars,
            n_public,
            domain_size,
            alpha1,
            beta1,
            beta2,
            gamma2,
            delta1,
            delta2,
            ic,
            coefs: coefs.to_vec(),
            a,
            b1,
            b2,
            c,
            h: hq,
            cs_hash,
            contributions,
        })
    }

    /// The `.zkey` bytes (version 1, sections 1 to 10 in order).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut header = Vec::with_capacity(660);
        header.extend_from_slice(&(N8 as u32).to_le_bytes());
        header.extend_from_slice(&Fq::MODULUS.to_bytes_le());
        header.extend_from_slice(&(N8 as u32).to_le_bytes());
        header.extend_from_slice(&Fr::MODULUS.to_bytes_le());
        for n in [self.n_vars, self.n_public, self.domain_size] {
            header.extend_from_slice(&(n as u32).to_le_bytes());
        }
        encoding::put_g1(&mut header, &self.alpha1);
        encoding::put_g1(&mut header, &self.beta1);
        encoding::put_g2(&mut header, &self.beta2);
        encoding::put_g2(&mut header, &self.gamma2);
        encoding::put_g1(&mut header, &self.delta1);
        encoding::put_g2(&mut header, &self.delta2);
        let mut mpc = self.cs_hash.to_vec();
        mpc.extend_from_slice(&(self.contributions.len() as u32).to_le_bytes());
        for c in &self.contributions {
            encoding::put_g1(&mut mpc, &c.delta_after);
            encoding::put_g1(&mut mpc, &c.g1_s);
            encoding::put_g1(&mut mpc, &c.g1_sx);
            encoding::put_g2(&mut mpc, &c.g2_spx);
            mpc.extend_from_slice(&c.transcript);
            mpc.extend_from_slice(&u32::from(c.beacon.is_some()).to_le_bytes());
            let params = params_bytes(c);
            mpc.extend_from_slice(&(params.len() as u32).to_le_bytes());
            mpc.extend_from_slice(&params);
        }
        binfile(
            b"zkey",
            1,
            &[
                (1, &1u32.to_le_bytes()),
                (2, &header),
                (3, &encoding::g1_bytes(&self.ic)),
                (4, &self.coefs),
                (5, &encoding::g1_bytes(&self.a)),
                (6, &encoding::g1_bytes(&self.b1)),
                (7, &encoding::g2_bytes(&self.b2)),
                (8, &encoding::g1_bytes(&self.c)),
                (9, &encoding::g1_bytes(&self.h)),
                (10, &mpc),
            ],
        )
    }

    /// The arkworks proving key it holds (snarkjs' QAP: prove with
    /// [`crate::qap::CircomReduction`], as [`crate::Engine`] does).
    pub fn proving_key(&self) -> ProvingKey<Bn254> {
        ProvingKey {
            vk: VerifyingKey {
                alpha_g1: self.alpha1,
                beta_g2: self.beta2,
                gamma_g2: self.gamma2,
                delta_g2: self.delta2,
                gamma_abc_g1: self.ic.clone(),
            },
            beta_g1: self.beta1,
            delta_g1: self.delta1,
            a_query: self.a.clone(),
            b_g1_query: self.b1.clone(),
            b_g2_query: self.b2.clone(),
            h_query: self.h.clone(),
            l_query: self.c.clone(),
        }
    }
}

/// A contribution's parameters: `1, len, name` and, for a beacon, `2, exp` and `3, len, hash`
/// (types strictly increasing).
fn params_bytes(c: &Contribution) -> Vec<u8> {
    let mut p = Vec::new();
    if let Some(name) = &c.name {
        let b = name.as_bytes();
        p.push(1);
        p.push(b.len() as u8);
        p.extend_from_slice(b);
    }
    if let Some(b) = &c.beacon {
        p.extend_from_slice(&[2, b.iterations_exp, 3, b.hash.len() as u8]);
        p.extend_from_slice(&b.hash);
    }
    p
}

fn parse_mpc(s: &[u8]) -> Result<([u8; 64], Vec<Contribution>), CeremonyError> {
    let short = || malformed("section 10 (contributions) is truncated".into());
    if s.len() < 68 {
        return Err(short());
    }
    let cs_hash: [u8; 64] = s[..64].try_into().expect("64 bytes");
    let n = u32_at(s, 64) as usize;
    let mut p = 68;
    let mut out = Vec::with_capacity(n.min(1024));
    for i in 0..n {
        let fixed = 3 * G1_LEN + G2_LEN + 64 + 8;
        if s.len() < p + fixed {
            return Err(short());
        }
        let at = |what: &'static str| move || format!("zkey contribution {}, {what}", i + 1);
        let delta_after = g1(&s[p..p + 64], &at("deltaAfter"))?;
        let g1_s = g1(&s[p + 64..p + 128], &at("g1_s"))?;
        let g1_sx = g1(&s[p + 128..p + 192], &at("g1_sx"))?;
        let g2_spx = g2(&s[p + 192..p + 320], &at("g2_spx"))?;
        let transcript: [u8; 64] = s[p + 320..p + 384].try_into().expect("64 bytes");
        let kind = u32_at(s, p + 384);
        let plen = u32_at(s, p + 388) as usize;
        p += fixed;
        let params = s.get(p..p + plen).ok_or_else(short)?;
        p += plen;
        let (name, exp, hash) = parse_params(params).map_err(|m| malformed(format!("contribution {}: {m}", i + 1)))?;
        let beacon = match (kind, exp, hash) {
            (0, None, None) => None,
            (1, Some(iterations_exp), Some(hash)) => Some(Beacon { hash, iterations_exp }),
            (0 | 1, ..) => {
                return Err(malformed(format!("contribution {}: beacon parameters do not match its type", i + 1)))
            }
            (k, ..) => return Err(malformed(format!("contribution {}: unknown type {k}", i + 1))),
        };
        out.push(Contribution { delta_after, g1_s, g1_sx, g2_spx, transcript, beacon, name });
    }
    if p != s.len() {
        return Err(malformed("section 10 (contributions) has bytes after the last contribution".into()));
    }
    Ok((cs_hash, out))
}

type Params = (Option<String>, Option<u8>, Option<Vec<u8>>);

fn parse_params(b: &[u8]) -> Result<Params, String> {
    let (mut name, mut exp, mut hash) = (None, None, None);
    let (mut p, mut last) = (0usize, 0u8);
    while p < b.len() {
        let t = b[p];
        if t <= last {
            return Err("parameters are not sorted".into());
        }
        last = t;
        let trunc = || "parameters are truncated".to_string();
        match t {
            1 | 3 => {
                let len = *b.get(p + 1).ok_or_else(trunc)? as usize;
                let v = b.get(p + 2..p + 2 + len).ok_or_else(trunc)?.to_vec();
                p += 2 + len;
                if t == 1 {
                    name = Some(String::from_utf8(v).map_err(|_| "the name is not UTF-8")?);
                } else {
                    hash = Some(v);
                }
            }
            2 => {
                exp = Some(*b.get(p + 1).ok_or_else(trunc)?);
                p += 2;
            }
            t => return Err(format!("unknown parameter type {t}")),
        }
    }
    Ok((name, exp, hash))
}
