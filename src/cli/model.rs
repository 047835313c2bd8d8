//! `healthzk model import|register|hash`: score models — a scikit-learn export folded and
//! quantized into a model file, a model's hash, its registration on chain.

use super::{
    chain::{register_model, ChainOpts},
    io::{bad, parse_fr, read, write_json_out},
};
use anyhow::Result;
use clap::Subcommand;
use healthzk_core::{
    field,
    model::{import::ModelImport, Model},
    Fr,
};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum ModelCmd {
    /// Fold, quantize and validate a scikit-learn export (see tools/train_sample_model.py);
    /// writes the model file and prints its hash.
    Import {
        /// The export JSON.
        export: PathBuf,
        /// Output model file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Register a model's hash on chain (from an accredited model publisher's account).
    Register {
        /// Model JSON (its hash is registered).
        #[arg(long, required_unless_present = "model_hash", conflicts_with = "model_hash")]
        model: Option<PathBuf>,
        /// Or the model hash itself (0x hex).
        #[arg(long)]
        model_hash: Option<String>,
        #[command(flatten)]
        chain: ChainOpts,
    },
    /// Validate a model file and print its hash; with --expect, refuse (exit 2) a model whose
    /// hash is not the registered one.
    Hash {
        /// Model JSON.
        model: PathBuf,
        /// The registered hash (0x-prefixed hex).
        #[arg(long)]
        expect: Option<String>,
    },
}

/// Loads and validates a model file; with `expect`, its hash must be the registered one.
pub fn load_model(path: &Path, expect: Option<&str>) -> Result<(Model, Fr)> {
    let text = String::from_utf8(read(path)?).map_err(|_| bad(format!("{}: not UTF-8", path.display())))?;
    let model = Model::from_json(&text).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    let hash = model.hash().map_err(|e| bad(format!("{}: {e}", path.display())))?;
    if let Some(expect) = expect {
        let want = field::parse_hex("--expect", expect).map_err(|e| bad(e.to_string()))?;
        if want != hash {
            return Err(bad(format!(
                "{}: model hash {} does not match the registered {}",
                path.display(),
                field::to_hex(&hash),
                field::to_hex(&want)
            )));
        }
    }
    Ok((model, hash))
}

pub fn run(cmd: ModelCmd) -> Result<u8> {
    match cmd {
        ModelCmd::Import { export, out } => {
            let text =
                String::from_utf8(read(&export)?).map_err(|_| bad(format!("{}: not UTF-8", export.display())))?;
            let (model, _) = ModelImport::from_json(&text)
                .and_then(|i| i.quantize())
                .map_err(|e| bad(format!("{}: {e}", export.display())))?;
            write_json_out(&out, &model)?;
            eprintln!("{} — {}, logit scaled by 2^{}", model.name, model.shape(), model.frac_bits);
            eprintln!("model hash {}", field::to_hex(&model.hash()?));
            Ok(0)
        }
        ModelCmd::Register { model, model_hash, chain } => {
            let hash = match (model, model_hash) {
                (Some(m), _) => load_model(&m, None)?.1,
                (None, Some(h)) => parse_fr("--model-hash", &h)?,
                (None, None) => return Err(bad("pass --model or --model-hash")),
            };
            register_model(&chain, hash)
        }
        ModelCmd::Hash { model, expect } => {
            let (_, hash) = load_model(&model, expect.as_deref())?;
            println!("{}", field::to_hex(&hash));
            Ok(0)
        }
    }
}
