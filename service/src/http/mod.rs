//! The HTTP API, one module per resource, each with its routes: [`issuers`] (issuers,
//! credentials, anchoring, revocation, blobs), [`proofs`] (proofs and jobs), [`verification`]
//! (challenges and verification), [`registry`] (keys, models, policies), [`ops`] (health,
//! metrics, OpenAPI). Who may call a route is an extractor in its handler ([`auth`]); who is
//! calling, for limits, too ([`extract::Client`]). This module puts them together with the
//! layers: body limit, timeout, the rate limit on the verifier routes ([`limit`]), request
//! logging and metrics.

mod auth;
mod extract;
mod issuers;
mod limit;
mod ops;
mod proofs;
mod registry;
mod verification;

use crate::{error::AppError, metrics, state::AppState};
use axum::{
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::Response,
    Router,
};
use extract::Routes;
use std::{sync::Arc, time::Duration};
use tower_http::timeout::TimeoutLayer;

/// Every route: (method, path template), from the routers themselves.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    let mut all = Vec::new();
    for r in [ops::routes(), issuers::routes(), proofs::routes(), verification::routes(), registry::routes()] {
        all.extend(r.list);
    }
    all
}

/// The router for `state`, with its layers: body limit, timeout, rate limit on verifier routes,
/// request log and metrics.
pub fn app(state: Arc<AppState>) -> Router {
    let verifier = verification::routes();
    let verifier = Routes {
        router: verifier.router.route_layer(middleware::from_fn_with_state(Arc::clone(&state), limit::rate_limit)),
        list: verifier.list,
    };
    let all = ops::routes().merge(issuers::routes()).merge(proofs::routes()).merge(registry::routes()).merge(verifier);
    let limit = state.cfg.body_limit;
    let timeout = Duration::from_secs(state.cfg.request_timeout_secs);
    all.router
        .fallback(|| async { AppError::not_found("no such route (GET /openapi.json lists them)") })
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state)
}

/// Logs and counts every request by route template (never its path values or body).
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let method = metrics::method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| route_label(m.as_str()));
    let t = std::time::Instant::now();
    let resp = next.run(req).await;
    let secs = t.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    state.metrics.request(method, route, status, secs);
    tracing::info!(%method, %route, status, ms = (secs * 1e3) as u64, "request");
    resp
}

/// The router's own template for a matched path (a closed set of labels).
fn route_label(matched: &str) -> &'static str {
    static TEMPLATES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    TEMPLATES
        .get_or_init(|| routes().into_iter().map(|(_, p)| p).collect())
        .iter()
        .find(|p| **p == matched)
        .copied()
        .unwrap_or("unmatched")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The route list is the routers' own: every path template appears once per method, and
    /// the OpenAPI document describes exactly these operations.
    #[test]
    fn routes_are_the_routers_and_the_openapi_documents_them() {
        let list = routes();
        let mut seen = std::collections::BTreeSet::new();
        for r in &list {
            assert!(seen.insert(*r), "{r:?} twice");
        }
        let doc: serde_json::Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
        let mut documented = std::collections::BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
        let listed: std::collections::BTreeSet<_> = list.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        assert_eq!(listed, documented, "routes against openapi.json");
        assert_eq!(list.len(), 27);
    }
}
