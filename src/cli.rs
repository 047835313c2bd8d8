//! Command-line interface: argument parsing and the subcommands.

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use healthzk_core::{
    credential::{CredentialRequest, HolderPackage, PACKAGE_FORMAT},
    day::Day,
    field,
    holder::{HolderCommitment, HolderKeyFile, HolderSecret},
    merkle::MerkleTree,
    policy::Policy,
    presentation::Presentation,
    presets,
    query::{QueryPublic, QueryWitness},
    revocation::RevocationList,
    Fr, DEFAULT_TREE_DEPTH,
};
use healthzk_prover::{keys, Prover};
use healthzk_verifier::{Expectations, QueryVerifier, Verdict};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    path::{Path, PathBuf},
    time::Instant,
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

#[derive(Parser, Debug)]
#[command(name = "healthzk", version, about = "Zero-knowledge proofs about committed health records")]
pub struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

// Parsed once per process: the size of the largest variant (verify's flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Cmd {
    /// Generate proving and verifying keys (single-party: DEVELOPMENT ONLY).
    Setup {
        /// Where to write the key files.
        #[arg(long, default_value = "healthzk-data/keys")]
        keys: PathBuf,
        /// Issuer tree depth the keys serve.
        #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
        depth: usize,
        /// Overwrite existing keys.
        #[arg(long)]
        force: bool,
        /// Set up the score-threshold statement for this model file instead of the
        /// credential query (one key per model with public weights).
        #[arg(long)]
        model: Option<PathBuf>,
        /// With --model: keep the weights private (one key per model shape; the verifier
        /// learns only the model hash).
        #[arg(long, requires = "model")]
        private_weights: bool,
    },
    /// Holder (patient) commands.
    #[command(subcommand)]
    Holder(HolderCmd),
    /// Issue a credential (hospital side): commit, append to the issuer tree, write the
    /// holder's package.
    Issue {
        #[command(flatten)]
        issuer: IssuerDir,
        /// Credential request JSON (schema, attributes, optional issued/expires).
        #[arg(long)]
        credential: PathBuf,
        /// The holder: a holder file or a 0x holder commitment.
        #[arg(long)]
        holder: String,
        /// Where to write the holder's package.
        #[arg(long)]
        out: PathBuf,
        /// Issue day (default: today, UTC).
        #[arg(long)]
        today: Option<String>,
    },
    /// Issuer tree queries.
    #[command(subcommand)]
    Issuer(IssuerCmd),
    /// Policies: presets and hashes.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Score models: import a scikit-learn export, print a model's hash.
    #[command(subcommand)]
    Model(ModelCmd),
    /// Print a fresh verifier challenge.
    Challenge {
        /// Context bound into the challenge derivation (e.g. gate id).
        #[arg(long, default_value = "")]
        context: String,
    },
    /// Prove that a credential satisfies a policy; writes a presentation.
    Prove {
        #[command(flatten)]
        keys: KeysDir,
        /// Holder file.
        #[arg(long)]
        holder: PathBuf,
        /// Holder package from the issuer.
        #[arg(long)]
        package: PathBuf,
        /// The issuer's published revocation list (`revocations.json`); the proof shows the
        /// credential is not in it.
        #[arg(long)]
        revocations: PathBuf,
        #[command(flatten)]
        session: Session,
        /// Day the statement speaks of (default: today, UTC).
        #[arg(long)]
        as_of: Option<String>,
        /// Output presentation JSON (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a presentation. Exit 0 accepted, 1 rejected (reason on stderr), 2 bad input.
    Verify {
        #[command(flatten)]
        keys: KeysDir,
        /// Presentation JSON.
        #[arg(long, required_unless_present = "qr", conflicts_with = "qr")]
        presentation: Option<PathBuf>,
        /// A compact presentation (`HZ2:…`, from a QR code) instead of a JSON file; the
        /// policy or model hash, challenge and scope are this verifier's own.
        #[arg(long)]
        qr: Option<String>,
        #[command(flatten)]
        session: Session,
        /// An accepted issuer root (repeatable).
        #[arg(long = "root")]
        roots: Vec<String>,
        /// A file of accepted issuer roots, one 0x hex per line.
        #[arg(long)]
        roots_file: Option<PathBuf>,
        /// An accepted revocation root of the same issuer (repeatable): its current one, and
        /// any superseded one you still tolerate. Required unless --roots-from-chain.
        #[arg(long = "revocation-root")]
        revocation_roots: Vec<String>,
        /// With --roots-from-chain: also accept a revocation root the issuer superseded less
        /// than this many seconds ago (default 0: only its current one).
        #[arg(long, default_value_t = 0)]
        revocation_grace: u64,
        /// Accept the roots this issuer (chain address) has anchored and not revoked,
        /// read from the chain (see --chain, --rpc-url); for a score presentation, also
        /// require its model hash to be registered there.
        #[arg(long, value_name = "ISSUER_ADDRESS")]
        roots_from_chain: Option<String>,
        #[command(flatten)]
        chain: crate::chain_cli::ChainOpts,
        #[command(flatten)]
        bundle: crate::bundle_cli::BundleOpts,
        /// The verifier's today (default: today, UTC).
        #[arg(long)]
        today: Option<String>,
        /// Accept as_of within this many days of today.
        #[arg(long, default_value_t = 1)]
        tolerance_days: u32,
    },
    /// Show a presentation as an offline QR code (terminal, and PNG with --png) and print its
    /// compact string (`HZ2:…`, base45), which `verify --qr` accepts.
    Qr {
        /// Presentation JSON.
        #[arg(long)]
        presentation: PathBuf,
        /// Also write the QR code as a PNG image.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Print only the compact string.
        #[arg(long)]
        string_only: bool,
    },
    /// Export for other ecosystems.
    #[command(subcommand)]
    Export(ExportCmd),
    /// Offline trust bundles: a signed or hash-pinned snapshot of the chain's roots,
    /// revocation roots and models, with the verifying keys (`verify --bundle`).
    #[command(subcommand)]
    Bundle(crate::bundle_cli::BundleCmd),
    /// Chain set-up: create the embedded chain and registry, accredit issuers, deploy
    /// verifier contracts.
    #[command(subcommand)]
    Chain(crate::chain_cli::ChainCmd),
    /// Anchor the issuer tree's current root on chain (or revoke a root with --revoke).
    Anchor {
        #[command(flatten)]
        issuer: IssuerDir,
        #[command(flatten)]
        chain: crate::chain_cli::ChainOpts,
        /// Revoke this anchored root (0x hex) instead.
        #[arg(long)]
        revoke: Option<String>,
    },
    /// List an issuer's anchored roots, with times and status.
    Roots {
        #[command(flatten)]
        issuer: crate::chain_cli::IssuerRef,
        #[command(flatten)]
        chain: crate::chain_cli::ChainOpts,
    },
    /// Write a Solidity verifier contract for a verifying key (for deploying with your own
    /// tools).
    ExportVerifier {
        /// Keys directory.
        #[arg(long, default_value = "healthzk-data/keys")]
        keys: PathBuf,
        /// Which statement's key: credential-query or score-threshold.
        #[arg(long, default_value = healthzk_core::presentation::STATEMENT_QUERY)]
        statement: String,
        /// Output .sol file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the HTTP service (issuers, provers, verifiers; SQLite and the embedded chain in the
    /// data dir). Stops gracefully on SIGTERM or ctrl-c.
    Serve(crate::serve_cli::ServeArgs),
    /// Run the whole flow in one process: issue 1,000 credentials, prove both vaccination
    /// presets, verify, and show the verifier refusing wrong cases.
    Demo(crate::demo::DemoArgs),
}

/// What a verifier session fixes: its policy (or registered model), the challenge it issued,
/// its scope.
#[derive(Args, Debug)]
struct Session {
    /// Policy JSON (credential query).
    #[arg(long, required_unless_present_any = ["model", "model_hash"], conflicts_with_all = ["model", "model_hash"])]
    policy: Option<PathBuf>,
    /// Model file (score threshold): the prover evaluates it; a verifier takes its hash.
    #[arg(long, conflicts_with = "model_hash")]
    model: Option<PathBuf>,
    /// The registered model hash (score threshold, verify only; with private weights the
    /// verifier has no model file).
    #[arg(long)]
    model_hash: Option<String>,
    /// The verifier's challenge (0x hex).
    #[arg(long)]
    challenge: String,
    /// The verifier's scope (1–31 bytes of text).
    #[arg(long)]
    scope: String,
}

#[derive(Args, Debug)]
struct KeysDir {
    /// Directory holding credential-query.pk / .vk.
    #[arg(long, default_value = "healthzk-data/keys")]
    keys: PathBuf,
}

#[derive(Args, Debug)]
struct IssuerDir {
    /// Issuer directory (holds tree.json: commitments only, never records).
    #[arg(long, default_value = "healthzk-data/issuer")]
    issuer: PathBuf,
    /// Depth of a new issuer tree.
    #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
    depth: usize,
}

#[derive(Subcommand, Debug)]
enum HolderCmd {
    /// Create a holder secret and its commitment.
    New {
        /// Where to write the holder file (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the holder's encryption public key (HPKE X25519, hex): issuers encrypt the
    /// holder's packages to it.
    PublicKey {
        /// Holder file.
        #[arg(long)]
        holder: PathBuf,
    },
    /// Decrypt a package blob from the service (`GET /v1/blobs/{id}`) into a package file.
    Open {
        /// Holder file.
        #[arg(long)]
        holder: PathBuf,
        /// The encrypted blob.
        #[arg(long)]
        blob: PathBuf,
        /// Where to write the package (mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum IssuerCmd {
    /// Print the issuer tree's current root.
    Root {
        #[command(flatten)]
        issuer: IssuerDir,
    },
    /// Print every root the tree has had, oldest first, one per line (for --roots-file).
    Roots {
        #[command(flatten)]
        issuer: IssuerDir,
    },
    /// Print the issuer's chain address (its key, `chain.key` in the issuer directory, is
    /// created on first use).
    Address {
        #[command(flatten)]
        issuer: IssuerDir,
    },
    /// Print a fresh package path for the credential at INDEX.
    Path {
        #[command(flatten)]
        issuer: IssuerDir,
        /// Leaf index.
        #[arg(long)]
        index: u64,
    },
    /// Revoke the credential at INDEX (its revocation nonce): updates `revocations.json`, the
    /// public list holders prove against, and prints the new revocation root (anchor it).
    Revoke {
        #[command(flatten)]
        issuer: IssuerDir,
        /// Leaf index of the credential (printed by `issue`).
        #[arg(long)]
        index: u64,
    },
    /// Print the issuer's current revocation root (for verifiers' --revocation-root).
    RevocationRoot {
        #[command(flatten)]
        issuer: IssuerDir,
    },
}

#[derive(Subcommand, Debug)]
enum PolicyCmd {
    /// Write a preset policy: covid19 (EU DCC style) or yellow-fever (IHR).
    Preset {
        /// Preset name.
        name: String,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print a policy's hash.
    Hash {
        /// Policy JSON.
        policy: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ExportCmd {
    /// Write verification_key.json, proof.json and public.json in snarkjs's Groth16 format
    /// (`snarkjs groth16 verify verification_key.json public.json proof.json`).
    Snarkjs {
        /// Keys directory (credential-query or score-threshold keys, per the presentation).
        #[arg(long, default_value = "healthzk-data/keys")]
        keys: PathBuf,
        /// Presentation JSON.
        #[arg(long)]
        presentation: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ModelCmd {
    /// Fold, quantize and validate a scikit-learn export (see tools/train_sample_model.py);
    /// writes the model file and prints its hash.
    Import {
        /// The export JSON.
        export: PathBuf,
        /// Output model file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Register a model's hash on chain (from an accredited model publisher's account).
    Register {
        /// Model JSON (its hash is registered).
        #[arg(long, required_unless_present = "model_hash", conflicts_with = "model_hash")]
        model: Option<PathBuf>,
        /// Or the model hash itself (0x hex).
        #[arg(long)]
        model_hash: Option<String>,
        #[command(flatten)]
        chain: crate::chain_cli::ChainOpts,
    },
    /// Validate a model file and print its hash; with --expect, refuse (exit 2) a model whose
    /// hash is not the registered one.
    Hash {
        /// Model JSON.
        model: PathBuf,
        /// The registered hash (0x-prefixed hex).
        #[arg(long)]
        expect: Option<String>,
    },
}

/// Loads and validates a model file; with `expect`, its hash must be the registered one.
pub fn load_model(path: &Path, expect: Option<&str>) -> Result<(healthzk_core::model::Model, Fr)> {
    let text = String::from_utf8(read(path)?).map_err(|_| bad(format!("{}: not UTF-8", path.display())))?;
    let model = healthzk_core::model::Model::from_json(&text).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    let hash = model.hash().map_err(|e| bad(format!("{}: {e}", path.display())))?;
    if let Some(expect) = expect {
        let want = field::parse_hex("--expect", expect).map_err(|e| bad(e.to_string()))?;
        if want != hash {
            return Err(bad(format!(
                "{}: model hash {} does not match the registered {}",
                path.display(),
                field::to_hex(&hash),
                field::to_hex(&want)
            )));
        }
    }
    Ok((model, hash))
}

/// The issuer tree file: commitments only.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeFile {
    format: String,
    depth: usize,
    #[serde(with = "field::hex_fr_vec")]
    leaves: Vec<Fr>,
    /// Every root the tree has had, oldest first (holders' packages carry one of them).
    #[serde(with = "field::hex_fr_vec")]
    roots: Vec<Fr>,
}

/// An issuer's tree and the history of its roots.
struct IssuerTree {
    tree: MerkleTree,
    roots: Vec<Fr>,
}

const TREE_FORMAT: &str = "healthzk/issuer-tree/v2";
const PK_FILE: &str = "credential-query.pk";
pub const VK_FILE: &str = "credential-query.vk";

/// Prints the development-only warning for single-party setups.
pub fn dev_setup_warning() {
    eprintln!("WARNING: single-party trusted setup — FOR DEVELOPMENT ONLY.");
    eprintln!("         Whoever ran it could forge proofs. Production keys come from a multi-party");
    eprintln!("         phase-2 ceremony; pin their key id in every verifier.");
}

pub fn today() -> Day {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Day((secs / 86_400) as u32)
}

fn day_or_today(field: &str, s: &Option<String>) -> Result<Day> {
    match s {
        Some(s) => Day::parse(field, s).map_err(|e| bad(e.to_string())),
        None => Ok(today()),
    }
}

pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| bad(format!("{}: {e}", path.display())))
}

pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> Result<T> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("{}: malformed {what}: {e}", path.display())))
}

/// Writes via a temporary file and rename, so a crash never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o644)
}

/// [`write_atomic`] for secrets: the file is created with mode 0600 before anything is written.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o600)
}

fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn write_json_out<T: Serialize>(out: &Option<PathBuf>, v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v)? + "\n";
    match out {
        Some(p) => write_atomic(p, s.as_bytes()),
        None => {
            print!("{s}");
            Ok(())
        }
    }
}

fn parse_fr(field: &str, s: &str) -> Result<Fr> {
    field::parse_hex(field, s).map_err(|e| bad(e.to_string()))
}

fn load_policy(path: &Path) -> Result<(Policy, healthzk_core::policy::CompiledPolicy)> {
    let p: Policy = read_json(path, "policy")?;
    let c = p.compile().map_err(|e| bad(format!("{}: {e}", path.display())))?;
    Ok((p, c))
}

/// Loads the prover for the keys in `dir` (the pk is checked against the vk's key id).
pub fn load_vk(dir: &Path) -> Result<(keys::QueryVerifyingKey, keys::KeyId)> {
    let (vk, _, id) = keys::read_vk(&read(&dir.join(VK_FILE))?).map_err(|e| bad(format!("{VK_FILE}: {e}")))?;
    Ok((vk, id))
}

pub fn load_prover(dir: &Path) -> Result<Prover> {
    let (_, id) = load_vk(dir)?;
    let (pk, depth) =
        keys::read_pk(&read(&dir.join(PK_FILE))?, Some(id)).map_err(|e| bad(format!("{PK_FILE}: {e}")))?;
    Ok(Prover::new(pk, depth as usize)?)
}

fn load_verifier(dir: &Path) -> Result<QueryVerifier> {
    let (vk, id) = load_vk(dir)?;
    Ok(QueryVerifier::new(&vk, id.0))
}

fn load_tree(dir: &IssuerDir) -> Result<IssuerTree> {
    let path = dir.issuer.join("tree.json");
    if !path.exists() {
        return Ok(IssuerTree { tree: MerkleTree::new(dir.depth).map_err(|e| bad(e.to_string()))?, roots: vec![] });
    }
    let f: TreeFile = read_json(&path, "issuer tree")?;
    if f.format != TREE_FORMAT {
        return Err(bad(format!("{}: unknown format {:?}", path.display(), f.format)));
    }
    let tree = MerkleTree::from_leaves(f.depth, &f.leaves).map_err(|e| bad(e.to_string()))?;
    if f.roots.last() != Some(&tree.root()) && !f.leaves.is_empty() {
        return Err(bad(format!("{}: the root history does not end at the tree's root", path.display())));
    }
    Ok(IssuerTree { tree, roots: f.roots })
}

fn save_tree(dir: &IssuerDir, t: &IssuerTree) -> Result<()> {
    let f = TreeFile {
        format: TREE_FORMAT.into(),
        depth: t.tree.depth(),
        leaves: t.tree.leaves().to_vec(),
        roots: t.roots.clone(),
    };
    write_atomic(&dir.issuer.join("tree.json"), serde_json::to_string(&f)?.as_bytes())
}

/// The issuer's published revocation list: revoked nonces and the root they commit to.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationFile {
    format: String,
    /// Revoked nonces (leaf indices), sorted.
    revoked: Vec<u64>,
    /// The revocation root of that list.
    #[serde(with = "field::hex_fr")]
    root: Fr,
}

const REVOCATIONS_FORMAT: &str = "healthzk/revocations/v1";

/// Reads a published revocation list and checks its root against its nonces.
fn read_revocations(path: &Path) -> Result<RevocationList> {
    let f: RevocationFile = read_json(path, "revocation list")?;
    if f.format != REVOCATIONS_FORMAT {
        return Err(bad(format!("{}: unknown format {:?}", path.display(), f.format)));
    }
    let list = RevocationList::new(f.revoked).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    if list.root() != f.root {
        return Err(bad(format!(
            "{}: the root does not match the revoked nonces (the file is corrupt or was altered)",
            path.display()
        )));
    }
    Ok(list)
}

/// The issuer's revocation list (empty before its first revocation).
fn load_revocations(dir: &IssuerDir) -> Result<RevocationList> {
    let path = dir.issuer.join("revocations.json");
    if path.exists() {
        read_revocations(&path)
    } else {
        Ok(RevocationList::empty())
    }
}

fn save_revocations(dir: &IssuerDir, list: &RevocationList) -> Result<()> {
    let f = RevocationFile { format: REVOCATIONS_FORMAT.into(), revoked: list.revoked().to_vec(), root: list.root() };
    write_atomic(&dir.issuer.join("revocations.json"), (serde_json::to_string_pretty(&f)? + "\n").as_bytes())
}

fn holder_secret(path: &Path) -> Result<HolderSecret> {
    let hf: HolderKeyFile = read_json(path, "holder file")?;
    hf.secret().map_err(|e| bad(format!("{}: {e}", path.display())))
}

fn holder_commitment(arg: &str) -> Result<HolderCommitment> {
    if arg.starts_with("0x") {
        return Ok(HolderCommitment(parse_fr("holder", arg)?));
    }
    let f: HolderKeyFile = read_json(Path::new(arg), "holder file")?;
    Ok(f.commitment)
}

pub fn run(cli: Cli) -> Result<u8> {
    match cli.cmd {
        Cmd::Setup { keys: dir, depth, force, model, private_weights } => {
            if healthzk_core::merkle::check_depth(depth).is_err() {
                return Err(bad(format!("--depth {depth}: must be an even number of index bits in 2..=32")));
            }
            if let Some(model) = model {
                return crate::score_cli::setup(&dir, depth, &model, private_weights, force);
            }
            if dir.join(PK_FILE).exists() && !force {
                return Err(bad(format!("{} already holds keys; pass --force to replace them", dir.display())));
            }
            dev_setup_warning();
            let t = Instant::now();
            eprintln!(
                "[1/3] generating Groth16 parameters for credential-query at depth {depth} (takes a few seconds)…"
            );
            let pk = healthzk_prover::setup(depth, &mut OsRng)?;
            eprintln!("      done in {:.1} s", t.elapsed().as_secs_f64());
            eprintln!("[2/3] synthesizing constraint matrices…");
            let prover = Prover::new(pk, depth)?;
            eprintln!("      {} constraints", prover.num_constraints());
            eprintln!("[3/3] writing keys to {}…", dir.display());
            write_atomic(&dir.join(PK_FILE), &keys::write_pk(prover.proving_key(), depth as u32))?;
            write_atomic(&dir.join(VK_FILE), &keys::write_vk(&prover.proving_key().vk, depth as u32))?;
            println!("key id {}", prover.key_id());
            Ok(0)
        }
        Cmd::Holder(HolderCmd::New { out }) => {
            if out.exists() {
                return Err(bad(format!("{} exists; refusing to overwrite a holder secret", out.display())));
            }
            let s = HolderSecret::random(&mut OsRng);
            write_secret(&out, serde_json::to_string_pretty(&HolderKeyFile::new(&s))?.as_bytes())?;
            println!("{}", field::to_hex(&s.commitment().0));
            Ok(0)
        }
        Cmd::Issue { issuer, credential, holder, out, today: t } => {
            let req: CredentialRequest = read_json(&credential, "credential request")?;
            let holder = holder_commitment(&holder)?;
            let mut it = load_tree(&issuer)?;
            let day = day_or_today("--today", &t)?;
            let cred = req
                .into_credential(holder, day, it.tree.len(), &mut OsRng)
                .map_err(|e| bad(format!("{}: {e}", credential.display())))?;
            let index = it.tree.append(cred.commitment()).map_err(|e| bad(e.to_string()))?;
            it.roots.push(it.tree.root());
            let tree = &it.tree;
            let pkg = HolderPackage {
                format: PACKAGE_FORMAT.into(),
                credential: cred,
                depth: tree.depth(),
                path: tree.path(index)?,
                issuer_root: tree.root(),
            };
            // The package first, then the tree: a crash in between leaves an unanchored
            // package, never a leaf whose package was lost.
            write_atomic(&out, serde_json::to_string_pretty(&pkg)?.as_bytes())?;
            eprintln!("issued credential #{index}; issuer root is now {}", field::to_hex(&it.tree.root()));
            save_tree(&issuer, &it)?;
            if !issuer.issuer.join("revocations.json").exists() {
                // Holders prove against the published list, so it exists from the start.
                save_revocations(&issuer, &RevocationList::empty())?;
            }
            Ok(0)
        }
        Cmd::Issuer(IssuerCmd::Root { issuer }) => {
            println!("{}", field::to_hex(&load_tree(&issuer)?.tree.root()));
            Ok(0)
        }
        Cmd::Issuer(IssuerCmd::Roots { issuer }) => {
            for r in load_tree(&issuer)?.roots {
                println!("{}", field::to_hex(&r));
            }
            Ok(0)
        }
        Cmd::Issuer(IssuerCmd::Address { issuer }) => {
            let opts = crate::chain_cli::ChainOpts { chain: PathBuf::new(), rpc_url: None, key_file: None };
            println!("{}", crate::chain_cli::issuer_account(&opts, &issuer.issuer)?.address());
            Ok(0)
        }
        Cmd::Issuer(IssuerCmd::Path { issuer, index }) => {
            let tree = load_tree(&issuer)?.tree;
            let path = tree.path(index).map_err(|e| bad(e.to_string()))?;
            println!("{}", serde_json::to_string_pretty(&path)?);
            Ok(0)
        }
        Cmd::Issuer(IssuerCmd::Revoke { issuer, index }) => {
            let tree = load_tree(&issuer)?.tree;
            if index >= tree.len() {
                return Err(bad(format!("--index {index}: no credential #{index} (the tree has {})", tree.len())));
            }
            let list = load_revocations(&issuer)?;
            if list.is_revoked(index) {
                return Err(bad(format!("credential #{index} is already revoked")));
            }
            let list = list.with(index).map_err(|e| bad(e.to_string()))?;
            save_revocations(&issuer, &list)?;
            eprintln!(
                "revoked credential #{index} ({} revoked); publish {} and anchor the new root (healthzk anchor)",
                list.revoked().len(),
                issuer.issuer.join("revocations.json").display()
            );
            println!("{}", field::to_hex(&list.root()));
            Ok(0)
        }
        Cmd::Issuer(IssuerCmd::RevocationRoot { issuer }) => {
            println!("{}", field::to_hex(&load_revocations(&issuer)?.root()));
            Ok(0)
        }
        Cmd::Policy(PolicyCmd::Preset { name, out }) => {
            let p = presets::by_name(&name).map_err(|e| bad(e.to_string()))?;
            write_json_out(&out, &p)?;
            eprintln!("policy hash {}", field::to_hex(&p.hash()?));
            Ok(0)
        }
        Cmd::Policy(PolicyCmd::Hash { policy }) => {
            println!("{}", field::to_hex(&load_policy(&policy)?.1.hash()));
            Ok(0)
        }
        Cmd::Model(ModelCmd::Import { export, out }) => {
            let text =
                String::from_utf8(read(&export)?).map_err(|_| bad(format!("{}: not UTF-8", export.display())))?;
            let (model, _) = healthzk_core::model::ModelImport::from_json(&text)
                .and_then(|i| i.quantize())
                .map_err(|e| bad(format!("{}: {e}", export.display())))?;
            write_json_out(&out, &model)?;
            eprintln!("{} — {}, logit scaled by 2^{}", model.name, model.shape(), model.frac_bits);
            eprintln!("model hash {}", field::to_hex(&model.hash()?));
            Ok(0)
        }
        Cmd::Model(ModelCmd::Register { model, model_hash, chain }) => {
            let hash = match (model, model_hash) {
                (Some(m), _) => load_model(&m, None)?.1,
                (None, Some(h)) => parse_fr("--model-hash", &h)?,
                (None, None) => return Err(bad("pass --model or --model-hash")),
            };
            crate::chain_cli::register_model(&chain, hash)
        }
        Cmd::Model(ModelCmd::Hash { model, expect }) => {
            let (_, hash) = load_model(&model, expect.as_deref())?;
            println!("{}", field::to_hex(&hash));
            Ok(0)
        }
        Cmd::Challenge { context } => {
            println!("{}", field::to_hex(&healthzk_verifier::fresh_challenge(context.as_bytes(), &mut OsRng)));
            Ok(0)
        }
        Cmd::Prove {
            keys: k,
            holder,
            package,
            revocations,
            session: Session { policy, model, model_hash, challenge, scope },
            as_of,
            out,
        } => {
            let hf: HolderKeyFile = read_json(&holder, "holder file")?;
            let secret = hf.secret().map_err(|e| bad(format!("{}: {e}", holder.display())))?;
            let pkg: HolderPackage = read_json(&package, "holder package")?;
            if pkg.format != PACKAGE_FORMAT {
                return Err(bad(format!("{}: unknown format {:?}", package.display(), pkg.format)));
            }
            let scope = field::from_short_str("--scope", &scope).map_err(|e| bad(e.to_string()))?;
            let as_of = day_or_today("--as-of", &as_of)?;
            let challenge = parse_fr("--challenge", &challenge)?;
            if model_hash.is_some() {
                return Err(bad("--model-hash is for verifiers; the prover needs the model file (--model)"));
            }
            let list = read_revocations(&revocations)?;
            let revocation = list.opening(pkg.credential.revocation_nonce).ok_or_else(|| {
                bad(format!(
                    "cannot prove: the credential is revoked (nonce {} is in {})",
                    pkg.credential.revocation_nonce,
                    revocations.display()
                ))
            })?;
            if let Some(model) = model {
                let (model, hash) = load_model(&model, None)?;
                let public = QueryPublic {
                    issuer_root: pkg.issuer_root,
                    policy_hash: hash,
                    as_of,
                    challenge,
                    scope,
                    nullifier: secret.nullifier(scope),
                    revocation_root: list.root(),
                };
                let witness = healthzk_core::score::ScoreWitness {
                    credential: pkg.credential,
                    secret,
                    path: pkg.path,
                    revocation,
                    model: model.clone(),
                };
                let (prover, depth) = crate::score_cli::load_prover(&k.keys, &model, hash)?;
                if depth != pkg.depth {
                    return Err(bad(format!("package tree depth {} but keys serve depth {depth}", pkg.depth)));
                }
                let t = Instant::now();
                return match prover.prove(&public, &witness, &mut OsRng) {
                    Ok(proof) => {
                        eprintln!("proved in {} ms", t.elapsed().as_millis());
                        write_json_out(&out, &prover.wrap(&public, proof))?;
                        Ok(0)
                    }
                    Err(healthzk_prover::ProveError::Unsatisfied(u)) => {
                        Err(bad(format!("cannot prove: {u} — the credential does not satisfy this model's threshold")))
                    }
                    Err(e) => Err(bad(e.to_string())),
                };
            }
            let (_, compiled) = load_policy(policy.as_deref().expect("clap requires a policy"))?;
            let public = QueryPublic {
                issuer_root: pkg.issuer_root,
                policy_hash: compiled.hash(),
                as_of,
                challenge,
                scope,
                nullifier: secret.nullifier(scope),
                revocation_root: list.root(),
            };
            let witness =
                QueryWitness { credential: pkg.credential, secret, path: pkg.path, revocation, policy: compiled };
            let prover = load_prover(&k.keys)?;
            if prover.depth() != pkg.depth {
                return Err(bad(format!("package tree depth {} but keys serve depth {}", pkg.depth, prover.depth())));
            }
            let t = Instant::now();
            match prover.present(&public, &witness, &mut OsRng) {
                Ok(p) => {
                    eprintln!("proved in {} ms", t.elapsed().as_millis());
                    write_json_out(&out, &p)?;
                    Ok(0)
                }
                Err(healthzk_prover::ProveError::Unsatisfied(u)) => {
                    Err(bad(format!("cannot prove: {u} — the credential does not satisfy this policy")))
                }
                Err(e) => Err(e.into()),
            }
        }
        Cmd::Verify {
            keys: k,
            presentation,
            qr,
            session: Session { policy, model, model_hash, challenge, scope },
            roots,
            roots_file,
            revocation_roots,
            revocation_grace,
            roots_from_chain,
            chain,
            bundle,
            today: t,
            tolerance_days,
        } => {
            let trust = crate::bundle_cli::open_for_verify(&bundle)?;
            let is_model = model.is_some() || model_hash.is_some();
            let expected_hash = match (policy, model, model_hash) {
                (Some(policy), None, None) => load_policy(&policy)?.1.hash(),
                (None, Some(model), None) => load_model(&model, None)?.1,
                (None, None, Some(h)) => parse_fr("--model-hash", &h)?,
                _ => return Err(bad("pass exactly one of --policy, --model, --model-hash")),
            };
            let challenge = parse_fr("--challenge", &challenge)?;
            let scope = field::from_short_str("--scope", &scope).map_err(|e| bad(e.to_string()))?;
            let (pres, source): (Presentation, String) = match (&presentation, &qr) {
                (Some(p), None) => (read_json(p, "presentation")?, p.display().to_string()),
                (None, Some(text)) => {
                    let ctx = healthzk_core::compact::VerifierContext { policy_hash: expected_hash, challenge, scope };
                    let pres = healthzk_core::compact::decode(text, &ctx).map_err(|e| bad(format!("--qr: {e}")))?;
                    (pres, "--qr".into())
                }
                _ => return Err(bad("pass --presentation FILE or --qr STRING")),
            };
            let reject = |reason: String| -> Result<u8> {
                println!("REJECTED");
                eprintln!("rejected: {reason}");
                Ok(1)
            };
            let verifier = match &trust {
                Some(b) => {
                    use healthzk_core::presentation::{STATEMENT_QUERY, STATEMENT_SCORE};
                    let statement = if is_model { STATEMENT_SCORE } else { STATEMENT_QUERY };
                    match crate::bundle_cli::verifier(b, &pres.key_id, statement)? {
                        Ok(v) => v,
                        Err(reason) => return reject(reason),
                    }
                }
                None if is_model => crate::score_cli::load_verifier(&k.keys)?,
                None => load_verifier(&k.keys)?,
            };
            let mut accepted = roots.iter().map(|r| parse_fr("--root", r)).collect::<Result<Vec<_>>>()?;
            if let Some(f) = roots_file {
                let text = String::from_utf8(read(&f)?).map_err(|_| bad(format!("{}: not UTF-8", f.display())))?;
                for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    accepted.push(parse_fr(&format!("{} line {}", f.display(), i + 1), line.trim())?);
                }
            }
            let mut accepted_revocation =
                revocation_roots.iter().map(|r| parse_fr("--revocation-root", r)).collect::<Result<Vec<_>>>()?;
            if let Some(b) = &trust {
                // The issuer is the one whose accepted roots hold the presentation's root; only
                // that issuer's revocation root is accepted with it. (A malformed root is left
                // for the verifier to name.)
                if let Ok(root) = field::parse_hex("issuer_root", &pres.public.issuer_root) {
                    match b.issuer_of(&root) {
                        Some(i) => {
                            accepted.extend(i.roots.iter().copied());
                            accepted_revocation.extend(i.revocation_root);
                        }
                        None => eprintln!("the trust bundle accepts this root for none of its issuers"),
                    }
                }
                if is_model && !b.model_accepted(&expected_hash) {
                    return reject(format!(
                        "model {} is not registered in the trust bundle",
                        field::to_hex(&expected_hash)
                    ));
                }
            } else if let Some(issuer) = &roots_from_chain {
                let who = crate::chain_cli::parse_address("--roots-from-chain", issuer)?;
                let mut reg = crate::chain_cli::RegistryReader::open(&chain)?;
                // The presentation's own roots, checked on chain (a malformed root is left for
                // the verifier to name).
                if let Ok(root) = field::parse_hex("issuer_root", &pres.public.issuer_root) {
                    if reg.root_accepted(who, &root)? {
                        accepted.push(root);
                    } else {
                        eprintln!("the chain does not accept this root for issuer {issuer} (not anchored, revoked, or the issuer not accredited)");
                    }
                }
                if let Ok(root) = field::parse_hex("revocation_root", &pres.public.revocation_root) {
                    if reg.revocation_root_fresh(who, &root, revocation_grace)? {
                        accepted_revocation.push(root);
                    } else {
                        eprintln!("the revocation root is not issuer {issuer}'s current one (nor superseded within {revocation_grace} s)");
                    }
                }
                if is_model && !reg.model_accepted(&expected_hash)? {
                    return reject(format!(
                        "model {} is not registered on chain (or revoked, or its publisher removed)",
                        field::to_hex(&expected_hash)
                    ));
                }
            } else if accepted.is_empty() {
                return Err(bad("no accepted issuer roots: pass --root, --roots-file, --roots-from-chain or --bundle"));
            } else if accepted_revocation.is_empty() {
                return Err(bad(
                    "no accepted revocation root: pass --revocation-root (the issuer's current one), --roots-from-chain or --bundle",
                ));
            }
            let today = day_or_today("--today", &t)?;
            let e = Expectations {
                policy_hash: expected_hash,
                challenge,
                scope,
                earliest: today.plus(-(tolerance_days as i64)),
                latest: today.plus(tolerance_days as i64),
                accepted_roots: accepted,
                accepted_revocation_roots: accepted_revocation,
            };
            match verifier.verify(&pres, &e) {
                Verdict::Accepted { nullifier } => {
                    println!("ACCEPTED nullifier {}", field::to_hex(&nullifier));
                    Ok(0)
                }
                Verdict::Rejected(r) if r.is_bad_input() => Err(bad(format!("{source}: {r}"))),
                Verdict::Rejected(r) => {
                    println!("REJECTED");
                    eprintln!("rejected: {r}");
                    Ok(1)
                }
            }
        }
        Cmd::Export(ExportCmd::Snarkjs { keys: dir, presentation, out }) => {
            use healthzk_core::presentation::{STATEMENT_QUERY, STATEMENT_SCORE};
            use healthzk_verifier::snarkjs;
            let pres: Presentation = read_json(&presentation, "presentation")?;
            let (vk, id) = match pres.statement.as_str() {
                STATEMENT_QUERY => load_vk(&dir)?,
                STATEMENT_SCORE => crate::score_cli::load_vk(&dir)?,
                other => return Err(bad(format!("{}: unknown statement {other:?}", presentation.display()))),
            };
            if pres.key_id != id.to_hex() {
                return Err(bad(format!("{}: key id {} is not these keys' {id}", presentation.display(), pres.key_id)));
            }
            let public = pres.public.parse().map_err(|e| bad(format!("{}: {e}", presentation.display())))?;
            let proof = healthzk_verifier::decode_proof(&pres.proof)
                .map_err(|e| bad(format!("{}: {e}", presentation.display())))?;
            for (name, v) in [
                ("verification_key.json", snarkjs::verification_key(&vk)),
                ("proof.json", snarkjs::proof(&proof)),
                ("public.json", snarkjs::public(&public.to_field_elements())),
            ] {
                write_atomic(&out.join(name), (serde_json::to_string_pretty(&v)? + "\n").as_bytes())?;
            }
            eprintln!("wrote verification_key.json, proof.json, public.json to {}", out.display());
            Ok(0)
        }
        Cmd::Qr { presentation, png, string_only } => crate::qr_cli::run(&presentation, png.as_deref(), string_only),
        Cmd::Chain(cmd) => crate::chain_cli::run_chain(cmd),
        Cmd::Bundle(cmd) => crate::bundle_cli::run(cmd),
        Cmd::Anchor { issuer, chain, revoke } => {
            let tree = load_tree(&issuer)?.tree;
            let root = tree.root();
            if revoke.is_none() && tree.is_empty() {
                return Err(bad(format!(
                    "{}: the issuer tree is empty; issue a credential first",
                    issuer.issuer.display()
                )));
            }
            let revocation_root = load_revocations(&issuer)?.root();
            crate::chain_cli::anchor(&chain, &issuer.issuer, root, revocation_root, revoke.as_deref())
        }
        Cmd::Roots { issuer, chain } => crate::chain_cli::roots(&chain, &issuer),
        Cmd::ExportVerifier { keys, statement, out } => crate::chain_cli::export_verifier(&keys, &statement, &out),
        Cmd::Demo(args) => crate::demo::run(args),
        Cmd::Serve(args) => crate::serve_cli::run(args),
        Cmd::Holder(HolderCmd::PublicKey { holder }) => {
            let secret = holder_secret(&holder)?;
            println!("{}", healthzk_service::sealed::holder_public_key(&secret));
            Ok(0)
        }
        Cmd::Holder(HolderCmd::Open { holder, blob, out }) => {
            let secret = holder_secret(&holder)?;
            let bytes = read(&blob)?;
            let plain =
                healthzk_service::sealed::open(&secret, &bytes).map_err(|e| bad(format!("{}: {e}", blob.display())))?;
            let pkg: HolderPackage = serde_json::from_slice(&plain)
                .map_err(|e| bad(format!("{}: not a holder package: {e}", blob.display())))?;
            write_secret(&out, serde_json::to_string_pretty(&pkg)?.as_bytes())?;
            eprintln!("opened the package of credential #{} into {}", pkg.credential.revocation_nonce, out.display());
            Ok(0)
        }
    }
}
