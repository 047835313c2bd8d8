//! Prometheus metrics, in the text exposition format: counters and duration sums by route,
//! proof and verification outcomes, queue depth. Labels are route templates and outcomes,
//! never ids or values.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
};

/// Histogram bucket bounds, seconds.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len()];
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }
}

/// The service's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
    proofs: Mutex<BTreeMap<(String, String), u64>>,
    proof_seconds: Mutex<BTreeMap<String, Histogram>>,
    verdicts: Mutex<BTreeMap<String, u64>>,
    /// Credentials issued since start.
    pub credentials: AtomicU64,
    /// Roots anchored since start.
    pub anchors: AtomicU64,
    /// Proof jobs queued or running.
    pub queue_depth: AtomicU64,
    /// Requests refused by the rate limiter.
    pub rate_limited: AtomicU64,
}

impl Metrics {
    /// Records one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, secs: f64) {
        *self.requests.lock().unwrap().entry((method.into(), route.into(), status)).or_default() += 1;
        self.durations.lock().unwrap().entry(route.into()).or_default().observe(secs);
    }

    /// Records a finished proof job (`outcome`: done | failed).
    pub fn proof(&self, statement: &str, outcome: &str, secs: f64) {
        *self.proofs.lock().unwrap().entry((statement.into(), outcome.into())).or_default() += 1;
        if outcome == "done" {
            self.proof_seconds.lock().unwrap().entry(statement.into()).or_default().observe(secs);
        }
    }

    /// Records a verdict (`accepted`, or the rejection kind).
    pub fn verdict(&self, outcome: &str) {
        *self.verdicts.lock().unwrap().entry(outcome.into()).or_default() += 1;
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP healthzk_http_requests_total HTTP requests answered, by route template and status.\n");
        s.push_str("# TYPE healthzk_http_requests_total counter\n");
        for ((m, r, st), n) in self.requests.lock().unwrap().iter() {
            let _ = writeln!(s, "healthzk_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {n}");
        }
        histograms(&mut s, "healthzk_http_request_duration_seconds", "Request latency.", "route", &self.durations);
        s.push_str("# HELP healthzk_proof_jobs_total Proof jobs finished, by statement and outcome.\n");
        s.push_str("# TYPE healthzk_proof_jobs_total counter\n");
        for ((st, o), n) in self.proofs.lock().unwrap().iter() {
            let _ = writeln!(s, "healthzk_proof_jobs_total{{statement=\"{st}\",outcome=\"{o}\"}} {n}");
        }
        histograms(
            &mut s,
            "healthzk_proof_duration_seconds",
            "Proving time of successful jobs.",
            "statement",
            &self.proof_seconds,
        );
        s.push_str("# HELP healthzk_verifications_total Presentations verified, by outcome.\n");
        s.push_str("# TYPE healthzk_verifications_total counter\n");
        for (o, n) in self.verdicts.lock().unwrap().iter() {
            let _ = writeln!(s, "healthzk_verifications_total{{outcome=\"{o}\"}} {n}");
        }
        for (name, help, kind, v) in [
            ("healthzk_credentials_issued_total", "Credentials issued since start.", "counter", &self.credentials),
            ("healthzk_anchors_total", "Issuer roots anchored since start.", "counter", &self.anchors),
            ("healthzk_proof_queue_depth", "Proof jobs queued or running.", "gauge", &self.queue_depth),
            ("healthzk_rate_limited_total", "Requests refused by the rate limiter.", "counter", &self.rate_limited),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}", v.load(Ordering::Relaxed));
        }
        s
    }
}

fn histograms(s: &mut String, name: &str, help: &str, label: &str, m: &Mutex<BTreeMap<String, Histogram>>) {
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (k, h) in m.lock().unwrap().iter() {
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(s, "{name}_bucket{{{label}=\"{k}\",le=\"{b}\"}} {}", h.counts[i]);
        }
        let _ = writeln!(s, "{name}_bucket{{{label}=\"{k}\",le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(s, "{name}_sum{{{label}=\"{k}\"}} {}", h.sum);
        let _ = writeln!(s, "{name}_count{{{label}=\"{k}\"}} {}", h.count);
    }
}
