//! The service's state and its start: storage, keys, chain, issuers' trees.

use crate::{config::Config, issuance::IssuerState, metrics::Metrics};
use healthzk_anchor::{
    contracts::Registry,
    deployments::{ChainDeployment, Deployments},
    embedded::EMBEDDED_CHAIN_ID,
    Account, EmbeddedChain,
};
use healthzk_core::{model::Shape, Fr};
use healthzk_prover::{keys, score::ScoreProver, Prover};
use healthzk_verifier::QueryVerifier;
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::{
    collections::HashMap,
    net::IpAddr,
    path::Path,
    sync::{atomic::AtomicUsize, Arc, Mutex, RwLock},
    time::Duration,
};

/// The service could not start; names the cause.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

fn start_err(what: &str) -> impl Fn(String) -> StartError + '_ {
    move |e| StartError(format!("{what}: {e}"))
}

/// The embedded chain, its registry and owner.
pub(crate) struct ChainCtx {
    pub chain: EmbeddedChain,
    pub registry: Registry,
    pub owner: Account,
}

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
    pub(crate) issuers: RwLock<HashMap<String, Arc<tokio::sync::Mutex<IssuerState>>>>,
    pub(crate) trust: RwLock<Trust>,
    pub(crate) query_prover: Arc<Prover>,
    pub(crate) score_provers: RwLock<HashMap<Shape, Arc<ScoreProver>>>,
    pub(crate) verifiers: RwLock<HashMap<String, Arc<QueryVerifier>>>,
    pub(crate) pool: rayon::ThreadPool,
    pub(crate) in_flight: AtomicUsize,
    pub(crate) metrics: Metrics,
    pub(crate) admin_hash: [u8; 32],
    pub(crate) anchor_wake: tokio::sync::Notify,
    pub(crate) limiter: Mutex<HashMap<IpAddr, (u64, u32)>>,
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

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Writes `bytes` to `path` durably: temporary file, fsync, rename, fsync of the directory.
pub(crate) fn write_durable(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", OsRng.next_u32()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

pub(crate) const QUERY_PK: &str = "credential-query.pk";
pub(crate) const QUERY_VK: &str = "credential-query.vk";

/// Score key file stem for a shape (private weights: one key per shape).
pub(crate) fn score_key_stem(shape: Shape) -> String {
    format!("score-threshold-h{}-s{}", shape.hidden, shape.shift)
}

impl AppState {
    /// Opens (or creates) everything under the data dir.
    pub async fn start(cfg: Config) -> Result<Arc<AppState>, StartError> {
        cfg.validate().map_err(|e| StartError(format!("configuration: {e}")))?;
        let data = cfg.data_dir.clone();
        std::fs::create_dir_all(&data).map_err(|e| StartError(format!("{}: {e}", data.display())))?;

        let opts = SqliteConnectOptions::new()
            .filename(data.join("healthzk.sqlite"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let db = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(|e| StartError(format!("SQLite in {}: {e}", data.display())))?;
        sqlx::migrate!("./migrations").run(&db).await.map_err(|e| StartError(format!("migrations: {e}")))?;
        // Jobs interrupted by a stop or crash: their inputs (holder secrets) were never stored.
        sqlx::query(
            "UPDATE jobs SET status = 'failed', error = 'interrupted by a service restart; submit it again', finished_at = ? WHERE status IN ('queued', 'running')",
        )
        .bind(now() as i64)
        .execute(&db)
        .await
        .map_err(|e| StartError(format!("jobs: {e}")))?;

        let admin = match &cfg.admin_token {
            Some(t) if t.len() >= 16 => t.clone(),
            Some(_) => return Err(StartError("admin token: at least 16 characters".into())),
            None => {
                let path = data.join("admin.token");
                if path.exists() {
                    std::fs::read_to_string(&path)
                        .map_err(|e| StartError(format!("{}: {e}", path.display())))?
                        .trim()
                        .to_string()
                } else {
                    let t = new_token("hzka");
                    write_durable(&path, t.as_bytes(), 0o600)
                        .map_err(|e| StartError(format!("{}: {e}", path.display())))?;
                    tracing::info!(path = %path.display(), "generated the admin token");
                    t
                }
            }
        };

        let threads = if cfg.prover_threads == 0 { num_threads() } else { cfg.prover_threads };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("healthzk-prover-{i}"))
            .build()
            .map_err(|e| StartError(format!("prover pool: {e}")))?;

        let keys_dir = cfg.keys();
        let depth = cfg.depth;
        let query_prover =
            pool.install(|| load_or_setup_query(&keys_dir, depth)).map_err(start_err("credential-query keys"))?;
        let mut verifiers = HashMap::new();
        let qv = QueryVerifier::new(&query_prover.proving_key().vk, query_prover.key_id().0);
        verifiers.insert(qv.key_id_hex(), Arc::new(qv));

        let chain = open_chain(&data.join("chain")).map_err(start_err("chain"))?;

        let state = Arc::new(AppState {
            cfg,
            db,
            chain: Mutex::new(chain),
            issuers: RwLock::new(HashMap::new()),
            trust: RwLock::new(Trust::default()),
            query_prover: Arc::new(query_prover),
            score_provers: RwLock::new(HashMap::new()),
            verifiers: RwLock::new(verifiers),
            pool,
            in_flight: AtomicUsize::new(0),
            metrics: Metrics::default(),
            admin_hash: token_hash(&admin),
            anchor_wake: tokio::sync::Notify::new(),
            limiter: Mutex::new(HashMap::new()),
        });
        crate::issuance::load_issuers(&state).await?;
        let models: Vec<(String,)> = sqlx::query_as("SELECT body FROM models")
            .fetch_all(&state.db)
            .await
            .map_err(|e| StartError(format!("models: {e}")))?;
        for (body,) in models {
            let model =
                healthzk_core::model::Model::from_json(&body).map_err(|e| StartError(format!("stored model: {e}")))?;
            let st = Arc::clone(&state);
            tokio::task::spawn_blocking(move || st.score_prover(model.shape()))
                .await
                .map_err(|e| StartError(e.to_string()))?
                .map_err(start_err("score keys"))?;
        }
        Ok(state)
    }

    /// The score prover for a shape, loading or (development) generating its keys.
    pub(crate) fn score_prover(&self, shape: Shape) -> Result<Arc<ScoreProver>, String> {
        if let Some(p) = self.score_provers.read().unwrap().get(&shape) {
            return Ok(Arc::clone(p));
        }
        let dir = self.cfg.keys();
        let stem = score_key_stem(shape);
        let weights = healthzk_prover::score::Weights::Private(shape);
        let (pk_path, vk_path) = (dir.join(format!("{stem}.pk")), dir.join(format!("{stem}.vk")));
        let prover = if pk_path.exists() {
            let vk = std::fs::read(&vk_path).map_err(|e| format!("{}: {e}", vk_path.display()))?;
            let (_, _, id) = keys::read_vk_for(keys::STATEMENT_SCORE, &vk).map_err(|e| e.to_string())?;
            let pk = std::fs::read(&pk_path).map_err(|e| format!("{}: {e}", pk_path.display()))?;
            let (pk, depth) =
                keys::read_pk_for(keys::STATEMENT_SCORE, &pk, Some(id)).map_err(|e| format!("{stem}.pk: {e}"))?;
            if depth as usize != self.cfg.depth {
                return Err(format!("{stem}.pk serves depth {depth}, the service runs depth {}", self.cfg.depth));
            }
            ScoreProver::new(pk, depth as usize, weights).map_err(|e| e.to_string())?
        } else {
            tracing::warn!(%shape, "no score keys for this model shape: running a single-party setup — FOR DEVELOPMENT ONLY");
            let pk = self
                .pool
                .install(|| healthzk_prover::score::setup(self.cfg.depth, weights.clone(), &mut OsRng))
                .map_err(|e| e.to_string())?;
            let d = self.cfg.depth as u32;
            write_durable(&pk_path, &keys::write_pk_for(keys::STATEMENT_SCORE, &pk, d), 0o644)
                .map_err(|e| e.to_string())?;
            write_durable(&vk_path, &keys::write_vk_for(keys::STATEMENT_SCORE, &pk.vk, d), 0o644)
                .map_err(|e| e.to_string())?;
            ScoreProver::new(pk, self.cfg.depth, weights).map_err(|e| e.to_string())?
        };
        let v = QueryVerifier::new_score(&prover.proving_key().vk, prover.key_id().0);
        self.verifiers.write().unwrap().insert(v.key_id_hex(), Arc::new(v));
        let prover = Arc::new(prover);
        self.score_provers.write().unwrap().insert(shape, Arc::clone(&prover));
        Ok(prover)
    }
}

fn num_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

fn load_or_setup_query(dir: &Path, depth: usize) -> Result<Prover, String> {
    let (pk_path, vk_path) = (dir.join(QUERY_PK), dir.join(QUERY_VK));
    if pk_path.exists() {
        let vk = std::fs::read(&vk_path).map_err(|e| format!("{}: {e}", vk_path.display()))?;
        let (_, _, id) = keys::read_vk(&vk).map_err(|e| format!("{QUERY_VK}: {e}"))?;
        let pk = std::fs::read(&pk_path).map_err(|e| format!("{}: {e}", pk_path.display()))?;
        let (pk, d) = keys::read_pk(&pk, Some(id)).map_err(|e| format!("{QUERY_PK}: {e}"))?;
        if d as usize != depth {
            return Err(format!("{} serves depth {d}; the service is configured for depth {depth}", pk_path.display()));
        }
        return Prover::new(pk, depth).map_err(|e| e.to_string());
    }
    tracing::warn!(
        keys = %dir.display(),
        "no credential-query keys: running a single-party setup — FOR DEVELOPMENT ONLY (production keys come from a multi-party ceremony)"
    );
    let pk = healthzk_prover::setup(depth, &mut OsRng).map_err(|e| e.to_string())?;
    let prover = Prover::new(pk, depth).map_err(|e| e.to_string())?;
    write_durable(&pk_path, &keys::write_pk(prover.proving_key(), depth as u32), 0o644).map_err(|e| e.to_string())?;
    write_durable(&vk_path, &keys::write_vk(&prover.proving_key().vk, depth as u32), 0o644)
        .map_err(|e| e.to_string())?;
    tracing::info!(key_id = %prover.key_id(), "credential-query keys written");
    Ok(prover)
}

/// Opens the embedded chain in `dir`, creating it with its registry on first start (and
/// resuming a creation interrupted before the registry was recorded).
fn open_chain(dir: &Path) -> Result<ChainCtx, String> {
    let owner = Account::load_or_create(&dir.join("owner.key")).map_err(|e| e.to_string())?;
    let mut chain = if EmbeddedChain::exists(dir) { EmbeddedChain::open(dir) } else { EmbeddedChain::create(dir) }
        .map_err(|e| e.to_string())?;
    let mut d = Deployments::load(dir).map_err(|e| e.to_string())?;
    let registry = match d.chain(EMBEDDED_CHAIN_ID) {
        Some(c) => Registry { address: c.registry },
        None => {
            let (registry, _) = Registry::deploy(&mut chain, &owner).map_err(|e| e.to_string())?;
            registry.accredit_model_publisher(&mut chain, &owner, owner.address()).map_err(|e| e.to_string())?;
            d.chains.insert(
                EMBEDDED_CHAIN_ID.to_string(),
                ChainDeployment { registry: registry.address, owner: owner.address(), verifiers: Default::default() },
            );
            d.save(dir).map_err(|e| e.to_string())?;
            tracing::info!(registry = %registry.address, "embedded chain created");
            registry
        }
    };
    Ok(ChainCtx { chain, registry, owner })
}
