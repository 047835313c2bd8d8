//! Verifiers' side: single-use challenges bound to a policy (or model) and a scope, and
//! presentations checked against them — the proof, the anchored roots, the revocation root of
//! the same issuer, the date window — then the challenge consumed and, where the challenge
//! asks, the nullifier recorded for its scope (a second presentation by the same holder in
//! the scope is refused).

use crate::{
    error::{AppError, AppResult, Internal},
    state::{now, AppState},
};
use ark_bn254::Bn254;
use ark_groth16::Proof;
use healthzk_core::{field, presentation::Presentation, statement::PublicInputs, Fr};
use healthzk_verifier::{Expectations, Rejection};
use serde::Serialize;
use std::sync::Arc;

/// A verdict as the API reports it.
#[derive(Debug, Serialize)]
pub(crate) struct Outcome {
    pub accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nullifier: Option<String>,
}

impl Outcome {
    fn rejected(state: &AppState, kind: &str, reason: impl Into<String>) -> Self {
        state.metrics.verdict(kind);
        Outcome { accepted: false, reason: Some(reason.into()), nullifier: None }
    }
}

pub(crate) struct ChallengeRow {
    pub policy_hash: Fr,
    pub statement: String,
    pub scope: String,
    pub one_per_holder: bool,
    pub expires_at: u64,
    pub used: bool,
}

async fn challenge_row(state: &AppState, challenge: &Fr) -> AppResult<Option<ChallengeRow>> {
    let row: Option<(String, String, String, bool, i64, Option<i64>)> = sqlx::query_as(
        "SELECT policy_hash, statement, scope, one_per_holder, expires_at, used_at FROM challenges WHERE challenge = ?",
    )
    .bind(field::to_hex(challenge))
    .fetch_optional(&state.db)
    .await?;
    Ok(match row {
        None => None,
        Some((p, statement, scope, one, exp, used)) => Some(ChallengeRow {
            policy_hash: field::parse_hex("stored policy_hash", &p).map_err(Internal::from)?,
            statement,
            scope,
            one_per_holder: one,
            expires_at: exp as u64,
            used: used.is_some(),
        }),
    })
}

/// A presentation that passed every check but the Groth16 one.
type Checked = (PublicInputs, Proof<Bn254>, Arc<healthzk_verifier::Verifier>, ChallengeRow);

/// Everything but the Groth16 check: format, challenge, roots, window. Returns the parsed
/// public inputs, the proof and the challenge's terms, or the verdict.
async fn precheck(state: &AppState, p: &Presentation) -> AppResult<Result<Checked, Outcome>> {
    let public = p.public.parse().map_err(|e| AppError::invalid(format!("presentation.public: {e}")))?;
    let proof =
        healthzk_verifier::decode_proof(&p.proof).map_err(|e| AppError::invalid(format!("presentation.proof: {e}")))?;
    let Some(row) = challenge_row(state, &public.challenge).await? else {
        return Ok(Err(Outcome::rejected(
            state,
            "unknown_challenge",
            "unknown challenge: this verifier did not issue it",
        )));
    };
    if row.used {
        return Ok(Err(Outcome::rejected(state, "replay", "challenge already used: a presentation is accepted once")));
    }
    if now() > row.expires_at {
        return Ok(Err(Outcome::rejected(state, "expired", "challenge expired; request a new one")));
    }
    if p.statement != row.statement {
        return Ok(Err(Outcome::rejected(
            state,
            "statement",
            format!("statement {:?}; the challenge asks for {:?}", p.statement, row.statement),
        )));
    }
    let Some(verifier) = state.verifiers.read().unwrap().get(&p.key_id).cloned() else {
        return Ok(Err(Outcome::rejected(state, "key", format!("unknown key id {}", p.key_id))));
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
    let tol = state.cfg.tolerance_days as i64;
    let e = Expectations {
        policy_hash: row.policy_hash,
        challenge: public.challenge,
        scope,
        earliest: today.plus(-tol),
        latest: today.plus(tol),
        accepted_roots: roots,
        accepted_revocation_roots: revocation,
    };
    if let Err(r) = verifier.check_terms(p, &public, &e) {
        return Ok(Err(rejection(state, r)));
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

/// Consumes the challenge and records the nullifier; the verdict.
async fn settle(state: &AppState, public: &PublicInputs, row: &ChallengeRow) -> AppResult<Outcome> {
    let mut tx = state.db.begin().await?;
    let used = sqlx::query("UPDATE challenges SET used_at = ? WHERE challenge = ? AND used_at IS NULL")
        .bind(now() as i64)
        .bind(field::to_hex(&public.challenge))
        .execute(&mut *tx)
        .await?;
    if used.rows_affected() != 1 {
        return Ok(Outcome::rejected(state, "replay", "challenge already used: a presentation is accepted once"));
    }
    if row.one_per_holder {
        let r = sqlx::query("INSERT OR IGNORE INTO nullifiers (scope, nullifier, accepted_at) VALUES (?, ?, ?)")
            .bind(&row.scope)
            .bind(field::to_hex(&public.nullifier))
            .bind(now() as i64)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() != 1 {
            tx.commit().await?;
            return Ok(Outcome::rejected(
                state,
                "nullifier",
                format!("this holder already presented in scope {:?} (nullifier seen before)", row.scope),
            ));
        }
    }
    tx.commit().await?;
    state.metrics.verdict("accepted");
    Ok(Outcome { accepted: true, reason: None, nullifier: Some(field::to_hex(&public.nullifier)) })
}

/// Verifies one presentation against the challenge it answers.
pub(crate) async fn verify_one(state: &Arc<AppState>, p: &Presentation) -> AppResult<Outcome> {
    let (public, proof, verifier, row) = match precheck(state, p).await? {
        Ok(x) => x,
        Err(o) => return Ok(o),
    };
    let ok = tokio::task::spawn_blocking(move || verifier.verify_proof(&public, &proof).map(|_| public)).await?;
    match ok {
        Ok(public) => settle(state, &public, &row).await,
        Err(r) => Ok(rejection(state, r)),
    }
}

/// Verifies many presentations: the Groth16 checks of those passing the other checks run as
/// one batch per key (random linear combination; a failing batch names its bad proofs).
pub(crate) async fn verify_batch(state: &Arc<AppState>, ps: &[Presentation]) -> AppResult<Vec<Outcome>> {
    let mut out: Vec<Option<Outcome>> = Vec::with_capacity(ps.len());
    let mut pending: Vec<(usize, Checked)> = vec![];
    for (i, p) in ps.iter().enumerate() {
        match precheck(state, p).await {
            Ok(Ok(checked)) => {
                out.push(None);
                pending.push((i, checked));
            }
            Ok(Err(o)) => out.push(Some(o)),
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
            rejection(state, Rejection::InvalidProof)
        } else {
            // A batch may hold two presentations for one challenge: settle consumes it once.
            settle(state, public, row).await?
        });
    }
    Ok(out.into_iter().map(|o| o.expect("every item has an outcome")).collect())
}
