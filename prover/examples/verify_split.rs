//! Verification cost split: input preparation by arkworks' MSM versus healthzk's fixed-base
//! tables, and the pairing check, measured in one process.
use ark_bn254::Bn254;
use ark_groth16::{prepare_verifying_key, Groth16};
use healthzk_core::testkit::{scenario, Spec};
use rand::SeedableRng;
use std::time::Instant;
fn main() {
    let pk = healthzk_prover::setup(20, &mut rand_chacha::ChaCha20Rng::seed_from_u64(1)).unwrap();
    let prover = healthzk_prover::Prover::new(pk, 20).unwrap();
    let s = scenario(&Spec::default(), None, 20);
    let bytes = prover.prove(&s.public, &s.witness, &mut rand_chacha::ChaCha20Rng::seed_from_u64(3)).unwrap();
    let proof = healthzk_verifier::decode_proof(&bytes.to_hex()).unwrap();
    let vk = &prover.proving_key().vk;
    let pvk = prepare_verifying_key(vk);
    let verifier =
        healthzk_verifier::Verifier::new(healthzk_core::statement::Statement::CredentialQuery, vk, prover.key_id().0);
    let x = s.public.to_field_elements();
    let n = 300;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..n {
            assert!(Groth16::<Bn254>::verify_proof(&pvk, &proof, &x).unwrap());
        }
        let ark = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            verifier.verify_proof(&s.public, &proof).unwrap();
        }
        let ours = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            let _ = Groth16::<Bn254>::prepare_inputs(&pvk, &x).unwrap();
        }
        let prep = t.elapsed() / n;
        println!(
            "arkworks verify_proof {ark:?}  healthzk verify_proof {ours:?}  (arkworks prepare_inputs alone {prep:?})"
        );
    }
}
