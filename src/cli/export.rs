//! `healthzk export snarkjs`: a presentation and its verifying key in snarkjs's Groth16 JSON
//! (`snarkjs groth16 verify verification_key.json public.json proof.json`); `healthzk export
//! r1cs`: a statement's constraint system in iden3's `.r1cs` (`snarkjs r1cs info`, and the
//! circuit a phase-2 ceremony runs over).

use super::{
    io::{bad, depth_arg, read_json, write_file},
    keys::{key_for, KeysArg},
    model::load_model,
};
use anyhow::Result;
use clap::Subcommand;
use healthzk_core::{presentation::Presentation, statement::Statement, DEFAULT_TREE_DEPTH};
use healthzk_prover::score::Weights;
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
        /// `credential-query`, or `score-threshold` with --model.
        #[arg(long)]
        statement: String,
        /// Issuer tree depth.
        #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
        depth: usize,
        /// score-threshold: the model file (one circuit per model with public weights).
        #[arg(long)]
        model: Option<PathBuf>,
        /// score-threshold: private weights (one circuit per model shape).
        #[arg(long, requires = "model")]
        private_weights: bool,
        /// Output file (.r1cs).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: ExportCmd) -> Result<u8> {
    match cmd {
        ExportCmd::Snarkjs { keys, presentation, out } => snarkjs(keys, presentation, out),
        ExportCmd::R1cs { statement, depth, model, private_weights, out } => {
            r1cs(&statement, depth, model, private_weights, out)
        }
    }
}

fn r1cs(statement: &str, depth: usize, model: Option<PathBuf>, private: bool, out: PathBuf) -> Result<u8> {
    depth_arg(depth)?;
    let statement = Statement::from_name(statement).ok_or_else(|| {
        bad(format!("--statement {statement:?}: unknown; one of {}", Statement::ALL.map(Statement::name).join(", ")))
    })?;
    let r = match (statement, model) {
        (Statement::CredentialQuery, None) => healthzk_prover::query::r1cs(depth)?,
        (Statement::CredentialQuery, Some(_)) => return Err(bad("--model is for --statement score-threshold")),
        (Statement::ScoreThreshold, None) => {
            return Err(bad("--statement score-threshold needs --model (and --private-weights for a shape's circuit)"))
        }
        (Statement::ScoreThreshold, Some(m)) => {
            let (model, _) = load_model(&m, None)?;
            healthzk_prover::score::r1cs(depth, Weights::for_model(&model, private))?
        }
    };
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
