//! A third party recomputes every hash of SPEC.md with circomlibjs alone:
//! `tests/js/recompute.mjs` reads the pinned vectors and rebuilds each from its inputs.
//! The test command (`scripts/test`) installs circomlibjs with `npm ci`; a missing node or
//! package fails this test rather than skipping it.

use std::{path::Path, process::Command};

#[test]
fn circomlibjs_recomputes_every_spec_vector() {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(
        js.join("node_modules/circomlibjs").is_dir(),
        "circomlibjs is not installed: run scripts/test (it runs `npm ci --prefix tests/js`)"
    );
    let o = Command::new("node")
        .arg("recompute.mjs")
        .current_dir(&js)
        .output()
        .expect("node must be on PATH for the circomlibjs cross-check");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "circomlibjs disagrees:\n{out}\n{err}");
    let line = out.lines().find(|l| l.starts_with("circomlibjs: ")).expect("summary line");
    let passed: usize = line["circomlibjs: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 137, "too few vectors checked: {line}");
    assert!(line.ends_with(" 0 failed"), "{line}");
}
