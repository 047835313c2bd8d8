//! The byte layouts snarkjs uses (`docs/ceremony-notes.md` §0): binfile containers, points as
//! "LEM" (affine, little-endian Montgomery limbs, the identity as all zeros) in files, and as
//! "U" (standard form, big-endian, G2 as `c1‖c0`) in hashes. Every point read from a file is
//! checked: canonical coordinates, on the curve, in the prime-order subgroup.

use super::error::CeremonyError;
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField, Zero};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Bytes of a base- or scalar-field element.
pub const N8: usize = 32;
/// Bytes of a G1 point in LEM.
pub const G1_LEN: usize = 64;
/// Bytes of a G2 point in LEM.
pub const G2_LEN: usize = 128;

/// A parsed binfile: magic, version and its sections by id (each id once).
#[derive(Debug)]
pub struct BinFile<'a> {
    /// The format version.
    pub version: u32,
    sections: BTreeMap<u32, &'a [u8]>,
    what: &'static str,
}

impl<'a> BinFile<'a> {
    /// Parses the container; `what` names the file kind in errors ("ptau", "zkey").
    pub fn parse(
        bytes: &'a [u8],
        magic: &[u8; 4],
        max_version: u32,
        what: &'static str,
    ) -> Result<Self, CeremonyError> {
        let bad = |m: String| CeremonyError::Malformed(format!("{what} file: {m}"));
        if bytes.len() < 12 || &bytes[..4] != magic {
            return Err(bad(format!("not a {what} file (expected magic {:?})", String::from_utf8_lossy(magic))));
        }
        let version = u32_at(bytes, 4);
        if version == 0 || version > max_version {
            return Err(bad(format!("version {version} is not supported (at most {max_version})")));
        }
        let count = u32_at(bytes, 8);
        let mut sections = BTreeMap::new();
        let mut p = 12usize;
        for _ in 0..count {
            if bytes.len() < p + 12 {
                return Err(bad("truncated section header".into()));
            }
            let id = u32_at(bytes, p);
            let len = u64::from_le_bytes(bytes[p + 4..p + 12].try_into().expect("8 bytes"));
            let start = p + 12;
            let end = usize::try_from(len).ok().and_then(|l| start.checked_add(l)).filter(|e| *e <= bytes.len());
            let Some(end) = end else {
                return Err(bad(format!("section {id} runs past the end of the file (truncated?)")));
            };
            if sections.insert(id, &bytes[start..end]).is_some() {
                return Err(bad(format!("section {id} appears twice")));
            }
            p = end;
        }
        if p != bytes.len() {
            return Err(bad(format!("{} bytes after the last section", bytes.len() - p)));
        }
        Ok(BinFile { version, sections, what })
    }

    /// Section `id`, which must be there.
    pub fn section(&self, id: u32) -> Result<&'a [u8], CeremonyError> {
        self.sections
            .get(&id)
            .copied()
            .ok_or_else(|| CeremonyError::Malformed(format!("{} file: section {id} is missing", self.what)))
    }

    /// Whether section `id` is there.
    pub fn has(&self, id: u32) -> bool {
        self.sections.contains_key(&id)
    }
}

/// Writes a binfile.
pub fn binfile(magic: &[u8; 4], version: u32, sections: &[(u32, &[u8])]) -> Vec<u8> {
    let len = 12 + sections.iter().map(|(_, d)| 12 + d.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (kind, data) in sections {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// The little-endian u32 at `p` (the caller has checked the length).
pub fn u32_at(b: &[u8], p: usize) -> u32 {
    u32::from_le_bytes(b[p..p + 4].try_into().expect("4 bytes"))
}

fn limbs(b: &[u8]) -> BigInt<4> {
    let mut l = [0u64; 4];
    for (i, l) in l.iter_mut().enumerate() {
        *l = u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    }
    BigInt(l)
}

/// An Fq element in LEM: the Montgomery limbs, which must be below q.
fn fq_lem(b: &[u8]) -> Option<Fq> {
    let l = limbs(b);
    (l < Fq::MODULUS).then(|| Fq::new_unchecked(l))
}

fn put_fq_lem(out: &mut Vec<u8>, x: &Fq) {
    for l in x.0 .0 {
        out.extend_from_slice(&l.to_le_bytes());
    }
}

/// A G1 point in LEM, validated. `at` names it in errors ("zkey section 5, point 12").
pub fn g1(b: &[u8], at: &dyn Fn() -> String) -> Result<G1Affine, CeremonyError> {
    let (Some(x), Some(y)) = (fq_lem(&b[..N8]), fq_lem(&b[N8..G1_LEN])) else {
        return Err(CeremonyError::Malformed(format!("{}: a coordinate is not below the field modulus", at())));
    };
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(CeremonyError::Malformed(format!("{}: not a point of G1", at())));
    }
    Ok(p)
}

/// A G2 point in LEM (`x.c0‖x.c1‖y.c0‖y.c1`), validated, subgroup included.
pub fn g2(b: &[u8], at: &dyn Fn() -> String) -> Result<G2Affine, CeremonyError> {
    let c: Vec<Option<Fq>> = (0..4).map(|i| fq_lem(&b[N8 * i..N8 * (i + 1)])).collect();
    let (Some(x0), Some(x1), Some(y0), Some(y1)) = (c[0], c[1], c[2], c[3]) else {
        return Err(CeremonyError::Malformed(format!("{}: a coordinate is not below the field modulus", at())));
    };
    let (x, y) = (Fq2::new(x0, x1), Fq2::new(y0, y1));
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::zero());
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(CeremonyError::Malformed(format!("{}: not on the G2 curve", at())));
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(CeremonyError::Malformed(format!("{}: a G2 point not in the prime-order subgroup", at())));
    }
    Ok(p)
}

/// `count` G1 points from the start of `b`, validated in parallel; `at(i)` names point i.
pub fn g1s(b: &[u8], count: usize, at: &(dyn Fn(usize) -> String + Sync)) -> Result<Vec<G1Affine>, CeremonyError> {
    if b.len() < count * G1_LEN {
        return Err(CeremonyError::Malformed(format!("{}: section too short for {count} points", at(0))));
    }
    b[..count * G1_LEN].par_chunks(G1_LEN).enumerate().map(|(i, c)| g1(c, &|| at(i))).collect()
}

/// `count` G2 points from the start of `b`, validated in parallel.
pub fn g2s(b: &[u8], count: usize, at: &(dyn Fn(usize) -> String + Sync)) -> Result<Vec<G2Affine>, CeremonyError> {
    if b.len() < count * G2_LEN {
        return Err(CeremonyError::Malformed(format!("{}: section too short for {count} points", at(0))));
    }
    b[..count * G2_LEN].par_chunks(G2_LEN).enumerate().map(|(i, c)| g2(c, &|| at(i))).collect()
}

/// Appends a G1 point in LEM.
pub fn put_g1(out: &mut Vec<u8>, p: &G1Affine) {
    if p.is_zero() {
        out.extend_from_slice(&[0u8; G1_LEN]);
    } else {
        put_fq_lem(out, &p.x);
        put_fq_lem(out, &p.y);
    }
}

/// Appends a G2 point in LEM.
pub fn put_g2(out: &mut Vec<u8>, p: &G2Affine) {
    if p.is_zero() {
        out.extend_from_slice(&[0u8; G2_LEN]);
    } else {
        for c in [p.x.c0, p.x.c1, p.y.c0, p.y.c1] {
            put_fq_lem(out, &c);
        }
    }
}

/// Points in LEM, one after the other.
pub fn g1_bytes(points: &[G1Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * G1_LEN);
    points.iter().for_each(|p| put_g1(&mut out, p));
    out
}

/// G2 points in LEM, one after the other.
pub fn g2_bytes(points: &[G2Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * G2_LEN);
    points.iter().for_each(|p| put_g2(&mut out, p));
    out
}

fn put_fq_be(out: &mut Vec<u8>, x: &Fq) {
    out.extend_from_slice(&x.into_bigint().to_bytes_be());
}

/// A G1 point in U (what phase-2 hashes): `BE(x)‖BE(y)`, standard form, the identity as zeros.
pub fn u_g1(p: &G1Affine) -> [u8; G1_LEN] {
    let mut out = Vec::with_capacity(G1_LEN);
    if p.is_zero() {
        out.resize(G1_LEN, 0);
    } else {
        put_fq_be(&mut out, &p.x);
        put_fq_be(&mut out, &p.y);
    }
    out.try_into().expect("64 bytes")
}

/// A G2 point in U: `BE(x.c1)‖BE(x.c0)‖BE(y.c1)‖BE(y.c0)`, the identity as zeros.
pub fn u_g2(p: &G2Affine) -> [u8; G2_LEN] {
    let mut out = Vec::with_capacity(G2_LEN);
    if p.is_zero() {
        out.resize(G2_LEN, 0);
    } else {
        for c in [p.x.c1, p.x.c0, p.y.c1, p.y.c0] {
            put_fq_be(&mut out, &c);
        }
    }
    out.try_into().expect("128 bytes")
}

/// A scalar as 32 little-endian bytes, standard form.
pub fn fr_le<F: PrimeField>(x: &F) -> [u8; N8] {
    let mut out = [0u8; N8];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;

    #[test]
    fn lem_of_one_is_r_mod_q_and_points_round_trip() {
        let mut v = Vec::new();
        put_fq_lem(&mut v, &Fq::from(1u64));
        assert_eq!(hex::encode(&v), "9d0d8fc58d435dd33d0bc7f528eb780a2c4679786fa36e662fdf079ac1770a0e");
        let p = (G1Affine::generator() * ark_bn254::Fr::from(7u64)).into_affine();
        let q = (G2Affine::generator() * ark_bn254::Fr::from(9u64)).into_affine();
        let at = || "test".to_string();
        assert_eq!(g1(&g1_bytes(&[p]), &at).unwrap(), p);
        assert_eq!(g2(&g2_bytes(&[q]), &at).unwrap(), q);
        assert!(g1(&[0u8; 64], &at).unwrap().is_zero());
        let mut off = g1_bytes(&[p]);
        off[0] ^= 1;
        assert!(g1(&off, &at).unwrap_err().to_string().contains("not a point of G1"));
    }
}
