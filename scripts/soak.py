#!/usr/bin/env python3
"""Soak: a mixed load on a running `healthzk serve` for SECONDS, from this process (threads, one
HTTP connection each), sampling the server's resident memory and open file descriptors.
Run by `scripts/load --soak SECONDS`, which starts the server; usage:

    soak.py PORT PID WORKDIR BINARY SECONDS

Workers (each loops until the time is up):
  issue    issues a credential from FHIR (the server anchors every 16, or every 5 s)
  anchor   asks for anchoring every 10 s
  prove    a fresh challenge, a proof job, its presentation verified (must be accepted)
  verify   2 workers: a presentation that fails only at the pairing (the full verification)
  bad      malformed JSON, unknown fields, bad tokens, unknown routes, oversized bodies,
           non-canonical values: each must get the 4xx it names
  quota    every 30 s, two batches of 10 proof jobs against a per-client share of 16: 429
           for the second while the first is queued (intended)

It ends with a table of requests by worker and status, the samples, and exits 1 on any error
other than the intended 429/503: a 5xx, a connection error, an unexpected status, a refused
valid proof, or a verdict that changed.
"""
import datetime
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict

PORT, PID, WORK, BIN, SECS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
ADMIN = "load-test-admin-token-123456"
WARMUP = min(60.0, SECS / 5)
deadline = time.time() + SECS
counts = defaultdict(Counter)  # worker -> status -> n
errors = []  # (worker, what)
lock = threading.Lock()


class Client:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self):
        self.c = None

    def call(self, method, path, body=None, token=None, raw=None):
        for attempt in range(2):
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            h = {"Content-Type": "application/json"}
            if token:
                h["Authorization"] = "Bearer " + token
            data = raw if raw is not None else (json.dumps(body) if body is not None else None)
            try:
                self.c.request(method, path, data, h)
                r = self.c.getresponse()
                payload = r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection between two requests: reconnect once.
                self.c.close()
                self.c = None
                if attempt == 1:
                    raise
                continue
            if r.getheader("connection", "").lower() == "close":
                self.c.close()
                self.c = None
            ctype = r.getheader("content-type", "")
            return r.status, (json.loads(payload) if payload and ctype.startswith("application/json") else payload)


def record(worker, status):
    with lock:
        counts[worker][status] += 1


def fail(worker, what):
    with lock:
        errors.append((worker, what))
        counts[worker]["error"] += 1


def run(worker, step):
    c = Client()
    while time.time() < deadline:
        try:
            step(c)
        except Exception as e:  # noqa: BLE001 - any failure of a worker is an error of the run
            fail(worker, f"{type(e).__name__}: {e}")
            c = Client()
            time.sleep(0.2)


def expect(worker, got, want, what):
    status, body = got
    record(worker, status)
    if status in (429, 503):
        return None  # intended back-pressure
    if status != want:
        fail(worker, f"{what}: {status} (wanted {want}) {str(body)[:200]}")
        return None
    return body


# -- set-up -------------------------------------------------------------------------------
setup = Client()
alice = json.load(open(f"{WORK}/alice.json"))
key = subprocess.check_output([BIN, "holder", "public-key", "--holder", f"{WORK}/alice.json"]).decode().strip()
st, iss = setup.call("POST", "/v1/issuers", {"name": "Soak", "country": "DE"}, ADMIN)
assert st == 201, iss


def immunization(days_ago):
    date = (datetime.date.today() - datetime.timedelta(days=days_ago)).isoformat()
    return {"resourceType": "Immunization", "status": "completed", "patient": {"reference": "Patient/p"},
            "vaccineCode": {"coding": [{"system": "http://snomed.info/sct", "code": "1119349007"},
                                       {"system": "https://ec.europa.eu/health/documents/community-register/html/",
                                        "code": "EU/1/20/1528"}]},
            "manufacturer": {"identifier": {"system": "https://spor.ema.europa.eu/v1/organisations",
                                            "value": "ORG-100030215"}},
            "occurrenceDateTime": date,
            "protocolApplied": [{"targetDisease": [{"coding": [{"system": "http://snomed.info/sct", "code": "840539006"}]}],
                                 "doseNumberPositiveInt": 2, "seriesDosesPositiveInt": 2}]}


issue_body = {"resource": immunization(30), "holder": alice["commitment"], "holder_key": key}
st, cred = setup.call("POST", f"/v1/issuers/{iss['id']}/credentials", issue_body, iss["token"])
assert st == 201, cred
st, a = setup.call("POST", f"/v1/issuers/{iss['id']}/anchor", None, iss["token"])
assert st == 200, a
st, blob = setup.call("GET", f"/v1/blobs/{cred['blob_id']}")
open(f"{WORK}/blob", "wb").write(blob)
subprocess.check_call([BIN, "holder", "open", "--holder", f"{WORK}/alice.json", "--blob", f"{WORK}/blob",
                       "--out", f"{WORK}/pkg.json"], stderr=subprocess.DEVNULL)
pkg = json.load(open(f"{WORK}/pkg.json"))
st, ph = setup.call("POST", "/v1/policies", json.load(open(f"{WORK}/policy.json")), ADMIN)
ph = ph["hash"]


def prove_request(c, scope, ttl=None, worker=None):
    """A fresh challenge (waiting out the rate limit's 429, which is intended) and the proof
    request answering it."""
    body = {"policy_hash": ph, "scope": scope}
    if ttl:
        body["ttl_seconds"] = ttl
    while True:
        st, ch = c.call("POST", "/v1/challenges", body)
        if worker:
            record(worker, st)
        if st not in (429, 503):
            break
        time.sleep(0.5)
    assert st == 201, ch
    return {"holder_secret": alice["secret"], "package": pkg, "policy_hash": ph, "challenge": ch["challenge"], "scope": scope}


# The presentation that fails only at the pairing (as_of moved within the window).
st, bad_pres = setup.call("POST", "/v1/proofs", prove_request(setup, "soak-pairing", ttl=86400))
assert st == 200, bad_pres
bad_pres["public"]["as_of"] = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()

# -- workers --------------------------------------------------------------------------------
issued = [0]


def issue(c):
    body = expect("issue", c.call("POST", f"/v1/issuers/{iss['id']}/credentials", issue_body, iss["token"]), 201, "issue")
    if body is not None:
        issued[0] += 1
    time.sleep(0.05)


def anchor(c):
    expect("anchor", c.call("POST", f"/v1/issuers/{iss['id']}/anchor", None, iss["token"]), 200, "anchor")
    time.sleep(10)


proved = [0]


def prove(c):
    n = proved[0]
    scope = f"soak-{n}"
    job = expect("prove", c.call("POST", "/v1/jobs", prove_request(c, scope, worker="prove")), 202, "job")
    if job is None:
        time.sleep(1)
        return
    while True:
        st, v = c.call("GET", f"/v1/jobs/{job['job']}")
        record("prove", st)
        if st == 200 and v["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    if v["status"] != "done":
        fail("prove", f"job failed: {v.get('error')}")
        return
    verdict = expect("prove", c.call("POST", "/v1/verify", {"presentation": v["presentation"]}), 200, "verify")
    if verdict is not None and not verdict.get("accepted"):
        fail("prove", f"a valid presentation was refused: {verdict}")
    proved[0] += 1


def verify(c):
    v = expect("verify", c.call("POST", "/v1/verify", {"presentation": bad_pres}), 200, "verify")
    if v is not None and v != {"accepted": False, "reason": "invalid proof"}:
        fail("verify", f"verdict changed: {v}")


BAD = [
    ("POST", f"/v1/issuers/{iss['id']}/credentials", None, iss["token"], b"{not json", 400),
    ("POST", "/v1/issuers", {"name": "x", "nmae": 1}, ADMIN, None, 400),
    ("POST", "/v1/issuers", {"name": "x"}, "wrong-token-0123456789", None, 401),
    ("GET", "/v2/nothing", None, None, None, 404),
    ("GET", "/v1/models/0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001", None, None, None, 400),
    ("POST", "/v1/verify", {"presentation": {"format": 1}}, None, None, 400),
    ("POST", "/v1/proofs", {"holder_secret": "0x1", "package": {}, "challenge": "0x1", "scope": "g"}, None, None, 422),
    ("POST", f"/v1/issuers/{iss['id']}/credentials", None, iss["token"], b'{"resource":"' + b"x" * 300_000 + b'"}', 413),
]
bad_i = [0]


def bad(c):
    method, path, body, token, raw, want = BAD[bad_i[0] % len(BAD)]
    bad_i[0] += 1
    expect("bad", c.call(method, path, body, token, raw), want, f"{method} {path}")
    time.sleep(0.01)


def quota(c):
    # Two batches of 10 proof jobs at once, against a share of 16 per client: the second is
    # refused whole with 429 while the first is queued (intended back-pressure).
    for _ in range(2):
        reqs = [prove_request(c, f"soak-quota-{time.time()}-{i}", worker="quota") for i in range(10)]
        st, body = c.call("POST", "/v1/jobs/batch", {"jobs": reqs})
        record("quota", st)
        if st not in (202, 429, 503):
            fail("quota", f"a batch of 10: {st} {str(body)[:200]}")
    time.sleep(30)


# -- sampling ---------------------------------------------------------------------------------
samples = []  # (t, rss_kib, fds)
disk = [0]  # bytes in the data dir, at the last sample
split = [(0, 0)]  # (anonymous, file-backed) resident KiB, at the last sample


def size(path):
    """A file's size, 0 if it went away meanwhile (a temporary file renamed into place)."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def sample():
    t0 = time.time()
    while time.time() < deadline + 1:
        with open(f"/proc/{PID}/status") as f:
            status = {l.split(":")[0]: l.split()[1] for l in f if l.startswith(("VmRSS:", "RssAnon:", "RssFile:"))}
        rss = int(status["VmRSS"])
        split[0] = (int(status["RssAnon"]), int(status["RssFile"]))
        fds = len(os.listdir(f"/proc/{PID}/fd"))
        samples.append((time.time() - t0, rss, fds))
        disk[0] = sum(size(os.path.join(d, f)) for d, _, fs in os.walk(f"{WORK}/data") for f in fs)
        time.sleep(5)


threads = [threading.Thread(target=sample)]
skip = set(filter(None, os.environ.get("SOAK_SKIP", "").split(",")))  # e.g. SOAK_SKIP=issue,anchor
for name, step, n in [("issue", issue, 1), ("anchor", anchor, 1), ("prove", prove, 1), ("verify", verify, 2),
                      ("bad", bad, 1), ("quota", quota, 1)]:
    if name not in skip:
        threads += [threading.Thread(target=run, args=(name, step)) for _ in range(n)]
start = time.time()
print(f"soak: {SECS:.0f} s of mixed load on pid {PID} (warm-up {WARMUP:.0f} s)", flush=True)
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - start

# -- report -----------------------------------------------------------------------------------
print(f"\n{'worker':8} {'requests':>9}  statuses")
for w in ("issue", "anchor", "prove", "verify", "bad", "quota"):
    c = counts[w]
    total = sum(v for k, v in c.items() if k != "error")
    print(f"{w:8} {total:9d}  " + ", ".join(f"{k}: {v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))))
print(f"credentials issued {issued[0]}, proofs verified {proved[0]}, in {elapsed:.0f} s")
warm = [s for s in samples if s[0] >= WARMUP] or samples
rss_w, rss_end, rss_max = warm[0][1], samples[-1][1], max(s[1] for s in warm)
fd0, fd_end, fd_max = samples[0][2], samples[-1][2], max(s[2] for s in samples)
print(f"resident memory: {samples[0][1] / 1024:.0f} MiB at start, {rss_w / 1024:.0f} MiB after warm-up, "
      f"{rss_end / 1024:.0f} MiB at the end, {rss_max / 1024:.0f} MiB at most after warm-up")
print(f"open file descriptors: {fd0} at start, {fd_end} at the end, {fd_max} at most")
print(f"data dir: {disk[0] / 2**20:.0f} MiB at the end; resident at the end: {split[0][0] / 1024:.0f} MiB anonymous, "
      f"{split[0][1] / 1024:.0f} MiB file-backed")
print("samples (s, RSS MiB, fds): " + " ".join(f"{t:.0f}:{r / 1024:.0f}:{f}" for t, r, f in samples[:: max(1, len(samples) // 12)]))
five_xx = sum(v for c in counts.values() for k, v in c.items() if isinstance(k, int) and k >= 500 and k != 503)
print(f"errors other than the intended 429/503: {len(errors)} (5xx: {five_xx})")
for w, what in errors[:20]:
    print(f"  {w}: {what}")
sys.exit(1 if errors or five_xx else 0)
