//! Fixed-depth, append-only (incremental) quaternary Merkle tree over BN254 `Fr`.
//!
//! A node is `Poseidon(c0, c1, c2, c3)` (4 inputs, 297 constraints in a circuit: two binary
//! levels cost 480), so a tree of `depth` index bits has `depth / 2` levels; `depth` is even.
//! Leaves are always outputs of a Poseidon of a *different* arity whose first input is a domain
//! tag (credential commitments: 9 inputs; set intervals and revocation gaps: 3 inputs), so no
//! leaf can be read as a node or vice versa. An empty leaf is 0.
//!
//! A leaf's path is its index, whose bits (least significant first) are read two per level:
//! the position `p = b0 + 2·b1` among its four siblings-and-self, and three siblings per level
//! in the order the circuit consumes them: the partner in its pair (`p ^ 1`), then the other
//! pair, left then right.

// Loops walk `levels[l]` and `zeros[l]` together by level; indexing reads clearer than zips.
#![allow(clippy::needless_range_loop)]

use crate::{poseidon, Error, Fr, Result};
use serde::{Deserialize, Serialize};

/// Children per node.
pub const ARITY: usize = 4;

/// An append-only Merkle tree of fixed depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    depth: usize,
    /// Roots of empty subtrees per level, computed once per tree (see [`empty_roots`]).
    zeros: Vec<Fr>,
    /// `levels[0]` are the leaves appended so far; `levels[l]` the nodes at level `l` that have
    /// at least one non-empty leaf below them.
    levels: Vec<Vec<Fr>>,
}

/// A leaf's authentication path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerklePath {
    /// Leaf index (its bits, LSB first, two per level, are the path bits).
    pub index: u64,
    /// Siblings from the leaf level up, three per level; exactly [`siblings_len`]`(depth)`.
    #[serde(with = "crate::serde_adapters::hex_fr_vec")]
    pub siblings: Vec<Fr>,
}

/// Number of levels of a tree of `depth` index bits.
pub const fn levels(depth: usize) -> usize {
    depth / 2
}

/// Number of siblings in a path of a tree of `depth` index bits.
pub const fn siblings_len(depth: usize) -> usize {
    3 * levels(depth)
}

/// A node: `Poseidon(c0, c1, c2, c3)`.
pub fn node(c: [Fr; ARITY]) -> Fr {
    poseidon::hash(&c)
}

/// Roots of empty subtrees per level: `zeros[0] = 0`, `zeros[l+1] = node(zeros[l]; 4)`.
pub fn empty_roots(depth: usize) -> Vec<Fr> {
    let mut z = vec![Fr::from(0u64)];
    for l in 0..levels(depth) {
        z.push(node([z[l]; ARITY]));
    }
    z
}

/// The four children of a node from the path's view: `cur` at position `p`, `sib` the three
/// siblings in path order.
pub fn arrange(cur: Fr, p: usize, sib: [Fr; 3]) -> [Fr; ARITY] {
    let (l, r) = if p & 1 == 0 { (cur, sib[0]) } else { (sib[0], cur) };
    if p & 2 == 0 {
        [l, r, sib[1], sib[2]]
    } else {
        [sib[1], sib[2], l, r]
    }
}

/// Checks `depth` is a valid tree depth: an even number of index bits in 2..=32.
pub fn check_depth(depth: usize) -> Result<()> {
    if !(2..=32).contains(&depth) || !depth.is_multiple_of(2) {
        return Err(Error::Tree(format!("depth {depth} is not an even number in 2..=32")));
    }
    Ok(())
}

impl MerkleTree {
    /// An empty tree of `depth` index bits (even, 2 ≤ depth ≤ 32).
    pub fn new(depth: usize) -> Result<Self> {
        check_depth(depth)?;
        Ok(MerkleTree { depth, zeros: empty_roots(depth), levels: vec![Vec::new(); levels(depth) + 1] })
    }

    /// A tree holding `leaves` in order.
    pub fn from_leaves(depth: usize, leaves: &[Fr]) -> Result<Self> {
        let mut t = Self::new(depth)?;
        if leaves.len() as u128 > 1u128 << depth {
            return Err(Error::Tree(format!("{} leaves do not fit depth {depth}", leaves.len())));
        }
        t.levels[0] = leaves.to_vec();
        for l in 0..levels(depth) {
            let z = t.zeros[l];
            let up: Vec<Fr> = t.levels[l]
                .chunks(ARITY)
                .map(|c| node(std::array::from_fn(|k| c.get(k).copied().unwrap_or(z))))
                .collect();
            t.levels[l + 1] = up;
        }
        Ok(t)
    }

    /// The tree depth (index bits).
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

    fn at(&self, l: usize, i: usize) -> Fr {
        self.levels[l].get(i).copied().unwrap_or(self.zeros[l])
    }

    /// Appends a leaf and returns its index.
    pub fn append(&mut self, leaf: Fr) -> Result<u64> {
        let index = self.len();
        if index as u128 >= 1u128 << self.depth {
            return Err(Error::Tree(format!("tree of depth {} is full", self.depth)));
        }
        self.levels[0].push(leaf);
        let mut i = index as usize;
        for l in 0..levels(self.depth) {
            let base = i - i % ARITY;
            let up = node(std::array::from_fn(|k| self.at(l, base + k)));
            i /= ARITY;
            let next = &mut self.levels[l + 1];
            if i < next.len() {
                next[i] = up;
            } else {
                next.push(up);
            }
        }
        Ok(index)
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.at(levels(self.depth), 0)
    }

    /// The path of leaf `index` in the current tree.
    pub fn path(&self, index: u64) -> Result<MerklePath> {
        if index >= self.len() {
            return Err(Error::Tree(format!("no leaf at index {index} (tree has {})", self.len())));
        }
        let mut i = index as usize;
        let mut siblings = Vec::with_capacity(siblings_len(self.depth));
        for l in 0..levels(self.depth) {
            let (base, p) = (i - i % ARITY, i % ARITY);
            let other = (p ^ 2) & 2;
            siblings.extend([self.at(l, base + (p ^ 1)), self.at(l, base + other), self.at(l, base + other + 1)]);
            i /= ARITY;
        }
        Ok(MerklePath { index, siblings })
    }
}

impl MerklePath {
    /// The root this path leads to from `leaf`.
    pub fn root(&self, leaf: Fr) -> Fr {
        let mut cur = leaf;
        for (l, s) in self.siblings.chunks(3).enumerate() {
            let p = ((self.index >> (2 * l)) & 3) as usize;
            cur = node(arrange(cur, p, [s[0], s[1], s[2]]));
        }
        cur
    }

    /// Checks the path has exactly the siblings of a tree of `depth` and an index that fits.
    pub fn check_depth(&self, depth: usize) -> Result<()> {
        if self.siblings.len() != siblings_len(depth) || !depth.is_multiple_of(2) {
            return Err(Error::Tree(format!(
                "path has {} siblings, a tree of depth {depth} needs {}",
                self.siblings.len(),
                siblings_len(depth)
            )));
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
    use crate::field;
    use proptest::prelude::*;

    #[test]
    fn empty_roots_are_pinned() {
        let t = MerkleTree::new(20).unwrap();
        assert_eq!(t.root(), empty_roots(20)[10]);
        // Poseidon(0, 0, 0, 0), as circomlibjs computes it.
        assert_eq!(
            field::to_hex(&empty_roots(2)[1]),
            "0x0532fd436e19c70e51209694d9c215250937921b8b79060488c1206db73e9946"
        );
    }

    #[test]
    fn odd_or_out_of_range_depths_are_refused() {
        for d in [0, 1, 3, 19, 34] {
            assert!(matches!(MerkleTree::new(d), Err(Error::Tree(_))), "depth {d}");
        }
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

    #[test]
    fn depth_2_root_is_one_node_in_order() {
        let xs: Vec<Fr> = (1..=3u64).map(Fr::from).collect();
        let t = MerkleTree::from_leaves(2, &xs).unwrap();
        assert_eq!(t.root(), poseidon::hash(&[xs[0], xs[1], xs[2], Fr::from(0u64)]));
        for p in 0..4 {
            let s = [Fr::from(10u64), Fr::from(11u64), Fr::from(12u64)];
            let c = arrange(Fr::from(9u64), p, s);
            assert_eq!(c[p], Fr::from(9u64));
        }
    }

    proptest! {
        #[test]
        fn incremental_equals_batch_and_paths_verify(n in 1usize..=64, depth in prop::sample::select(vec![6usize, 8])) {
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
                let mut q = p.clone();
                q.index ^= 1 << (i % depth);
                prop_assert_ne!(q.root(*l), inc.root());
            }
        }
    }
}
