//! healthzk-circuits: the R1CS side. Each module is the gadget twin of the native module of
//! the same name in `healthzk-core` (`core::poseidon` ↔ `circuits::poseidon`, …), with a test
//! that the two agree; `query` is the credential-query statement.
//!
//! Depends on `healthzk-core` and arkworks' constraint crates only: no proving, no I/O.
#![deny(missing_docs)]

pub mod binding;
pub mod credential;
pub mod merkle;
pub mod policy;
pub mod poseidon;
pub mod query;
pub mod range;
pub mod revocation;
pub mod score;
pub mod select;

pub use ark_relations::gr1cs::SynthesisError;

/// Field variable over BN254's scalar field.
pub type FrVar = ark_r1cs_std::fields::fp::FpVar<healthzk_core::Fr>;
/// Boolean variable over BN254's scalar field.
pub type BoolVar = ark_r1cs_std::boolean::Boolean<healthzk_core::Fr>;
