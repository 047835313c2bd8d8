//! The chain suite on the embedded backend (revm in process), plus what only it has: state
//! that survives a restart, and a lock against a second process.

use crate::common::*;
use healthzk_anchor::{contracts::Registry, Account, EmbeddedChain};
use healthzk_core::Fr;

#[test]
fn solidity_verifier_accepts_rust_proofs_and_rejects_tampering() {
    let mut chain = EmbeddedChain::in_memory();
    let (query_gas, score_gas) = verifier_suite(&mut chain, &Account::random());
    // Gas is deterministic: a regression bound, not a timing. README has the measured values.
    assert!(query_gas < 260_000, "query verify gas {query_gas}");
    assert!(score_gas < 260_000, "score verify gas {score_gas}");
}

/// Bug class "public inputs ≥ r" in Solidity: the verifier contract must refuse an input that
/// is not a canonical field element — r itself, input + r (the same element mod r), and
/// 2^256 − 1 — for each of the seven inputs, rather than reduce it.
#[test]
fn bug_class_public_input_at_or_above_r_in_solidity() {
    use alloy_primitives::U256;
    use healthzk_anchor::{contracts::VerifierContract, encode};
    use healthzk_core::{day::Day, statement::PUBLIC_INPUT_NAMES};
    let mut chain = EmbeddedChain::in_memory();
    let q = &fixture().query.proving_key().vk;
    let (contract, _) = VerifierContract::deploy(&mut chain, &Account::random(), q).unwrap();
    let (public, proof, _) = query_statement(Day(20_000), None);
    let (words, inputs) = (encode::proof(&proof), encode::public_inputs(&public));
    assert!(contract.verify_words(&mut chain, words, inputs).unwrap());
    let r = encode::scalar_modulus();
    for (i, name) in PUBLIC_INPUT_NAMES.iter().enumerate() {
        for bad in [r, inputs[i] + r, U256::MAX] {
            let mut x = inputs;
            x[i] = bad;
            assert!(!contract.verify_words(&mut chain, words, x).unwrap(), "{name} = {bad} accepted");
        }
    }
}

#[test]
fn registry_and_gate_on_the_embedded_chain() {
    let mut chain = EmbeddedChain::in_memory();
    // A fixed clock: the statement's day is the chain's day.
    chain.set_clock(Some(20_400 * 86_400 + 3_600));
    let [owner, issuer, holder, stranger] = std::array::from_fn(|_| Account::random());
    let gas = registry_and_gate_suite(&mut chain, &owner, &issuer, &holder, &stranger);
    assert!(gas.anchor_next > 21_000 && gas.anchor_next < 120_000, "{gas:?}");
    // Gas is free here: funding sends nothing, and a fresh account transacts anyway.
    assert_eq!(funding_suite(&mut chain, &owner), 0);
}

#[test]
fn embedded_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Account::random();
    let issuer = Account::random();
    let root = Fr::from(77u64);
    let registry = {
        let mut chain = EmbeddedChain::create(dir.path()).unwrap();
        // The chain is locked while open.
        let err = EmbeddedChain::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("in use by another process"), "{err}");
        let (registry, _) = Registry::deploy(&mut chain, &owner).unwrap();
        registry.accredit_issuer(&mut chain, &owner, issuer.address()).unwrap();
        registry.anchor_root(&mut chain, &issuer, &root).unwrap();
        registry
    };
    assert!(EmbeddedChain::create(dir.path()).unwrap_err().to_string().contains("already holds a chain"));
    let mut chain = EmbeddedChain::open(dir.path()).unwrap();
    assert_eq!(chain.block_number(), 3);
    assert_eq!(registry.accepted_roots(&mut chain, issuer.address()).unwrap(), vec![root]);
    // And it keeps working: nonces and history continue.
    registry.anchor_root(&mut chain, &issuer, &Fr::from(78u64)).unwrap();
    assert_eq!(registry.roots(&mut chain, issuer.address()).unwrap().len(), 2);
}

#[test]
fn corrupt_state_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    drop(EmbeddedChain::create(dir.path()).unwrap());
    std::fs::write(dir.path().join("state.json"), b"{not json").unwrap();
    let err = EmbeddedChain::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a chain state file"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = EmbeddedChain::open(empty.path()).unwrap_err().to_string();
    assert!(err.contains("healthzk chain init"), "{err}");
}
