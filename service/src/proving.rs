//! Proof jobs: a request is checked and turned into a statement on the async side (cheap),
//! then proved on the rayon pool (CPU-bound, never on the runtime). The queue is bounded:
//! beyond `max_queue` jobs queued or running the service answers 503 with Retry-After.
//!
//! Inputs hold the holder's secret and credential: they live in memory for the job's life
//! only. SQLite keeps a job's status and, when done, its presentation (public by design).

use crate::{
    error::{AppError, AppResult, Internal},
    registry::{resolve_target, TargetKind},
    state::{new_token, now, today, AppState},
};
use healthzk_core::{
    credential::{HolderPackage, PACKAGE_FORMAT},
    day::Day,
    field,
    holder::HolderSecret,
    policy::Policy,
    presentation::Presentation,
    query::QueryWitness,
    score::ScoreWitness,
    statement::{PublicInputs, Statement},
    Fr,
};
use rand::rngs::OsRng;
use serde::Deserialize;
use std::{
    sync::{atomic::Ordering, Arc},
    time::Instant,
};
use zeroize::Zeroize;

/// A proof request: the holder's secret and package, and the verifier's session.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProveRequest {
    /// The holder secret (0x hex).
    holder_secret: String,
    /// The holder package (decrypted from the issuer's blob).
    package: HolderPackage,
    /// The policy itself…
    #[serde(default)]
    policy: Option<Policy>,
    /// …or the hash of a registered policy (credential query)…
    #[serde(default)]
    policy_hash: Option<String>,
    /// …or the hash of a registered model (score threshold).
    #[serde(default)]
    model_hash: Option<String>,
    /// The verifier's challenge (0x hex).
    challenge: String,
    /// The verifier's scope (1–31 bytes).
    scope: String,
    /// The day the statement speaks of (default: today, UTC).
    #[serde(default)]
    as_of: Option<String>,
}

impl Drop for ProveRequest {
    fn drop(&mut self) {
        self.holder_secret.zeroize();
    }
}

/// A statement ready to prove.
pub(crate) enum Job {
    Query(PublicInputs, Box<QueryWitness>),
    Score(PublicInputs, Box<ScoreWitness>),
}

impl Job {
    pub fn statement(&self) -> Statement {
        match self {
            Job::Query(..) => Statement::CredentialQuery,
            Job::Score(..) => Statement::ScoreThreshold,
        }
    }
}

fn fr(name: &str, s: &str) -> AppResult<Fr> {
    field::parse_hex(name, s).map_err(|e| AppError::invalid(e.to_string()))
}

/// Checks a request and builds its statement: the credential must be one of this service's
/// anchored leaves; the path is refreshed to the issuer's latest anchored root.
pub(crate) async fn prepare(state: &Arc<AppState>, req: ProveRequest) -> AppResult<Job> {
    let secret =
        HolderSecret::from_hex(&req.holder_secret).map_err(|e| AppError::invalid(format!("holder_secret: {e}")))?;
    let pkg = &req.package;
    if pkg.format != PACKAGE_FORMAT {
        return Err(AppError::invalid(format!("package.format: expected {PACKAGE_FORMAT:?}, got {:?}", pkg.format)));
    }
    if secret.commitment() != pkg.credential.holder {
        return Err(AppError::invalid("holder_secret: not the secret of the package's holder"));
    }
    let challenge = fr("challenge", &req.challenge)?;
    let scope = field::from_short_str("scope", &req.scope).map_err(|e| AppError::invalid(e.to_string()))?;
    let as_of = match &req.as_of {
        Some(s) => Day::parse("as_of", s).map_err(|e| AppError::invalid(e.to_string()))?,
        None => today(),
    };
    let commitment = pkg.credential.commitment();
    let row: Option<(String, i64)> = sqlx::query_as("SELECT issuer, idx FROM leaves WHERE commitment = ?")
        .bind(field::to_hex(&commitment))
        .fetch_optional(&state.db)
        .await?;
    let (issuer_id, index) =
        row.ok_or_else(|| AppError::invalid("package: this credential was not issued by this service"))?;
    let (path, issuer_root) = crate::issuance::anchored_path(state, &issuer_id, index as u64).await?;
    let list = {
        let h = crate::issuance::issuer(state, &issuer_id)?;
        let st = h.lock().await;
        st.revocations.clone()
    };
    let revocation = list
        .opening(pkg.credential.revocation_nonce)
        .ok_or_else(|| AppError::invalid("package: the credential is revoked"))?;
    let nullifier = secret.nullifier(scope);
    let mut public = PublicInputs {
        issuer_root,
        policy_hash: Fr::from(0u64),
        as_of,
        challenge,
        scope,
        nullifier,
        revocation_root: list.root(),
    };
    let credential = pkg.credential.clone();
    let target =
        resolve_target(state, req.policy.as_ref(), req.policy_hash.as_deref(), req.model_hash.as_deref()).await?;
    public.policy_hash = target.hash;
    Ok(match target.kind {
        TargetKind::Query(policy) => {
            Job::Query(public, Box::new(QueryWitness { credential, secret, path, revocation, policy: *policy }))
        }
        TargetKind::Score(model) => {
            Job::Score(public, Box::new(ScoreWitness { credential, secret, path, revocation, model: *model }))
        }
    })
}

/// Reserves a queue slot, or answers 503 with Retry-After.
pub(crate) fn reserve(state: &AppState, n: usize) -> AppResult<()> {
    let max = state.cfg.max_queue;
    let mut cur = state.in_flight.load(Ordering::Acquire);
    loop {
        if cur + n > max {
            return Err(AppError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                format!("the proof queue is full ({cur} of {max} jobs); retry later"),
            )
            .retry_after(2));
        }
        match state.in_flight.compare_exchange(cur, cur + n, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                state.metrics.queue_depth.fetch_add(n as u64, Ordering::Relaxed);
                return Ok(());
            }
            Err(now) => cur = now,
        }
    }
}

/// Releases `n` reserved slots (for jobs that will not run).
pub(crate) fn release(state: &AppState, n: usize) {
    state.in_flight.fetch_sub(n, Ordering::AcqRel);
    state.metrics.queue_depth.fetch_sub(n as u64, Ordering::Relaxed);
}

/// Why a job failed: the statement is false (the client's problem) or the service failed.
pub(crate) enum JobError {
    Unsatisfied(String),
    Internal(Internal),
}

/// Runs a job (with a reserved slot) on the prover pool; the slot is released when it ends.
pub(crate) async fn run(state: &Arc<AppState>, job: Job) -> Result<Presentation, JobError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let st = Arc::clone(state);
    let statement = job.statement();
    state.pool.spawn(move || {
        let t = Instant::now();
        let out = match job {
            Job::Query(public, w) => st.query_prover.present(&public, &w, &mut OsRng),
            Job::Score(public, w) => match st.score_prover(w.model.shape()) {
                Ok(p) => p.prove(&public, &w, &mut OsRng).map(|proof| p.wrap(&public, proof)),
                Err(e) => Err(healthzk_prover::ProveError::WrongKey(e.to_string())),
            },
        };
        let out = match out {
            Ok(p) => Ok(p),
            Err(healthzk_prover::ProveError::Unsatisfied(u)) => {
                Err(JobError::Unsatisfied(format!("the statement does not hold: {u}")))
            }
            Err(e) => Err(JobError::Internal(e.into())),
        };
        st.metrics.proof(statement.name(), if out.is_ok() { "done" } else { "failed" }, t.elapsed().as_secs_f64());
        release(&st, 1);
        let _ = tx.send(out);
    });
    rx.await.unwrap_or_else(|_| Err(JobError::Internal(Internal::Stopped("the prover thread ended"))))
}

/// Records a new async job.
pub(crate) async fn record_job(state: &AppState, statement: Statement) -> AppResult<String> {
    let id = format!("job_{}", &new_token("x")[2..26]);
    sqlx::query("INSERT INTO jobs (id, statement, status, created_at) VALUES (?, ?, 'queued', ?)")
        .bind(&id)
        .bind(statement.name())
        .bind(now() as i64)
        .execute(&state.db)
        .await?;
    Ok(id)
}

/// Runs an async job to its end and records the outcome.
pub(crate) async fn run_recorded(state: Arc<AppState>, id: String, job: Job) {
    let _ = sqlx::query("UPDATE jobs SET status = 'running' WHERE id = ?").bind(&id).execute(&state.db).await;
    let (status, result, error) = match run(&state, job).await {
        Ok(p) => ("done", serde_json::to_string(&p).ok(), None),
        Err(JobError::Unsatisfied(m)) => ("failed", None, Some(m)),
        Err(JobError::Internal(e)) => {
            tracing::error!(job = %id, error = %e, "proof job failed");
            ("failed", None, Some("internal error (logged on the server)".to_string()))
        }
    };
    let r = sqlx::query("UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = ? WHERE id = ?")
        .bind(status)
        .bind(result)
        .bind(error)
        .bind(now() as i64)
        .bind(&id)
        .execute(&state.db)
        .await;
    if let Err(e) = r {
        tracing::error!(job = %id, error = %e, "could not record the job's outcome");
    }
}
