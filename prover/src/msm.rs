//! Multi-scalar multiplication for the prover: signed-digit Pippenger whose buckets are kept
//! in affine form and updated in batches that share one field inversion.
//!
//! Why: a Groth16 proof is five MSMs over the proving key, and they are ~85% of proving
//! time. Adding a point to a bucket in Jacobian coordinates (what arkworks does) costs about
//! 7M + 4S; adding it in affine coordinates costs 2M + 1S plus one inversion, and Montgomery's
//! trick shares one inversion across a batch for 3M per element — about 6M in all.
//!
//! How:
//! - Scalars above `r/2` are negated together with their base, so every magnitude is below
//!   `2^253`; magnitudes below `2^64` go to arkworks' small-scalar MSM, which is already
//!   cheap for them (most of our witness is bits and 64-bit values).
//! - The large ones are recoded into signed `c`-bit digits in `(−2^(c−1), 2^(c−1)]`, so a
//!   window has `2^(c−1)` buckets. Windows are processed in parallel on rayon.
//! - In a window, a point whose bucket already has an addition pending in the current batch
//!   is added to a per-bucket Jacobian spill instead of waiting; empty buckets take the point
//!   as is; `P + P` and `P + (−P)` are handled explicitly. The batch is then resolved with one
//!   inversion.
//! - Buckets are summed with the usual running sum, and windows combined by doubling.
//!
//! The result equals arkworks' `VariableBaseMSM::msm_bigint` (tested on random, small,
//! negative, zero, identity and repeated inputs).

use ark_ec::{
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AdditiveGroup, AffineRepr, CurveGroup, VariableBaseMSM,
};
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

type BigIntOf<P> = <<P as ark_ec::CurveConfig>::ScalarField as PrimeField>::BigInt;

/// Additions resolved per inversion, at most; also bounded by a quarter of the buckets so
/// few points find their bucket busy.
const MAX_BATCH: usize = 256;

/// `Σ scalarsᵢ · basesᵢ` over the common prefix of the two slices.
pub fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigIntOf<P>]) -> Projective<P> {
    let modulus = P::ScalarField::MODULUS;
    let mut half = modulus;
    half.div2();
    let mut small_bases = Vec::new();
    let mut small_scalars = Vec::new();
    let mut big_bases = Vec::new();
    let mut big_scalars = Vec::new();
    for (base, scalar) in bases.iter().zip(scalars) {
        if scalar.is_zero() || base.is_zero() {
            continue;
        }
        let (b, magnitude) = if *scalar > half {
            let mut m = modulus;
            m.sub_with_borrow(scalar);
            (-*base, m)
        } else {
            (*base, *scalar)
        };
        if magnitude.num_bits() <= 64 {
            small_bases.push(*base);
            small_scalars.push(*scalar);
        } else {
            big_bases.push(b);
            big_scalars.push(magnitude);
        }
    }
    let small = if small_bases.is_empty() {
        Projective::<P>::zero()
    } else {
        <Projective<P> as VariableBaseMSM>::msm_bigint(&small_bases, &small_scalars)
    };
    small + msm_large::<P>(&big_bases, &big_scalars, window_bits(big_bases.len()))
}

/// [`msm`] of scalars below `r/2` with a chosen window width (for tuning; not range-checked).
#[doc(hidden)]
pub fn msm_large_with_window<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[BigIntOf<P>],
    c: usize,
) -> Projective<P> {
    msm_large(bases, scalars, c)
}

/// Window width for `n` large scalars (measured on BN254 G1 and G2, 2 cores; see README).
fn window_bits(n: usize) -> usize {
    match n {
        0..=31 => 4,
        32..=511 => 6,
        512..=2047 => 8,
        2048..=4095 => 9,
        4096..=8191 => 10,
        _ => 11,
    }
}

/// MSM of magnitudes below `2^253` (the caller negates larger scalars).
fn msm_large<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigIntOf<P>], c: usize) -> Projective<P> {
    let n = bases.len();
    if n == 0 {
        return Projective::zero();
    }
    let bits = P::ScalarField::MODULUS_BIT_SIZE as usize; // magnitudes use at most bits − 1
    let windows = bits.div_ceil(c);
    let digits = signed_digits::<P>(scalars, c, windows);
    let sums: Vec<Projective<P>> =
        (0..windows).into_par_iter().map(|w| window_sum(bases, &digits[w * n..(w + 1) * n], c)).collect();
    let mut total = Projective::<P>::zero();
    for sum in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += sum;
    }
    total
}

/// Signed digits, window-major: `digits[w·n + i]` is digit `w` of scalar `i`, in
/// `(−2^(c−1), 2^(c−1)]`, with `Σ_w digit_w · 2^(c·w) = scalar`.
fn signed_digits<P: SWCurveConfig>(scalars: &[BigIntOf<P>], c: usize, windows: usize) -> Vec<i16> {
    let n = scalars.len();
    let mut digits = vec![0i16; n * windows];
    let half = 1i64 << (c - 1);
    for (i, s) in scalars.iter().enumerate() {
        let limbs = s.as_ref();
        let mut carry = 0i64;
        for w in 0..windows {
            let raw = window_value(limbs, w * c, c) as i64 + carry;
            let (d, next) = if raw > half { (raw - (1 << c), 1) } else { (raw, 0) };
            digits[w * n + i] = d as i16;
            carry = next;
        }
        debug_assert_eq!(carry, 0, "magnitude must stay below 2^(bits−1)");
    }
    digits
}

/// `len` bits of the little-endian limbs starting at bit `start` (`len ≤ 16`).
fn window_value(limbs: &[u64], start: usize, len: usize) -> u64 {
    let (limb, shift) = (start / 64, start % 64);
    if limb >= limbs.len() {
        return 0;
    }
    let mut v = limbs[limb] >> shift;
    if shift + len > 64 && limb + 1 < limbs.len() {
        v |= limbs[limb + 1] << (64 - shift);
    }
    v & ((1u64 << len) - 1)
}

/// One window: accumulate every point into its bucket, then `Σ_k k · bucket_k`.
fn window_sum<P: SWCurveConfig>(bases: &[Affine<P>], digits: &[i16], c: usize) -> Projective<P> {
    let buckets_len = 1usize << (c - 1);
    let mut acc = Accumulator::<P>::new(buckets_len);
    for (base, &d) in bases.iter().zip(digits) {
        if d != 0 {
            let p = if d > 0 { *base } else { -*base };
            acc.add(d.unsigned_abs() as usize - 1, p);
        }
    }
    acc.flush();
    acc.sum()
}

/// Affine buckets with a pending batch of additions.
struct Accumulator<P: SWCurveConfig> {
    buckets: Vec<Affine<P>>,
    /// Points whose bucket was busy when they arrived, summed in Jacobian form.
    spill: Vec<Projective<P>>,
    busy: Vec<bool>,
    /// Pending additions: (bucket, point, is a doubling).
    pending: Vec<(usize, Affine<P>, bool)>,
    batch: usize,
    scratch: Vec<P::BaseField>,
}

impl<P: SWCurveConfig> Accumulator<P> {
    fn new(buckets_len: usize) -> Self {
        let batch = (buckets_len / 4).clamp(1, MAX_BATCH);
        Accumulator {
            buckets: vec![Affine::identity(); buckets_len],
            spill: vec![Projective::zero(); buckets_len],
            busy: vec![false; buckets_len],
            pending: Vec::with_capacity(batch),
            batch,
            scratch: Vec::with_capacity(batch),
        }
    }

    fn add(&mut self, k: usize, p: Affine<P>) {
        if self.busy[k] {
            self.spill[k] += &p;
            return;
        }
        let q = &self.buckets[k];
        if q.is_zero() {
            self.buckets[k] = p;
            return;
        }
        let doubling = if q.x == p.x {
            if q.y != p.y || q.y.is_zero() {
                // P + (−P), or doubling a point of order two: the identity.
                self.buckets[k] = Affine::identity();
                return;
            }
            true
        } else {
            false
        };
        self.busy[k] = true;
        self.pending.push((k, p, doubling));
        if self.pending.len() == self.batch {
            self.flush();
        }
    }

    /// `Σ_k (k + 1) · bucket_k` by a running sum (call after [`Accumulator::flush`]).
    fn sum(&self) -> Projective<P> {
        let mut running = Projective::<P>::zero();
        let mut sum = Projective::<P>::zero();
        for (b, spill) in self.buckets.iter().zip(&self.spill).rev() {
            running += b;
            running += spill;
            sum += running;
        }
        sum
    }

    /// Resolves every pending addition with one shared inversion (Montgomery's trick).
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // scratch[j] = d_0 · … · d_(j−1), the prefix products of the denominators.
        self.scratch.clear();
        let mut product = P::BaseField::ONE;
        for &(k, p, doubling) in &self.pending {
            self.scratch.push(product);
            let q = &self.buckets[k];
            product *= if doubling { q.y.double() } else { p.x - q.x };
        }
        let mut inverse = product.inverse().expect("denominators are nonzero by construction");
        for j in (0..self.pending.len()).rev() {
            let (k, p, doubling) = self.pending[j];
            let q = self.buckets[k];
            let denominator = if doubling { q.y.double() } else { p.x - q.x };
            let inv = inverse * self.scratch[j];
            inverse *= denominator;
            let lambda = if doubling {
                let xx = q.x.square();
                (xx.double() + xx + P::COEFF_A) * inv
            } else {
                (p.y - q.y) * inv
            };
            let x3 = lambda.square() - q.x - p.x;
            let y3 = lambda * (q.x - x3) - q.y;
            self.buckets[k] = Affine::new_unchecked(x3, y3);
            self.busy[k] = false;
        }
        self.pending.clear();
    }
}

/// A fixed-base MSM with precomputed window multiples: for every (non-identity) base `P`
/// and window `w` the table holds `2^(c·w)·P` in affine form, so a multiplication needs no
/// doublings and all windows share one set of buckets. Each point then costs one batched
/// affine addition per nonzero digit, and the bucket sum is paid once per thread instead of
/// once per window, which lets the window be wider (fewer digits per scalar).
///
/// Memory: `windows · 72` bytes per G1 base and `windows · 136` per G2 base — about 110 MiB
/// for the depth-20 credential-query key at `c = 13` (20 windows). Building it costs about
/// `windows · c` doublings per base (1–3 s for that key on 2 cores).
pub struct FixedBaseMsm<P: SWCurveConfig> {
    c: usize,
    windows: usize,
    /// Scalar index of each stored base (identity bases are dropped).
    index: Vec<u32>,
    /// `table[k · windows + w] = 2^(c·w) · bases[index[k]]`.
    table: Vec<Affine<P>>,
}

impl<P: SWCurveConfig> std::fmt::Debug for FixedBaseMsm<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBaseMsm").field("c", &self.c).field("bases", &self.index.len()).finish()
    }
}

impl<P: SWCurveConfig> FixedBaseMsm<P> {
    /// Precomputes the window multiples of `bases` for `c`-bit signed digits (`2 ≤ c ≤ 15`).
    pub fn new(bases: &[Affine<P>], c: usize) -> Self {
        assert!((2..=15).contains(&c), "window width {c} out of 2..=15");
        let windows = (P::ScalarField::MODULUS_BIT_SIZE as usize).div_ceil(c);
        let index: Vec<u32> = (0..bases.len()).filter(|&i| !bases[i].is_zero()).map(|i| i as u32).collect();
        let table = index
            .par_chunks(256)
            .flat_map_iter(|chunk| {
                let mut multiples = Vec::with_capacity(chunk.len() * windows);
                for &i in chunk {
                    let mut p: Projective<P> = bases[i as usize].into();
                    for _ in 0..windows {
                        multiples.push(p);
                        for _ in 0..c {
                            p.double_in_place();
                        }
                    }
                }
                Projective::normalize_batch(&multiples)
            })
            .collect();
        FixedBaseMsm { c, windows, index, table }
    }

    /// `Σ scalarsᵢ · basesᵢ` (scalars beyond the bases are ignored, missing ones are zero).
    pub fn msm(&self, scalars: &[BigIntOf<P>]) -> Projective<P> {
        let modulus = P::ScalarField::MODULUS;
        let mut half = modulus;
        half.div2();
        let threads = rayon::current_num_threads().max(1);
        let chunk = self.index.len().div_ceil(threads).max(1);
        let buckets_len = 1usize << (self.c - 1);
        let limit = 1i64 << (self.c - 1);
        self.index
            .par_chunks(chunk)
            .enumerate()
            .map(|(t, chunk_index)| {
                let mut acc = Accumulator::<P>::new(buckets_len);
                for (j, &i) in chunk_index.iter().enumerate() {
                    let Some(scalar) = scalars.get(i as usize) else { continue };
                    if scalar.is_zero() {
                        continue;
                    }
                    let (negate, magnitude) = if *scalar > half {
                        let mut m = modulus;
                        m.sub_with_borrow(scalar);
                        (true, m)
                    } else {
                        (false, *scalar)
                    };
                    let k = t * chunk + j;
                    let row = &self.table[k * self.windows..(k + 1) * self.windows];
                    let limbs = magnitude.as_ref();
                    let top = magnitude.num_bits() as usize;
                    let mut carry = 0i64;
                    for (w, point) in row.iter().enumerate() {
                        if w * self.c > top {
                            break; // the rest of the digits (and the carry) are zero
                        }
                        let raw = window_value(limbs, w * self.c, self.c) as i64 + carry;
                        let (d, next) = if raw > limit { (raw - (1 << self.c), 1) } else { (raw, 0) };
                        carry = next;
                        if d != 0 {
                            let p = if (d < 0) != negate { -*point } else { *point };
                            acc.add(d.unsigned_abs() as usize - 1, p);
                        }
                    }
                }
                acc.flush();
                acc.sum()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::PrimeGroup;
    use ark_ff::UniformRand;
    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn reference<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> Projective<P> {
        bases.iter().zip(scalars).map(|(b, s)| *b * s).sum()
    }

    fn check<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) {
        let big: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        assert_eq!(msm(bases, &big).into_affine(), reference(bases, scalars).into_affine());
    }

    /// Random, small, negative-small, zero and ±1 scalars over random and repeated bases.
    fn inputs<P: SWCurveConfig>(n: usize, seed: u64, repeat: bool) -> (Vec<Affine<P>>, Vec<P::ScalarField>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let g = Projective::<P>::generator();
        let bases: Vec<Affine<P>> = (0..n)
            .map(|i| match (repeat, i % 7) {
                (_, 6) => Affine::identity(),
                (true, k) => (g * P::ScalarField::from(k as u64 + 1)).into_affine(),
                _ => Projective::<P>::rand(&mut rng).into_affine(),
            })
            .collect();
        let scalars = (0..n)
            .map(|i| match i % 9 {
                0 => P::ScalarField::from(0u64),
                1 => P::ScalarField::from(1u64),
                2 => -P::ScalarField::from(1u64),
                3 => P::ScalarField::from(u64::MAX),
                4 => -P::ScalarField::from(12345u64),
                5 if repeat => P::ScalarField::from(1u64 << 40) * P::ScalarField::from(1u64 << 40),
                _ => P::ScalarField::rand(&mut rng),
            })
            .collect();
        (bases, scalars)
    }

    #[test]
    fn equals_the_reference_on_g1_and_g2() {
        for n in [0, 1, 2, 31, 32, 600, 3000] {
            for repeat in [false, true] {
                let (b, s) = inputs::<ark_bn254::g1::Config>(n, n as u64, repeat);
                check(&b, &s);
            }
        }
        for n in [0, 5, 700] {
            for repeat in [false, true] {
                let (b, s) = inputs::<ark_bn254::g2::Config>(n, n as u64 + 1, repeat);
                check(&b, &s);
            }
        }
    }

    #[test]
    fn equal_points_in_one_bucket_double_and_opposite_points_cancel() {
        // Identical (base, scalar) pairs land in the same bucket of every window: the second
        // one doubles the bucket, a third negated one cancels back.
        let g = G1Affine::generator();
        let s = Fr::from(3u64).pow([100u64]);
        let bases = vec![g, g, g, -g, g];
        let scalars = vec![s, s, s, s, -s];
        check(&bases, &scalars);
        let h = G2Affine::generator();
        check(&[h, h, -h], &[s, s, s]);
        // Large n with only two distinct points: nearly every addition is a doubling or
        // lands in a busy bucket.
        let bases: Vec<G1Affine> = (0..5000).map(|i| if i % 2 == 0 { g } else { -g }).collect();
        let scalars: Vec<Fr> = (0..5000).map(|i| s + Fr::from((i % 3) as u64)).collect();
        check(&bases, &scalars);
    }

    #[test]
    fn matches_arkworks_at_proving_key_sizes() {
        let (b, s) = inputs::<ark_bn254::g1::Config>(16384, 7, false);
        let big: Vec<_> = s.iter().map(|x| x.into_bigint()).collect();
        assert_eq!(msm(&b, &big), G1Projective::msm_bigint(&b, &big));
        let (b, s) = inputs::<ark_bn254::g2::Config>(4000, 8, false);
        let big: Vec<_> = s.iter().map(|x| x.into_bigint()).collect();
        assert_eq!(msm(&b, &big), G2Projective::msm_bigint(&b, &big));
    }

    fn check_fixed<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField], c: usize) {
        let big: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        let table = FixedBaseMsm::new(bases, c);
        assert_eq!(table.msm(&big).into_affine(), reference(bases, scalars).into_affine(), "c = {c}");
    }

    #[test]
    fn fixed_base_tables_equal_the_reference() {
        for c in [2, 5, 13, 15] {
            for n in [0, 1, 40, 900] {
                for repeat in [false, true] {
                    let (b, s) = inputs::<ark_bn254::g1::Config>(n, (n + c) as u64, repeat);
                    check_fixed(&b, &s, c);
                }
            }
        }
        for repeat in [false, true] {
            let (b, s) = inputs::<ark_bn254::g2::Config>(300, 9, repeat);
            check_fixed(&b, &s, 13);
        }
        // Fewer scalars than bases: the missing ones are zero.
        let (b, s) = inputs::<ark_bn254::g1::Config>(50, 3, false);
        let big: Vec<_> = s[..20].iter().map(|x| x.into_bigint()).collect();
        let expected = reference(&b[..20], &s[..20]);
        assert_eq!(FixedBaseMsm::new(&b, 13).msm(&big), expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn random_inputs_agree(n in 0usize..200, seed in any::<u64>(), repeat in any::<bool>()) {
            let (b, s) = inputs::<ark_bn254::g1::Config>(n, seed, repeat);
            check(&b, &s);
        }

        #[test]
        fn fixed_base_random_inputs_agree(n in 0usize..120, seed in any::<u64>(), repeat in any::<bool>(), c in 2usize..=15) {
            let (b, s) = inputs::<ark_bn254::g1::Config>(n, seed, repeat);
            check_fixed(&b, &s, c);
        }
    }
}
