//! The score-threshold statement: a credential under the issuer root, bound to the holder,
//! scores on the asserted side of a registered model's threshold. Twin of
//! `healthzk_core::score::check`; the model semantics are `healthzk_core::model`'s, bit for bit.
//!
//! Public inputs: those of [`crate::binding`], `policy_hash` carrying the model hash.
//! Two modes:
//! - **public weights** ([`Weights::Public`]): the model is a circuit constant; its hash is
//!   computed natively and the public input must equal it. One key per model; cheapest.
//! - **private weights** ([`Weights::Private`]): the model is a witness of the key's
//!   [`Shape`]; every weight is range-checked to 16 bits (which also makes the packing of the
//!   hash injective) and the model hash is computed in circuit. One key per shape; the
//!   verifier learns only the hash.
//!
//! Relations after the binding: the credential's schema is the model's; every slot is below
//! `2^32` and is shifted left by its `e_j` (private: four witness bits, hashed); per hidden neuron `z = q·2^S + rem` with `rem ∈ [0, 2^S)` and `q + 2^31 ∈ [0, 2^32)`,
//! whose top bit is `q ≥ 0` and gives `a = ReLU(q)`; the threshold difference `T − z − 1`
//! (below) or `z − T − 1` (above) lies in `[0, 2^68)`.

use crate::{
    binding::{bind, CredentialWitness},
    range::enforce_bits,
    BoolVar, FrVar, SynthesisError,
};
use ark_ff::Field;
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    eq::EqGadget,
    fields::FieldVar,
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef};
use healthzk_core::{
    field,
    model::{
        model_tag, Direction, Model, Shape, ACT_BITS, INPUT_BITS, INPUT_SHIFT_BITS, MARGIN_BITS, MAX_HIDDEN, MAX_SHIFT,
        WEIGHTS_PER_ELEMENT, WEIGHT_BITS,
    },
    score::ScoreWitness,
    statement::PublicInputs,
    Fr, SLOTS,
};
use std::fmt;

/// Where the weights live.
#[derive(Debug, Clone)]
pub enum Weights {
    /// Constants of the circuit (the key is this model's).
    Public(Box<PublicModel>),
    /// Witnesses of this shape (the key is the shape's).
    Private(Shape),
}

/// A public-weights model with its hash, computed once rather than at every synthesis
/// (`None` if the model does not validate: such a circuit cannot be synthesized).
#[derive(Debug, Clone)]
pub struct PublicModel {
    /// The model.
    pub model: Model,
    hash: Option<Fr>,
}

impl Weights {
    /// Public weights (the model as constants) or private weights (the model's shape).
    pub fn for_model(model: &Model, private: bool) -> Self {
        if private {
            Weights::Private(model.shape())
        } else {
            Weights::Public(Box::new(PublicModel { model: model.clone(), hash: model.hash().ok() }))
        }
    }
}

/// The circuit. `public`/`private` are `None` at setup.
#[derive(Clone)]
pub struct ScoreCircuit {
    /// Issuer tree depth (fixed per key).
    pub depth: usize,
    /// Weight mode and model or shape.
    pub weights: Weights,
    /// Public inputs.
    pub public: Option<PublicInputs>,
    /// Witness.
    pub private: Option<ScoreWitness>,
}

impl fmt::Debug for ScoreCircuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScoreCircuit").field("depth", &self.depth).field("shape", &self.shape()).finish_non_exhaustive()
    }
}

impl ScoreCircuit {
    /// The circuit without values, for setup and matrix synthesis.
    pub fn blank(depth: usize, weights: Weights) -> Self {
        ScoreCircuit { depth, weights, public: None, private: None }
    }

    /// The shape the circuit evaluates.
    pub fn shape(&self) -> Shape {
        match &self.weights {
            Weights::Public(m) => m.model.shape(),
            Weights::Private(s) => *s,
        }
    }
}

/// A signed integer value, allocated in `mode` (a constant for public weights, a witness for
/// private ones).
fn value(cs: &ConstraintSystemRef<Fr>, mode: AllocationMode, v: Option<i128>) -> Result<FrVar, SynthesisError> {
    FrVar::new_variable(cs.clone(), || v.map(field::from_i128).ok_or(SynthesisError::AssignmentMissing), mode)
}

/// A weight in `mode`; a variable one is range-checked to [`WEIGHT_BITS`] signed bits (its
/// offset-binary value `w + 2^15`, what the hash packs, to [`WEIGHT_BITS`] unsigned).
fn weight(cs: &ConstraintSystemRef<Fr>, mode: AllocationMode, v: Option<i64>) -> Result<FrVar, SynthesisError> {
    let w = value(cs, mode, v.map(i128::from))?;
    if mode != AllocationMode::Constant {
        enforce_bits(&offset_binary(&w), WEIGHT_BITS)?;
    }
    Ok(w)
}

/// `w + 2^15`: a signed 16-bit weight as the unsigned value the hash packs.
fn offset_binary(w: &FrVar) -> FrVar {
    w + Fr::from(1u64 << (WEIGHT_BITS - 1))
}

/// Packs signed 16-bit weights, [`WEIGHTS_PER_ELEMENT`] per field element, little end first:
/// the twin of `healthzk_core::model::pack_weights` (linear: no constraint).
pub fn pack_weights(weights: &[FrVar]) -> Vec<FrVar> {
    let radix = Fr::from(1u64 << WEIGHT_BITS);
    weights
        .chunks(WEIGHTS_PER_ELEMENT)
        .map(|chunk| {
            let mut acc = FrVar::zero();
            let mut pow = Fr::from(1u64);
            for w in chunk {
                acc += offset_binary(w) * pow;
                pow *= radix;
            }
            acc
        })
        .collect()
}

/// `⌊z / 2^shift⌋` as a range-checked [`ACT_BITS`]-bit signed value, then ReLU.
fn rescale_relu(cs: &ConstraintSystemRef<Fr>, z: &FrVar, shift: u32) -> Result<FrVar, SynthesisError> {
    // The quotient and remainder are computed from z's value and fed back as witnesses; the
    // relation z = q·2^S + rem and both widths are enforced below.
    let zv = z.value().ok().and_then(|v| field::to_i128(&v));
    let q = zv.map(|z| z >> shift);
    let rem = zv.map(|z| z - ((z >> shift) << shift));
    let q = FrVar::new_witness(cs.clone(), || q.map(field::from_i128).ok_or(SynthesisError::AssignmentMissing))?;
    let rem = FrVar::new_witness(cs.clone(), || rem.map(field::from_i128).ok_or(SynthesisError::AssignmentMissing))?;
    if shift > 0 {
        enforce_bits(&rem, shift as usize)?;
    } else {
        rem.enforce_equal(&FrVar::zero())?;
    }
    (&q * Fr::from(2u64).pow([u64::from(shift)]) + &rem).enforce_equal(z)?;
    let bits = enforce_bits(&(&q + Fr::from(1u64 << (ACT_BITS - 1))), ACT_BITS)?;
    let non_negative = &bits[ACT_BITS - 1];
    Ok(FrVar::from(non_negative.clone()) * &q)
}

impl ConstraintSynthesizer<Fr> for ScoreCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.private.as_ref();
        let shape = self.shape();
        // The shape of a private-weights key must be one a model can have: the header packs H
        // and S in 8 bits each, and S bounds the rescale's widths.
        if shape.hidden > MAX_HIDDEN || shape.shift > MAX_SHIFT || (shape.hidden == 0 && shape.shift != 0) {
            return Err(SynthesisError::Unsatisfiable);
        }
        let (p, cred) = bind(
            cs.clone(),
            self.depth,
            self.public.as_ref(),
            w.map(|w| CredentialWitness {
                credential: &w.credential,
                secret: &w.secret,
                path: &w.path,
                revocation: &w.revocation,
            }),
        )?;
        // Public weights are constants of the circuit; private ones are witnesses.
        let (mode, model) = match &self.weights {
            Weights::Public(m) => (AllocationMode::Constant, Some(&m.model)),
            Weights::Private(_) => (AllocationMode::Witness, w.map(|w| &w.model)),
        };
        let public = mode == AllocationMode::Constant;
        // A model with wrong dimensions, or a private model of another shape, cannot be
        // synthesized: refuse rather than index out of bounds. (Widths are enforced by the
        // constraints below, not here.)
        if model.is_some_and(|m| !m.has_valid_dimensions() || m.shape() != shape) {
            return Err(SynthesisError::Unsatisfiable);
        }

        // Inputs: every slot, range-checked, then shifted left by its e_j (constant, or
        // 2^(e_j) = Π_i (1 + b_i·(2^(2^i) − 1)) from e_j's four bits).
        for s in &cred.slots {
            enforce_bits(s, INPUT_BITS)?;
        }
        let mut shift_bits: Vec<BoolVar> = Vec::new();
        let shifted: Vec<FrVar> = if public {
            let m = model.expect("public model");
            cred.slots.iter().zip(&m.input_shifts).map(|(x, e)| x * Fr::from(1u64 << e)).collect()
        } else {
            let mut out = Vec::with_capacity(SLOTS);
            for (j, x) in cred.slots.iter().enumerate() {
                let e = model.map(|m| m.input_shifts[j]);
                let mut pow = FrVar::one();
                for i in 0..INPUT_SHIFT_BITS {
                    let b = BoolVar::new_witness(cs.clone(), || {
                        e.map(|e| (e >> i) & 1 == 1).ok_or(SynthesisError::AssignmentMissing)
                    })?;
                    let factor = FrVar::one() + FrVar::from(b.clone()) * Fr::from((1u64 << (1 << i)) - 1);
                    pow = if i == 0 { factor } else { pow * factor };
                    shift_bits.push(b);
                }
                out.push(x * &pow);
            }
            out
        };
        // Every weight, in the order the hash packs them.
        let mut all_weights: Vec<FrVar> = Vec::new();
        let dot =
            |ws: &[FrVar], xs: &[FrVar]| -> FrVar { ws.iter().zip(xs).fold(FrVar::zero(), |acc, (w, x)| acc + w * x) };

        // Hidden layer.
        let mut hidden_bias = Vec::new();
        let inputs: Vec<FrVar> = if shape.hidden == 0 {
            shifted
        } else {
            let h = model.map(|m| m.hidden.as_ref().expect("shape says hidden"));
            let mut out = Vec::with_capacity(shape.hidden);
            for k in 0..shape.hidden {
                let mut row = Vec::with_capacity(SLOTS);
                for j in 0..SLOTS {
                    let wv = weight(&cs, mode, h.map(|h| h.weights[k][j]))?;
                    all_weights.push(wv.clone());
                    row.push(wv);
                }
                let b = value(&cs, mode, h.map(|h| h.bias[k]))?;
                let z = dot(&row, &shifted) + &b;
                hidden_bias.push(b);
                out.push(rescale_relu(&cs, &z, shape.shift)?);
            }
            out
        };

        // Output neuron.
        let mut out_w = Vec::with_capacity(inputs.len());
        for j in 0..inputs.len() {
            let wv = weight(&cs, mode, model.map(|m| m.output.weights[j]))?;
            all_weights.push(wv.clone());
            out_w.push(wv);
        }
        let out_b = value(&cs, mode, model.map(|m| m.output.bias))?;
        let z = dot(&out_w, &inputs) + &out_b;

        // Threshold: d = (T − z − 1) + above·(2z − 2T) ∈ [0, 2^68).
        let t = value(&cs, mode, model.map(|m| m.threshold))?;
        let above = BoolVar::new_variable(
            cs.clone(),
            || model.map(|m| m.direction == Direction::Above).ok_or(SynthesisError::AssignmentMissing),
            mode,
        )?;
        let below_d = &t - &z - Fr::from(1u64);
        let d = &below_d + FrVar::from(above.clone()) * (&z - &t).double()?;
        enforce_bits(&d, MARGIN_BITS)?;

        // Model hash.
        match &self.weights {
            Weights::Public(m) => {
                let schema = Fr::from(m.model.schema_id().map_err(|_| SynthesisError::Unsatisfiable)?);
                cred.schema.enforce_equal(&FrVar::constant(schema))?;
                let hash = m.hash.ok_or(SynthesisError::Unsatisfiable)?;
                p.policy_hash.enforce_equal(&FrVar::constant(hash))?;
            }
            Weights::Private(s) => {
                let header = FrVar::constant(Fr::from(s.hidden as u64 + (u64::from(s.shift) << 8)))
                    + FrVar::from(above) * Fr::from(1u64 << 16);
                let shifts = shift_bits
                    .iter()
                    .enumerate()
                    .fold(FrVar::zero(), |acc, (i, b)| acc + FrVar::from(b.clone()) * Fr::from(1u64 << i));
                let mut elements = vec![cred.schema.clone(), header, shifts, t];
                elements.extend(hidden_bias);
                elements.push(out_b);
                elements.extend(pack_weights(&all_weights));
                crate::poseidon::chain(model_tag(), &elements)?.enforce_equal(&p.policy_hash)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{Rng, SeedableRng};

    /// The packing gadget equals `model::pack_weights` on weights across the whole signed
    /// 16-bit range (the edges included), for lengths that fill and that do not fill the last
    /// element.
    #[test]
    fn pack_weights_gadget_equals_native() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let (lo, hi) = (-(1i64 << (WEIGHT_BITS - 1)), (1i64 << (WEIGHT_BITS - 1)) - 1);
        for n in [1, WEIGHTS_PER_ELEMENT - 1, WEIGHTS_PER_ELEMENT, WEIGHTS_PER_ELEMENT + 1, 3 * WEIGHTS_PER_ELEMENT + 2]
        {
            let mut ws: Vec<i64> = (0..n).map(|_| rng.gen_range(lo..=hi)).collect();
            ws[0] = lo;
            ws[n - 1] = hi;
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<FrVar> = ws.iter().map(|w| weight(&cs, AllocationMode::Witness, Some(*w)).unwrap()).collect();
            let packed: Vec<Fr> = pack_weights(&vars).iter().map(|v| v.value().unwrap()).collect();
            assert_eq!(packed, healthzk_core::model::pack_weights(&ws), "{n} weights");
            assert!(cs.is_satisfied().unwrap());
        }
        // A weight outside 16 signed bits fails its range check.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let _ = weight(&cs, AllocationMode::Witness, Some(hi + 1)).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
