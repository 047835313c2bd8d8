//! ffjavascript's random numbers, bit for bit (`docs/ceremony-notes.md` Appendix A): its
//! ChaCha stream, `F.fromRng` and `G.fromRng`. A phase-2 transcript derives each contribution's
//! G2 base by hashing into G2 this way, and a beacon derives its key this way, so a verifier
//! must reproduce them exactly.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::{short_weierstrass::SWCurveConfig, AffineRepr, CurveGroup};
use ark_ff::{BigInt, Field, PrimeField};
use sha2::{Digest, Sha256};

/// ffjavascript's ChaCha20: the standard block function, a 256-bit key of eight u32 words
/// used as they are, a 128-bit counter from zero, and words taken in order.
pub struct FfChaCha {
    state: [u32; 16],
    out: [u32; 16],
    idx: usize,
}

impl std::fmt::Debug for FfChaCha {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FfChaCha")
    }
}

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

impl FfChaCha {
    /// The stream of `seed`.
    pub fn new(seed: [u32; 8]) -> Self {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&[0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574]);
        state[4..12].copy_from_slice(&seed);
        FfChaCha { state, out: [0; 16], idx: 16 }
    }

    /// The stream seeded by the first 32 bytes of `hash`, read as big-endian words (how
    /// snarkjs seeds it from a transcript or a beacon).
    pub fn from_hash(hash: &[u8]) -> Self {
        let mut seed = [0u32; 8];
        for (i, w) in seed.iter_mut().enumerate() {
            *w = u32::from_be_bytes(hash[4 * i..4 * i + 4].try_into().expect("4 bytes"));
        }
        Self::new(seed)
    }

    fn block(&mut self) {
        let mut s = self.state;
        for _ in 0..10 {
            quarter(&mut s, 0, 4, 8, 12);
            quarter(&mut s, 1, 5, 9, 13);
            quarter(&mut s, 2, 6, 10, 14);
            quarter(&mut s, 3, 7, 11, 15);
            quarter(&mut s, 0, 5, 10, 15);
            quarter(&mut s, 1, 6, 11, 12);
            quarter(&mut s, 2, 7, 8, 13);
            quarter(&mut s, 3, 4, 9, 14);
        }
        for (o, (s, i)) in self.out.iter_mut().zip(s.iter().zip(&self.state)) {
            *o = s.wrapping_add(*i);
        }
        for w in 12..16 {
            self.state[w] = self.state[w].wrapping_add(1);
            if self.state[w] != 0 {
                break;
            }
        }
        self.idx = 0;
    }

    /// The next word.
    pub fn next_u32(&mut self) -> u32 {
        if self.idx == 16 {
            self.block();
        }
        self.idx += 1;
        self.out[self.idx - 1]
    }

    /// Two words, the first as the high half.
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        (hi << 32) | self.next_u32() as u64
    }

    /// `F.fromRng`: 254 random bits below the modulus, returned as the Montgomery limbs
    /// themselves (ffjavascript treats the sampled integer v as the element v·R⁻¹).
    fn limbs_below(&mut self, modulus: BigInt<4>) -> BigInt<4> {
        loop {
            let mut l = [0u64; 4];
            for l in l.iter_mut() {
                *l = self.next_u64();
            }
            l[3] &= (1u64 << 62) - 1;
            if BigInt(l) < modulus {
                return BigInt(l);
            }
        }
    }

    /// `Fr.fromRng`.
    pub fn fr(&mut self) -> Fr {
        Fr::new_unchecked(self.limbs_below(Fr::MODULUS))
    }

    fn fq(&mut self) -> Fq {
        Fq::new_unchecked(self.limbs_below(Fq::MODULUS))
    }

    fn is_negative(y: &Fq) -> bool {
        y.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
    }

    /// `G1.fromRng`: x at random until x³ + 3 is a square, y the root whose sign a random bit
    /// picks (drawn after x, every round).
    pub fn g1(&mut self) -> G1Affine {
        loop {
            let x = self.fq();
            let greatest = self.next_u32() & 1 == 1;
            if let Some(mut y) = (x.square() * x + ark_bn254::g1::Config::COEFF_B).sqrt() {
                if Self::is_negative(&y) != greatest {
                    y = -y;
                }
                return G1Affine::new_unchecked(x, y);
            }
        }
    }

    /// `G2.fromRng`: as [`Self::g1`] over Fq2 (c0 drawn first; the sign is c1's, or c0's when
    /// c1 is zero), then multiplied by the integer cofactor `2q − r`.
    pub fn g2(&mut self) -> G2Affine {
        loop {
            let x = Fq2::new(self.fq(), self.fq());
            let greatest = self.next_u32() & 1 == 1;
            if let Some(mut y) = (x.square() * x + ark_bn254::g2::Config::COEFF_B).sqrt() {
                let neg = if y.c1 == Fq::from(0u64) { Self::is_negative(&y.c0) } else { Self::is_negative(&y.c1) };
                if neg != greatest {
                    y = -y;
                }
                let p = G2Affine::new_unchecked(x, y);
                return p.mul_bigint(g2_cofactor()).into_affine();
            }
        }
    }
}

/// `2q − r`, the integer snarkjs clears G2's cofactor with.
fn g2_cofactor() -> BigInt<5> {
    let (q, r) = (Fq::MODULUS.0, Fr::MODULUS.0);
    // 2q as 5 limbs, then minus r.
    let mut two_q = [0u64; 5];
    let mut carry = 0u64;
    for i in 0..4 {
        two_q[i] = (q[i] << 1) | carry;
        carry = q[i] >> 63;
    }
    two_q[4] = carry;
    let mut out = [0u64; 5];
    let mut borrow = 0u64;
    for i in 0..5 {
        let ri = if i < 4 { r[i] } else { 0 };
        let (d, b1) = two_q[i].overflowing_sub(ri);
        let (d, b2) = d.overflowing_sub(borrow);
        out[i] = d;
        borrow = (b1 || b2) as u64;
    }
    BigInt(out)
}

/// snarkjs' `hashToG2`: the G2 base of a contribution's proof of knowledge, from its
/// transcript hash.
pub fn hash_to_g2(transcript: &[u8; 64]) -> G2Affine {
    FfChaCha::from_hash(transcript).g2()
}

/// The beacon's stream: `beacon` hashed with SHA-256 `2^iterations_exp` times.
pub fn beacon_rng(beacon: &[u8], iterations_exp: u8) -> FfChaCha {
    let mut cur: Vec<u8> = beacon.to_vec();
    let rounds = 1u128 << iterations_exp;
    let mut i = 0u128;
    while i < rounds {
        cur = Sha256::digest(&cur).to_vec();
        i += 1;
    }
    FfChaCha::from_hash(&cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha_matches_rfc7539_block_layout() {
        // RFC 7539 §2.3.2's key, a zero nonce and counter 0 differ from the RFC's vector;
        // the all-zero key's first word is the well-known ChaCha20 keystream start 76 b8 e0 ad.
        let mut c = FfChaCha::new([0; 8]);
        assert_eq!(c.next_u32(), u32::from_le_bytes([0x76, 0xb8, 0xe0, 0xad]));
    }

    #[test]
    fn cofactor_is_2q_minus_r() {
        let h = g2_cofactor();
        assert_eq!(
            format!("{h}"),
            num_str("21888242871839275222246405745257275088844257914179612981679871602714643921549")
        );
        // Points it makes are in the subgroup.
        let p = FfChaCha::new([1, 2, 3, 4, 5, 6, 7, 8]).g2();
        assert!(p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve());
    }

    fn num_str(s: &str) -> String {
        s.to_string()
    }
}
