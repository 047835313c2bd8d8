//! Proof jobs: a request is checked and turned into a statement on the async side (cheap),
//! then proved on the rayon pool (CPU-bound, never on the runtime). The queue is bounded:
//! beyond `max_queue` jobs queued or running the service answers 503 with Retry-After.
//!
//! Inputs hold the holder's secret and credential: they live in memory for the job's life
//! only. SQLite keeps a job's status and, when done, its presentation (public by design).

use crate::{
    client::ClientKey,
    error::{AppError, AppResult, Internal},
    faults::Point,
    registry::{resolve_target, TargetKind},
    state::{new_token, now, today, AppState},
};
use axum::http::StatusCode;
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
    /// The holder package (decrypted from the issuer's blob), parsed in [`prepare`] so that a
    /// malformed one is refused on its content (422) like the rest of it.
    package: serde_json::Value,
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
pub(crate) async fn prepare(state: &Arc<AppState>, mut req: ProveRequest) -> AppResult<Job> {
    let pkg: HolderPackage = serde_json::from_value(std::mem::take(&mut req.package))
        .map_err(|e| AppError::invalid(format!("package: {e}")))?;
    let secret =
        HolderSecret::from_hex(&req.holder_secret).map_err(|e| AppError::invalid(format!("holder_secret: {e}")))?;
    let pkg = &pkg;
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
    let (earliest, latest) = healthzk_verifier::as_of_window(today(), state.cfg.tolerance_days);
    if as_of < earliest || as_of > latest {
        return Err(AppError::invalid(format!(
            "as_of {as_of}: verifiers accept {earliest} to {latest} (today, or up to {} days before; never a future day)",
            state.cfg.tolerance_days
        )));
    }
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
        // Verifiers check against the anchored revocation root: a proof against a list whose
        // anchoring is still under way (a revocation answered 202) would be refused by all.
        if st.anchored_revocation != Some(st.revocations.root()) {
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "this issuer's latest revocations are not anchored yet, and verifiers check against the anchored list; retry shortly",
            )
            .retry_after(5));
        }
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

/// Queue slots, held by jobs. They are released when the guard drops: when the job that owns
/// it ends (however it ends), or when the request that reserved them is dropped before its
/// jobs started. No path leaks a slot.
pub(crate) struct Slots {
    state: Arc<AppState>,
    client: ClientKey,
    n: usize,
}

impl Slots {
    /// One of these slots, for one job.
    pub fn one(&mut self) -> Slots {
        assert!(self.n > 0, "more jobs than reserved slots");
        self.n -= 1;
        Slots { state: Arc::clone(&self.state), client: self.client, n: 1 }
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        if self.n == 0 {
            return;
        }
        self.state.in_flight.fetch_sub(self.n, Ordering::AcqRel);
        self.state.metrics.queue_depth(-(self.n as i64));
        let mut by_client = self.state.queue_by_client.lock().unwrap();
        if let Some(c) = by_client.get_mut(&self.client) {
            *c -= self.n.min(*c);
            if *c == 0 {
                by_client.remove(&self.client);
            }
        }
    }
}

/// Reserves `n` queue slots for `client`: 429 with Retry-After beyond the client's share,
/// 503 with Retry-After when the queue is full.
pub(crate) fn reserve(state: &Arc<AppState>, client: ClientKey, n: usize) -> AppResult<Slots> {
    let share = state.cfg.max_queue_per_client.min(state.cfg.max_queue);
    {
        let mut by_client = state.queue_by_client.lock().unwrap();
        let max = state.cfg.max_queue;
        let cur = state.in_flight.load(Ordering::Acquire);
        if cur + n > max {
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the proof queue is full ({cur} of {max} jobs); retry later"),
            )
            .retry_after(2));
        }
        let mine = by_client.get(&client).copied().unwrap_or(0);
        if mine + n > share {
            state.metrics.rate_limited();
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("your share of the proof queue is in use ({mine} of {share} jobs); retry later"),
            )
            .retry_after(2));
        }
        // Reservations take this lock, so the check and the add are one step.
        state.in_flight.fetch_add(n, Ordering::AcqRel);
        *by_client.entry(client).or_default() += n;
    }
    state.metrics.queue_depth(n as i64);
    Ok(Slots { state: Arc::clone(state), client, n })
}

/// Why a job failed: the statement is false (the client's problem) or the service failed.
pub(crate) enum JobError {
    Unsatisfied(String),
    Internal(Internal),
}

/// Proves a job (on the calling thread: a prover-pool thread).
fn prove(state: &AppState, job: Job) -> Result<Presentation, JobError> {
    state.faults.check_blocking(Point::ProverJob).map_err(|e| JobError::Internal(e.into()))?;
    let out = match job {
        Job::Query(public, w) => state.query_prover.present(&public, &w, &mut OsRng),
        Job::Score(public, w) => match state.score_prover(w.model.shape()) {
            Ok(p) => p.prove(&public, &w, &mut OsRng).map(|proof| p.wrap(&public, proof)),
            Err(e) => return Err(JobError::Internal(e)),
        },
    };
    match out {
        Ok(p) => Ok(p),
        Err(healthzk_prover::ProveError::Unsatisfied(u)) => {
            Err(JobError::Unsatisfied(format!("the statement does not hold: {u}")))
        }
        Err(e) => Err(JobError::Internal(e.into())),
    }
}

/// Runs a job on the prover pool; `slot` is released when it ends. A panicking job is a
/// failed job (logged), not a dead process.
pub(crate) async fn run(state: &Arc<AppState>, job: Job, slot: Slots) -> Result<Presentation, JobError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let st = Arc::clone(state);
    let statement = job.statement();
    state.pool.spawn(move || {
        let _slot = slot;
        let t = Instant::now();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prove(&st, job))).unwrap_or_else(|_| {
            tracing::error!(statement = statement.name(), "a proof job panicked; the job failed, the service goes on");
            Err(JobError::Internal(Internal::Stopped("the proof job panicked")))
        });
        st.metrics.proof(statement, out.is_ok(), t.elapsed().as_secs_f64());
        let _ = tx.send(out);
    });
    rx.await.unwrap_or_else(|_| Err(JobError::Internal(Internal::Stopped("the prover thread ended"))))
}

/// Records `jobs` (one transaction) and starts them, each owning one of `slots`. Call it
/// through [`detached`]: once it runs, a dropped request cannot leave a job recorded but never
/// started, or a slot held by nothing.
pub(crate) async fn start_jobs(state: Arc<AppState>, jobs: Vec<Job>, mut slots: Slots) -> AppResult<Vec<String>> {
    state.faults.check(Point::StoreJob).await?;
    let mut tx = state.db.begin().await?;
    let mut ids = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let id = format!("job_{}", &new_token("x")[2..26]);
        sqlx::query("INSERT INTO jobs (id, statement, status, created_at) VALUES (?, ?, 'queued', ?)")
            .bind(&id)
            .bind(job.statement().name())
            .bind(now() as i64)
            .execute(&mut *tx)
            .await?;
        ids.push(id);
    }
    tx.commit().await?;
    for (id, job) in ids.iter().zip(jobs) {
        tokio::spawn(run_recorded(Arc::clone(&state), id.clone(), job, slots.one()));
    }
    Ok(ids)
}

/// What a stored job says when its statement does not hold: not which clause failed (a job's
/// status is readable by whoever holds its id).
pub(crate) const UNSATISFIED: &str = "the statement does not hold for this credential";

/// Runs an async job to its end and records the outcome.
async fn run_recorded(state: Arc<AppState>, id: String, job: Job, slot: Slots) {
    let _ = sqlx::query("UPDATE jobs SET status = 'running' WHERE id = ?").bind(&id).execute(&state.db).await;
    let (status, result, error) = match run(&state, job, slot).await {
        Ok(p) => ("done", serde_json::to_string(&p).ok(), None),
        Err(JobError::Unsatisfied(_)) => ("failed", None, Some(UNSATISFIED.to_string())),
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
