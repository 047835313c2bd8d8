//! healthzk-prover: Groth16 setup, key files, and proving.
//!
//! Every statement's prover wraps one [`Engine`]: built once per proving key, it synthesizes
//! the circuit's constraint matrices a single time and reuses them, so each proof only computes
//! the witness assignment; it proves with healthzk's own MSM ([`msm`]) and, optionally,
//! fixed-base tables. [`Prover`] proves the credential query ([`Prover::prove_many`] several in
//! parallel on the rayon pool), [`score::ScoreProver`] the score threshold. Depends on
//! `healthzk-core` and `healthzk-circuits`; performs file I/O only in [`keydir`].
#![deny(missing_docs)]

pub mod ceremony;
pub mod engine;
pub mod error;
pub mod iden3;
pub mod keydir;
pub mod keys;
pub mod msm;
pub mod qap;
pub mod query;
pub mod score;

pub use engine::{setup_circuit, Engine, ProofBytes};
pub use error::ProveError;
pub use keydir::{KeyDir, KeyDirError, KeyName, Provenance};
pub use keys::KeyId;
pub use query::{setup, Prover};
