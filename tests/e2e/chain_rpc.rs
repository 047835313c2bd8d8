//! The chain commands against a real node: `healthzk chain init|accredit`, `anchor`, `roots`
//! and `verify --roots-from-chain`, all with `--rpc-url` pointing at a Hardhat 2 node on
//! 127.0.0.1 (pinned in tests/js, installed by the test command; never skipped).

use crate::hardhat;

use std::{
    path::Path,
    process::{Command, Output},
};

const BIN: &str = env!("CARGO_BIN_EXE_healthzk");

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let o: Output = Command::new(BIN).args(args).envs(env.iter().copied()).output().expect("binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn anchor_and_verify_through_the_cli_on_a_hardhat_node() {
    let node = hardhat::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js"));
    let url = node.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (keys, chain, issuer) = (d.join("keys"), d.join("chain"), d.join("issuer"));
    let ok = |r: (i32, String, String)| {
        assert_eq!(r.0, 0, "{}{}", r.1, r.2);
        r.1
    };
    ok(run(&["setup", "--dev", "--keys", s(&keys), "--depth", "8"], &[]));
    ok(run(&["holder", "new", "--out", s(&d.join("holder.json"))], &[]));
    let req = d.join("dose.json");
    std::fs::write(
        &req,
        r#"{"schema": "vaccination/v1", "attributes": {"disease": 840539006, "vaccine": 1119349007,
            "product": "EU/1/20/1528", "manufacturer": "ORG-100030215", "dose_number": 2,
            "series_doses": 2, "date": "2026-09-01", "country": "FR"}, "issued": "2026-09-01"}"#,
    )
    .unwrap();
    let pkg = d.join("pkg.json");
    ok(run(
        &["issue", "--issuer", s(&issuer), "--depth", "8", "--credential", s(&req), "--holder"]
            .into_iter()
            .chain([s(&d.join("holder.json")), "--out", s(&pkg), "--today", "2026-09-01"])
            .collect::<Vec<_>>(),
        &[],
    ));
    // The hospital's chain account is a funded Hardhat account.
    std::fs::write(issuer.join("chain.key"), hardhat::HARDHAT_KEYS[1]).unwrap();
    let owner_key = d.join("owner.key");
    std::fs::write(&owner_key, hardhat::HARDHAT_KEYS[0]).unwrap();

    // No key: refused, naming both ways to give one.
    let r = run(&["chain", "init", "--chain", s(&chain), "--rpc-url", url], &[]);
    assert_eq!(r.0, 2, "{r:?}");
    assert!(r.2.contains("--key-file or set HEALTHZK_CHAIN_KEY"), "{r:?}");
    let out = ok(run(&["chain", "init", "--chain", s(&chain), "--rpc-url", url, "--key-file", s(&owner_key)], &[]));
    assert!(out.contains(&format!("on chain {}", hardhat::HARDHAT_CHAIN_ID)), "{out}");
    let address = ok(run(&["issuer", "address", "--issuer", s(&issuer)], &[])).trim().to_string();
    let r = run(&["anchor", "--issuer", s(&issuer), "--depth", "8", "--chain", s(&chain), "--rpc-url", url], &[]);
    assert_eq!(r.0, 2, "{r:?}");
    assert!(r.2.contains("NotIssuer"), "{r:?}");
    // The owner's key from the environment this time.
    ok(run(
        &["chain", "accredit", "--chain", s(&chain), "--rpc-url", url, "--issuer-address", &address],
        &[("HEALTHZK_CHAIN_KEY", hardhat::HARDHAT_KEYS[0])],
    ));
    let out = ok(run(&["anchor", "--issuer", s(&issuer), "--depth", "8", "--chain", s(&chain), "--rpc-url", url], &[]));
    let root = ok(run(&["issuer", "root", "--issuer", s(&issuer), "--depth", "8"], &[])).trim().to_string();
    let revocation_root = ok(run(&["issuer", "revocation-root", "--issuer", s(&issuer)], &[])).trim().to_string();
    assert_eq!(out.trim(), format!("anchored {root}\nanchored revocation root {revocation_root}"));
    let out = ok(run(&["roots", "--issuer-address", &address, "--chain", s(&chain), "--rpc-url", url], &[]));
    assert!(out.starts_with(&root) && out.trim_end().ends_with("accepted"), "{out}");

    let policy = d.join("policy.json");
    ok(run(&["policy", "preset", "covid19", "--out", s(&policy)], &[]));
    let challenge = ok(run(&["challenge"], &[])).trim().to_string();
    let pres = d.join("pres.json");
    let session = ["--policy", s(&policy), "--challenge", &challenge, "--scope", "border:x"];
    let holder = d.join("holder.json");
    let revocations = issuer.join("revocations.json");
    let mut prove = vec!["prove", "--keys", s(&keys), "--holder", s(&holder), "--package", s(&pkg)];
    prove.extend(["--revocations", s(&revocations)]);
    prove.extend(session);
    prove.extend(["--as-of", "2026-11-21", "--out", s(&pres)]);
    ok(run(&prove, &[]));
    let mut verify = vec!["verify", "--keys", s(&keys), "--presentation", s(&pres)];
    verify.extend(session);
    verify.extend(["--today", "2026-11-21", "--roots-from-chain", &address, "--chain", s(&chain), "--rpc-url", url]);
    let out = ok(run(&verify, &[]));
    assert!(out.starts_with("ACCEPTED"), "{out}");

    // Revoked on chain: the same presentation is now refused.
    ok(run(
        &["anchor", "--issuer", s(&issuer), "--depth", "8", "--chain", s(&chain), "--rpc-url", url, "--revoke", &root],
        &[],
    ));
    let r = run(&verify, &[]);
    assert_eq!(r.0, 1, "{r:?}");
    assert!(r.1.starts_with("REJECTED"), "{r:?}");
}
