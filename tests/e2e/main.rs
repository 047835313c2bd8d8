//! End-to-end tests of the `healthzk` binary as users drive it, in one test binary (one link
//! of the dependency graph instead of one per file): the CLI, the HTTP service over TCP, the
//! chain commands against a Hardhat node, and the test peers that recompute or check our
//! outputs (circomlibjs, snarkjs).

#[path = "../support/hardhat.rs"]
mod hardhat;

mod api_fuzz;
mod architecture;
mod ceremony;
mod chain_rpc;
mod circomlibjs;
mod cli;
mod service;
mod service_faults;
mod snarkjs;
