//! Retention: challenges (with their verdicts) and proof jobs (with their presentations) are
//! deleted `retention_secs` after they expire or finish, by a task that also trims the rate
//! limiter's idle buckets. Nullifiers stay: they are what refuses a holder's second
//! presentation in a scope, so a scope's nullifier table grows with its accepted holders.

use crate::{error::Internal, state::now, state::AppState};
use std::{sync::Arc, time::Duration};

/// What one purge deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Purged {
    pub challenges: u64,
    pub jobs: u64,
}

/// Deletes what is past retention.
pub(crate) async fn purge(state: &AppState) -> Result<Purged, Internal> {
    let cutoff = now().saturating_sub(state.cfg.retention_secs) as i64;
    let challenges = sqlx::query("DELETE FROM challenges WHERE expires_at < ?")
        .bind(cutoff)
        .execute(&state.db)
        .await?
        .rows_affected();
    let jobs = sqlx::query("DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?")
        .bind(cutoff)
        .execute(&state.db)
        .await?
        .rows_affected();
    if let Some(l) = &state.limiter {
        l.retain_recent();
        l.shrink_to_fit();
    }
    Ok(Purged { challenges, jobs })
}

/// Purges at start, then every minute.
pub(crate) async fn purge_loop(state: Arc<AppState>) {
    loop {
        match purge(&state).await {
            Ok(p) if p != Purged::default() => {
                tracing::info!(challenges = p.challenges, jobs = p.jobs, "purged past retention")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "purge failed"),
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}
