//! The score-threshold statement from the command line: key setup for a model (public
//! weights) or its shape (private weights), proving with a model file, and the verifier's
//! expected model hash.

use crate::cli::{bad, dev_setup_warning, load_model, read, read_json, write_atomic};
use anyhow::Result;
use healthzk_core::{
    field,
    model::{Model, Shape},
    Fr,
};
use healthzk_prover::{
    keys::{self, STATEMENT_SCORE},
    score::{ScoreProver, Weights},
};
use healthzk_verifier::QueryVerifier;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use std::{path::Path, time::Instant};

const PK_FILE: &str = "score-threshold.pk";
pub const VK_FILE: &str = "score-threshold.vk";
const DESCRIPTOR_FILE: &str = "score-threshold.json";
const DESCRIPTOR_FORMAT: &str = "healthzk/score-key/v1";

/// What a score key serves: one model (public weights) or one shape (private weights).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Descriptor {
    format: String,
    depth: usize,
    /// `public` or `private`.
    weights: String,
    /// The model's hash (public weights only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_hash: Option<String>,
    hidden: usize,
    shift: u32,
}

/// `healthzk setup --model M [--private-weights]`.
pub fn setup(dir: &Path, depth: usize, model_path: &Path, private: bool, force: bool) -> Result<u8> {
    if dir.join(PK_FILE).exists() && !force {
        return Err(bad(format!("{} already holds score keys; pass --force to replace them", dir.display())));
    }
    let (model, hash) = load_model(model_path, None)?;
    let shape = model.shape();
    let weights = Weights::for_model(&model, private);
    dev_setup_warning();
    let t = Instant::now();
    let mode = if private { "private" } else { "public" };
    eprintln!("[1/2] generating Groth16 parameters for score-threshold, {shape}, {mode} weights, depth {depth}…");
    let pk = healthzk_prover::score::setup(depth, weights.clone(), &mut OsRng)?;
    let prover = ScoreProver::new(pk, depth, weights)?;
    eprintln!("      {} constraints, done in {:.1} s", prover.num_constraints(), t.elapsed().as_secs_f64());
    eprintln!("[2/2] writing keys to {}…", dir.display());
    let descriptor = Descriptor {
        format: DESCRIPTOR_FORMAT.into(),
        depth,
        weights: mode.into(),
        model_hash: (!private).then(|| field::to_hex(&hash)),
        hidden: shape.hidden,
        shift: shape.shift,
    };
    write_atomic(&dir.join(PK_FILE), &keys::write_pk_for(STATEMENT_SCORE, prover.proving_key(), depth as u32))?;
    write_atomic(&dir.join(VK_FILE), &keys::write_vk_for(STATEMENT_SCORE, &prover.proving_key().vk, depth as u32))?;
    write_atomic(&dir.join(DESCRIPTOR_FILE), (serde_json::to_string_pretty(&descriptor)? + "\n").as_bytes())?;
    println!("key id {}", prover.key_id());
    Ok(0)
}

/// The score prover in `dir`, for `model` (which it must serve).
pub fn load_prover(dir: &Path, model: &Model, hash: Fr) -> Result<(ScoreProver, usize)> {
    let d: Descriptor = read_json(&dir.join(DESCRIPTOR_FILE), "score key descriptor")?;
    if d.format != DESCRIPTOR_FORMAT {
        return Err(bad(format!("{DESCRIPTOR_FILE}: unknown format {:?}", d.format)));
    }
    let weights = match (d.weights.as_str(), &d.model_hash) {
        ("public", Some(h)) => {
            if field::parse_hex("model_hash", h).map_err(|e| bad(format!("{DESCRIPTOR_FILE}: {e}")))? != hash {
                return Err(bad(format!("these keys serve model {h}; --model is {}", field::to_hex(&hash))));
            }
            Weights::for_model(model, false)
        }
        ("private", None) => {
            let shape = Shape { hidden: d.hidden, shift: d.shift };
            if shape != model.shape() {
                return Err(bad(format!("these keys serve the shape {shape}; --model is a {}", model.shape())));
            }
            Weights::Private(shape)
        }
        _ => return Err(bad(format!("{DESCRIPTOR_FILE}: weights must be public (with model_hash) or private"))),
    };
    let (_, id) = load_vk(dir)?;
    let (pk, depth) = keys::read_pk_for(STATEMENT_SCORE, &read(&dir.join(PK_FILE))?, Some(id))
        .map_err(|e| bad(format!("{PK_FILE}: {e}")))?;
    Ok((ScoreProver::new(pk, depth as usize, weights)?, depth as usize))
}

/// The score verifying key in `dir` and its id.
pub fn load_vk(dir: &Path) -> Result<(keys::QueryVerifyingKey, keys::KeyId)> {
    let (vk, _, id) =
        keys::read_vk_for(STATEMENT_SCORE, &read(&dir.join(VK_FILE))?).map_err(|e| bad(format!("{VK_FILE}: {e}")))?;
    Ok((vk, id))
}

/// The score verifier for the keys in `dir`.
pub fn load_verifier(dir: &Path) -> Result<QueryVerifier> {
    let (vk, id) = load_vk(dir)?;
    Ok(QueryVerifier::new_score(&vk, id.0))
}
