//! The service's shared state: storage, keys, provers and verifiers, the chain, the issuers'
//! trees and what verifiers accept. Data and small helpers only; `start` builds it and the
//! domain modules (`issuance`, `proving`, `verifying`) act on it.

use crate::{
    chain::ChainCtx,
    client::ClientKey,
    config::Config,
    error::{AppError, AppResult, Internal},
    faults::Faults,
    metrics::Metrics,
};
use healthzk_anchor::Account;
use healthzk_core::{day::Day, merkle::MerkleTree, model::Shape, revocation::RevocationList, statement::Statement, Fr};
use healthzk_prover::{score::ScoreProver, KeyDir, KeyName, Prover};
use healthzk_verifier::Verifier;
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqlitePool;
use std::{
    collections::HashMap,
    sync::{atomic::AtomicUsize, Arc, Mutex, RwLock},
    time::Instant,
};

/// One issuer's tree, its last anchored snapshot and its revocation list.
pub(crate) struct IssuerState {
    pub id: String,
    pub account: Account,
    pub country: Option<String>,
    pub tree: MerkleTree,
    /// The tree as of the latest anchored root (paths are served against it).
    pub anchored: Option<MerkleTree>,
    pub revocations: RevocationList,
    /// The revocation root currently anchored.
    pub anchored_revocation: Option<Fr>,
    /// When the oldest unanchored credential was issued.
    pub pending_since: Option<Instant>,
    /// After a failed scheduled anchoring: when to try again, and the backoff that led there.
    pub retry: Option<(Instant, std::time::Duration)>,
}

impl IssuerState {
    /// Credentials issued but not anchored yet.
    pub fn pending(&self) -> u64 {
        self.tree.len() - self.anchored.as_ref().map_or(0, |t| t.len())
    }
}

/// An issuer's state, locked while an operation runs.
pub(crate) type IssuerHandle = Arc<tokio::sync::Mutex<IssuerState>>;

/// What verifiers accept, mirrored from the chain (this service is its only writer):
/// anchored roots by issuer, and each issuer's current revocation root.
#[derive(Default)]
pub(crate) struct Trust {
    pub roots: HashMap<Fr, String>,
    pub revocation: HashMap<String, Fr>,
}

/// Shared state of the service.
pub struct AppState {
    pub(crate) cfg: Config,
    pub(crate) db: SqlitePool,
    pub(crate) chain: Mutex<ChainCtx>,
    pub(crate) issuers: RwLock<HashMap<String, IssuerHandle>>,
    pub(crate) trust: RwLock<Trust>,
    pub(crate) keys: KeyDir,
    pub(crate) query_prover: Arc<Prover>,
    pub(crate) score_provers: RwLock<HashMap<Shape, Arc<ScoreProver>>>,
    pub(crate) verifiers: RwLock<HashMap<String, Arc<Verifier>>>,
    pub(crate) pool: rayon::ThreadPool,
    /// Proof jobs queued or running, in all and by client (`proving::Slots` keeps both).
    pub(crate) in_flight: AtomicUsize,
    pub(crate) queue_by_client: Mutex<HashMap<ClientKey, usize>>,
    /// Verification work running at once (single and batch requests each hold one permit).
    pub(crate) verify_permits: Arc<tokio::sync::Semaphore>,
    /// Requests per second per client on the verifier routes (a batch costs one per item).
    pub(crate) limiter: Option<Limiter>,
    pub(crate) metrics: Metrics,
    pub(crate) admin_hash: [u8; 32],
    pub(crate) anchor_wake: tokio::sync::Notify,
    pub(crate) faults: Faults,
}

/// The verifier routes' rate limiter: a GCRA bucket per client key.
pub(crate) type Limiter = governor::DefaultKeyedRateLimiter<ClientKey>;

/// Runs `f` to its end even if the request that started it is dropped (a client closing its
/// socket, the request timeout): for a commit and the memory that mirrors it, which must
/// happen together or not at all.
pub(crate) async fn detached<T: Send + 'static>(
    f: impl std::future::Future<Output = AppResult<T>> + Send + 'static,
) -> AppResult<T> {
    tokio::spawn(f).await.map_err(|e| AppError::internal(Internal::Task(e)))?
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("data_dir", &self.cfg.data_dir).finish_non_exhaustive()
    }
}

/// SHA-256 of a bearer token (tokens are stored and compared hashed).
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh random token with a readable prefix.
pub(crate) fn new_token(prefix: &str) -> String {
    let mut b = [0u8; 24];
    OsRng.fill_bytes(&mut b);
    format!("{prefix}_{}", hex::encode(b))
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Today, UTC.
pub(crate) fn today() -> Day {
    Day((now() / 86_400) as u32)
}

impl AppState {
    /// The issuer `id`'s state, if there is such an issuer.
    pub(crate) fn issuer(&self, id: &str) -> Option<IssuerHandle> {
        self.issuers.read().unwrap().get(id).cloned()
    }

    /// Registers a verifier for its key id.
    pub(crate) fn add_verifier(&self, v: Verifier) {
        self.verifiers.write().unwrap().insert(v.key_id_hex(), Arc::new(v));
    }

    /// The score prover for a shape, loading or (development) generating its keys.
    pub(crate) fn score_prover(&self, shape: Shape) -> Result<Arc<ScoreProver>, Internal> {
        if let Some(p) = self.score_provers.read().unwrap().get(&shape) {
            return Ok(Arc::clone(p));
        }
        let name = KeyName::ScoreShape(shape);
        let depth = self.cfg.depth;
        if !self.keys.has(&name) {
            if !self.cfg.dev {
                return Err(Internal::Corrupt(format!(
                    "no {name} keys in {} (a registered model's shape): add ceremony keys, or run with --dev",
                    self.keys.path().display()
                )));
            }
            tracing::warn!(%shape, "no score keys for this model shape: running a single-party setup — FOR DEVELOPMENT ONLY");
            let weights = healthzk_prover::score::Weights::Private(shape);
            let pk = self.pool.install(|| healthzk_prover::score::setup(depth, weights, &mut OsRng))?;
            self.keys.write(&name, &pk, depth)?;
        }
        let prover = self.keys.score_prover(&name, None)?;
        if prover.depth() != depth {
            return Err(Internal::Corrupt(format!(
                "{name} serves depth {}, the service runs depth {depth}",
                prover.depth()
            )));
        }
        self.add_verifier(Verifier::new(Statement::ScoreThreshold, &prover.proving_key().vk, prover.key_id().0));
        let prover = Arc::new(prover);
        self.score_provers.write().unwrap().insert(shape, Arc::clone(&prover));
        Ok(prover)
    }
}
