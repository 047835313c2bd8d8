//! The verifier routes' rate limit (`governor`, a GCRA bucket per client key): a request
//! costs one; a batch pays for its other presentations in its handler.

use super::extract;
use crate::{client::ClientKey, error::AppError, state::AppState};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{num::NonZeroU32, sync::Arc, time::Duration};

/// Charges `n` requests to `client` on the verifier routes' limiter: 429 with Retry-After
/// beyond its rate.
pub(super) fn charge(state: &AppState, client: ClientKey, n: NonZeroU32) -> Result<(), AppError> {
    let Some(limiter) = &state.limiter else { return Ok(()) };
    let refused = |wait: Duration| {
        state.metrics.rate_limited();
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("rate limit: {} verifications per second per client", state.cfg.verify_rate_limit),
        )
        .retry_after(wait.as_secs().max(1))
    };
    match limiter.check_key_n(&client, n) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(not_until)) => Err(refused(not_until.wait_time_from(governor::clock::Clock::now(limiter.clock())))),
        // More than a whole second's worth at once: no wait makes it pass, so it is not a 429
        // (which says "retry later") but a request to change.
        Err(_) => {
            state.metrics.rate_limited();
            Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "rate limit: a batch of {} presentations is more than this client's {} per second; split it",
                    n.get() + 1,
                    state.cfg.verify_rate_limit
                ),
            ))
        }
    }
}

/// The verifier routes' rate limit: one request each (a batch pays for its other items in its
/// handler).
pub(super) async fn rate_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let client = extract::client_key(&parts, &state);
    if let Err(e) = charge(&state, client, NonZeroU32::MIN) {
        return e.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
