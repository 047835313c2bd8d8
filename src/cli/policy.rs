//! `healthzk policy preset|hash`: verifiers' policies — the presets, and a policy's hash.

use super::io::{bad, read_json, write_json_out};
use anyhow::Result;
use clap::Subcommand;
use healthzk_core::{
    field,
    policy::{CompiledPolicy, Policy},
    presets,
};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum PolicyCmd {
    /// Write a preset policy: covid19 (EU DCC style) or yellow-fever (IHR).
    Preset {
        /// Preset name.
        name: String,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print a policy's hash.
    Hash {
        /// Policy JSON.
        policy: PathBuf,
    },
}

/// A policy file, compiled (every clause checked against its schema).
pub fn load_policy(path: &Path) -> Result<(Policy, CompiledPolicy)> {
    let p: Policy = read_json(path, "policy")?;
    let c = p.compile().map_err(|e| bad(format!("{}: {e}", path.display())))?;
    Ok((p, c))
}

pub fn run(cmd: PolicyCmd) -> Result<u8> {
    match cmd {
        PolicyCmd::Preset { name, out } => {
            let p = presets::by_name(&name).map_err(|e| bad(e.to_string()))?;
            write_json_out(&out, &p)?;
            eprintln!("policy hash {}", field::to_hex(&p.hash()?));
        }
        PolicyCmd::Hash { policy } => println!("{}", field::to_hex(&load_policy(&policy)?.1.hash())),
    }
    Ok(0)
}
