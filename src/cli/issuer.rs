//! The hospital's side from the command line: `healthzk issue` and `healthzk issuer
//! root|roots|address|path|revoke|revocation-root`, over an issuer directory holding the tree
//! (`tree.json`: commitments only, never records) and the published revocation list
//! (`revocations.json`).

use super::{
    chain::{issuer_account, ChainOpts},
    io::{bad, day_or_today, parse_fr, read_json, write_file},
};
use anyhow::Result;
use clap::{Args, Subcommand};
use healthzk_core::{
    credential::{CredentialRequest, HolderPackage, PACKAGE_FORMAT},
    field,
    holder::{HolderCommitment, HolderKeyFile},
    merkle::MerkleTree,
    revocation::RevocationList,
    Fr, DEFAULT_TREE_DEPTH,
};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct IssuerDir {
    /// Issuer directory (holds tree.json: commitments only, never records).
    #[arg(long, default_value = "healthzk-data/issuer")]
    pub issuer: PathBuf,
    /// Depth of a new issuer tree.
    #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
    pub depth: usize,
}

/// `healthzk issue`.
#[derive(Args, Debug)]
pub struct IssueArgs {
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
}

#[derive(Subcommand, Debug)]
pub enum IssuerCmd {
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

/// The issuer tree file: commitments only.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeFile {
    format: String,
    depth: usize,
    #[serde(with = "healthzk_core::serde_adapters::hex_fr_vec")]
    leaves: Vec<Fr>,
    /// Every root the tree has had, oldest first (holders' packages carry one of them).
    #[serde(with = "healthzk_core::serde_adapters::hex_fr_vec")]
    roots: Vec<Fr>,
}

/// An issuer's tree and the history of its roots.
pub struct IssuerTree {
    pub tree: MerkleTree,
    pub roots: Vec<Fr>,
}

const TREE_FORMAT: &str = "healthzk/issuer-tree/v2";

pub fn load_tree(dir: &IssuerDir) -> Result<IssuerTree> {
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
    write_file(&dir.issuer.join("tree.json"), serde_json::to_string(&f)?.as_bytes())
}

/// The issuer's published revocation list: revoked nonces and the root they commit to.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationFile {
    format: String,
    /// Revoked nonces (leaf indices), sorted.
    revoked: Vec<u64>,
    /// The revocation root of that list.
    #[serde(with = "healthzk_core::serde_adapters::hex_fr")]
    root: Fr,
}

const REVOCATIONS_FORMAT: &str = "healthzk/revocations/v1";

/// Reads a published revocation list and checks its root against its nonces.
pub fn read_revocations(path: &Path) -> Result<RevocationList> {
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
pub fn load_revocations(dir: &IssuerDir) -> Result<RevocationList> {
    let path = dir.issuer.join("revocations.json");
    if path.exists() {
        read_revocations(&path)
    } else {
        Ok(RevocationList::empty())
    }
}

fn save_revocations(dir: &IssuerDir, list: &RevocationList) -> Result<()> {
    let f = RevocationFile { format: REVOCATIONS_FORMAT.into(), revoked: list.revoked().to_vec(), root: list.root() };
    write_file(&dir.issuer.join("revocations.json"), (serde_json::to_string_pretty(&f)? + "\n").as_bytes())
}

fn holder_commitment(arg: &str) -> Result<HolderCommitment> {
    if arg.starts_with("0x") {
        return Ok(HolderCommitment(parse_fr("holder", arg)?));
    }
    let f: HolderKeyFile = read_json(Path::new(arg), "holder file")?;
    Ok(f.commitment)
}

/// `healthzk issue`: commit, append to the issuer tree, write the holder's package.
pub fn issue(a: IssueArgs) -> Result<u8> {
    let req: CredentialRequest = read_json(&a.credential, "credential request")?;
    let holder = holder_commitment(&a.holder)?;
    let mut it = load_tree(&a.issuer)?;
    let day = day_or_today("--today", &a.today)?;
    let cred = req
        .into_credential(holder, day, it.tree.len(), &mut OsRng)
        .map_err(|e| bad(format!("{}: {e}", a.credential.display())))?;
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
    // The package first, then the tree: a crash in between leaves an unanchored package,
    // never a leaf whose package was lost.
    write_file(&a.out, serde_json::to_string_pretty(&pkg)?.as_bytes())?;
    eprintln!("issued credential #{index}; issuer root is now {}", field::to_hex(&it.tree.root()));
    save_tree(&a.issuer, &it)?;
    if !a.issuer.issuer.join("revocations.json").exists() {
        // Holders prove against the published list, so it exists from the start.
        save_revocations(&a.issuer, &RevocationList::empty())?;
    }
    Ok(0)
}

pub fn run(cmd: IssuerCmd) -> Result<u8> {
    match cmd {
        IssuerCmd::Root { issuer } => println!("{}", field::to_hex(&load_tree(&issuer)?.tree.root())),
        IssuerCmd::Roots { issuer } => {
            for r in load_tree(&issuer)?.roots {
                println!("{}", field::to_hex(&r));
            }
        }
        IssuerCmd::Address { issuer } => {
            let opts = ChainOpts { chain: PathBuf::new(), rpc_url: None, key_file: None };
            println!("{}", issuer_account(&opts, &issuer.issuer)?.address());
        }
        IssuerCmd::Path { issuer, index } => {
            let tree = load_tree(&issuer)?.tree;
            let path = tree.path(index).map_err(|e| bad(e.to_string()))?;
            println!("{}", serde_json::to_string_pretty(&path)?);
        }
        IssuerCmd::Revoke { issuer, index } => revoke(&issuer, index)?,
        IssuerCmd::RevocationRoot { issuer } => println!("{}", field::to_hex(&load_revocations(&issuer)?.root())),
    }
    Ok(0)
}

/// `healthzk issuer revoke`.
fn revoke(issuer: &IssuerDir, index: u64) -> Result<()> {
    let tree = load_tree(issuer)?.tree;
    if index >= tree.len() {
        return Err(bad(format!("--index {index}: no credential #{index} (the tree has {})", tree.len())));
    }
    let list = load_revocations(issuer)?;
    if list.is_revoked(index) {
        return Err(bad(format!("credential #{index} is already revoked")));
    }
    let list = list.with(index).map_err(|e| bad(e.to_string()))?;
    save_revocations(issuer, &list)?;
    eprintln!(
        "revoked credential #{index} ({} revoked); publish {} and anchor the new root (healthzk anchor)",
        list.revoked().len(),
        issuer.issuer.join("revocations.json").display()
    );
    println!("{}", field::to_hex(&list.root()));
    Ok(())
}
