//! Policy gadgets, twins of `healthzk_core::policy`: the policy hash, comparison clauses and
//! set clauses. Every ordering comparison runs on values range-checked to
//! [`COMPARE_BITS`] bits: the compared slot, any slot used in a bound, and both differences
//! `x − lo` and `hi − x`.

use crate::{merkle::PathVar, poseidon, range::enforce_bits, select::OneHot, BoolVar, FrVar, SynthesisError};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::FieldVar, GR1CSVar};
use ark_relations::gr1cs::ConstraintSystemRef;
use healthzk_core::{
    policy::{policy_tag, set_leaf_tag, CompareClause, CompareKind, SET_TREE_DEPTH},
    query::SetOpening,
    Fr, COMPARE_BITS, SLOTS,
};

/// The chained Poseidon-12 policy hash over the 29 policy elements.
pub fn policy_hash(elements: &[FrVar]) -> Result<FrVar, SynthesisError> {
    poseidon::chain(policy_tag(), elements)
}

/// A comparison clause: its three hashed elements and the decoded header.
#[derive(Debug, Clone)]
pub struct CompareVar {
    /// `[header, lo.constant, hi.constant]`, hashed into the policy hash.
    pub elements: [FrVar; 3],
    is_range: BoolVar,
    is_ne: BoolVar,
    a: OneHot,
    b: OneHot,
    /// lo.as_of, lo.slot, hi.as_of, hi.slot
    flags: [BoolVar; 4],
}

impl CompareVar {
    /// Allocates a clause (witness) and binds its header to the decoded bits
    /// (22 + 16 + 16 booleans, 3 linear constraints).
    pub fn new_witness(cs: ConstraintSystemRef<Fr>, c: Option<&CompareClause>) -> Result<Self, SynthesisError> {
        let missing = || SynthesisError::AssignmentMissing;
        let els = c.map(|c| c.elements());
        let elements = [0, 1, 2].map(|i| FrVar::new_witness(cs.clone(), || els.map(|e| e[i]).ok_or_else(missing)));
        let [e0, e1, e2] = elements;
        let elements = [e0?, e1?, e2?];
        let is_range =
            BoolVar::new_witness(cs.clone(), || c.map(|c| c.kind == CompareKind::Range).ok_or_else(missing))?;
        let is_ne =
            BoolVar::new_witness(cs.clone(), || c.map(|c| c.kind == CompareKind::NotEqual).ok_or_else(missing))?;
        let a = OneHot::new(cs.clone(), SLOTS, c.map(|c| c.a))?;
        let b = OneHot::new(cs.clone(), SLOTS, c.map(|c| c.b))?;
        let fl = |f: fn(&CompareClause) -> bool| BoolVar::new_witness(cs.clone(), || c.map(f).ok_or_else(missing));
        let flags = [fl(|c| c.lo.as_of)?, fl(|c| c.lo.slot)?, fl(|c| c.hi.as_of)?, fl(|c| c.hi.slot)?];
        let mut header = FrVar::from(is_range.clone()) + FrVar::from(is_ne.clone()) * Fr::from(2u64);
        header += a.index() * Fr::from(4u64) + b.index() * Fr::from(64u64);
        for (i, f) in flags.iter().enumerate() {
            header += FrVar::from(f.clone()) * Fr::from(1024u64 << i);
        }
        header.enforce_equal(&elements[0])?;
        Ok(CompareVar { elements, is_range, is_ne, a, b, flags })
    }

    /// Enforces the clause on `slots` at public day `as_of`.
    pub fn enforce(&self, slots: &[FrVar], as_of: &FrVar) -> Result<(), SynthesisError> {
        let x = self.a.pick(slots)?;
        let y = self.b.pick(slots)?;
        let f = |i: usize| FrVar::from(self.flags[i].clone());
        // y must fit COMPARE_BITS when either bound references it.
        let uses_b = f(1) + f(3) - f(1) * f(3);
        enforce_bits(&(uses_b * &y), COMPARE_BITS)?;
        let lo = &self.elements[1] + f(0) * as_of + f(1) * &y;
        let hi = &self.elements[2] + f(2) * as_of + f(3) * &y;
        // Range: x, x − lo and hi − x all in [0, 2^64).
        let r = FrVar::from(self.is_range.clone());
        enforce_bits(&(&r * &x), COMPARE_BITS)?;
        enforce_bits(&(&r * (&x - &lo)), COMPARE_BITS)?;
        enforce_bits(&(&r * (&hi - &x)), COMPARE_BITS)?;
        // NotEqual: (x − lo) · inv = is_ne.
        let diff = &x - &lo;
        let inv = FrVar::new_witness(diff.cs(), || {
            let d = diff.value()?;
            Ok(if self.is_ne.value()? { ark_ff::Field::inverse(&d).unwrap_or(Fr::from(0u64)) } else { Fr::from(0u64) })
        })?;
        (diff * inv).enforce_equal(&FrVar::from(self.is_ne.clone()))?;
        Ok(())
    }
}

/// A set clause: hashed elements `[header, root]` and the interval opening.
#[derive(Debug, Clone)]
pub struct SetVar {
    /// `[header, root]`.
    pub elements: [FrVar; 2],
    used: BoolVar,
    a: OneHot,
    lo: FrVar,
    hi: FrVar,
    path: PathVar,
}

impl SetVar {
    /// Allocates a set clause with its opening (witness) and binds the header.
    pub fn new_witness(cs: ConstraintSystemRef<Fr>, o: Option<&SetOpening>) -> Result<Self, SynthesisError> {
        let missing = || SynthesisError::AssignmentMissing;
        let used = BoolVar::new_witness(cs.clone(), || o.map(|o| o.used).ok_or_else(missing))?;
        let a = OneHot::new(cs.clone(), SLOTS, o.map(|o| o.a))?;
        let header_v = o.map(|o| if o.used { Fr::from(1 + 4 * o.a as u64) } else { Fr::from(0u64) });
        let header = FrVar::new_witness(cs.clone(), || header_v.ok_or_else(missing))?;
        let root = FrVar::new_witness(cs.clone(), || o.map(|o| o.root).ok_or_else(missing))?;
        (FrVar::from(used.clone()) + a.index() * Fr::from(4u64)).enforce_equal(&header)?;
        let lo = FrVar::new_witness(cs.clone(), || o.map(|o| Fr::from(o.lo)).ok_or_else(missing))?;
        let hi = FrVar::new_witness(cs.clone(), || o.map(|o| Fr::from(o.hi)).ok_or_else(missing))?;
        let path = PathVar::new_witness(cs, SET_TREE_DEPTH, o.map(|o| &o.path))?;
        Ok(SetVar { elements: [header, root], used, a, lo, hi, path })
    }

    /// Enforces, when used: the interval leaf is under the committed root, and
    /// `x`, `x − lo`, `hi − x` are in [0, 2^64).
    pub fn enforce(&self, slots: &[FrVar]) -> Result<(), SynthesisError> {
        let u = FrVar::from(self.used.clone());
        let leaf = poseidon::hash(&[FrVar::constant(set_leaf_tag()), self.lo.clone(), self.hi.clone()])?;
        let root = self.path.root(&leaf)?;
        (&u * (root - &self.elements[1])).enforce_equal(&FrVar::zero())?;
        let x = self.a.pick(slots)?;
        enforce_bits(&(&u * &x), COMPARE_BITS)?;
        enforce_bits(&(&u * (&x - &self.lo)), COMPARE_BITS)?;
        enforce_bits(&(&u * (&self.hi - &x)), COMPARE_BITS)?;
        Ok(())
    }
}
