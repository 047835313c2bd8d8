//! Starting the service: the data dir, SQLite and its migrations, the admin token, the keys
//! (a development setup if there are none, which it says), the chain, the issuers' trees
//! reconciled with the chain, and the provers of the registered models' shapes.

use crate::{
    chain,
    config::Config,
    error::{StartError, Step},
    faults::Faults,
    metrics::Metrics,
    state::{new_token, now, token_hash, AppState, Trust},
};
use healthzk_core::{model::Model, statement::Statement};
use healthzk_prover::{KeyDir, KeyName, Provenance, Prover};
use healthzk_verifier::Verifier;
use rand::rngs::OsRng;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::{
    collections::HashMap,
    path::Path,
    sync::{atomic::AtomicUsize, Arc, Mutex, RwLock},
    time::Duration,
};

async fn open_db(data: &Path) -> Result<SqlitePool, StartError> {
    // Only the service's user reads the database: created 0600 before SQLite opens it (its
    // -wal and -shm files take the database's mode).
    let file = data.join("healthzk.sqlite");
    healthzk_durable::create_file(&file, healthzk_durable::SECRET).step(file.display().to_string())?;
    healthzk_durable::restrict(&file, healthzk_durable::SECRET).step(file.display().to_string())?;
    let opts = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let db = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .step(format!("SQLite in {}", data.display()))?;
    sqlx::migrate!("./migrations").run(&db).await.step("migrations")?;
    // Jobs interrupted by a stop or crash: their inputs (holder secrets) were never stored.
    sqlx::query(
        "UPDATE jobs SET status = 'failed', error = 'interrupted by a service restart; submit it again', finished_at = ? WHERE status IN ('queued', 'running')",
    )
    .bind(now() as i64)
    .execute(&db)
    .await
    .step("jobs")?;
    Ok(db)
}

/// The admin token: configured, or the one generated into the data dir at first start.
fn admin_token(cfg: &Config) -> Result<String, StartError> {
    match &cfg.admin_token {
        Some(t) if t.len() >= 16 => Ok(t.clone()),
        Some(_) => Err(StartError::Config("admin token: at least 16 characters".into())),
        None => {
            let path = cfg.data_dir.join("admin.token");
            if path.exists() {
                Ok(std::fs::read_to_string(&path).step(path.display().to_string())?.trim().to_string())
            } else {
                let t = new_token("hzka");
                healthzk_durable::write(&path, t.as_bytes(), healthzk_durable::SECRET)
                    .step(path.display().to_string())?;
                tracing::info!(path = %path.display(), "generated the admin token");
                Ok(t)
            }
        }
    }
}

/// The credential-query prover from the keys directory, or from a development setup written
/// there if it has none.
fn query_prover(keys: &KeyDir, depth: usize, dev: bool) -> Result<Prover, StartError> {
    if !keys.has(&KeyName::Query) {
        if !dev {
            return Err(StartError::Config(format!(
                "no {} keys in {}: pass --keys DIR with the keys of a ceremony, or --dev for a single-party setup (FOR DEVELOPMENT ONLY)",
                Statement::CredentialQuery,
                keys.path().display()
            )));
        }
        tracing::warn!(
            keys = %keys.path().display(),
            "no credential-query keys: running a single-party setup — FOR DEVELOPMENT ONLY (production keys come from a multi-party ceremony)"
        );
        let step = format!("{} development setup", Statement::CredentialQuery);
        let pk = healthzk_prover::setup(depth, &mut OsRng).step(&step)?;
        let id = keys.write(&KeyName::Query, &pk, depth).step(step)?;
        tracing::info!(key_id = %id, "credential-query keys written");
    }
    let prover = keys.query_prover().step(format!("{} keys", Statement::CredentialQuery))?;
    match keys.provenance_line(&KeyName::Query, &prover.key_id()).step("the keys' ceremony record")? {
        (Provenance::Development, line) => tracing::warn!("keys: {line}"),
        (Provenance::Ceremony(_), line) => tracing::info!("keys: {line}"),
    }
    if prover.depth() != depth {
        return Err(StartError::Config(format!(
            "{} serves depth {}; the service is configured for depth {depth}",
            keys.pk_path(&KeyName::Query).display(),
            prover.depth()
        )));
    }
    Ok(prover)
}

/// Opens (or creates) everything under the data dir.
pub async fn start(cfg: Config, faults: Faults) -> Result<Arc<AppState>, StartError> {
    cfg.validate().map_err(StartError::Config)?;
    let data = cfg.data_dir.clone();
    // The data dir holds issuers' chain keys, the admin token and the database: its owner's
    // only (0700, also when an earlier version made it with the umask's mode).
    healthzk_durable::create_dir(&data, healthzk_durable::PRIVATE_DIR).step(data.display().to_string())?;
    healthzk_durable::restrict(&data, healthzk_durable::PRIVATE_DIR).step(data.display().to_string())?;
    let db = open_db(&data).await?;
    let admin = admin_token(&cfg)?;
    let threads = if cfg.prover_threads == 0 {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
    } else {
        cfg.prover_threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("healthzk-prover-{i}"))
        // Jobs catch their own panics; this is the last line, so that none takes the process.
        .panic_handler(|_| tracing::error!("a prover-pool task panicked"))
        .build()
        .map_err(|e| StartError::Config(format!("prover pool: {e}")))?;
    let verify_permits = if cfg.max_verifications == 0 { 4 * threads } else { cfg.max_verifications };
    // A second's worth at once, refilled at the rate.
    let limiter = std::num::NonZeroU32::new(cfg.verify_rate_limit)
        .map(|n| governor::RateLimiter::keyed(governor::Quota::per_second(n)));
    let keys = KeyDir::new(cfg.keys());
    let query_prover = pool.install(|| query_prover(&keys, cfg.depth, cfg.dev))?;
    let qv = Verifier::new(Statement::CredentialQuery, &query_prover.proving_key().vk, query_prover.key_id().0);
    // A JSON-RPC chain runs its own runtime: it is opened, like every chain call, off this one.
    let c = cfg.clone();
    let chain = tokio::task::spawn_blocking(move || chain::open(&c)).await.step("chain")?.step("chain")?;
    let state = Arc::new(AppState {
        cfg,
        db,
        chain: Mutex::new(chain),
        issuers: RwLock::new(HashMap::new()),
        trust: RwLock::new(Trust::default()),
        keys,
        query_prover: Arc::new(query_prover),
        score_provers: RwLock::new(HashMap::new()),
        verifiers: RwLock::new(HashMap::from([(qv.key_id_hex(), Arc::new(qv))])),
        pool,
        in_flight: AtomicUsize::new(0),
        queue_by_client: Mutex::new(HashMap::new()),
        verify_permits: Arc::new(tokio::sync::Semaphore::new(verify_permits)),
        limiter,
        metrics: Metrics::default(),
        admin_hash: token_hash(&admin),
        anchor_wake: tokio::sync::Notify::new(),
        faults,
    });
    crate::issuance::load_issuers(&state).await?;
    let models: Vec<(String,)> = sqlx::query_as("SELECT body FROM models").fetch_all(&state.db).await.step("models")?;
    for (body,) in models {
        let model = Model::from_json(&body).step("stored model")?;
        let st = Arc::clone(&state);
        tokio::task::spawn_blocking(move || st.score_prover(model.shape()))
            .await
            .step("score keys")?
            .step("score keys")?;
    }
    Ok(state)
}
