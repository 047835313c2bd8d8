//! Model files (fixed-point score models) and scikit-learn exports: parse, validate, hash,
//! quantize. Must never panic (no overflow in the fixed-point bounds, no NaN surprises).
#![no_main]
use healthzk_core::model::{Model, ModelImport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(m) = Model::from_json(text) {
        if m.validate().is_ok() {
            let _ = m.hash();
        }
    }
    if let Ok(import) = ModelImport::from_json(text) {
        if let Ok((m, _)) = import.quantize() {
            assert!(m.validate().is_ok(), "quantize returns a valid model");
        }
    }
});
