//! Private record-level revocation.
//!
//! Every credential carries a `revocation_nonce` (the issuer uses the leaf index). The issuer
//! keeps the set of revoked nonces and commits to its **complement**: the gaps between the
//! sorted revoked nonces within `[0, 2^64 − 1]`, each a leaf `Poseidon(TAG_REVOCATION_GAP, lo,
//! hi)` of a quaternary tree of depth [`REVOCATION_DEPTH`], leaves in increasing order. The
//! root is anchored like a tree root. A statement proves that its credential's nonce lies in
//! one gap under the public `revocation_root` — so it is not revoked — without saying which
//! gap. Non-membership is sound by construction: the prover can only open a gap the issuer
//! committed to, and the gaps leave out exactly the revoked nonces.
//!
//! The revoked nonces are public (holders need them to build their opening without asking
//! anyone); they are leaf indices, which name commitments in the issuer tree, never a holder
//! or a record. A verifier sees only the root.

use crate::{
    field::from_short_str,
    merkle::{MerklePath, MerkleTree},
    poseidon, Error, Fr, Result,
};
use serde::{Deserialize, Serialize};

/// Depth (index bits) of the revocation tree: 2^16 gaps, so up to 65,535 revoked nonces.
pub const REVOCATION_DEPTH: usize = 16;
/// Most nonces one list can revoke.
pub const MAX_REVOKED: usize = (1 << REVOCATION_DEPTH) - 1;

/// Domain tag of gap leaves: bytes of `"healthzk/revocation-gap/v1"`.
pub fn revocation_tag() -> Fr {
    from_short_str("tag", "healthzk/revocation-gap/v1").expect("short tag")
}

/// Leaf of a gap `[lo, hi]`: `Poseidon(revocation_tag, lo, hi)`.
pub fn gap_leaf(lo: u64, hi: u64) -> Fr {
    poseidon::hash(&[revocation_tag(), Fr::from(lo), Fr::from(hi)])
}

/// An issuer's revoked nonces and the committed gaps between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    revoked: Vec<u64>,
    gaps: Vec<(u64, u64)>,
    tree: MerkleTree,
}

/// The witness that a nonce is not revoked: the gap containing it and the gap's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationOpening {
    /// Gap lower bound.
    pub lo: u64,
    /// Gap upper bound.
    pub hi: u64,
    /// Path of the gap's leaf in the revocation tree.
    pub path: MerklePath,
}

impl RevocationOpening {
    /// The revocation root this opening leads to.
    pub fn root(&self) -> Fr {
        self.path.root(gap_leaf(self.lo, self.hi))
    }

    /// Whether the gap contains `nonce`.
    pub fn contains(&self, nonce: u64) -> bool {
        self.lo <= nonce && nonce <= self.hi
    }

    /// An opening that opens nothing (all zeros), to fill a witness that cannot hold.
    pub fn none() -> Self {
        RevocationOpening {
            lo: 0,
            hi: 0,
            path: MerklePath {
                index: 0,
                siblings: vec![Fr::from(0u64); crate::merkle::siblings_len(REVOCATION_DEPTH)],
            },
        }
    }
}

impl RevocationList {
    /// The list revoking `revoked` (any order; duplicates are merged).
    pub fn new(mut revoked: Vec<u64>) -> Result<Self> {
        revoked.sort_unstable();
        revoked.dedup();
        if revoked.len() > MAX_REVOKED {
            return Err(Error::invalid(format!(
                "a revocation list holds at most {MAX_REVOKED} nonces, got {}",
                revoked.len()
            )));
        }
        let gaps = crate::policy::gaps(&revoked);
        let leaves: Vec<Fr> = gaps.iter().map(|&(lo, hi)| gap_leaf(lo, hi)).collect();
        let tree = MerkleTree::from_leaves(REVOCATION_DEPTH, &leaves)?;
        Ok(RevocationList { revoked, gaps, tree })
    }

    /// The list revoking nothing (one gap, `[0, 2^64 − 1]`).
    pub fn empty() -> Self {
        Self::new(Vec::new()).expect("the empty list fits")
    }

    /// The revoked nonces, sorted.
    pub fn revoked(&self) -> &[u64] {
        &self.revoked
    }

    /// The gaps, sorted.
    pub fn gaps(&self) -> &[(u64, u64)] {
        &self.gaps
    }

    /// Whether `nonce` is revoked.
    pub fn is_revoked(&self, nonce: u64) -> bool {
        self.revoked.binary_search(&nonce).is_ok()
    }

    /// This list with `nonce` revoked too.
    pub fn with(&self, nonce: u64) -> Result<Self> {
        let mut v = self.revoked.clone();
        v.push(nonce);
        Self::new(v)
    }

    /// The revocation root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The opening showing `nonce` is not revoked; `None` if it is.
    pub fn opening(&self, nonce: u64) -> Option<RevocationOpening> {
        // The last gap starting at or below `nonce`.
        let i = self.gaps.partition_point(|&(lo, _)| lo <= nonce).checked_sub(1)?;
        let (lo, hi) = self.gaps[i];
        (nonce <= hi).then(|| RevocationOpening { lo, hi, path: self.tree.path(i as u64).expect("leaf exists") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_list_is_one_gap() {
        let l = RevocationList::empty();
        assert_eq!(l.gaps(), &[(0, u64::MAX)]);
        let o = l.opening(12345).unwrap();
        assert_eq!(o.root(), l.root());
        assert_eq!((o.lo, o.hi), (0, u64::MAX));
    }

    #[test]
    fn edges_of_the_range() {
        let l = RevocationList::new(vec![0, u64::MAX, 7, 7]).unwrap();
        assert_eq!(l.revoked(), &[0, 7, u64::MAX]);
        assert_eq!(l.gaps(), &[(1, 6), (8, u64::MAX - 1)]);
        for n in [0, 7, u64::MAX] {
            assert!(l.is_revoked(n));
            assert!(l.opening(n).is_none(), "{n}");
        }
        for n in [1, 6, 8, u64::MAX - 1] {
            let o = l.opening(n).unwrap();
            assert!(o.contains(n));
            assert_eq!(o.root(), l.root());
        }
    }

    #[test]
    fn too_many_nonces_are_refused() {
        let v: Vec<u64> = (0..=MAX_REVOKED as u64).map(|i| 2 * i).collect();
        assert!(matches!(RevocationList::new(v), Err(Error::Invalid(_))));
    }

    #[test]
    fn revoking_changes_the_root_and_keeps_others_provable() {
        let a = RevocationList::new(vec![3, 10]).unwrap();
        let b = a.with(5).unwrap();
        assert_ne!(a.root(), b.root());
        assert!(a.opening(5).is_some() && b.opening(5).is_none());
        let o = b.opening(4).unwrap();
        assert_eq!((o.lo, o.hi, o.root()), (4, 4, b.root()));
        // An old opening leads to the old root only.
        assert_ne!(a.opening(4).unwrap().root(), b.root());
    }

    proptest! {
        #[test]
        fn opening_exists_iff_not_revoked(revoked in prop::collection::vec(0u64..200, 0..40), n in 0u64..200) {
            let l = RevocationList::new(revoked.clone()).unwrap();
            let o = l.opening(n);
            prop_assert_eq!(o.is_none(), revoked.contains(&n));
            if let Some(o) = o {
                prop_assert!(o.contains(n));
                prop_assert_eq!(o.root(), l.root());
                prop_assert!(!revoked.iter().any(|&r| o.contains(r)));
            }
        }
    }
}
