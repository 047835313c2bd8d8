//! The import of scikit-learn models: [`ModelImport`] turns a plain JSON export of a
//! `LogisticRegression` or `MLPClassifier` (and the `StandardScaler` in front of it) into a
//! [`Model`] — it folds the slots' decimal scales and the standardisation into the first layer,
//! quantizes, and maps a probability threshold to its logit. `SPEC.md` §7a states every step.

use super::*;

/// A plain JSON export of a scikit-learn model (see `tools/export_model.py`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelImport {
    /// Name carried into the model.
    pub name: String,
    /// Schema the inputs are slots of.
    pub schema: String,
    /// `logistic_regression` or `mlp`.
    pub kind: String,
    /// Slot names, in the model's feature order.
    pub inputs: Vec<String>,
    /// `StandardScaler` `mean_`, if the pipeline has one.
    #[serde(default)]
    pub scaler_mean: Option<Vec<f64>>,
    /// `StandardScaler` `scale_`, if the pipeline has one.
    #[serde(default)]
    pub scaler_scale: Option<Vec<f64>>,
    /// `coef_` (logistic regression, shape 1 × n) or `coefs_` flattened per layer (MLP: n × H,
    /// then H × 1), as sklearn stores them.
    pub coefs: Vec<Vec<Vec<f64>>>,
    /// `intercept_` (one layer) or `intercepts_` (two layers).
    pub intercepts: Vec<Vec<f64>>,
    /// The threshold.
    pub threshold: ThresholdSpec,
}

/// A threshold given as a probability or as a logit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdSpec {
    /// Probability in (0, 1): mapped to `ln(p / (1 − p))`.
    #[serde(default)]
    pub probability: Option<f64>,
    /// The logit directly.
    #[serde(default)]
    pub logit: Option<f64>,
    /// `below` or `above`.
    pub direction: Direction,
}

/// The float model over integer slot values, kept beside the quantized one as the reference.
#[derive(Debug, Clone)]
pub struct FloatModel {
    hidden: Option<(Vec<[f64; SLOTS]>, Vec<f64>)>,
    output: (Vec<f64>, f64),
}

impl FloatModel {
    /// The real logit on a credential's slot values.
    pub fn logit(&self, slots: &[u64; SLOTS]) -> f64 {
        let x: Vec<f64> = slots.iter().map(|v| *v as f64).collect();
        let inputs: Vec<f64> = match &self.hidden {
            None => x,
            Some((w, b)) => w
                .iter()
                .zip(b)
                .map(|(row, b)| (row.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>() + b).max(0.0))
                .collect(),
        };
        self.output.0.iter().zip(&inputs).map(|(w, x)| w * x).sum::<f64>() + self.output.1
    }
}

fn finite(what: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::invalid(format!("{what}: {v} is not a finite number")))
    }
}

/// Largest `f ≤ 2·MAX_FRAC_BITS` with `round(|w|·2^f) < 2^15`.
fn frac_for(w: f64) -> u32 {
    (0..=2 * MAX_FRAC_BITS)
        .rev()
        .find(|&f| (w.abs() * (f as f64).exp2()).round() < (1u64 << (WEIGHT_BITS - 1)) as f64)
        .unwrap_or(0)
}

/// `round(v·2^frac)`, half away from zero, checked against `2^BIAS_BITS`.
fn quantize(what: &str, v: f64, frac: u32) -> Result<i128> {
    let q = (v * (frac as f64).exp2()).round();
    if q.abs() >= (BIAS_BITS as f64).exp2() {
        return Err(Error::invalid(format!("{what}: {v} scaled by 2^{frac} does not fit {BIAS_BITS} bits")));
    }
    Ok(q as i128)
}

/// A weight quantized to [`WEIGHT_BITS`] bits (the caller chose `frac` so it fits).
fn quantize_weight(v: f64, frac: u32) -> i64 {
    (v * (frac as f64).exp2()).round() as i64
}

/// Scale and per-slot shifts for a first layer: `F = min_j (f_j + 15)` (capped), where `f_j` is
/// the finest scale at which slot `j`'s largest weight fits 16 bits, and `e_j = max(0, F − f_j)`.
fn first_layer_scale(rows: &[[f64; SLOTS]]) -> (u32, Vec<u32>) {
    let f: Vec<u32> = (0..SLOTS).map(|j| frac_for(rows.iter().fold(0f64, |m, r| m.max(r[j].abs())))).collect();
    let total = f.iter().map(|f| f + MAX_INPUT_SHIFT).min().unwrap_or(0).min(MAX_FRAC_BITS);
    (total, f.iter().map(|f| total.saturating_sub(*f)).collect())
}

impl ModelImport {
    /// Parses an export.
    pub fn from_json(s: &str) -> Result<ModelImport> {
        Ok(serde_json::from_str(s)?)
    }

    /// Folds scales and standardisation into the first layer: returns the float model over
    /// integer slot values.
    pub fn float_model(&self) -> Result<FloatModel> {
        let schema = Schema::by_name(&self.schema)?;
        let n = self.inputs.len();
        if n == 0 || n > SLOTS {
            return Err(Error::invalid(format!("{n} inputs: a model reads 1..={SLOTS} slots")));
        }
        let mut slot_of = Vec::with_capacity(n);
        for name in &self.inputs {
            let (j, kind) = schema.slot(name)?;
            let decimals = match kind {
                SlotKind::Decimal(d) => d,
                SlotKind::Int => 0,
                other => return Err(Error::invalid(format!("input {name}: slot kind {other:?} is not numeric"))),
            };
            if slot_of.iter().any(|(k, _)| *k == j) {
                return Err(Error::invalid(format!("input {name} appears twice")));
            }
            slot_of.push((j, 10f64.powi(decimals as i32)));
        }
        let mean = self.scaler_mean.clone().unwrap_or_else(|| vec![0.0; n]);
        let scale = self.scaler_scale.clone().unwrap_or_else(|| vec![1.0; n]);
        if mean.len() != n || scale.len() != n {
            return Err(Error::invalid(format!(
                "scaler has {} means and {} scales for {n} inputs",
                mean.len(),
                scale.len()
            )));
        }
        for (i, s) in scale.iter().enumerate() {
            if finite("scaler_scale", *s)? <= 0.0 {
                return Err(Error::invalid(format!("scaler_scale[{i}] = {s} must be positive")));
            }
            finite("scaler_mean", mean[i])?;
        }
        // First layer as given: coefs[0] is n × m (m outputs), intercepts[0] has m entries.
        let layers = match self.kind.as_str() {
            "logistic_regression" => 1,
            "mlp" => 2,
            k => return Err(Error::invalid(format!("kind {k:?}: expected logistic_regression or mlp"))),
        };
        if self.coefs.len() != layers || self.intercepts.len() != layers {
            return Err(Error::invalid(format!(
                "{}: expected {layers} coefficient and intercept arrays, got {} and {}",
                self.kind,
                self.coefs.len(),
                self.intercepts.len()
            )));
        }
        let first = &self.coefs[0];
        let m = self.intercepts[0].len();
        // sklearn's LogisticRegression.coef_ is 1 × n; MLP coefs_[0] is n × H.
        let w_at = |i: usize, k: usize| -> Result<f64> {
            let v =
                if layers == 1 { first.first().and_then(|r| r.get(i)) } else { first.get(i).and_then(|r| r.get(k)) };
            finite("coefs", *v.ok_or_else(|| Error::invalid("coefs: shape does not match the inputs"))?)
        };
        if layers == 1 && (m != 1 || first.len() != 1 || first[0].len() != n) {
            return Err(Error::invalid(format!("logistic_regression: coef must be 1 × {n} and intercept 1 value")));
        }
        if layers == 2 && (first.len() != n || first.iter().any(|r| r.len() != m) || m == 0 || m > MAX_HIDDEN) {
            return Err(Error::invalid(format!(
                "mlp: first layer must be {n} × H with 1 ≤ H ≤ {MAX_HIDDEN}; too wide for the circuit"
            )));
        }
        let mut w1 = vec![[0f64; SLOTS]; m];
        let mut b1 = vec![0f64; m];
        for (k, (row, b)) in w1.iter_mut().zip(b1.iter_mut()).enumerate() {
            *b = finite("intercepts", self.intercepts[0][k])?;
            for (i, (j, unit)) in slot_of.iter().enumerate() {
                let c = w_at(i, k)?;
                row[*j] = c / (scale[i] * unit);
                *b -= c * mean[i] / scale[i];
            }
        }
        if layers == 1 {
            return Ok(FloatModel { hidden: None, output: (w1[0].to_vec(), b1[0]) });
        }
        let second = &self.coefs[1];
        if second.len() != m || second.iter().any(|r| r.len() != 1) || self.intercepts[1].len() != 1 {
            return Err(Error::invalid(format!("mlp: second layer must be {m} × 1 with one intercept")));
        }
        let v: Vec<f64> = second.iter().map(|r| finite("coefs", r[0])).collect::<Result<_>>()?;
        let c = finite("intercepts", self.intercepts[1][0])?;
        Ok(FloatModel { hidden: Some((w1, b1)), output: (v, c) })
    }

    /// Quantizes: the registered model and its float reference (SPEC.md, "Score models").
    pub fn quantize(&self) -> Result<(Model, FloatModel)> {
        let float = self.float_model()?;
        let logit_t = match (&self.threshold.probability, &self.threshold.logit) {
            (Some(p), None) if *p > 0.0 && *p < 1.0 => (p / (1.0 - p)).ln(),
            (Some(p), None) => return Err(Error::invalid(format!("threshold probability {p} must be in (0, 1)"))),
            (None, Some(l)) => finite("threshold logit", *l)?,
            _ => return Err(Error::invalid("threshold: give exactly one of probability or logit")),
        };
        let first: Vec<[f64; SLOTS]> = match &float.hidden {
            None => vec![float.output.0.clone().try_into().expect("one weight per slot")],
            Some((w1, _)) => w1.clone(),
        };
        let (f1, input_shifts) = first_layer_scale(&first);
        let row = |r: &[f64; SLOTS]| -> Vec<i64> {
            r.iter().zip(&input_shifts).map(|(w, e)| quantize_weight(*w, f1 - e)).collect()
        };
        let (hidden, output, frac_bits) = match &float.hidden {
            None => (None, Output { weights: row(&first[0]), bias: quantize("intercept", float.output.1, f1)? }, f1),
            Some((w1, b1)) => {
                let shift = f1.saturating_sub(HIDDEN_FRAC_BITS);
                let fh = f1 - shift;
                let hidden = Hidden {
                    weights: w1.iter().map(row).collect(),
                    bias: b1.iter().map(|b| quantize("hidden intercept", *b, f1)).collect::<Result<_>>()?,
                    shift,
                };
                let vmax = float.output.0.iter().fold(0f64, |m, v| m.max(v.abs()));
                let f2 = frac_for(vmax).min(MAX_FRAC_BITS - fh);
                let out = Output {
                    weights: float.output.0.iter().map(|v| quantize_weight(*v, f2)).collect(),
                    bias: quantize("output intercept", float.output.1, fh + f2)?,
                };
                (Some(hidden), out, fh + f2)
            }
        };
        let model = Model {
            format: MODEL_FORMAT.into(),
            name: self.name.clone(),
            schema: self.schema.clone(),
            input_shifts,
            hidden,
            output,
            threshold: quantize("threshold", logit_t, frac_bits)?,
            direction: self.threshold.direction,
            frac_bits,
        };
        model.validate()?;
        Ok((model, float))
    }
}
