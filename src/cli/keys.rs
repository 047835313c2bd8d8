//! Keys from a `--keys` directory as the subcommands need them — provers, verifiers, the key
//! a presentation names — through the prover's [`KeyDir`]; every failure is bad input.

use super::io::bad;
use anyhow::Result;
use clap::Args;
use healthzk_core::{model::Model, presentation::Presentation, statement::Statement, Fr};
use healthzk_prover::{keydir::FoundKey, score::ScoreProver, KeyDir, KeyDirError, KeyName, Provenance, Prover};
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

/// The credential-query prover of `dir`; prints where its key came from.
pub fn query_prover(dir: &KeyDir) -> Result<Prover> {
    let p = dir.query_prover().map_err(key_err)?;
    eprintln!("keys: {}", dir.provenance_line(&KeyName::Query, &p.key_id()).map_err(key_err)?.1);
    Ok(p)
}

/// The score prover of `dir` that serves `model` (its own key, or its shape's); prints where
/// its key came from.
pub fn score_prover(dir: &KeyDir, model: &Model, hash: Fr) -> Result<ScoreProver> {
    let name = dir.score_key_for(model, hash).map_err(key_err)?;
    let p = dir.score_prover(&name, Some(model)).map_err(key_err)?;
    eprintln!("keys: {}", dir.provenance_line(&name, &p.key_id()).map_err(key_err)?.1);
    Ok(p)
}

/// `healthzk keys`.
#[derive(clap::Subcommand, Debug)]
pub enum KeysCmd {
    /// List a keys directory: each key's statement, depth and id, and where it came from (a
    /// ceremony's transcript hash and contributors, or a single-party DEVELOPMENT setup).
    Show {
        #[command(flatten)]
        keys: KeysArg,
    },
}

pub fn run(cmd: KeysCmd) -> Result<u8> {
    let KeysCmd::Show { keys } = cmd;
    let dir = keys.dir();
    let found = dir.verifying_keys().map_err(key_err)?;
    if found.is_empty() {
        return Err(bad(format!("{}: no keys (no .vk files)", keys.keys.display())));
    }
    for k in found {
        let stem = k.file.trim_end_matches(".vk");
        let name = KeyName::from_stem(stem).ok_or_else(|| {
            bad(format!("{}: {} is not a key file name healthzk writes", keys.keys.display(), k.file))
        })?;
        let (p, _) = dir.provenance_line(&name, &k.key_id).map_err(key_err)?;
        println!("{}", k.file);
        println!("  statement   {} (depth {})", k.statement, k.depth);
        println!("  key id      {}", k.key_id);
        match p {
            Provenance::Development => {
                println!("  provenance  single-party DEVELOPMENT setup (whoever ran it can forge proofs)")
            }
            Provenance::Ceremony(r) => {
                println!("  provenance  ceremony, transcript hash {}", r.transcript_hash);
                println!("  circuit     {}", r.circuit_hash);
                for (i, c) in r.contributions.iter().enumerate() {
                    let beacon = c.beacon.as_ref().map(|b| format!(" (beacon {b})")).unwrap_or_default();
                    println!("  contributor {} {:?}{beacon}: {}", i + 1, c.name, c.hash);
                }
                let dev = if r.ptau_contributions == 0 { ", DEVELOPMENT: no phase-1 contribution" } else { "" };
                println!(
                    "  ptau        2^{}, {} phase-1 contribution(s){dev}, blake2b {}",
                    r.ptau_power, r.ptau_contributions, r.ptau_blake2b
                );
            }
        }
    }
    Ok(0)
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
