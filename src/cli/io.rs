//! Input and output shared by every subcommand: the bad-input error (exit 2), reading files
//! and flags, writing files durably, the clock. Depends on no other module of the CLI.

use anyhow::Result;
use healthzk_core::{day::Day, field, Fr};
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    path::{Path, PathBuf},
};

/// Input that cannot be used: exit code 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Shorthand for a [`BadInput`] error.
pub fn bad(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

/// Checks a `--depth` argument: the issuer tree's index bits, even, in 2..=32.
pub fn depth_arg(depth: usize) -> Result<()> {
    if healthzk_core::merkle::check_depth(depth).is_err() {
        return Err(bad(format!("--depth {depth}: must be an even number of index bits in 2..=32")));
    }
    Ok(())
}

/// Prints the development-only warning for single-party setups.
pub fn dev_setup_warning() {
    eprintln!("WARNING: single-party trusted setup — FOR DEVELOPMENT ONLY.");
    eprintln!("         Whoever ran it could forge proofs. Production keys come from a multi-party");
    eprintln!("         phase-2 ceremony; pin their key id in every verifier.");
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Today, UTC.
pub fn today() -> Day {
    Day((now() / 86_400) as u32)
}

/// A unix time as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn when(unix: u64) -> String {
    let day = Day((unix / 86_400) as u32);
    let s = unix % 86_400;
    format!("{day} {:02}:{:02}:{:02} UTC", s / 3600, s / 60 % 60, s % 60)
}

/// The day a flag names, or today.
pub fn day_or_today(flag: &str, s: &Option<String>) -> Result<Day> {
    match s {
        Some(s) => Day::parse(flag, s).map_err(|e| bad(e.to_string())),
        None => Ok(today()),
    }
}

/// A field element from a flag (canonical hex).
pub fn parse_fr(flag: &str, s: &str) -> Result<Fr> {
    field::parse_hex(flag, s).map_err(|e| bad(e.to_string()))
}

/// A file's bytes; a missing or unreadable file is bad input.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| bad(format!("{}: {e}", path.display())))
}

/// A JSON file of type `T`, named `what` in errors.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> Result<T> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("{}: malformed {what}: {e}", path.display())))
}

/// Writes a file durably: a crash leaves the old file or the new one, never a torn one.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    healthzk_durable::write(path, bytes, healthzk_durable::PUBLIC)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// [`write_file`] for secrets: the file is created with mode 0600 before anything is written.
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    healthzk_durable::write(path, bytes, healthzk_durable::SECRET)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// Pretty JSON to `out`, or to stdout.
pub fn write_json_out<T: Serialize>(out: &Option<PathBuf>, v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v)? + "\n";
    match out {
        Some(p) => write_file(p, s.as_bytes()),
        None => {
            print!("{s}");
            Ok(())
        }
    }
}
