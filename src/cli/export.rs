//! `healthzk export snarkjs`: a presentation and its verifying key in snarkjs's Groth16 JSON
//! (`snarkjs groth16 verify verification_key.json public.json proof.json`); `healthzk export
//! r1cs`: a statement's constraint system in iden3's `.r1cs` (`snarkjs r1cs info`, and the
//! circuit a phase-2 ceremony runs over).

use super::{
    ceremony::{Circuit, CircuitArgs},
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
    /// Write a statement's constraint system as iden3's binary `.r1cs` (circom's format:
    /// `snarkjs r1cs info`, `snarkjs zkey new`). Wire 0 is the constant 1, then the public
    /// inputs in circuit order, then the witness.
    R1cs {
        #[command(flatten)]
        circuit: CircuitArgs,
        /// Output file (.r1cs).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: ExportCmd) -> Result<u8> {
    match cmd {
        ExportCmd::Snarkjs { keys, presentation, out } => snarkjs(keys, presentation, out),
        ExportCmd::R1cs { circuit, out } => r1cs(&circuit, out),
    }
}

fn r1cs(circuit: &CircuitArgs, out: PathBuf) -> Result<u8> {
    let Circuit { statement, depth, r1cs: r, .. } = circuit.circuit()?;
    write_file(&out, &r.to_r1cs_bytes()?)?;
    eprintln!(
        "wrote {}: {statement} at depth {depth}, {} constraints, {} wires ({} public inputs)",
        out.display(),
        r.num_constraints,
        r.num_wires(),
        r.num_instance - 1
    );
    Ok(0)
}

fn snarkjs(keys: KeysArg, presentation: PathBuf, out: PathBuf) -> Result<u8> {
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
