//! The `healthzk` command tree: one module per subcommand, each with its clap arguments and
//! its `run`; [`io`] holds what they share and depends on none of them.
//!
//! Exit codes: 0 success (or accepted), 1 presentation rejected, 2 bad input or usage,
//! 3 internal error.

mod anchor;
mod bundle;
mod ceremony;
mod chain;
mod challenge;
mod demo;
mod export;
mod export_verifier;
mod holder;
pub mod io;
mod issuer;
mod keys;
mod model;
mod policy;
mod prove;
mod qr;
mod roots;
mod serve;
mod session;
mod setup;
mod verify;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "healthzk", version, about = "Zero-knowledge proofs about committed health records")]
pub struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Generate proving and verifying keys by a single-party setup: DEVELOPMENT ONLY, behind
    /// --dev (production keys: `ceremony`).
    Setup(setup::SetupArgs),
    /// Production keys: a multi-party phase-2 ceremony on snarkjs' .zkey files (new,
    /// contribute, beacon, verify, import).
    #[command(subcommand)]
    Ceremony(ceremony::CeremonyCmd),
    /// Keys directories: `keys show` prints each key's id and where it came from.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// Holder (patient) commands.
    #[command(subcommand)]
    Holder(holder::HolderCmd),
    /// Issue a credential (hospital side): commit, append to the issuer tree, write the
    /// holder's package.
    Issue(issuer::IssueArgs),
    /// Issuer tree queries.
    #[command(subcommand)]
    Issuer(issuer::IssuerCmd),
    /// Policies: presets and hashes.
    #[command(subcommand)]
    Policy(policy::PolicyCmd),
    /// Score models: import a scikit-learn export, print a model's hash.
    #[command(subcommand)]
    Model(model::ModelCmd),
    /// Print a fresh verifier challenge.
    Challenge(challenge::ChallengeArgs),
    /// Prove that a credential satisfies a policy; writes a presentation.
    Prove(prove::ProveArgs),
    /// Verify a presentation. Exit 0 accepted, 1 rejected (reason on stderr), 2 bad input.
    Verify(Box<verify::VerifyArgs>),
    /// Show a presentation as an offline QR code (terminal, and PNG with --png) and print its
    /// compact string (`HZ2:…`, base45), which `verify --qr` accepts.
    Qr(qr::QrArgs),
    /// Export for other ecosystems.
    #[command(subcommand)]
    Export(export::ExportCmd),
    /// Offline trust bundles: a signed or hash-pinned snapshot of the chain's roots,
    /// revocation roots and models, with the verifying keys (`verify --bundle`).
    #[command(subcommand)]
    Bundle(bundle::BundleCmd),
    /// Chain set-up: create the embedded chain and registry, accredit issuers, deploy
    /// verifier contracts.
    #[command(subcommand)]
    Chain(chain::ChainCmd),
    /// Anchor the issuer tree's current root on chain (or revoke a root with --revoke).
    Anchor(anchor::AnchorArgs),
    /// List an issuer's anchored roots, with times and status.
    Roots(roots::RootsArgs),
    /// Write a Solidity verifier contract for a verifying key (for deploying with your own
    /// tools).
    ExportVerifier(export_verifier::ExportVerifierArgs),
    /// Run the HTTP service (issuers, provers, verifiers; SQLite and the embedded chain in the
    /// data dir). Stops gracefully on SIGTERM or ctrl-c.
    Serve(serve::ServeArgs),
    /// Run the whole flow in one process: issue 1,000 credentials, prove both vaccination
    /// presets, verify, and show the verifier refusing wrong cases.
    Demo(demo::DemoArgs),
}

/// Runs a parsed command line; the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.cmd {
        Cmd::Setup(a) => setup::run(a),
        Cmd::Ceremony(c) => ceremony::run(c),
        Cmd::Keys(c) => keys::run(c),
        Cmd::Holder(c) => holder::run(c),
        Cmd::Issue(a) => issuer::issue(a),
        Cmd::Issuer(c) => issuer::run(c),
        Cmd::Policy(c) => policy::run(c),
        Cmd::Model(c) => model::run(c),
        Cmd::Challenge(a) => challenge::run(a),
        Cmd::Prove(a) => prove::run(a),
        Cmd::Verify(a) => verify::run(*a),
        Cmd::Qr(a) => qr::run(a),
        Cmd::Export(c) => export::run(c),
        Cmd::Bundle(c) => bundle::run(c),
        Cmd::Chain(c) => chain::run(c),
        Cmd::Anchor(a) => anchor::run(a),
        Cmd::Roots(a) => roots::run(a),
        Cmd::ExportVerifier(a) => export_verifier::run(a),
        Cmd::Serve(a) => serve::run(a),
        Cmd::Demo(a) => demo::run(a),
    }
}
