//! The committed solc artifacts are what the pinned compiler makes of the committed sources:
//! `node anchor/contracts/compile.mjs --check` recompiles with solc 0.8.28 (npm, installed by
//! the test command) and compares byte for byte.

use std::{path::Path, process::Command};

#[test]
fn recompiling_the_contracts_reproduces_the_committed_artifacts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(
        root.join("tests/js/node_modules/solc").is_dir(),
        "solc is not installed: run scripts/test (it runs `npm ci --prefix tests/js`)"
    );
    let o = Command::new("node")
        .args(["anchor/contracts/compile.mjs", "--check"])
        .current_dir(&root)
        .output()
        .expect("node must be on PATH to recompile the contracts");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "artifacts differ from a fresh compile:\n{out}\n{err}");
    assert!(out.contains("3 artifacts up to date (solc 0.8.28)"), "{out}");
}

use crate::common;

/// `healthzk export-verifier`'s source compiles with the pinned solc, deploys with no
/// constructor arguments, and accepts a Rust proof (and refuses it for another input).
#[test]
fn exported_verifier_compiles_deploys_and_verifies() {
    use healthzk_anchor::{contracts::VerifierContract, encode, solidity, Account, Chain, EmbeddedChain};
    use healthzk_core::statement::Statement;

    let f = common::fixture();
    let vk = &f.query.proving_key().vk;
    let key_id = healthzk_prover::KeyId::of(vk).0;
    let source = solidity::export(vk, key_id, Statement::CredentialQuery).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sol = dir.path().join("Exported.sol");
    std::fs::write(&sol, &source).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = Command::new("node")
        .args(["anchor/contracts/compile.mjs", "--extra"])
        .arg(&sol)
        .arg("--out")
        .arg(dir.path())
        .current_dir(&root)
        .output()
        .expect("node must be on PATH");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let name = Statement::CredentialQuery.contract_name();
    let artifact: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(format!("{name}.json"))).unwrap()).unwrap();
    let code = hex::decode(artifact["bytecode"].as_str().unwrap().trim_start_matches("0x")).unwrap();

    let mut chain = EmbeddedChain::in_memory();
    let receipt = chain.deploy(&Account::random(), code.into()).unwrap();
    let contract = VerifierContract { address: receipt.contract_address.unwrap() };
    assert_eq!(contract.key_id(&mut chain).unwrap(), key_id);
    let (public, proof, _) = common::query_statement(healthzk_core::day::Day(20_000), None);
    assert!(contract.verify(&mut chain, &proof, &public).unwrap());
    let mut inputs = encode::public_inputs(&public);
    inputs[3] += alloy_primitives::U256::from(1);
    assert!(!contract.verify_words(&mut chain, encode::proof(&proof), inputs).unwrap());
}
