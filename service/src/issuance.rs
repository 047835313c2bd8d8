//! Issuers: their trees, issuing credentials from FHIR, anchoring roots, Merkle paths and
//! revocation.
//!
//! Durability: a credential is acknowledged only after its encrypted package is fsynced and
//! its leaf committed in SQLite (WAL, synchronous=FULL). An anchor is a chain transaction
//! (the embedded chain's state file is fsynced) recorded in SQLite afterwards; at start the
//! chain's roots are reconciled into SQLite, so a crash between the two loses nothing.

use crate::{
    error::{AppError, AppResult, Internal, StartError, Step},
    faults::Point,
    state::{detached, new_token, now, token_hash, AppState, IssuerHandle, IssuerState},
};
use healthzk_anchor::{contracts::AnchoredRoot, Account};
use healthzk_core::{
    credential::{CredentialRequest, HolderPackage, PACKAGE_FORMAT},
    day::Day,
    field,
    holder::HolderCommitment,
    merkle::{MerklePath, MerkleTree},
    revocation::RevocationList,
    Fr,
};
use rand::rngs::OsRng;
use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

fn issuer_key_path(state: &AppState, id: &str) -> PathBuf {
    state.cfg.data_dir.join("issuers").join(format!("{id}.key"))
}

fn parse_stored(what: &str, s: &str) -> Result<Fr, Internal> {
    field::parse_hex(what, s).map_err(|e| Internal::Corrupt(format!("stored {what}: {e}")))
}

/// Records, for issuer `id`, every root the chain holds that SQLite missed (a crash between
/// the chain transaction and the SQLite row), at the leaf count whose tree has that root.
async fn reconcile(
    state: &AppState,
    id: &str,
    leaves: &[Fr],
    on_chain: &[AnchoredRoot],
    current_rev: Option<Fr>,
) -> Result<(), Internal> {
    let recorded: Vec<(String, i64)> =
        sqlx::query_as("SELECT root, leaf_count FROM anchors WHERE issuer = ?").bind(id).fetch_all(&state.db).await?;
    let missing: Vec<_> =
        on_chain.iter().filter(|r| !recorded.iter().any(|(root, _)| *root == field::to_hex(&r.root))).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut t = MerkleTree::new(state.cfg.depth)?;
    for leaf in leaves {
        t.append(*leaf)?;
        if let Some(r) = missing.iter().find(|r| r.root == t.root()) {
            tracing::warn!(issuer = %id, "recording an anchor the service had not recorded before a stop");
            sqlx::query("INSERT OR IGNORE INTO anchors (issuer, root, leaf_count, revocation_root, anchored_at) VALUES (?, ?, ?, ?, ?)")
                .bind(id)
                .bind(field::to_hex(&r.root))
                .bind(t.len() as i64)
                .bind(field::to_hex(&current_rev.unwrap_or_else(|| RevocationList::empty().root())))
                .bind(r.anchored_at as i64)
                .execute(&state.db)
                .await?;
        }
    }
    Ok(())
}

/// One issuer's state, rebuilt from SQLite and reconciled with the chain.
async fn load_issuer(state: &Arc<AppState>, id: String, country: Option<String>) -> Result<IssuerState, Internal> {
    let account = Account::load(&issuer_key_path(state, &id))?;
    let leaves: Vec<(String,)> = sqlx::query_as("SELECT commitment FROM leaves WHERE issuer = ? ORDER BY idx")
        .bind(&id)
        .fetch_all(&state.db)
        .await?;
    let leaves = leaves.iter().map(|(c,)| parse_stored("commitment", c)).collect::<Result<Vec<_>, _>>()?;
    let revoked: Vec<(i64,)> = sqlx::query_as("SELECT nonce FROM revocations WHERE issuer = ? ORDER BY nonce")
        .bind(&id)
        .fetch_all(&state.db)
        .await?;
    let revocations = RevocationList::new(revoked.into_iter().map(|(n,)| n as u64).collect())?;

    // The chain is authoritative for what was anchored: record any root SQLite missed.
    let (on_chain, current_rev) = {
        let st = Arc::clone(state);
        let address = account.address();
        tokio::task::spawn_blocking(move || -> Result<_, Internal> {
            let mut c = st.chain.lock().unwrap();
            let c = &mut *c;
            let roots = c.registry.roots(c.chain.as_mut(), address)?;
            let rev = c.registry.current_revocation_root(c.chain.as_mut(), address)?;
            Ok((roots, rev))
        })
        .await??
    };
    reconcile(state, &id, &leaves, &on_chain, current_rev).await?;
    let latest: Option<(i64,)> =
        sqlx::query_as("SELECT leaf_count FROM anchors WHERE issuer = ? ORDER BY leaf_count DESC LIMIT 1")
            .bind(&id)
            .fetch_optional(&state.db)
            .await?;
    let depth = state.cfg.depth;
    let tree = MerkleTree::from_leaves(depth, &leaves)?;
    let anchored = match latest {
        Some((n,)) => Some(MerkleTree::from_leaves(depth, &leaves[..n as usize])?),
        None => None,
    };
    {
        let mut trust = state.trust.write().unwrap();
        for r in &on_chain {
            if r.revoked_at.is_none() {
                trust.roots.insert(r.root, id.clone());
            }
        }
        if let Some(rev) = current_rev {
            trust.revocation.insert(id.clone(), rev);
        }
    }
    let mut st = IssuerState {
        id,
        account,
        country,
        pending_since: None,
        retry: None,
        tree,
        anchored,
        revocations,
        anchored_revocation: current_rev,
    };
    st.pending_since = (st.pending() > 0).then(Instant::now);
    Ok(st)
}

/// Rebuilds every issuer's state from SQLite, reconciled with the chain.
pub(crate) async fn load_issuers(state: &Arc<AppState>) -> Result<(), StartError> {
    let rows: Vec<(String, Option<String>)> = sqlx::query_as("SELECT id, country FROM issuers ORDER BY created_at")
        .fetch_all(&state.db)
        .await
        .step("storage")?;
    for (id, country) in rows {
        let st = load_issuer(state, id.clone(), country).await.step(format!("issuer {id}"))?;
        state.issuers.write().unwrap().insert(id, Arc::new(tokio::sync::Mutex::new(st)));
    }
    Ok(())
}

/// The issuer's state, or 404.
pub(crate) fn issuer(state: &AppState, id: &str) -> AppResult<IssuerHandle> {
    state.issuer(id).ok_or_else(|| AppError::not_found(format!("unknown issuer {id:?}")))
}

/// A new issuer: its id, chain address and bearer token (shown once).
pub(crate) struct NewIssuer {
    pub id: String,
    pub address: String,
    pub token: String,
}

/// Creates an issuer: a chain account (accredited on the registry, and funded where gas
/// costs) and a bearer token.
pub(crate) async fn create_issuer(state: &Arc<AppState>, name: &str, country: Option<String>) -> AppResult<NewIssuer> {
    // Key file, accreditation, row and memory: all of them, even if the request is dropped.
    detached(create_issuer_now(Arc::clone(state), name.to_string(), country)).await
}

async fn create_issuer_now(state: Arc<AppState>, name: String, country: Option<String>) -> AppResult<NewIssuer> {
    let state = &state;
    let name = name.as_str();
    let id = format!("iss_{}", &new_token("x")[2..14]);
    let token = new_token("hzki");
    let account = Account::random();
    let path = issuer_key_path(state, &id);
    let a = account.clone();
    tokio::task::spawn_blocking(move || a.save(&path)).await??;
    let st = Arc::clone(state);
    let a = account.clone();
    tokio::task::spawn_blocking(move || -> Result<(), Internal> {
        let mut c = st.chain.lock().unwrap();
        let c = &mut *c;
        c.registry.accredit_issuer(c.chain.as_mut(), &c.owner, a.address())?;
        c.fund(&a)
    })
    .await??;
    let address = account.address();
    sqlx::query("INSERT INTO issuers (id, name, country, address, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(&id)
        .bind(name)
        .bind(&country)
        .bind(address.to_string())
        .bind(hex::encode(token_hash(&token)))
        .bind(now() as i64)
        .execute(&state.db)
        .await?;
    let st = IssuerState {
        id: id.clone(),
        account,
        country,
        tree: MerkleTree::new(state.cfg.depth).map_err(Internal::from)?,
        anchored: None,
        revocations: RevocationList::empty(),
        anchored_revocation: None,
        pending_since: None,
        retry: None,
    };
    state.issuers.write().unwrap().insert(id.clone(), Arc::new(tokio::sync::Mutex::new(st)));
    tracing::info!(issuer = %id, %address, "issuer created and accredited");
    Ok(NewIssuer { id, address: address.to_string(), token })
}

/// What issuing returns.
pub(crate) struct Issued {
    pub index: u64,
    pub commitment: Fr,
    pub blob_id: String,
    pub blob: Vec<u8>,
    pub issuer_root: Fr,
}

/// Issues one credential: commit, encrypt the package to the holder, store durably, append.
pub(crate) async fn issue(
    state: &Arc<AppState>,
    handle: &IssuerHandle,
    request: CredentialRequest,
    holder: HolderCommitment,
    holder_key: &str,
    today: Day,
) -> AppResult<Issued> {
    // The leaf's commit and the tree in memory that mirrors it happen together: a request
    // dropped after the INSERT was sent must not leave the next issuance at a taken index.
    let (state, handle, key) = (Arc::clone(state), Arc::clone(handle), holder_key.to_string());
    detached(async move { issue_now(&state, &handle, request, holder, &key, today).await }).await
}

async fn issue_now(
    state: &Arc<AppState>,
    handle: &IssuerHandle,
    request: CredentialRequest,
    holder: HolderCommitment,
    holder_key: &str,
    today: Day,
) -> AppResult<Issued> {
    let mut st = handle.lock().await;
    let index = st.tree.len();
    let credential =
        request.into_credential(holder, today, index, &mut OsRng).map_err(|e| AppError::invalid(e.to_string()))?;
    let commitment = credential.commitment();
    let mut tree = st.tree.clone();
    tree.append(commitment).map_err(|e| AppError::conflict(format!("issuer tree: {e}")))?;
    let package = HolderPackage {
        format: PACKAGE_FORMAT.into(),
        credential,
        depth: tree.depth(),
        path: tree.path(index).map_err(Internal::from)?,
        issuer_root: tree.root(),
    };
    let mut plain = serde_json::to_vec(&package)?;
    let blob = crate::sealed::seal(holder_key, &plain, &mut OsRng).map_err(|e| AppError::invalid(e.to_string()));
    zeroize::Zeroize::zeroize(&mut plain);
    let blob = blob?;
    let blob_id = crate::sealed::blob_id(&blob);
    let path = blob_path(state, &blob_id);
    let b = blob.clone();
    tokio::task::spawn_blocking(move || healthzk_durable::write(&path, &b, healthzk_durable::PUBLIC)).await??;
    sqlx::query("INSERT INTO leaves (issuer, idx, commitment, blob_id, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&st.id)
        .bind(index as i64)
        .bind(field::to_hex(&commitment))
        .bind(&blob_id)
        .bind(now() as i64)
        .execute(&state.db)
        .await?;
    state.faults.check(Point::LeafCommitted).await?;
    st.tree = tree;
    if st.pending_since.is_none() {
        st.pending_since = Some(Instant::now());
    }
    let root = st.tree.root();
    let due = st.pending() >= state.cfg.anchor_every;
    drop(st);
    state.metrics.credential();
    if due {
        state.anchor_wake.notify_one();
    }
    Ok(Issued { index, commitment, blob_id, blob, issuer_root: root })
}

/// Where a blob's file lives: `blobs/<first two hex digits>/<id>`.
pub(crate) fn blob_path(state: &AppState, id: &str) -> PathBuf {
    state.cfg.data_dir.join("blobs").join(&id[..2]).join(id)
}

/// The result of anchoring.
pub(crate) struct Anchored {
    pub root: Fr,
    pub leaf_count: u64,
    pub revocation_root: Fr,
    pub anchored_at: u64,
    pub already: bool,
}

/// Anchors the issuer's current root and its revocation root, whichever the chain does not
/// have yet. Idempotent: what an earlier attempt put on chain without recording it (a store
/// failure after the transaction, a second transaction that failed after the first, a stop)
/// is recorded, not sent again.
pub(crate) async fn anchor(state: &Arc<AppState>, handle: &IssuerHandle) -> AppResult<Anchored> {
    let (state, handle) = (Arc::clone(state), Arc::clone(handle));
    detached(async move { anchor_now(&state, &handle).await }).await
}

async fn anchor_now(state: &Arc<AppState>, handle: &IssuerHandle) -> AppResult<Anchored> {
    let mut st = handle.lock().await;
    let rev_root = st.revocations.root();
    let root = st.tree.root();
    let leaf_count = st.tree.len();
    if leaf_count == 0 {
        return Err(AppError::conflict("the issuer tree is empty; issue a credential first"));
    }
    let root_done = st.anchored.as_ref().is_some_and(|t| t.len() == leaf_count);
    let rev_done = st.anchored_revocation == Some(rev_root);
    if root_done && rev_done {
        return Ok(Anchored { root, leaf_count, revocation_root: rev_root, anchored_at: 0, already: true });
    }
    let account = st.account.clone();
    let s2 = Arc::clone(state);
    let stamp = tokio::task::spawn_blocking(move || -> Result<u64, Internal> {
        let mut c = s2.chain.lock().unwrap();
        let c = &mut *c;
        let address = account.address();
        let mut t = 0;
        if !root_done {
            t = match c.registry.root_info(c.chain.as_mut(), address, &root)? {
                Some((at, _)) => at,
                None => {
                    c.fund(&account)?;
                    s2.faults.check_blocking(Point::ChainAnchorRoot)?;
                    c.registry.anchor_root(c.chain.as_mut(), &account, &root)?.block_timestamp
                }
            };
        }
        if !rev_done {
            t = match c.registry.revocation_root_info(c.chain.as_mut(), address, &rev_root)? {
                Some((at, _)) => at.max(t),
                None => {
                    c.fund(&account)?;
                    s2.faults.check_blocking(Point::ChainAnchorRevocationRoot)?;
                    c.registry.anchor_revocation_root(c.chain.as_mut(), &account, &rev_root)?.block_timestamp
                }
            };
        }
        Ok(t)
    })
    .await??;
    let issuer_id = st.id.clone();
    if !root_done {
        state.faults.check(Point::StoreAnchor).await?;
        sqlx::query("INSERT OR IGNORE INTO anchors (issuer, root, leaf_count, revocation_root, anchored_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&issuer_id)
            .bind(field::to_hex(&root))
            .bind(leaf_count as i64)
            .bind(field::to_hex(&rev_root))
            .bind(stamp as i64)
            .execute(&state.db)
            .await?;
        st.anchored = Some(st.tree.clone());
        st.pending_since = None;
        state.metrics.anchor();
    }
    st.anchored_revocation = Some(rev_root);
    st.retry = None;
    {
        let mut trust = state.trust.write().unwrap();
        if !root_done {
            trust.roots.insert(root, issuer_id.clone());
        }
        trust.revocation.insert(issuer_id.clone(), rev_root);
    }
    tracing::info!(issuer = %issuer_id, leaf_count, "anchored");
    Ok(Anchored { root, leaf_count, revocation_root: rev_root, anchored_at: stamp, already: false })
}

/// The path of credential `index` to the issuer's latest anchored root. A credential that
/// does not exist and one not anchored yet get the same answer: the route is public, and must
/// not tell how many credentials an issuer has issued since its last anchor.
pub(crate) async fn anchored_path(state: &AppState, issuer_id: &str, index: u64) -> AppResult<(MerklePath, Fr)> {
    let handle = issuer(state, issuer_id)?;
    let st = handle.lock().await;
    match &st.anchored {
        Some(t) if index < t.len() => Ok((t.path(index).map_err(Internal::from)?, t.root())),
        _ => Err(AppError::not_found(format!(
            "issuer {issuer_id:?} has no anchored credential #{index} (credentials are anchored every {} or {} s, or on POST …/anchor)",
            state.cfg.anchor_every, state.cfg.anchor_interval_secs
        ))),
    }
}

/// What revoking did: the revocation is committed either way; `anchored` says whether its root
/// is on chain yet (if not, the service anchors it as soon as the chain takes it, also after a
/// restart, and until then verifiers accept the previous revocation root).
pub(crate) struct Revoked {
    pub revocation_root: Fr,
    pub anchored: bool,
}

/// Revokes credential `index` (its nonce) and anchors the new revocation root. Asking again
/// for a revocation whose anchoring failed anchors it; asking again after it is anchored is a
/// 409.
pub(crate) async fn revoke(state: &Arc<AppState>, handle: &IssuerHandle, index: u64) -> AppResult<Revoked> {
    let (state, handle) = (Arc::clone(state), Arc::clone(handle));
    detached(async move { revoke_now(&state, &handle, index).await }).await
}

async fn revoke_now(state: &Arc<AppState>, handle: &IssuerHandle, index: u64) -> AppResult<Revoked> {
    {
        let mut st = handle.lock().await;
        if index >= st.tree.len() {
            return Err(AppError::not_found(format!("issuer {:?} has no credential #{index}", st.id)));
        }
        if st.revocations.is_revoked(index) {
            if st.anchored_revocation == Some(st.revocations.root()) {
                return Err(AppError::conflict(format!("credential #{index} is already revoked")));
            }
        } else {
            let list = st.revocations.with(index).map_err(|e| AppError::invalid(e.to_string()))?;
            sqlx::query("INSERT INTO revocations (issuer, nonce, revoked_at) VALUES (?, ?, ?)")
                .bind(&st.id)
                .bind(index as i64)
                .bind(now() as i64)
                .execute(&state.db)
                .await?;
            st.revocations = list;
        }
    }
    match anchor_now(state, handle).await {
        Ok(a) => Ok(Revoked { revocation_root: a.revocation_root, anchored: true }),
        Err(e) if e.status.is_server_error() => {
            let root = handle.lock().await.revocations.root();
            tracing::warn!(error = %e.message, "revocation committed, its anchoring failed; the service retries it");
            state.anchor_wake.notify_one();
            Ok(Revoked { revocation_root: root, anchored: false })
        }
        Err(e) => Err(e),
    }
}

/// Anchors, for every issuer, what is due: unanchored credentials past the count or the age
/// limit, and a revocation root the chain does not have (a revocation whose anchoring failed,
/// also before a restart). Failures are retried with backoff (1 s doubling to 60 s).
pub(crate) async fn anchor_loop(state: Arc<AppState>) {
    let interval = Duration::from_secs(state.cfg.anchor_interval_secs);
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(1), state.anchor_wake.notified()).await;
        let handles: Vec<_> = state.issuers.read().unwrap().values().cloned().collect();
        for h in handles {
            let (id, due) = {
                let st = h.lock().await;
                let pending = st.pending();
                let old = st.pending_since.is_some_and(|t| !interval.is_zero() && t.elapsed() >= interval);
                let leaves_due = pending > 0 && (pending >= state.cfg.anchor_every || old);
                let revocation_due = st.anchored_revocation != Some(st.revocations.root())
                    && (st.anchored.is_some() || !st.revocations.revoked().is_empty());
                let waiting = st.retry.is_some_and(|(at, _)| Instant::now() < at);
                (st.id.clone(), (leaves_due || revocation_due) && !waiting)
            };
            if due {
                if let Err(e) = anchor(&state, &h).await {
                    let mut st = h.lock().await;
                    let backoff =
                        st.retry.map_or(Duration::from_secs(1), |(_, b)| (b * 2).min(Duration::from_secs(60)));
                    st.retry = Some((Instant::now() + backoff, backoff));
                    tracing::error!(issuer = %id, error = %e.message, retry_in_s = backoff.as_secs(), "scheduled anchoring failed");
                }
            }
        }
    }
}
