//! The bodies of healthzk's fuzz targets: one function per parser of outside input, each of
//! which must never panic on any bytes and checks its own invariants (whatever decodes
//! re-encodes to itself; garbage is never accepted).
//!
//! Each libFuzzer binary in `fuzz_targets/` is a one-line wrapper over one of these functions
//! (built by `scripts/fuzz` with coverage instrumentation), and `tests/replay.rs` calls the
//! same functions on every committed seed (`seeds/<target>/`) and every regression input
//! (`regressions/<target>/`), so `cargo test` checks what the fuzzers once found without
//! building libFuzzer. [`TARGETS`] is the one list of targets.
#![deny(missing_docs)]

use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_groth16::VerifyingKey;
use healthzk_core::{compact, day::Day, fhir, holder::HolderCommitment, presentation::Presentation, Fr};
use healthzk_verifier::{
    bundle::{payload_sha256, BundleFile, Pin},
    Expectations, Verifier,
};
use rand::SeedableRng;
use std::sync::OnceLock;

/// A fuzz target's body: any bytes in, a panic only on a bug.
pub type Body = fn(&[u8]);

/// Every fuzz target: its name (the binary, `fuzz_targets/<name>.rs`, and the seed folder)
/// and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("proof", proof),
    ("verifying_key", verifying_key),
    ("presentation", presentation),
    ("qr", qr),
    ("policy", policy),
    ("model", model),
    ("bundle", bundle),
    ("fhir", fhir),
];

/// Proof decoding: 128 compressed bytes with full point validation (on curve, G2 subgroup, not
/// the identity), from raw bytes and from the hex a presentation carries. Whatever decodes
/// must re-encode to the same bytes.
pub fn proof(data: &[u8]) {
    use healthzk_verifier::{decode_proof, decode_proof_bytes, encode_proof};
    if let Ok(bytes) = <&[u8; 128]>::try_from(data) {
        if let Ok(p) = decode_proof_bytes(bytes) {
            assert_eq!(&encode_proof(&p), bytes, "a decoded proof re-encodes to its bytes");
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = decode_proof(text);
    }
}

/// Verifying-key files (`*.vk`): magic, statement byte, depth, compressed key with every point
/// validated.
pub fn verifying_key(data: &[u8]) {
    use healthzk_prover::keys::{read_any_vk, read_vk};
    if let Ok((statement, vk, _, id)) = read_any_vk(data) {
        let (again, _, id2) = read_vk(statement, data).expect("a key reads as its own statement");
        assert!(again == vk && id2 == id, "reading by statement gives the same key");
    }
}

/// A well-formed key no one has a trapdoor-free proof for: generators as every point.
fn generator_verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        let vk =
            VerifyingKey::<Bn254> { alpha_g1: g1, beta_g2: g2, gamma_g2: g2, delta_g2: g2, gamma_abc_g1: vec![g1; 8] };
        Verifier::new(healthzk_core::statement::Statement::CredentialQuery, &vk, [0u8; 32])
    })
}

/// Presentation JSON through the whole verifier: parse, canonical public inputs, proof
/// decoding, key id, roots, policy, challenge, scope, window and — for inputs that get that
/// far (key id all zeros, any roots) — the pairing check against a fixed key. The
/// expectations are taken from the input itself so the fuzzer reaches every check. A verdict
/// on garbage is never "accepted".
pub fn presentation(data: &[u8]) {
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
            earliest: Day(0),
            latest: Day(0),
            accepted_roots: vec![],
            accepted_revocation_roots: vec![],
        },
    };
    let v = generator_verifier().verify(&p, &e);
    assert!(!v.is_accepted(), "garbage was accepted: {v:?}");
}

/// Compact presentations (`HZ2:` + base45): prefix, alphabet, group widths, length, statement
/// byte, canonical field elements. Whatever decodes must re-encode to the same string.
pub fn qr(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ctx =
        compact::VerifierContext { policy_hash: Fr::from(1u64), challenge: Fr::from(2u64), scope: Fr::from(3u64) };
    if let Ok(p) = compact::decode(text, &ctx) {
        let again = compact::encode(&p).expect("a decoded presentation encodes");
        // decode trims surrounding whitespace (a scanner may add a newline); nothing else.
        assert_eq!(again, text.trim(), "decode and encode are inverse");
    }
}

/// Policy JSON: parse, compile (every clause checked against its schema) and hash. A compiled
/// policy always hashes.
pub fn policy(data: &[u8]) {
    use healthzk_core::policy::Policy;
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Policy::from_json(text) {
        if let Ok(c) = p.compile() {
            let _ = c.hash();
        }
    }
}

/// Model files (fixed-point score models) and scikit-learn exports: parse, validate, hash,
/// quantize (no overflow in the fixed-point bounds, no NaN surprises).
pub fn model(data: &[u8]) {
    use healthzk_core::model::{import::ModelImport, Model};
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(m) = Model::from_json(text) {
        if m.validate().is_ok() {
            let _ = m.hash();
        }
    }
    if let Ok(import) = ModelImport::from_json(text) {
        if let Ok((m, _)) = import.quantize() {
            assert!(m.validate().is_ok(), "quantize returns a valid model");
        }
    }
}

/// Offline trust bundles: envelope JSON, pin check (SHA-256 of the payload, and EIP-191 signer
/// recovery), payload JSON and its validation. A bundle opened under a hash pin of its own
/// payload reopens identically once sealed again.
pub fn bundle(data: &[u8]) {
    let Ok(file) = serde_json::from_slice::<BundleFile>(data) else {
        let _ = BundleFile::open(data, &Pin::Sha256([0; 32]));
        return;
    };
    // The signer pin exercises signature decoding and recovery whatever it concludes.
    let _ = BundleFile::open(data, &Pin::Signer(Default::default()));
    let pin = Pin::Sha256(payload_sha256(&file.payload));
    if let Ok(bundle) = BundleFile::open(data, &pin) {
        let _ = bundle.check_current(0);
        let again = bundle.seal(None).expect("a valid bundle seals");
        let bytes = serde_json::to_vec(&again).expect("serializes");
        let reopened = BundleFile::open(&bytes, &Pin::Sha256(payload_sha256(&again.payload))).expect("reopens");
        assert_eq!(reopened, bundle, "seal and open are inverse");
    }
}

/// FHIR R4 input of the service (`POST /v1/issuers/{id}/credentials`): any JSON mapped to a
/// credential request, and a mapped request built into a credential.
pub fn fhir(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(req) = fhir::to_request(&v, Some("DE")) {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let _ = req.into_credential(HolderCommitment(Fr::from(1u64)), Day(20_000), 0, &mut rng);
    }
}
