//! Provers: a proof at once (`POST /v1/proofs`), or as jobs (`/v1/jobs`, `/v1/jobs/batch`)
//! polled by id. The queue is bounded: 503 with Retry-After when full.

use super::extract::{ok, Json, Routes};
use crate::{
    error::{AppError, AppResult},
    proving::{self, JobError, ProveRequest},
    state::AppState,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post("/v1/proofs", prove_sync)
        .post("/v1/jobs", submit_job)
        .post("/v1/jobs/batch", submit_batch)
        .get("/v1/jobs/{job}", job_status)
}

async fn prove_sync(State(state): State<Arc<AppState>>, Json(req): Json<ProveRequest>) -> AppResult<Response> {
    let job = proving::prepare(&state, req).await?;
    proving::reserve(&state, 1)?;
    match proving::run(&state, job).await {
        Ok(p) => Ok(ok(StatusCode::OK, p)),
        Err(JobError::Unsatisfied(m)) => Err(AppError::invalid(m)),
        Err(JobError::Internal(e)) => Err(AppError::internal(e)),
    }
}

async fn submit_job(State(state): State<Arc<AppState>>, Json(req): Json<ProveRequest>) -> AppResult<Response> {
    let job = proving::prepare(&state, req).await?;
    proving::reserve(&state, 1)?;
    let id = match proving::record_job(&state, job.statement()).await {
        Ok(id) => id,
        Err(e) => {
            proving::release(&state, 1);
            return Err(e);
        }
    };
    tokio::spawn(proving::run_recorded(Arc::clone(&state), id.clone(), job));
    Ok(ok(StatusCode::ACCEPTED, json!({"job": id, "status": "queued", "href": format!("/v1/jobs/{id}")})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    jobs: Vec<ProveRequest>,
}

async fn submit_batch(State(state): State<Arc<AppState>>, Json(b): Json<BatchRequest>) -> AppResult<Response> {
    if b.jobs.is_empty() {
        return Err(AppError::invalid("jobs: at least one"));
    }
    let mut prepared = Vec::with_capacity(b.jobs.len());
    for (i, r) in b.jobs.into_iter().enumerate() {
        let job = proving::prepare(&state, r)
            .await
            .map_err(|e| AppError { message: format!("jobs[{i}]: {}", e.message), ..e })?;
        prepared.push(job);
    }
    let total = prepared.len();
    proving::reserve(&state, total)?;
    let mut ids = vec![];
    for (k, job) in prepared.into_iter().enumerate() {
        let id = match proving::record_job(&state, job.statement()).await {
            Ok(id) => id,
            Err(e) => {
                // The jobs already spawned release their own slots.
                proving::release(&state, total - k);
                return Err(e);
            }
        };
        tokio::spawn(proving::run_recorded(Arc::clone(&state), id.clone(), job));
        ids.push(id);
    }
    Ok(ok(StatusCode::ACCEPTED, json!({"jobs": ids})))
}

async fn job_status(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult<Response> {
    let row: Option<(String, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT statement, status, result, error FROM jobs WHERE id = ?")
            .bind(&id)
            .fetch_optional(&state.db)
            .await?;
    let (statement, status, result, error) = row.ok_or_else(|| AppError::not_found(format!("no job {id:?}")))?;
    let presentation: Option<Value> = result.map(|r| serde_json::from_str(&r)).transpose()?;
    Ok(ok(
        StatusCode::OK,
        json!({"job": id, "statement": statement, "status": status, "presentation": presentation, "error": error}),
    ))
}
