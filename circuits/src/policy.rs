//! Policy gadgets, twins of `healthzk_core::policy`: the policy hash, comparison clauses and
//! set clauses. Every ordering comparison runs on values range-checked to
//! [`COMPARE_BITS`] bits: the compared slot, any slot used in a bound, and both differences
//! `x − lo` and `hi − x`.

use crate::{merkle::PathVar, poseidon, range::enforce_bits, select::OneHot, BoolVar, FrVar, SynthesisError};
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    eq::EqGadget,
    fields::FieldVar,
    GR1CSVar,
};
use ark_relations::gr1cs::Namespace;
use healthzk_core::{
    policy::{policy_tag, set_leaf_tag, Bound, CompareClause, CompareKind, SET_TREE_DEPTH},
    query::SetOpening,
    Fr, COMPARE_BITS, SLOTS,
};
use std::borrow::Borrow;

/// The chained Poseidon-12 policy hash over the 29 policy elements.
pub fn policy_hash(elements: &[FrVar]) -> Result<FrVar, SynthesisError> {
    poseidon::chain(policy_tag(), elements)
}

/// A bound in the circuit, twin of [`Bound`]: its constant (one of the clause's hashed
/// elements) and its two flags.
#[derive(Debug, Clone)]
pub struct BoundVar {
    /// The constant, |c| < 2^64 (hashed into the policy).
    pub constant: FrVar,
    /// Whether `as_of` is added.
    pub as_of: BoolVar,
    /// Whether slot `b` of the clause is added.
    pub slot: BoolVar,
}

impl BoundVar {
    /// `constant + [as_of] + [y]`, twin of [`Bound::eval_field`] (linear: no constraint).
    pub fn eval(&self, as_of: &FrVar, y: &FrVar) -> FrVar {
        &self.constant + FrVar::from(self.as_of.clone()) * as_of + FrVar::from(self.slot.clone()) * y
    }

    /// The flag bits `as_of + 2·slot`, twin of `Bound::flags`.
    fn flags(&self) -> FrVar {
        FrVar::from(self.as_of.clone()) + FrVar::from(self.slot.clone()) * Fr::from(2u64)
    }
}

/// A comparison clause, twin of [`CompareClause`]: the decoded header and its two bounds.
#[derive(Debug, Clone)]
pub struct CompareVar {
    /// The header element (hashed into the policy), bound to the decoded fields below.
    header: FrVar,
    is_range: BoolVar,
    is_ne: BoolVar,
    a: OneHot,
    b: OneHot,
    /// Lower bound (also the value for `NotEqual`).
    pub lo: BoundVar,
    /// Upper bound.
    pub hi: BoundVar,
}

impl AllocVar<CompareClause, Fr> for CompareVar {
    /// Allocates a clause and binds its header to the decoded bits (22 + 16 + 16 booleans,
    /// 3 linear constraints).
    fn new_variable<T: Borrow<CompareClause>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let c: Option<CompareClause> = f().ok().map(|c| *c.borrow());
        let missing = || SynthesisError::AssignmentMissing;
        let fr = |v: Option<Fr>| FrVar::new_variable(cs.clone(), || v.ok_or_else(missing), mode);
        let boolean = |v: Option<bool>| BoolVar::new_variable(cs.clone(), || v.ok_or_else(missing), mode);
        let els = c.as_ref().map(|c| c.elements());
        // Allocation order is the circuit's (its matrices are pinned): the three hashed
        // elements, the kind, the slots, then the four bound flags.
        let header = fr(els.map(|e| e[0]))?;
        let lo_constant = fr(els.map(|e| e[1]))?;
        let hi_constant = fr(els.map(|e| e[2]))?;
        let c = c.as_ref();
        let is_range = boolean(c.map(|c| c.kind == CompareKind::Range))?;
        let is_ne = boolean(c.map(|c| c.kind == CompareKind::NotEqual))?;
        let a = OneHot::new_variable(cs.clone(), SLOTS, c.map(|c| c.a), mode)?;
        let b = OneHot::new_variable(cs.clone(), SLOTS, c.map(|c| c.b), mode)?;
        let (lo_bound, hi_bound) = (c.map(|c| c.lo), c.map(|c| c.hi));
        let lo = BoundVar {
            constant: lo_constant,
            as_of: boolean(lo_bound.map(|b: Bound| b.as_of))?,
            slot: boolean(lo_bound.map(|b| b.slot))?,
        };
        let hi = BoundVar {
            constant: hi_constant,
            as_of: boolean(hi_bound.map(|b: Bound| b.as_of))?,
            slot: boolean(hi_bound.map(|b| b.slot))?,
        };
        let v = CompareVar { header, is_range, is_ne, a, b, lo, hi };
        v.decoded_header().enforce_equal(&v.header)?;
        Ok(v)
    }
}

impl CompareVar {
    /// `[header, lo.constant, hi.constant]`, twin of [`CompareClause::elements`].
    pub fn elements(&self) -> [FrVar; 3] {
        [self.header.clone(), self.lo.constant.clone(), self.hi.constant.clone()]
    }

    /// The header of the decoded fields, twin of [`CompareClause::header`]:
    /// `kind + 4·a + 64·b + 1024·(lo flags + 4·hi flags)`.
    fn decoded_header(&self) -> FrVar {
        FrVar::from(self.is_range.clone())
            + FrVar::from(self.is_ne.clone()) * Fr::from(2u64)
            + self.a.index() * Fr::from(4u64)
            + self.b.index() * Fr::from(64u64)
            + (self.lo.flags() + self.hi.flags() * Fr::from(4u64)) * Fr::from(1024u64)
    }

    /// Whether either bound references slot `b`, twin of [`CompareClause::uses_b`]
    /// (`lo.slot OR hi.slot`, linear in the product).
    fn uses_b(&self) -> FrVar {
        let (l, h) = (FrVar::from(self.lo.slot.clone()), FrVar::from(self.hi.slot.clone()));
        &l + &h - &l * &h
    }

    /// Enforces the clause on `slots` at public day `as_of`, twin of [`CompareClause::holds`].
    pub fn enforce(&self, slots: &[FrVar], as_of: &FrVar) -> Result<(), SynthesisError> {
        let x = self.a.pick(slots)?;
        let y = self.b.pick(slots)?;
        // y must fit COMPARE_BITS when either bound references it.
        enforce_bits(&(self.uses_b() * &y), COMPARE_BITS)?;
        let lo = self.lo.eval(as_of, &y);
        let hi = self.hi.eval(as_of, &y);
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

impl AllocVar<SetOpening, Fr> for SetVar {
    /// Allocates a set clause with its opening and binds the header.
    fn new_variable<T: Borrow<SetOpening>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let o: Option<SetOpening> = f().ok().map(|o| o.borrow().clone());
        let o = o.as_ref();
        let missing = || SynthesisError::AssignmentMissing;
        let fr = |v: Option<Fr>| FrVar::new_variable(cs.clone(), || v.ok_or_else(missing), mode);
        let used = BoolVar::new_variable(cs.clone(), || o.map(|o| o.used).ok_or_else(missing), mode)?;
        let a = OneHot::new_variable(cs.clone(), SLOTS, o.map(|o| o.a), mode)?;
        let header = fr(o.map(|o| if o.used { Fr::from(1 + 4 * o.a as u64) } else { Fr::from(0u64) }))?;
        let root = fr(o.map(|o| o.root))?;
        (FrVar::from(used.clone()) + a.index() * Fr::from(4u64)).enforce_equal(&header)?;
        let lo = fr(o.map(|o| Fr::from(o.lo)))?;
        let hi = fr(o.map(|o| Fr::from(o.hi)))?;
        let path = PathVar::new_variable(cs, SET_TREE_DEPTH, o.map(|o| &o.path), mode)?;
        Ok(SetVar { elements: [header, root], used, a, lo, hi, path })
    }
}

impl SetVar {
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
