//! healthzk-core: everything a third party needs to recompute healthzk's hashes and check a
//! statement natively — credentials and their commitments, circomlib-compatible Poseidon,
//! fixed-depth Merkle trees, policies and their hash, holder commitments and nullifiers, the
//! public-input encoding and the presentation format.
//!
//! This crate owns the *native* side of every relation. It has no R1CS (that is
//! `healthzk-circuits`, whose gadgets are twins of the functions here) and performs no I/O
//! (files, network, clocks belong to the CLI and the service). `SPEC.md` documents every
//! encoding defined here.
#![deny(missing_docs)]

pub mod compact;
pub mod credential;
pub mod day;
pub mod error;
pub mod fhir;
pub mod field;
pub mod holder;
pub mod merkle;
pub mod model;
pub mod policy;
pub mod poseidon;
pub mod presentation;
pub mod presets;
pub mod query;
pub mod revocation;
pub mod score;
pub mod serde_adapters;
pub mod statement;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod vocab;

pub use ark_bn254::Fr;
pub use error::{Error, Result};

/// Number of attribute slots in every credential.
pub const SLOTS: usize = 16;
/// Default depth of an issuer's credential tree (2^20 credentials).
pub const DEFAULT_TREE_DEPTH: usize = 20;
/// Bit width of every ordering comparison on attribute slots.
pub const COMPARE_BITS: usize = 64;
/// Bit width of day numbers (`as_of`, issue and expiry days).
pub const DAY_BITS: usize = 32;
