//! Property-based API fuzzing: schemathesis (pinned in `tests/api/requirements.txt`, installed
//! by `scripts/test` into `target/api-venv`) against the OpenAPI document the server serves,
//! with every check it has. It must find no 5xx, no response that breaks the document, no
//! schema-valid request refused for not matching the document (400), no schema-violating
//! request accepted, and no hang. Fixtures made first (an issuer, anchored credentials, a
//! registered policy and model, a challenge, a finished job) let it reach past 404.
//!
//! Examples per operation: `HEALTHZK_API_FUZZ_EXAMPLES` (default 10; the README records a
//! longer run by hand).

use super::service::{holder, immunization, issue, lab_bundle, new_issuer, open_package, wait_job, Api, Server, ADMIN};
use serde_json::{json, Value};
use std::{path::PathBuf, process::Command};

fn schemathesis() -> PathBuf {
    let st = match std::env::var_os("HEALTHZK_SCHEMATHESIS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/api-venv/bin/st"),
    };
    assert!(
        st.exists(),
        "schemathesis not found at {}: scripts/test installs it (python3 -m venv target/api-venv && \
         target/api-venv/bin/pip install -r tests/api/requirements.txt), or set HEALTHZK_SCHEMATHESIS",
        st.display()
    );
    st
}

#[test]
fn schemathesis_finds_no_5xx_no_schema_break_no_valid_request_refused_and_no_hang() {
    let st = schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &["--anchor-every", "1", "--anchor-interval", "0"]);

    // Fixtures: two anchored credentials (the path route's and revocation's), a package proved
    // into a finished job, a registered policy and model, an open challenge.
    let (issuer, token) = new_issuer(&s, "Fuzz Klinikum");
    let alice = holder(dir.path(), "alice.json");
    let vax = issue(&s, &issuer, &token, &alice, immunization(&super::service::day(-30)));
    let lab = issue(&s, &issuer, &token, &alice, lab_bundle());
    s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    let blob = vax["blob_id"].as_str().unwrap().to_string();
    let pkg = open_package(&s, &alice, dir.path(), &blob);
    let policy: Value = serde_json::from_str(&super::service::cli(&["policy", "preset", "covid19"])).unwrap();
    let ph = s.ok("POST", "/v1/policies", Some(ADMIN), Some(&policy), 201)["hash"].as_str().unwrap().to_string();
    let model: Value =
        serde_json::from_slice(&std::fs::read("models/diabetes-progression-lr.model.json").unwrap()).unwrap();
    let mh = s.ok("POST", "/v1/models", Some(ADMIN), Some(&model), 201)["hash"].as_str().unwrap().to_string();
    let challenge = |scope: &str| {
        s.ok("POST", "/v1/challenges", None, Some(&json!({"policy_hash": ph, "scope": scope})), 201)["challenge"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let c = challenge("fuzz-gate");
    let prove =
        json!({"holder_secret": alice.secret, "package": pkg, "policy_hash": ph, "challenge": c, "scope": "fuzz-gate"});
    let job = s.ok("POST", "/v1/jobs", None, Some(&prove), 202)["job"].as_str().unwrap().to_string();
    assert_eq!(wait_job(&s, &job)["status"], "done");
    let key_id = s.ok("GET", "/v1/keys", None, None, 200)["keys"][0]["key_id"].as_str().unwrap().to_string();
    let open_challenge = challenge("fuzz-gate-2");

    let examples = std::env::var("HEALTHZK_API_FUZZ_EXAMPLES").unwrap_or_else(|_| "10".into());
    let report = dir.path().join("schemathesis.txt");
    let out = Command::new(&st)
        .args(["--config-file", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/schemathesis.toml")])
        .args(["run", &format!("http://{}/openapi.json", s.addr()), "--max-examples", &examples])
        .args(["--seed", "20261203"])
        .env("HZK_BASE", format!("http://{}", s.addr()))
        .env("HZK_ADMIN_TOKEN", ADMIN)
        .env("HZK_ISSUER", &issuer)
        .env("HZK_ISSUER_TOKEN", &token)
        .env("HZK_INDEX", vax["index"].to_string())
        .env("HZK_REVOKE_INDEX", lab["index"].to_string())
        .env("HZK_BLOB", &blob)
        .env("HZK_JOB", &job)
        .env("HZK_KEY_ID", &key_id)
        .env("HZK_CHALLENGE", &open_challenge)
        .env("HZK_POLICY", &ph)
        .env("HZK_MODEL", &mh)
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    std::fs::write(&report, &text).unwrap();
    assert_eq!(out.status.code(), Some(0), "schemathesis found failures:\n{text}");
    // It tested every operation it selected (all of them), and reached past 404 on each that
    // takes an id.
    let count = |label: &str| {
        let line =
            text.lines().find(|l| l.trim_start().starts_with(label)).unwrap_or_else(|| panic!("no {label}:\n{text}"));
        line.split(':').nth(1).unwrap().trim().to_string()
    };
    let (selected, tested) = (count("Selected:"), count("Tested:"));
    let (n, all) = selected.split_once('/').unwrap();
    assert!(
        n == all && tested == n && n.parse::<usize>().unwrap() > 20,
        "selected {selected}, tested {tested}:\n{text}"
    );
    assert!(!text.contains("Missing test data"), "some operations never got past 404:\n{text}");
    // The server kept serving and logged no internal error.
    assert_eq!(s.ok("GET", "/healthz", None, None, 200)["status"], "ok");
    let log = std::fs::read_to_string(dir.path().join("data.log")).unwrap();
    assert!(!log.contains("internal error"), "{log}");
    // Its figures, for the README: `cargo test ... -- --nocapture` prints them.
    if let Some(summary) =
        text.lines().find(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(" generated"))
    {
        println!("schemathesis ({examples} examples per operation): {}", summary.trim());
    }
}
