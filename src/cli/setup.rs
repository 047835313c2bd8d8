//! `healthzk setup --dev`: a single-party Groth16 setup (DEVELOPMENT ONLY; the flag is required) of the credential query,
//! or with `--model` of the score threshold for a model (public weights) or its shape
//! (`--private-weights`), written to a keys directory.

use super::{
    io::{bad, depth_arg, dev_setup_warning},
    keys::key_err,
    model::load_model,
};
use anyhow::Result;
use clap::Args;
use healthzk_core::{statement::Statement, DEFAULT_TREE_DEPTH};
use healthzk_prover::{
    score::{ScoreProver, Weights},
    KeyDir, KeyName, Prover,
};
use rand::rngs::OsRng;
use std::{path::PathBuf, time::Instant};

/// `healthzk setup`.
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Required: this is a single-party setup, for development only (production keys come
    /// from `healthzk ceremony`).
    #[arg(long)]
    dev: bool,
    /// Where to write the key files.
    #[arg(long, default_value = "healthzk-data/keys")]
    keys: PathBuf,
    /// Issuer tree depth the keys serve.
    #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
    depth: usize,
    /// Overwrite existing keys.
    #[arg(long)]
    force: bool,
    /// Set up the score-threshold statement for this model file instead of the
    /// credential query (one key per model with public weights).
    #[arg(long)]
    model: Option<PathBuf>,
    /// With --model: keep the weights private (one key per model shape; the verifier
    /// learns only the model hash).
    #[arg(long, requires = "model")]
    private_weights: bool,
}

pub fn run(a: SetupArgs) -> Result<u8> {
    if !a.dev {
        return Err(bad(
            "healthzk setup is a single-party setup: whoever runs it can forge proofs. Pass --dev to make \
             development keys; production keys come from a multi-party ceremony (healthzk ceremony, README \
             \"Production keys\")",
        ));
    }
    depth_arg(a.depth)?;
    let dir = KeyDir::new(&a.keys);
    if let Some(model) = &a.model {
        return score(&dir, a.depth, model, a.private_weights, a.force);
    }
    if dir.has(&KeyName::Query) && !a.force {
        return Err(bad(format!("{} already holds keys; pass --force to replace them", a.keys.display())));
    }
    dev_setup_warning();
    let t = Instant::now();
    eprintln!(
        "[1/3] generating Groth16 parameters for {} at depth {} (takes a few seconds)…",
        Statement::CredentialQuery,
        a.depth
    );
    let pk = healthzk_prover::setup(a.depth, &mut OsRng)?;
    eprintln!("      done in {:.1} s", t.elapsed().as_secs_f64());
    eprintln!("[2/3] synthesizing constraint matrices…");
    let prover = Prover::new(pk, a.depth)?;
    eprintln!("      {} constraints", prover.num_constraints());
    eprintln!("[3/3] writing keys to {}…", a.keys.display());
    dir.write(&KeyName::Query, prover.proving_key(), a.depth).map_err(key_err)?;
    println!("key id {}", prover.key_id());
    Ok(0)
}

/// `healthzk setup --model M [--private-weights]`.
fn score(dir: &KeyDir, depth: usize, model_path: &std::path::Path, private: bool, force: bool) -> Result<u8> {
    let (model, hash) = load_model(model_path, None)?;
    let shape = model.shape();
    let name = if private { KeyName::ScoreShape(shape) } else { KeyName::ScoreModel(hash) };
    if dir.has(&name) && !force {
        return Err(bad(format!(
            "{} already holds score keys ({name}); pass --force to replace them",
            dir.path().display()
        )));
    }
    let weights = Weights::for_model(&model, private);
    dev_setup_warning();
    let t = Instant::now();
    let mode = if private { "private" } else { "public" };
    eprintln!(
        "[1/2] generating Groth16 parameters for {}, {shape}, {mode} weights, depth {depth}…",
        Statement::ScoreThreshold
    );
    let pk = healthzk_prover::score::setup(depth, weights.clone(), &mut OsRng)?;
    let prover = ScoreProver::new(pk, depth, weights)?;
    eprintln!("      {} constraints, done in {:.1} s", prover.num_constraints(), t.elapsed().as_secs_f64());
    eprintln!("[2/2] writing keys to {}…", dir.path().display());
    dir.write(&name, prover.proving_key(), depth).map_err(key_err)?;
    println!("key id {}", prover.key_id());
    Ok(0)
}
