//! `healthzk anchor`: the issuer anchors its tree's current root and its revocation root on
//! chain (or revokes an anchored root with `--revoke`).

use super::{
    chain::{chain_err, issuer_account, open, registry, ChainOpts},
    io::{bad, when},
    issuer::{load_revocations, load_tree, IssuerDir},
};
use anyhow::Result;
use clap::Args;
use healthzk_core::field;

/// `healthzk anchor`.
#[derive(Args, Debug)]
pub struct AnchorArgs {
    #[command(flatten)]
    issuer: IssuerDir,
    #[command(flatten)]
    chain: ChainOpts,
    /// Revoke this anchored root (0x hex) instead.
    #[arg(long)]
    revoke: Option<String>,
}

pub fn run(a: AnchorArgs) -> Result<u8> {
    let tree = load_tree(&a.issuer)?.tree;
    let root = tree.root();
    if a.revoke.is_none() && tree.is_empty() {
        return Err(bad(format!("{}: the issuer tree is empty; issue a credential first", a.issuer.issuer.display())));
    }
    let revocation_root = load_revocations(&a.issuer)?.root();
    let opts = &a.chain;
    let mut chain = open(opts)?;
    let reg = registry(opts, chain.as_ref())?;
    let me = issuer_account(opts, &a.issuer.issuer)?;
    if let Some(r) = &a.revoke {
        let r = field::parse_hex("--revoke", r).map_err(|e| bad(e.to_string()))?;
        let receipt = reg.revoke_root(chain.as_mut(), &me, me.address(), &r).map_err(chain_err)?;
        println!("revoked {} (gas {})", field::to_hex(&r), receipt.gas_used);
        return Ok(0);
    }
    if reg.is_root_accepted(chain.as_mut(), me.address(), &root).map_err(chain_err)? {
        println!("root {} is already anchored", field::to_hex(&root));
    } else {
        let receipt = reg.anchor_root(chain.as_mut(), &me, &root).map_err(chain_err)?;
        eprintln!("issuer {} anchored at {} (gas {})", me.address(), when(receipt.block_timestamp), receipt.gas_used);
        println!("anchored {}", field::to_hex(&root));
    }
    if reg.current_revocation_root(chain.as_mut(), me.address()).map_err(chain_err)? == Some(revocation_root) {
        println!("revocation root {} is already current", field::to_hex(&revocation_root));
    } else {
        let receipt = reg.anchor_revocation_root(chain.as_mut(), &me, &revocation_root).map_err(chain_err)?;
        eprintln!("revocation root anchored at {} (gas {})", when(receipt.block_timestamp), receipt.gas_used);
        println!("anchored revocation root {}", field::to_hex(&revocation_root));
    }
    Ok(0)
}
