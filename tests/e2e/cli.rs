//! End-to-end through the `healthzk` binary, as a user drives it: the whole flow, the demo,
//! and a table of bad inputs that must each exit 2 with a message naming the problem.

use serde_json::{json, Value};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

const BIN: &str = env!("CARGO_BIN_EXE_healthzk");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("binary runs")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// `healthzk qr --string-only` of a presentation: an `HZ2:` string of at most 400 characters
/// (issue #6's bound for an alphanumeric QR code a phone camera reads easily).
fn qr_string(presentation: &Path) -> String {
    let o = run(&["qr", "--presentation", s(presentation), "--string-only"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let qr = text(&o).0.trim().to_string();
    assert!(qr.starts_with("HZ2:") && qr.len() <= 400, "{} chars: {qr}", qr.len());
    qr
}

/// Keys generated once per test binary, in a temporary directory kept for its lifetime.
fn keys() -> &'static Path {
    static K: OnceLock<tempfile::TempDir> = OnceLock::new();
    K.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let o = run(&["setup", "--dev", "--keys", dir.path().to_str().unwrap()]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(err.contains("FOR DEVELOPMENT ONLY"), "setup must say it is for development: {err}");
        assert!(out.starts_with("key id "), "{out}");
        dir
    })
    .path()
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `healthzk issue` of request file `req` to `holder` (a file or a 0x commitment), optionally
/// on a fixed day.
fn issue(issuer: &Path, req: &Path, holder: &str, out: &Path, today: Option<&str>) -> Output {
    let mut args = vec!["issue", "--issuer", s(issuer), "--credential", s(req), "--holder", holder, "--out", s(out)];
    if let Some(t) = today {
        args.extend(["--today", t]);
    }
    run(&args)
}

fn vaccination(product: &str, dose: u64, date: &str) -> Value {
    json!({
        "schema": "vaccination/v1",
        "attributes": {
            "disease": 840539006u64, "vaccine": 1119349007u64, "product": product,
            "manufacturer": "ORG-100030215", "dose_number": dose, "series_doses": 2,
            "date": date, "country": "FR"
        },
        "issued": date
    })
}

/// A workspace with keys, an issuer tree holding two credentials for one holder, a policy,
/// and a challenge.
struct Flow {
    dir: tempfile::TempDir,
    /// The roots file an anchored-root verifier would hold (every root the tree has had).
    roots_file: PathBuf,
    /// The issuer's current revocation root, as `issuer revocation-root` prints it.
    revocation_root: String,
    challenge: String,
}

impl Flow {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let o = run(&["holder", "new", "--out", s(&d.join("holder.json"))]);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.join("holder.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the holder secret must be readable by its owner only");
        }
        let again = run(&["holder", "new", "--out", s(&d.join("holder.json"))]);
        assert_eq!(again.status.code(), Some(2), "a holder secret is never overwritten");
        let issuer = d.join("issuer");
        for (name, cred) in [
            ("good", vaccination("EU/1/20/1528", 2, "2026-09-01")),
            ("recent", vaccination("EU/1/20/1528", 2, "2026-11-15")),
        ] {
            let req = write(d, &format!("{name}.json"), &cred);
            let holder = d.join("holder.json");
            let o = issue(&issuer, &req, s(&holder), &d.join(format!("{name}.pkg.json")), Some("2026-11-20"));
            assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        }
        let o = run(&["policy", "preset", "covid19", "--out", s(&d.join("policy.json"))]);
        assert_eq!(o.status.code(), Some(0));
        let roots = text(&run(&["issuer", "roots", "--issuer", s(&issuer)])).0;
        assert_eq!(roots.lines().count(), 2, "{roots}");
        let current = text(&run(&["issuer", "root", "--issuer", s(&issuer)])).0;
        assert_eq!(roots.lines().last(), current.lines().next());
        let roots_file = d.join("roots.txt");
        std::fs::write(&roots_file, roots).unwrap();
        let challenge = text(&run(&["challenge", "--context", "gate 7"])).0.trim().to_string();
        assert!(challenge.starts_with("0x"));
        assert!(issuer.join("revocations.json").exists(), "the first issue publishes an empty revocation list");
        let revocation_root = revocation_root(&issuer);
        Flow { dir, roots_file, revocation_root, challenge }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn prove(&self, package: &str, out: &str) -> Output {
        self.prove_with(package, out, &[])
    }

    /// `prove` with `extra` arguments.
    fn prove_with(&self, package: &str, out: &str, extra: &[&str]) -> Output {
        let [holder, package, revocations, policy, out] =
            ["holder.json", package, "issuer/revocations.json", "policy.json", out].map(|p| self.path(p));
        let mut args = vec![
            "prove",
            "--keys",
            s(keys()),
            "--holder",
            s(&holder),
            "--package",
            s(&package),
            "--revocations",
            s(&revocations),
            "--policy",
            s(&policy),
            "--challenge",
            &self.challenge,
            "--scope",
            "border:FR-CDG",
            "--as-of",
            "2026-11-21",
            "--out",
            s(&out),
        ];
        args.extend(extra);
        run(&args)
    }

    fn verify(&self, presentation: &Path, challenge: &str, roots: &[&str]) -> Output {
        self.verify_against(presentation, challenge, roots, &self.revocation_root, &[])
    }

    /// `verify` accepting `revocation_root` for the issuer, with `extra` arguments.
    fn verify_against(
        &self,
        presentation: &Path,
        challenge: &str,
        roots: &[&str],
        revocation_root: &str,
        extra: &[&str],
    ) -> Output {
        self.verify_source(["--presentation", s(presentation)], challenge, roots, revocation_root, extra)
    }

    /// `verify` of `source` (`--presentation FILE` or `--qr STRING`); the roots file unless
    /// `roots` are given.
    fn verify_source(
        &self,
        source: [&str; 2],
        challenge: &str,
        roots: &[&str],
        revocation_root: &str,
        extra: &[&str],
    ) -> Output {
        let policy = self.path("policy.json");
        let mut args = vec![
            "verify",
            "--keys",
            s(keys()),
            source[0],
            source[1],
            "--policy",
            s(&policy),
            "--challenge",
            challenge,
            "--scope",
            "border:FR-CDG",
            "--today",
            "2026-11-21",
            "--revocation-root",
            revocation_root,
        ];
        args.extend(extra);
        if roots.is_empty() {
            args.extend(["--roots-file", s(&self.roots_file)]);
        }
        for r in roots {
            args.extend(["--root", r]);
        }
        run(&args)
    }
}

fn revocation_root(issuer: &Path) -> String {
    let o = run(&["issuer", "revocation-root", "--issuer", s(issuer)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    text(&o).0.trim().to_string()
}

#[test]
fn issue_prove_verify_through_the_cli() {
    let f = Flow::new();
    let o = f.prove("good.pkg.json", "pres.json");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = f.verify(&f.path("pres.json"), &f.challenge, &[]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.starts_with("ACCEPTED nullifier 0x"), "{out}");

    // Export for snarkjs (tests/snarkjs.rs runs snarkjs on such files).
    let export = f.path("snarkjs");
    let o = run(&[
        "export",
        "snarkjs",
        "--keys",
        s(keys()),
        "--presentation",
        s(&f.path("pres.json")),
        "--out",
        s(&export),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let public: Value = serde_json::from_slice(&std::fs::read(export.join("public.json")).unwrap()).unwrap();
    assert_eq!(public.as_array().unwrap().len(), 7);
    let vk: Value = serde_json::from_slice(&std::fs::read(export.join("verification_key.json")).unwrap()).unwrap();
    assert_eq!((vk["protocol"].as_str(), vk["nPublic"].as_u64()), (Some("groth16"), Some(7)));

    // Offline QR: a PNG and the compact string, which verify accepts with the verifier's own
    // policy, challenge and scope — and refuses under another challenge.
    let png = f.path("pres.png");
    let o = run(&["qr", "--presentation", s(&f.path("pres.json")), "--png", s(&png)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(text(&o).0.contains('█'), "the terminal rendering is printed");
    let qr = qr_string(&f.path("pres.json"));
    let verify_qr = |qr: &str, challenge: &str| f.verify_source(["--qr", qr], challenge, &[], &f.revocation_root, &[]);
    let o = verify_qr(&qr, &f.challenge);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).0.starts_with("ACCEPTED nullifier 0x"));
    let o = verify_qr(&qr, text(&run(&["challenge"])).0.trim());
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    for (bad, needle) in
        [("HZ9:00", "must start with HZ2:"), (&qr[..qr.len() - 5], "expected 261"), ("HZ2:a", "alphabet")]
    {
        let o = verify_qr(bad, &f.challenge);
        assert_eq!(o.status.code(), Some(2), "{bad}: {:?}", text(&o));
        assert!(text(&o).1.contains(needle), "{bad}: {:?}", text(&o));
    }

    // Rejections: exit 1 with the reason.
    let other = text(&run(&["challenge"])).0.trim().to_string();
    let o = f.verify(&f.path("pres.json"), &other, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("challenge does not match"), "{:?}", text(&o));
    let o = f.verify(&f.path("pres.json"), &f.challenge, &["0x1234"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("issuer root is not an accepted"), "{:?}", text(&o));

    // A false statement cannot be proven: the dose was 6 days before as_of.
    let o = f.prove("recent.pkg.json", "never.json");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("comparison clause 3 does not hold"), "{:?}", text(&o));
    assert!(!f.path("never.json").exists());
}

#[test]
fn demo_runs_the_whole_flow() {
    let o = run(&["demo", "--credentials", "1000", "--keys", s(keys())]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("hospital issued 1000 credentials"), "{out}");
    // Two travellers' presets, alice with roots from the chain, and the insurer's two models
    // for grace.
    assert_eq!(out.matches("ACCEPTED").count(), 5, "{out}");
    assert!(out.contains("alice at the gate contract         ADMITTED on chain"), "{out}");
    assert!(out.contains("REFUSED on chain: NullifierUsed"), "{out}");
    assert!(out.contains("alice after the root is revoked    REJECTED: issuer root is not an accepted"), "{out}");
    assert!(out.matches("REJECTED").count() >= 11, "{out}");
    assert_eq!(out.matches("henry: risk above 0.2              honest prover refuses: the score").count(), 2, "{out}");
    assert!(out.contains("henry: unregistered laxer model    REJECTED: policy hash does not match"), "{out}");
    for reason in
        ["invalid proof", "challenge does not match", "policy hash does not match", "issuer root is not an accepted"]
    {
        assert!(out.contains(reason), "missing {reason}: {out}");
    }
    assert!(out.contains("all verdicts as expected"));
    assert!(!out.contains("UNEXPECTED"));
}

/// Every bad input: exit code 2, a message naming the problem, never a panic.
#[test]
fn bad_inputs_exit_2_with_a_clear_message() {
    let f = Flow::new();
    assert_eq!(f.prove("good.pkg.json", "pres.json").status.code(), Some(0));
    let good: Value = serde_json::from_slice(&std::fs::read(f.path("pres.json")).unwrap()).unwrap();
    let d = f.dir.path();
    let mutate = |name: &str, m: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        m(&mut v);
        write(d, name, &v)
    };
    let proof = good["proof"].as_str().unwrap().to_string();
    let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

    let truncated = d.join("truncated.json");
    std::fs::write(&truncated, &std::fs::read(f.path("pres.json")).unwrap()[..100]).unwrap();
    let non_canonical = mutate("nc.json", &|v| v["public"]["nullifier"] = json!(r));
    let short = mutate("short.json", &|v| v["proof"] = json!(&proof[..250]));
    let not_hex = mutate("nothex.json", &|v| v["proof"] = json!("zz".repeat(128)));
    let off_curve = mutate("offcurve.json", &|v| v["proof"] = json!(off_curve_a(&proof)));
    let non_subgroup = mutate("subgroup.json", &|v| {
        v["proof"] = json!(format!("{}{}{}", &proof[..64], non_subgroup_g2_hex(), &proof[192..]))
    });
    let unknown_field = mutate("unknown.json", &|v| v["extra"] = json!(1));

    let cases: Vec<(&str, PathBuf, &str)> = vec![
        ("malformed JSON", truncated, "malformed presentation"),
        ("public input >= r", non_canonical, "nullifier: not canonical"),
        ("proof of the wrong length", short, "expected 128 bytes, got 125"),
        ("proof not hex", not_hex, "not hexadecimal"),
        ("off-curve point", off_curve, "malformed proof point: A"),
        ("non-subgroup G2 point", non_subgroup, "malformed proof point: B"),
        ("unknown field", unknown_field, "unknown field `extra`"),
        ("missing file", d.join("nope.json"), "nope.json"),
    ];
    for (what, path, needle) in cases {
        let o = f.verify(&path, &f.challenge, &[]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {out}{err}");
        assert!(err.contains(needle), "{what}: expected {needle:?} in {err:?}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }

    // Arguments: a challenge >= r, a scope too long, a bad date.
    let o = f.verify(&f.path("pres.json"), r, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--challenge: not canonical"), "{:?}", text(&o));
    let o = run(&[
        "verify",
        "--keys",
        s(keys()),
        "--presentation",
        s(&f.path("pres.json")),
        "--policy",
        s(&f.path("policy.json")),
        "--challenge",
        &f.challenge,
        "--scope",
        &"x".repeat(40),
        "--roots-file",
        s(&f.roots_file),
        "--revocation-root",
        &f.revocation_root,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("1 to 31 bytes"), "{:?}", text(&o));

    // Issuing: negative, too wide, wrong type, unknown attribute, bad date; the tree is untouched.
    let issuer = d.join("issuer");
    let before = std::fs::read(issuer.join("tree.json")).unwrap();
    let bad_requests: Vec<(Value, &str)> = vec![
        (json!({"schema": "vaccination/v1", "attributes": {"dose_number": -1}}), "negative"),
        (
            {
                let mut v = vaccination("EU/1/20/1528", 2, "2026-09-01");
                v["attributes"]["dose_number"] = json!("18446744073709551616");
                v
            },
            "not an integer in 0..2^64",
        ),
        (
            {
                let mut v = vaccination("EU/1/20/1528", 2, "2026-09-01");
                v["attributes"]["date"] = json!("2026-02-30");
                v
            },
            "expected a date",
        ),
        (
            {
                let mut v = vaccination("EU/1/20/1528", 2, "2026-09-01");
                v["attributes"]["weight"] = json!(70);
                v
            },
            "no attribute \"weight\"",
        ),
        (
            {
                let mut v = vaccination("EU/1/20/1528", 2, "2026-09-01");
                v["attributes"]["product"] = json!(1528);
                v
            },
            "expected a product identifier",
        ),
        (json!({"schema": "lab/v9", "attributes": {}}), "unknown schema"),
        (json!([1, 2]), "malformed credential request"),
    ];
    for (i, (req, needle)) in bad_requests.into_iter().enumerate() {
        let p = write(d, &format!("bad{i}.json"), &req);
        let o = issue(&issuer, &p, s(&d.join("holder.json")), &d.join("x.pkg.json"), None);
        assert_eq!(o.status.code(), Some(2), "request {i}: {:?}", text(&o));
        assert!(text(&o).1.contains(needle), "request {i}: expected {needle:?} in {:?}", text(&o).1);
    }
    assert_eq!(std::fs::read(issuer.join("tree.json")).unwrap(), before, "a refused request must not touch the tree");

    // A holder commitment >= r, a policy naming an unknown attribute, usage errors.
    let o = issue(&issuer, &d.join("good.json"), r, &d.join("x.pkg.json"), None);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("holder: not canonical"));
    let bad_policy = write(
        d,
        "badpolicy.json",
        &json!({"name": "x", "schema": "vaccination/v1", "clauses": [{"slot": "weight", "op": "lt", "rhs": {"value": 3}}]}),
    );
    let o = run(&["policy", "hash", s(&bad_policy)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("no attribute \"weight\""), "{:?}", text(&o));
    assert_eq!(run(&["verify"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

fn off_curve_a(proof_hex: &str) -> String {
    // Change A's x coordinate until it is not on the curve.
    for k in 1..=255u8 {
        let mut bytes: Vec<u8> =
            (0..proof_hex.len()).step_by(2).map(|i| u8::from_str_radix(&proof_hex[i..i + 2], 16).unwrap()).collect();
        bytes[0] ^= k;
        let arr: [u8; 128] = bytes.clone().try_into().unwrap();
        if matches!(healthzk_verifier::decode_proof_bytes(&arr), Err(healthzk_verifier::Rejection::MalformedPoint(m)) if m.starts_with("A:"))
        {
            return bytes.iter().map(|b| format!("{b:02x}")).collect();
        }
    }
    panic!("no off-curve variant found");
}

fn non_subgroup_g2_hex() -> String {
    use ark_bn254::{Fq2, G2Affine};
    use ark_ff::UniformRand;
    use ark_serialize::CanonicalSerialize;
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    loop {
        if let Some(p) = G2Affine::get_point_from_x_unchecked(Fq2::rand(&mut rng), false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                let mut v = Vec::new();
                p.serialize_compressed(&mut v).unwrap();
                return v.iter().map(|b| format!("{b:02x}")).collect();
            }
        }
    }
}

/// The R1CS of `healthzk export r1cs` and the witness of `prove --witness-out` are iden3's
/// formats as snarkjs reads them: `snarkjs r1cs info` reports the circuit's sizes, `snarkjs
/// wtns check` finds the witness satisfies every constraint, and refuses it with one witness
/// value changed. The witness file is owner-only, and written only for a proved statement.
#[test]
fn r1cs_and_witness_are_read_by_snarkjs() {
    let f = Flow::new();
    let r1cs = f.path("q.r1cs");
    let o = run(&["export", "r1cs", "--statement", "credential-query", "--out", s(&r1cs)]);
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(0), "{err}");
    // "wrote …: credential-query at depth 20, N constraints, W wires (7 public inputs)"
    let num = |after: &str| -> u64 {
        let tail = &err[err.find(after).unwrap_or_else(|| panic!("{after:?} in {err}")) + after.len()..];
        tail.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    let (constraints, wires) = (num("depth 20, "), num("constraints, "));
    assert!(err.contains("(7 public inputs)"), "{err}");

    let (ok, out) = crate::snarkjs::snarkjs(f.dir.path(), &["r1cs", "info", "q.r1cs"]);
    assert!(ok, "{out}");
    for line in [
        "Curve: bn-128".to_string(),
        format!("# of Wires: {wires}"),
        format!("# of Constraints: {constraints}"),
        "# of Private Inputs: 0".into(),
        "# of Public Inputs: 7".into(),
        "# of Outputs: 0".into(),
    ] {
        assert!(out.contains(&line), "snarkjs r1cs info lacks {line:?}:\n{out}");
    }

    let o = f.prove_with("good.pkg.json", "pres.json", &["--witness-out", s(&f.path("w.wtns"))]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f.path("w.wtns")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the witness holds the record and the secret: owner-only");
    }
    let wtns = std::fs::read(f.path("w.wtns")).unwrap();
    assert_eq!(wtns.len() as u64, 12 + 12 + 40 + 12 + 32 * wires, "header, two sections, one value per wire");
    let (ok, out) = crate::snarkjs::snarkjs(f.dir.path(), &["wtns", "check", "q.r1cs", "w.wtns"]);
    assert!(ok && out.contains("WITNESS IS CORRECT"), "{out}");

    // A statement that does not hold (the last dose is too recent) proves nothing and writes
    // no witness.
    let o = f.prove_with("recent.pkg.json", "never.json", &["--witness-out", s(&f.path("never.wtns"))]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(!f.path("never.wtns").exists(), "a witness was written for a false statement");

    // One witness value changed (wire 8, the first after the constant and the 7 public
    // inputs; its low byte): a constraint fails.
    let mut bad = wtns.clone();
    bad[12 + 12 + 40 + 12 + 32 * 8] ^= 1;
    std::fs::write(f.path("bad.wtns"), &bad).unwrap();
    let (ok, out) = crate::snarkjs::snarkjs(f.dir.path(), &["wtns", "check", "q.r1cs", "bad.wtns"]);
    assert!(!ok && out.contains("WITNESS IS NOT CORRECT"), "a changed witness passed:\n{out}");

    // Bad arguments exit 2 naming the problem.
    for (args, needle) in [
        (vec!["--statement", "nope"], "unknown; one of credential-query, score-threshold"),
        (vec!["--statement", "score-threshold"], "needs --model"),
        (vec!["--statement", "credential-query", "--depth", "3"], "--depth 3"),
    ] {
        let mut a = vec!["export", "r1cs", "--out", s(&r1cs)];
        a.extend(args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {:?}", text(&o));
        assert!(text(&o).1.contains(needle), "{a:?}: {:?}", text(&o));
    }
}

/// `model import` reproduces the committed sample model and prints its hash; `model hash
/// --expect` accepts the registered hash and refuses another; malformed, too-wide and
/// unregistered models each exit 2 with a message naming the problem.
#[test]
fn model_import_and_registered_hash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lr.model.json");
    let export = root.join("models/diabetes-progression-lr.import.json");
    let o = run(&["model", "import", s(&export), "--out", s(&out)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let committed = root.join("models/diabetes-progression-lr.model.json");
    let a: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let b: Value = serde_json::from_slice(&std::fs::read(&committed).unwrap()).unwrap();
    assert_eq!(a, b, "import is deterministic and matches the committed model");
    let hash = err.lines().find_map(|l| l.strip_prefix("model hash ")).expect("prints the hash").to_string();
    let o = run(&["model", "hash", s(&committed), "--expect", &hash]);
    assert_eq!((o.status.code(), text(&o).0.trim()), (Some(0), hash.as_str()));

    let mut model: Value = b.clone();
    let mut cases: Vec<(&str, Value, Vec<String>, &str)> = vec![];
    cases.push(("malformed", json!({"format": "healthzk/model/v1", "name": 3}), vec![], "malformed JSON"));
    model["hidden"] = json!({"weights": vec![vec![0; 16]; 17], "bias": vec![0; 17], "shift": 0});
    cases.push(("too wide", model.clone(), vec![], "supports 1..=16"));
    let mut wide = b.clone();
    wide["output"]["weights"][2] = json!(40000);
    cases.push(("weight too wide", wide, vec![], "does not fit in 16 bits"));
    let mut moved = b.clone();
    moved["threshold"] = json!((moved["threshold"].as_str().unwrap().parse::<i128>().unwrap() + 1).to_string());
    cases.push(("not registered", moved, vec!["--expect".into(), hash.clone()], "does not match the registered"));
    for (what, v, extra, needle) in cases {
        let p = write(dir.path(), "m.json", &v);
        let mut args = vec!["model", "hash", s(&p)];
        args.extend(extra.iter().map(String::as_str));
        let o = run(&args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(needle), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
    let bad_export = write(
        dir.path(),
        "e.json",
        &json!({"name": "x", "schema": "lab_panel/v1", "kind": "svm",
        "inputs": ["age"], "coefs": [[[1.0]]], "intercepts": [[0.0]], "threshold": {"probability": 0.2, "direction": "below"}}),
    );
    let o = run(&["model", "import", s(&bad_export)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("expected logistic_regression or mlp"), "{}", text(&o).1);
}

/// The score statement through the CLI, as an insurer and a patient drive it: keys for the
/// sample LR (public weights) and the sample MLP's shape (private weights), a lab panel
/// issued by the hospital, a proof, and the insurer's verification against the registered
/// model hash. An ineligible panel cannot be proven; a wrong model hash is a rejection.
#[test]
fn score_threshold_through_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let holder = d.join("holder.json");
    assert_eq!(run(&["holder", "new", "--out", s(&holder)]).status.code(), Some(0));
    let panel = |age: u64, bmi: &str, bp: &str, ldl: &str, hdl: &str, tch: &str, ltg: &str| {
        json!({"schema": "lab_panel/v1", "issued": "2026-11-18", "attributes": {
            "age": age, "sex": 2, "bmi": bmi, "bp": bp, "tc": 128, "ldl": ldl, "hdl": hdl, "tch": tch,
            "ltg": ltg, "glucose": 84, "hba1c": "5.2", "creatinine": "0.90", "egfr": 95, "crp": "1.2",
            "systolic": 118, "diastolic": 76}})
    };
    let issuer = d.join("lab");
    for (name, p) in [
        ("low", panel(37, "21.4", "83", "69.6", "49", "3", "3.8501")),
        ("high", panel(36, "30", "95", "125.2", "42", "4.79", "5.1299")),
    ] {
        let req = write(d, &format!("{name}.json"), &p);
        let o = issue(&issuer, &req, s(&holder), &d.join(format!("{name}.pkg.json")), Some("2026-11-20"));
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    }
    let roots = d.join("roots.txt");
    std::fs::write(&roots, text(&run(&["issuer", "roots", "--issuer", s(&issuer)])).0).unwrap();
    let lab_revocation_root = revocation_root(&issuer);
    let revocations = issuer.join("revocations.json");
    let challenge = text(&run(&["challenge", "--context", "claims"])).0.trim().to_string();

    for (model, private) in [("diabetes-progression-lr", false), ("diabetes-progression-mlp", true)] {
        let model_file = root.join(format!("models/{model}.model.json"));
        let hash = text(&run(&["model", "hash", s(&model_file)])).0.trim().to_string();
        let keys = d.join(format!("keys-{model}"));
        let mut args = vec!["setup", "--dev", "--keys", s(&keys), "--model", s(&model_file)];
        if private {
            args.push("--private-weights");
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        assert!(text(&o).1.contains("FOR DEVELOPMENT ONLY"));
        let prove = |pkg: &str, out: &Path, extra: &[&str]| {
            let pkg = d.join(pkg);
            let mut args = vec![
                "prove",
                "--keys",
                s(&keys),
                "--holder",
                s(&holder),
                "--package",
                s(&pkg),
                "--revocations",
                s(&revocations),
                "--model",
                s(&model_file),
                "--challenge",
                &challenge,
                "--scope",
                "insurer:acme",
                "--as-of",
                "2026-11-20",
                "--out",
                s(out),
            ];
            args.extend(extra);
            run(&args)
        };
        let pres = d.join(format!("{model}.pres.json"));
        let wtns = d.join(format!("{model}.wtns"));
        let o = prove("low.pkg.json", &pres, &["--witness-out", s(&wtns)]);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        // The model's (or shape's) R1CS, and snarkjs finds the witness satisfies it.
        let r1cs = d.join(format!("{model}.r1cs"));
        let mut args = vec!["export", "r1cs", "--statement", "score-threshold", "--model", s(&model_file)];
        if private {
            args.push("--private-weights");
        }
        args.extend(["--out", s(&r1cs)]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        let (ok, out) = crate::snarkjs::snarkjs(d, &["wtns", "check", s(&r1cs), s(&wtns)]);
        assert!(ok && out.contains("WITNESS IS CORRECT"), "{model}: {out}");
        // `source` is `--presentation FILE` or `--qr STRING`.
        let verify = |source: [&str; 2], expect: &str| {
            run(&[
                "verify",
                "--keys",
                s(&keys),
                source[0],
                source[1],
                "--model-hash",
                expect,
                "--challenge",
                &challenge,
                "--scope",
                "insurer:acme",
                "--roots-file",
                s(&roots),
                "--revocation-root",
                &lab_revocation_root,
                "--today",
                "2026-11-20",
            ])
        };
        let file = ["--presentation", s(&pres)];
        let o = verify(file, &hash);
        assert_eq!(o.status.code(), Some(0), "{model}: {:?}", text(&o));
        assert!(text(&o).0.starts_with("ACCEPTED nullifier 0x"));
        let o = verify(file, "0x01");
        assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
        assert!(text(&o).1.contains("policy hash does not match"), "{:?}", text(&o));
        // Offline: the compact QR string, verified with the insurer's own hash and session.
        let qr = qr_string(&pres);
        let o = verify(["--qr", &qr], &hash);
        assert_eq!(o.status.code(), Some(0), "{model}: {:?}", text(&o));
        let o = prove("high.pkg.json", &d.join("high.pres.json"), &[]);
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o).1.contains("cannot prove: the score is not on the asserted side"), "{:?}", text(&o));
    }
    // A public-weight key refuses another model.
    let other = root.join("models/diabetes-progression-mlp.model.json");
    let o = run(&[
        "prove",
        "--keys",
        s(&d.join("keys-diabetes-progression-lr")),
        "--holder",
        s(&holder),
        "--package",
        s(&d.join("low.pkg.json")),
        "--revocations",
        s(&revocations),
        "--model",
        s(&other),
        "--challenge",
        &challenge,
        "--scope",
        "insurer:acme",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("these keys serve model"), "{:?}", text(&o));
}

/// The package of credential `index` refreshed to the issuer tree's current root.
fn refresh(f: &Flow, index: u64, from: &str, to: &str) -> String {
    let issuer = f.path("issuer");
    let mut pkg: Value = serde_json::from_slice(&std::fs::read(f.path(from)).unwrap()).unwrap();
    let path: Value =
        serde_json::from_str(&text(&run(&["issuer", "path", "--issuer", s(&issuer), "--index", &index.to_string()])).0)
            .unwrap();
    let root = text(&run(&["issuer", "root", "--issuer", s(&issuer)])).0.trim().to_string();
    pkg["path"] = path;
    pkg["issuer_root"] = json!(root);
    write(f.dir.path(), to, &pkg);
    root
}

/// Issues the holder a third credential (#2, which stays valid) and refreshes the packages of
/// #0 and #2 to the tree's current root (`fresh0.pkg.json`, `fresh2.pkg.json`); returns it.
fn third_credential(f: &Flow) -> String {
    let d = f.dir.path();
    let o = issue(
        &f.path("issuer"),
        &f.path("good.json"),
        s(&d.join("holder.json")),
        &d.join("good2.pkg.json"),
        Some("2026-11-20"),
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let root = refresh(f, 0, "good.pkg.json", "fresh0.pkg.json");
    refresh(f, 2, "good2.pkg.json", "fresh2.pkg.json");
    root
}

/// Record-level revocation (issue #6): the issuer revokes one credential and anchors the new
/// revocation root; the revoked credential cannot be proven any more; a presentation made
/// against the superseded list is refused as stale — offline and from the chain, unless the
/// verifier grants a grace period; a credential that is not revoked still proves.
#[test]
fn revocation_through_the_cli() {
    let f = Flow::new();
    let (issuer, chain) = (f.path("issuer"), f.path("chain"));
    // Both packages refreshed to the tree's current root, which is anchored with the (empty)
    // revocation list.
    let root = third_credential(&f);
    assert_eq!(run(&["chain", "init", "--chain", s(&chain)]).status.code(), Some(0));
    let address = text(&run(&["issuer", "address", "--issuer", s(&issuer)])).0.trim().to_string();
    assert_eq!(run(&["chain", "accredit", "--chain", s(&chain), "--issuer-address", &address]).status.code(), Some(0));
    let o = run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let r0 = f.revocation_root.clone();
    let o = f.prove("fresh0.pkg.json", "old.json");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    // The hospital revokes credential #0.
    let o = run(&["issuer", "revoke", "--issuer", s(&issuer), "--index", "0"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let r1 = text(&o).0.trim().to_string();
    assert_ne!(r1, r0);
    assert_eq!(revocation_root(&issuer), r1);
    let o = run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).0.contains(&format!("anchored revocation root {r1}")), "{:?}", text(&o));

    // Its holder can no longer prove it (exit 2, named; nothing written).
    let o = f.prove("fresh0.pkg.json", "never.json");
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("cannot prove: the credential is revoked"), "{:?}", text(&o));
    assert!(!f.path("never.json").exists());

    // A credential that is not revoked still proves, against the new list, and is accepted
    // offline and from the chain.
    let o = f.prove("fresh2.pkg.json", "new.json");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let (new, old) = (f.path("new.json"), f.path("old.json"));
    let o = f.verify_against(&new, &f.challenge, &[&root], &r1, &[]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let from_chain = ["--roots-from-chain", &address, "--chain", s(&chain)];
    let o = f.verify_against(&new, &f.challenge, &[], "0x01", &from_chain);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    // The presentation made before the revocation is stale: refused offline and from the chain.
    let o = f.verify_against(&old, &f.challenge, &[&root], &r1, &[]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(text(&o).1.contains("revocation root is not the issuer's current one"), "{:?}", text(&o));
    let o = f.verify_against(&old, &f.challenge, &[], "0x01", &from_chain);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(text(&o).1.contains("revocation root is not the issuer's current one"), "{:?}", text(&o));
    // … unless the verifier tolerates a list superseded within the last day.
    let mut graced = from_chain.to_vec();
    graced.extend(["--revocation-grace", "86400"]);
    let o = f.verify_against(&old, &f.challenge, &[], "0x01", &graced);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    // Bad input: exit 2, named, nothing changed.
    let list = std::fs::read(issuer.join("revocations.json")).unwrap();
    for (index, needle) in [("0", "already revoked"), ("99", "no credential #99")] {
        let o = run(&["issuer", "revoke", "--issuer", s(&issuer), "--index", index]);
        assert_eq!(o.status.code(), Some(2), "{index}: {:?}", text(&o));
        assert!(text(&o).1.contains(needle), "{index}: {:?}", text(&o));
    }
    assert_eq!(std::fs::read(issuer.join("revocations.json")).unwrap(), list);
    let mut altered: Value = serde_json::from_slice(&list).unwrap();
    altered["revoked"] = json!([]);
    write(&issuer, "revocations.json", &altered);
    let o = f.prove("fresh0.pkg.json", "never.json");
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("does not match the revoked nonces"), "{:?}", text(&o));
}

/// Offline trust bundles (issue #6): a verifier authority snapshots the registry and the
/// verifying key into a signed bundle; a gate with no chain and no keys directory verifies a
/// presentation (JSON or QR) from it; an altered, wrongly pinned, unpinned or expired bundle
/// is refused (exit 2, named); a bundle cut after a revocation refuses the stale presentation.
#[test]
fn offline_trust_bundle_through_the_cli() {
    let f = Flow::new();
    let (d, issuer, chain) = (f.dir.path(), f.path("issuer"), f.path("chain"));
    third_credential(&f);
    assert_eq!(run(&["chain", "init", "--chain", s(&chain)]).status.code(), Some(0));
    let address = text(&run(&["issuer", "address", "--issuer", s(&issuer)])).0.trim().to_string();
    let authority_key = f.path("authority.key");
    let authority = text(&run(&["chain", "address", "--key-file", s(&authority_key)])).0.trim().to_string();
    let bundle = f.path("bundle.json");
    let export = |valid_hours: &str, sign: bool| {
        let mut args = vec![
            "bundle",
            "export",
            "--chain",
            s(&chain),
            "--issuer-address",
            &address,
            "--keys",
            s(keys()),
            "--valid-hours",
            valid_hours,
            "--out",
            s(&bundle),
        ];
        if sign {
            args.extend(["--sign-key", s(&authority_key)]);
        }
        run(&args)
    };
    // Not accredited yet: the export refuses rather than bundle an issuer the chain does not trust.
    let o = export("24", true);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("is not accredited"), "{:?}", text(&o));
    assert_eq!(run(&["chain", "accredit", "--chain", s(&chain), "--issuer-address", &address]).status.code(), Some(0));
    assert_eq!(run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain)]).status.code(), Some(0));
    let o = export("24", true);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).1.contains(&format!("--bundle-signer {authority}")), "{:?}", text(&o));
    let o = f.prove("fresh0.pkg.json", "p0.json");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    // The gate: no chain directory, no keys directory — the bundle is all it has.
    let policy = f.path("policy.json");
    let offline = |source: [&str; 2], pin: &[&str]| {
        let mut args = vec![
            "verify",
            "--keys",
            "/nonexistent/keys",
            "--chain",
            "/nonexistent/chain",
            source[0],
            source[1],
            "--policy",
            s(&policy),
            "--challenge",
            &f.challenge,
            "--scope",
            "border:FR-CDG",
            "--today",
            "2026-11-21",
            "--bundle",
            s(&bundle),
        ];
        args.extend(pin);
        run(&args)
    };
    let p0 = f.path("p0.json");
    let signer = ["--bundle-signer", authority.as_str()];
    let o = offline(["--presentation", s(&p0)], &signer);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).0.starts_with("ACCEPTED"), "{:?}", text(&o));
    let qr = qr_string(&p0);
    let o = offline(["--qr", &qr], &signer);
    assert_eq!(o.status.code(), Some(0), "the QR string verifies offline too: {:?}", text(&o));

    // `bundle show` names the pin material; a hash pin works as well as the signer.
    let o = run(&["bundle", "show", "--bundle", s(&bundle)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let shown = text(&o).0;
    assert!(shown.contains(&format!("signed by {authority}")), "{shown}");
    assert!(shown.contains(&format!("issuer {address} roots 1 revocation root {}", f.revocation_root)), "{shown}");
    let digest = shown.lines().next().unwrap().strip_prefix("sha256 ").unwrap().to_string();
    let o = offline(["--presentation", s(&p0)], &["--bundle-sha256", &digest]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    // Bad bundles: exit 2, named — never verified around.
    let original: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let mut payload: Value = serde_json::from_str(original["payload"].as_str().unwrap()).unwrap();
    payload["expires_at"] = json!(payload["expires_at"].as_u64().unwrap() + 86_400 * 365);
    let mut altered = original.clone();
    altered["payload"] = json!(payload.to_string());
    let stranger = "0x000000000000000000000000000000000000dEaD";
    for (bundle_json, pin, needle) in [
        (&altered, signer.to_vec(), "or it was altered after signing"),
        (&altered, vec!["--bundle-sha256", digest.as_str()], "not the pinned"),
        (&original, vec!["--bundle-signer", stranger], "not by the pinned"),
        (&original, vec![], "--bundle needs a pin"),
        (&original, vec!["--bundle-sha256", "0x12"], "not 32 bytes of hex"),
    ] {
        write(d, "bundle.json", bundle_json);
        let o = offline(["--presentation", s(&p0)], &pin);
        assert_eq!(o.status.code(), Some(2), "{pin:?}: {:?}", text(&o));
        assert!(text(&o).1.contains(needle), "{pin:?}: {:?}", text(&o));
    }
    let o = export("0", true);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = offline(["--presentation", s(&p0)], &signer);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("expired"), "{:?}", text(&o));

    // The issuer revokes credential #0; a bundle cut afterwards refuses the stale presentation
    // and accepts one made against the new list.
    assert_eq!(run(&["issuer", "revoke", "--issuer", s(&issuer), "--index", "0"]).status.code(), Some(0));
    assert_eq!(run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain)]).status.code(), Some(0));
    let o = export("24", true);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = offline(["--presentation", s(&p0)], &signer);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(text(&o).1.contains("revocation root is not the issuer's current one"), "{:?}", text(&o));
    let o = f.prove("fresh2.pkg.json", "p2.json");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = offline(["--presentation", s(&f.path("p2.json"))], &signer);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    // A presentation under a key the bundle does not carry is refused by name.
    let mut foreign: Value = serde_json::from_slice(&std::fs::read(f.path("p2.json")).unwrap()).unwrap();
    foreign["key_id"] = json!("ab".repeat(32));
    let foreign = write(d, "foreign.json", &foreign);
    let o = offline(["--presentation", s(&foreign)], &signer);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(text(&o).1.contains("is not in the trust bundle"), "{:?}", text(&o));
    // …and a key id that is not one at all is bad input.
    let mut garbage: Value = serde_json::from_slice(&std::fs::read(f.path("p2.json")).unwrap()).unwrap();
    garbage["key_id"] = json!("zz");
    let garbage = write(d, "garbage.json", &garbage);
    let o = offline(["--presentation", s(&garbage)], &signer);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("key_id \"zz\": not 32 bytes of hex"), "{:?}", text(&o));
}

/// Chain anchoring through the CLI on the embedded chain: `chain init`, an unaccredited
/// issuer refused, `chain accredit`, `anchor`, `roots`, `verify --roots-from-chain`, then a
/// revoked root refused; `export-verifier` writes a contract for the key.
#[test]
fn anchor_and_verify_against_the_chain_through_the_cli() {
    let f = Flow::new();
    let chain = f.path("chain");
    let issuer = f.path("issuer");
    let o = run(&["chain", "init", "--chain", s(&chain)]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.starts_with("registry 0x") && out.contains("on chain 1337"), "{out}");
    let o = run(&["chain", "init", "--chain", s(&chain)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("already holds a chain"), "{:?}", text(&o));

    // Not accredited yet: refused, with the way out named.
    let o = run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("not an accredited issuer"), "{:?}", text(&o));
    let address = text(&run(&["issuer", "address", "--issuer", s(&issuer)])).0.trim().to_string();
    assert!(address.starts_with("0x") && address.len() == 42, "{address}");
    let o = run(&["chain", "accredit", "--chain", s(&chain), "--issuer-address", &address]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let root = text(&run(&["issuer", "root", "--issuer", s(&issuer)])).0.trim().to_string();
    assert_eq!(text(&o).0.trim(), format!("anchored {root}\nanchored revocation root {}", f.revocation_root));
    let o = run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).0.contains("already anchored"), "{:?}", text(&o));
    assert!(text(&o).0.contains("is already current"), "{:?}", text(&o));
    let o = run(&["roots", "--issuer-address", &address, "--chain", s(&chain)]);
    let (out, _) = text(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with(&root) && out.trim_end().ends_with("accepted"), "{out}");

    // The holder refreshes the package to the anchored root (a fresh path), proves, and the
    // verifier takes its roots from the chain.
    let mut pkg: Value = serde_json::from_slice(&std::fs::read(f.path("good.pkg.json")).unwrap()).unwrap();
    let path: Value =
        serde_json::from_str(&text(&run(&["issuer", "path", "--issuer", s(&issuer), "--index", "0"])).0).unwrap();
    pkg["path"] = path;
    pkg["issuer_root"] = json!(root);
    write(f.dir.path(), "fresh.pkg.json", &pkg);
    let o = f.prove("fresh.pkg.json", "anchored.json");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let (presentation, policy) = (f.path("anchored.json"), f.path("policy.json"));
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--keys",
            s(keys()),
            "--presentation",
            s(&presentation),
            "--policy",
            s(&policy),
            "--challenge",
            &f.challenge,
            "--scope",
            "border:FR-CDG",
            "--today",
            "2026-11-21",
            "--chain",
            s(&chain),
        ];
        args.extend(extra);
        run(&args)
    };
    let o = verify(&["--roots-from-chain", &address]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).0.starts_with("ACCEPTED"), "{:?}", text(&o));
    // Verifiers without chain access still work from a roots file.
    let o = f.verify(&f.path("anchored.json"), &f.challenge, &[]);
    assert_eq!(o.status.code(), Some(0), "a roots file still works: {:?}", text(&o));

    // Revoked: refused by the verifier that reads the chain.
    let o = run(&["anchor", "--issuer", s(&issuer), "--chain", s(&chain), "--revoke", &root]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = verify(&["--roots-from-chain", &address]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(text(&o).0.starts_with("REJECTED"));
    assert!(text(&o).1.contains("does not accept this root"), "{:?}", text(&o));
    assert!(text(&o).1.contains("issuer root is not an accepted anchored root"), "{:?}", text(&o));
    let o = run(&["roots", "--issuer-address", &address, "--chain", s(&chain)]);
    let (out, _) = text(&o);
    assert!(out.starts_with(&root) && out.contains(" revoked 20"), "{out}");

    // Bad chain inputs: exit 2, named.
    for (args, needle) in [
        (vec!["roots", "--issuer-address", "0x12", "--chain", s(&chain)], "not a 0x-prefixed 20-byte address"),
        (vec!["roots", "--issuer", s(&f.path("typo")), "--chain", s(&chain)], "has no chain key"),
        (
            vec![
                "chain",
                "accredit",
                "--chain",
                s(&chain),
                "--issuer-address",
                &address,
                "--key-file",
                "/nonexistent.key",
            ],
            "/nonexistent.key",
        ),
        (vec!["roots", "--issuer-address", &address, "--chain", s(&f.path("nochain"))], "healthzk chain init"),
        (vec!["roots", "--issuer-address", &address, "--rpc-url", "ftp://x"], "only http(s)"),
        (vec!["anchor", "--issuer", s(&issuer), "--chain", s(&chain), "--revoke", "0x99"], "UnknownRoot"),
        (
            vec!["chain", "deploy-verifier", "--chain", s(&chain), "--keys", s(keys()), "--statement", "x"],
            "--statement",
        ),
        (vec!["setup", "--keys", s(&f.path("nokeys"))], "Pass --dev to make development keys"),
        (vec!["ceremony", "dev-ptau", "--power", "4", "--out", s(&f.path("x.ptau"))], "pass --dev"),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {:?}", text(&o));
        assert!(text(&o).1.contains(needle), "{args:?}: {:?}", text(&o));
    }
    assert!(!f.path("typo").exists(), "a lookup never creates an issuer directory");

    // A model publisher registers a model hash.
    let publisher_key = f.path("publisher.key");
    let publisher = text(&run(&["chain", "address", "--key-file", s(&publisher_key)])).0.trim().to_string();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/diabetes-progression-lr.model.json");
    let register = ["model", "register", "--model", s(&model), "--chain", s(&chain), "--key-file", s(&publisher_key)];
    let o = run(&register);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("not an accredited model publisher"), "{:?}", text(&o));
    let o = run(&["chain", "accredit-publisher", "--chain", s(&chain), "--address", &publisher]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = run(&register);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(text(&o).0.starts_with("registered 0x"), "{:?}", text(&o));

    // A verifier contract for the key, deployed and exported.
    let o = run(&["chain", "deploy-verifier", "--chain", s(&chain), "--keys", s(keys())]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let deployments: Value = serde_json::from_slice(&std::fs::read(chain.join("deployments.json")).unwrap()).unwrap();
    assert_eq!(deployments["chains"]["1337"]["verifiers"].as_object().unwrap().len(), 1);
    let sol = f.path("verifier.sol");
    let o = run(&["export-verifier", "--keys", s(keys()), "--out", s(&sol)]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let source = std::fs::read_to_string(&sol).unwrap();
    assert!(source.contains("contract HealthzkCredentialQueryVerifier is Groth16Verifier"));
}
