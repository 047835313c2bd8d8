//! The registry of verifiers' targets: policies and score models, stored by hash, and the
//! resolution of a session's target (a policy sent whole, or a registered policy or model
//! named by its hash).

use crate::{
    error::{AppError, AppResult, Internal},
    page::Page,
    state::{now, AppState},
};
use healthzk_core::{
    field,
    model::Model,
    policy::{CompiledPolicy, Policy},
    statement::Statement,
    Fr,
};

/// What a session proves: a policy (credential query) or a registered model (score).
pub(crate) enum TargetKind {
    Query(Box<CompiledPolicy>),
    Score(Box<Model>),
}

impl TargetKind {
    /// The statement a target is proved by.
    pub fn statement(&self) -> Statement {
        match self {
            TargetKind::Query(_) => Statement::CredentialQuery,
            TargetKind::Score(_) => Statement::ScoreThreshold,
        }
    }
}

/// A session's target and the hash the proof's `policy_hash` input carries.
pub(crate) struct Target {
    pub hash: Fr,
    pub kind: TargetKind,
}

fn parse_fr(name: &str, s: &str) -> AppResult<Fr> {
    field::parse_hex(name, s).map_err(|e| AppError::invalid(e.to_string()))
}

/// Resolves exactly one of `policy` (sent whole), `policy_hash` (registered) and `model_hash`
/// (registered), as challenges and proof requests name them.
pub(crate) async fn resolve_target(
    state: &AppState,
    policy: Option<&Policy>,
    policy_hash: Option<&str>,
    model_hash: Option<&str>,
) -> AppResult<Target> {
    match (policy, policy_hash, model_hash) {
        (Some(p), None, None) => {
            let compiled = p.compile().map_err(|e| AppError::invalid(format!("policy: {e}")))?;
            Ok(Target { hash: compiled.hash(), kind: TargetKind::Query(Box::new(compiled)) })
        }
        (None, Some(h), None) => {
            let hash = parse_fr("policy_hash", h)?;
            let p = stored_policy(state, &hash).await?.ok_or_else(|| {
                AppError::not_found(format!(
                    "unknown policy {}; register it (POST /v1/policies) or send it",
                    field::to_hex(&hash)
                ))
            })?;
            let compiled = p.compile().map_err(|e| Internal::Corrupt(format!("stored policy: {e}")))?;
            Ok(Target { hash, kind: TargetKind::Query(Box::new(compiled)) })
        }
        (None, None, Some(h)) => {
            let hash = parse_fr("model_hash", h)?;
            Ok(Target { hash, kind: TargetKind::Score(Box::new(stored_model(state, &hash).await?)) })
        }
        _ => Err(AppError::invalid("pass exactly one of policy, policy_hash, model_hash")),
    }
}

/// A registered model by hash, or 404.
pub(crate) async fn stored_model(state: &AppState, hash: &Fr) -> AppResult<Model> {
    let row: Option<(String,)> = sqlx::query_as("SELECT body FROM models WHERE hash = ?")
        .bind(field::to_hex(hash))
        .fetch_optional(&state.db)
        .await?;
    let (body,) = row.ok_or_else(|| {
        AppError::not_found(format!("unknown model {}; register it (POST /v1/models)", field::to_hex(hash)))
    })?;
    Ok(Model::from_json(&body).map_err(Internal::from)?)
}

/// Records a model (its hash is registered on chain first by the caller).
pub(crate) async fn store_model(state: &AppState, hash: &Fr, model: &Model, body: &str) -> AppResult<()> {
    sqlx::query("INSERT OR IGNORE INTO models (hash, name, body, created_at) VALUES (?, ?, ?, ?)")
        .bind(field::to_hex(hash))
        .bind(&model.name)
        .bind(body)
        .bind(now() as i64)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// Every registered model: (hash, name), by hash (a page of them).
pub(crate) async fn models(state: &AppState, page: &Page) -> AppResult<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT hash, name FROM models WHERE hash > ? ORDER BY hash LIMIT ?")
        .bind(page.after())
        .bind(page.fetch())
        .fetch_all(&state.db)
        .await?)
}

/// A registered policy by hash.
pub(crate) async fn stored_policy(state: &AppState, hash: &Fr) -> AppResult<Option<Policy>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT body FROM policies WHERE hash = ?")
        .bind(field::to_hex(hash))
        .fetch_optional(&state.db)
        .await?;
    Ok(row.map(|(body,)| serde_json::from_str(&body)).transpose()?)
}

/// Compiles and records a policy; its hash.
pub(crate) async fn store_policy(state: &AppState, p: &Policy) -> AppResult<Fr> {
    let compiled = p.compile().map_err(|e| AppError::invalid(format!("policy: {e}")))?;
    let hash = compiled.hash();
    sqlx::query("INSERT OR IGNORE INTO policies (hash, body, created_at) VALUES (?, ?, ?)")
        .bind(field::to_hex(&hash))
        .bind(serde_json::to_string(p)?)
        .bind(now() as i64)
        .execute(&state.db)
        .await?;
    Ok(hash)
}

/// Every registered policy: (hash, body), by hash (a page of them).
pub(crate) async fn policies(state: &AppState, page: &Page) -> AppResult<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT hash, body FROM policies WHERE hash > ? ORDER BY hash LIMIT ?")
        .bind(page.after())
        .bind(page.fetch())
        .fetch_all(&state.db)
        .await?)
}
