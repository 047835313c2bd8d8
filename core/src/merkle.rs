//! Fixed-depth, append-only (incremental) Merkle tree over BN254 `Fr`.
//!
//! Nodes are `Poseidon(left, right)` (2 inputs). Leaves are always outputs of a Poseidon of a
//! *different* arity whose first input is a domain tag (credential commitments: 9 inputs; set
//! intervals: 3 inputs), so no leaf can be read as a node or vice versa. An empty leaf is 0.
//! Path bits are the leaf index, least significant bit at the leaf level: bit 1 means the
//! current node is the right child.

// Loops walk `levels[l]` and `zeros[l]` together by level; indexing reads clearer than zips.
#![allow(clippy::needless_range_loop)]

use crate::{field, poseidon, Error, Fr, Result};
use serde::{Deserialize, Serialize};

/// An append-only Merkle tree of fixed depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    depth: usize,
    /// Roots of empty subtrees per height, computed once per tree (see [`empty_roots`]).
    zeros: Vec<Fr>,
    /// `levels[0]` are the leaves appended so far; `levels[l]` the nodes at height `l` that have
    /// at least one non-empty leaf below them.
    levels: Vec<Vec<Fr>>,
}

/// A leaf's authentication path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerklePath {
    /// Leaf index (its bits, LSB first, are the path bits).
    pub index: u64,
    /// Siblings from the leaf level up; exactly `depth` of them.
    #[serde(with = "field::hex_fr_vec")]
    pub siblings: Vec<Fr>,
}

/// Roots of empty subtrees: `zeros[0] = 0`, `zeros[l+1] = H(zeros[l], zeros[l])`.
pub fn empty_roots(depth: usize) -> Vec<Fr> {
    let mut z = vec![Fr::from(0u64)];
    for l in 0..depth {
        z.push(poseidon::hash2(z[l], z[l]));
    }
    z
}

impl MerkleTree {
    /// An empty tree of `depth` levels (1 ≤ depth ≤ 32).
    pub fn new(depth: usize) -> Result<Self> {
        if !(1..=32).contains(&depth) {
            return Err(Error::Tree(format!("depth {depth} outside 1..=32")));
        }
        Ok(MerkleTree { depth, zeros: empty_roots(depth), levels: vec![Vec::new(); depth + 1] })
    }

    /// A tree holding `leaves` in order.
    pub fn from_leaves(depth: usize, leaves: &[Fr]) -> Result<Self> {
        let mut t = Self::new(depth)?;
        if leaves.len() as u128 > 1u128 << depth {
            return Err(Error::Tree(format!("{} leaves do not fit depth {depth}", leaves.len())));
        }
        let zeros = t.zeros.clone();
        t.levels[0] = leaves.to_vec();
        for l in 0..depth {
            let below = &t.levels[l];
            let up: Vec<Fr> = below.chunks(2).map(|c| poseidon::hash2(c[0], *c.get(1).unwrap_or(&zeros[l]))).collect();
            t.levels[l + 1] = up;
        }
        Ok(t)
    }

    /// The tree depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves appended.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether no leaf was appended yet.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The leaves, in order.
    pub fn leaves(&self) -> &[Fr] {
        &self.levels[0]
    }

    /// Appends a leaf and returns its index.
    pub fn append(&mut self, leaf: Fr) -> Result<u64> {
        let index = self.len();
        if index as u128 >= 1u128 << self.depth {
            return Err(Error::Tree(format!("tree of depth {} is full", self.depth)));
        }
        let zeros = &self.zeros;
        self.levels[0].push(leaf);
        let mut i = index as usize;
        let mut cur = leaf;
        for l in 0..self.depth {
            let sib = if i.is_multiple_of(2) {
                *self.levels[l].get(i + 1).unwrap_or(&zeros[l])
            } else {
                self.levels[l][i - 1]
            };
            cur = if i.is_multiple_of(2) { poseidon::hash2(cur, sib) } else { poseidon::hash2(sib, cur) };
            i /= 2;
            let up = &mut self.levels[l + 1];
            if i < up.len() {
                up[i] = cur;
            } else {
                up.push(cur);
            }
        }
        Ok(index)
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.levels[self.depth].first().copied().unwrap_or(self.zeros[self.depth])
    }

    /// The path of leaf `index` in the current tree.
    pub fn path(&self, index: u64) -> Result<MerklePath> {
        if index >= self.len() {
            return Err(Error::Tree(format!("no leaf at index {index} (tree has {})", self.len())));
        }
        let zeros = &self.zeros;
        let mut i = index as usize;
        let mut siblings = Vec::with_capacity(self.depth);
        for l in 0..self.depth {
            let s = i ^ 1;
            siblings.push(*self.levels[l].get(s).unwrap_or(&zeros[l]));
            i /= 2;
        }
        Ok(MerklePath { index, siblings })
    }
}

impl MerklePath {
    /// The root this path leads to from `leaf`.
    pub fn root(&self, leaf: Fr) -> Fr {
        let mut cur = leaf;
        for (l, sib) in self.siblings.iter().enumerate() {
            cur = if (self.index >> l) & 1 == 0 { poseidon::hash2(cur, *sib) } else { poseidon::hash2(*sib, cur) };
        }
        cur
    }

    /// Checks the path has exactly `depth` siblings and an index that fits.
    pub fn check_depth(&self, depth: usize) -> Result<()> {
        if self.siblings.len() != depth {
            return Err(Error::Tree(format!("path has {} siblings, the tree depth is {depth}", self.siblings.len())));
        }
        if depth < 64 && self.index >> depth != 0 {
            return Err(Error::Tree(format!("index {} does not fit depth {depth}", self.index)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_root_depth_20_is_pinned() {
        // Root of the empty depth-20 tree with 0 leaves and Poseidon(l, r) nodes.
        let t = MerkleTree::new(20).unwrap();
        assert_eq!(t.root(), empty_roots(20)[20]);
        assert_eq!(
            field::to_hex(&empty_roots(1)[1]),
            "0x2098f5fb9e239eab3ceac3f27b81e481dc3124d55ffed523a839ee8446b64864"
        );
    }

    #[test]
    fn full_tree_refuses_more() {
        let mut t = MerkleTree::new(2).unwrap();
        for i in 0..4u64 {
            assert_eq!(t.append(Fr::from(i + 1)).unwrap(), i);
        }
        assert!(matches!(t.append(Fr::from(9u64)), Err(Error::Tree(_))));
        assert!(t.path(4).is_err());
    }

    proptest! {
        #[test]
        fn incremental_equals_batch_and_paths_verify(n in 1usize..40, depth in 6usize..9) {
            let leaves: Vec<Fr> = (0..n as u64).map(|i| Fr::from(i * 7 + 3)).collect();
            let mut inc = MerkleTree::new(depth).unwrap();
            for l in &leaves {
                inc.append(*l).unwrap();
            }
            let batch = MerkleTree::from_leaves(depth, &leaves).unwrap();
            prop_assert_eq!(inc.root(), batch.root());
            for (i, l) in leaves.iter().enumerate() {
                let p = inc.path(i as u64).unwrap();
                p.check_depth(depth).unwrap();
                prop_assert_eq!(p.root(*l), inc.root());
                prop_assert_ne!(p.root(*l + Fr::from(1u64)), inc.root());
            }
        }
    }
}
