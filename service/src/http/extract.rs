//! What handlers share: the JSON extractor whose rejections name the problem, JSON answers,
//! and the route builder that records every route it adds (the route list is the router's).

use crate::{client::ClientKey, error::AppError, state::AppState};
use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request},
    handler::Handler,
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use serde::de::DeserializeOwned;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

/// JSON body extractor whose rejections are [`AppError`]s naming the problem.
pub(crate) struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(v))
    }
}

/// The client a request comes from, as limits and quotas see it ([`ClientKey`]): the peer,
/// or the address a trusted proxy forwarded; IPv6 by /64.
pub(crate) struct Client(pub ClientKey);

impl FromRequestParts<Arc<AppState>> for Client {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        Ok(Client(client_key(parts, state)))
    }
}

/// The client key of a request (see [`Client`]).
pub(crate) fn client_key(parts: &Parts, state: &AppState) -> ClientKey {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    // Every X-Forwarded-For line, in order: a proxy may add a line of its own rather than
    // append to the client's. A line that is not text makes the whole header unusable.
    let lines: Option<Vec<&str>> = parts.headers.get_all("x-forwarded-for").iter().map(|v| v.to_str().ok()).collect();
    let forwarded = lines.filter(|l| !l.is_empty()).map(|l| l.join(","));
    ClientKey::new(peer, forwarded.as_deref(), &state.cfg.trusted_proxies)
}

/// A JSON answer.
pub(crate) fn ok<T: serde::Serialize>(status: StatusCode, v: T) -> Response {
    (status, axum::Json(v)).into_response()
}

/// A router and the routes it has: (method, path template).
pub(crate) struct Routes {
    pub router: Router<Arc<AppState>>,
    pub list: Vec<(&'static str, &'static str)>,
}

impl Routes {
    pub fn new() -> Self {
        Routes { router: Router::new(), list: Vec::new() }
    }

    /// Adds `GET path`.
    pub fn get<H: Handler<T, Arc<AppState>>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.router = self.router.route(path, axum::routing::get(h));
        self.list.push(("GET", path));
        self
    }

    /// Adds `POST path`.
    pub fn post<H: Handler<T, Arc<AppState>>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.router = self.router.route(path, axum::routing::post(h));
        self.list.push(("POST", path));
        self
    }

    /// Both routers' routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.list.extend(other.list);
        self
    }
}
