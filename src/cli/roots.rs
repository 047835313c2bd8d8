//! `healthzk roots`: an issuer's anchored roots on chain, with times and status.

use super::{
    chain::{chain_err, issuer_address, open, registry, ChainOpts, IssuerRef},
    io::when,
};
use anyhow::Result;
use clap::Args;
use healthzk_core::field;

/// `healthzk roots`.
#[derive(Args, Debug)]
pub struct RootsArgs {
    #[command(flatten)]
    issuer: IssuerRef,
    #[command(flatten)]
    chain: ChainOpts,
}

pub fn run(a: RootsArgs) -> Result<u8> {
    let opts = &a.chain;
    let mut chain = open(opts)?;
    let reg = registry(opts, chain.as_ref())?;
    let who = issuer_address(opts, &a.issuer)?;
    let accredited = reg.is_issuer(chain.as_mut(), who).map_err(chain_err)?;
    let history = reg.roots(chain.as_mut(), who).map_err(chain_err)?;
    eprintln!(
        "issuer {who}: {}, {} root(s) anchored",
        if accredited { "accredited" } else { "NOT accredited (no root is accepted)" },
        history.len()
    );
    for r in history {
        let status = match r.revoked_at {
            Some(t) => format!("revoked {}", when(t)),
            None if accredited => "accepted".into(),
            None => "not accepted".into(),
        };
        println!("{} anchored {} {status}", field::to_hex(&r.root), when(r.anchored_at));
    }
    Ok(0)
}
