//! Operations: liveness (with a database round trip), Prometheus metrics, the OpenAPI
//! document.

use super::extract::{ok, Routes};
use crate::{error::AppResult, state::AppState};
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;
use std::sync::Arc;

const OPENAPI: &str = include_str!("../../openapi.json");

pub(super) fn routes() -> Routes {
    Routes::new().get("/healthz", healthz).get("/metrics", metrics).get("/openapi.json", openapi)
}

async fn healthz(State(state): State<Arc<AppState>>) -> AppResult<Response> {
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok(ok(StatusCode::OK, json!({"status": "ok"})))
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
