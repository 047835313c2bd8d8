//! Credential-query at the production depth (20): witness synthesis, proving, verifying.
//! Keys are generated once outside the timed loops (seeded RNG); the constraint count is
//! printed beside the times. `prove` uses the prover's fixed-base tables (built once, as a
//! service does); `prove_without_tables` is the one-shot CLI path. Floors from issue #2 (checked here, never in tests):
//! prove ≤ 400 ms and verify ≤ 2 ms on 2 cores.

use criterion::{criterion_group, criterion_main, Criterion};
use healthzk_core::{
    testkit::{scenario, Spec},
    DEFAULT_TREE_DEPTH,
};
use healthzk_prover::{keys::KeyId, Prover};
use healthzk_verifier::{decode_proof, Verifier};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let depth = DEFAULT_TREE_DEPTH;
    let pk = healthzk_prover::setup(depth, &mut ChaCha20Rng::seed_from_u64(1)).expect("setup");
    let verifier = Verifier::new(healthzk_core::statement::Statement::CredentialQuery, &pk.vk, KeyId::of(&pk.vk).0);
    let plain = Prover::new(pk.clone(), depth).expect("prover");
    let prover = Prover::new(pk, depth).expect("prover").with_fixed_base_tables();
    let s = scenario(&Spec::default(), None, depth);
    eprintln!(
        "credential-query: {} constraints at depth {depth}, {} threads",
        prover.num_constraints(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let proof = prover.prove(&s.public, &s.witness, &mut rng).expect("prove");
    let presentation = prover.wrap(&s.public, proof);
    let expectations = healthzk_verifier::Expectations {
        policy_hash: s.public.policy_hash,
        challenge: s.public.challenge,
        scope: s.public.scope,
        earliest: s.public.as_of,
        latest: s.public.as_of,
        accepted_roots: vec![s.public.issuer_root],
        accepted_revocation_roots: vec![s.public.revocation_root],
    };
    let typed = decode_proof(&presentation.proof).expect("decodes");

    let mut g = c.benchmark_group("credential_query_depth20");
    g.sample_size(10).measurement_time(Duration::from_secs(12));
    g.bench_function("synthesize_witness", |b| b.iter(|| prover.assignment(&s.public, &s.witness).unwrap()));
    g.bench_function("prove", |b| b.iter(|| prover.prove(&s.public, &s.witness, &mut rng).unwrap()));
    g.bench_function("prove_without_tables", |b| b.iter(|| plain.prove(&s.public, &s.witness, &mut rng).unwrap()));
    g.finish();

    let mut g = c.benchmark_group("credential_query_verify");
    g.sample_size(50);
    g.bench_function("groth16_verify", |b| b.iter(|| verifier.verify_proof(&s.public, &typed).unwrap()));
    g.bench_function("verify_presentation", |b| {
        b.iter(|| assert!(verifier.verify(&presentation, &expectations).is_accepted()))
    });
    g.bench_function("decode_proof_validated", |b| b.iter(|| decode_proof(&presentation.proof).unwrap()));
    g.finish();

    // Batch verification (issue #6): re-randomized proofs of the statement are distinct valid
    // proofs; criterion's throughput line gives the per-proof cost to set against
    // `groth16_verify` above.
    let mut g = c.benchmark_group("credential_query_batch_verify");
    g.sample_size(10);
    for n in [16usize, 64, 256] {
        let items: Vec<_> = (0..n)
            .map(|_| {
                let re = ark_groth16::Groth16::<ark_bn254::Bn254>::rerandomize_proof(
                    &prover.proving_key().vk,
                    &typed,
                    &mut rng,
                );
                (s.public, re)
            })
            .collect();
        g.throughput(criterion::Throughput::Elements(n as u64));
        g.bench_function(format!("{n}_proofs"), |b| {
            b.iter(|| assert_eq!(verifier.verify_proof_batch(&items, &mut rng), Ok(())))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
