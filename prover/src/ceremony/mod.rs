//! Production keys: a multi-party Groth16 phase 2 on snarkjs' file formats, so healthzk and
//! snarkjs contribute to, and verify, one transcript.
//!
//! - [`ptau`]: Powers of Tau files (phase 1), read with every point validated; a DEVELOPMENT
//!   generator.
//! - [`zkey`]: the `.zkey` format; [`zkey::Zkey::proving_key`] is the key healthzk proves with.
//! - [`new_zkey`], [`contribute`], [`beacon`], [`verify`]: the ceremony itself.
//! - [`ffrng`]: ffjavascript's random numbers, which a transcript's hash-to-G2 and a beacon
//!   need bit for bit.
//!
//! Everything works on bytes in memory; the CLI reads and writes the files. The formats and
//! the algebra are in `docs/ceremony-notes.md`, the trust model in THREATS.md.

pub mod encoding;
mod error;
pub mod ffrng;
mod phase2;
pub mod ptau;
pub mod zkey;

pub use error::CeremonyError;
pub use phase2::{beacon, check_beacon, contribute, new_zkey, transcript_hash, verify, Verified, VerifiedContribution};
