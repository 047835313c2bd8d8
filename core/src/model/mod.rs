//! Score-threshold models: fixed-point dense networks over a credential's slots, their exact
//! integer semantics, their hash, and the import of scikit-learn models.
//!
//! A model reads all [`SLOTS`] slots of a credential as unsigned integers below `2^32` (the
//! weight of a slot the model does not use is 0), each shifted left by its own `e_j ≤ 15`
//! (`x'_j = x_j·2^(e_j)`: slots in very different units keep 16-bit weights precise), and is
//! either
//! - **logistic regression**: `z = Σ_j w_j·x'_j + b`, or
//! - **an MLP with one ReLU hidden layer** of `H ≤ 16` neurons:
//!   `q_k = ⌊(Σ_j W_kj·x'_j + B_k) / 2^S⌋` (floor, i.e. rounding toward −∞),
//!   `a_k = max(q_k, 0)`, `z = Σ_k v_k·a_k + c`.
//!
//! All arithmetic is exact on integers; the only rounding is the one floor per hidden neuron.
//! The statement holds when `z < T` (`below`) or `z > T` (`above`), for the model's integer
//! threshold `T` on the logit scale. Widths, each range-checked in the circuit:
//! inputs [`INPUT_BITS`] unsigned, weights [`WEIGHT_BITS`] signed, hidden `q_k` [`ACT_BITS`]
//! signed (a wider value is an overflow: the statement is then unsatisfiable), and
//! `T − z − 1` (or `z − T − 1`) [`MARGIN_BITS`] unsigned. Biases and `T` are below
//! `2^BIAS_BITS` in magnitude, so `|z| < 2^67` and no value ever wraps modulo r.
//!
//! [`import::ModelImport`] turns a plain JSON export of a scikit-learn `LogisticRegression` or
//! `MLPClassifier` (and the `StandardScaler` in front of it) into a [`Model`]: it folds the
//! slots' decimal scales and the standardisation into the first layer, quantizes, and maps a
//! probability threshold to its logit. `SPEC.md` states every step.

use crate::{
    credential::{Schema, SlotKind},
    field::{self, from_short_str},
    poseidon, Error, Fr, Result, SLOTS,
};
use ark_ff::Field;
use serde::{Deserialize, Serialize};

pub mod import;

/// Format marker of a model file.
pub const MODEL_FORMAT: &str = "healthzk/model/v1";
/// Width of every input (slot value), unsigned.
pub const INPUT_BITS: usize = 32;
/// Width of every weight, two's complement: `−2^15 ≤ w < 2^15`.
pub const WEIGHT_BITS: usize = 16;
/// Magnitude bound of biases and the threshold: `|b| < 2^66`.
pub const BIAS_BITS: usize = 66;
/// Largest per-slot input shift `e_j`.
pub const MAX_INPUT_SHIFT: u32 = 15;
/// Bits per packed input shift in the hash.
pub const INPUT_SHIFT_BITS: usize = 4;
/// Width of a hidden neuron after the rescale, two's complement: `−2^31 ≤ q < 2^31`.
pub const ACT_BITS: usize = 32;
/// Width of the threshold margin `T − z − 1` (or `z − T − 1`), the score statement's one
/// ordering comparison: `0 ≤ margin < 2^68`. (Slot comparisons use [`crate::COMPARE_BITS`].)
pub const MARGIN_BITS: usize = 68;
/// Most hidden neurons.
pub const MAX_HIDDEN: usize = 16;
/// Largest rescale shift.
pub const MAX_SHIFT: u32 = 64;
/// Weights packed per hashed field element (15 × 16 bits = 240 bits < 253).
pub const WEIGHTS_PER_ELEMENT: usize = 15;
/// Fractional bits of hidden activations chosen by the importer.
pub const HIDDEN_FRAC_BITS: u32 = 16;
/// Largest fractional-bit count the importer gives a layer's output.
pub const MAX_FRAC_BITS: u32 = 60;

/// Domain tag, the start of the model hash chain: bytes of `"healthzk/model/v1"`.
pub fn model_tag() -> Fr {
    from_short_str("tag", MODEL_FORMAT).expect("short tag")
}

/// Which side of the threshold the statement asserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `z < T`.
    Below,
    /// `z > T`.
    Above,
}

/// The hidden layer of an MLP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hidden {
    /// `H` rows of [`SLOTS`] weights: `weights[k][j]` multiplies slot `j` into neuron `k`.
    pub weights: Vec<Vec<i64>>,
    /// `H` biases (decimal strings in JSON: they may exceed 2^53).
    #[serde(with = "crate::serde_adapters::int_str::vec")]
    pub bias: Vec<i128>,
    /// Rescale: `q_k = ⌊z_k / 2^shift⌋`.
    pub shift: u32,
}

/// The output neuron.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// [`SLOTS`] weights (logistic regression) or `H` weights (MLP).
    pub weights: Vec<i64>,
    /// Bias (a decimal string in JSON).
    #[serde(with = "crate::serde_adapters::int_str")]
    pub bias: i128,
}

/// A quantized model, as registered and hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// [`MODEL_FORMAT`].
    pub format: String,
    /// A human-readable name (not hashed).
    pub name: String,
    /// Schema name of the credentials it reads, e.g. `lab_panel/v1`.
    pub schema: String,
    /// Per-slot left shifts `e_j ≤ 15` of the inputs to the first layer.
    pub input_shifts: Vec<u32>,
    /// The hidden layer, absent for logistic regression.
    #[serde(default)]
    pub hidden: Option<Hidden>,
    /// The output neuron: its value `z` is the logit, scaled by `2^frac_bits`.
    pub output: Output,
    /// Threshold on `z` (a decimal string in JSON).
    #[serde(with = "crate::serde_adapters::int_str")]
    pub threshold: i128,
    /// Side of the threshold.
    pub direction: Direction,
    /// Fractional bits of `z` (informational: `z / 2^frac_bits` approximates the real logit).
    pub frac_bits: u32,
}

/// The shape a circuit is built for: hidden width (0 for logistic regression) and shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Hidden neurons, 0 for logistic regression.
    pub hidden: usize,
    /// Rescale shift (0 for logistic regression).
    pub shift: u32,
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.hidden == 0 {
            write!(f, "logistic regression over {SLOTS} slots")
        } else {
            write!(f, "MLP {SLOTS}→{}→1 (ReLU, shift {})", self.hidden, self.shift)
        }
    }
}

/// Why a model does not accept a credential, natively (the circuit is unsatisfiable in each
/// case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalError {
    /// The model itself does not validate (dimensions or widths).
    InvalidModel,
    /// Slot `j` does not fit [`INPUT_BITS`] bits.
    SlotTooWide(usize),
    /// Hidden neuron `k` overflows [`ACT_BITS`] bits after the rescale.
    Overflow(usize),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::InvalidModel => write!(f, "the model does not validate"),
            EvalError::SlotTooWide(j) => write!(f, "slot {j} does not fit {INPUT_BITS} bits"),
            EvalError::Overflow(k) => write!(f, "hidden neuron {k} overflows {ACT_BITS} bits after the rescale"),
        }
    }
}

fn check_width(what: &str, v: i64, bits: usize) -> Result<()> {
    let bound = 1i128 << (bits - 1);
    if (v as i128) < -bound || (v as i128) >= bound {
        return Err(Error::TooWide { field: what.into(), value: v.to_string(), bits });
    }
    Ok(())
}

fn check_magnitude(what: &str, v: i128) -> Result<()> {
    if v.unsigned_abs() >= 1u128 << BIAS_BITS {
        return Err(Error::invalid(format!("{what}: |{v}| must be below 2^{BIAS_BITS}")));
    }
    Ok(())
}

impl Model {
    /// Parses and validates a model file.
    pub fn from_json(s: &str) -> Result<Model> {
        let m: Model = serde_json::from_str(s)?;
        m.validate()?;
        Ok(m)
    }

    /// Checks the format, the schema, every dimension and every width.
    pub fn validate(&self) -> Result<()> {
        if self.format != MODEL_FORMAT {
            return Err(Error::invalid(format!("model format {:?}: expected {MODEL_FORMAT:?}", self.format)));
        }
        Schema::by_name(&self.schema)?;
        if self.input_shifts.len() != SLOTS {
            return Err(Error::invalid(format!(
                "input_shifts has {} entries, expected one per slot ({SLOTS})",
                self.input_shifts.len()
            )));
        }
        if let Some(j) = self.input_shifts.iter().position(|e| *e > MAX_INPUT_SHIFT) {
            return Err(Error::invalid(format!(
                "input_shifts[{j}] = {} exceeds {MAX_INPUT_SHIFT}",
                self.input_shifts[j]
            )));
        }
        let inputs = match &self.hidden {
            None => SLOTS,
            Some(h) => {
                let n = h.weights.len();
                if n == 0 || n > MAX_HIDDEN {
                    return Err(Error::invalid(format!(
                        "hidden layer has {n} neurons; this circuit supports 1..={MAX_HIDDEN}"
                    )));
                }
                if h.bias.len() != n {
                    return Err(Error::invalid(format!("hidden layer: {n} weight rows but {} biases", h.bias.len())));
                }
                if h.shift > MAX_SHIFT {
                    return Err(Error::invalid(format!("hidden shift {} exceeds {MAX_SHIFT}", h.shift)));
                }
                for (k, row) in h.weights.iter().enumerate() {
                    if row.len() != SLOTS {
                        return Err(Error::invalid(format!(
                            "hidden neuron {k}: {} weights, expected one per slot ({SLOTS}); too wide for the circuit",
                            row.len()
                        )));
                    }
                    for (j, w) in row.iter().enumerate() {
                        check_width(&format!("hidden.weights[{k}][{j}]"), *w, WEIGHT_BITS)?;
                    }
                }
                for (k, b) in h.bias.iter().enumerate() {
                    check_magnitude(&format!("hidden.bias[{k}]"), *b)?;
                }
                n
            }
        };
        if self.output.weights.len() != inputs {
            return Err(Error::invalid(format!(
                "output layer has {} weights, expected {inputs} ({})",
                self.output.weights.len(),
                if self.hidden.is_some() { "one per hidden neuron" } else { "one per slot" }
            )));
        }
        for (j, w) in self.output.weights.iter().enumerate() {
            check_width(&format!("output.weights[{j}]"), *w, WEIGHT_BITS)?;
        }
        check_magnitude("output.bias", self.output.bias)?;
        check_magnitude("threshold", self.threshold)?;
        Ok(())
    }

    /// Whether every array has the length its shape requires and input shifts are at most 15
    /// (what a circuit needs to be synthesized at all; widths are the circuit's to enforce).
    pub fn has_valid_dimensions(&self) -> bool {
        let inputs = self.hidden.as_ref().map_or(SLOTS, |h| h.weights.len());
        self.input_shifts.len() == SLOTS
            && self.input_shifts.iter().all(|e| *e <= MAX_INPUT_SHIFT)
            && self.hidden.as_ref().is_none_or(|h| {
                (1..=MAX_HIDDEN).contains(&h.weights.len())
                    && h.bias.len() == h.weights.len()
                    && h.weights.iter().all(|r| r.len() == SLOTS)
                    && h.shift <= MAX_SHIFT
            })
            && self.output.weights.len() == inputs
    }

    /// The circuit shape this model needs.
    pub fn shape(&self) -> Shape {
        match &self.hidden {
            None => Shape { hidden: 0, shift: 0 },
            Some(h) => Shape { hidden: h.weights.len(), shift: h.shift },
        }
    }

    /// Numeric schema id.
    pub fn schema_id(&self) -> Result<u64> {
        Ok(Schema::by_name(&self.schema)?.id)
    }

    /// Every weight in hash order: hidden rows (row-major), then the output weights.
    pub fn weights_in_order(&self) -> Vec<i64> {
        let mut w: Vec<i64> = self.hidden.iter().flat_map(|h| h.weights.iter().flatten().copied()).collect();
        w.extend_from_slice(&self.output.weights);
        w
    }

    /// The hashed elements: `[schema, header, input shifts, T, hidden biases…, output bias,
    /// packed weights…]` with `header = H + 2^8·shift + 2^16·(1 if above)`, input shifts
    /// packed as `Σ_j e_j·2^(4·j)`; signed values as field elements (`−v` is `r − v`); weights
    /// packed [`WEIGHTS_PER_ELEMENT`] per element as `Σ_i (w_i + 2^15)·2^(16·i)`.
    pub fn elements(&self) -> Result<Vec<Fr>> {
        self.validate()?; // the packings below are injective only within the widths
        self.elements_unchecked()
    }

    /// [`Model::elements`] without validation: what a prover cheating on the widths would
    /// hash (tests use it to show the circuit refuses such a model).
    #[doc(hidden)]
    pub fn elements_unchecked(&self) -> Result<Vec<Fr>> {
        let shape = self.shape();
        // Field arithmetic, so an unchecked model cannot overflow (it may alias; validate first).
        let header = Fr::from(shape.hidden as u64)
            + Fr::from(shape.shift) * Fr::from(1u64 << 8)
            + Fr::from(u64::from(self.direction == Direction::Above) << 16);
        let shifts = self.input_shifts.iter().enumerate().fold(Fr::from(0u64), |acc, (j, e)| {
            acc + Fr::from(*e) * Fr::from(2u64).pow([(INPUT_SHIFT_BITS * j) as u64])
        });
        let mut e = vec![Fr::from(self.schema_id()?), header, shifts, field::from_i128(self.threshold)];
        if let Some(h) = &self.hidden {
            e.extend(h.bias.iter().map(|b| field::from_i128(*b)));
        }
        e.push(field::from_i128(self.output.bias));
        e.extend(pack_weights(&self.weights_in_order()));
        Ok(e)
    }

    /// The model hash: `acc = model_tag`; for each chunk of 11 elements (zero-padded),
    /// `acc = Poseidon(acc, chunk…)`.
    pub fn hash(&self) -> Result<Fr> {
        Ok(poseidon::chain(model_tag(), &self.elements()?))
    }

    /// [`Model::hash`] without validation (see [`Model::elements_unchecked`]).
    #[doc(hidden)]
    pub fn hash_unchecked(&self) -> Result<Fr> {
        Ok(poseidon::chain(model_tag(), &self.elements_unchecked()?))
    }

    /// The logit `z` on a credential's slots, exactly; `Err` if the model does not validate,
    /// a slot is too wide or a hidden neuron overflows.
    pub fn logit(&self, slots: &[Fr; SLOTS]) -> std::result::Result<i128, EvalError> {
        // Within the validated widths nothing below can overflow an i128 (|z| < 2^67).
        self.validate().map_err(|_| EvalError::InvalidModel)?;
        let mut x = [0i128; SLOTS];
        for (j, s) in slots.iter().enumerate() {
            let v = field::to_u64(s).filter(|v| *v < 1 << INPUT_BITS).ok_or(EvalError::SlotTooWide(j))?;
            x[j] = (v as i128) << self.input_shifts.get(j).copied().unwrap_or(0);
        }
        let dot = |w: &[i64], v: &[i128]| w.iter().zip(v).map(|(w, v)| *w as i128 * v).sum::<i128>();
        let inputs: Vec<i128> = match &self.hidden {
            None => x.to_vec(),
            Some(h) => {
                let mut a = Vec::with_capacity(h.weights.len());
                for (k, (row, b)) in h.weights.iter().zip(&h.bias).enumerate() {
                    let q = (dot(row, &x) + *b) >> h.shift; // arithmetic shift: floor
                    if !(-(1i128 << (ACT_BITS - 1))..1i128 << (ACT_BITS - 1)).contains(&q) {
                        return Err(EvalError::Overflow(k));
                    }
                    a.push(q.max(0));
                }
                a
            }
        };
        Ok(dot(&self.output.weights, &inputs) + self.output.bias)
    }

    /// Whether a logit satisfies the threshold.
    pub fn accepts(&self, z: i128) -> bool {
        match self.direction {
            Direction::Below => z < self.threshold,
            Direction::Above => z > self.threshold,
        }
    }
}

/// Packs signed 16-bit weights, [`WEIGHTS_PER_ELEMENT`] per field element, little end first.
pub fn pack_weights(w: &[i64]) -> Vec<Fr> {
    w.chunks(WEIGHTS_PER_ELEMENT)
        .map(|chunk| {
            let mut acc = Fr::from(0u64);
            let mut pow = Fr::from(1u64);
            for v in chunk {
                acc += field::from_i128(i128::from(*v) + (1 << (WEIGHT_BITS - 1))) * pow;
                pow *= Fr::from(1u64 << WEIGHT_BITS);
            }
            acc
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use import::{ModelImport, ThresholdSpec};

    fn slots(v: &[u64]) -> [Fr; SLOTS] {
        std::array::from_fn(|j| Fr::from(v.get(j).copied().unwrap_or(0)))
    }

    fn lr() -> Model {
        let mut w = vec![0i64; SLOTS];
        w[0] = 3;
        w[1] = -2;
        Model {
            format: MODEL_FORMAT.into(),
            name: "t".into(),
            schema: "lab_panel/v1".into(),
            input_shifts: vec![0; SLOTS],
            hidden: None,
            output: Output { weights: w, bias: -10 },
            threshold: 5,
            direction: Direction::Below,
            frac_bits: 0,
        }
    }

    #[test]
    fn logistic_logit_is_exact_and_the_threshold_is_strict() {
        let m = lr();
        assert_eq!(m.logit(&slots(&[5, 0])), Ok(5));
        assert!(!m.accepts(5), "exactly at the threshold is not below it");
        assert!(m.accepts(4));
        assert_eq!(m.logit(&slots(&[5, 1])), Ok(3));
        let mut a = m.clone();
        a.direction = Direction::Above;
        assert!(!a.accepts(5) && a.accepts(6));
        assert_eq!(m.logit(&slots(&[1 << 32])), Err(EvalError::SlotTooWide(0)));
        let mut s = m.clone();
        s.input_shifts[1] = 3;
        assert_eq!(s.logit(&slots(&[5, 1])), Ok(15 - 16 - 10));
        s.input_shifts[1] = 16;
        assert!(s.validate().unwrap_err().to_string().contains("input_shifts[1]"));
    }

    #[test]
    fn hidden_layer_floors_then_relus_and_overflow_is_reported() {
        let mut m = lr();
        let mut row = vec![0i64; SLOTS];
        row[0] = 1;
        m.hidden =
            Some(Hidden { weights: vec![row.clone(), row.iter().map(|w| -w).collect()], bias: vec![0, 0], shift: 2 });
        m.output = Output { weights: vec![1, 1], bias: 0 };
        // x = 7: q0 = ⌊7/4⌋ = 1, q1 = ⌊−7/4⌋ = −2 → ReLU 0.
        assert_eq!(m.logit(&slots(&[7])), Ok(1));
        m.hidden.as_mut().unwrap().shift = 0;
        m.hidden.as_mut().unwrap().weights[0][0] = i16::MAX as i64;
        assert_eq!(m.logit(&slots(&[(1u64 << 32) - 1])), Err(EvalError::Overflow(0)));
    }

    #[test]
    fn validation_names_the_problem() {
        let mut m = lr();
        m.output.weights[3] = 1 << 15;
        assert!(m.validate().unwrap_err().to_string().contains("output.weights[3]"));
        let mut m = lr();
        m.output.weights.push(0);
        assert!(m.validate().unwrap_err().to_string().contains("17 weights"));
        let mut m = lr();
        m.threshold = 1 << 66;
        assert!(m.validate().unwrap_err().to_string().contains("threshold"));
        let mut m = lr();
        m.hidden = Some(Hidden { weights: vec![vec![0; SLOTS]; 17], bias: vec![0; 17], shift: 0 });
        assert!(m.validate().unwrap_err().to_string().contains("1..=16"));
        assert!(Model::from_json("{\"format\": 1}").unwrap_err().to_string().contains("malformed JSON"));
        // An unvalidated model (built in code) has no hash and no logit.
        let mut m = lr();
        m.input_shifts[0] = 200;
        assert!(m.hash().is_err());
        assert_eq!(m.logit(&slots(&[1])), Err(EvalError::InvalidModel));
    }

    #[test]
    fn packing_is_offset_binary_little_end_first() {
        let p = pack_weights(&[-(1 << 15), 0, (1 << 15) - 1]);
        assert_eq!(
            p,
            vec![
                Fr::from(0u64)
                    + Fr::from(1u64 << 15) * Fr::from(1u64 << 16)
                    + Fr::from(0xffffu64) * Fr::from(1u64 << 32)
            ]
        );
        assert_eq!(pack_weights(&[0; 16]).len(), 2);
    }

    #[test]
    fn import_folds_scales_and_standardisation() {
        let imp = ModelImport {
            name: "t".into(),
            schema: "lab_panel/v1".into(),
            kind: "logistic_regression".into(),
            inputs: vec!["bmi".into(), "age".into()],
            scaler_mean: Some(vec![25.0, 50.0]),
            scaler_scale: Some(vec![5.0, 10.0]),
            coefs: vec![vec![vec![1.0, 0.5]]],
            intercepts: vec![vec![-0.25]],
            threshold: ThresholdSpec { probability: Some(0.5), logit: None, direction: Direction::Below },
        };
        let (m, f) = imp.quantize().unwrap();
        let schema = Schema::by_name("lab_panel/v1").unwrap();
        let (bmi, _) = schema.slot("bmi").unwrap();
        let (age, _) = schema.slot("age").unwrap();
        let mut s = [0u64; SLOTS];
        s[bmi] = 301; // 30.1 kg/m² at one decimal
        s[age] = 62;
        // Real logit: (30.1 − 25)/5 + 0.5·(62 − 50)/10 − 0.25 = 1.02 + 0.6 − 0.25 = 1.37.
        assert!((f.logit(&s) - 1.37).abs() < 1e-9);
        let z = m.logit(&slots(&s)).unwrap();
        let approx = z as f64 / (m.frac_bits as f64).exp2();
        assert!((approx - 1.37).abs() < 1e-3, "{approx}");
        // The larger weight (per unit of slot) gets the larger input shift.
        assert!(m.input_shifts[bmi] < m.input_shifts[age] || m.input_shifts[age] == 0, "{:?}", m.input_shifts);
        assert_eq!(m.threshold, 0, "p = 0.5 is logit 0");
        assert!(!m.accepts(z));
    }
}
