//! The sample models (trained by `tools/train_sample_model.py` on scikit-learn's bundled
//! diabetes study) import, fold and quantize as SPEC.md says: on every held-out case the folded
//! float model reproduces sklearn's own logit, and the quantized integer model stays within
//! the documented tolerance of it.
use healthzk_core::{
    model::{import::ModelImport, Model},
    testkit::score::sample_patients,
    Fr, SLOTS,
};
use std::path::PathBuf;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(models_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Quantization tolerance on the logit, in logit units (see SPEC.md, "Score models").
const TOLERANCE: f64 = 0.01;

fn cases() -> Vec<([u64; SLOTS], f64, f64)> {
    sample_patients().into_iter().map(|p| (p.slots, p.lr_logit, p.mlp_logit)).collect()
}

fn check(import_file: &str, model_file: &str, pick: fn(&([u64; SLOTS], f64, f64)) -> f64) {
    let (model, float) = ModelImport::from_json(&read(import_file)).unwrap().quantize().unwrap();
    // The committed quantized model is exactly what the importer produces.
    assert_eq!(Model::from_json(&read(model_file)).unwrap(), model, "{model_file} is stale: re-run model import");
    let cases = cases();
    assert!(cases.len() > 100);
    let scale = (model.frac_bits as f64).exp2();
    let mut worst: f64 = 0.0;
    for case in &cases {
        let sklearn = pick(case);
        assert!((float.logit(&case.0) - sklearn).abs() < 1e-6, "folding changed the model");
        let slots: [Fr; SLOTS] = std::array::from_fn(|j| Fr::from(case.0[j]));
        let z = model.logit(&slots).expect("in range") as f64 / scale;
        worst = worst.max((z - sklearn).abs());
    }
    println!("{model_file}: {} cases, worst quantized-logit error {worst:.2e}", cases.len());
    assert!(worst < TOLERANCE, "{model_file}: quantized logit off by {worst}");
}

#[test]
fn logistic_regression_sample_matches_sklearn() {
    check("diabetes-progression-lr.import.json", "diabetes-progression-lr.model.json", |c| c.1);
}

#[test]
fn mlp_sample_matches_sklearn() {
    check("diabetes-progression-mlp.import.json", "diabetes-progression-mlp.model.json", |c| c.2);
}
