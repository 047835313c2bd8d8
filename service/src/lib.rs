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
mod client;
pub mod config;
pub mod error;
pub mod faults;
mod http;
mod issuance;
mod metrics;
mod page;
mod proving;
mod registry;
mod retention;
pub mod sealed;
mod start;
mod state;
mod verifying;

pub use config::Config;
pub use error::StartError;
pub use faults::Faults;
pub use http::{app, routes};
pub use state::AppState;

use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;

/// Starts the service on `cfg.listen` and serves until SIGTERM or ctrl-c; in-flight requests
/// finish first. `on_ready` gets the bound address (port 0 picks a free one).
pub async fn serve(cfg: Config, on_ready: impl FnOnce(SocketAddr)) -> Result<(), StartError> {
    serve_until(cfg, Faults::default(), on_ready, shutdown_signal()).await
}

/// [`serve`], until `shutdown` completes, with `faults` (armed by a test in a
/// `fault-injection` build; inert otherwise).
///
/// Connections: HTTP/1.1 with keep-alive. A client has `header_timeout_secs` to send each
/// request's headers, from connecting or from its previous response (slow-header clients and
/// idle connections are closed); a request is answered within `request_timeout_secs` (408);
/// at most `max_connections` are open (more wait in the listen backlog).
pub async fn serve_until(
    cfg: Config,
    faults: Faults,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let listen = cfg.listen;
    // Start first, then listen: no client waits on a socket while keys load.
    let state = start::start(cfg, faults).await?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| StartError::Failed { step: format!("cannot listen on {listen}"), source: Box::new(e.into()) })?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Failed { step: "listening".into(), source: Box::new(e.into()) })?;
    let tasks = [
        tokio::spawn(issuance::anchor_loop(Arc::clone(&state))),
        tokio::spawn(retention::purge_loop(Arc::clone(&state))),
    ];
    tracing::info!(%addr, "healthzk service listening");
    on_ready(addr);
    accept_loop(&listener, &state, shutdown).await;
    for t in tasks {
        t.abort();
    }
    tracing::info!("healthzk service stopped");
    Ok(())
}

/// Accepts connections until `shutdown`, then lets the open ones finish their requests.
async fn accept_loop(listener: &TcpListener, state: &Arc<AppState>, shutdown: impl Future<Output = ()>) {
    let router = app(Arc::clone(state));
    let connections = Arc::new(tokio::sync::Semaphore::new(state.cfg.max_connections));
    let header_timeout = Duration::from_secs(state.cfg.header_timeout_secs);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&connections).acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            tower::ServiceExt::oneshot(router.clone(), req)
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            // Headers of one request in at most 64 KiB (hyper's default is ~400 KiB a connection).
            .max_buf_size(64 * 1024)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    tracing::info!("shutting down: finishing in-flight requests");
    // A request is answered within the request timeout; a connection whose client does not
    // read its answer is not waited for beyond that.
    let grace = Duration::from_secs(state.cfg.request_timeout_secs + 5);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(seconds = grace.as_secs(), "connections still open after the grace period; closing them");
    }
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
}
