//! healthzk-service: the HTTP API hospitals, holders' apps, border systems and insurers talk
//! to. It owns the issuers' trees (SQLite through sqlx, plus an in-memory copy rebuilt at
//! start), the holders' encrypted packages (content-addressed files), anchoring on the chain
//! (the embedded EVM in the data dir, or a JSON-RPC node), a bounded queue of proof jobs run on
//! a rayon pool, and the verifiers' challenges and nullifiers.
//!
//! Layers, each depending only on those below it: [`http`] (routes, extractors, layers) →
//! `issuance`, `proving`, `verifying` (what the service does) → `registry` (policies and
//! models), `state` (shared state), `chain` (the chain behind one interface) → [`error`],
//! [`config`], `metrics`, [`sealed`]. `start` builds the state.
//!
//! Nothing depends on this crate. It must never store or log a record value, a holder secret
//! or a patient identifier: records arrive as FHIR, become commitments, and leave encrypted to
//! the holder.
#![deny(missing_docs)]

mod chain;
pub mod config;
pub mod error;
mod http;
mod issuance;
mod metrics;
mod proving;
mod registry;
pub mod sealed;
mod start;
mod state;
mod verifying;

pub use config::Config;
pub use error::StartError;
pub use http::{app, routes};
pub use state::AppState;

use std::{net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;

/// Starts the service on `cfg.listen` and serves until SIGTERM or ctrl-c; in-flight requests
/// finish first. `on_ready` gets the bound address (port 0 picks a free one).
pub async fn serve(cfg: Config, on_ready: impl FnOnce(SocketAddr)) -> Result<(), StartError> {
    let listen = cfg.listen;
    // Start first, then listen: no client waits on a socket while keys load.
    let state = start::start(cfg).await?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| StartError::Failed { step: format!("cannot listen on {listen}"), source: Box::new(e.into()) })?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Failed { step: "listening".into(), source: Box::new(e.into()) })?;
    let anchorer = tokio::spawn(issuance::anchor_loop(Arc::clone(&state)));
    tracing::info!(%addr, "healthzk service listening");
    on_ready(addr);
    axum::serve(listener, app(Arc::clone(&state)).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| StartError::Failed { step: "server".into(), source: Box::new(e.into()) })?;
    anchorer.abort();
    tracing::info!("healthzk service stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
