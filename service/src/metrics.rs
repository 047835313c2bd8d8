//! Prometheus metrics (the `prometheus-client` crate, OpenMetrics text): requests and their
//! latency by route template, proof jobs and verdicts by outcome, queue depth, issuance and
//! anchoring counts, rate-limit refusals.
//!
//! Every label value comes from a closed set written in this crate (`&'static str`): route
//! templates from the router (anything else is `unmatched`), the methods the API uses (anything
//! else is `OTHER`), statement names and verdict kinds. A client cannot add a series.

use healthzk_core::statement::Statement;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ProofLabels {
    statement: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatementLabels {
    statement: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

fn latency() -> Histogram {
    // 1 ms to about 60 s.
    Histogram::new(exponential_buckets(0.001, 2.5, 13))
}

/// The service's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    proofs: Family<ProofLabels, Counter>,
    proof_seconds: Family<StatementLabels, Histogram, fn() -> Histogram>,
    verdicts: Family<OutcomeLabels, Counter>,
    credentials: Counter,
    anchors: Counter,
    queue: Gauge,
    rate_limited: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let m = Metrics {
            requests: Family::default(),
            durations: Family::new_with_constructor(latency),
            proofs: Family::default(),
            proof_seconds: Family::new_with_constructor(latency),
            verdicts: Family::default(),
            credentials: Counter::default(),
            anchors: Counter::default(),
            queue: Gauge::default(),
            rate_limited: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "healthzk_http_requests",
            "HTTP requests answered, by route template and status",
            m.requests.clone(),
        );
        registry.register("healthzk_http_request_duration_seconds", "Request latency", m.durations.clone());
        registry.register("healthzk_proof_jobs", "Proof jobs finished, by statement and outcome", m.proofs.clone());
        registry.register(
            "healthzk_proof_duration_seconds",
            "Proving time of successful jobs",
            m.proof_seconds.clone(),
        );
        registry.register("healthzk_verifications", "Presentations verified, by outcome", m.verdicts.clone());
        registry.register("healthzk_credentials_issued", "Credentials issued since start", m.credentials.clone());
        registry.register("healthzk_anchors", "Issuer roots anchored since start", m.anchors.clone());
        registry.register("healthzk_proof_queue_depth", "Proof jobs queued or running", m.queue.clone());
        registry.register("healthzk_rate_limited", "Requests refused by a rate limit or quota", m.rate_limited.clone());
        Metrics { registry, ..m }
    }
}

/// A method as a label: the ones the API serves, or `OTHER`.
pub(crate) fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// Records one answered request (`route`: a template of the router, or `unmatched`).
    pub fn request(&self, method: &'static str, route: &'static str, status: u16, secs: f64) {
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
        self.durations.get_or_create(&RouteLabels { route }).observe(secs);
    }

    /// Records a finished proof job.
    pub fn proof(&self, statement: Statement, done: bool, secs: f64) {
        let outcome = if done { "done" } else { "failed" };
        self.proofs.get_or_create(&ProofLabels { statement: statement.name(), outcome }).inc();
        if done {
            self.proof_seconds.get_or_create(&StatementLabels { statement: statement.name() }).observe(secs);
        }
    }

    /// Records a verdict (`accepted`, or the rejection kind).
    pub fn verdict(&self, outcome: &'static str) {
        self.verdicts.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// One credential issued.
    pub fn credential(&self) {
        self.credentials.inc();
    }

    /// One root anchored.
    pub fn anchor(&self) {
        self.anchors.inc();
    }

    /// Queue slots taken (positive) or released (negative).
    pub fn queue_depth(&self, delta: i64) {
        self.queue.inc_by(delta);
    }

    /// One request refused by a rate limit or quota.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// The exposition text (OpenMetrics).
    pub fn render(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made-up methods and paths share one series each: the label set is closed.
    #[test]
    fn made_up_methods_and_routes_add_no_series() {
        let m = Metrics::default();
        for i in 0..50 {
            let method = axum::http::Method::from_bytes(format!("FOO{i}").as_bytes()).unwrap();
            m.request(method_label(&method), "unmatched", 404, 0.001);
        }
        let text = m.render();
        let series: Vec<&str> = text.lines().filter(|l| l.starts_with("healthzk_http_requests_total{")).collect();
        assert_eq!(series, ["healthzk_http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"404\"} 50"]);
        assert!(!text.contains("FOO"));
    }
}
