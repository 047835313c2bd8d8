//! What a verifier session fixes, as prove and verify take it: the policy (or the registered
//! model), the challenge, the scope.

use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct Session {
    /// Policy JSON (credential query).
    #[arg(long, required_unless_present_any = ["model", "model_hash"], conflicts_with_all = ["model", "model_hash"])]
    pub policy: Option<PathBuf>,
    /// Model file (score threshold): the prover evaluates it; a verifier takes its hash.
    #[arg(long, conflicts_with = "model_hash")]
    pub model: Option<PathBuf>,
    /// The registered model hash (score threshold, verify only; with private weights the
    /// verifier has no model file).
    #[arg(long)]
    pub model_hash: Option<String>,
    /// The verifier's challenge (0x hex).
    #[arg(long)]
    pub challenge: String,
    /// The verifier's scope (1–31 bytes of text).
    #[arg(long)]
    pub scope: String,
}
