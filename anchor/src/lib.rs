//! healthzk-anchor: hospitals anchor their credential-tree roots on an EVM chain; verifiers
//! trust a root only if an accredited issuer anchored it and has not revoked it; an on-chain
//! consumer can verify a presentation itself.
//!
//! - [`contracts`]: typed wrappers over the Solidity contracts in `anchor/contracts/` —
//!   [`contracts::Registry`] (`AnchorRegistry`), [`contracts::VerifierContract`]
//!   (`Groth16Verifier`, one per verifying key) and [`contracts::Gate`] (`EligibilityGate`).
//!   The compiled artifacts are committed, so building needs no solc.
//! - [`chain::Chain`]: one interface, two backends — [`embedded::EmbeddedChain`] (revm in
//!   process, state in the data dir; the default) and [`rpc::RpcChain`] (any JSON-RPC node).
//! - [`encode`]: field elements, points, proofs and keys in the EVM's layout.
//! - [`solidity`]: a stand-alone verifier contract for one key, for users who deploy with
//!   their own tools (`healthzk export-verifier`).
//! - [`deployments`]: where the contracts of each chain live, kept in the data dir.
//! - [`bundle`]: offline trust bundles — takes the snapshot of the registry and the
//!   verifying keys that a verifier with no network trusts (the format itself is
//!   `healthzk_verifier::bundle`).
//!
//! Nothing healthzk puts on chain is a record value or a holder identifier: roots, model
//! hashes, and — at a gate — a scope nullifier and the proof.
#![deny(missing_docs)]

pub mod abi;
pub mod bundle;
pub mod chain;
pub mod contracts;
pub mod deployments;
pub mod embedded;
pub mod encode;
pub mod error;
pub mod rpc;
pub mod solidity;

pub use chain::{Account, Chain, Receipt};
pub use embedded::EmbeddedChain;
pub use error::Error;
pub use rpc::RpcChain;
