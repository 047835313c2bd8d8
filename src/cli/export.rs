//! `healthzk export snarkjs`: a presentation and its verifying key in snarkjs's Groth16 JSON
//! (`snarkjs groth16 verify verification_key.json public.json proof.json`).

use super::{
    io::{bad, read_json, write_file},
    keys::{key_for, KeysArg},
};
use anyhow::Result;
use clap::Subcommand;
use healthzk_core::presentation::Presentation;
use healthzk_verifier::snarkjs;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// Write verification_key.json, proof.json and public.json in snarkjs's Groth16 format
    /// (`snarkjs groth16 verify verification_key.json public.json proof.json`).
    Snarkjs {
        #[command(flatten)]
        keys: KeysArg,
        /// Presentation JSON.
        #[arg(long)]
        presentation: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: ExportCmd) -> Result<u8> {
    let ExportCmd::Snarkjs { keys, presentation, out } = cmd;
    let pres: Presentation = read_json(&presentation, "presentation")?;
    let statement = pres.statement().map_err(|e| bad(format!("{}: {e}", presentation.display())))?;
    let key = key_for(&keys.dir(), statement, &pres.key_id)?;
    if pres.key_id != key.key_id.to_hex() {
        return Err(bad(format!(
            "{}: key id {} is not these keys' {}",
            presentation.display(),
            pres.key_id,
            key.key_id
        )));
    }
    let public = pres.public.parse().map_err(|e| bad(format!("{}: {e}", presentation.display())))?;
    let proof =
        healthzk_verifier::decode_proof(&pres.proof).map_err(|e| bad(format!("{}: {e}", presentation.display())))?;
    for (name, v) in [
        ("verification_key.json", snarkjs::verification_key(&key.vk)),
        ("proof.json", snarkjs::proof(&proof)),
        ("public.json", snarkjs::public(&public.to_field_elements())),
    ] {
        write_file(&out.join(name), (serde_json::to_string_pretty(&v)? + "\n").as_bytes())?;
    }
    eprintln!("wrote verification_key.json, proof.json, public.json to {}", out.display());
    Ok(0)
}
