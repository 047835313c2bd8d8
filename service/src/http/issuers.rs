//! Issuers: create and list them (admin), issue credentials from FHIR, anchor, Merkle paths,
//! revoke (the issuer itself), and the encrypted package blobs.

use super::{
    auth::{AdminAuth, IssuerAuth},
    extract::{ok, Json, Routes},
};
use crate::{
    error::{AppError, AppResult},
    issuance,
    page::Page,
    state::{today, AppState},
};
use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use healthzk_core::{day::Day, fhir, field, holder::HolderCommitment};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) fn routes() -> Routes {
    Routes::new()
        .post("/v1/issuers", create_issuer)
        .get("/v1/issuers", list_issuers)
        .get("/v1/issuers/{issuer}", status)
        .post("/v1/issuers/{issuer}/credentials", issue)
        .post("/v1/issuers/{issuer}/anchor", anchor)
        .get("/v1/issuers/{issuer}/credentials/{index}/path", path)
        .post("/v1/issuers/{issuer}/credentials/{index}/revoke", revoke)
        .get("/v1/blobs/{blob}", blob)
}

fn parse_index(s: &str) -> AppResult<u64> {
    s.parse::<u64>().map_err(|_| AppError::bad(format!("index {s:?}: expected a credential number")))
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
    _: AdminAuth,
    Json(b): Json<NewIssuer>,
) -> AppResult<Response> {
    if b.name.trim().is_empty() || b.name.chars().count() > 200 {
        return Err(AppError::invalid("name: 1 to 200 characters"));
    }
    if let Some(c) = &b.country {
        if c.len() != 2 || !c.bytes().all(|x| x.is_ascii_uppercase()) {
            return Err(AppError::invalid(format!("country {c:?}: an ISO 3166-1 alpha-2 code such as \"FR\"")));
        }
    }
    let n = issuance::create_issuer(&state, &b.name, b.country).await?;
    Ok(ok(
        StatusCode::CREATED,
        json!({"id": n.id, "address": n.address, "token": n.token,
        "note": "the token is shown once; the service stores only its hash"}),
    ))
}

async fn list_issuers(State(state): State<Arc<AppState>>, page: Page) -> AppResult<Response> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, name, address FROM issuers WHERE id > ? ORDER BY id LIMIT ?")
            .bind(page.after())
            .bind(page.fetch())
            .fetch_all(&state.db)
            .await?;
    let (rows, next) = page.finish(rows, |(id, _, _)| id);
    let v: Vec<Value> =
        rows.into_iter().map(|(id, name, address)| json!({"id": id, "name": name, "address": address})).collect();
    Ok(ok(StatusCode::OK, json!({ "issuers": v, "next": next })))
}

/// The issuer's own view of its tree and anchoring (its token only: the counts are its own).
async fn status(State(_state): State<Arc<AppState>>, who: IssuerAuth) -> AppResult<Response> {
    let st = who.handle.lock().await;
    let retry = st.retry.map(|(at, _)| at.saturating_duration_since(std::time::Instant::now()).as_secs());
    Ok(ok(
        StatusCode::OK,
        json!({
            "id": st.id,
            "address": st.account.address().to_string(),
            "issued": st.tree.len(),
            "anchored": st.anchored.as_ref().map_or(0, |t| t.len()),
            "anchored_root": st.anchored.as_ref().map(|t| field::to_hex(&t.root())),
            "revoked": st.revocations.revoked().len(),
            "revocation_root": field::to_hex(&st.revocations.root()),
            "anchored_revocation_root": st.anchored_revocation.map(|r| field::to_hex(&r)),
            "anchoring_retry_in_s": retry,
        }),
    ))
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
    who: IssuerAuth,
    Json(b): Json<IssueRequest>,
) -> AppResult<Response> {
    let holder = field::parse_hex("holder", &b.holder).map_err(|e| AppError::invalid(e.to_string()))?;
    let country = who.handle.lock().await.country.clone();
    let mut req = fhir::to_request(&b.resource, country.as_deref()).map_err(|e| AppError::invalid(e.to_string()))?;
    if let Some(e) = &b.expires {
        req.expires = Some(Day::parse("expires", e).map_err(|e| AppError::invalid(e.to_string()))?);
    }
    let issued = issuance::issue(&state, &who.handle, req, HolderCommitment(holder), &b.holder_key, today()).await?;
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

async fn anchor(State(state): State<Arc<AppState>>, who: IssuerAuth) -> AppResult<Response> {
    let a = issuance::anchor(&state, &who.handle).await?;
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
    let (path, root) = issuance::anchored_path(&state, &issuer, index).await?;
    Ok(ok(StatusCode::OK, json!({"issuer_root": field::to_hex(&root), "path": path})))
}

async fn revoke(
    State(state): State<Arc<AppState>>,
    who: IssuerAuth,
    Path((_, index)): Path<(String, String)>,
) -> AppResult<Response> {
    let index = parse_index(&index)?;
    let r = issuance::revoke(&state, &who.handle, index).await?;
    let root = field::to_hex(&r.revocation_root);
    Ok(if r.anchored {
        ok(StatusCode::OK, json!({"revoked": index, "revocation_root": root, "anchored": true}))
    } else {
        ok(
            StatusCode::ACCEPTED,
            json!({"revoked": index, "revocation_root": root, "anchored": false,
                   "note": "the revocation is committed; anchoring its root failed and the service retries it (verifiers accept the previous revocation root until it lands)"}),
        )
    })
}

async fn blob(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult<Response> {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(AppError::bad(format!("blob id {id:?}: expected 64 lowercase hex digits (SHA-256)")));
    }
    match tokio::fs::read(issuance::blob_path(&state, &id)).await {
        Ok(bytes) => Ok(([(header::CONTENT_TYPE, "application/octet-stream")], Body::from(bytes)).into_response()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::not_found(format!("no blob {id}"))),
        Err(e) => Err(e.into()),
    }
}
