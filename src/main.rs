//! `healthzk`: issue health credentials, prove statements about them in zero knowledge, and
//! verify the proofs — from the command line (the command tree is [`cli`]).
//!
//! Exit codes: 0 success (or accepted), 1 presentation rejected, 2 bad input or usage,
//! 3 internal error.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if let Some(b) = e.downcast_ref::<cli::io::BadInput>() {
                eprintln!("error: {b}");
                ExitCode::from(2)
            } else {
                eprintln!("internal error: {e:#}");
                ExitCode::from(3)
            }
        }
    }
}
