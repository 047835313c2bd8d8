//! The chain layer's integration tests, in one test binary: the contract suite (`common`) on
//! the embedded EVM and over JSON-RPC against a Hardhat node, and the committed artifacts
//! against a recompilation.

#[path = "../../../tests/support/hardhat.rs"]
mod hardhat;

mod artifacts;
mod common;
mod embedded;
mod rpc;
