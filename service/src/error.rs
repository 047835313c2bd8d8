//! Errors. [`AppError`] is an HTTP answer: bad input is a 4xx with a message naming the
//! problem. [`Internal`] is what failed inside (storage, chain, keys, prover, files, stored
//! data); it becomes a 500 with a generic message, the cause logged (never a record value).
//! Every source converts with `?`.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// A failure inside the service: the client did nothing wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Internal {
    /// The database.
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
    /// Database migrations.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The chain or a chain key.
    #[error("chain: {0}")]
    Chain(#[from] healthzk_anchor::Error),
    /// The keys directory.
    #[error("keys: {0}")]
    Keys(#[from] healthzk_prover::KeyDirError),
    /// The prover (setup or synthesis; a false statement is not internal).
    #[error("prover: {0}")]
    Prove(#[from] healthzk_prover::ProveError),
    /// A file.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// A blocking task ended without its result.
    #[error("task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// JSON the service wrote itself.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored value the service cannot use (it wrote something else).
    #[error("stored data: {0}")]
    Corrupt(String),
    /// A worker ended without an answer.
    #[error("{0}")]
    Stopped(&'static str),
    /// A fault a test injected (`fault-injection` builds only).
    #[error("{0}")]
    Injected(#[from] crate::faults::Injected),
}

impl From<healthzk_core::Error> for Internal {
    fn from(e: healthzk_core::Error) -> Self {
        Internal::Corrupt(e.to_string())
    }
}

/// The service could not start; names the step and the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A configuration value that cannot be used.
    #[error("configuration: {0}")]
    Config(String),
    /// A step of the start failed.
    #[error("{step}: {source}")]
    Failed {
        /// What was being done.
        step: String,
        /// Why it failed.
        #[source]
        source: Box<Internal>,
    },
}

/// Names the step a failure happened in.
pub(crate) trait Step<T> {
    fn step(self, step: impl Into<String>) -> Result<T, StartError>;
}

impl<T, E: Into<Internal>> Step<T> for Result<T, E> {
    fn step(self, step: impl Into<String>) -> Result<T, StartError> {
        self.map_err(|e| StartError::Failed { step: step.into(), source: Box::new(e.into()) })
    }
}

/// An error answer.
#[derive(Debug)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Message for the client.
    pub message: String,
    /// Seconds after which to retry (429, 503).
    pub retry_after: Option<u64>,
}

impl AppError {
    /// A 4xx (or 503) with `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        AppError { status, message: message.into(), retry_after: None }
    }
    /// 400 Bad Request.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    /// 422 Unprocessable Content: well-formed JSON whose content is wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    /// 409 Conflict.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
    /// 401 Unauthorized.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    /// 500, logging `cause` (which must not hold record values).
    pub fn internal(cause: impl Into<Internal>) -> Self {
        let cause = cause.into();
        tracing::error!(%cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error (logged on the server)")
    }
    /// With a Retry-After header.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

/// Every internal failure converts to a 500 with `?`.
macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                AppError::internal(e)
            }
        }
    )*};
}
internal_from!(
    Internal,
    crate::faults::Injected,
    sqlx::Error,
    healthzk_anchor::Error,
    healthzk_prover::KeyDirError,
    std::io::Error,
    tokio::task::JoinError,
    serde_json::Error
);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(json!({ "error": self.message }))).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let status = match &r {
            // The body is not what the API document describes (a field missing, unknown or of
            // the wrong type): 400. 422 is for a body that matches it but is refused on its content.
            JsonRejection::JsonDataError(_) => StatusCode::BAD_REQUEST,
            JsonRejection::JsonSyntaxError(_) => StatusCode::BAD_REQUEST,
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => r.status(),
        };
        let text = r.body_text();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE { "request body too large".to_string() } else { text };
        AppError::new(status, message)
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::bad(r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad(r.body_text())
    }
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;
