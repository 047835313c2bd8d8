//! Verifiers: challenges bound to a policy or a registered model and a scope; presentations
//! verified against them, one or a batch. Rate-limited per client.

use super::extract::{ok, Client, Json, Routes};
use crate::{
    error::{AppError, AppResult},
    registry::resolve_target,
    state::{now, AppState},
    verifying,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use healthzk_core::{field, policy::Policy, presentation::Presentation};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post("/v1/challenges", create_challenge)
        .get("/v1/challenges/{challenge}", challenge_status)
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
    #[serde(default, deserialize_with = "healthzk_core::serde_adapters::integral::opt_u64")]
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
    // An inline policy binds this challenge only: anyone may ask for a challenge, so it is not
    // registered (registering is the admin's, POST /v1/policies).
    let target = resolve_target(&state, b.policy.as_ref(), b.policy_hash.as_deref(), b.model_hash.as_deref()).await?;
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
    let outcome = verifying::verify_one(&state, b.presentation).await?;
    Ok(ok(StatusCode::OK, outcome))
}

/// A challenge's state and, once settled, its verdict: a verifier whose answer was lost (a
/// dropped connection after the commit) learns it here. The challenge value is the capability.
async fn challenge_status(State(state): State<Arc<AppState>>, Path(c): Path<String>) -> AppResult<Response> {
    let challenge = field::parse_hex("challenge", &c).map_err(|e| AppError::bad(e.to_string()))?;
    let row = verifying::challenge_row(&state, &challenge)
        .await?
        .ok_or_else(|| AppError::not_found("unknown challenge: this verifier did not issue it (or it was purged)"))?;
    let status = if row.used {
        "settled"
    } else if row.retired {
        "retired"
    } else if now() > row.expires_at {
        "expired"
    } else {
        "open"
    };
    Ok(ok(
        StatusCode::OK,
        json!({"challenge": field::to_hex(&challenge), "statement": row.statement, "policy_hash": field::to_hex(&row.policy_hash),
               "scope": row.scope, "expires_at": row.expires_at, "one_per_holder": row.one_per_holder,
               "status": status, "refused_presentations": row.failures, "verdict": row.verdict}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBatchRequest {
    presentations: Vec<Presentation>,
}

/// Presentations in one batch at most.
pub(super) const MAX_BATCH: usize = 1024;

async fn verify_batch(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
    Json(b): Json<VerifyBatchRequest>,
) -> AppResult<Response> {
    if b.presentations.is_empty() || b.presentations.len() > MAX_BATCH {
        return Err(AppError::invalid(format!("presentations: 1 to {MAX_BATCH}")));
    }
    // Each presentation is a verification: the rate limit charged the request one, the rest
    // are charged here.
    if let Some(extra) = std::num::NonZeroU32::new(b.presentations.len() as u32 - 1) {
        super::limit::charge(&state, client, extra)?;
    }
    let outcomes = verifying::verify_batch(&state, b.presentations).await?;
    Ok(ok(StatusCode::OK, json!({ "verdicts": outcomes })))
}
