//! Window-width tuning for `msm` on random full-size scalars (below r/2), G1 and G2.
use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{PrimeField, UniformRand};
use healthzk_prover::msm::{msm_large_with_window, FixedBaseMsm};
use rand::SeedableRng;
use std::time::{Duration, Instant};

fn best<T>(f: impl Fn() -> T) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    for n in [8192usize, 16384] {
        let g1: Vec<_> = (0..n).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let sc: Vec<_> = (0..n)
            .map(|_| {
                let mut s = Fr::rand(&mut rng);
                if s.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO {
                    s = -s;
                }
                s.into_bigint()
            })
            .collect();
        let ark = best(|| G1Projective::msm_bigint(&g1, &sc));
        let ours: Vec<_> = (8..=13).map(|c| (c, best(|| msm_large_with_window(&g1, &sc, c)))).collect();
        println!("G1 n={n} ark {ark:?} ours {ours:?}");
        let fixed: Vec<_> = (11..=15)
            .map(|c| {
                let t = Instant::now();
                let table = FixedBaseMsm::new(&g1, c);
                let build = t.elapsed();
                (c, build, best(|| table.msm(&sc)))
            })
            .collect();
        println!("G1 n={n} fixed-base (c, build, msm) {fixed:?}");
        if n <= 8192 {
            let g2: Vec<_> = (0..n).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
            let ark = best(|| G2Projective::msm_bigint(&g2, &sc));
            let ours: Vec<_> = (8..=12).map(|c| (c, best(|| msm_large_with_window(&g2, &sc, c)))).collect();
            println!("G2 n={n} ark {ark:?} ours {ours:?}");
            let fixed: Vec<_> = (11..=14)
                .map(|c| {
                    let t = Instant::now();
                    let table = FixedBaseMsm::new(&g2, c);
                    let build = t.elapsed();
                    (c, build, best(|| table.msm(&sc)))
                })
                .collect();
            println!("G2 n={n} fixed-base (c, build, msm) {fixed:?}");
        }
    }
}
