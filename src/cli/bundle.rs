//! `healthzk bundle export|show` and `verify --bundle`: offline trust bundles (SPEC §14).

use super::{
    chain::{chain_err, parse_address, ChainOpts, RegistryReader},
    io::{bad, now, read, when, write_file},
    keys::key_err,
};
use anyhow::Result;
use clap::{Args, Subcommand};
use healthzk_anchor::{
    bundle::{self as snapshot, SnapshotError},
    Account,
};
use healthzk_core::{field, statement::Statement, Fr};
use healthzk_prover::{keys, KeyDir};
use healthzk_verifier::{
    bundle::{payload_sha256, BundleFile, KeyEntry, Pin, TrustBundle},
    Verifier,
};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum BundleCmd {
    /// Snapshot the registry (each issuer's accepted roots and current revocation root, the
    /// registered models) with the verifying keys into a trust bundle for offline verifiers.
    Export {
        #[command(flatten)]
        chain: ChainOpts,
        /// An issuer to trust (chain address; repeatable). It must be accredited.
        #[arg(long = "issuer-address", required = true)]
        issuers: Vec<String>,
        /// A keys directory whose verifying keys (every `*.vk` in it) the bundle carries
        /// (repeatable).
        #[arg(long = "keys", required = true)]
        keys: Vec<PathBuf>,
        /// A registered model hash score presentations may use (repeatable).
        #[arg(long = "model-hash")]
        models: Vec<String>,
        /// Hours until the bundle expires. A revocation made after the bundle is cut is
        /// invisible to it, so this bounds how stale an offline verifier may be.
        #[arg(long, default_value_t = 24)]
        valid_hours: u64,
        /// Sign the bundle with this key file (hex secp256k1 key); verifiers pin its address
        /// with --bundle-signer. Unsigned bundles are pinned by --bundle-sha256.
        #[arg(long)]
        sign_key: Option<PathBuf>,
        /// Where to write the bundle.
        #[arg(long)]
        out: PathBuf,
    },
    /// Describe a bundle: what it trusts, its SHA-256, who signed it, when it expires.
    Show {
        /// The bundle file.
        #[arg(long)]
        bundle: PathBuf,
    },
}

/// `verify`'s offline trust source.
#[derive(Args, Debug, Default)]
pub struct BundleOpts {
    /// Verify offline against this trust bundle (keys, roots, revocation roots and models
    /// from it); pin it with --bundle-signer or --bundle-sha256.
    #[arg(long, conflicts_with_all = ["roots", "roots_file", "revocation_roots", "roots_from_chain"])]
    pub bundle: Option<PathBuf>,
    /// The chain address whose signature the bundle must carry.
    #[arg(long, requires = "bundle", conflicts_with = "bundle_sha256")]
    pub bundle_signer: Option<String>,
    /// The SHA-256 (hex) the bundle's payload must have.
    #[arg(long, requires = "bundle")]
    pub bundle_sha256: Option<String>,
}

/// The verifying-key files a keys directory holds, as bundle entries.
fn key_entries(dir: &Path) -> Result<Vec<KeyEntry>> {
    let found = KeyDir::new(dir).verifying_keys().map_err(key_err)?;
    if found.is_empty() {
        return Err(bad(format!("{}: no verifying key (*.vk)", dir.display())));
    }
    Ok(found
        .into_iter()
        .map(|k| KeyEntry { statement: k.statement.to_string(), key_id: k.key_id.to_hex(), key: hex::encode(&k.bytes) })
        .collect())
}

pub fn run(cmd: BundleCmd) -> Result<u8> {
    match cmd {
        BundleCmd::Export { chain, issuers, keys, models, valid_hours, sign_key, out } => {
            let issuers = issuers.iter().map(|a| parse_address("--issuer-address", a)).collect::<Result<Vec<_>>>()?;
            let models = models
                .iter()
                .map(|m| field::parse_hex("--model-hash", m).map_err(|e| bad(e.to_string())))
                .collect::<Result<Vec<Fr>>>()?;
            let mut entries = Vec::new();
            for dir in &keys {
                entries.extend(key_entries(dir)?);
            }
            let signer = match &sign_key {
                Some(p) => Some(Account::load(p).map_err(|e| bad(e.to_string()))?),
                None => None,
            };
            let valid_for =
                valid_hours.checked_mul(3600).ok_or_else(|| bad(format!("--valid-hours {valid_hours}: too large")))?;
            let mut reader = RegistryReader::open(&chain)?;
            let (c, reg) = reader.parts();
            let bundle =
                snapshot::snapshot(c, reg, &issuers, &models, entries, now(), valid_for).map_err(|e| match e {
                    SnapshotError::Chain(e) => chain_err(e),
                    other => bad(other.to_string()),
                })?;
            let file = snapshot::seal(&bundle, signer.as_ref()).map_err(|e| bad(e.to_string()))?;
            write_file(&out, (serde_json::to_string_pretty(&file)? + "\n").as_bytes())?;
            let digest = hex::encode(payload_sha256(&file.payload));
            for i in &bundle.issuers {
                eprintln!(
                    "issuer {}: {} accepted root(s), revocation root {}",
                    i.address,
                    i.roots.len(),
                    i.revocation_root
                        .as_ref()
                        .map(field::to_hex)
                        .unwrap_or_else(|| "NONE (its presentations will be refused)".into())
                );
            }
            eprintln!(
                "{} verifying key(s), {} model(s); expires {}",
                bundle.verifying_keys.len(),
                bundle.models.len(),
                when(bundle.expires_at)
            );
            match &signer {
                Some(a) => eprintln!("signed by {}: verifiers pass --bundle-signer {}", a.address(), a.address()),
                None => eprintln!("unsigned: verifiers pass --bundle-sha256 {digest}"),
            }
            println!("bundle {} sha256 {digest}", out.display());
            Ok(0)
        }
        BundleCmd::Show { bundle } => {
            let bytes = read(&bundle)?;
            let file: BundleFile = serde_json::from_slice(&bytes)
                .map_err(|e| bad(format!("{}: malformed trust bundle: {e}", bundle.display())))?;
            let b = file.payload_unauthenticated().map_err(|e| bad(format!("{}: {e}", bundle.display())))?;
            println!("sha256 {}", hex::encode(payload_sha256(&file.payload)));
            match file.recover_signer() {
                Ok(a) => println!("signed by {a}"),
                Err(e) => println!("signature: {e}"),
            }
            println!("chain {} registry {}", b.chain_id, b.registry);
            println!("created {}", when(b.created_at));
            let state = if b.check_current(now()).is_ok() { "" } else { " (EXPIRED)" };
            println!("expires {}{state}", when(b.expires_at));
            for i in &b.issuers {
                println!(
                    "issuer {} roots {} revocation root {}",
                    i.address,
                    i.roots.len(),
                    i.revocation_root.as_ref().map(field::to_hex).unwrap_or_else(|| "none".into())
                );
            }
            for m in &b.models {
                println!("model {}", field::to_hex(m));
            }
            for k in &b.verifying_keys {
                println!("key {} {}", k.key_id, k.statement);
            }
            eprintln!("(not authenticated: `verify --bundle` checks the pin)");
            Ok(0)
        }
    }
}

/// Opens the bundle `verify --bundle` names, authenticated by its pin and current; `None`
/// without --bundle. Every failure is the operator's (exit 2).
pub fn open_for_verify(o: &BundleOpts) -> Result<Option<TrustBundle>> {
    let Some(path) = &o.bundle else { return Ok(None) };
    let pin = match (&o.bundle_signer, &o.bundle_sha256) {
        (Some(a), None) => Pin::Signer(snapshot::address(parse_address("--bundle-signer", a)?)),
        (None, Some(h)) => {
            let t = h.trim().strip_prefix("0x").unwrap_or(h.trim());
            let d: [u8; 32] = hex::decode(t)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| bad(format!("--bundle-sha256 {h:?}: not 32 bytes of hex")))?;
            Pin::Sha256(d)
        }
        _ => return Err(bad("--bundle needs a pin: --bundle-signer ADDRESS or --bundle-sha256 HEX")),
    };
    let b = BundleFile::open(&read(path)?, &pin).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    b.check_current(now()).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    Ok(Some(b))
}

/// The verifier for the key a presentation names, from the bundle. `Err(reason)` (a
/// rejection, exit 1) if the bundle has no such key or it serves another statement; a key id
/// that is not 32 bytes of hex is bad input (exit 2).
pub fn verifier(b: &TrustBundle, key_id: &str, statement: Statement) -> Result<std::result::Result<Verifier, String>> {
    if key_id.len() != 64 || hex::decode(key_id).is_err() {
        return Err(bad(format!("presentation key_id {key_id:?}: not 32 bytes of hex")));
    }
    let Some(k) = b.key(key_id) else {
        return Ok(Err(format!("key id {key_id} is not in the trust bundle")));
    };
    if k.statement != statement.name() {
        return Ok(Err(format!("key id {key_id} in the trust bundle is for {}, not {statement}", k.statement)));
    }
    let bytes = hex::decode(&k.key).map_err(|_| bad(format!("trust bundle key {key_id}: not hex")))?;
    let (vk, _, id) = keys::read_vk(statement, &bytes).map_err(|e| bad(format!("trust bundle key {key_id}: {e}")))?;
    if !id.to_hex().eq_ignore_ascii_case(&k.key_id) {
        return Err(bad(format!("trust bundle key {key_id}: its key file has key id {id}")));
    }
    Ok(Ok(Verifier::new(statement, &vk, id.0)))
}
