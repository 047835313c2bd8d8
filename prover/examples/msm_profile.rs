//! Per-MSM timings of one proof at depth 20: arkworks' `msm_bigint` against `healthzk_prover::msm`
//! on the real proving key and witness (best of 5), then the whole proof with and without the
//! fixed-base tables.
use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::VariableBaseMSM;
use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_poly::GeneralEvaluationDomain;
use healthzk_core::testkit::{scenario, Spec};
use rand::SeedableRng;
use std::time::Instant;

fn main() {
    let depth = 20;
    let pk = healthzk_prover::setup(depth, &mut rand_chacha::ChaCha20Rng::seed_from_u64(1)).unwrap();
    let plain = healthzk_prover::Prover::new(pk.clone(), depth).unwrap();
    let t = Instant::now();
    let prover = healthzk_prover::Prover::new(pk, depth).unwrap().with_fixed_base_tables();
    println!("fixed-base tables built in {:?}", t.elapsed());
    let s = scenario(&Spec::default(), None, depth);
    let a = prover.assignment(&s.public, &s.witness).unwrap();
    let (m, ni, nc) = prover.matrices_for_profiling();
    let pk = prover.proving_key();
    let bi: Vec<_> = a.iter().map(|x| x.into_bigint()).collect();
    fn best<T>(f: impl Fn() -> T) -> std::time::Duration {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .min()
            .unwrap()
    }
    let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(m, ni, nc, &a).unwrap();
    let hb: Vec<_> = h.iter().map(|x| x.into_bigint()).collect();
    println!(
        "witness_map {:?}",
        best(|| LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(m, ni, nc, &a).unwrap())
    );
    use healthzk_prover::msm::{msm, FixedBaseMsm};
    let t = (
        FixedBaseMsm::new(&pk.h_query, 13),
        FixedBaseMsm::new(&pk.l_query, 13),
        FixedBaseMsm::new(&pk.a_query[1..], 13),
        FixedBaseMsm::new(&pk.b_g1_query[1..], 13),
        FixedBaseMsm::new(&pk.b_g2_query[1..], 13),
    );
    println!(
        "with tables: H {:?} L {:?} A {:?} B1 {:?} B2 {:?}",
        best(|| t.0.msm(&hb)),
        best(|| t.1.msm(&bi[ni..])),
        best(|| t.2.msm(&bi[1..])),
        best(|| t.3.msm(&bi[1..])),
        best(|| t.4.msm(&bi[1..]))
    );
    for _ in 0..2 {
        println!(
            "H    ark {:?} ours {:?}",
            best(|| G1Projective::msm_bigint(&pk.h_query, &hb)),
            best(|| msm(&pk.h_query, &hb))
        );
        println!(
            "L    ark {:?} ours {:?}",
            best(|| G1Projective::msm_bigint(&pk.l_query, &bi[ni..])),
            best(|| msm(&pk.l_query, &bi[ni..]))
        );
        println!(
            "A    ark {:?} ours {:?}",
            best(|| G1Projective::msm_bigint(&pk.a_query[1..], &bi[1..])),
            best(|| msm(&pk.a_query[1..], &bi[1..]))
        );
        println!(
            "B1   ark {:?} ours {:?}",
            best(|| G1Projective::msm_bigint(&pk.b_g1_query[1..], &bi[1..])),
            best(|| msm(&pk.b_g1_query[1..], &bi[1..]))
        );
        println!(
            "B2   ark {:?} ours {:?}",
            best(|| G2Projective::msm_bigint(&pk.b_g2_query[1..], &bi[1..])),
            best(|| msm(&pk.b_g2_query[1..], &bi[1..]))
        );
        let rng = || rand_chacha::ChaCha20Rng::seed_from_u64(3);
        println!("prove without tables {:?}", best(|| plain.prove(&s.public, &s.witness, &mut rng()).unwrap()));
        println!("prove with tables {:?}", best(|| prover.prove(&s.public, &s.witness, &mut rng()).unwrap()));
    }
}
