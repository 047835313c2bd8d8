//! `healthzk export-verifier`: a stand-alone Solidity verifier for a verifying key, the key
//! written into the source, for users who deploy with their own tools.

use super::{
    io::{bad, write_file},
    keys::{chosen_key, KeysArg},
};
use anyhow::Result;
use clap::Args;
use healthzk_core::statement::Statement;
use std::path::PathBuf;

/// `healthzk export-verifier`.
#[derive(Args, Debug)]
pub struct ExportVerifierArgs {
    #[command(flatten)]
    keys: KeysArg,
    /// Which statement's key.
    #[arg(long, default_value_t = Statement::CredentialQuery)]
    statement: Statement,
    /// Which key, by id, when the directory holds several of the statement's.
    #[arg(long)]
    key_id: Option<String>,
    /// Output .sol file.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: ExportVerifierArgs) -> Result<u8> {
    let key = chosen_key(&a.keys.dir(), a.statement, a.key_id.as_deref())?;
    let source =
        healthzk_anchor::solidity::export(&key.vk, key.key_id.0, a.statement).map_err(|e| bad(e.to_string()))?;
    write_file(&a.out, source.as_bytes())?;
    eprintln!(
        "wrote {} ({} for key id {}; compile with solc ≥ 0.8.24, evmVersion cancun or later)",
        a.out.display(),
        a.statement.contract_name(),
        key.key_id
    );
    Ok(0)
}
