//! The HTTP service, driven as its users drive it: a real `healthzk serve` process, real HTTP
//! over TCP. The whole flow (FHIR in → anchored → proved → verified → replay refused), a table
//! of bad inputs, `kill -9` during issuance, and the logs of a full flow searched for secrets.

use serde_json::{json, Value};
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_healthzk");
pub(crate) const ADMIN: &str = "test-admin-token-0123456789";

/// Query keys generated once per test binary (the servers share them).
pub(crate) fn keys() -> &'static Path {
    static K: OnceLock<tempfile::TempDir> = OnceLock::new();
    K.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new(BIN).args(["setup", "--dev", "--keys", dir.path().to_str().unwrap()]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        dir
    })
    .path()
}

pub(crate) struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Server {
    pub(crate) fn start(data: &Path, extra: &[&str]) -> Server {
        let log = data.with_extension("log");
        let err = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--data-dir", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .args(["--keys", keys().to_str().unwrap(), "--dev"])
            .args(extra)
            .env("HEALTHZK_ADMIN_TOKEN", ADMIN)
            .env_remove("HEALTHZK_LOG")
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("no address: {line:?}; log: {}", std::fs::read_to_string(&log).unwrap()))
            .to_string();
        Server { child, addr, log }
    }

    /// SIGTERM, and the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap()
    }
}

/// A running service, in its own process or in this one: what the helpers below talk to.
pub(crate) trait Api {
    fn addr(&self) -> &str;

    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
        http(self.addr(), method, path, token, bytes.as_deref(), "application/json")
    }

    fn ok(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>, want: u16) -> Value {
        let r = self.call(method, path, token, body);
        assert_eq!(r.status, want, "{method} {path}: {}", r.text());
        r.json()
    }
}

impl Api for Server {
    fn addr(&self) -> &str {
        &self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client over a real TCP connection (one request per connection).
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    ctype: &str,
) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req += &format!("Authorization: Bearer {t}\r\n");
    }
    if let Some(b) = body {
        req += &format!("Content-Type: {ctype}\r\nContent-Length: {}\r\n", b.len());
    }
    req += "\r\n";
    s.write_all(req.as_bytes()).unwrap();
    if let Some(b) = body {
        // The server may answer (413) before reading a huge body; a broken pipe is fine then.
        let _ = s.write_all(b);
    }
    let mut raw = vec![];
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        let mut out = vec![];
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp { status, headers, body }
}

pub(crate) fn cli(args: &[&str]) -> String {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

pub(crate) fn day(offset: i64) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let d = secs / 86_400 + offset;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = d + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let dd = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{dd:02}")
}

pub(crate) const PATIENT: &str = "Patient/mrn-4711-0815";

pub(crate) fn immunization(date: &str) -> Value {
    json!({
        "resourceType": "Immunization",
        "status": "completed",
        "patient": {"reference": PATIENT},
        "vaccineCode": {"coding": [
            {"system": "http://snomed.info/sct", "code": "1119349007"},
            {"system": "https://ec.europa.eu/health/documents/community-register/html/", "code": "EU/1/20/1528"}
        ]},
        "manufacturer": {"identifier": {"system": "https://spor.ema.europa.eu/v1/organisations", "value": "ORG-100030215"}},
        "occurrenceDateTime": format!("{date}T09:15:00+01:00"),
        "protocolApplied": [{
            "targetDisease": [{"coding": [{"system": "http://snomed.info/sct", "code": "840539006"}]}],
            "doseNumberPositiveInt": 2,
            "seriesDosesPositiveInt": 2
        }]
    })
}

/// A lab bundle the sample logistic model scores below its threshold (a held-out case of
/// the diabetes study: logit −2.58).
pub(crate) fn lab_bundle() -> Value {
    let obs: &[(&str, &str, f64)] = &[
        ("30525-0", "a", 37.0),
        ("39156-5", "kg/m2", 21.4),
        ("8478-0", "mm[Hg]", 83.0),
        ("2093-3", "mg/dL", 128.0),
        ("2089-1", "mg/dL", 69.6),
        ("2085-9", "mg/dL", 49.0),
        ("9830-1", "{ratio}", 3.0),
        ("2571-8", "mg/dL", 47.0),
        ("1558-6", "mg/dL", 84.0),
        ("4548-4", "%", 5.1),
        ("2160-0", "mg/dL", 0.82),
        ("62238-1", "mL/min/{1.73_m2}", 104.0),
        ("1988-5", "mg/L", 0.9),
        ("8480-6", "mm[Hg]", 117.0),
        ("8462-4", "mm[Hg]", 76.0),
    ];
    let mut entry: Vec<Value> = obs
        .iter()
        .map(|(code, unit, v)| {
            json!({"resource": {"resourceType": "Observation", "status": "final", "subject": {"reference": PATIENT},
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "valueQuantity": {"value": v, "system": "http://unitsofmeasure.org", "code": unit}}})
        })
        .collect();
    entry.push(json!({"resource": {"resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "46098-0"}]}, "valueInteger": 2}}));
    json!({"resourceType": "Bundle", "type": "collection", "entry": entry})
}

pub(crate) struct Holder {
    pub(crate) file: PathBuf,
    pub(crate) secret: String,
    pub(crate) commitment: String,
    pub(crate) key: String,
}

pub(crate) fn holder(dir: &Path, name: &str) -> Holder {
    let file = dir.join(name);
    let commitment = cli(&["holder", "new", "--out", file.to_str().unwrap()]);
    let key = cli(&["holder", "public-key", "--holder", file.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    Holder { secret: v["secret"].as_str().unwrap().to_string(), file, commitment, key }
}

/// Fetches a blob and opens it with the holder's CLI; the package JSON.
pub(crate) fn open_package(s: &impl Api, h: &Holder, dir: &Path, blob_id: &str) -> Value {
    let r = s.call("GET", &format!("/v1/blobs/{blob_id}"), None, None);
    assert_eq!(r.status, 200);
    let blob = dir.join(format!("{blob_id}.bin"));
    std::fs::write(&blob, &r.body).unwrap();
    let out = dir.join(format!("{blob_id}.json"));
    cli(&[
        "holder",
        "open",
        "--holder",
        h.file.to_str().unwrap(),
        "--blob",
        blob.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

pub(crate) fn new_issuer(s: &impl Api, name: &str) -> (String, String) {
    let v = s.ok("POST", "/v1/issuers", Some(ADMIN), Some(&json!({"name": name, "country": "DE"})), 201);
    (v["id"].as_str().unwrap().to_string(), v["token"].as_str().unwrap().to_string())
}

pub(crate) fn issue(s: &impl Api, issuer: &str, token: &str, h: &Holder, resource: Value) -> Value {
    s.ok(
        "POST",
        &format!("/v1/issuers/{issuer}/credentials"),
        Some(token),
        Some(&json!({"resource": resource, "holder": h.commitment, "holder_key": h.key})),
        201,
    )
}

pub(crate) fn wait_job(s: &impl Api, id: &str) -> Value {
    let t = Instant::now();
    loop {
        let v = s.ok("GET", &format!("/v1/jobs/{id}"), None, None, 200);
        if v["status"] == "done" || v["status"] == "failed" {
            return v;
        }
        assert!(t.elapsed() < Duration::from_secs(300), "job {id} did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn whole_flow_over_tcp_fhir_to_verdict_with_replays_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Anchoring by count: every second credential.
    let s = Server::start(&dir.path().join("data"), &["--anchor-every", "2", "--anchor-interval", "0"]);
    assert_eq!(s.ok("GET", "/healthz", None, None, 200)["status"], "ok");
    let (issuer, token) = new_issuer(&s, "Klinikum Nord");
    let alice = holder(dir.path(), "alice.json");

    // FHIR in: an Immunization and a lab Bundle.
    let vax = issue(&s, &issuer, &token, &alice, immunization(&day(-30)));
    assert_eq!(vax["index"], 0);
    assert_eq!(vax["anchored"], false);
    let path0 = format!("/v1/issuers/{issuer}/credentials/0/path");
    let r = s.call("GET", &path0, None, None);
    assert_eq!(r.status, 404, "not anchored before the second credential: {}", r.text());
    let lab = issue(&s, &issuer, &token, &alice, lab_bundle());
    assert_eq!(lab["index"], 1);
    // The scheduler anchors once two credentials are pending.
    let t = Instant::now();
    let anchored = loop {
        let r = s.call("GET", &path0, None, None);
        if r.status == 200 {
            break r.json();
        }
        assert!(t.elapsed() < Duration::from_secs(20), "not anchored by the schedule: {}", r.text());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(anchored["issuer_root"], lab["issuer_root"]);
    // Explicit anchoring has nothing left to do.
    let a = s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    assert_eq!(a["already_anchored"], true);

    // The holder opens its packages; nobody else can.
    let pkg = open_package(&s, &alice, dir.path(), vax["blob_id"].as_str().unwrap());
    assert_eq!(pkg["credential"]["holder"], json!(alice.commitment));
    let lab_pkg = open_package(&s, &alice, dir.path(), lab["blob_id"].as_str().unwrap());
    let mallory = holder(dir.path(), "mallory.json");
    let blob = dir.path().join(format!("{}.bin", vax["blob_id"].as_str().unwrap()));
    let o = Command::new(BIN)
        .args(["holder", "open", "--holder", mallory.file.to_str().unwrap(), "--blob", blob.to_str().unwrap()])
        .args(["--out", dir.path().join("stolen.json").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not for this holder"));

    // A border check: the COVID-19 preset, registered; a challenge; a proof; a verdict.
    let policy: Value = serde_json::from_str(&cli(&["policy", "preset", "covid19"])).unwrap();
    let ph = s.ok("POST", "/v1/policies", Some(ADMIN), Some(&policy), 201)["hash"].as_str().unwrap().to_string();
    let challenge = |scope: &str| {
        s.ok("POST", "/v1/challenges", None, Some(&json!({"policy_hash": ph, "scope": scope})), 201)["challenge"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let c1 = challenge("border-gate-7");
    let req = |c: &str, scope: &str| json!({"holder_secret": alice.secret, "package": pkg, "policy_hash": ph, "challenge": c, "scope": scope});
    let pres = s.ok("POST", "/v1/proofs", None, Some(&req(&c1, "border-gate-7")), 200);
    let v = s.ok("POST", "/v1/verify", None, Some(&json!({"presentation": pres})), 200);
    assert_eq!(v["accepted"], true, "{v}");
    let nullifier = v["nullifier"].as_str().unwrap().to_string();

    // Replay: the same presentation again is refused (the challenge was used).
    let v = s.ok("POST", "/v1/verify", None, Some(&json!({"presentation": pres})), 200);
    assert_eq!(v["accepted"], false);
    assert!(v["reason"].as_str().unwrap().contains("challenge already used"), "{v}");

    // A fresh challenge in the same scope, proved as an async job: the holder's nullifier was
    // recorded, so the second presentation in this scope is refused.
    let c2 = challenge("border-gate-7");
    let job = s.ok("POST", "/v1/jobs", None, Some(&req(&c2, "border-gate-7")), 202);
    let done = wait_job(&s, job["job"].as_str().unwrap());
    assert_eq!(done["status"], "done", "{done}");
    let v = s.ok("POST", "/v1/verify", None, Some(&json!({"presentation": done["presentation"]})), 200);
    assert_eq!(v["accepted"], false);
    assert!(v["reason"].as_str().unwrap().contains("already presented in scope"), "{v}");

    // Another scope: a different nullifier, accepted.
    let c3 = challenge("airline-checkin");
    let pres3 = s.ok("POST", "/v1/proofs", None, Some(&req(&c3, "airline-checkin")), 200);
    let v = s.ok("POST", "/v1/verify", None, Some(&json!({"presentation": pres3})), 200);
    assert_eq!(v["accepted"], true, "{v}");
    assert_ne!(v["nullifier"].as_str().unwrap(), nullifier, "nullifiers are unlinkable across scopes");

    // A presentation answering someone else's challenge terms is refused with the reason.
    let c4 = challenge("border-gate-7");
    let mut wrong = s.ok("POST", "/v1/proofs", None, Some(&req(&c4, "border-gate-7")), 200);
    wrong["public"]["as_of"] = json!(day(-1));
    let v = s.ok("POST", "/v1/verify", None, Some(&json!({"presentation": wrong})), 200);
    assert_eq!(v["accepted"], false);
    assert!(v["reason"].as_str().unwrap().contains("invalid proof"), "{v}");

    // The insurer: a registered model, a batch of proof jobs, batch verification.
    let model: Value =
        serde_json::from_slice(&std::fs::read("models/diabetes-progression-lr.model.json").unwrap()).unwrap();
    let m = s.ok("POST", "/v1/models", Some(ADMIN), Some(&model), 201);
    let mh = m["hash"].as_str().unwrap().to_string();
    assert_eq!(s.ok("GET", &format!("/v1/models/{mh}"), None, None, 200)["name"], "diabetes-progression-lr");
    let sc = |scope: &str| {
        s.ok("POST", "/v1/challenges", None, Some(&json!({"model_hash": mh, "scope": scope})), 201)["challenge"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (k1, k2) = (sc("insurer-claims"), sc("insurer-renewal"));
    let sreq = |c: &str, scope: &str| json!({"holder_secret": alice.secret, "package": lab_pkg, "model_hash": mh, "challenge": c, "scope": scope});
    let jobs = s.ok(
        "POST",
        "/v1/jobs/batch",
        None,
        Some(&json!({"jobs": [sreq(&k1, "insurer-claims"), sreq(&k2, "insurer-renewal")]})),
        202,
    );
    let ids: Vec<String> = jobs["jobs"].as_array().unwrap().iter().map(|j| j.as_str().unwrap().to_string()).collect();
    let mut batch: Vec<Value> = ids.iter().map(|id| wait_job(&s, id)).map(|j| j["presentation"].clone()).collect();
    assert!(batch.iter().all(|p| p["statement"] == "score-threshold"), "{batch:?}");
    // A third, tampered: its proof fails inside the batch and is named.
    let mut bad = batch[0].clone();
    bad["public"]["as_of"] = json!(day(-1));
    batch.push(bad);
    let v = s.ok("POST", "/v1/verify/batch", None, Some(&json!({"presentations": batch})), 200);
    let verdicts = v["verdicts"].as_array().unwrap();
    assert_eq!(verdicts[0]["accepted"], true, "{v}");
    assert_eq!(verdicts[1]["accepted"], true, "{v}");
    assert_eq!(verdicts[2]["accepted"], false, "{v}");
    assert_eq!(verdicts[2]["reason"], "invalid proof", "{v}");

    // The credential is revoked: proving against the list now refuses.
    let r = s.ok("POST", &format!("/v1/issuers/{issuer}/credentials/0/revoke"), Some(&token), None, 200);
    assert!(r["revocation_root"].as_str().unwrap().starts_with("0x"));
    let c5 = challenge("border-gate-9");
    let r = s.call("POST", "/v1/proofs", None, Some(&req(&c5, "border-gate-9")));
    assert_eq!(r.status, 422);
    assert!(r.text().contains("revoked"), "{}", r.text());

    // Metrics and the OpenAPI document are served; the document lists every route.
    let metrics = s.call("GET", "/metrics", None, None).text();
    assert!(metrics.contains("healthzk_verifications_total{outcome=\"accepted\"} 4"), "{metrics}");
    assert!(
        metrics.contains("healthzk_proof_jobs_total{statement=\"score-threshold\",outcome=\"done\"} 2"),
        "{metrics}"
    );
    let doc = s.ok("GET", "/openapi.json", None, None, 200);
    for (method, path) in healthzk_service::routes() {
        assert!(doc["paths"][path][method.to_lowercase()].is_object(), "{method} {path} is not documented");
    }

    // Graceful stop; then the whole log is searched for what must never be there.
    let log = s.log.clone();
    assert!(s.stop().success());
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("healthzk service stopped"), "{log}");
    assert!(log.contains("route=/v1/verify"), "requests are logged: {log}");
    let mut secrets = vec![
        alice.secret.clone(),
        alice.secret.trim_start_matches("0x").to_string(),
        alice.commitment.clone(),
        alice.commitment.trim_start_matches("0x").to_string(),
        alice.key.clone(),
        token.clone(),
        ADMIN.to_string(),
        PATIENT.to_string(),
        "mrn-4711".into(),
        "EU/1/20/1528".into(),
        day(-30),
        nullifier.clone(),
    ];
    secrets.push(pkg["credential"]["salt"].as_str().unwrap().to_string());
    for s in secrets {
        assert!(!log.contains(&s), "the log holds {s:?}");
    }
}

#[test]
fn bad_inputs_get_a_4xx_naming_the_problem_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        &dir.path().join("data"),
        &["--max-queue", "1", "--verify-rate-limit", "20", "--body-limit", "65536"],
    );
    let (issuer, token) = new_issuer(&s, "Hospital A");
    let (other, other_token) = new_issuer(&s, "Hospital B");
    let alice = holder(dir.path(), "alice.json");
    let cred = format!("/v1/issuers/{issuer}/credentials");
    let good = |resource: Value| json!({"resource": resource, "holder": alice.commitment, "holder_key": alice.key});
    let mut no_date = immunization(&day(-30));
    no_date.as_object_mut().unwrap().remove("occurrenceDateTime");
    let mut partial_lab = lab_bundle();
    partial_lab["entry"].as_array_mut().unwrap().remove(0);
    let huge = json!({"resource": "x".repeat(100_000), "holder": "0x1", "holder_key": "00"});
    let r_ok = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"; // r itself

    type Case<'a> = (&'a str, &'a str, String, Option<&'a str>, Option<Value>, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("malformed JSON", "POST", cred.clone(), Some(&token), None, 400, "parse"),
        ("wrong type", "POST", "/v1/issuers".into(), Some(ADMIN), Some(json!({"name": 5})), 400, "name: invalid type"),
        (
            "unknown field",
            "POST",
            "/v1/issuers".into(),
            Some(ADMIN),
            Some(json!({"name": "x", "nmae": 1})),
            400,
            "unknown field `nmae`",
        ),
        (
            "FHIR: element missing",
            "POST",
            cred.clone(),
            Some(&token),
            Some(good(no_date)),
            422,
            "Immunization.occurrenceDateTime",
        ),
        (
            "FHIR: unsupported resource",
            "POST",
            cred.clone(),
            Some(&token),
            Some(good(json!({"resourceType": "Patient"}))),
            422,
            "\\\"Patient\\\" is not supported",
        ),
        (
            "FHIR: observations missing",
            "POST",
            cred.clone(),
            Some(&token),
            Some(good(partial_lab)),
            422,
            "missing observations: 30525-0 (age)",
        ),
        (
            "FHIR: not an object",
            "POST",
            cred.clone(),
            Some(&token),
            Some(good(json!([1, 2]))),
            422,
            "resource: expected a JSON object",
        ),
        (
            "non-canonical holder",
            "POST",
            cred.clone(),
            Some(&token),
            Some(json!({"resource": immunization(&day(-3)), "holder": r_ok, "holder_key": alice.key})),
            422,
            "holder",
        ),
        (
            "bad holder key",
            "POST",
            cred.clone(),
            Some(&token),
            Some(json!({"resource": immunization(&day(-3)), "holder": alice.commitment, "holder_key": "abcd"})),
            422,
            "holder_key",
        ),
        ("huge body", "POST", cred.clone(), Some(&token), Some(huge), 413, "too large"),
        ("no token", "POST", cred.clone(), None, Some(good(immunization(&day(-3)))), 401, "missing Authorization"),
        (
            "bad token",
            "POST",
            cred.clone(),
            Some("hzki_nope"),
            Some(good(immunization(&day(-3)))),
            401,
            "unknown issuer token",
        ),
        (
            "another issuer's token",
            "POST",
            cred.clone(),
            Some(&other_token),
            Some(good(immunization(&day(-3)))),
            403,
            "belongs to another issuer",
        ),
        (
            "issuer token on an admin route",
            "POST",
            "/v1/issuers".into(),
            Some(&token),
            Some(json!({"name": "x"})),
            401,
            "not the admin token",
        ),
        (
            "unknown issuer",
            "POST",
            "/v1/issuers/iss_nope/credentials".into(),
            Some(&token),
            Some(good(immunization(&day(-3)))),
            404,
            "unknown issuer",
        ),
        ("unknown job", "GET", "/v1/jobs/job_nope".into(), None, None, 404, "no job"),
        ("malformed blob id", "GET", "/v1/blobs/xyz".into(), None, None, 400, "64 lowercase hex"),
        ("unknown blob", "GET", format!("/v1/blobs/{}", "ab".repeat(32)), None, None, 404, "no blob"),
        (
            "path index not a number",
            "GET",
            format!("/v1/issuers/{issuer}/credentials/first/path"),
            None,
            None,
            400,
            "expected a credential number",
        ),
        (
            "path of no credential",
            "GET",
            format!("/v1/issuers/{issuer}/credentials/99/path"),
            None,
            None,
            404,
            "no anchored credential #99",
        ),
        ("anchor an empty tree", "POST", format!("/v1/issuers/{other}/anchor"), Some(&other_token), None, 409, "empty"),
        (
            "scope too long",
            "POST",
            "/v1/challenges".into(),
            None,
            Some(json!({"policy_hash": "0x01", "scope": "s".repeat(40)})),
            422,
            "scope",
        ),
        (
            "unknown policy",
            "POST",
            "/v1/challenges".into(),
            None,
            Some(json!({"policy_hash": "0x01", "scope": "gate"})),
            404,
            "unknown policy",
        ),
        ("unknown model", "GET", "/v1/models/0x05".into(), None, None, 404, "unknown model"),
        ("non-canonical model hash", "GET", format!("/v1/models/{r_ok}"), None, None, 400, "hash"),
        (
            "prove: bad secret",
            "POST",
            "/v1/proofs".into(),
            None,
            Some(json!({"holder_secret": "0xzz", "package": {}, "challenge": "0x1", "scope": "g"})),
            422,
            "package",
        ),
        (
            "verify: not a presentation",
            "POST",
            "/v1/verify".into(),
            None,
            Some(json!({"presentation": {"format": 1}})),
            400,
            "presentation",
        ),
        ("no such route", "GET", "/v2/anything".into(), None, None, 404, "no such route"),
    ];
    for (what, method, path, tok, body, want, msg) in &cases {
        let r = match (what, body) {
            (&"malformed JSON", _) => http(&s.addr, method, path, *tok, Some(b"{\"resource\": "), "application/json"),
            (_, Some(b)) => s.call(method, path, *tok, Some(b)),
            (_, None) => s.call(method, path, *tok, None),
        };
        assert_eq!(r.status, *want, "{what}: {}", r.text());
        assert!(r.text().contains(msg), "{what}: {:?} does not name {msg:?}", r.text());
        assert!(r.json()["error"].is_string(), "{what}: errors are JSON");
    }
    let r = http(&s.addr, "POST", "/v1/issuers", Some(ADMIN), Some(b"{\"name\":\"x\"}"), "text/plain");
    assert_eq!(r.status, 415, "wrong content type: {}", r.text());

    // A credential to prove with, then the queue bound (1): a second proof while one runs is
    // answered 503 with Retry-After.
    issue(&s, &issuer, &token, &alice, immunization(&day(-30)));
    s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    let blob = issue(&s, &issuer, &token, &alice, immunization(&day(-20)))["blob_id"].as_str().unwrap().to_string();
    s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    let pkg = open_package(&s, &alice, dir.path(), &blob);
    let policy: Value = serde_json::from_str(&cli(&["policy", "preset", "covid19"])).unwrap();
    let prove =
        json!({"holder_secret": alice.secret, "package": pkg, "policy": policy, "challenge": "0x01", "scope": "gate"});
    let addr = s.addr.clone();
    let body = serde_json::to_vec(&prove).unwrap();
    let first = std::thread::spawn(move || http(&addr, "POST", "/v1/proofs", None, Some(&body), "application/json"));
    std::thread::sleep(Duration::from_millis(300));
    let r = s.call("POST", "/v1/proofs", None, Some(&prove));
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("2"));
    assert!(r.text().contains("queue is full"));
    assert_eq!(first.join().unwrap().status, 200);
    // A false statement is refused by name (this credential is another holder's to prove).
    let mut stranger = prove.clone();
    stranger["holder_secret"] = json!(holder(dir.path(), "bob.json").secret);
    let r = s.call("POST", "/v1/proofs", None, Some(&stranger));
    assert_eq!(r.status, 422);
    assert!(r.text().contains("not the secret of the package's holder"), "{}", r.text());

    // The verifier routes are rate limited per client: 429 with Retry-After.
    let limited = (0..60)
        .map(|_| s.call("POST", "/v1/challenges", None, Some(&json!({"policy": policy, "scope": "gate"}))))
        .find(|r| r.status == 429)
        .expect("the rate limit answers 429");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert!(limited.text().contains("rate limit"));

    // Still serving.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(s.ok("GET", "/healthz", None, None, 200)["status"], "ok");
    s.ok("POST", "/v1/challenges", None, Some(&json!({"policy": policy, "scope": "gate"})), 201);
}

#[test]
fn kill_9_during_issuance_loses_no_acknowledged_credential_or_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data, &["--anchor-every", "1000", "--anchor-interval", "0"]);
    let (issuer, token) = new_issuer(&s, "Hospital K");
    let alice = holder(dir.path(), "alice.json");
    let addr = s.addr.clone();
    let body = serde_json::to_vec(
        &json!({"resource": immunization(&day(-30)), "holder": alice.commitment, "holder_key": alice.key}),
    )
    .unwrap();
    let (iss, tok) = (issuer.clone(), token.clone());
    // A client issuing as fast as it can, anchoring every fifth; it records what was acknowledged.
    let worker = std::thread::spawn(move || {
        let mut acked: Vec<(u64, String)> = vec![];
        let mut anchors: Vec<(String, u64)> = vec![];
        for i in 0.. {
            let r = std::panic::catch_unwind(|| {
                http(
                    &addr,
                    "POST",
                    &format!("/v1/issuers/{iss}/credentials"),
                    Some(&tok),
                    Some(&body),
                    "application/json",
                )
            });
            match r {
                Ok(r) if r.status == 201 => {
                    let v = r.json();
                    acked.push((v["index"].as_u64().unwrap(), v["blob_id"].as_str().unwrap().to_string()));
                }
                _ => break,
            }
            if i % 5 == 4 {
                match std::panic::catch_unwind(|| {
                    http(&addr, "POST", &format!("/v1/issuers/{iss}/anchor"), Some(&tok), None, "")
                }) {
                    Ok(r) if r.status == 200 => {
                        let v = r.json();
                        anchors.push((v["root"].as_str().unwrap().to_string(), v["leaf_count"].as_u64().unwrap()));
                    }
                    _ => break,
                }
            }
        }
        (acked, anchors)
    });
    // Let it run, then kill -9 mid-stream.
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut s = s;
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    let (acked, anchors) = worker.join().unwrap();
    assert!(
        acked.len() >= 10 && !anchors.is_empty(),
        "too little traffic: {} credentials, {} anchors",
        acked.len(),
        anchors.len()
    );

    let s = Server::start(&data, &["--anchor-every", "1000", "--anchor-interval", "0"]);
    // Every acknowledged anchor is still there: the anchored tree covers its credentials.
    let (_, last_count) = anchors.last().unwrap().clone();
    s.ok("GET", &format!("/v1/issuers/{issuer}/credentials/{}/path", last_count - 1), None, None, 200);
    let a = s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    assert!(a["leaf_count"].as_u64().unwrap() >= acked.len() as u64, "{a}");
    // Every acknowledged credential: its leaf is in the tree (a path), its blob is intact.
    for (index, blob) in &acked {
        s.ok("GET", &format!("/v1/issuers/{issuer}/credentials/{index}/path"), None, None, 200);
        let r = s.call("GET", &format!("/v1/blobs/{blob}"), None, None);
        assert_eq!(r.status, 200, "blob of credential #{index}");
        assert_eq!(healthzk_service::sealed::blob_id(&r.body), *blob);
    }
    // The package of the last acknowledged credential still opens.
    let (_, blob) = acked.last().unwrap();
    let pkg = open_package(&s, &alice, dir.path(), blob);
    assert_eq!(pkg["credential"]["holder"], json!(alice.commitment));
    // New credentials continue after the acknowledged ones (no index reused).
    let next = issue(&s, &issuer, &token, &alice, immunization(&day(-30)));
    assert!(next["index"].as_u64().unwrap() >= acked.len() as u64);
}

/// The service with its chain behind `--rpc-url`: a Hardhat 2 node on 127.0.0.1 (pinned in
/// tests/js, installed by the test command; never skipped). The registry is deployed there at
/// first start by the owner key given; a new issuer's account (which holds no ether on the
/// node) is funded by the owner; its root is anchored on the node — the CLI reads it from the
/// node — and a holder proves and is accepted; after a restart the service finds its registry
/// again on the node.
#[test]
fn serves_with_its_chain_on_a_json_rpc_node() {
    let node = crate::hardhat::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js"));
    let dir = tempfile::tempdir().unwrap();
    let owner_key = dir.path().join("owner.key");
    std::fs::write(&owner_key, crate::hardhat::HARDHAT_KEYS[0]).unwrap();
    let data = dir.path().join("data");
    let rpc = ["--rpc-url", node.url.as_str(), "--chain-key-file", owner_key.to_str().unwrap()];
    let extra = [&rpc[..], &["--anchor-every", "100", "--anchor-interval", "0"]].concat();
    let s = Server::start(&data, &extra);
    let (issuer, token) = new_issuer(&s, "Klinikum Süd");
    let address = s.ok("GET", "/v1/issuers", None, None, 200)["issuers"][0]["address"].as_str().unwrap().to_string();
    let alice = holder(dir.path(), "alice.json");
    let vax = issue(&s, &issuer, &token, &alice, immunization(&day(-30)));
    let a = s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    assert_eq!(a["root"], vax["issuer_root"]);
    assert_eq!(a["already_anchored"], false);

    // The node holds the root: the CLI, pointed at the same node and the service's
    // deployments, lists it as accepted.
    let chain_dir = data.join("chain");
    let roots =
        cli(&["roots", "--rpc-url", &node.url, "--chain", chain_dir.to_str().unwrap(), "--issuer-address", &address]);
    assert_eq!(roots.lines().count(), 1, "{roots}");
    assert!(roots.starts_with(vax["issuer_root"].as_str().unwrap()) && roots.ends_with("accepted"), "{roots}");

    // Prove and verify through the service, against roots it mirrors from the node.
    let pkg = open_package(&s, &alice, dir.path(), vax["blob_id"].as_str().unwrap());
    let policy: Value = serde_json::from_str(&cli(&["policy", "preset", "covid19"])).unwrap();
    let c = s.ok("POST", "/v1/challenges", None, Some(&json!({"policy": policy, "scope": "gate-1"})), 201);
    let req = json!({"holder_secret": alice.secret, "package": pkg, "policy": policy,
        "challenge": c["challenge"], "scope": "gate-1"});
    let pres = s.ok("POST", "/v1/proofs", None, Some(&req), 200);
    let v = s.ok("POST", "/v1/verify", None, Some(&json!({"presentation": pres})), 200);
    assert_eq!(v["accepted"], true, "{v}");

    // A restart finds the registry on the node (no second deployment) and the anchored root.
    let log = s.log.clone();
    assert!(s.stop().success(), "{}", std::fs::read_to_string(&log).unwrap());
    let s = Server::start(&data, &extra);
    let path = s.ok("GET", &format!("/v1/issuers/{issuer}/credentials/0/path"), None, None, 200);
    assert_eq!(path["issuer_root"], vax["issuer_root"]);
    let deployments: Value =
        serde_json::from_slice(&std::fs::read(chain_dir.join("deployments.json")).unwrap()).unwrap();
    assert_eq!(deployments["chains"].as_object().unwrap().len(), 1, "{deployments}");
    let log = s.log.clone();
    assert!(s.stop().success(), "{}", std::fs::read_to_string(&log).unwrap());
}
