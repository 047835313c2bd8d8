//! `healthzk challenge`: a verifier's fresh challenge.

use anyhow::Result;
use clap::Args;
use healthzk_core::field;
use rand::rngs::OsRng;

/// `healthzk challenge`.
#[derive(Args, Debug)]
pub struct ChallengeArgs {
    /// Context bound into the challenge derivation (e.g. gate id).
    #[arg(long, default_value = "")]
    context: String,
}

pub fn run(a: ChallengeArgs) -> Result<u8> {
    println!("{}", field::to_hex(&healthzk_verifier::fresh_challenge(a.context.as_bytes(), &mut OsRng)));
    Ok(0)
}
