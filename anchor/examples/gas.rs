//! Gas of every chain operation on the embedded chain (Cancun rules; the same bytecode runs
//! on any EVM node). `cargo run --release -p healthzk-anchor --example gas`; README lists the
//! output. Gas is deterministic, so one run is the measurement.

use healthzk_anchor::{
    contracts::{Gate, GateConfig, Registry, VerifierContract},
    encode, Account, EmbeddedChain,
};
use healthzk_core::{
    day::Day,
    testkit::{self, scenario, Spec},
    Fr, DEFAULT_TREE_DEPTH,
};
use healthzk_prover::{
    score::{ScoreProver, Weights},
    Prover,
};
use healthzk_verifier::decode_proof;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn intrinsic(data: &[u8]) -> u64 {
    21_000 + data.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum::<u64>()
}

fn main() {
    let depth = DEFAULT_TREE_DEPTH;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    eprintln!("setting up both statements at depth {depth}…");
    let pk = healthzk_prover::setup(depth, &mut rng).unwrap();
    let query = Prover::new(pk, depth).unwrap();
    let model = testkit::score::sample_model("lr");
    let weights = Weights::for_model(&model, false);
    let score =
        ScoreProver::new(healthzk_prover::score::setup(depth, weights.clone(), &mut rng).unwrap(), depth, weights)
            .unwrap();

    let mut chain = EmbeddedChain::in_memory();
    let today = Day(20_400);
    chain.set_clock(Some(today.0 as u64 * 86_400 + 3_600));
    let [owner, issuer, holder, publisher] = std::array::from_fn(|_| Account::random());
    let mut rows: Vec<(String, u64)> = Vec::new();

    let (registry, r) = Registry::deploy(&mut chain, &owner).unwrap();
    rows.push(("deploy AnchorRegistry".into(), r.gas_used));
    let qvk = &query.proving_key().vk;
    let (qv, r) = VerifierContract::deploy(&mut chain, &owner, qvk).unwrap();
    rows.push(("deploy Groth16Verifier (one per key)".into(), r.gas_used));
    let svk = &score.proving_key().vk;
    let (sv, _) = VerifierContract::deploy(&mut chain, &owner, svk).unwrap();
    rows.push((
        "accredit an issuer".into(),
        registry.accredit_issuer(&mut chain, &owner, issuer.address()).unwrap().gas_used,
    ));
    let first = registry.anchor_root(&mut chain, &issuer, &Fr::from(1u64)).unwrap().gas_used;
    rows.push(("anchor a root (issuer's first)".into(), first));

    // Verify each statement (a transaction calling verifyProof).
    let mut s = scenario(&Spec { as_of: today, ..Spec::default() }, None, depth);
    let proof = decode_proof(&query.prove(&s.public, &s.witness, &mut rng).unwrap().to_hex()).unwrap();
    let data = VerifierContract::calldata(encode::proof(&proof), encode::public_inputs(&s.public));
    let g = qv.verify_gas(&mut chain, &proof, &s.public).unwrap();
    rows.push(("verify credential-query (transaction)".into(), g));
    rows.push(("verify credential-query (execution, minus 21,000 + calldata)".into(), g - intrinsic(&data)));
    let patient = testkit::score::sample_patients()
        .into_iter()
        .find(|p| {
            let x: [Fr; healthzk_core::SLOTS] = std::array::from_fn(|j| Fr::from(p.slots[j]));
            model.accepts(model.logit(&x).unwrap())
        })
        .unwrap();
    let (sp, sw) = testkit::score::scenario(&model, &patient.slots, None, depth, 3);
    let sproof = decode_proof(&score.prove(&sp, &sw, &mut rng).unwrap().to_hex()).unwrap();
    let data = VerifierContract::calldata(encode::proof(&sproof), encode::public_inputs(&sp));
    let g = sv.verify_gas(&mut chain, &sproof, &sp).unwrap();
    rows.push(("verify score-threshold (transaction)".into(), g));
    rows.push(("verify score-threshold (execution, minus 21,000 + calldata)".into(), g - intrinsic(&data)));

    // The gate: challenge bound to the holder, root anchored, nullifier recorded.
    let config = GateConfig {
        registry: registry.address,
        verifier: qv.address,
        issuer: issuer.address(),
        policy_hash: s.public.policy_hash,
        scope: s.public.scope,
        max_age_days: 1,
        revocation_grace_seconds: 3_600,
    };
    let (gate, r) = Gate::deploy(&mut chain, &owner, &config).unwrap();
    rows.push(("deploy EligibilityGate".into(), r.gas_used));
    let next = registry.anchor_root(&mut chain, &issuer, &s.public.issuer_root).unwrap().gas_used;
    rows.push(("anchor a root (later roots)".into(), next));
    let empty = healthzk_core::revocation::RevocationList::empty().root();
    rows.push((
        "anchor a revocation root (issuer's first)".into(),
        registry.anchor_revocation_root(&mut chain, &issuer, &empty).unwrap().gas_used,
    ));
    rows.push((
        "anchor a revocation root (superseding the last)".into(),
        registry.anchor_revocation_root(&mut chain, &issuer, &s.public.revocation_root).unwrap().gas_used,
    ));
    s.public.challenge = gate.challenge_for(&mut chain, holder.address()).unwrap();
    let proof = decode_proof(&query.prove(&s.public, &s.witness, &mut rng).unwrap().to_hex()).unwrap();
    rows.push((
        "EligibilityGate.enter (verify + registry + nullifier)".into(),
        gate.enter(&mut chain, &holder, &proof, &s.public).unwrap().gas_used,
    ));
    rows.push((
        "revoke a root".into(),
        registry.revoke_root(&mut chain, &issuer, issuer.address(), &Fr::from(1u64)).unwrap().gas_used,
    ));
    registry.accredit_model_publisher(&mut chain, &owner, publisher.address()).unwrap();
    rows.push((
        "register a model hash".into(),
        registry.register_model(&mut chain, &publisher, &sp.policy_hash).unwrap().gas_used,
    ));

    println!("| operation | gas |");
    println!("|---|---:|");
    for (what, gas) in &rows {
        println!("| {what} | {gas} |");
    }
    println!();
    println!("| credentials per anchored root | gas per credential |");
    println!("|---:|---:|");
    for n in [1u64, 10, 100, 1_000, 10_000] {
        println!("| {n} | {} |", next.div_ceil(n));
    }
}
