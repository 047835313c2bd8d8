//! The chain suite, written once against `&mut dyn Chain` and run on both backends: the
//! embedded revm chain (`tests/embedded.rs`) and a Hardhat node over JSON-RPC (`tests/rpc.rs`).

#![allow(dead_code)]

use alloy_primitives::U256;
use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use healthzk_anchor::{
    contracts::{Gate, GateConfig, Registry, VerifierContract},
    encode, Account, Chain, Error,
};
use healthzk_core::{
    day::Day,
    statement::{PublicInputs, NUM_PUBLIC_INPUTS, PUBLIC_INPUT_NAMES},
    testkit::{self, scenario, Spec},
    DEFAULT_TREE_DEPTH,
};
use healthzk_prover::{
    score::{ScoreProver, Weights},
    KeyId, Prover,
};
use healthzk_verifier::{decode_proof, Expectations, Rejection, Verdict, Verifier};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

pub const DEPTH: usize = DEFAULT_TREE_DEPTH;

/// One development setup per statement, seeded, shared by the tests of a binary.
pub struct Fixture {
    pub query: Prover,
    pub query_verifier: Verifier,
    pub score: ScoreProver,
    pub score_verifier: Verifier,
    pub model: healthzk_core::model::Model,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(41);
        let pk = healthzk_prover::setup(DEPTH, &mut rng).unwrap();
        let query_verifier =
            Verifier::new(healthzk_core::statement::Statement::CredentialQuery, &pk.vk, KeyId::of(&pk.vk).0);
        let model = testkit::score::sample_model("lr");
        let weights = Weights::for_model(&model, false);
        let spk = healthzk_prover::score::setup(DEPTH, weights.clone(), &mut rng).unwrap();
        let score_verifier =
            Verifier::new(healthzk_core::statement::Statement::ScoreThreshold, &spk.vk, KeyId::of(&spk.vk).0);
        Fixture {
            query: Prover::new(pk, DEPTH).unwrap(),
            query_verifier,
            score: ScoreProver::new(spk, DEPTH, weights).unwrap(),
            score_verifier,
            model,
        }
    })
}

pub fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(7)
}

/// A valid credential-query statement about `as_of`, with `challenge` as its challenge.
pub fn query_statement(as_of: Day, challenge: Option<Fr>) -> (PublicInputs, Proof<Bn254>, testkit::Scenario) {
    let f = fixture();
    let mut s = scenario(&Spec { as_of, ..Spec::default() }, None, DEPTH);
    if let Some(c) = challenge {
        s.public.challenge = c;
    }
    let proof = f.query.prove(&s.public, &s.witness, &mut rng()).unwrap();
    (s.public, decode_proof(&proof.to_hex()).unwrap(), s)
}

/// A valid score-threshold statement (sample LR model, a patient it accepts).
pub fn score_statement() -> (PublicInputs, Proof<Bn254>) {
    let f = fixture();
    let patient = testkit::score::sample_patients()
        .into_iter()
        .find(|p| {
            let x: [Fr; healthzk_core::SLOTS] = std::array::from_fn(|j| Fr::from(p.slots[j]));
            f.model.accepts(f.model.logit(&x).unwrap())
        })
        .expect("an accepted patient");
    let (public, w) = testkit::score::scenario(&f.model, &patient.slots, None, DEPTH, 3);
    let proof = f.score.prove(&public, &w, &mut rng()).unwrap();
    (public, decode_proof(&proof.to_hex()).unwrap())
}

/// `ensure_gas` lets a fresh account transact: on a node it tops the balance up once (a second
/// call sends nothing) and the account can then deploy; on the embedded chain, where gas is
/// free, it sends nothing. Returns the wei sent the first time.
pub fn funding_suite(chain: &mut dyn Chain, funder: &Account) -> u128 {
    let fresh = Account::random();
    let min = 10u128.pow(17);
    let sent = chain.ensure_gas(funder, fresh.address(), min).unwrap();
    assert_eq!(chain.ensure_gas(funder, fresh.address(), min).unwrap(), 0, "already funded");
    healthzk_anchor::contracts::Registry::deploy(chain, &fresh).expect("a funded account deploys");
    sent
}

pub fn reverted_with(r: Result<impl std::fmt::Debug, Error>, needle: &str) {
    match r {
        Err(Error::Reverted(reason)) => {
            assert!(reason.contains(needle), "reverted with {reason}, expected {needle}")
        }
        other => panic!("expected a revert with {needle}, got {other:?}"),
    }
}

/// The Solidity verifier accepts a Rust proof of each statement, and rejects the same proof
/// with any public input + r, any public input changed, or a tampered point. Returns the
/// gas of the verifying transactions (query, score).
pub fn verifier_suite(chain: &mut dyn Chain, deployer: &Account) -> (u64, u64) {
    let f = fixture();
    let q = &f.query.proving_key().vk;
    let (query_contract, _) = VerifierContract::deploy(chain, deployer, q).unwrap();
    // The contract derives its key id from the key: healthzk's id, byte for byte.
    assert_eq!(query_contract.key_id(chain).unwrap(), KeyId::of(q).0);
    assert_eq!(query_contract.verifying_key(chain).unwrap(), encode::VerifierArgs::new(q).unwrap());
    let (public, proof, _) = query_statement(Day(20_000), None);
    assert!(query_contract.verify(chain, &proof, &public).unwrap(), "valid query proof refused");
    let query_gas = query_contract.verify_gas(chain, &proof, &public).unwrap();

    let words = encode::proof(&proof);
    let inputs = encode::public_inputs(&public);
    let r = encode::scalar_modulus();
    let q_mod = encode::base_modulus();
    for i in 0..NUM_PUBLIC_INPUTS {
        let mut x = inputs;
        x[i] += r;
        assert!(!query_contract.verify_words(chain, words, x).unwrap(), "{} + r accepted", PUBLIC_INPUT_NAMES[i]);
        let mut x = inputs;
        x[i] = (x[i] + U256::from(1)) % r;
        assert!(!query_contract.verify_words(chain, words, x).unwrap(), "changed {} accepted", PUBLIC_INPUT_NAMES[i]);
    }
    for j in 0..8 {
        let mut w = words;
        w[j] = (w[j] + U256::from(1)) % q_mod;
        assert!(!query_contract.verify_words(chain, w, inputs).unwrap(), "proof word {j} + 1 accepted");
        let mut w = words;
        w[j] += q_mod;
        assert!(!query_contract.verify_words(chain, w, inputs).unwrap(), "proof word {j} + q accepted");
    }
    // B in arkworks' order (real part first) instead of the EVM's.
    let mut w = words;
    w.swap(2, 3);
    w.swap(4, 5);
    assert!(!query_contract.verify_words(chain, w, inputs).unwrap(), "B with swapped Fp2 halves accepted");
    // A negated: a different proof, refused.
    let mut w = words;
    w[1] = q_mod - w[1];
    assert!(!query_contract.verify_words(chain, w, inputs).unwrap(), "-A accepted");
    // A, B or C the point at infinity.
    for (range, name) in [(0..2, "A"), (2..6, "B"), (6..8, "C")] {
        let mut w = words;
        range.for_each(|j| w[j] = U256::ZERO);
        assert!(!query_contract.verify_words(chain, w, inputs).unwrap(), "{name} = identity accepted");
    }

    // A key the contract refuses at deployment: β with its Fp2 halves swapped (arkworks'
    // order instead of the EVM's), or an IC point off the curve.
    let mut bad = q.clone();
    let (bx, by) = (q.beta_g2.x, q.beta_g2.y);
    bad.beta_g2 =
        ark_bn254::G2Affine::new_unchecked(ark_bn254::Fq2::new(bx.c1, bx.c0), ark_bn254::Fq2::new(by.c1, by.c0));
    reverted_with(VerifierContract::deploy(chain, deployer, &bad), "InvalidVerifyingKey");
    let mut bad = q.clone();
    let ic = bad.gamma_abc_g1[3];
    bad.gamma_abc_g1[3] = ark_bn254::G1Affine::new_unchecked(ic.x, ic.y + ark_bn254::Fq::from(1u64));
    reverted_with(VerifierContract::deploy(chain, deployer, &bad), "InvalidVerifyingKey");

    // A key with alpha, beta, gamma or delta the point at infinity.
    use ark_ec::AffineRepr;
    for which in ["alpha", "beta", "gamma", "delta"] {
        let mut bad = q.clone();
        match which {
            "alpha" => bad.alpha_g1 = ark_bn254::G1Affine::zero(),
            "beta" => bad.beta_g2 = ark_bn254::G2Affine::zero(),
            "gamma" => bad.gamma_g2 = ark_bn254::G2Affine::zero(),
            _ => bad.delta_g2 = ark_bn254::G2Affine::zero(),
        }
        reverted_with(VerifierContract::deploy(chain, deployer, &bad), "InvalidVerifyingKey");
    }

    // The score statement under its own key.
    let s = &f.score.proving_key().vk;
    let (score_contract, _) = VerifierContract::deploy(chain, deployer, s).unwrap();
    assert_eq!(score_contract.key_id(chain).unwrap(), KeyId::of(s).0);
    let (sp, sproof) = score_statement();
    assert!(score_contract.verify(chain, &sproof, &sp).unwrap(), "valid score proof refused");
    assert!(!query_contract.verify(chain, &sproof, &sp).unwrap(), "score proof accepted under the query key");
    let mut other = sp.to_field_elements();
    other[1] += Fr::from(1u64);
    let other = PublicInputs::from_field_elements(&other).unwrap();
    assert!(!score_contract.verify(chain, &sproof, &other).unwrap(), "score proof with another model hash accepted");
    let score_gas = score_contract.verify_gas(chain, &sproof, &sp).unwrap();
    (query_gas, score_gas)
}

/// Gas numbers of the registry and gate flow.
#[derive(Debug, Default)]
pub struct FlowGas {
    pub anchor_first: u64,
    pub anchor_next: u64,
    pub anchor_revocation: u64,
    pub enter: u64,
}

/// Only accredited issuers anchor; a revoked root is refused by the Rust verifier (roots taken
/// from the chain) and by the gate on chain; the gate admits once per nullifier, refuses a
/// proof sent by another account and a stale `as_of`.
pub fn registry_and_gate_suite(
    chain: &mut dyn Chain,
    owner: &Account,
    issuer: &Account,
    holder: &Account,
    stranger: &Account,
) -> FlowGas {
    let f = fixture();
    let mut gas = FlowGas::default();
    let (registry, _) = Registry::deploy(chain, owner).unwrap();
    assert_eq!(registry.owner(chain).unwrap(), owner.address());

    // Accreditation is the owner's.
    reverted_with(registry.accredit_issuer(chain, stranger, stranger.address()), "NotOwner");
    let root0 = Fr::from(12345u64);
    reverted_with(registry.anchor_root(chain, issuer, &root0), "NotIssuer");
    registry.accredit_issuer(chain, owner, issuer.address()).unwrap();
    assert!(registry.is_issuer(chain, issuer.address()).unwrap());
    gas.anchor_first = registry.anchor_root(chain, issuer, &root0).unwrap().gas_used;
    reverted_with(registry.anchor_root(chain, issuer, &root0), "AlreadyAnchored");
    reverted_with(registry.anchor_root(chain, stranger, &root0), "NotIssuer");

    // The holder's statement, about today by the chain's clock, bound to the gate.
    let today = Day((chain.latest_timestamp().unwrap() / 86_400) as u32);
    let qvk = &f.query.proving_key().vk;
    let (verifier, _) = VerifierContract::deploy(chain, owner, qvk).unwrap();
    let probe = query_statement(today, None).2;
    let config = GateConfig {
        registry: registry.address,
        verifier: verifier.address,
        issuer: issuer.address(),
        policy_hash: probe.public.policy_hash,
        scope: probe.public.scope,
        max_age_days: 2,
        revocation_grace_seconds: 0,
    };
    let (gate, _) = Gate::deploy(chain, owner, &config).unwrap();
    let challenge = gate.challenge_for(chain, holder.address()).unwrap();
    assert_ne!(challenge, gate.challenge_for(chain, stranger.address()).unwrap());
    let (public, proof, _) = query_statement(today, Some(challenge));

    // Not yet anchored: refused by the gate and by the Rust verifier fed from the chain.
    reverted_with(gate.enter(chain, holder, &proof, &public), "RootNotAccepted");
    let expect = |roots: Vec<Fr>| Expectations {
        policy_hash: public.policy_hash,
        challenge,
        scope: public.scope,
        earliest: today.plus(-1),
        latest: today,
        accepted_roots: roots,
        accepted_revocation_roots: vec![public.revocation_root],
    };
    let pres = f.query.wrap(&public, healthzk_prover::ProofBytes::from_proof(&proof));
    let verdict = f.query_verifier.verify(&pres, &expect(registry.accepted_roots(chain, issuer.address()).unwrap()));
    assert_eq!(verdict, Verdict::Rejected(Rejection::RootNotAccepted));

    gas.anchor_next = registry.anchor_root(chain, issuer, &public.issuer_root).unwrap().gas_used;
    let roots = registry.roots(chain, issuer.address()).unwrap();
    assert_eq!(roots.iter().map(|r| r.root).collect::<Vec<_>>(), vec![root0, public.issuer_root]);
    assert!(roots.iter().all(|r| r.revoked_at.is_none() && r.anchored_at > 0));
    let verdict = f.query_verifier.verify(&pres, &expect(registry.accepted_roots(chain, issuer.address()).unwrap()));
    assert_eq!(verdict, Verdict::Accepted { nullifier: public.nullifier });

    // The revocation root must be anchored (and current) too.
    reverted_with(gate.enter(chain, holder, &proof, &public), "StaleRevocationRoot");
    assert_eq!(registry.current_revocation_root(chain, issuer.address()).unwrap(), None);
    reverted_with(registry.anchor_revocation_root(chain, stranger, &public.revocation_root), "NotIssuer");
    reverted_with(registry.anchor_revocation_root(chain, issuer, &Fr::from(0u64)), "NotCanonical");
    gas.anchor_revocation = registry.anchor_revocation_root(chain, issuer, &public.revocation_root).unwrap().gas_used;
    assert_eq!(registry.current_revocation_root(chain, issuer.address()).unwrap(), Some(public.revocation_root));
    assert!(registry.is_revocation_root_fresh(chain, issuer.address(), &public.revocation_root, 0).unwrap());

    // Another account cannot use the holder's proof (the challenge is bound to the sender).
    reverted_with(gate.enter(chain, stranger, &proof, &public), "InvalidProof");
    // The holder enters once; the nullifier is recorded; replay is refused.
    assert!(!gate.nullifier_used(chain, &public.nullifier).unwrap());
    gas.enter = gate.enter(chain, holder, &proof, &public).unwrap().gas_used;
    assert!(gate.nullifier_used(chain, &public.nullifier).unwrap());
    reverted_with(gate.enter(chain, holder, &proof, &public), "NullifierUsed");
    // Groth16 is malleable: a re-randomized copy verifies and has other bytes, but replay
    // protection never looked at the bytes — the nullifier refuses it.
    let copy = ark_groth16::Groth16::<Bn254>::rerandomize_proof(&f.query.proving_key().vk, &proof, &mut rng());
    assert_ne!(encode::proof(&copy), encode::proof(&proof));
    assert_eq!(f.query_verifier.verify_proof(&public, &copy), Ok(()));
    reverted_with(gate.enter(chain, holder, &copy, &public), "NullifierUsed");

    // The issuer revokes another credential: its new revocation root supersedes the one the
    // holder proved against, which is stale from then on (the gate's grace is 0).
    let newer = healthzk_core::revocation::RevocationList::new(vec![999]).unwrap().root();
    registry.anchor_revocation_root(chain, issuer, &newer).unwrap();
    reverted_with(registry.anchor_revocation_root(chain, issuer, &public.revocation_root), "AlreadyAnchored");
    assert_eq!(registry.current_revocation_root(chain, issuer.address()).unwrap(), Some(newer));
    assert!(!registry.is_revocation_root_fresh(chain, issuer.address(), &public.revocation_root, 0).unwrap());
    assert!(registry.is_revocation_root_fresh(chain, issuer.address(), &public.revocation_root, 86_400).unwrap());
    let (anchored, superseded) =
        registry.revocation_root_info(chain, issuer.address(), &public.revocation_root).unwrap().unwrap();
    assert!(anchored > 0 && superseded.is_some());
    let challenge3 = gate.challenge_for(chain, stranger.address()).unwrap();
    let (public3, proof3, _) = query_statement(today, Some(challenge3));
    reverted_with(gate.enter(chain, stranger, &proof3, &public3), "StaleRevocationRoot");
    let pres3 = f.query.wrap(&public3, healthzk_prover::ProofBytes::from_proof(&proof3));
    let fresh = |e: Expectations| Expectations { challenge: challenge3, accepted_revocation_roots: vec![newer], ..e };
    let verdict =
        f.query_verifier.verify(&pres3, &fresh(expect(registry.accepted_roots(chain, issuer.address()).unwrap())));
    assert_eq!(verdict, Verdict::Rejected(Rejection::RevocationRootNotAccepted));

    // A stale as_of (older than max_age_days) is refused before the proof is checked.
    let mut stale = public;
    stale.as_of = today.plus(-3);
    reverted_with(gate.enter(chain, holder, &proof, &stale), "StaleAsOf");
    stale.as_of = today.plus(1);
    reverted_with(gate.enter(chain, holder, &proof, &stale), "StaleAsOf");

    // Revocation: only the issuer or the owner; then refused everywhere.
    reverted_with(registry.revoke_root(chain, stranger, issuer.address(), &public.issuer_root), "NotAuthorized");
    registry.revoke_root(chain, issuer, issuer.address(), &public.issuer_root).unwrap();
    reverted_with(registry.revoke_root(chain, issuer, issuer.address(), &public.issuer_root), "AlreadyRevoked");
    assert!(!registry.is_root_accepted(chain, issuer.address(), &public.issuer_root).unwrap());
    let accepted = registry.accepted_roots(chain, issuer.address()).unwrap();
    assert_eq!(accepted, vec![root0]);
    let verdict = f.query_verifier.verify(&pres, &expect(accepted));
    assert_eq!(verdict, Verdict::Rejected(Rejection::RootNotAccepted));
    let roots = registry.roots(chain, issuer.address()).unwrap();
    assert!(roots[1].revoked_at.is_some());
    // A fresh proof for another sender does not help: the root itself is refused.
    let challenge2 = gate.challenge_for(chain, stranger.address()).unwrap();
    let (public2, proof2, _) = query_statement(today, Some(challenge2));
    reverted_with(gate.enter(chain, stranger, &proof2, &public2), "RootNotAccepted");

    // Model hashes: accredited publishers register them; removal withdraws them.
    let model_hash = f.model.hash().unwrap();
    reverted_with(registry.register_model(chain, stranger, &model_hash), "NotModelPublisher");
    registry.accredit_model_publisher(chain, owner, stranger.address()).unwrap();
    assert!(!registry.is_model_accepted(chain, &model_hash).unwrap());
    registry.register_model(chain, stranger, &model_hash).unwrap();
    assert!(registry.is_model_accepted(chain, &model_hash).unwrap());
    reverted_with(registry.register_model(chain, stranger, &model_hash), "AlreadyRegistered");
    registry.remove_model_publisher(chain, owner, stranger.address()).unwrap();
    assert!(!registry.is_model_accepted(chain, &model_hash).unwrap());

    // Registrations are per publisher: a squatter's registration or revocation blocks no one.
    let (squatter, honest) = (stranger, holder);
    let h = Fr::from(0x5eed_u64);
    registry.accredit_model_publisher(chain, owner, squatter.address()).unwrap();
    registry.accredit_model_publisher(chain, owner, honest.address()).unwrap();
    registry.register_model(chain, squatter, &h).unwrap();
    registry.revoke_model(chain, squatter, &h).unwrap();
    reverted_with(registry.revoke_model(chain, squatter, &h), "AlreadyRevoked");
    assert!(!registry.is_model_accepted(chain, &h).unwrap());
    registry.register_model(chain, honest, &h).expect("another publisher's revocation blocks no one");
    assert!(registry.is_model_accepted(chain, &h).unwrap());
    assert!(registry.is_model_accepted_from(chain, honest.address(), &h).unwrap());
    assert!(!registry.is_model_accepted_from(chain, squatter.address(), &h).unwrap());
    // A publisher may register again what it revoked itself, not what the owner revoked.
    registry.register_model(chain, squatter, &h).unwrap();
    assert!(registry.is_model_accepted_from(chain, squatter.address(), &h).unwrap());
    reverted_with(registry.revoke_model_of(chain, squatter, honest.address(), &h), "NotAuthorized");
    // The owner's revocation is final, also when the publisher revoked first to dodge it.
    registry.revoke_model(chain, squatter, &h).unwrap();
    registry.revoke_model_of(chain, owner, squatter.address(), &h).unwrap();
    reverted_with(registry.revoke_model_of(chain, owner, squatter.address(), &h), "AlreadyRevoked");
    reverted_with(registry.register_model(chain, squatter, &h), "RevokedByOwner");
    assert!(registry.is_model_accepted(chain, &h).unwrap(), "the honest publisher's registration stands");
    registry.remove_model_publisher(chain, owner, honest.address()).unwrap();
    assert!(!registry.is_model_accepted(chain, &h).unwrap());

    // Removing the issuer withdraws all its roots.
    registry.remove_issuer(chain, owner, issuer.address()).unwrap();
    assert!(registry.accepted_roots(chain, issuer.address()).unwrap().is_empty());
    assert!(!registry.is_root_accepted(chain, issuer.address(), &root0).unwrap());
    gas
}
