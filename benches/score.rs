//! Score-threshold statement at tree depth 20: logistic regression over 16 features and an
//! MLP 16→16→1, each with public weights (one key per model) and private weights (one key per
//! shape). Proving uses fixed-base tables (built once, as a service does). Floors from issue
//! #3 (checked here, never in tests): ≤ 400 ms (LR) and ≤ 600 ms (MLP) to prove on 2 cores.

use criterion::{criterion_group, criterion_main, Criterion};
use healthzk_circuits::score::Weights;
use healthzk_core::{
    model::{Direction, Model},
    testkit::score::{logistic, mlp, scenario},
    Fr, DEFAULT_TREE_DEPTH, SLOTS,
};
use healthzk_prover::{score::ScoreProver, KeyId};
use healthzk_verifier::{decode_proof, Verifier};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::time::Duration;

/// A model with every weight nonzero, its threshold just above the score of `slots`.
fn model(hidden: usize, slots: &[u64; SLOTS], rng: &mut ChaCha20Rng) -> Model {
    let mut w = |n: usize| (0..n).map(|_| rng.gen_range(-(1i64 << 14)..(1i64 << 14)) | 1).collect::<Vec<_>>();
    let out_len = if hidden == 0 { SLOTS } else { hidden };
    let mut m = if hidden == 0 {
        logistic(w(out_len), 12345, 0, Direction::Below)
    } else {
        let rows = (0..hidden).map(|_| w(SLOTS)).collect();
        mlp(rows, vec![1 << 20; hidden], 24, w(out_len), 12345, 0, Direction::Below)
    };
    let x: [Fr; SLOTS] = std::array::from_fn(|j| Fr::from(slots[j]));
    m.threshold = m.logit(&x).expect("in range") + 1;
    m
}

fn bench(c: &mut Criterion) {
    let depth = DEFAULT_TREE_DEPTH;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let slots: [u64; SLOTS] = std::array::from_fn(|j| 50 + 37 * j as u64);
    for (label, hidden) in [("lr16", 0usize), ("mlp16x16", 16)] {
        let m = model(hidden, &slots, &mut rng);
        let (public, witness) = scenario(&m, &slots, None, depth, 9);
        for private in [false, true] {
            let weights = Weights::for_model(&m, private);
            let pk = healthzk_prover::score::setup(depth, weights.clone(), &mut rng).expect("setup");
            let verifier =
                Verifier::new(healthzk_core::statement::Statement::ScoreThreshold, &pk.vk, KeyId::of(&pk.vk).0);
            let prover = ScoreProver::new(pk, depth, weights).expect("prover").with_fixed_base_tables();
            let mode = if private { "private" } else { "public" };
            eprintln!("score {label} {mode} weights: {} constraints at depth {depth}", prover.num_constraints());
            let proof = prover.prove(&public, &witness, &mut rng).expect("prove");
            let typed = decode_proof(&proof.to_hex()).expect("decodes");
            let mut g = c.benchmark_group(format!("score_{label}_{mode}_depth20"));
            g.sample_size(10).measurement_time(Duration::from_secs(8));
            g.bench_function("prove", |b| b.iter(|| prover.prove(&public, &witness, &mut rng).unwrap()));
            g.bench_function("groth16_verify", |b| b.iter(|| verifier.verify_proof(&public, &typed).unwrap()));
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
