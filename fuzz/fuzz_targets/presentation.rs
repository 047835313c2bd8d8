//! Presentation JSON through the whole verifier: parse, canonical public inputs, proof
//! decoding, key id, roots, policy, challenge, scope, window and — for inputs that get that far
//! (key id all zeros, any roots) — the pairing check against a fixed key. The expectations are
//! taken from the input itself so the fuzzer reaches every check. Must never panic, and a
//! verdict on garbage is never "accepted".
#![no_main]
use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_groth16::VerifyingKey;
use healthzk_core::presentation::Presentation;
use healthzk_verifier::{Expectations, QueryVerifier};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// A well-formed key no one has a trapdoor-free proof for: generators as every point.
fn verifier() -> &'static QueryVerifier {
    static V: OnceLock<QueryVerifier> = OnceLock::new();
    V.get_or_init(|| {
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        let vk =
            VerifyingKey::<Bn254> { alpha_g1: g1, beta_g2: g2, gamma_g2: g2, delta_g2: g2, gamma_abc_g1: vec![g1; 8] };
        QueryVerifier::new(&vk, [0u8; 32])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(p) = serde_json::from_slice::<Presentation>(data) else { return };
    let e = match p.public.parse() {
        Ok(q) => Expectations {
            policy_hash: q.policy_hash,
            challenge: q.challenge,
            scope: q.scope,
            earliest: q.as_of,
            latest: q.as_of,
            accepted_roots: vec![q.issuer_root],
            accepted_revocation_roots: vec![q.revocation_root],
        },
        Err(_) => Expectations {
            policy_hash: Default::default(),
            challenge: Default::default(),
            scope: Default::default(),
            earliest: healthzk_core::day::Day(0),
            latest: healthzk_core::day::Day(0),
            accepted_roots: vec![],
            accepted_revocation_roots: vec![],
        },
    };
    let v = verifier().verify(&p, &e);
    assert!(!v.is_accepted(), "garbage was accepted: {v:?}");
});
