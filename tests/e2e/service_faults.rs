//! The service under faults and hostile clients (issue #17). The server runs in this process
//! (`healthzk_service::serve_until`) so that a test can arm its fault points — the store, the
//! chain, the prover — and is driven over real TCP like any other. Each test names the fault
//! it injects and what must hold afterwards; each failed before the fix it is named for.

use super::service::{
    cli, day, holder, http, immunization, issue, keys, new_issuer, open_package, wait_job, Api, Holder, ADMIN,
};
use healthzk_service::{
    faults::{Fault, Point},
    Config, Faults,
};
use serde_json::{json, Value};
use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    thread::JoinHandle,
    time::{Duration, Instant},
};

/// A service in this process, on its own runtime thread.
struct Live {
    addr: String,
    faults: Faults,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl Live {
    /// Starts on `data` with the test keys (`--dev` for score keys), no scheduled anchoring
    /// by age, and `tweak` applied last.
    fn start(data: &Path, tweak: impl FnOnce(&mut Config)) -> Live {
        let mut cfg = Config {
            data_dir: data.to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            admin_token: Some(ADMIN.into()),
            keys_dir: Some(keys().to_path_buf()),
            dev: true,
            anchor_every: 1000,
            anchor_interval_secs: 0,
            ..Config::default()
        };
        tweak(&mut cfg);
        let faults = Faults::default();
        let (ready, addr) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let f = faults.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let shutdown = async {
                let _ = stopped.await;
            };
            rt.block_on(healthzk_service::serve_until(cfg, f, move |a| ready.send(a).unwrap(), shutdown))
                .map_err(|e| e.to_string())
        });
        let addr = match addr.recv_timeout(Duration::from_secs(600)) {
            Ok(a) => a.to_string(),
            Err(_) => panic!("the service did not start: {:?}", thread.join()),
        };
        Live { addr, faults, stop: Some(stop), thread: Some(thread) }
    }

    /// Stops it (graceful shutdown) and checks it stopped cleanly.
    fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap().unwrap();
    }
}

impl Api for Live {
    fn addr(&self) -> &str {
        &self.addr
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits (up to `secs`) until `f` holds.
fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends a request on a raw connection and hangs up once `until` holds: a client that goes
/// away mid-request.
fn send_and_hang_up(addr: &str, path: &str, token: Option<&str>, body: &Value, until: impl FnMut() -> bool) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = serde_json::to_vec(body).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    eventually("the request reaches its fault point", 120, until);
    s.shutdown(std::net::Shutdown::Both).unwrap();
}

/// An issuer with one anchored credential held by alice; her opened package.
struct Fixture {
    dir: tempfile::TempDir,
    issuer: String,
    token: String,
    alice: Holder,
    pkg: Value,
    policy: Value,
}

fn fixture(s: &Live, dir: tempfile::TempDir) -> Fixture {
    let (issuer, token) = new_issuer(s, "Klinikum Nord");
    let alice = holder(dir.path(), "alice.json");
    let blob = issue(s, &issuer, &token, &alice, immunization(&day(-30)))["blob_id"].as_str().unwrap().to_string();
    s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    let pkg = open_package(s, &alice, dir.path(), &blob);
    let policy: Value = serde_json::from_str(&cli(&["policy", "preset", "covid19"])).unwrap();
    Fixture { dir, issuer, token, alice, pkg, policy }
}

impl Fixture {
    fn challenge(&self, s: &impl Api, scope: &str) -> String {
        let c = s.ok("POST", "/v1/challenges", None, Some(&json!({"policy": self.policy, "scope": scope})), 201);
        c["challenge"].as_str().unwrap().to_string()
    }

    fn prove_request(&self, pkg: &Value, challenge: &str, scope: &str) -> Value {
        json!({"holder_secret": self.alice.secret, "package": pkg, "policy": self.policy, "challenge": challenge, "scope": scope})
    }

    /// A presentation of `pkg` answering a fresh challenge in `scope` (not yet verified).
    fn present(&self, s: &impl Api, pkg: &Value, scope: &str) -> Value {
        let c = self.challenge(s, scope);
        s.ok("POST", "/v1/proofs", None, Some(&self.prove_request(pkg, &c, scope)), 200)
    }
}

fn verify(s: &impl Api, presentation: &Value) -> Value {
    s.ok("POST", "/v1/verify", None, Some(&json!({ "presentation": presentation })), 200)
}

fn status(s: &impl Api, f: &Fixture) -> Value {
    s.ok("GET", &format!("/v1/issuers/{}", f.issuer), Some(&f.token), None, 200)
}

/// Worst fault 1: a client that closed its socket while its batch was being recorded held its
/// queue slots forever (the service answered 503 to every proof request until restart).
#[test]
fn client_gone_mid_batch_leaks_no_queue_slot() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |c| {
        c.max_queue = 2;
        c.max_queue_per_client = 2;
    });
    let f = fixture(&s, dir);
    let job = f.prove_request(&f.pkg, "0x01", "gate");
    s.faults.arm(Point::StoreJob, Fault::Hang);
    send_and_hang_up(&s.addr, "/v1/jobs/batch", None, &json!({"jobs": [job, job]}), || {
        s.faults.hits(Point::StoreJob) > 0
    });
    // While the batch's slots are held, the queue is full.
    let r = s.call("POST", "/v1/jobs", None, Some(&job));
    assert_eq!(r.status, 503, "{}", r.text());
    s.faults.clear(Point::StoreJob);
    // The batch's jobs run and release their slots; the queue takes new work again.
    eventually("a proof request is accepted again", 300, || s.call("POST", "/v1/jobs", None, Some(&job)).status == 202);
    assert_eq!(s.call("GET", "/healthz", None, None).status, 200);
    s.stop();
}

/// Worst fault 2: a revocation whose anchoring failed was never anchored (the loop only ran
/// for pending leaves, a retry got 409, a restart reloaded the old root from the chain), so the
/// revoked credential kept verifying.
#[test]
fn revocation_whose_anchoring_failed_lands_when_the_chain_returns_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Live::start(&data, |_| {});
    let f = fixture(&s, dir);
    let before = f.present(&s, &f.pkg, "gate-1");

    // The chain refuses the revocation root: the revocation is committed, 202, not anchored.
    s.faults.arm(Point::ChainAnchorRevocationRoot, Fault::Fail);
    let r = s.call("POST", &format!("/v1/issuers/{}/credentials/0/revoke", f.issuer), Some(&f.token), None);
    assert_eq!(r.status, 202, "{}", r.text());
    let r = r.json();
    assert_eq!(r["anchored"], false);
    let new_root = r["revocation_root"].as_str().unwrap().to_string();
    assert_ne!(status(&s, &f)["anchored_revocation_root"], json!(new_root));
    // Asking again while the chain is down: still committed, still not anchored (not a 409).
    let again = s.call("POST", &format!("/v1/issuers/{}/credentials/0/revoke", f.issuer), Some(&f.token), None);
    assert_eq!(again.status, 202, "{}", again.text());
    // Meanwhile proofs about this issuer's credentials wait (503): a proof against the new list
    // would be refused by every verifier, which still checks against the anchored one.
    let c = f.challenge(&s, "gate-w");
    let r = s.call("POST", "/v1/proofs", None, Some(&f.prove_request(&f.pkg, &c, "gate-w")));
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("not anchored yet") && r.header("retry-after").is_some(), "{}", r.text());

    // The chain returns: the service anchors it by itself, and the credential stops verifying.
    s.faults.clear(Point::ChainAnchorRevocationRoot);
    eventually("the revocation root is anchored", 120, || {
        status(&s, &f)["anchored_revocation_root"] == json!(new_root)
    });
    let v = verify(&s, &before);
    assert_eq!(v["accepted"], false, "{v}");
    assert!(v["reason"].as_str().unwrap().contains("revocation root"), "{v}");
    let r = s.call("POST", &format!("/v1/issuers/{}/credentials/0/revoke", f.issuer), Some(&f.token), None);
    assert_eq!(r.status, 409, "anchored now: {}", r.text());

    // Again, with a stop before the chain returns: the next start anchors it.
    let bob = holder(f.dir.path(), "bob.json");
    let blob = issue(&s, &f.issuer, &f.token, &bob, immunization(&day(-30)))["blob_id"].as_str().unwrap().to_string();
    s.ok("POST", &format!("/v1/issuers/{}/anchor", f.issuer), Some(&f.token), None, 200);
    let bob_pkg = open_package(&s, &bob, f.dir.path(), &blob);
    let c = f.challenge(&s, "gate-2");
    let req =
        json!({"holder_secret": bob.secret, "package": bob_pkg, "policy": f.policy, "challenge": c, "scope": "gate-2"});
    let bobs = s.ok("POST", "/v1/proofs", None, Some(&req), 200);
    s.faults.arm(Point::ChainAnchorRevocationRoot, Fault::Fail);
    let r = s.call("POST", &format!("/v1/issuers/{}/credentials/1/revoke", f.issuer), Some(&f.token), None);
    assert_eq!(r.status, 202, "{}", r.text());
    let newer = r.json()["revocation_root"].as_str().unwrap().to_string();
    s.stop();
    let s = Live::start(&data, |_| {});
    eventually("the revocation root is anchored after the restart", 120, || {
        status(&s, &f)["anchored_revocation_root"] == json!(newer)
    });
    let v = verify(&s, &bobs);
    assert_eq!(v["accepted"], false, "{v}");
    assert!(v["reason"].as_str().unwrap().contains("revocation root"), "{v}");
    s.stop();
}

/// Item 1: an issuance dropped after its leaf was committed (the request timed out) left the
/// tree in memory one leaf short; every later issuance reused the index and got a 500.
#[test]
fn dropped_issuance_leaves_the_next_at_the_next_index() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |c| c.request_timeout_secs = 2);
    let (issuer, token) = new_issuer(&s, "Klinikum Nord");
    let alice = holder(dir.path(), "alice.json");
    s.faults.arm(Point::LeafCommitted, Fault::Hang);
    let body = json!({"resource": immunization(&day(-30)), "holder": alice.commitment, "holder_key": alice.key});
    let r = s.call("POST", &format!("/v1/issuers/{issuer}/credentials"), Some(&token), Some(&body));
    assert_eq!(r.status, 408, "the request times out while the commit hangs: {}", r.text());
    s.faults.clear(Point::LeafCommitted);
    let next = issue(&s, &issuer, &token, &alice, immunization(&day(-20)));
    assert_eq!(next["index"], 1, "{next}");
    let a = s.ok("POST", &format!("/v1/issuers/{issuer}/anchor"), Some(&token), None, 200);
    assert_eq!(a["leaf_count"], 2);
    for i in 0..2 {
        s.ok("GET", &format!("/v1/issuers/{issuer}/credentials/{i}/path"), None, None, 200);
    }
    s.stop();
}

/// Item 2: anchoring that reached the chain but not the store (or whose second transaction
/// failed after the first) reverted with AlreadyAnchored on every retry.
#[test]
fn anchor_on_chain_but_not_in_the_store_is_recorded_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |_| {});
    let (issuer, token) = new_issuer(&s, "Klinikum Nord");
    let alice = holder(dir.path(), "alice.json");
    issue(&s, &issuer, &token, &alice, immunization(&day(-30)));
    let anchor = format!("/v1/issuers/{issuer}/anchor");

    // The root's transaction lands, the revocation root's fails.
    s.faults.arm(Point::ChainAnchorRevocationRoot, Fault::Fail);
    assert_eq!(s.call("POST", &anchor, Some(&token), None).status, 500);
    s.faults.clear(Point::ChainAnchorRevocationRoot);
    let a = s.ok("POST", &anchor, Some(&token), None, 200);
    assert_eq!((a["leaf_count"].clone(), a["already_anchored"].clone()), (json!(1), json!(false)));

    // Both transactions land, recording the anchor fails.
    issue(&s, &issuer, &token, &alice, immunization(&day(-20)));
    s.faults.arm(Point::StoreAnchor, Fault::Fail);
    assert_eq!(s.call("POST", &anchor, Some(&token), None).status, 500);
    let r = s.call("GET", &format!("/v1/issuers/{issuer}/credentials/1/path"), None, None);
    assert_eq!(r.status, 404, "not recorded, not served: {}", r.text());
    s.faults.clear(Point::StoreAnchor);
    let a = s.ok("POST", &anchor, Some(&token), None, 200);
    assert_eq!(a["leaf_count"], 2);
    s.ok("GET", &format!("/v1/issuers/{issuer}/credentials/1/path"), None, None, 200);
    assert_eq!(s.ok("POST", &anchor, Some(&token), None, 200)["already_anchored"], true);
    s.stop();
}

/// Item 3: an unauthenticated challenge with an inline policy registered that policy; listings
/// were unpaginated; challenges and jobs were kept forever.
#[test]
fn inline_policies_stay_unregistered_listings_page_and_old_records_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Live::start(&data, |_| {});
    let policy: Value = serde_json::from_str(&cli(&["policy", "preset", "covid19"])).unwrap();
    let c = s.ok("POST", "/v1/challenges", None, Some(&json!({"policy": policy, "scope": "gate"})), 201);
    let listed = s.ok("GET", "/v1/policies", None, None, 200);
    assert_eq!(listed["policies"], json!([]), "{listed}");
    let r = s.call("GET", &format!("/v1/policies/{}", c["policy_hash"].as_str().unwrap()), None, None);
    assert_eq!(r.status, 404);

    // Three registered policies, two a page.
    let mut hashes = vec![];
    let mut first_clause = policy.clone();
    first_clause["clauses"] = json!([policy["clauses"][0]]);
    let yf: Value = serde_json::from_str(&cli(&["policy", "preset", "yellow-fever"])).unwrap();
    for p in [&policy, &first_clause, &yf] {
        hashes.push(s.ok("POST", "/v1/policies", Some(ADMIN), Some(p), 201)["hash"].as_str().unwrap().to_string());
    }
    hashes.sort();
    let p1 = s.ok("GET", "/v1/policies?limit=2", None, None, 200);
    let p2 = s.ok("GET", &format!("/v1/policies?limit=2&after={}", p1["next"].as_str().unwrap()), None, None, 200);
    let seen: Vec<&str> = p1["policies"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["policies"].as_array().unwrap())
        .map(|p| p["hash"].as_str().unwrap())
        .collect();
    assert_eq!(seen, hashes.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(p2["next"], Value::Null);
    assert_eq!(s.call("GET", "/v1/policies?limit=0", None, None).status, 400);
    assert_eq!(s.call("GET", "/v1/policies?limit=501", None, None).status, 400);

    // A challenge that expired longer ago than the retention is purged (at the next start).
    let challenge = c["challenge"].as_str().unwrap().to_string();
    s.ok("GET", &format!("/v1/challenges/{challenge}"), None, None, 200);
    s.stop();
    let old =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 8 * 86_400) as i64;
    sql(&data, &format!("UPDATE challenges SET expires_at = {old}"));
    let s = Live::start(&data, |_| {});
    eventually("the purge at start", 30, || {
        s.call("GET", &format!("/v1/challenges/{challenge}"), None, None).status == 404
    });
    s.stop();
}

/// Runs one statement on the service's SQLite database (while it is stopped).
fn sql(data: &Path, statement: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", data.join("healthzk.sqlite").display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(statement).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    });
}

/// Item 4: a failed presentation never used up its challenge (unbounded retries), a batch
/// counted as one request whatever its size, and verification work had no bound.
#[test]
fn failed_presentations_retire_a_challenge_and_verification_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |c| {
        c.verify_rate_limit = 8;
        c.max_verifications = 1;
    });
    let f = fixture(&s, dir);
    let good = f.present(&s, &f.pkg, "gate");
    // Another day in the window: every check passes but the proof's.
    let mut tampered = good.clone();
    tampered["public"]["as_of"] = json!(day(-1));
    for _ in 0..3 {
        let v = verify(&s, &tampered);
        assert_eq!(v["accepted"], false, "{v}");
        std::thread::sleep(Duration::from_millis(150));
    }
    // Retired: even the valid presentation is refused now.
    let v = verify(&s, &good);
    assert_eq!(v["accepted"], false);
    assert!(v["reason"].as_str().unwrap().contains("retired after 3 refused presentations"), "{v}");
    let st = s.ok("GET", &format!("/v1/challenges/{}", good["public"]["challenge"].as_str().unwrap()), None, None, 200);
    assert_eq!((st["status"].clone(), st["refused_presentations"].clone()), (json!("retired"), json!(3)));

    // A batch pays one per presentation: ten are more than eight a second can ever take.
    std::thread::sleep(Duration::from_millis(1100));
    let batch = json!({"presentations": vec![good.clone(); 10]});
    let r = s.call("POST", "/v1/verify/batch", None, Some(&batch));
    assert_eq!(r.status, 422, "no wait makes it pass, so it is no 429: {}", r.text());
    assert!(r.text().contains("split it"), "{}", r.text());
    std::thread::sleep(Duration::from_millis(1100));
    let batch = json!({"presentations": vec![good.clone(); 5]});
    assert_eq!(s.call("POST", "/v1/verify/batch", None, Some(&batch)).status, 200);
    let r = s.call("POST", "/v1/verify/batch", None, Some(&batch));
    assert_eq!(r.status, 429, "two batches of five are more than eight in a second: {}", r.text());

    // One verification at a time: a second one meanwhile is told to come back.
    std::thread::sleep(Duration::from_millis(1100));
    let fresh = f.present(&s, &f.pkg, "gate-2");
    s.faults.arm(Point::BeforeSettle, Fault::Hang);
    let addr = s.addr.clone();
    let body = serde_json::to_vec(&json!({ "presentation": fresh })).unwrap();
    let first = std::thread::spawn(move || http(&addr, "POST", "/v1/verify", None, Some(&body), "application/json"));
    eventually("the first verification holds the permit", 60, || s.faults.hits(Point::BeforeSettle) > 0);
    let r = s.call("POST", "/v1/verify", None, Some(&json!({ "presentation": good })));
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    s.faults.clear(Point::BeforeSettle);
    assert_eq!(first.join().unwrap().json()["accepted"], true);
    s.stop();
}

/// Item 5: no header-read or idle timeout and no connection cap (slowloris held connections
/// open).
#[test]
fn slow_headers_are_cut_and_connections_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |c| {
        c.header_timeout_secs = 2;
        c.max_connections = 2;
    });
    // A client trickling its headers a byte at a time is cut off within the header timeout.
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    let t = Instant::now();
    let cut = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().chain(std::iter::repeat(&b'a')).any(|b| {
        std::thread::sleep(Duration::from_millis(200));
        slow.write_all(&[*b]).is_err() || t.elapsed() > Duration::from_secs(30)
    });
    assert!(cut && t.elapsed() < Duration::from_secs(30), "the trickling client was not cut off");
    drop(slow);

    // Two idle connections take both places; a third waits until one goes.
    let idle1 = TcpStream::connect(&s.addr).unwrap();
    let _idle2 = TcpStream::connect(&s.addr).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut third = TcpStream::connect(&s.addr).unwrap();
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    third.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut buf = [0u8; 64];
    assert!(third.read(&mut buf).is_err(), "served beyond the connection cap");
    drop(idle1);
    third.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut out = vec![];
    third.read_to_end(&mut out).unwrap();
    assert!(out.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&out));
    // The idle ones are closed by the header timeout too: new clients get in.
    eventually("idle connections are closed", 30, || s.call("GET", "/healthz", None, None).status == 200);
    s.stop();
}

/// Item 6: every made-up HTTP method added a permanent metrics series.
#[test]
fn made_up_methods_add_no_metrics_series() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |_| {});
    for i in 0..20 {
        let r = http(&s.addr, &format!("FOO{i}"), "/healthz", None, None, "application/json");
        assert!(r.status == 405 || r.status == 404, "{}", r.status);
        let r = http(&s.addr, "GET", &format!("/made/up/{i}"), None, None, "application/json");
        assert_eq!(r.status, 404);
    }
    let m = s.call("GET", "/metrics", None, None).text();
    assert!(!m.contains("FOO") && !m.contains("/made/up"), "{m}");
    let series: Vec<&str> = m.lines().filter(|l| l.starts_with("healthzk_http_requests_total{")).collect();
    assert!(
        series.contains(&"healthzk_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 20"),
        "{m}"
    );
    assert!(series.len() <= 4, "{series:?}");
    s.stop();
}

/// Item 7: a panic in a proof job aborted the process.
#[test]
fn a_panicking_job_fails_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |_| {});
    let f = fixture(&s, dir);
    let c = f.challenge(&s, "gate");
    s.faults.arm(Point::ProverJob, Fault::Panic);
    let id = s.ok("POST", "/v1/jobs", None, Some(&f.prove_request(&f.pkg, &c, "gate")), 202)["job"]
        .as_str()
        .unwrap()
        .to_string();
    let done = wait_job(&s, &id);
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"], "internal error (logged on the server)");
    s.faults.clear(Point::ProverJob);
    let id = s.ok("POST", "/v1/jobs", None, Some(&f.prove_request(&f.pkg, &c, "gate")), 202)["job"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(wait_job(&s, &id)["status"], "done");
    s.stop();
}

/// Proves `f`'s credential as a job for a fresh challenge in `scope` living `ttl` seconds:
/// the challenge and the presentation.
fn present_by_job(s: &Live, f: &Fixture, scope: &str, ttl: u64) -> (String, Value) {
    let c = s.ok(
        "POST",
        "/v1/challenges",
        None,
        Some(&json!({"policy": f.policy, "scope": scope, "ttl_seconds": ttl})),
        201,
    );
    let c = c["challenge"].as_str().unwrap().to_string();
    let id = s.ok("POST", "/v1/jobs", None, Some(&f.prove_request(&f.pkg, &c, scope)), 202)["job"]
        .as_str()
        .unwrap()
        .to_string();
    let job = wait_job(s, &id);
    assert_eq!(job["status"], "done", "{job}");
    (c, job["presentation"].clone())
}

/// Item 8: a verdict lost after its commit used up the holder's nullifier, and the verifier
/// never learned of the acceptance.
#[test]
fn a_lost_verdict_is_returned_on_asking() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |c| c.request_timeout_secs = 2);
    let f = fixture(&s, dir);
    // Proving takes longer than this server's request timeout: prove as a job.
    let (c, p) = present_by_job(&s, &f, "gate", 300);
    s.faults.arm(Point::VerdictCommitted, Fault::Hang);
    let r = s.call("POST", "/v1/verify", None, Some(&json!({ "presentation": p })));
    assert_eq!(r.status, 408, "the answer is lost: {}", r.text());
    s.faults.clear(Point::VerdictCommitted);
    let st = s.ok("GET", &format!("/v1/challenges/{c}"), None, None, 200);
    assert_eq!(st["status"], "settled", "{st}");
    assert_eq!(st["verdict"]["accepted"], true, "{st}");
    assert_eq!(st["verdict"]["nullifier"], p["public"]["nullifier"]);
    let again = verify(&s, &p);
    assert_eq!(again["accepted"], false);
    assert!(again["reason"].as_str().unwrap().contains("challenge already used"), "{again}");
    assert_eq!(again["settled"]["accepted"], true, "{again}");
    s.stop();
}

/// Item 8: `settle` did not recheck the challenge's expiry: a presentation checked before the
/// challenge expired was accepted after.
#[test]
fn a_challenge_that_expires_while_its_presentation_is_checked_is_not_settled() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |_| {});
    let f = fixture(&s, dir);
    // Long enough to prove in, short enough to wait out.
    let (c, p) = present_by_job(&s, &f, "gate", 20);
    s.faults.arm(Point::BeforeSettle, Fault::Hang);
    let addr = s.addr.clone();
    let body = serde_json::to_vec(&json!({ "presentation": p })).unwrap();
    let waiting = std::thread::spawn(move || http(&addr, "POST", "/v1/verify", None, Some(&body), "application/json"));
    eventually("the presentation waits to settle", 30, || s.faults.hits(Point::BeforeSettle) > 0);
    let expires = s.ok("GET", &format!("/v1/challenges/{c}"), None, None, 200)["expires_at"].as_u64().unwrap();
    eventually("the challenge expires", 40, || {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() > expires + 1
    });
    s.faults.clear(Point::BeforeSettle);
    let v = waiting.join().unwrap().json();
    assert_eq!(v["accepted"], false, "{v}");
    assert!(v["reason"].as_str().unwrap().contains("expired"), "{v}");
    let st = s.ok("GET", &format!("/v1/challenges/{c}"), None, None, 200);
    assert_eq!((st["status"].clone(), st["verdict"].clone()), (json!("expired"), Value::Null), "{st}");
    s.stop();
}

/// Item 9: the public path route answered 404 or 409 by index (the issuance count leaked), job
/// errors named the failed clause, and the data dir and database had the umask's modes.
#[test]
fn the_path_route_and_job_errors_leak_nothing_and_the_data_dir_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Live::start(&data, |_| {});
    let f = fixture(&s, dir);
    issue(&s, &f.issuer, &f.token, &f.alice, immunization(&day(-20)));
    let unanchored = s.call("GET", &format!("/v1/issuers/{}/credentials/1/path", f.issuer), None, None);
    let missing = s.call("GET", &format!("/v1/issuers/{}/credentials/2/path", f.issuer), None, None);
    assert_eq!((unanchored.status, missing.status), (404, 404));
    assert_eq!(unanchored.json()["error"].as_str().unwrap().replace("#1", "#2"), missing.json()["error"]);

    // A false statement (a yellow fever policy for a COVID-19 dose) fails without saying why.
    let yf: Value = serde_json::from_str(&cli(&["policy", "preset", "yellow-fever"])).unwrap();
    let c = s.ok("POST", "/v1/challenges", None, Some(&json!({"policy": yf, "scope": "gate"})), 201);
    let req = json!({"holder_secret": f.alice.secret, "package": f.pkg, "policy": yf,
                     "challenge": c["challenge"], "scope": "gate"});
    let id = s.ok("POST", "/v1/jobs", None, Some(&req), 202)["job"].as_str().unwrap().to_string();
    let job = wait_job(&s, &id);
    assert_eq!(job["error"], "the statement does not hold for this credential", "{job}");
    s.stop();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(data.clone()), 0o700);
        assert_eq!(mode(data.join("healthzk.sqlite")), 0o600);
        let wal = data.join("healthzk.sqlite-wal");
        if wal.exists() {
            assert_eq!(mode(wal), 0o600);
        }
        let key = std::fs::read_dir(data.join("issuers")).unwrap().next().unwrap().unwrap().path();
        assert_eq!(mode(key), 0o600);
    }
}

/// Item 10: without keys, `serve` ran a single-party setup with a warning in the log.
#[test]
fn serve_without_keys_exits_2_naming_both_ways_on() {
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_healthzk"))
        .args(["serve", "--data-dir", dir.path().join("data").to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("HEALTHZK_ADMIN_TOKEN", ADMIN)
        .env_remove("HEALTHZK_DEV")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--keys DIR") && err.contains("--dev"), "{err}");
    assert!(!dir.path().join("data/keys/credential-query.pk").exists());
}

/// Item 11: `as_of` was accepted up to a day in the future, which loosened every date window
/// (a dose 13 days old passed the 14-day rule).
#[test]
fn a_future_as_of_is_refused_by_the_cli_and_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |_| {});
    let f = fixture(&s, dir);
    let c = f.challenge(&s, "gate");
    let mut req = f.prove_request(&f.pkg, &c, "gate");
    req["as_of"] = json!(day(1));
    let r = s.call("POST", "/v1/proofs", None, Some(&req));
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("never a future day"), "{}", r.text());
    req["as_of"] = json!(day(-2));
    assert_eq!(s.call("POST", "/v1/proofs", None, Some(&req)).status, 422, "older than the tolerance");

    // The CLI, with the same package.
    let d = f.dir.path();
    std::fs::write(d.join("pkg.json"), serde_json::to_vec(&f.pkg).unwrap()).unwrap();
    std::fs::write(d.join("policy.json"), serde_json::to_vec(&f.policy).unwrap()).unwrap();
    // Never read: the day is refused first.
    std::fs::write(d.join("revoked.json"), b"{}").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_healthzk"))
        .args(["prove", "--keys", keys().to_str().unwrap(), "--holder", f.alice.file.to_str().unwrap()])
        .args(["--package", d.join("pkg.json").to_str().unwrap(), "--policy", d.join("policy.json").to_str().unwrap()])
        .args(["--revocations", d.join("revoked.json").to_str().unwrap(), "--challenge", &c, "--scope", "gate"])
        .args(["--as-of", &day(1)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("after today"), "{err}");
    // The gate contract's refusal of a future as_of is in the anchor suite (StaleAsOf at today + 1).
    s.stop();
}

/// Item 13: one client could take every queue slot; behind a proxy all clients shared one
/// bucket; IPv6 clients rotated addresses within their /64.
#[test]
fn quotas_and_rate_limits_are_per_client_behind_a_trusted_proxy_and_per_ipv6_64() {
    let dir = tempfile::tempdir().unwrap();
    let s = Live::start(&dir.path().join("data"), |c| {
        c.max_queue_per_client = 1;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.verify_rate_limit = 3;
    });
    let f = fixture(&s, dir);
    let c = f.challenge(&s, "gate");
    let job = serde_json::to_vec(&f.prove_request(&f.pkg, &c, "gate")).unwrap();
    let from = |client: &str, path: &str, body: &[u8]| {
        let mut t = TcpStream::connect(&s.addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9, {client}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        t.write_all(head.as_bytes()).unwrap();
        t.write_all(body).unwrap();
        let mut out = vec![];
        t.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    };
    // Hang the jobs at the prover so that the slots stay taken.
    s.faults.arm(Point::ProverJob, Fault::Hang);
    assert!(from("2001:db8:1:2::1", "/v1/jobs", &job).starts_with("HTTP/1.1 202"));
    let r = from("2001:db8:1:2:ffff::9", "/v1/jobs", &job);
    assert!(r.starts_with("HTTP/1.1 429") && r.contains("your share of the proof queue"), "same /64: {r}");
    assert!(from("198.51.100.7", "/v1/jobs", &job).starts_with("HTTP/1.1 202"), "another client");
    s.faults.clear(Point::ProverJob);

    // The verifier routes' rate limit, by forwarded client.
    let body = serde_json::to_vec(&json!({"policy": f.policy, "scope": "gate"})).unwrap();
    let codes: Vec<bool> =
        (0..4).map(|_| from("198.51.100.20", "/v1/challenges", &body).starts_with("HTTP/1.1 201")).collect();
    assert_eq!(codes, [true, true, true, false]);
    assert!(from("198.51.100.21", "/v1/challenges", &body).starts_with("HTTP/1.1 201"), "another client");
    s.stop();
}
