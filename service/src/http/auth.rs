//! Who may call a route, as extractors: a handler's signature says it. [`AdminAuth`] is the
//! service's operator (the admin token); [`IssuerAuth`] is the issuer the path names, by its
//! own token. Tokens are compared by their SHA-256.

use crate::{
    error::AppError,
    issuance,
    state::{token_hash, AppState, IssuerHandle},
};
use axum::{
    extract::{FromRequestParts, Path},
    http::{header, request::Parts, HeaderMap, StatusCode},
};
use std::{collections::HashMap, sync::Arc};

fn bearer(headers: &HeaderMap) -> Result<&str, AppError> {
    let v = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::unauthorized("missing Authorization: Bearer token"))?;
    v.to_str()
        .ok()
        .and_then(|s| s.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::unauthorized("Authorization must be `Bearer <token>`"))
}

/// The admin: the request carries the admin token (401 otherwise).
#[derive(Debug)]
pub(crate) struct AdminAuth;

impl FromRequestParts<Arc<AppState>> for AdminAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        if token_hash(bearer(&parts.headers)?) == state.admin_hash {
            Ok(AdminAuth)
        } else {
            Err(AppError::unauthorized("not the admin token"))
        }
    }
}

/// The issuer `{issuer}` in the path, calling with its own token: 404 for an unknown issuer,
/// 401 without a token or with an unknown one, 403 with another issuer's.
pub(crate) struct IssuerAuth {
    /// Its state.
    pub handle: IssuerHandle,
}

impl FromRequestParts<Arc<AppState>> for IssuerAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        let id = params.get("issuer").cloned().ok_or_else(|| AppError::bad("no issuer in the path"))?;
        let handle = issuance::issuer(state, &id)?;
        let t = bearer(&parts.headers)?;
        let row: Option<(String,)> = sqlx::query_as("SELECT id FROM issuers WHERE token_hash = ?")
            .bind(hex::encode(token_hash(t)))
            .fetch_optional(&state.db)
            .await?;
        match row {
            None => Err(AppError::unauthorized("unknown issuer token")),
            Some((owner,)) if owner == id => Ok(IssuerAuth { handle }),
            Some(_) => {
                Err(AppError::new(StatusCode::FORBIDDEN, format!("this token belongs to another issuer, not {id:?}")))
            }
        }
    }
}
