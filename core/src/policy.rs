//! Policies: what a verifier asks of a credential, and their hash.
//!
//! A [`Policy`] is the JSON a verifier writes: a schema and up to [`MAX_COMPARE_CLAUSES`]
//! comparison clauses plus up to [`MAX_SET_CLAUSES`] set clauses over named attributes.
//! [`Policy::compile`] turns it into the fixed shape the circuit evaluates
//! ([`CompiledPolicy`]), whose field encoding is hashed into the public `policy_hash`.
//!
//! Comparison clauses (`eq ne lt lte gt gte between`, against a constant, another slot plus
//! an offset, or `as_of` plus an offset) all become one of:
//! - `Range`: `0 ≤ x − lo < 2^64` and `0 ≤ hi − x < 2^64`, with `x < 2^64`;
//! - `NotEqual`: `x ≠ lo` (as field elements);
//!
//! where `lo`/`hi` are `constant + [as_of] + [slot b]`. Any slot `b` referenced must be
//! `< 2^64`. Set clauses (`in`, `not_in`) prove `x < 2^64` lies in one closed interval of a
//! committed [`IntervalSet`]: `in {v…}` is the intervals `[v, v]`; `not_in {v…}` is the gaps
//! between the sorted values, so non-membership is sound by construction.

use crate::{
    credential::{encode_attribute, Schema, SlotKind},
    field::{self, from_short_str},
    merkle::{MerklePath, MerkleTree},
    poseidon, Error, Fr, Result, SLOTS,
};
use serde::{Deserialize, Serialize};

/// Comparison clauses per policy (K).
pub const MAX_COMPARE_CLAUSES: usize = 8;
/// Set (IN / NOT IN) clauses per policy.
pub const MAX_SET_CLAUSES: usize = 2;
/// Depth of a committed interval set's Merkle tree.
pub const SET_TREE_DEPTH: usize = 6;
/// Most intervals in one set (2^[`SET_TREE_DEPTH`]).
pub const MAX_SET_INTERVALS: usize = 1 << SET_TREE_DEPTH;
/// Largest value a compared slot may hold, 2^64 − 1.
pub const MAX_VALUE: u64 = u64::MAX;

/// Domain tag of policy hashes: bytes of `"healthzk/policy/v1"`.
pub fn policy_tag() -> Fr {
    from_short_str("tag", "healthzk/policy/v1").expect("short tag")
}

/// Domain tag of interval-set leaves: bytes of `"healthzk/set-interval/v1"`.
pub fn set_leaf_tag() -> Fr {
    from_short_str("tag", "healthzk/set-interval/v1").expect("short tag")
}

/// A comparison operator of the policy language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `x == rhs`
    Eq,
    /// `x != rhs`
    Ne,
    /// `x < rhs`
    Lt,
    /// `x <= rhs`
    Lte,
    /// `x > rhs`
    Gt,
    /// `x >= rhs`
    Gte,
    /// `min <= x <= max`
    Between,
    /// `x` is one of `values`
    In,
    /// `x` is none of `values`
    NotIn,
}

/// The right-hand side of a comparison: exactly one of `value`, `as_of` or `slot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Operand {
    /// A constant, written as the compared attribute is (integer, date string, product id...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// `as_of + as_of` days (negative: before `as_of`).
    #[serde(
        default,
        deserialize_with = "crate::serde_adapters::integral::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub as_of: Option<i64>,
    /// Another attribute of the same credential (plus `offset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// Added to `slot`.
    #[serde(
        default,
        deserialize_with = "crate::serde_adapters::integral::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<i64>,
}

/// One clause as written in policy JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// The attribute compared (`x`).
    pub slot: String,
    /// The operator.
    pub op: Op,
    /// Right-hand side of `eq ne lt lte gt gte`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhs: Option<Operand>,
    /// Lower bound of `between` (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Operand>,
    /// Upper bound of `between` (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Operand>,
    /// Members of `in` / `not_in`, written as the attribute is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<serde_json::Value>>,
}

/// A verifier's policy, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Human-readable name (not hashed).
    pub name: String,
    /// Schema name of the credentials it applies to.
    pub schema: String,
    /// The clauses; all must hold.
    pub clauses: Vec<Clause>,
}

/// A bound `constant + [as_of] + [slot b]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bound {
    /// The constant, |c| < 2^64.
    pub constant: i128,
    /// Whether `as_of` is added.
    pub as_of: bool,
    /// Whether slot `b` of the clause is added.
    pub slot: bool,
}

/// What a compiled comparison clause checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompareKind {
    /// Padding: always holds.
    #[default]
    Unused = 0,
    /// `lo ≤ x ≤ hi` (differences in [0, 2^64)).
    Range = 1,
    /// `x ≠ lo`.
    NotEqual = 2,
}

/// A comparison clause in circuit shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompareClause {
    /// Kind.
    pub kind: CompareKind,
    /// Slot compared (`x`).
    pub a: usize,
    /// Slot referenced by bounds (`y`), 0 if none.
    pub b: usize,
    /// Lower bound (also the value for `NotEqual`).
    pub lo: Bound,
    /// Upper bound.
    pub hi: Bound,
}

/// A set of closed intervals `[lo, hi]` of u64, committed as a Merkle root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntervalSet {
    intervals: Vec<(u64, u64)>,
    tree: MerkleTree,
}

/// A set clause in circuit shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetClause {
    /// Slot tested.
    pub a: usize,
    /// Its intervals.
    pub set: IntervalSet,
}

/// A policy compiled to the circuit's fixed shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledPolicy {
    /// Schema id the credential must carry.
    pub schema: u64,
    /// Exactly [`MAX_COMPARE_CLAUSES`] comparison clauses (padding is `Unused`).
    pub compare: [CompareClause; MAX_COMPARE_CLAUSES],
    /// Up to [`MAX_SET_CLAUSES`] set clauses; absent ones are padding.
    pub sets: [Option<SetClause>; MAX_SET_CLAUSES],
}

impl IntervalSet {
    /// A set from intervals; each must have lo ≤ hi; at most [`MAX_SET_INTERVALS`].
    pub fn new(mut intervals: Vec<(u64, u64)>) -> Result<Self> {
        intervals.sort_unstable();
        intervals.dedup();
        if intervals.is_empty() {
            return Err(Error::invalid("a set must contain at least one interval"));
        }
        if intervals.len() > MAX_SET_INTERVALS {
            return Err(Error::invalid(format!(
                "a set may hold at most {MAX_SET_INTERVALS} intervals, got {}",
                intervals.len()
            )));
        }
        if let Some((lo, hi)) = intervals.iter().find(|(lo, hi)| lo > hi) {
            return Err(Error::invalid(format!("interval [{lo}, {hi}] is empty")));
        }
        let leaves: Vec<Fr> = intervals.iter().map(|&(lo, hi)| interval_leaf(lo, hi)).collect();
        let tree = MerkleTree::from_leaves(SET_TREE_DEPTH, &leaves)?;
        Ok(IntervalSet { intervals, tree })
    }

    /// `{v…}` as intervals `[v, v]`.
    pub fn members(values: &[u64]) -> Result<Self> {
        Self::new(values.iter().map(|&v| (v, v)).collect())
    }

    /// The complement of `{v…}` within [0, 2^64): the gaps between sorted values.
    pub fn non_members(values: &[u64]) -> Result<Self> {
        let mut v = values.to_vec();
        v.sort_unstable();
        v.dedup();
        let gaps = gaps(&v);
        if gaps.is_empty() {
            return Err(Error::invalid("not_in excludes every value: the clause can never hold"));
        }
        Self::new(gaps)
    }

    /// The intervals, sorted.
    pub fn intervals(&self) -> &[(u64, u64)] {
        &self.intervals
    }

    /// The Merkle root committing to the set.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The interval containing `x`, its bounds and Merkle path.
    pub fn opening(&self, x: u64) -> Option<(u64, u64, MerklePath)> {
        let i = self.intervals.iter().position(|&(lo, hi)| lo <= x && x <= hi)?;
        let (lo, hi) = self.intervals[i];
        Some((lo, hi, self.tree.path(i as u64).expect("leaf exists")))
    }

    /// The opening of interval 0 (used to fill a witness when no interval contains `x`).
    pub fn first_opening(&self) -> (u64, u64, MerklePath) {
        let (lo, hi) = self.intervals[0];
        (lo, hi, self.tree.path(0).expect("non-empty"))
    }
}

/// The gaps between `sorted` (increasing, no duplicates) within [0, 2^64): the maximal closed
/// intervals holding none of its values, in increasing order (`not_in` sets and revocation
/// lists).
pub fn gaps(sorted: &[u64]) -> Vec<(u64, u64)> {
    let mut gaps = Vec::with_capacity(sorted.len() + 1);
    let mut next: Option<u64> = Some(0);
    for &x in sorted {
        if let Some(n) = next.filter(|&n| x > n) {
            gaps.push((n, x - 1));
        }
        next = x.checked_add(1);
    }
    if let Some(n) = next {
        gaps.push((n, MAX_VALUE));
    }
    gaps
}

/// Leaf of an interval set: `Poseidon(set_leaf_tag, lo, hi)`.
pub fn interval_leaf(lo: u64, hi: u64) -> Fr {
    poseidon::hash(&[set_leaf_tag(), Fr::from(lo), Fr::from(hi)])
}

fn check_constant(c: i128, what: &str) -> Result<i128> {
    if c.unsigned_abs() > MAX_VALUE as u128 {
        return Err(Error::invalid(format!("{what}: constant {c} is outside ±(2^64 − 1)")));
    }
    Ok(c)
}

impl Policy {
    /// Parses policy JSON.
    pub fn from_json(s: &str) -> Result<Policy> {
        Ok(serde_json::from_str(s)?)
    }

    /// Compiles the policy into circuit shape, checking every clause.
    pub fn compile(&self) -> Result<CompiledPolicy> {
        let schema = Schema::by_name(&self.schema)?;
        let mut compare = [CompareClause::default(); MAX_COMPARE_CLAUSES];
        let mut sets: [Option<SetClause>; MAX_SET_CLAUSES] = Default::default();
        let (mut nc, mut ns) = (0, 0);
        for (i, c) in self.clauses.iter().enumerate() {
            let ctx = format!("clause {i} ({} {:?})", c.slot, c.op);
            let (a, kind) = schema.slot(&c.slot).map_err(|e| Error::invalid(format!("{ctx}: {e}")))?;
            match c.op {
                Op::In | Op::NotIn => {
                    if c.rhs.is_some() || c.min.is_some() || c.max.is_some() {
                        return Err(Error::invalid(format!("{ctx}: in/not_in take `values` only")));
                    }
                    let values =
                        c.values.as_ref().ok_or_else(|| Error::invalid(format!("{ctx}: `values` is required")))?;
                    let vals = values
                        .iter()
                        .map(|v| encode_attribute(&c.slot, kind, v))
                        .collect::<Result<Vec<u64>>>()
                        .map_err(|e| Error::invalid(format!("{ctx}: {e}")))?;
                    let set =
                        if c.op == Op::In { IntervalSet::members(&vals) } else { IntervalSet::non_members(&vals) }
                            .map_err(|e| Error::invalid(format!("{ctx}: {e}")))?;
                    if ns == MAX_SET_CLAUSES {
                        return Err(Error::invalid(format!(
                            "{ctx}: at most {MAX_SET_CLAUSES} in/not_in clauses per policy"
                        )));
                    }
                    sets[ns] = Some(SetClause { a, set });
                    ns += 1;
                }
                _ => {
                    if c.values.is_some() {
                        return Err(Error::invalid(format!("{ctx}: `values` only goes with in/not_in")));
                    }
                    if nc == MAX_COMPARE_CLAUSES {
                        return Err(Error::invalid(format!(
                            "{ctx}: at most {MAX_COMPARE_CLAUSES} comparison clauses per policy"
                        )));
                    }
                    compare[nc] = compile_compare(schema, a, kind, c, &ctx)?;
                    nc += 1;
                }
            }
        }
        Ok(CompiledPolicy { schema: schema.id, compare, sets })
    }

    /// The policy hash (compiles first).
    pub fn hash(&self) -> Result<Fr> {
        Ok(self.compile()?.hash())
    }
}

/// An operand resolved to `constant + [as_of] + [slot]`.
fn resolve(schema: &Schema, kind: SlotKind, o: &Operand, ctx: &str) -> Result<(Bound, Option<usize>)> {
    let set = [o.value.is_some(), o.as_of.is_some(), o.slot.is_some()];
    if set.iter().filter(|&&b| b).count() != 1 {
        return Err(Error::invalid(format!("{ctx}: an operand needs exactly one of `value`, `as_of`, `slot`")));
    }
    if o.offset.is_some() && o.slot.is_none() {
        return Err(Error::invalid(format!("{ctx}: `offset` only goes with `slot`")));
    }
    if let Some(v) = &o.value {
        let c = encode_attribute("value", kind, v).map_err(|e| Error::invalid(format!("{ctx}: {e}")))?;
        return Ok((Bound { constant: c as i128, ..Bound::default() }, None));
    }
    if let Some(k) = o.as_of {
        let c = check_constant(k as i128, ctx)?;
        return Ok((Bound { constant: c, as_of: true, slot: false }, None));
    }
    let name = o.slot.as_ref().expect("one is set");
    let (b, _) = schema.slot(name).map_err(|e| Error::invalid(format!("{ctx}: {e}")))?;
    let c = check_constant(o.offset.unwrap_or(0) as i128, ctx)?;
    Ok((Bound { constant: c, as_of: false, slot: true }, Some(b)))
}

fn compile_compare(schema: &Schema, a: usize, kind: SlotKind, c: &Clause, ctx: &str) -> Result<CompareClause> {
    let need = |o: &Option<Operand>, name: &str| {
        o.clone().ok_or_else(|| Error::invalid(format!("{ctx}: `{name}` is required")))
    };
    let mut b_slot: Option<usize> = None;
    let mut take = |o: Operand| -> Result<Bound> {
        let (bound, b) = resolve(schema, kind, &o, ctx)?;
        if let Some(b) = b {
            if b_slot.is_some_and(|prev| prev != b) {
                return Err(Error::invalid(format!("{ctx}: both bounds must reference the same slot")));
            }
            b_slot = Some(b);
        }
        Ok(bound)
    };
    let shift = |mut b: Bound, d: i128| -> Result<Bound> {
        b.constant = check_constant(b.constant + d, ctx)?;
        Ok(b)
    };
    let zero = Bound::default();
    let top = Bound { constant: MAX_VALUE as i128, ..Bound::default() };
    let (kind_c, lo, hi) = match c.op {
        Op::Between => {
            if c.rhs.is_some() {
                return Err(Error::invalid(format!("{ctx}: between takes `min` and `max`, not `rhs`")));
            }
            let lo = take(need(&c.min, "min")?)?;
            let hi = take(need(&c.max, "max")?)?;
            (CompareKind::Range, lo, hi)
        }
        op => {
            if c.min.is_some() || c.max.is_some() {
                return Err(Error::invalid(format!("{ctx}: `min`/`max` only go with between")));
            }
            let r = take(need(&c.rhs, "rhs")?)?;
            match op {
                Op::Eq => (CompareKind::Range, r, r),
                Op::Ne => (CompareKind::NotEqual, r, zero),
                Op::Lt => (CompareKind::Range, zero, shift(r, -1)?),
                Op::Lte => (CompareKind::Range, zero, r),
                Op::Gt => (CompareKind::Range, shift(r, 1)?, top),
                Op::Gte => (CompareKind::Range, r, top),
                Op::Between | Op::In | Op::NotIn => unreachable!("handled above"),
            }
        }
    };
    Ok(CompareClause { kind: kind_c, a, b: b_slot.unwrap_or(0), lo, hi })
}

impl Bound {
    /// `constant + [as_of] + [y]` in the field.
    pub fn eval_field(&self, as_of: Fr, y: Fr) -> Fr {
        let mut v = field::from_i128(self.constant);
        if self.as_of {
            v += as_of;
        }
        if self.slot {
            v += y;
        }
        v
    }

    /// `constant + [as_of] + [y]` over the integers (`y < 2^64`, `as_of < 2^32`).
    pub fn eval_int(&self, as_of: u32, y: u64) -> i128 {
        self.constant + if self.as_of { as_of as i128 } else { 0 } + if self.slot { y as i128 } else { 0 }
    }

    /// Flag bits `as_of | slot << 1`.
    fn flags(&self) -> u64 {
        self.as_of as u64 | (self.slot as u64) << 1
    }
}

impl CompareClause {
    /// Whether either bound references slot `b`.
    pub fn uses_b(&self) -> bool {
        self.lo.slot || self.hi.slot
    }

    /// Header: `kind + 4·a + 64·b + 1024·(lo.as_of + 2·lo.slot + 4·hi.as_of + 8·hi.slot)`.
    pub fn header(&self) -> u64 {
        self.kind as u64 + 4 * self.a as u64 + 64 * self.b as u64 + 1024 * (self.lo.flags() | self.hi.flags() << 2)
    }

    /// Field encoding `[header, lo.constant, hi.constant]`.
    pub fn elements(&self) -> [Fr; 3] {
        [Fr::from(self.header()), field::from_i128(self.lo.constant), field::from_i128(self.hi.constant)]
    }

    /// Native evaluation, exactly the circuit's relation.
    pub fn holds(&self, slots: &[Fr; SLOTS], as_of: u32) -> bool {
        let x = slots[self.a];
        let y = slots[self.b];
        let y_int = field::to_u64(&y);
        if self.uses_b() && y_int.is_none() {
            return false;
        }
        match self.kind {
            CompareKind::Unused => true,
            CompareKind::NotEqual => x != self.lo.eval_field(Fr::from(as_of), y),
            CompareKind::Range => {
                let Some(x) = field::to_u64(&x) else {
                    return false;
                };
                let y = y_int.unwrap_or(0);
                let in_range = |d: i128| (0..=MAX_VALUE as i128).contains(&d);
                in_range(x as i128 - self.lo.eval_int(as_of, y)) && in_range(self.hi.eval_int(as_of, y) - x as i128)
            }
        }
    }
}

impl SetClause {
    /// Native evaluation: `x < 2^64` lies in one of the intervals.
    pub fn holds(&self, slots: &[Fr; SLOTS]) -> bool {
        field::to_u64(&slots[self.a]).is_some_and(|x| self.set.opening(x).is_some())
    }

    /// Field encoding `[header, root]` with header `1 + 4·a`.
    pub fn elements(&self) -> [Fr; 2] {
        [Fr::from(1 + 4 * self.a as u64), self.set.root()]
    }
}

impl CompiledPolicy {
    /// The field elements hashed: `schema`, each comparison clause's `[header, lo, hi]`, each
    /// set clause's `[header, root]` (`[0, 0]` for padding) — 29 elements.
    pub fn elements(&self) -> Vec<Fr> {
        let mut e = vec![Fr::from(self.schema)];
        for c in &self.compare {
            e.extend(c.elements());
        }
        for s in &self.sets {
            match s {
                Some(s) => e.extend(s.elements()),
                None => e.extend([Fr::from(0u64); 2]),
            }
        }
        e
    }

    /// The policy hash: `acc = policy_tag`; for each chunk of 11 elements (zero-padded),
    /// `acc = Poseidon(acc, chunk…)` (12 inputs); the result is the final `acc`.
    pub fn hash(&self) -> Fr {
        policy_hash_of(&self.elements())
    }
}

/// Chunks per policy hash: ceil(29 / 11).
pub const POLICY_HASH_CHUNKS: usize = 3;

/// The chained Poseidon-12 sponge of [`CompiledPolicy::hash`].
pub fn policy_hash_of(elements: &[Fr]) -> Fr {
    poseidon::chain(policy_tag(), elements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(clauses: serde_json::Value) -> Result<CompiledPolicy> {
        let p: Policy = serde_json::from_value(json!({"name": "t", "schema": "vaccination/v1", "clauses": clauses}))
            .map_err(Error::from)?;
        p.compile()
    }

    #[test]
    fn non_members_are_the_gaps() {
        let s = IntervalSet::non_members(&[5, 3, 10]).unwrap();
        assert_eq!(s.intervals(), &[(0, 2), (4, 4), (6, 9), (11, MAX_VALUE)]);
        for x in [3, 5, 10] {
            assert!(s.opening(x).is_none(), "{x} is excluded");
        }
        for x in [0, 2, 4, 6, 9, 11, MAX_VALUE] {
            assert!(s.opening(x).is_some(), "{x} is allowed");
        }
        let edge = IntervalSet::non_members(&[0, MAX_VALUE]).unwrap();
        assert_eq!(edge.intervals(), &[(1, MAX_VALUE - 1)]);
    }

    #[test]
    fn operators_compile_to_ranges() {
        let p = policy(json!([
            {"slot": "dose_number", "op": "lt", "rhs": {"value": 3}},
            {"slot": "dose_number", "op": "gte", "rhs": {"slot": "series_doses"}},
            {"slot": "date", "op": "between", "min": {"as_of": -270}, "max": {"as_of": -14}},
        ]))
        .unwrap();
        let mut slots = [Fr::from(0u64); SLOTS];
        slots[4] = Fr::from(2u64);
        slots[5] = Fr::from(2u64);
        slots[6] = Fr::from(1000u64);
        assert!(p.compare[0].holds(&slots, 0));
        assert!(p.compare[1].holds(&slots, 0));
        assert!(p.compare[2].holds(&slots, 1014));
        assert!(p.compare[2].holds(&slots, 1270));
        assert!(!p.compare[2].holds(&slots, 1013));
        assert!(!p.compare[2].holds(&slots, 1271));
        slots[4] = Fr::from(3u64);
        assert!(!p.compare[0].holds(&slots, 0));
        slots[5] = -Fr::from(1u64);
        assert!(!p.compare[1].holds(&slots, 0), "slot b must be < 2^64");
    }

    #[test]
    fn bad_policies_name_the_problem() {
        let e = policy(json!([{"slot": "weight", "op": "eq", "rhs": {"value": 1}}])).unwrap_err();
        assert!(e.to_string().contains("no attribute \"weight\""), "{e}");
        let e = policy(json!([{"slot": "dose_number", "op": "eq"}])).unwrap_err();
        assert!(e.to_string().contains("`rhs` is required"), "{e}");
        let e = policy(json!([{"slot": "dose_number", "op": "eq", "rhs": {"value": 1, "as_of": 2}}])).unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let e =
            policy(json!([{"slot": "dose_number", "op": "gt", "rhs": {"value": "18446744073709551615"}}])).unwrap_err();
        assert!(e.to_string().contains("outside"), "{e}");
        let many: Vec<_> = (0..9).map(|_| json!({"slot": "dose_number", "op": "gte", "rhs": {"value": 1}})).collect();
        let e = policy(json!(many)).unwrap_err();
        assert!(e.to_string().contains("at most 8"), "{e}");
        let e = policy(json!([{"slot": "dose_number", "op": "in", "values": [-1]}])).unwrap_err();
        assert!(e.to_string().contains("negative"), "{e}");
    }

    #[test]
    fn hash_depends_on_every_clause_field() {
        let base = policy(json!([{"slot": "dose_number", "op": "gte", "rhs": {"value": 2}}])).unwrap();
        let variants = [
            json!([{"slot": "dose_number", "op": "gte", "rhs": {"value": 3}}]),
            json!([{"slot": "series_doses", "op": "gte", "rhs": {"value": 2}}]),
            json!([{"slot": "dose_number", "op": "gt", "rhs": {"value": 1}}]),
            json!([{"slot": "dose_number", "op": "gte", "rhs": {"as_of": 2}}]),
            json!([{"slot": "dose_number", "op": "ne", "rhs": {"value": 2}}]),
            json!([{"slot": "dose_number", "op": "gte", "rhs": {"value": 2}}, {"slot": "dose_number", "op": "in", "values": [2]}]),
        ];
        for v in variants {
            let p = policy(v.clone()).unwrap();
            if p.compare == base.compare && p.sets == base.sets {
                continue; // gt 1 == gte 2 compile identically
            }
            assert_ne!(p.hash(), base.hash(), "{v}");
        }
        assert_eq!(base.elements().len(), 29);
    }
}
