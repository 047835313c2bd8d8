//! The credential-query statement, natively: its witness, and [`check`] (over the public
//! inputs every statement shares, [`crate::statement::PublicInputs`]), which evaluates every relation the circuit enforces and names the first that
//! fails. `healthzk-circuits::query` is its R1CS twin; tests require that they agree.

use crate::{
    credential::Credential,
    field,
    holder::HolderSecret,
    merkle::MerklePath,
    policy::{CompiledPolicy, MAX_SET_CLAUSES},
    revocation::{RevocationOpening, REVOCATION_DEPTH},
    statement::PublicInputs,
    Fr,
};
use std::fmt;

/// Everything the prover knows.
#[derive(Clone)]
pub struct QueryWitness {
    /// The credential.
    pub credential: Credential,
    /// The holder's secret.
    pub secret: HolderSecret,
    /// Path of the credential's commitment in the issuer tree.
    pub path: MerklePath,
    /// The gap of the issuer's revocation list holding the credential's nonce.
    pub revocation: RevocationOpening,
    /// The verifier's policy, compiled.
    pub policy: CompiledPolicy,
}

impl fmt::Debug for QueryWitness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryWitness").finish_non_exhaustive()
    }
}

/// A relation of the statement that does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unsatisfied {
    /// The credential's schema is not the policy's.
    Schema,
    /// The credential's holder commitment is not `Poseidon(secret)`.
    Holder,
    /// The commitment's path does not lead to `issuer_root` (or has the wrong depth).
    IssuerRoot,
    /// The credential's revocation nonce is not in the opened gap: it is revoked.
    Revoked,
    /// The opened gap is not under `revocation_root`.
    RevocationRoot,
    /// `nullifier ≠ Poseidon(secret, scope)`.
    Nullifier,
    /// `policy_hash` is not the hash of the policy.
    PolicyHash,
    /// The credential expired before `as_of`.
    Expired,
    /// Comparison clause `i` fails.
    Compare(usize),
    /// Set clause `i` fails.
    Set(usize),
    /// `policy_hash` is not the hash of the model (score statement).
    ModelHash,
    /// The model does not validate: its dimensions or widths are out of range (score statement).
    InvalidModel,
    /// Slot `j` is too wide to be a model input (score statement).
    SlotTooWide(usize),
    /// Hidden neuron `k` overflows after its rescale (score statement).
    Overflow(usize),
    /// The model's score is not on the asserted side of the threshold (score statement).
    Threshold,
}

impl fmt::Display for Unsatisfied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsatisfied::Schema => write!(f, "the credential's schema is not the one the policy or model reads"),
            Unsatisfied::Holder => write!(f, "the holder secret does not match the credential"),
            Unsatisfied::IssuerRoot => write!(f, "the credential is not under the issuer root"),
            Unsatisfied::Revoked => write!(f, "the credential is revoked"),
            Unsatisfied::RevocationRoot => write!(f, "the revocation opening is not under the revocation root"),
            Unsatisfied::Nullifier => write!(f, "the nullifier is not Poseidon(secret, scope)"),
            Unsatisfied::PolicyHash => write!(f, "the policy hash does not match the policy"),
            Unsatisfied::Expired => write!(f, "the credential expired before as_of"),
            Unsatisfied::Compare(i) => write!(f, "comparison clause {i} does not hold"),
            Unsatisfied::Set(i) => write!(f, "set clause {i} (in/not_in) does not hold"),
            Unsatisfied::ModelHash => write!(f, "the model hash does not match the model"),
            Unsatisfied::InvalidModel => write!(f, "the model does not validate (dimensions or widths)"),
            Unsatisfied::SlotTooWide(j) => write!(f, "slot {j} is too wide to be a model input"),
            Unsatisfied::Overflow(k) => write!(f, "hidden neuron {k} overflows its width"),
            Unsatisfied::Threshold => write!(f, "the score is not on the asserted side of the threshold"),
        }
    }
}

/// Evaluates every relation of the statement; `Err` names the first that fails, in the
/// order of [`Unsatisfied`].
pub fn check(public: &PublicInputs, w: &QueryWitness, depth: usize) -> std::result::Result<(), Unsatisfied> {
    let c = &w.credential;
    if c.schema != w.policy.schema {
        return Err(Unsatisfied::Schema);
    }
    check_binding(public, c, &w.secret, &w.path, &w.revocation, depth)?;
    if w.policy.hash() != public.policy_hash {
        return Err(Unsatisfied::PolicyHash);
    }
    if c.expires < public.as_of {
        return Err(Unsatisfied::Expired);
    }
    for (i, cl) in w.policy.compare.iter().enumerate() {
        if !cl.holds(&c.slots, public.as_of.0) {
            return Err(Unsatisfied::Compare(i));
        }
    }
    for (i, s) in w.policy.sets.iter().enumerate() {
        if let Some(s) = s {
            if !s.holds(&c.slots) {
                return Err(Unsatisfied::Set(i));
            }
        }
    }
    Ok(())
}

/// The relations every statement shares: holder binding, membership under the issuer root,
/// non-revocation under the revocation root, and the nullifier.
pub fn check_binding(
    public: &PublicInputs,
    c: &Credential,
    secret: &HolderSecret,
    path: &MerklePath,
    revocation: &RevocationOpening,
    depth: usize,
) -> std::result::Result<(), Unsatisfied> {
    if c.holder != secret.commitment() {
        return Err(Unsatisfied::Holder);
    }
    if path.check_depth(depth).is_err() || path.root(c.commitment()) != public.issuer_root {
        return Err(Unsatisfied::IssuerRoot);
    }
    if !revocation.contains(c.revocation_nonce) {
        return Err(Unsatisfied::Revoked);
    }
    if revocation.path.check_depth(REVOCATION_DEPTH).is_err() || revocation.root() != public.revocation_root {
        return Err(Unsatisfied::RevocationRoot);
    }
    if secret.nullifier(public.scope) != public.nullifier {
        return Err(Unsatisfied::Nullifier);
    }
    Ok(())
}

/// The witness of one set clause: interval bounds and path (for padding or a failing
/// clause, interval 0 of the set or zeros).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOpening {
    /// Whether the clause is in use.
    pub used: bool,
    /// Slot tested.
    pub a: usize,
    /// Committed root (0 for padding).
    pub root: Fr,
    /// Interval lower bound.
    pub lo: u64,
    /// Interval upper bound.
    pub hi: u64,
    /// Path of the interval leaf.
    pub path: MerklePath,
}

impl QueryWitness {
    /// Openings of every set clause for this credential.
    pub fn set_openings(&self) -> [SetOpening; MAX_SET_CLAUSES] {
        std::array::from_fn(|i| match &self.policy.sets[i] {
            None => SetOpening {
                used: false,
                a: 0,
                root: Fr::from(0u64),
                lo: 0,
                hi: 0,
                path: MerklePath {
                    index: 0,
                    siblings: vec![Fr::from(0u64); crate::merkle::siblings_len(crate::policy::SET_TREE_DEPTH)],
                },
            },
            Some(s) => {
                let x = field::to_u64(&self.credential.slots[s.a]);
                let (lo, hi, path) = x.and_then(|x| s.set.opening(x)).unwrap_or_else(|| s.set.first_opening());
                SetOpening { used: true, a: s.a, root: s.set.root(), lo, hi, path }
            }
        })
    }
}
