//! The score-threshold statement end to end at depth 20 with the sample models (trained on
//! scikit-learn's diabetes study): LR with public weights and MLP 16→16→1 with private weights.
//! Valid statements prove and verify; each public input changed is rejected; a false statement
//! is refused by the prover and a forced proof of it does not verify; a key refuses a model
//! it does not serve.

use healthzk_circuits::score::Weights;
use healthzk_core::{
    model::{Direction, Model},
    query::Unsatisfied,
    statement::{PublicInputs, NUM_PUBLIC_INPUTS, PUBLIC_INPUT_NAMES},
    testkit::score::{sample_model, sample_patients, scenario},
    Fr, DEFAULT_TREE_DEPTH, SLOTS,
};
use healthzk_prover::{score::ScoreProver, ProveError};
use healthzk_verifier::{decode_proof, Expectations, Rejection, Verdict, Verifier};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const DEPTH: usize = DEFAULT_TREE_DEPTH;

/// Held-out patients of the sample data as slot values, with whether `m` accepts each.
fn patients(m: &Model) -> Vec<([u64; SLOTS], bool)> {
    sample_patients()
        .into_iter()
        .map(|p| {
            let x: [Fr; SLOTS] = std::array::from_fn(|j| Fr::from(p.slots[j]));
            (p.slots, m.accepts(m.logit(&x).unwrap()))
        })
        .collect()
}

fn expectations(p: &PublicInputs) -> Expectations {
    Expectations {
        policy_hash: p.policy_hash,
        challenge: p.challenge,
        scope: p.scope,
        earliest: p.as_of,
        latest: p.as_of,
        accepted_roots: vec![p.issuer_root],
        accepted_revocation_roots: vec![p.revocation_root],
    }
}

fn run(m: &Model, private: bool) {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let weights = Weights::for_model(m, private);
    let pk = healthzk_prover::score::setup(DEPTH, weights.clone(), &mut rng).unwrap();
    let verifier = Verifier::new(
        healthzk_core::statement::Statement::ScoreThreshold,
        &pk.vk,
        healthzk_prover::KeyId::of(&pk.vk).0,
    );
    let prover = ScoreProver::new(pk, DEPTH, weights).unwrap();
    let cases = patients(m);
    let (yes, _) = cases.iter().find(|c| c.1).expect("an eligible patient");
    let (no, _) = cases.iter().find(|c| !c.1).expect("an ineligible patient");

    // Valid: proves, verifies, and every public input matters.
    let (public, w) = scenario(m, yes, None, DEPTH, 1);
    let proof = prover.prove(&public, &w, &mut rng).unwrap();
    let pres = prover.wrap(&public, proof);
    assert_eq!(verifier.verify(&pres, &expectations(&public)), Verdict::Accepted { nullifier: public.nullifier });
    let typed = decode_proof(&pres.proof).unwrap();
    for i in 0..NUM_PUBLIC_INPUTS {
        let mut x = public.to_field_elements();
        x[i] += Fr::from(1u64);
        let changed = PublicInputs::from_field_elements(&x).unwrap();
        assert_eq!(verifier.verify_proof(&changed, &typed), Err(Rejection::InvalidProof), "{}", PUBLIC_INPUT_NAMES[i]);
    }
    // A query verifier does not take score presentations.
    let query_verifier = Verifier::new(
        healthzk_core::statement::Statement::CredentialQuery,
        &prover.proving_key().vk,
        prover.key_id().0,
    );
    assert!(matches!(
        query_verifier.verify(&pres, &expectations(&public)),
        Verdict::Rejected(Rejection::UnsupportedFormat(_))
    ));

    // False: the prover refuses, a forced proof does not verify.
    let (public, w) = scenario(m, no, None, DEPTH, 2);
    assert!(matches!(prover.prove(&public, &w, &mut rng), Err(ProveError::Unsatisfied(Unsatisfied::Threshold))));
    let forced = prover.prove_unchecked(&public, &w, &mut rng).unwrap();
    assert_eq!(
        verifier.verify(&prover.wrap(&public, forced), &expectations(&public)),
        Verdict::Rejected(Rejection::InvalidProof)
    );

    // Another model (threshold moved) is refused before proving.
    let mut other = m.clone();
    other.direction = Direction::Above;
    let (public, w) = scenario(&other, no, None, DEPTH, 3);
    let r = prover.prove(&public, &w, &mut rng);
    if private {
        // Same shape: the key serves it; its hash is what the verifier checks.
        let pres = prover.wrap(&public, r.unwrap());
        assert_eq!(
            verifier.verify(&pres, &expectations(&{ PublicInputs { policy_hash: m.hash().unwrap(), ..public } })),
            Verdict::Rejected(Rejection::PolicyMismatch)
        );
    } else {
        assert!(matches!(r, Err(ProveError::WrongKey(_))), "{r:?}");
    }
}

#[test]
fn logistic_regression_public_weights() {
    run(&sample_model("lr"), false);
}

#[test]
fn mlp_private_weights() {
    run(&sample_model("mlp"), true);
}
