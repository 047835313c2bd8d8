//! The HTTP API: routes, handlers, authentication, rate limiting, request logging.

use crate::{
    error::{AppError, AppResult},
    proving::{self, JobError, ProveRequest},
    state::{now, token_hash, AppState},
    verifying,
};
use axum::{
    body::Body,
    extract::{ConnectInfo, DefaultBodyLimit, FromRequest, MatchedPath, Path, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use healthzk_core::{
    field,
    holder::HolderCommitment,
    model::Model,
    policy::Policy,
    presentation::{Presentation, STATEMENT_QUERY, STATEMENT_SCORE},
    Fr,
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tower_http::timeout::TimeoutLayer;

/// Every route: method and path template (the OpenAPI document lists exactly these).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/issuers"),
    ("GET", "/v1/issuers"),
    ("POST", "/v1/issuers/{issuer}/credentials"),
    ("POST", "/v1/issuers/{issuer}/anchor"),
    ("GET", "/v1/issuers/{issuer}/credentials/{index}/path"),
    ("POST", "/v1/issuers/{issuer}/credentials/{index}/revoke"),
    ("GET", "/v1/blobs/{blob}"),
    ("POST", "/v1/proofs"),
    ("POST", "/v1/jobs"),
    ("POST", "/v1/jobs/batch"),
    ("GET", "/v1/jobs/{job}"),
    ("POST", "/v1/challenges"),
    ("POST", "/v1/verify"),
    ("POST", "/v1/verify/batch"),
    ("GET", "/v1/keys"),
    ("GET", "/v1/keys/{key_id}"),
    ("POST", "/v1/models"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/{hash}"),
    ("POST", "/v1/policies"),
    ("GET", "/v1/policies"),
    ("GET", "/v1/policies/{hash}"),
];

const OPENAPI: &str = include_str!("../openapi.json");

/// JSON body extractor whose rejections are [`AppError`]s naming the problem.
pub(crate) struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(v))
    }
}

fn ok<T: serde::Serialize>(status: StatusCode, v: T) -> Response {
    (status, axum::Json(v)).into_response()
}

/// The router for `state`, with its layers: body limit, timeout, rate limit on verifier routes,
/// request log and metrics.
pub fn app(state: Arc<AppState>) -> Router {
    let verifier_routes = Router::new()
        .route("/v1/challenges", post(create_challenge))
        .route("/v1/verify", post(verify))
        .route("/v1/verify/batch", post(verify_batch))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), rate_limit));
    let limit = state.cfg.body_limit;
    let timeout = Duration::from_secs(state.cfg.request_timeout_secs);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/issuers", post(create_issuer).get(list_issuers))
        .route("/v1/issuers/{issuer}/credentials", post(issue))
        .route("/v1/issuers/{issuer}/anchor", post(anchor))
        .route("/v1/issuers/{issuer}/credentials/{index}/path", get(path))
        .route("/v1/issuers/{issuer}/credentials/{index}/revoke", post(revoke))
        .route("/v1/blobs/{blob}", get(blob))
        .route("/v1/proofs", post(prove_sync))
        .route("/v1/jobs", post(submit_job))
        .route("/v1/jobs/batch", post(submit_batch))
        .route("/v1/jobs/{job}", get(job_status))
        .route("/v1/keys", get(list_keys))
        .route("/v1/keys/{key_id}", get(get_key))
        .route("/v1/models", post(register_model).get(list_models))
        .route("/v1/models/{hash}", get(get_model))
        .route("/v1/policies", post(register_policy).get(list_policies))
        .route("/v1/policies/{hash}", get(get_policy))
        .merge(verifier_routes)
        .fallback(|| async { AppError::not_found("no such route (GET /openapi.json lists them)") })
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state)
}

/// Logs and counts every request by route template (never its path values or body).
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let t = std::time::Instant::now();
    let resp = next.run(req).await;
    let secs = t.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    state.metrics.request(&method, &route, status, secs);
    tracing::info!(%method, %route, status, ms = (secs * 1e3) as u64, "request");
    resp
}

/// Fixed one-second windows per client address.
async fn rate_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limit = state.cfg.verify_rate_limit;
    if limit > 0 {
        if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
            let sec = now();
            let mut m = state.limiter.lock().unwrap();
            if m.len() > 100_000 {
                m.retain(|_, (s, _)| *s == sec);
            }
            let e = m.entry(addr.ip()).or_insert((sec, 0));
            if e.0 != sec {
                *e = (sec, 0);
            }
            e.1 += 1;
            if e.1 > limit {
                drop(m);
                state.metrics.rate_limited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return AppError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("rate limit: {limit} requests per second"),
                )
                .retry_after(1)
                .into_response();
            }
        }
    }
    next.run(req).await
}

fn bearer(headers: &HeaderMap) -> AppResult<&str> {
    let v = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::new(StatusCode::UNAUTHORIZED, "missing Authorization: Bearer token"))?;
    v.to_str()
        .ok()
        .and_then(|s| s.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::new(StatusCode::UNAUTHORIZED, "Authorization must be `Bearer <token>`"))
}

fn require_admin(state: &AppState, headers: &HeaderMap) -> AppResult<()> {
    let t = bearer(headers)?;
    if token_hash(t) == state.admin_hash {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::UNAUTHORIZED, "not the admin token"))
    }
}

/// The issuer whose token this is must be `issuer` (403 for another issuer's token).
async fn require_issuer(state: &AppState, headers: &HeaderMap, issuer: &str) -> AppResult<()> {
    let t = bearer(headers)?;
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM issuers WHERE token_hash = ?")
        .bind(hex::encode(token_hash(t)))
        .fetch_optional(&state.db)
        .await?;
    match row {
        None => Err(AppError::new(StatusCode::UNAUTHORIZED, "unknown issuer token")),
        Some((id,)) if id == issuer => Ok(()),
        Some(_) => {
            Err(AppError::new(StatusCode::FORBIDDEN, format!("this token belongs to another issuer, not {issuer:?}")))
        }
    }
}

fn parse_fr(name: &str, s: &str) -> AppResult<Fr> {
    field::parse_hex(name, s).map_err(|e| AppError::invalid(e.to_string()))
}

fn parse_index(s: &str) -> AppResult<u64> {
    s.parse::<u64>().map_err(|_| AppError::bad(format!("index {s:?}: expected a credential number")))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIssuer {
    name: String,
    #[serde(default)]
    country: Option<String>,
}

async fn create_issuer(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<NewIssuer>, AppError>,
) -> AppResult<Response> {
    require_admin(&state, &headers)?;
    let Json(b) = body?;
    if b.name.trim().is_empty() || b.name.len() > 200 {
        return Err(AppError::invalid("name: 1 to 200 characters"));
    }
    if let Some(c) = &b.country {
        if c.len() != 2 || !c.bytes().all(|x| x.is_ascii_uppercase()) {
            return Err(AppError::invalid(format!("country {c:?}: an ISO 3166-1 alpha-2 code such as \"FR\"")));
        }
    }
    let (id, address, token) = crate::issuance::create_issuer(&state, &b.name, b.country).await?;
    Ok(ok(
        StatusCode::CREATED,
        json!({"id": id, "address": address, "token": token,
        "note": "the token is shown once; the service stores only its hash"}),
    ))
}

async fn list_issuers(State(state): State<Arc<AppState>>) -> AppResult<Response> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, name, address FROM issuers ORDER BY created_at").fetch_all(&state.db).await?;
    let v: Vec<Value> =
        rows.into_iter().map(|(id, name, address)| json!({"id": id, "name": name, "address": address})).collect();
    Ok(ok(StatusCode::OK, json!({ "issuers": v })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    /// A FHIR R4 Immunization, or a Bundle of Observations.
    resource: Value,
    /// The holder commitment (0x hex).
    holder: String,
    /// The holder's HPKE public key (hex, 32 bytes).
    holder_key: String,
    /// Last valid day (default: 100 years).
    #[serde(default)]
    expires: Option<String>,
}

async fn issue(
    State(state): State<Arc<AppState>>,
    Path(issuer): Path<String>,
    headers: HeaderMap,
    body: Result<Json<IssueRequest>, AppError>,
) -> AppResult<Response> {
    crate::issuance::issuer(&state, &issuer)?;
    require_issuer(&state, &headers, &issuer).await?;
    let Json(b) = body?;
    let holder = HolderCommitment(parse_fr("holder", &b.holder)?);
    let country = crate::issuance::issuer(&state, &issuer)?.lock().await.country.clone();
    let mut req = healthzk_core::fhir::to_request(&b.resource, country.as_deref())
        .map_err(|e| AppError::invalid(e.to_string()))?;
    if let Some(e) = &b.expires {
        req.expires = Some(healthzk_core::day::Day::parse("expires", e).map_err(|e| AppError::invalid(e.to_string()))?);
    }
    let issued = crate::issuance::issue(&state, &issuer, req, holder, &b.holder_key, proving::today()).await?;
    use base64::Engine;
    Ok(ok(
        StatusCode::CREATED,
        json!({
            "index": issued.index,
            "commitment": field::to_hex(&issued.commitment),
            "issuer_root": field::to_hex(&issued.issuer_root),
            "blob_id": issued.blob_id,
            "blob": base64::engine::general_purpose::STANDARD.encode(&issued.blob),
            "anchored": false,
        }),
    ))
}

async fn anchor(
    State(state): State<Arc<AppState>>,
    Path(issuer): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    crate::issuance::issuer(&state, &issuer)?;
    require_issuer(&state, &headers, &issuer).await?;
    let a = crate::issuance::anchor(&state, &issuer).await?;
    Ok(ok(
        StatusCode::OK,
        json!({"root": field::to_hex(&a.root), "leaf_count": a.leaf_count, "revocation_root": field::to_hex(&a.revocation_root),
               "already_anchored": a.already, "anchored_at": (!a.already).then_some(a.anchored_at)}),
    ))
}

async fn path(
    State(state): State<Arc<AppState>>,
    Path((issuer, index)): Path<(String, String)>,
) -> AppResult<Response> {
    let index = parse_index(&index)?;
    let (path, root) = crate::issuance::anchored_path(&state, &issuer, index).await?;
    Ok(ok(StatusCode::OK, json!({"issuer_root": field::to_hex(&root), "path": path})))
}

async fn revoke(
    State(state): State<Arc<AppState>>,
    Path((issuer, index)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    crate::issuance::issuer(&state, &issuer)?;
    require_issuer(&state, &headers, &issuer).await?;
    let index = parse_index(&index)?;
    let root = crate::issuance::revoke(&state, &issuer, index).await?;
    Ok(ok(StatusCode::OK, json!({"revoked": index, "revocation_root": field::to_hex(&root)})))
}

async fn blob(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult<Response> {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(AppError::bad(format!("blob id {id:?}: expected 64 lowercase hex digits (SHA-256)")));
    }
    match tokio::fs::read(crate::issuance::blob_path(&state, &id)).await {
        Ok(bytes) => Ok(([(header::CONTENT_TYPE, "application/octet-stream")], Body::from(bytes)).into_response()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::not_found(format!("no blob {id}"))),
        Err(e) => Err(AppError::internal(e)),
    }
}

async fn prove_sync(State(state): State<Arc<AppState>>, Json(req): Json<ProveRequest>) -> AppResult<Response> {
    let job = proving::prepare(&state, req).await?;
    proving::reserve(&state, 1)?;
    match proving::run(&state, job).await {
        Ok(p) => Ok(ok(StatusCode::OK, p)),
        Err(JobError::Unsatisfied(m)) => Err(AppError::invalid(m)),
        Err(JobError::Internal(m)) => Err(AppError::internal(m)),
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
    let presentation: Option<Value> =
        result.map(|r| serde_json::from_str(&r)).transpose().map_err(AppError::internal)?;
    Ok(ok(
        StatusCode::OK,
        json!({"job": id, "statement": statement, "status": status, "presentation": presentation, "error": error}),
    ))
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
        .bind(statement)
        .bind(&b.scope)
        .bind(b.one_per_holder)
        .bind(expires_at as i64)
        .execute(&state.db)
        .await?;
    Ok(ok(
        StatusCode::CREATED,
        json!({"challenge": field::to_hex(&challenge), "policy_hash": field::to_hex(&hash), "statement": statement,
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

async fn list_keys(State(state): State<Arc<AppState>>) -> Response {
    let mut keys = vec![json!({"key_id": state.query_prover.key_id().to_hex(), "statement": STATEMENT_QUERY,
        "depth": state.cfg.depth, "file": "credential-query.vk"})];
    for (shape, p) in state.score_provers.read().unwrap().iter() {
        keys.push(json!({"key_id": p.key_id().to_hex(), "statement": STATEMENT_SCORE, "depth": state.cfg.depth,
            "shape": shape.to_string(), "weights": "private"}));
    }
    ok(StatusCode::OK, json!({ "keys": keys }))
}

async fn get_key(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult<Response> {
    use healthzk_prover::keys;
    let d = state.cfg.depth as u32;
    let bytes = if state.query_prover.key_id().to_hex() == id {
        Some(keys::write_vk(&state.query_prover.proving_key().vk, d))
    } else {
        state
            .score_provers
            .read()
            .unwrap()
            .values()
            .find(|p| p.key_id().to_hex() == id)
            .map(|p| keys::write_vk_for(keys::STATEMENT_SCORE, &p.proving_key().vk, d))
    };
    let bytes = bytes.ok_or_else(|| AppError::not_found(format!("no verifying key {id:?}")))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// What a session proves: a policy (credential query) or a registered model (score).
pub(crate) enum TargetKind {
    Query(Box<healthzk_core::policy::CompiledPolicy>),
    Score(Box<Model>),
}

impl TargetKind {
    fn statement(&self) -> &'static str {
        match self {
            TargetKind::Query(_) => STATEMENT_QUERY,
            TargetKind::Score(_) => STATEMENT_SCORE,
        }
    }
}

/// A session's target and the hash the proof's `policy_hash` input carries.
pub(crate) struct Target {
    pub hash: Fr,
    pub kind: TargetKind,
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
            let row: Option<(String,)> = sqlx::query_as("SELECT body FROM policies WHERE hash = ?")
                .bind(field::to_hex(&hash))
                .fetch_optional(&state.db)
                .await?;
            let (body,) = row.ok_or_else(|| {
                AppError::not_found(format!(
                    "unknown policy {}; register it (POST /v1/policies) or send it",
                    field::to_hex(&hash)
                ))
            })?;
            let p: Policy = serde_json::from_str(&body).map_err(AppError::internal)?;
            Ok(Target { hash, kind: TargetKind::Query(Box::new(p.compile().map_err(AppError::internal)?)) })
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
    Model::from_json(&body).map_err(AppError::internal)
}

async fn register_model(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<Value>, AppError>,
) -> AppResult<Response> {
    require_admin(&state, &headers)?;
    let Json(v) = body?;
    let text = v.to_string();
    let model = Model::from_json(&text).map_err(|e| AppError::invalid(format!("model: {e}")))?;
    let hash = model.hash().map_err(|e| AppError::invalid(format!("model: {e}")))?;
    let shape = model.shape();
    // Keys for its shape (a development setup the first time a shape is seen), then the
    // registry on chain, then SQLite.
    let st = Arc::clone(&state);
    let prover = tokio::task::spawn_blocking(move || st.score_prover(shape))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let st = Arc::clone(&state);
    tokio::task::spawn_blocking(move || {
        let mut c = st.chain.lock().unwrap();
        let c = &mut *c;
        if c.registry.is_model_accepted(&mut c.chain, &hash)? {
            return Ok(());
        }
        c.registry.register_model(&mut c.chain, &c.owner, &hash).map(|_| ())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    sqlx::query("INSERT OR IGNORE INTO models (hash, name, body, created_at) VALUES (?, ?, ?, ?)")
        .bind(field::to_hex(&hash))
        .bind(&model.name)
        .bind(&text)
        .bind(now() as i64)
        .execute(&state.db)
        .await?;
    Ok(ok(
        StatusCode::CREATED,
        json!({"hash": field::to_hex(&hash), "name": model.name, "shape": shape.to_string(), "key_id": prover.key_id().to_hex()}),
    ))
}

async fn list_models(State(state): State<Arc<AppState>>) -> AppResult<Response> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT hash, name FROM models ORDER BY created_at").fetch_all(&state.db).await?;
    let v: Vec<Value> = rows.into_iter().map(|(h, n)| json!({"hash": h, "name": n})).collect();
    Ok(ok(StatusCode::OK, json!({ "models": v })))
}

async fn get_model(State(state): State<Arc<AppState>>, Path(h): Path<String>) -> AppResult<Response> {
    let hash = parse_fr("hash", &h)?;
    let m = stored_model(&state, &hash).await?;
    Ok(ok(StatusCode::OK, m))
}

async fn store_policy(state: &AppState, p: &Policy) -> AppResult<Fr> {
    let compiled = p.compile().map_err(|e| AppError::invalid(format!("policy: {e}")))?;
    let hash = compiled.hash();
    sqlx::query("INSERT OR IGNORE INTO policies (hash, body, created_at) VALUES (?, ?, ?)")
        .bind(field::to_hex(&hash))
        .bind(serde_json::to_string(p).map_err(AppError::internal)?)
        .bind(now() as i64)
        .execute(&state.db)
        .await?;
    Ok(hash)
}

async fn register_policy(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<Policy>, AppError>,
) -> AppResult<Response> {
    require_admin(&state, &headers)?;
    let Json(p) = body?;
    let hash = store_policy(&state, &p).await?;
    Ok(ok(StatusCode::CREATED, json!({"hash": field::to_hex(&hash)})))
}

async fn list_policies(State(state): State<Arc<AppState>>) -> AppResult<Response> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT hash, body FROM policies ORDER BY created_at").fetch_all(&state.db).await?;
    let v: Vec<Value> = rows
        .into_iter()
        .map(|(h, b)| json!({"hash": h, "policy": serde_json::from_str::<Value>(&b).unwrap_or(Value::Null)}))
        .collect();
    Ok(ok(StatusCode::OK, json!({ "policies": v })))
}

async fn get_policy(State(state): State<Arc<AppState>>, Path(h): Path<String>) -> AppResult<Response> {
    let hash = parse_fr("hash", &h)?;
    let row: Option<(String,)> = sqlx::query_as("SELECT body FROM policies WHERE hash = ?")
        .bind(field::to_hex(&hash))
        .fetch_optional(&state.db)
        .await?;
    let (body,) = row.ok_or_else(|| AppError::not_found(format!("unknown policy {}", field::to_hex(&hash))))?;
    let v: Value = serde_json::from_str(&body).map_err(AppError::internal)?;
    Ok(ok(StatusCode::OK, v))
}
