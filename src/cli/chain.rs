//! `healthzk chain init|accredit|accredit-publisher|address|deploy-verifier|check-verifier|accept-key`, and what other
//! subcommands need of a chain: which one (`ChainOpts`), as whom (the role's account), its
//! registry, the reads `verify --roots-from-chain` makes, and model registration.
//!
//! The embedded chain (revm, state in `--chain`) is the default and needs no set-up beyond
//! `chain init`; `--rpc-url` selects any EVM JSON-RPC endpoint instead. Either way the
//! contract addresses are kept in `--chain`/deployments.json, per chain id.

use super::{io::bad, keys::chosen_key};
use anyhow::Result;
use clap::{Args, Subcommand};
use healthzk_anchor::{
    contracts::{Registry, VerifierContract},
    deployments::{ChainDeployment, Deployments, VerifierEntry},
    Account, Chain, EmbeddedChain, Error, RpcChain,
};
use healthzk_core::{field, statement::Statement, Fr};
use healthzk_prover::KeyDir;
use std::path::{Path, PathBuf};

/// Which chain, and as whom.
#[derive(Args, Debug, Clone)]
pub struct ChainOpts {
    /// Chain directory: the embedded chain's state, its owner key, and the contract
    /// addresses of every chain used from this data dir (deployments.json).
    #[arg(long, default_value = "healthzk-data/chain")]
    pub chain: PathBuf,
    /// Use this EVM JSON-RPC endpoint (http or https) instead of the embedded chain.
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// Key file (hex private key) of the sending account. Default: the role's own key in the
    /// data dir; with --rpc-url, the HEALTHZK_CHAIN_KEY environment variable if set.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

/// Key file of the embedded chain's owner (registry owner), inside the chain directory.
const OWNER_KEY: &str = "owner.key";
/// Default key file of a model publisher's chain account, inside the chain directory.
const PUBLISHER_KEY: &str = "publisher.key";
/// Key file of an issuer's chain account, inside the issuer directory.
pub const ISSUER_KEY: &str = "chain.key";

#[derive(Subcommand, Debug)]
pub enum ChainCmd {
    /// Create the embedded chain (or, with --rpc-url, use that chain) and deploy the
    /// AnchorRegistry, owned by the sending account.
    Init {
        #[command(flatten)]
        opts: ChainOpts,
    },
    /// Accredit an issuer (registry owner only); with --remove, withdraw the accreditation
    /// (all its roots stop being accepted).
    Accredit {
        #[command(flatten)]
        opts: ChainOpts,
        #[command(flatten)]
        issuer: IssuerRef,
        /// Withdraw instead of grant.
        #[arg(long)]
        remove: bool,
    },
    /// Accredit a model publisher (an insurer or regulator that registers score models;
    /// registry owner only); with --remove, withdraw it (its models stop being accepted).
    AccreditPublisher {
        #[command(flatten)]
        opts: ChainOpts,
        /// The publisher's chain address (0x, 20 bytes).
        #[arg(long)]
        address: String,
        /// Withdraw instead of grant.
        #[arg(long)]
        remove: bool,
    },
    /// Print the chain address of a key file (creating the key, mode 0600, if there is none).
    Address {
        /// The key file.
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Deploy a Groth16Verifier contract for the verifying key in --keys.
    DeployVerifier {
        #[command(flatten)]
        opts: ChainOpts,
        #[command(flatten)]
        key: KeyChoice,
    },
    /// Record the verifying key in --keys as accepted in the registry (owner only): its key id,
    /// statement and its ceremony's transcript hash (`keys show`). A development key needs
    /// --dev. With --withdraw, withdraw it.
    AcceptKey {
        #[command(flatten)]
        opts: ChainOpts,
        #[command(flatten)]
        key: KeyChoice,
        /// Allow a single-party development key (recorded with an empty transcript hash).
        #[arg(long)]
        dev: bool,
        /// Withdraw the key instead.
        #[arg(long)]
        withdraw: bool,
    },
    /// Compare the verifying key an on-chain Groth16Verifier holds with the key in --keys
    /// (e.g. a ceremony's): every point and the key id must be equal. Exit 0 equal, 1 any
    /// difference (each named), 2 bad input or no such contract.
    CheckVerifier {
        #[command(flatten)]
        opts: ChainOpts,
        /// The verifier contract's address.
        #[arg(long)]
        address: String,
        #[command(flatten)]
        key: KeyChoice,
    },
}

/// One verifying key of a keys directory.
#[derive(Args, Debug, Clone)]
pub struct KeyChoice {
    /// Keys directory.
    #[arg(long, default_value = "healthzk-data/keys")]
    keys: PathBuf,
    /// Which statement's key.
    #[arg(long, default_value_t = Statement::CredentialQuery)]
    statement: Statement,
    /// Which key, by id, when the directory holds several of the statement's.
    #[arg(long)]
    key_id: Option<String>,
}

impl KeyChoice {
    /// The directory and the key it names.
    fn load(&self) -> Result<(KeyDir, healthzk_prover::keydir::FoundKey)> {
        let dir = KeyDir::new(&self.keys);
        let key = chosen_key(&dir, self.statement, self.key_id.as_deref())?;
        Ok((dir, key))
    }
}

/// An issuer, by its directory (whose chain key gives the address) or by address.
#[derive(Args, Debug, Clone)]
#[group(required = true, multiple = false)]
pub struct IssuerRef {
    /// Issuer directory (its chain account is `chain.key` there).
    #[arg(long = "issuer")]
    pub dir: Option<PathBuf>,
    /// The issuer's chain address (0x, 20 bytes).
    #[arg(long = "issuer-address")]
    pub address: Option<String>,
}

/// Reverts, bad keys, unusable state files and unreachable nodes are the user's to fix
/// (exit 2); failing to read or write our own files is internal (exit 3).
pub fn chain_err(e: Error) -> anyhow::Error {
    match e {
        Error::Reverted(reason) => bad(format!("the chain refused the transaction: {}", hint(&reason))),
        e @ Error::Io { .. } => anyhow::Error::new(e),
        other => bad(other.to_string()),
    }
}

fn key_err(e: Error) -> anyhow::Error {
    bad(e.to_string())
}

fn hint(reason: &str) -> String {
    if reason.starts_with("NotModelPublisher") {
        format!("{reason} — this account is not an accredited model publisher; the registry owner runs `healthzk chain accredit-publisher`")
    } else if reason.starts_with("NotIssuer") {
        format!(
            "{reason} — this account is not an accredited issuer; the registry owner runs `healthzk chain accredit`"
        )
    } else if reason.starts_with("AlreadyAnchored") {
        format!(
            "{reason} — a root is anchored once; a revoked root stays revoked (issue a credential to get a new root)"
        )
    } else if reason.starts_with("NotOwner") {
        format!("{reason} — only the registry owner may do this")
    } else {
        reason.to_string()
    }
}

/// The chain the options select.
pub fn open(opts: &ChainOpts) -> Result<Box<dyn Chain>> {
    match &opts.rpc_url {
        Some(url) => Ok(Box::new(RpcChain::connect(url).map_err(chain_err)?)),
        None => Ok(Box::new(EmbeddedChain::open(&opts.chain).map_err(chain_err)?)),
    }
}

/// The sending account: --key-file, else the role's key file `default`, else (JSON-RPC)
/// HEALTHZK_CHAIN_KEY, else a new key at `default` if `create`. A key file that cannot be read
/// or used is the user's to fix (exit 2).
fn account(opts: &ChainOpts, default: Option<&Path>, create: bool) -> Result<Account> {
    // Precedence: --key-file, then the role's own key file, then (JSON-RPC only) the
    // environment, then a fresh key for roles that may create one.
    if let Some(f) = &opts.key_file {
        return Account::load(f).map_err(key_err);
    }
    if let Some(path) = default.filter(|p| p.exists()) {
        return Account::load(path).map_err(key_err);
    }
    if opts.rpc_url.is_some() {
        if let Some(a) = Account::from_env().map_err(chain_err)? {
            return Ok(a);
        }
    }
    match default {
        Some(path) if create => Account::load_or_create(path).map_err(chain_err),
        _ => Err(bad(format!(
            "no key for the sending account: pass --key-file{}",
            if opts.rpc_url.is_some() { " or set HEALTHZK_CHAIN_KEY" } else { "" }
        ))),
    }
}

fn owner(opts: &ChainOpts) -> Result<Account> {
    let default = opts.rpc_url.is_none().then(|| opts.chain.join(OWNER_KEY));
    account(opts, default.as_deref(), false)
}

/// The issuer's chain account (its key in the issuer directory, created on first use).
pub fn issuer_account(opts: &ChainOpts, issuer_dir: &Path) -> Result<Account> {
    account(opts, Some(&issuer_dir.join(ISSUER_KEY)), true)
}

pub fn parse_address(flag: &str, s: &str) -> Result<alloy_primitives::Address> {
    s.parse().map_err(|_| bad(format!("{flag} {s:?}: not a 0x-prefixed 20-byte address")))
}

pub fn issuer_address(_opts: &ChainOpts, r: &IssuerRef) -> Result<alloy_primitives::Address> {
    match (&r.dir, &r.address) {
        (_, Some(a)) => parse_address("--issuer-address", a),
        (Some(d), None) => {
            // A lookup: the issuer's own key file, never the sender's key, never a new key.
            let path = d.join(ISSUER_KEY);
            if !path.exists() {
                return Err(bad(format!(
                    "{} has no chain key ({ISSUER_KEY}); the issuer creates it with `healthzk issuer address --issuer {}`",
                    d.display(),
                    d.display()
                )));
            }
            Ok(Account::load(&path).map_err(key_err)?.address())
        }
        (None, None) => Err(bad("pass --issuer DIR or --issuer-address 0x…")),
    }
}

fn deployment(opts: &ChainOpts, chain: &dyn Chain) -> Result<(Deployments, ChainDeployment)> {
    let d = Deployments::load(&opts.chain).map_err(chain_err)?;
    let c = d.require(chain.chain_id()).map_err(chain_err)?.clone();
    Ok((d, c))
}

pub fn registry(opts: &ChainOpts, chain: &dyn Chain) -> Result<Registry> {
    Ok(Registry { address: deployment(opts, chain)?.1.registry })
}

/// `chain init`: the registry, deployed by the sending account (the embedded chain is created
/// first, or an interrupted creation resumed).
fn init(opts: ChainOpts) -> Result<u8> {
    // Everything that can fail on input is checked before the chain is created, and
    // an embedded chain created by an interrupted init (no registry yet) is resumed.
    let d = Deployments::load(&opts.chain).map_err(chain_err)?;
    let (mut chain, owner): (Box<dyn Chain>, Account) = match &opts.rpc_url {
        None => {
            let owner = match &opts.key_file {
                Some(f) => Account::load(f).map_err(key_err)?,
                None => Account::load_or_create(&opts.chain.join(OWNER_KEY)).map_err(chain_err)?,
            };
            let chain = if EmbeddedChain::exists(&opts.chain) {
                if d.chain(healthzk_anchor::embedded::EMBEDDED_CHAIN_ID).is_some() {
                    return Err(bad(format!("{} already holds a chain", opts.chain.display())));
                }
                EmbeddedChain::open(&opts.chain).map_err(chain_err)?
            } else {
                EmbeddedChain::create(&opts.chain).map_err(chain_err)?
            };
            (Box::new(chain), owner)
        }
        Some(_) => {
            let owner = owner(&opts)?;
            (open(&opts)?, owner)
        }
    };
    let mut d = d;
    if let Some(c) = d.chain(chain.chain_id()) {
        return Err(bad(format!(
            "chain {} already has a registry at {} (see {})",
            chain.chain_id(),
            c.registry,
            opts.chain.join(healthzk_anchor::deployments::DEPLOYMENTS_FILE).display()
        )));
    }
    let (registry, receipt) = Registry::deploy(chain.as_mut(), &owner).map_err(chain_err)?;
    d.chains.insert(
        chain.chain_id().to_string(),
        ChainDeployment { registry: registry.address, owner: owner.address(), verifiers: Default::default() },
    );
    d.save(&opts.chain).map_err(chain_err)?;
    if opts.rpc_url.is_none() {
        eprintln!("embedded chain created in {}", opts.chain.display());
    }
    eprintln!("registry owner {} (gas {})", owner.address(), receipt.gas_used);
    println!("registry {} on chain {}", registry.address, chain.chain_id());
    Ok(0)
}

pub fn run(cmd: ChainCmd) -> Result<u8> {
    match cmd {
        ChainCmd::Init { opts } => init(opts),
        ChainCmd::Accredit { opts, issuer, remove } => {
            let mut chain = open(&opts)?;
            let reg = registry(&opts, chain.as_ref())?;
            let who = issuer_address(&opts, &issuer)?;
            let owner = owner(&opts)?;
            let receipt = if remove {
                reg.remove_issuer(chain.as_mut(), &owner, who)
            } else {
                reg.accredit_issuer(chain.as_mut(), &owner, who)
            }
            .map_err(chain_err)?;
            println!("issuer {who} {} (gas {})", if remove { "removed" } else { "accredited" }, receipt.gas_used);
            Ok(0)
        }
        ChainCmd::Address { key_file } => {
            println!("{}", Account::load_or_create(&key_file).map_err(key_err)?.address());
            Ok(0)
        }
        ChainCmd::AccreditPublisher { opts, address, remove } => {
            let mut chain = open(&opts)?;
            let reg = registry(&opts, chain.as_ref())?;
            let who = parse_address("--address", &address)?;
            let owner = owner(&opts)?;
            let receipt = if remove {
                reg.remove_model_publisher(chain.as_mut(), &owner, who)
            } else {
                reg.accredit_model_publisher(chain.as_mut(), &owner, who)
            }
            .map_err(chain_err)?;
            println!(
                "model publisher {who} {} (gas {})",
                if remove { "removed" } else { "accredited" },
                receipt.gas_used
            );
            Ok(0)
        }
        ChainCmd::AcceptKey { opts, key, dev, withdraw } => accept_key(&opts, &key, dev, withdraw),
        ChainCmd::CheckVerifier { opts, address, key } => check_verifier(&opts, &address, &key),
        ChainCmd::DeployVerifier { opts, key: choice } => {
            let statement = choice.statement;
            let (_, key) = choice.load()?;
            let mut chain = open(&opts)?;
            let (mut d, _) = deployment(&opts, chain.as_ref())?;
            let from = owner(&opts)?;
            let (contract, receipt) = VerifierContract::deploy(chain.as_mut(), &from, &key.vk).map_err(chain_err)?;
            let entry = d.chain_mut(chain.chain_id()).expect("checked above");
            entry.verifiers.insert(
                key.key_id.to_hex(),
                VerifierEntry { statement: statement.to_string(), address: contract.address },
            );
            d.save(&opts.chain).map_err(chain_err)?;
            eprintln!("key id {} (gas {})", key.key_id, receipt.gas_used);
            println!("verifier {} for {statement}", contract.address);
            Ok(0)
        }
    }
}

/// `chain accept-key`: records (or withdraws) a key of `keys` in the registry, as its owner.
fn accept_key(opts: &ChainOpts, choice: &KeyChoice, dev: bool, withdraw: bool) -> Result<u8> {
    let statement = choice.statement;
    let (dir, key) = choice.load()?;
    let mut chain = open(opts)?;
    let reg = registry(opts, chain.as_ref())?;
    let from = owner(opts)?;
    if withdraw {
        let r = reg.withdraw_verifying_key(chain.as_mut(), &from, key.key_id.0).map_err(chain_err)?;
        println!("key {} withdrawn (gas {})", key.key_id, r.gas_used);
        return Ok(0);
    }
    let transcript = match key_provenance(&dir, &key)? {
        (healthzk_prover::Provenance::Ceremony(r), _) => {
            hex::decode(&r.transcript_hash).map_err(|_| bad("the ceremony record's transcript hash is not hex"))?
        }
        (healthzk_prover::Provenance::Development, _) if dev => Vec::new(),
        (healthzk_prover::Provenance::Development, line) => {
            return Err(bad(format!(
                "{line}: the registry records the keys of ceremonies; pass --dev to record a development key"
            )))
        }
    };
    let r = reg
        .accept_verifying_key(chain.as_mut(), &from, key.key_id.0, statement.code(), &transcript)
        .map_err(chain_err)?;
    println!("key {} accepted for {statement} (gas {})", key.key_id, r.gas_used);
    Ok(0)
}

/// `chain check-verifier`: the deployed verifier's key, point by point, and the registry's record
/// of it, against the key in `keys`. Exit 1 on any difference.
fn check_verifier(opts: &ChainOpts, address: &str, choice: &KeyChoice) -> Result<u8> {
    let (statement, keys) = (choice.statement, &choice.keys);
    let (dir, key) = choice.load()?;
    let expected = healthzk_anchor::encode::VerifierArgs::new(&key.vk).map_err(|e| bad(e.to_string()))?;
    let contract = VerifierContract { address: parse_address("--address", address)? };
    let mut chain = open(opts)?;
    let on_chain = contract.verifying_key(chain.as_mut()).map_err(chain_err)?;
    let id = contract.key_id(chain.as_mut()).map_err(chain_err)?;
    let mut diffs = Vec::new();
    for (same, what) in [
        (on_chain.alpha == expected.alpha, "alpha"),
        (on_chain.beta == expected.beta, "beta"),
        (on_chain.gamma == expected.gamma, "gamma"),
        (on_chain.delta == expected.delta, "delta"),
        (on_chain.ic == expected.ic, "the public-input points (IC)"),
        (id == key.key_id.0, "keyId"),
    ] {
        if !same {
            diffs.push(what);
        }
    }
    let (prov, line) = key_provenance(&dir, &key)?;
    // What the registry records of the key, if this chain has one.
    let recorded = match deployment(opts, chain.as_ref()) {
        Ok((_, d)) => {
            Some(Registry { address: d.registry }.verifying_key(chain.as_mut(), key.key_id.0).map_err(chain_err)?)
        }
        Err(_) => None,
    };
    if let Some(r) = &recorded {
        let expected = match &prov {
            healthzk_prover::Provenance::Ceremony(c) => hex::decode(&c.transcript_hash).unwrap_or_default(),
            healthzk_prover::Provenance::Development => Vec::new(),
        };
        if r.since != 0 && r.transcript_hash != expected {
            diffs.push("the registry's transcript hash for this key");
        }
        if r.since != 0 && !r.accepted {
            diffs.push("the registry's acceptance (the key is withdrawn)");
        }
        if r.since != 0 && r.statement != statement.code() {
            diffs.push("the registry's statement for this key");
        }
    }
    if diffs.is_empty() {
        println!("verifier {} holds {line}", contract.address);
        match recorded {
            Some(r) if r.accepted => {
                println!("registry: accepted for statement code {} since {}", r.statement, super::io::when(r.since))
            }
            Some(_) => println!("registry: this key is not recorded (chain accept-key records it)"),
            None => println!("registry: none for this chain in {}", opts.chain.display()),
        }
        Ok(0)
    } else {
        eprintln!(
            "verifier {} does NOT hold {} key {} of {}: {} differ(s); its keyId is {}",
            contract.address,
            statement,
            key.key_id,
            keys.display(),
            diffs.join(", "),
            hex::encode(id)
        );
        Ok(1)
    }
}

/// Where a key of `dir` came from (its ceremony record, or a development setup) and the line
/// `keys show` prints for it.
fn key_provenance(
    dir: &KeyDir,
    key: &healthzk_prover::keydir::FoundKey,
) -> Result<(healthzk_prover::Provenance, String)> {
    let name = healthzk_prover::KeyName::from_stem(key.file.trim_end_matches(".vk"))
        .ok_or_else(|| bad(format!("{}: not a key file name healthzk writes", key.file)))?;
    dir.provenance_line(&name, &key.key_id).map_err(|e| bad(e.to_string()))
}

/// The registry, opened once for a verifier's questions about one presentation.
pub struct RegistryReader {
    chain: Box<dyn Chain>,
    reg: Registry,
}

impl RegistryReader {
    /// Opens the chain and finds its registry.
    pub fn open(opts: &ChainOpts) -> Result<Self> {
        let chain = open(opts)?;
        let reg = registry(opts, chain.as_ref())?;
        Ok(RegistryReader { chain, reg })
    }

    /// The chain and the registry, for reads this type has no method for.
    pub fn parts(&mut self) -> (&mut dyn Chain, &Registry) {
        (self.chain.as_mut(), &self.reg)
    }

    /// Whether the registry accepts `root` for `issuer` (accredited, anchored, not revoked):
    /// one view call, authoritative, whatever the length of the issuer's history.
    pub fn root_accepted(&mut self, issuer: alloy_primitives::Address, root: &Fr) -> Result<bool> {
        self.reg.is_root_accepted(self.chain.as_mut(), issuer, root).map_err(chain_err)
    }

    /// Whether `root` is `issuer`'s current revocation root, or one it superseded less than
    /// `grace` seconds ago (and the issuer is accredited).
    pub fn revocation_root_fresh(&mut self, issuer: alloy_primitives::Address, root: &Fr, grace: u64) -> Result<bool> {
        self.reg.is_revocation_root_fresh(self.chain.as_mut(), issuer, root, grace).map_err(chain_err)
    }

    /// Whether the registry accepts a model hash (registered, unrevoked, publisher accredited).
    pub fn model_accepted(&mut self, hash: &Fr) -> Result<bool> {
        self.reg.is_model_accepted(self.chain.as_mut(), hash).map_err(chain_err)
    }
}

/// `healthzk model register`: registers a model hash on chain from a model publisher's account
/// (`--key-file`, or `publisher.key` in the chain directory, created on first use).
pub fn register_model(opts: &ChainOpts, hash: Fr) -> Result<u8> {
    let mut chain = open(opts)?;
    let reg = registry(opts, chain.as_ref())?;
    let me = account(opts, Some(&opts.chain.join(PUBLISHER_KEY)), true)?;
    // Registrations are per publisher: another publisher's (a squatter's) does not count.
    if reg.is_model_accepted_from(chain.as_mut(), me.address(), &hash).map_err(chain_err)? {
        println!("model {} is already registered by {}", field::to_hex(&hash), me.address());
        return Ok(0);
    }
    let receipt = reg.register_model(chain.as_mut(), &me, &hash).map_err(chain_err)?;
    eprintln!("publisher {} (gas {})", me.address(), receipt.gas_used);
    println!("registered {}", field::to_hex(&hash));
    Ok(0)
}
