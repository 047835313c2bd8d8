//! What handlers share: the JSON extractor whose rejections name the problem, JSON answers,
//! and the route builder that records every route it adds (the route list is the router's).

use crate::{error::AppError, state::AppState};
use axum::{
    extract::{FromRequest, Request},
    handler::Handler,
    http::StatusCode,
    response::{IntoResponse, Response},
    Router,
};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// JSON body extractor whose rejections are [`AppError`]s naming the problem.
pub(crate) struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(v))
    }
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
