//! The insurer's check: registered models score a lab panel across a threshold.

use super::context::{ms, Demo, Issued};
use anyhow::Result;
use healthzk_core::{
    credential::CredentialRequest,
    day::Day,
    field,
    holder::HolderSecret,
    merkle::MerkleTree,
    model::Model,
    revocation::RevocationList,
    score::ScoreWitness,
    statement::{PublicInputs, Statement},
};
use healthzk_prover::score::{ScoreProver, Weights};
use healthzk_verifier::{Expectations, Rejection, Verifier};
use rand::rngs::OsRng;
use serde_json::json;
use std::time::Instant;

fn lab_panel(values: serde_json::Value, today: Day) -> CredentialRequest {
    serde_json::from_value(
        json!({"schema": "lab_panel/v1", "attributes": values, "issued": today.plus(-3).to_string()}),
    )
    .expect("well-formed request")
}

/// The insurer's check: the registered models score a lab panel below p = 0.2 of high
/// one-year diabetes progression. Grace and Henry are two held-out patients of the study the
/// models were trained on (the six slots the models do not read carry illustrative values).
pub(super) fn eligibility(d: &Demo) -> Result<()> {
    let (depth, today) = (d.prover.depth(), d.today);

    println!("\nInsurer eligibility (score threshold; models trained on scikit-learn's diabetes study):");
    let other =
        json!({"hba1c": "5.2", "creatinine": "0.90", "egfr": 95, "crp": "1.2", "systolic": 118, "diastolic": 76});
    let mut grace = json!({"age": 37, "sex": 2, "bmi": "21.4", "bp": "83", "tc": 128, "ldl": "69.6", "hdl": "49",
        "tch": "3", "ltg": "3.8501", "glucose": 84});
    let mut henry = json!({"age": 36, "sex": 1, "bmi": "30", "bp": "95", "tc": 201, "ldl": "125.2", "hdl": "42",
        "tch": "4.79", "ltg": "5.1299", "glucose": 85});
    for p in [&mut grace, &mut henry] {
        p.as_object_mut().expect("object").extend(other.as_object().expect("object").clone());
    }
    let mut lab = MerkleTree::new(depth)?;
    let mut people = Vec::new();
    for (name, values) in [("grace", grace), ("henry", henry)] {
        let secret = HolderSecret::random(&mut OsRng);
        let credential = lab_panel(values, today).into_credential(secret.commitment(), today, 0, &mut OsRng)?;
        let index = lab.append(credential.commitment())?;
        people.push((name, Issued { secret, credential, index }));
    }
    let lab_revocations = RevocationList::empty();
    let scope = field::from_short_str("scope", "insurer:acme-health").expect("short");
    let models = [
        (Model::from_json(include_str!("../../../models/diabetes-progression-lr.model.json"))?, false),
        (Model::from_json(include_str!("../../../models/diabetes-progression-mlp.model.json"))?, true),
    ];
    let lab = Lab { tree: lab, revocations: lab_revocations, scope, people };
    for (model, private) in models {
        check_model(d, &lab, model, private)?;
    }
    Ok(())
}

/// The insurer's lab: its tree, revocation list and scope, and the two patients.
struct Lab {
    tree: MerkleTree,
    revocations: RevocationList,
    scope: healthzk_core::Fr,
    people: Vec<(&'static str, Issued)>,
}

/// One registered model: keys, grace accepted, henry refused (and his forced proof rejected),
/// and for private weights a laxer unregistered model of the same shape rejected by its hash.
fn check_model(d: &Demo, lab: &Lab, model: Model, private: bool) -> Result<()> {
    let (depth, today, scope, people) = (d.prover.depth(), d.today, lab.scope, &lab.people);
    let (lab_root, lab_revocations) = (lab.tree.root(), &lab.revocations);
    let registered = model.hash()?;
    let mode = if private { "private" } else { "public" };
    let weights = Weights::for_model(&model, private);
    let t = Instant::now();
    eprintln!("[setup] {} keys for {} ({mode} weights) …", Statement::ScoreThreshold, model.shape());
    let pk = healthzk_prover::score::setup(depth, weights.clone(), &mut OsRng)?;
    let verifier = Verifier::new(Statement::ScoreThreshold, &pk.vk, healthzk_prover::KeyId::of(&pk.vk).0);
    let prover = ScoreProver::new(pk, depth, weights)?;
    println!(
        "[keys]   {} with {mode} weights: {} constraints; registered model hash {}… ({:.1} s)",
        model.shape(),
        prover.num_constraints(),
        &field::to_hex(&registered)[..18],
        t.elapsed().as_secs_f64()
    );
    let session = |m: &Model, who: &Issued| {
        let e = Expectations {
            policy_hash: registered,
            challenge: healthzk_verifier::fresh_challenge(b"claims desk", &mut OsRng),
            scope,
            earliest: today.plus(-1),
            latest: today.plus(1),
            accepted_roots: vec![lab_root],
            accepted_revocation_roots: vec![lab_revocations.root()],
        };
        let public = PublicInputs {
            issuer_root: lab_root,
            policy_hash: m.hash().expect("valid model"),
            as_of: today,
            challenge: e.challenge,
            scope,
            nullifier: who.secret.nullifier(scope),
            revocation_root: lab_revocations.root(),
        };
        let w = ScoreWitness {
            credential: who.credential.clone(),
            secret: who.secret.clone(),
            path: lab.tree.path(who.index).expect("issued"),
            revocation: lab_revocations.opening(who.credential.revocation_nonce).expect("nothing revoked"),
            model: m.clone(),
        };
        (public, w, e)
    };
    let (public, w, e) = session(&model, &people[0].1);
    let t = Instant::now();
    let proof = prover.prove(&public, &w, &mut OsRng)?;
    let prove_ms = ms(t);
    let pres = prover.wrap(&public, proof);
    let t = Instant::now();
    let verdict = verifier.verify(&pres, &e);
    let verify_ms = ms(t);
    d.check("grace: risk below 0.2", &verdict, true, None);
    println!("  {:<34} prove {prove_ms:.0} ms, verify {verify_ms:.2} ms", "");

    let (public, w, e) = session(&model, &people[1].1);
    match prover.prove(&public, &w, &mut OsRng) {
        Err(healthzk_prover::ProveError::Unsatisfied(u)) => {
            println!("  {:<34} honest prover refuses: {u}", "henry: risk above 0.2")
        }
        other => {
            println!("  henry: honest prover did not refuse: {other:?}   <-- UNEXPECTED");
            d.fail();
        }
    }
    let forced = prover.wrap(&public, prover.prove_unchecked(&public, &w, &mut OsRng)?);
    d.check("", &verifier.verify(&forced, &e), false, Some(&Rejection::InvalidProof));

    if private {
        // Same shape, laxer threshold (logit + 4, p ≈ 0.93): the key proves it, but it is not the
        // registered model, and the hash says so without revealing either model.
        let mut lax = model.clone();
        lax.threshold += (lax.frac_bits as f64).exp2() as i128 * 4;
        let (public, w, e) = session(&lax, &people[1].1);
        let pres = prover.wrap(&public, prover.prove(&public, &w, &mut OsRng)?);
        d.check(
            "henry: unregistered laxer model",
            &verifier.verify(&pres, &e),
            false,
            Some(&Rejection::PolicyMismatch),
        );
    }
    Ok(())
}
