//! The registry: verifying keys (public), score models and policies (registered by the admin,
//! read by anyone).

use super::{
    auth::AdminAuth,
    extract::{ok, Json, Routes},
};
use crate::{
    error::{AppError, AppResult, Internal},
    page::Page,
    registry,
    state::AppState,
};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use healthzk_core::{field, model::Model, policy::Policy, statement::Statement, Fr};
use healthzk_prover::{keys, KeyName};
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new()
        .get("/v1/keys", list_keys)
        .get("/v1/keys/{key_id}", get_key)
        .post("/v1/models", register_model)
        .get("/v1/models", list_models)
        .get("/v1/models/{hash}", get_model)
        .post("/v1/policies", register_policy)
        .get("/v1/policies", list_policies)
        .get("/v1/policies/{hash}", get_policy)
}

/// A hash in a path: one that does not parse names no resource (400, as any malformed path).
fn parse_fr(name: &str, s: &str) -> AppResult<Fr> {
    field::parse_hex(name, s).map_err(|e| AppError::bad(e.to_string()))
}

async fn list_keys(State(state): State<Arc<AppState>>) -> Response {
    let query = Statement::CredentialQuery;
    let mut keys = vec![json!({"key_id": state.query_prover.key_id().to_hex(), "statement": query.name(),
        "depth": state.cfg.depth, "file": state.keys.vk_path(&KeyName::Query).file_name().map(|f| f.to_string_lossy().into_owned())})];
    for (shape, p) in state.score_provers.read().unwrap().iter() {
        keys.push(json!({"key_id": p.key_id().to_hex(), "statement": Statement::ScoreThreshold.name(), "depth": state.cfg.depth,
            "shape": shape.to_string(), "weights": "private"}));
    }
    ok(StatusCode::OK, json!({ "keys": keys }))
}

async fn get_key(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult<Response> {
    let d = state.cfg.depth as u32;
    let bytes = if state.query_prover.key_id().to_hex() == id {
        Some(keys::write_vk(Statement::CredentialQuery, &state.query_prover.proving_key().vk, d))
    } else {
        state
            .score_provers
            .read()
            .unwrap()
            .values()
            .find(|p| p.key_id().to_hex() == id)
            .map(|p| keys::write_vk(Statement::ScoreThreshold, &p.proving_key().vk, d))
    };
    let bytes = bytes.ok_or_else(|| AppError::not_found(format!("no verifying key {id:?}")))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

async fn register_model(State(state): State<Arc<AppState>>, _: AdminAuth, Json(v): Json<Value>) -> AppResult<Response> {
    let text = v.to_string();
    let model = Model::from_json(&text).map_err(|e| AppError::invalid(format!("model: {e}")))?;
    let hash = model.hash().map_err(|e| AppError::invalid(format!("model: {e}")))?;
    let shape = model.shape();
    // Keys for its shape (a development setup the first time a shape is seen), then the
    // registry on chain, then SQLite.
    if !state.cfg.dev && !state.keys.has(&KeyName::ScoreShape(shape)) {
        return Err(AppError::conflict(format!(
            "no {} keys for this model's shape ({shape}) in {}: add ceremony keys for it there (or run the service with --dev for a single-party development setup)",
            Statement::ScoreThreshold,
            state.keys.path().display()
        )));
    }
    let st = Arc::clone(&state);
    let prover = tokio::task::spawn_blocking(move || st.score_prover(shape)).await??;
    let st = Arc::clone(&state);
    tokio::task::spawn_blocking(move || -> Result<(), Internal> {
        let mut c = st.chain.lock().unwrap();
        let c = &mut *c;
        // Registrations are per publisher: only the service's own counts.
        let me = c.owner.address();
        if !c.registry.is_model_accepted_from(c.chain.as_mut(), me, &hash)? {
            c.registry.register_model(c.chain.as_mut(), &c.owner, &hash)?;
        }
        Ok(())
    })
    .await??;
    registry::store_model(&state, &hash, &model, &text).await?;
    Ok(ok(
        StatusCode::CREATED,
        json!({"hash": field::to_hex(&hash), "name": model.name, "shape": shape.to_string(), "key_id": prover.key_id().to_hex()}),
    ))
}

async fn list_models(State(state): State<Arc<AppState>>, page: Page) -> AppResult<Response> {
    let (rows, next) = page.finish(registry::models(&state, &page).await?, |(h, _)| h);
    let v: Vec<Value> = rows.into_iter().map(|(h, n)| json!({"hash": h, "name": n})).collect();
    Ok(ok(StatusCode::OK, json!({ "models": v, "next": next })))
}

async fn get_model(State(state): State<Arc<AppState>>, Path(h): Path<String>) -> AppResult<Response> {
    let hash = parse_fr("hash", &h)?;
    Ok(ok(StatusCode::OK, registry::stored_model(&state, &hash).await?))
}

async fn register_policy(
    State(state): State<Arc<AppState>>,
    _: AdminAuth,
    Json(p): Json<Policy>,
) -> AppResult<Response> {
    let hash = registry::store_policy(&state, &p).await?;
    Ok(ok(StatusCode::CREATED, json!({"hash": field::to_hex(&hash)})))
}

async fn list_policies(State(state): State<Arc<AppState>>, page: Page) -> AppResult<Response> {
    let (rows, next) = page.finish(registry::policies(&state, &page).await?, |(h, _)| h);
    let v: Vec<Value> = rows
        .into_iter()
        .map(|(h, b)| json!({"hash": h, "policy": serde_json::from_str::<Value>(&b).unwrap_or(Value::Null)}))
        .collect();
    Ok(ok(StatusCode::OK, json!({ "policies": v, "next": next })))
}

async fn get_policy(State(state): State<Arc<AppState>>, Path(h): Path<String>) -> AppResult<Response> {
    let hash = parse_fr("hash", &h)?;
    let p = registry::stored_policy(&state, &hash)
        .await?
        .ok_or_else(|| AppError::not_found(format!("unknown policy {}", field::to_hex(&hash))))?;
    Ok(ok(StatusCode::OK, p))
}
