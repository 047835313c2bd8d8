//! Provers: a proof at once (`POST /v1/proofs`), or as jobs (`/v1/jobs`, `/v1/jobs/batch`)
//! polled by id. The queue is bounded: 503 with Retry-After when full.

use super::extract::{ok, Client, Json, Routes};
use crate::{
    error::{AppError, AppResult},
    proving::{self, JobError, ProveRequest},
    state::{detached, AppState},
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

async fn prove_sync(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
    Json(req): Json<ProveRequest>,
) -> AppResult<Response> {
    let job = proving::prepare(&state, req).await?;
    let slot = proving::reserve(&state, client, 1)?;
    match proving::run(&state, job, slot).await {
        Ok(p) => Ok(ok(StatusCode::OK, p)),
        Err(JobError::Unsatisfied(m)) => Err(AppError::invalid(m)),
        Err(JobError::Internal(e)) => Err(AppError::internal(e)),
    }
}

async fn submit_job(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
    Json(req): Json<ProveRequest>,
) -> AppResult<Response> {
    let job = proving::prepare(&state, req).await?;
    let slots = proving::reserve(&state, client, 1)?;
    let ids = detached(proving::start_jobs(Arc::clone(&state), vec![job], slots)).await?;
    let id = &ids[0];
    Ok(ok(StatusCode::ACCEPTED, json!({"job": id, "status": "queued", "href": format!("/v1/jobs/{id}")})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    jobs: Vec<ProveRequest>,
}

async fn submit_batch(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
    Json(b): Json<BatchRequest>,
) -> AppResult<Response> {
    let share = state.cfg.max_queue_per_client.min(state.cfg.max_queue);
    if b.jobs.is_empty() || b.jobs.len() > share {
        return Err(AppError::invalid(format!("jobs: 1 to {share} (a client's share of the proof queue)")));
    }
    let mut prepared = Vec::with_capacity(b.jobs.len());
    for (i, r) in b.jobs.into_iter().enumerate() {
        let job = proving::prepare(&state, r)
            .await
            .map_err(|e| AppError { message: format!("jobs[{i}]: {}", e.message), ..e })?;
        prepared.push(job);
    }
    // The slots are the guard's until the jobs own them: a request dropped from here on
    // releases them, or the jobs start and release them as they end.
    let slots = proving::reserve(&state, client, prepared.len())?;
    let ids = detached(proving::start_jobs(Arc::clone(&state), prepared, slots)).await?;
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
