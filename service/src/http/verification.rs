//! Verifiers: challenges bound to a policy or a registered model and a scope; presentations
//! verified against them, one or a batch. Rate-limited per client.

use super::extract::{ok, Json, Routes};
use crate::{
    error::{AppError, AppResult},
    registry::{resolve_target, store_policy},
    state::{now, AppState},
    verifying,
};
use axum::{extract::State, http::StatusCode, response::Response};
use healthzk_core::{field, policy::Policy, presentation::Presentation};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post("/v1/challenges", create_challenge)
        .post("/v1/verify", verify)
        .post("/v1/verify/batch", verify_batch)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChallenge {
    #[serde(default)]
    policy: Option<Policy>,
    #[serde(default)]
    policy_hash: Option<String>,
    #[serde(default)]
    model_hash: Option<String>,
    scope: String,
    #[serde(default)]
    ttl_seconds: Option<u64>,
    /// Accept each holder once in this scope (record nullifiers). Default true.
    #[serde(default = "yes")]
    one_per_holder: bool,
}

fn yes() -> bool {
    true
}

async fn create_challenge(State(state): State<Arc<AppState>>, Json(b): Json<NewChallenge>) -> AppResult<Response> {
    field::from_short_str("scope", &b.scope).map_err(|e| AppError::invalid(e.to_string()))?;
    let target = resolve_target(&state, b.policy.as_ref(), b.policy_hash.as_deref(), b.model_hash.as_deref()).await?;
    if let Some(p) = &b.policy {
        store_policy(&state, p).await?;
    }
    let (hash, statement) = (target.hash, target.kind.statement());
    let ttl = b.ttl_seconds.unwrap_or(state.cfg.challenge_ttl_secs);
    if ttl == 0 || ttl > 86_400 {
        return Err(AppError::invalid("ttl_seconds: 1 to 86400"));
    }
    let challenge = healthzk_verifier::fresh_challenge(b.scope.as_bytes(), &mut rand::rngs::OsRng);
    let expires_at = now() + ttl;
    sqlx::query("INSERT INTO challenges (challenge, policy_hash, statement, scope, one_per_holder, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(field::to_hex(&challenge))
        .bind(field::to_hex(&hash))
        .bind(statement.name())
        .bind(&b.scope)
        .bind(b.one_per_holder)
        .bind(expires_at as i64)
        .execute(&state.db)
        .await?;
    Ok(ok(
        StatusCode::CREATED,
        json!({"challenge": field::to_hex(&challenge), "policy_hash": field::to_hex(&hash), "statement": statement.name(),
               "scope": b.scope, "expires_at": expires_at, "one_per_holder": b.one_per_holder}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    presentation: Presentation,
}

async fn verify(State(state): State<Arc<AppState>>, Json(b): Json<VerifyRequest>) -> AppResult<Response> {
    let outcome = verifying::verify_one(&state, &b.presentation).await?;
    Ok(ok(StatusCode::OK, outcome))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBatchRequest {
    presentations: Vec<Presentation>,
}

async fn verify_batch(State(state): State<Arc<AppState>>, Json(b): Json<VerifyBatchRequest>) -> AppResult<Response> {
    if b.presentations.is_empty() || b.presentations.len() > 1024 {
        return Err(AppError::invalid("presentations: 1 to 1024"));
    }
    let outcomes = verifying::verify_batch(&state, &b.presentations).await?;
    Ok(ok(StatusCode::OK, json!({ "verdicts": outcomes })))
}
