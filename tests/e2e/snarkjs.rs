//! snarkjs checks healthzk proofs: a credential-query proof exported with
//! `healthzk_verifier::snarkjs` is accepted by `snarkjs groth16 verify` (npm, installed by the
//! test command), and refused once one public input is changed. A missing node or package
//! fails this test rather than skipping it.

use healthzk_core::testkit::{scenario, Spec};
use healthzk_prover::Prover;
use healthzk_verifier::{decode_proof, snarkjs};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::{path::Path, process::Command};

/// Runs the snarkjs command line with `args` in `dir`; returns (success, stdout and stderr).
/// A missing node or snarkjs fails the calling test.
pub(crate) fn snarkjs(dir: &Path, args: &[&str]) -> (bool, String) {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let cli = js.join("node_modules/snarkjs/build/cli.cjs");
    assert!(cli.is_file(), "snarkjs is not installed: run scripts/test (it runs `npm ci --prefix tests/js`)");
    let o = Command::new("node")
        .arg(&cli)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("node must be on PATH for the snarkjs cross-check");
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
}

/// Runs `snarkjs groth16 verify` in `dir`; returns (success, output).
fn snarkjs_verify(dir: &Path) -> (bool, String) {
    snarkjs(dir, &["groth16", "verify", "verification_key.json", "public.json", "proof.json"])
}

#[test]
fn snarkjs_accepts_exported_proofs_and_refuses_a_changed_input() {
    let depth = 4;
    let pk = healthzk_prover::setup(depth, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    let prover = Prover::new(pk, depth).unwrap();
    let s = scenario(&Spec::default(), None, depth);
    let proof = prover.prove(&s.public, &s.witness, &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
    let proof = decode_proof(&proof.to_hex()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &serde_json::Value| std::fs::write(dir.path().join(name), v.to_string()).unwrap();
    write("verification_key.json", &snarkjs::verification_key(&prover.proving_key().vk));
    write("proof.json", &snarkjs::proof(&proof));
    let inputs = s.public.to_field_elements();
    write("public.json", &snarkjs::public(&inputs));
    let (ok, out) = snarkjs_verify(dir.path());
    assert!(ok && out.contains("OK"), "snarkjs refused a valid proof:\n{out}");

    for i in 0..inputs.len() {
        let mut changed = inputs;
        changed[i] += healthzk_core::Fr::from(1u64);
        write("public.json", &snarkjs::public(&changed));
        let (ok, out) = snarkjs_verify(dir.path());
        assert!(!ok && out.contains("Invalid proof"), "snarkjs accepted a changed input {i}:\n{out}");
    }
}
