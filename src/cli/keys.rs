//! Keys from a `--keys` directory as the subcommands need them — provers, verifiers, the key
//! a presentation names — through the prover's [`KeyDir`]; every failure is bad input.

use super::io::bad;
use anyhow::Result;
use clap::Args;
use healthzk_core::{model::Model, presentation::Presentation, statement::Statement, Fr};
use healthzk_prover::{keydir::FoundKey, score::ScoreProver, KeyDir, KeyDirError, Prover};
use healthzk_verifier::Verifier;
use std::path::PathBuf;

/// Where the keys are.
#[derive(Args, Debug, Clone)]
pub struct KeysArg {
    /// Keys directory (credential-query.pk/.vk, score-threshold-*.pk/.vk).
    #[arg(long, default_value = "healthzk-data/keys")]
    pub keys: PathBuf,
}

impl KeysArg {
    /// The directory.
    pub fn dir(&self) -> KeyDir {
        KeyDir::new(&self.keys)
    }
}

/// A keys-directory failure as bad input (exit 2).
pub fn key_err(e: KeyDirError) -> anyhow::Error {
    bad(e.to_string())
}

/// The credential-query prover of `dir`.
pub fn query_prover(dir: &KeyDir) -> Result<Prover> {
    dir.query_prover().map_err(key_err)
}

/// The score prover of `dir` that serves `model` (its own key, or its shape's).
pub fn score_prover(dir: &KeyDir, model: &Model, hash: Fr) -> Result<ScoreProver> {
    let name = dir.score_key_for(model, hash).map_err(key_err)?;
    dir.score_prover(&name, Some(model)).map_err(key_err)
}

/// The verifying key of `statement` that a presentation names by its key id; if the directory
/// has no key of that id, its one key of the statement (so the verifier rejects the
/// presentation's key id by name).
pub fn key_for(dir: &KeyDir, statement: Statement, key_id: &str) -> Result<FoundKey> {
    let by_id = dir
        .verifying_keys()
        .map_err(key_err)?
        .into_iter()
        .find(|k| k.statement == statement && k.key_id.to_hex() == key_id);
    match by_id {
        Some(k) => Ok(k),
        None => dir.only_verifying_key(statement).map_err(key_err),
    }
}

/// The verifier for a presentation of `statement` under the keys of `dir`.
pub fn verifier_for(dir: &KeyDir, statement: Statement, p: &Presentation) -> Result<Verifier> {
    let k = key_for(dir, statement, &p.key_id)?;
    Ok(Verifier::new(statement, &k.vk, k.key_id.0))
}

/// The key `--key-id` names, or the one key of `statement` in `dir`.
pub fn chosen_key(dir: &KeyDir, statement: Statement, key_id: Option<&str>) -> Result<FoundKey> {
    match key_id {
        None => dir.only_verifying_key(statement).map_err(key_err),
        Some(id) => {
            let id = id.trim().trim_start_matches("0x").to_ascii_lowercase();
            dir.verifying_keys()
                .map_err(key_err)?
                .into_iter()
                .find(|k| k.statement == statement && k.key_id.to_hex() == id)
                .ok_or_else(|| bad(format!("{}: no {statement} key with id {id}", dir.path().display())))
        }
    }
}
