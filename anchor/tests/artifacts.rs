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
