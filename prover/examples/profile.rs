//! Times the phases of one proof: witness synthesis, QAP witness map, whole proof.
use ark_bn254::Fr;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_poly::GeneralEvaluationDomain;
use healthzk_core::testkit::{scenario, Spec};
use rand::SeedableRng;
use std::time::Instant;

fn main() {
    let depth = 20;
    let pk = healthzk_prover::setup(depth, &mut rand_chacha::ChaCha20Rng::seed_from_u64(1)).unwrap();
    let prover = healthzk_prover::Prover::new(pk, depth).unwrap();
    let s = scenario(&Spec::default(), None, depth);
    for _ in 0..3 {
        let t = Instant::now();
        let a = prover.assignment(&s.public, &s.witness).unwrap();
        let t1 = t.elapsed();
        let t = Instant::now();
        let (m, ni, nc) = prover.matrices_for_profiling();
        let _h =
            LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(m, ni, nc, &a).unwrap();
        let t2 = t.elapsed();
        let nnz: usize = m.iter().map(|mm| mm.iter().map(|r| r.len()).sum::<usize>()).sum();
        let t = Instant::now();
        prover.prove(&s.public, &s.witness, &mut rand_chacha::ChaCha20Rng::seed_from_u64(3)).unwrap();
        let t3 = t.elapsed();
        let small = a.iter().filter(|x| healthzk_core::field::to_u64(x).is_some()).count();
        println!("assign {t1:?}  witness_map {t2:?}  prove {t3:?}  vars {} (u64-sized {small}) nnz {nnz}", a.len());
    }
}
