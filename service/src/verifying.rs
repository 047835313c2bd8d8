//! Verifiers' side: single-use challenges bound to a policy (or model) and a scope, and
//! presentations checked against them — the proof, the anchored roots, the revocation root of
//! the same issuer, the date window — then the challenge consumed and, where the challenge
//! asks, the nullifier recorded for its scope (a second presentation by the same holder in
//! the scope is refused).

use crate::{
    error::{AppError, AppResult, Internal},
    faults::Point,
    state::{detached, now, AppState},
};
use ark_bn254::Bn254;
use ark_groth16::Proof;
use axum::http::StatusCode;
use healthzk_core::{field, presentation::Presentation, statement::PublicInputs, Fr};
use healthzk_verifier::{Expectations, Rejection};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A verdict as the API reports it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Outcome {
    pub accepted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullifier: Option<String>,
    /// For a challenge already settled: the verdict it was settled with (a verifier whose
    /// answer was lost asks again and learns it; the presentation is not accepted twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled: Option<Box<Outcome>>,
}

impl Outcome {
    fn rejected(state: &AppState, kind: &'static str, reason: impl Into<String>) -> Self {
        state.metrics.verdict(kind);
        Outcome { accepted: false, reason: Some(reason.into()), nullifier: None, settled: None }
    }
}

/// A refusal, and whether it counts against its challenge (a presentation that answered a
/// live challenge and failed a check; after `challenge_max_failures` the challenge retires).
struct Refusal {
    outcome: Outcome,
    charge: Option<Fr>,
}

impl From<Outcome> for Refusal {
    fn from(outcome: Outcome) -> Self {
        Refusal { outcome, charge: None }
    }
}

pub(crate) struct ChallengeRow {
    pub policy_hash: Fr,
    pub statement: String,
    pub scope: String,
    pub one_per_holder: bool,
    pub expires_at: u64,
    pub used: bool,
    pub retired: bool,
    pub failures: u32,
    pub verdict: Option<Outcome>,
}

pub(crate) async fn challenge_row(state: &AppState, challenge: &Fr) -> AppResult<Option<ChallengeRow>> {
    type Row = (String, String, String, bool, i64, Option<i64>, Option<i64>, i64, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT policy_hash, statement, scope, one_per_holder, expires_at, used_at, retired_at, failures, verdict FROM challenges WHERE challenge = ?",
    )
    .bind(field::to_hex(challenge))
    .fetch_optional(&state.db)
    .await?;
    Ok(match row {
        None => None,
        Some((p, statement, scope, one, exp, used, retired, failures, verdict)) => Some(ChallengeRow {
            policy_hash: field::parse_hex("stored policy_hash", &p).map_err(Internal::from)?,
            statement,
            scope,
            one_per_holder: one,
            expires_at: exp as u64,
            used: used.is_some(),
            retired: retired.is_some(),
            failures: failures as u32,
            verdict: verdict.map(|v| serde_json::from_str(&v)).transpose().map_err(Internal::from)?,
        }),
    })
}

/// Counts a refused presentation against its challenge, retiring it at the limit.
async fn charge(state: &AppState, challenge: &Fr) -> AppResult<()> {
    sqlx::query(
        "UPDATE challenges SET failures = failures + 1, retired_at = CASE WHEN failures + 1 >= ? THEN ? ELSE NULL END WHERE challenge = ? AND used_at IS NULL AND retired_at IS NULL",
    )
    .bind(state.cfg.challenge_max_failures as i64)
    .bind(now() as i64)
    .bind(field::to_hex(challenge))
    .execute(&state.db)
    .await?;
    Ok(())
}

/// A presentation that passed every check but the Groth16 one.
type Checked = (PublicInputs, Proof<Bn254>, Arc<healthzk_verifier::Verifier>, ChallengeRow);

/// Everything but the Groth16 check: format, challenge, roots, window. Returns the parsed
/// public inputs, the proof and the challenge's terms, or the verdict.
async fn precheck(state: &AppState, p: &Presentation) -> AppResult<Result<Checked, Refusal>> {
    let public = p.public.parse().map_err(|e| AppError::invalid(format!("presentation.public: {e}")))?;
    let proof =
        healthzk_verifier::decode_proof(&p.proof).map_err(|e| AppError::invalid(format!("presentation.proof: {e}")))?;
    let Some(row) = challenge_row(state, &public.challenge).await? else {
        return Ok(Err(Outcome::rejected(
            state,
            "unknown_challenge",
            "unknown challenge: this verifier did not issue it",
        )
        .into()));
    };
    if row.used {
        let mut o = Outcome::rejected(state, "replay", "challenge already used: a presentation is accepted once");
        o.settled = row.verdict.map(Box::new);
        return Ok(Err(o.into()));
    }
    if row.retired {
        return Ok(Err(Outcome::rejected(
            state,
            "retired",
            format!("challenge retired after {} refused presentations; request a new one", row.failures),
        )
        .into()));
    }
    if now() > row.expires_at {
        return Ok(Err(Outcome::rejected(state, "expired", "challenge expired; request a new one").into()));
    }
    let charge = Some(public.challenge);
    if p.statement != row.statement {
        let o = Outcome::rejected(
            state,
            "statement",
            format!("statement {:?}; the challenge asks for {:?}", p.statement, row.statement),
        );
        return Ok(Err(Refusal { outcome: o, charge }));
    }
    let Some(verifier) = state.verifiers.read().unwrap().get(&p.key_id).cloned() else {
        let o = Outcome::rejected(state, "key", format!("unknown key id {}", p.key_id));
        return Ok(Err(Refusal { outcome: o, charge }));
    };
    let scope = field::from_short_str("scope", &row.scope).map_err(Internal::from)?;
    let (roots, revocation) = {
        let trust = state.trust.read().unwrap();
        match trust.roots.get(&public.issuer_root) {
            Some(issuer) => (vec![public.issuer_root], trust.revocation.get(issuer).copied().into_iter().collect()),
            None => (vec![], vec![]),
        }
    };
    let today = crate::state::today();
    let (earliest, latest) = healthzk_verifier::as_of_window(today, state.cfg.tolerance_days);
    let e = Expectations {
        policy_hash: row.policy_hash,
        challenge: public.challenge,
        scope,
        earliest,
        latest,
        accepted_roots: roots,
        accepted_revocation_roots: revocation,
    };
    if let Err(r) = verifier.check_terms(p, &public, &e) {
        return Ok(Err(Refusal { outcome: rejection(state, r), charge }));
    }
    Ok(Ok((public, proof, verifier, row)))
}

fn rejection(state: &AppState, r: Rejection) -> Outcome {
    let kind = match &r {
        Rejection::RootNotAccepted => "root",
        Rejection::RevocationRootNotAccepted => "revocation_root",
        Rejection::PolicyMismatch => "policy",
        Rejection::ScopeMismatch => "scope",
        Rejection::AsOfOutsideWindow { .. } => "as_of",
        Rejection::InvalidProof => "invalid_proof",
        _ => "other",
    };
    Outcome::rejected(state, kind, r.to_string())
}

/// Consumes the challenge (if still live and unexpired) and records the nullifier; the
/// verdict is stored with the challenge in the same transaction.
async fn settle(state: &AppState, public: &PublicInputs, row: &ChallengeRow) -> AppResult<Outcome> {
    state.faults.check(Point::BeforeSettle).await?;
    let challenge = field::to_hex(&public.challenge);
    let at = now();
    let mut tx = state.db.begin().await?;
    let used = sqlx::query(
        "UPDATE challenges SET used_at = ? WHERE challenge = ? AND used_at IS NULL AND retired_at IS NULL AND expires_at >= ?",
    )
    .bind(at as i64)
    .bind(&challenge)
    .bind(at as i64)
    .execute(&mut *tx)
    .await?;
    if used.rows_affected() != 1 {
        drop(tx);
        // Lost a race to another presentation of the same challenge, or the challenge expired
        // or retired while this one was checked.
        return Ok(match challenge_row(state, &public.challenge).await? {
            Some(r) if r.used => {
                let mut o =
                    Outcome::rejected(state, "replay", "challenge already used: a presentation is accepted once");
                o.settled = r.verdict.map(Box::new);
                o
            }
            Some(r) if r.retired => Outcome::rejected(state, "retired", "challenge retired; request a new one"),
            _ => Outcome::rejected(state, "expired", "challenge expired; request a new one"),
        });
    }
    let mut verdict =
        Outcome { accepted: true, reason: None, nullifier: Some(field::to_hex(&public.nullifier)), settled: None };
    let mut kind = "accepted";
    if row.one_per_holder {
        let r = sqlx::query("INSERT OR IGNORE INTO nullifiers (scope, nullifier, accepted_at) VALUES (?, ?, ?)")
            .bind(&row.scope)
            .bind(field::to_hex(&public.nullifier))
            .bind(at as i64)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() != 1 {
            kind = "nullifier";
            verdict = Outcome {
                accepted: false,
                reason: Some(format!("this holder already presented in scope {:?} (nullifier seen before)", row.scope)),
                nullifier: None,
                settled: None,
            };
        }
    }
    sqlx::query("UPDATE challenges SET verdict = ? WHERE challenge = ?")
        .bind(serde_json::to_string(&verdict)?)
        .bind(&challenge)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    state.metrics.verdict(kind);
    state.faults.check(Point::VerdictCommitted).await?;
    Ok(verdict)
}

/// A refusal's verdict, charging its challenge where the refusal counts.
async fn refuse(state: &AppState, r: Refusal) -> AppResult<Outcome> {
    if let Some(c) = r.charge {
        charge(state, &c).await?;
    }
    Ok(r.outcome)
}

/// A permit for verification work, or 503 with Retry-After when all are taken.
fn permit(state: &AppState) -> AppResult<tokio::sync::OwnedSemaphorePermit> {
    Arc::clone(&state.verify_permits).try_acquire_owned().map_err(|_| {
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "verification is at capacity; retry shortly").retry_after(1)
    })
}

/// Verifies one presentation against the challenge it answers, then settles the challenge.
/// The settling runs to its end even if the request is dropped.
pub(crate) async fn verify_one(state: &Arc<AppState>, p: Presentation) -> AppResult<Outcome> {
    let permit = permit(state)?;
    let state = Arc::clone(state);
    detached(async move {
        // Held to the end (settling too), also when the request is dropped meanwhile.
        let _permit = permit;
        let (public, proof, verifier, row) = match precheck(&state, &p).await? {
            Ok(x) => x,
            Err(r) => return refuse(&state, r).await,
        };
        let challenge = public.challenge;
        let ok = tokio::task::spawn_blocking(move || verifier.verify_proof(&public, &proof).map(|_| public)).await?;
        match ok {
            Ok(public) => settle(&state, &public, &row).await,
            Err(r) => refuse(&state, Refusal { outcome: rejection(&state, r), charge: Some(challenge) }).await,
        }
    })
    .await
}

/// Verifies many presentations: the Groth16 checks of those passing the other checks run as
/// one batch per key (random linear combination; a failing batch names its bad proofs).
pub(crate) async fn verify_batch(state: &Arc<AppState>, ps: Vec<Presentation>) -> AppResult<Vec<Outcome>> {
    let permit = permit(state)?;
    let state = Arc::clone(state);
    detached(async move {
        let _permit = permit;
        verify_batch_now(&state, &ps).await
    })
    .await
}

async fn verify_batch_now(state: &Arc<AppState>, ps: &[Presentation]) -> AppResult<Vec<Outcome>> {
    let mut out: Vec<Option<Outcome>> = Vec::with_capacity(ps.len());
    let mut pending: Vec<(usize, Checked)> = vec![];
    for (i, p) in ps.iter().enumerate() {
        match precheck(state, p).await {
            Ok(Ok(checked)) => {
                out.push(None);
                pending.push((i, checked));
            }
            Ok(Err(r)) => out.push(Some(refuse(state, r).await?)),
            // A store or chain failure is the service's (5xx), not a refusal of this item.
            Err(e) if e.status.is_server_error() => return Err(e),
            Err(e) => {
                out.push(Some(Outcome::rejected(state, "malformed", format!("presentations[{i}]: {}", e.message))))
            }
        }
    }
    // Group by verifier (key id), batch each group on a blocking thread.
    let mut groups: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (k, (_, (_, _, v, _))) in pending.iter().enumerate() {
        groups.entry(v.key_id_hex()).or_default().push(k);
    }
    let mut bad = vec![false; pending.len()];
    for (_, members) in groups {
        let v = Arc::clone(&pending[members[0]].1 .2);
        let items: Vec<_> = members.iter().map(|&k| (pending[k].1 .0, pending[k].1 .1.clone())).collect();
        let failed = tokio::task::spawn_blocking(move || v.verify_proof_batch(&items, &mut rand::rngs::OsRng)).await?;
        if let Err(idx) = failed {
            for j in idx {
                bad[members[j]] = true;
            }
        }
    }
    for (k, (i, (public, _, _, row))) in pending.iter().enumerate() {
        out[*i] = Some(if bad[k] {
            let o = rejection(state, Rejection::InvalidProof);
            refuse(state, Refusal { outcome: o, charge: Some(public.challenge) }).await?
        } else {
            // A batch may hold two presentations for one challenge: settle consumes it once.
            settle(state, public, row).await?
        });
    }
    Ok(out.into_iter().map(|o| o.expect("every item has an outcome")).collect())
}
