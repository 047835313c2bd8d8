//! `healthzk`: issue health credentials, prove statements about them in zero knowledge, and
//! verify the proofs — from the command line (the command tree is [`cli`]).
//!
//! Exit codes: 0 success (or accepted), 1 presentation rejected, 2 bad input or usage,
//! 3 internal error.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// The process's allocator: jemalloc, purging freed pages from a background thread. A proof
/// allocates ~200 MB of short-lived buffers across the rayon workers; under glibc's malloc a
/// serving process's resident memory crept up ~1 MiB a minute under proof load while its live
/// heap stayed flat (README, "Soak"), and with jemalloc it stays flat.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
