//! A phase-2 ceremony end to end, healthzk and snarkjs on one transcript (issue #19): a
//! development ptau, `ceremony new`, two healthzk contributions, one `snarkjs zkey contribute`,
//! a healthzk beacon; `snarkjs zkey verify` and `healthzk ceremony verify` both accept it;
//! tampered transcripts are refused by name; the imported key proves, and the proof is accepted
//! by the Rust verifier, by `snarkjs groth16 verify` and by the Solidity verifier on the
//! embedded chain, whose key `chain check-verifier` finds equal to the ceremony's (and a
//! development key's verifier not). The credential query at depth 4 (12,198 constraints, a
//! 2^14 domain).

use crate::snarkjs::snarkjs;
use ark_bn254::{Fq, Fq2, Fr, G2Affine};
use ark_ec::CurveGroup;
use ark_ff::{Field, One};
use healthzk_anchor::{contracts::VerifierContract, Account, EmbeddedChain};
use healthzk_core::{
    statement::Statement,
    testkit::{scenario, Spec},
};
use healthzk_prover::{ceremony::zkey::Zkey, KeyDir};
use healthzk_verifier::{decode_proof, snarkjs as sj, Verifier};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_healthzk");
const DEPTH: &str = "4";

fn hz(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("binary runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = hz(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The contribution hash a command printed.
fn contribution_hash(out: &str) -> String {
    out.lines().find_map(|l| l.strip_prefix("contribution hash ")).expect("a contribution hash").trim().to_string()
}

fn circuit<'a>(zkey: &'a str, ptau: &'a str, depth: &'a str) -> Vec<&'a str> {
    vec!["ceremony", "verify", "--zkey", zkey, "--ptau", ptau, "--statement", "credential-query", "--depth", depth]
}

/// A point on the G2 curve outside the prime-order subgroup.
fn g2_outside_subgroup() -> G2Affine {
    let mut x = Fq2::new(Fq::one(), Fq::one());
    loop {
        let rhs = x.square() * x + <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
        if let Some(y) = rhs.sqrt() {
            let p = G2Affine::new_unchecked(x, y);
            if p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve() {
                return p;
            }
        }
        x += Fq2::one();
    }
}

#[test]
fn a_ceremony_with_snarkjs_verifies_imports_and_proves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["ceremony", "dev-ptau", "--dev", "--power", "14", "--out", "pot.ptau"]);
    ok(d, &["export", "r1cs", "--statement", "credential-query", "--depth", DEPTH, "--out", "q.r1cs"]);
    let o = hz(
        d,
        &[
            "ceremony",
            "new",
            "--ptau",
            "pot.ptau",
            "--statement",
            "credential-query",
            "--depth",
            DEPTH,
            "--out",
            "c0.zkey",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("DEVELOPMENT Powers of Tau"), "new must say the ptau is a development one: {}", text(&o));
    let alice = contribution_hash(&ok(
        d,
        &["ceremony", "contribute", "--in", "c0.zkey", "--out", "c1.zkey", "--name", "alice"],
    ));
    // Bob mixes typed text into the OS entropy.
    let mut child = Command::new(BIN)
        .args(["ceremony", "contribute", "--in", "c1.zkey", "--out", "c2.zkey", "--name", "bob", "--entropy-stdin"])
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"bob's cat walked on the keyboard\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let bob = contribution_hash(&String::from_utf8_lossy(&o.stdout));
    let (good, out) = snarkjs(d, &["zkey", "contribute", "c2.zkey", "c3.zkey", "--name=carol", "-e=carol's entropy"]);
    assert!(good, "snarkjs zkey contribute failed:\n{out}");
    let beacon = contribution_hash(&ok(
        d,
        &[
            "ceremony",
            "beacon",
            "--in",
            "c3.zkey",
            "--out",
            "final.zkey",
            "--beacon",
            "0123456789abcdef",
            "--iterations",
            "10",
        ],
    ));

    let (good, out) = snarkjs(d, &["zkey", "verify", "q.r1cs", "pot.ptau", "final.zkey"]);
    assert!(good && out.contains("ZKey Ok!"), "snarkjs refused the transcript:\n{out}");
    let out = ok(d, &circuit("final.zkey", "pot.ptau", DEPTH));
    assert!(out.contains("ceremony OK: 4 contribution(s)"), "{out}");
    for (i, (name, hash)) in [("alice", &alice), ("bob", &bob), ("beacon", &beacon)].into_iter().enumerate() {
        let n = if i == 2 { 4 } else { i + 1 };
        assert!(out.contains(&format!("contribution {n} \"{name}\"")) && out.contains(hash.as_str()), "{name}: {out}");
    }
    assert!(out.contains("contribution 3 \"carol\""), "{out}");

    // Tampering, each refused with a message naming it.
    let z = Zkey::parse(&std::fs::read(d.join("final.zkey")).unwrap()).unwrap();
    let refused = |name: &str, z: &Zkey, ptau: &str, depth: &str, code: i32, needle: &str| {
        std::fs::write(d.join(name), z.to_bytes()).unwrap();
        let o = hz(d, &circuit(name, ptau, depth));
        assert_eq!(o.status.code(), Some(code), "{name}: {}", text(&o));
        assert!(text(&o).contains(needle), "{name}: expected {needle:?} in {}", text(&o));
    };
    let mut bad = z.clone();
    bad.contributions[1].delta_after = (bad.contributions[1].delta_after * Fr::from(3u64)).into_affine();
    refused(
        "delta.zkey",
        &bad,
        "pot.ptau",
        DEPTH,
        1,
        "contribution 2 (bob): its delta does not match its proof of knowledge",
    );
    let mut bad = z.clone();
    bad.h[7] = (bad.h[7] * Fr::from(2u64)).into_affine();
    refused("h.zkey", &bad, "pot.ptau", DEPTH, 1, "the H query is not the initial one divided by delta");
    refused("circuit.zkey", &z, "pot.ptau", "6", 1, "the zkey is for another circuit");
    ok(d, &["ceremony", "dev-ptau", "--dev", "--power", "14", "--out", "other.ptau"]);
    refused("ptau.zkey", &z, "other.ptau", DEPTH, 1, "not made from this ptau");
    let mut bad = z.clone();
    bad.b2[5] = g2_outside_subgroup();
    refused(
        "subgroup.zkey",
        &bad,
        "pot.ptau",
        DEPTH,
        2,
        "zkey section 7 (B2), point 5: a G2 point not in the prime-order subgroup",
    );

    // Import: the keys say where they came from, and prove.
    let keys = d.join("keys");
    let ks = keys.to_str().unwrap();
    let import = |zkey: &str, extra: &[&str]| {
        let mut args = vec!["ceremony", "import", "--zkey", zkey, "--ptau", "pot.ptau", "--statement"];
        args.extend(["credential-query", "--depth", DEPTH, "--keys", ks]);
        args.extend_from_slice(extra);
        hz(d, &args)
    };
    let o = import("final.zkey", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let shown = ok(d, &["keys", "show", "--keys", ks]);
    assert!(shown.contains("provenance  ceremony, transcript hash"), "{shown}");
    for name in ["alice", "bob", "carol", "beacon"] {
        assert!(shown.contains(&format!("{name:?}")), "{name}: {shown}");
    }
    assert!(shown.contains("DEVELOPMENT: no phase-1 contribution"), "{shown}");

    let dir_keys = KeyDir::new(&keys);
    let prover = dir_keys.query_prover().unwrap();
    let depth: usize = DEPTH.parse().unwrap();
    let s = scenario(&Spec::default(), None, depth);
    let proof = prover.prove(&s.public, &s.witness, &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
    let proof = decode_proof(&proof.to_hex()).unwrap();
    let vk = &prover.proving_key().vk;
    let verifier = Verifier::new(Statement::CredentialQuery, vk, prover.key_id().0);
    verifier.verify_proof(&s.public, &proof).expect("the Rust verifier accepts the imported key's proof");

    let write = |name: &str, v: &serde_json::Value| std::fs::write(d.join(name), v.to_string()).unwrap();
    write("verification_key.json", &sj::verification_key(vk));
    write("proof.json", &sj::proof(&proof));
    write("public.json", &sj::public(&s.public.to_field_elements()));
    let (good, out) = snarkjs(d, &["groth16", "verify", "verification_key.json", "public.json", "proof.json"]);
    assert!(good && out.contains("OK"), "snarkjs groth16 verify refused the proof:\n{out}");
    // snarkjs' own export of the ceremony key is the same key.
    let (good, out) = snarkjs(d, &["zkey", "export", "verificationkey", "final.zkey", "snarkjs_vk.json"]);
    assert!(good, "{out}");
    let (good, out) = snarkjs(d, &["groth16", "verify", "snarkjs_vk.json", "public.json", "proof.json"]);
    assert!(good && out.contains("OK"), "snarkjs refused the proof under its own export of the key:\n{out}");

    let mut chain = EmbeddedChain::in_memory();
    let owner = Account::random();
    let (contract, _) = VerifierContract::deploy(&mut chain, &owner, vk).unwrap();
    assert_eq!(
        contract.key_id(&mut chain).unwrap(),
        prover.key_id().0,
        "the contract's key id is not the ceremony key's"
    );
    assert!(contract.verify(&mut chain, &proof, &s.public).unwrap(), "the Solidity verifier refused the proof");
    let mut changed = s.public;
    changed.challenge += Fr::one();
    assert!(!contract.verify(&mut chain, &proof, &changed).unwrap(), "the Solidity verifier accepted a changed input");

    // On chain: a verifier deployed from the imported keys holds the ceremony key, one from a
    // development setup does not; the registry records the ceremony's transcript hash.
    let chain_dir = d.join("chain");
    let cd = chain_dir.to_str().unwrap();
    ok(d, &["chain", "init", "--chain", cd]);
    let address = |out: String| out.split_whitespace().nth(1).expect("verifier <address> for …").to_string();
    let ours = address(ok(d, &["chain", "deploy-verifier", "--chain", cd, "--keys", ks]));
    let check = |addr: &str| hz(d, &["chain", "check-verifier", "--chain", cd, "--address", addr, "--keys", ks]);
    let o = check(&ours);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("ceremony, transcript hash") && text(&o).contains("not recorded"), "{}", text(&o));
    ok(d, &["chain", "accept-key", "--chain", cd, "--keys", ks]);
    let o = check(&ours);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("registry: accepted for statement code 1"), "{}", text(&o));
    let dev = d.join("devkeys");
    ok(d, &["setup", "--dev", "--keys", dev.to_str().unwrap(), "--depth", DEPTH]);
    let o = hz(d, &["chain", "accept-key", "--chain", cd, "--keys", dev.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "a development key was recorded without --dev: {}", text(&o));
    let theirs = address(ok(d, &["chain", "deploy-verifier", "--chain", cd, "--keys", dev.to_str().unwrap()]));
    let o = check(&theirs);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("does NOT hold") && text(&o).contains("delta") && text(&o).contains("keyId"),
        "{}",
        text(&o)
    );

    // A key whose only contribution is a beacon (delta anyone can recompute) is never imported.
    ok(d, &["ceremony", "beacon", "--in", "c0.zkey", "--out", "b.zkey", "--beacon", "00ff", "--iterations", "10"]);
    let o = import("b.zkey", &["--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no secret phase-2 contribution"), "{}", text(&o));
}
