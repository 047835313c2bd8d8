//! Proving and verifying at the production depth (20), with one development setup shared by
//! every test in this binary (seeded, so runs are reproducible).

use ark_bn254::Bn254;
use ark_ec::AffineRepr;
use ark_groth16::Groth16;
use healthzk_core::{
    day::Day,
    presentation::Presentation,
    query::Unsatisfied,
    statement::{PublicInputs, Statement, NUM_PUBLIC_INPUTS, PUBLIC_INPUT_NAMES},
    testkit::{scenario, Break, Spec},
    Fr, DEFAULT_TREE_DEPTH,
};
use healthzk_prover::{keys, ProveError, Prover};
use healthzk_verifier::{decode_proof, encode_proof, Expectations, Rejection, Verdict, Verifier};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

const DEPTH: usize = DEFAULT_TREE_DEPTH;

fn prover() -> &'static (Prover, Verifier) {
    static P: OnceLock<(Prover, Verifier)> = OnceLock::new();
    P.get_or_init(|| {
        let pk = healthzk_prover::setup(DEPTH, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
        let v = Verifier::new(Statement::CredentialQuery, &pk.vk, keys::KeyId::of(&pk.vk).0);
        (Prover::new(pk, DEPTH).unwrap().with_fixed_base_tables(), v)
    })
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(99)
}

fn expectations(p: &PublicInputs) -> Expectations {
    Expectations {
        policy_hash: p.policy_hash,
        challenge: p.challenge,
        scope: p.scope,
        earliest: p.as_of.plus(-1),
        latest: p.as_of.plus(1),
        accepted_roots: vec![p.issuer_root],
        accepted_revocation_roots: vec![p.revocation_root],
    }
}

#[test]
fn valid_statement_proves_and_verifies() {
    let (prover, verifier) = prover();
    let s = scenario(&Spec::default(), None, DEPTH);
    let proof = prover.prove(&s.public, &s.witness, &mut rng()).unwrap();
    let pres = prover.wrap(&s.public, proof);
    assert_eq!(verifier.verify(&pres, &expectations(&s.public)), Verdict::Accepted { nullifier: s.public.nullifier });
}

/// healthzk's prover (own MSMs, with and without fixed-base tables) and verifier (split
/// pairing) agree with arkworks' reference verifier: a valid proof is accepted by both, a
/// proof for other inputs refused by both.
#[test]
fn prover_and_verifier_agree_with_arkworks() {
    let (with_tables, verifier) = prover();
    assert!(with_tables.has_fixed_base_tables());
    let without_tables = Prover::new(with_tables.proving_key().clone(), DEPTH).unwrap();
    assert!(!without_tables.has_fixed_base_tables());
    let s = scenario(&Spec::default(), None, DEPTH);
    let pvk = ark_groth16::prepare_verifying_key(&with_tables.proving_key().vk);
    let x = s.public.to_field_elements();
    let mut y = x;
    y[0] += Fr::from(1u64);
    let other = PublicInputs::from_field_elements(&y).unwrap();
    for prover in [with_tables, &without_tables] {
        let proof = decode_proof(&prover.prove(&s.public, &s.witness, &mut rng()).unwrap().to_hex()).unwrap();
        assert!(Groth16::<Bn254>::verify_proof(&pvk, &proof, &x).unwrap());
        assert_eq!(verifier.verify_proof(&s.public, &proof), Ok(()));
        assert!(!Groth16::<Bn254>::verify_proof(&pvk, &proof, &y).unwrap());
        assert_eq!(verifier.verify_proof(&other, &proof), Err(Rejection::InvalidProof));
    }
}

/// Bug class "each public input unused": a public input no constraint reads can be set to
/// anything. Changing any one of the seven on a valid proof must invalidate it.
#[test]
fn bug_class_public_input_unused() {
    let (prover, verifier) = prover();
    let s = scenario(&Spec::default(), None, DEPTH);
    let proof = decode_proof(&prover.prove(&s.public, &s.witness, &mut rng()).unwrap().to_hex()).unwrap();
    assert_eq!(verifier.verify_proof(&s.public, &proof), Ok(()));
    for i in 0..NUM_PUBLIC_INPUTS {
        let mut x = s.public.to_field_elements();
        x[i] += Fr::from(1u64);
        let changed = PublicInputs::from_field_elements(&x).unwrap();
        assert_eq!(
            verifier.verify_proof(&changed, &proof),
            Err(Rejection::InvalidProof),
            "changing {} must invalidate the proof",
            PUBLIC_INPUT_NAMES[i]
        );
    }
}

/// Bug class "expired, revoked and stale-root presentations": an expired or revoked credential
/// cannot be proven (the honest prover names the relation) and a proof forced past that check
/// does not verify; a valid proof against a root, revocation root or day the verifier does not
/// accept is refused with that reason.
#[test]
fn bug_class_expired_revoked_and_stale_presentations() {
    let (prover, verifier) = prover();
    for brk in [Break::Product, Break::TooRecent, Break::Expired, Break::Holder, Break::Revoked, Break::RevocationRoot]
    {
        let s = scenario(&Spec::default(), Some(brk), DEPTH);
        match prover.prove(&s.public, &s.witness, &mut rng()) {
            Err(ProveError::Unsatisfied(u)) => assert_eq!(u, brk.expected()),
            other => panic!("{brk:?}: expected a refusal, got {other:?}"),
        }
        let forced = prover.prove_unchecked(&s.public, &s.witness, &mut rng()).unwrap();
        let pres = prover.wrap(&s.public, forced);
        assert_eq!(
            verifier.verify(&pres, &expectations(&s.public)),
            Verdict::Rejected(Rejection::InvalidProof),
            "{brk:?}"
        );
    }
    let s = scenario(&Spec::default(), Some(Break::SeriesIncomplete), DEPTH);
    assert!(matches!(
        prover.prove(&s.public, &s.witness, &mut rng()),
        Err(ProveError::Unsatisfied(Unsatisfied::Compare(1)))
    ));
    // Stale: a valid presentation, and a verifier whose accepted roots have moved on.
    let s = scenario(&Spec::default(), None, DEPTH);
    let pres = prover.wrap(&s.public, prover.prove(&s.public, &s.witness, &mut rng()).unwrap());
    let e = expectations(&s.public);
    assert!(verifier.verify(&pres, &e).is_accepted());
    let other = s.public.issuer_root + Fr::from(1u64);
    let stale_root = Expectations { accepted_roots: vec![other], ..e.clone() };
    assert_eq!(verifier.verify(&pres, &stale_root), Verdict::Rejected(Rejection::RootNotAccepted));
    let stale_list = Expectations { accepted_revocation_roots: vec![other], ..e.clone() };
    assert_eq!(verifier.verify(&pres, &stale_list), Verdict::Rejected(Rejection::RevocationRootNotAccepted));
    let later = Expectations { earliest: s.public.as_of.plus(2), latest: s.public.as_of.plus(4), ..e };
    assert!(matches!(verifier.verify(&pres, &later), Verdict::Rejected(Rejection::AsOfOutsideWindow { .. })));
}

/// Bug class "nullifier not deterministic": a nullifier that varied per proof would let one
/// holder enter a scope twice. Ours is Poseidon(secret, scope), a public input the circuit
/// computes: two proofs of one holder in one scope (different challenges, fresh randomness)
/// carry the same nullifier; another scope gives another; a proof with any other nullifier
/// does not verify (`bug_class_public_input_unused`).
#[test]
fn bug_class_nullifier_not_deterministic() {
    let (prover, verifier) = prover();
    let s = scenario(&Spec::default(), None, DEPTH);
    let expected = s.witness.secret.nullifier(s.public.scope);
    assert_eq!(s.public.nullifier, expected);
    let mut seen = Vec::new();
    for (k, challenge) in [Fr::from(11u64), Fr::from(12u64)].into_iter().enumerate() {
        let public = PublicInputs { challenge, ..s.public };
        let mut r = ChaCha20Rng::seed_from_u64(1000 + k as u64);
        let pres = prover.wrap(&public, prover.prove(&public, &s.witness, &mut r).unwrap());
        match verifier.verify(&pres, &expectations(&public)) {
            Verdict::Accepted { nullifier } => seen.push((nullifier, pres.proof)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen[0].0, seen[1].0, "same holder, same scope: same nullifier");
    assert_ne!(seen[0].1, seen[1].1, "…from different proofs");
    let scope = s.public.scope + Fr::from(1u64);
    let public = PublicInputs { scope, nullifier: s.witness.secret.nullifier(scope), ..s.public };
    let pres = prover.wrap(&public, prover.prove(&public, &s.witness, &mut rng()).unwrap());
    match verifier.verify(&pres, &expectations(&public)) {
        Verdict::Accepted { nullifier } => assert_ne!(nullifier, expected, "another scope, another nullifier"),
        other => panic!("{other:?}"),
    }
    // The honest prover refuses a nullifier that is not Poseidon(secret, scope).
    let wrong = PublicInputs { nullifier: expected + Fr::from(1u64), ..s.public };
    assert!(matches!(prover.prove(&wrong, &s.witness, &mut rng()), Err(ProveError::Unsatisfied(_))));
}

/// Bug class "public inputs ≥ r": a verifier that reduces its inputs modulo r accepts two
/// encodings of one statement (and a contract that does not check them can be fed the other).
/// Every public input of a presentation is parsed with a checked conversion: r, r + 1 and
/// 2^256 − 1 are refused, naming the input.
#[test]
fn bug_class_public_input_at_or_above_r() {
    let (prover, verifier) = prover();
    let s = scenario(&Spec::default(), None, DEPTH);
    let good = prover.wrap(&s.public, prover.prove(&s.public, &s.witness, &mut rng()).unwrap());
    let e = expectations(&s.public);
    const R: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    const R_PLUS_1: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000002";
    let max = format!("0x{}", "f".repeat(64));
    for name in PUBLIC_INPUT_NAMES.iter().filter(|n| **n != "as_of") {
        for bad in [R, R_PLUS_1, max.as_str()] {
            let mut p = good.clone();
            let field = match *name {
                "issuer_root" => &mut p.public.issuer_root,
                "policy_hash" => &mut p.public.policy_hash,
                "challenge" => &mut p.public.challenge,
                "scope" => &mut p.public.scope,
                "nullifier" => &mut p.public.nullifier,
                "revocation_root" => &mut p.public.revocation_root,
                other => panic!("unknown input {other}"),
            };
            *field = bad.to_string();
            match verifier.verify(&p, &e) {
                Verdict::Rejected(Rejection::NonCanonicalInput(m)) => assert!(m.contains(name), "{name}: {m}"),
                other => panic!("{name} = {bad}: {other:?}"),
            }
        }
    }
    // as_of is a date: a day that does not exist is refused the same way.
    for bad in ["2026-02-30", "20000"] {
        let mut p = good.clone();
        p.public.as_of = bad.into();
        assert!(
            matches!(verifier.verify(&p, &e), Verdict::Rejected(Rejection::NonCanonicalInput(m)) if m.contains("as_of")),
            "{bad}"
        );
    }
    assert!(verifier.verify(&good, &e).is_accepted());
}

#[test]
fn prove_many_in_parallel() {
    let (prover, verifier) = prover();
    let statements: Vec<_> = (0..4u64)
        .map(|seed| {
            let s = scenario(&Spec { seed, before: seed as usize, ..Spec::default() }, None, DEPTH);
            (s.public, s.witness)
        })
        .collect();
    let proofs = prover.prove_many(&statements);
    assert_eq!(proofs.len(), 4);
    for ((p, _), proof) in statements.iter().zip(proofs) {
        let proof = decode_proof(&proof.unwrap().to_hex()).unwrap();
        assert_eq!(verifier.verify_proof(p, &proof), Ok(()));
    }
}

/// Bug class "Groth16 re-randomized proof still verifies": Groth16 proofs are malleable — a
/// re-randomized proof of the same statement verifies and has different bytes — so replay
/// protection must not rest on proof bytes. Ours rests on the challenge and the nullifier: the
/// copy carries the same nullifier (a verifier that records nullifiers per scope refuses it),
/// and under any other challenge it is invalid.
#[test]
fn bug_class_groth16_rerandomized_proof_verifies() {
    let (prover, verifier) = prover();
    let s = scenario(&Spec::default(), None, DEPTH);
    let bytes = prover.prove(&s.public, &s.witness, &mut rng()).unwrap();
    let proof = decode_proof(&bytes.to_hex()).unwrap();
    let re = Groth16::<Bn254>::rerandomize_proof(&prover.proving_key().vk, &proof, &mut rng());
    assert_ne!(encode_proof(&re), bytes.0);
    assert_eq!(verifier.verify_proof(&s.public, &re), Ok(()));
    let original = prover.wrap(&s.public, bytes);
    let copy = prover.wrap(&s.public, healthzk_prover::ProofBytes(encode_proof(&re)));
    assert_ne!(original.proof, copy.proof);
    let e = expectations(&s.public);
    assert_eq!(verifier.verify(&original, &e), verifier.verify(&copy, &e), "both accepted, one nullifier");
    assert_eq!(verifier.verify(&copy, &e), Verdict::Accepted { nullifier: s.public.nullifier });
    // ...but the same proof under another challenge is refused.
    let other = PublicInputs { challenge: s.public.challenge + Fr::from(1u64), ..s.public };
    assert_eq!(verifier.verify_proof(&other, &re), Err(Rejection::InvalidProof));
}

#[test]
fn key_files_round_trip_and_refuse_tampering() {
    let (prover, _) = prover();
    let pk = prover.proving_key();
    let vk_file = keys::write_vk(Statement::CredentialQuery, &pk.vk, DEPTH as u32);
    let (vk, depth, id) = keys::read_vk(Statement::CredentialQuery, &vk_file).unwrap();
    assert_eq!((depth, id), (DEPTH as u32, prover.key_id()));
    assert_eq!(vk, pk.vk);
    let pk_file = keys::write_pk(Statement::CredentialQuery, pk, DEPTH as u32);
    let (pk2, _) = keys::read_pk(Statement::CredentialQuery, &pk_file, Some(id)).unwrap();
    assert_eq!(keys::KeyId::of(&pk2.vk), id);
    let mut corrupted = pk_file.clone();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 1;
    assert!(matches!(keys::read_pk(Statement::CredentialQuery, &corrupted, None), Err(keys::KeyError::Corrupted)));
    assert!(matches!(
        keys::read_pk(Statement::CredentialQuery, &pk_file[..pk_file.len() / 2], None),
        Err(keys::KeyError::Corrupted)
    ));
    assert!(matches!(
        keys::read_pk(Statement::CredentialQuery, &pk_file, Some(keys::KeyId([0; 32]))),
        Err(keys::KeyError::KeyIdMismatch { .. })
    ));
    assert!(matches!(keys::read_vk(Statement::CredentialQuery, b"HZKVK"), Err(keys::KeyError::Truncated)));
    // A key with an identity point (a degenerate key: with δ = 0 anyone could forge) is refused.
    for which in 0..4 {
        let mut bad = pk.vk.clone();
        match which {
            0 => bad.alpha_g1 = ark_bn254::G1Affine::zero(),
            1 => bad.beta_g2 = ark_bn254::G2Affine::zero(),
            2 => bad.gamma_g2 = ark_bn254::G2Affine::zero(),
            _ => bad.delta_g2 = ark_bn254::G2Affine::zero(),
        }
        let e = keys::read_vk(Statement::CredentialQuery, &keys::write_vk(Statement::CredentialQuery, &bad, 4));
        assert!(matches!(&e, Err(keys::KeyError::Parse(m)) if m.contains("point at infinity")), "{which}: {e:?}");
    }
    assert!(matches!(
        keys::read_pk(Statement::CredentialQuery, &vk_file, None),
        Err(keys::KeyError::BadMagic(_) | keys::KeyError::Truncated)
    ));
}

#[test]
fn verifier_names_each_rejection() {
    let (prover, verifier) = prover();
    let s = scenario(&Spec::default(), None, DEPTH);
    let good = prover.wrap(&s.public, prover.prove(&s.public, &s.witness, &mut rng()).unwrap());
    let e = expectations(&s.public);
    let reject = |p: &Presentation, e: &Expectations| match verifier.verify(p, e) {
        Verdict::Rejected(r) => r,
        Verdict::Accepted { .. } => panic!("accepted"),
    };
    assert_eq!(reject(&good, &Expectations { accepted_roots: vec![], ..e.clone() }), Rejection::RootNotAccepted);
    assert_eq!(reject(&good, &Expectations { policy_hash: Fr::from(1u64), ..e.clone() }), Rejection::PolicyMismatch);
    assert_eq!(reject(&good, &Expectations { challenge: Fr::from(1u64), ..e.clone() }), Rejection::ChallengeMismatch);
    assert_eq!(reject(&good, &Expectations { scope: Fr::from(1u64), ..e.clone() }), Rejection::ScopeMismatch);
    let late = Expectations { earliest: s.public.as_of.plus(1), latest: s.public.as_of.plus(2), ..e.clone() };
    assert!(matches!(reject(&good, &late), Rejection::AsOfOutsideWindow { .. }));
    let mut p = good.clone();
    p.key_id = "00".repeat(32);
    assert!(matches!(reject(&p, &e), Rejection::UnknownKeyId(_)));
    let mut p = good.clone();
    p.public.nullifier = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".into();
    let r = reject(&p, &e);
    assert!(matches!(&r, Rejection::NonCanonicalInput(m) if m.contains("nullifier")), "{r}");
    assert!(r.is_bad_input());
    let mut p = good.clone();
    p.proof.truncate(254);
    assert!(matches!(reject(&p, &e), Rejection::MalformedProof(m) if m.contains("expected 128 bytes, got 127")));
    let mut p = good.clone();
    p.format = "other".into();
    assert!(matches!(reject(&p, &e), Rejection::UnsupportedFormat(_)));
    assert_eq!(verifier.verify(&good, &e), Verdict::Accepted { nullifier: s.public.nullifier });
}

/// Bug class "identity, off-curve and non-subgroup points": every proof point is decoded with
/// full validation — off the curve, outside the G2 prime-order subgroup (on the twist but in
/// a small cofactor subgroup) and the identity are each refused, naming the point.
#[test]
fn bug_class_identity_off_curve_and_non_subgroup_points() {
    let (prover, _) = prover();
    let s = scenario(&Spec::default(), None, DEPTH);
    let good = prover.prove(&s.public, &s.witness, &mut rng()).unwrap().0;
    // Off-curve A: flip low bits of its x coordinate until it leaves the curve.
    let mut found_off_curve = false;
    for k in 1..40u8 {
        let mut b = good;
        b[0] ^= k;
        if let Err(Rejection::MalformedPoint(m)) = healthzk_verifier::decode_proof_bytes(&b) {
            assert!(m.starts_with("A:"), "{m}");
            found_off_curve = true;
            break;
        }
    }
    assert!(found_off_curve);
    // A G2 point on the twist but outside the prime-order subgroup.
    let b_bad = non_subgroup_g2();
    let mut b = good;
    b[32..96].copy_from_slice(&b_bad);
    match healthzk_verifier::decode_proof_bytes(&b) {
        Err(Rejection::MalformedPoint(m)) => assert!(m.starts_with("B:"), "{m}"),
        other => panic!("non-subgroup B accepted: {other:?}"),
    }
    // The identity.
    let mut b = good;
    b[96..].copy_from_slice(&encode_identity_g1());
    assert!(
        matches!(healthzk_verifier::decode_proof_bytes(&b), Err(Rejection::MalformedPoint(m)) if m.contains("infinity"))
    );
}

fn non_subgroup_g2() -> [u8; 64] {
    use ark_bn254::{Fq2, G2Affine};
    use ark_ff::UniformRand;
    use ark_serialize::CanonicalSerialize;
    let mut r = rng();
    loop {
        let x = Fq2::rand(&mut r);
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                let mut v = Vec::new();
                p.serialize_compressed(&mut v).unwrap();
                return v.try_into().unwrap();
            }
        }
    }
}

fn encode_identity_g1() -> [u8; 32] {
    use ark_bn254::G1Affine;
    use ark_ec::AffineRepr;
    use ark_serialize::CanonicalSerialize;
    let mut v = Vec::new();
    G1Affine::zero().serialize_compressed(&mut v).unwrap();
    v.try_into().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]
    #[test]
    fn random_valid_statements_prove_and_verify(
        days_before in 14u32..=270, series in 1u64..=3, product in 0usize..7, as_of in 19_000u32..30_000, seed in any::<u64>()
    ) {
        let (prover, verifier) = prover();
        let spec = Spec { days_before, series_doses: series, dose_number: series, product, as_of: Day(as_of), seed, ..Spec::default() };
        let s = scenario(&spec, None, DEPTH);
        let proof = prover.prove(&s.public, &s.witness, &mut rng()).unwrap();
        let pres = prover.wrap(&s.public, proof);
        prop_assert_eq!(verifier.verify(&pres, &expectations(&s.public)), Verdict::Accepted { nullifier: s.public.nullifier });
    }
}

/// Batch verification: valid batches (different statements, re-randomized proofs) pass; a
/// batch with bad proofs fails and names exactly them; the empty batch passes.
#[test]
fn batch_verification_accepts_valid_batches_and_names_bad_proofs() {
    let (prover, verifier) = prover();
    let mut items = Vec::new();
    for seed in [7u64, 8] {
        let s = scenario(&Spec { seed, ..Spec::default() }, None, DEPTH);
        let proof = decode_proof(&prover.prove(&s.public, &s.witness, &mut rng()).unwrap().to_hex()).unwrap();
        for _ in 0..3 {
            let re = Groth16::<Bn254>::rerandomize_proof(&prover.proving_key().vk, &proof, &mut rng());
            items.push((s.public, re));
        }
    }
    let mut r = rng();
    assert_eq!(verifier.verify_proof_batch(&items, &mut r), Ok(()));
    assert_eq!(verifier.verify_proof_batch(&[], &mut r), Ok(()));
    // Proof 4 shown with statement 1's inputs; proof 1 with a changed challenge.
    let mut bad = items.clone();
    bad[4].0 = items[0].0;
    bad[1].0.challenge += Fr::from(1u64);
    assert_eq!(verifier.verify_proof_batch(&bad, &mut r), Err(vec![1, 4]));
    // Two proofs swapped between their statements: both named.
    let mut swapped = items.clone();
    swapped.swap(0, 5);
    swapped[0].0 = items[0].0;
    swapped[5].0 = items[5].0;
    assert_eq!(verifier.verify_proof_batch(&swapped, &mut r), Err(vec![0, 5]));
}
