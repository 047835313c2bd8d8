//! One-hot selection of a slot: `n` boolean selectors summing to 1 pick `Σ sel_j · slot_j`;
//! `Σ j · sel_j` is the selected index, bound to the policy header by the caller.

use crate::{BoolVar, FrVar, SynthesisError};
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    eq::EqGadget,
    fields::FieldVar,
};
use ark_relations::gr1cs::ConstraintSystemRef;
use healthzk_core::Fr;

/// A one-hot selector over `n` positions.
#[derive(Debug, Clone)]
pub struct OneHot {
    /// The selector bits.
    pub bits: Vec<BoolVar>,
}

impl OneHot {
    /// Allocates a selector for `index` (witness) over `n` positions; enforces one-hotness
    /// (`n` booleanity constraints + 1).
    pub fn new(cs: ConstraintSystemRef<Fr>, n: usize, index: Option<usize>) -> Result<Self, SynthesisError> {
        Self::new_variable(cs, n, index, AllocationMode::Witness)
    }

    /// [`OneHot::new`] in any allocation mode. (`n` is the circuit's, never the witness's: a
    /// selector's width is part of the statement's shape.)
    pub fn new_variable(
        cs: ConstraintSystemRef<Fr>,
        n: usize,
        index: Option<usize>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let bits = (0..n)
            .map(|j| {
                BoolVar::new_variable(
                    cs.clone(),
                    || index.map(|i| i == j).ok_or(SynthesisError::AssignmentMissing),
                    mode,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sum = bits.iter().fold(FrVar::zero(), |acc, b| acc + FrVar::from(b.clone()));
        sum.enforce_equal(&FrVar::one())?;
        Ok(OneHot { bits })
    }

    /// The selected index `Σ j · sel_j` (linear, free).
    pub fn index(&self) -> FrVar {
        self.bits
            .iter()
            .enumerate()
            .fold(FrVar::zero(), |acc, (j, b)| acc + FrVar::from(b.clone()) * Fr::from(j as u64))
    }

    /// The selected value `Σ sel_j · values_j` (one constraint per position).
    pub fn pick(&self, values: &[FrVar]) -> Result<FrVar, SynthesisError> {
        assert_eq!(values.len(), self.bits.len());
        let mut acc = FrVar::zero();
        for (b, v) in self.bits.iter().zip(values) {
            acc += FrVar::from(b.clone()) * v;
        }
        Ok(acc)
    }
}
