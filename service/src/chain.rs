//! The service's chain: the embedded EVM in the data dir (the default) or a JSON-RPC node
//! (`rpc_url`), behind one [`Chain`] object, with the registry and its owner. The registry is
//! deployed at first start, or found in `<data_dir>/chain/deployments.json` by chain id.

use crate::{config::Config, error::Internal};
use healthzk_anchor::{
    contracts::Registry,
    deployments::{ChainDeployment, Deployments},
    Account, Chain, EmbeddedChain, RpcChain,
};
use std::path::Path;

/// The chain, its registry and owner.
pub(crate) struct ChainCtx {
    pub chain: Box<dyn Chain + Send>,
    pub registry: Registry,
    pub owner: Account,
    /// What the owner tops an issuer's account up to before it transacts (wei; nothing to do on
    /// the embedded chain, where gas is free).
    pub issuer_funding_wei: u128,
}

impl ChainCtx {
    /// Makes sure `issuer` can pay for its next transactions.
    pub fn fund(&mut self, issuer: &Account) -> Result<(), Internal> {
        let sent = self.chain.ensure_gas(&self.owner, issuer.address(), self.issuer_funding_wei)?;
        if sent > 0 {
            tracing::info!(issuer = %issuer.address(), wei = sent, "issuer account topped up");
        }
        Ok(())
    }
}

/// Opens the chain the configuration names, deploying the registry on first use (and resuming
/// a creation interrupted before the registry was recorded).
pub(crate) fn open(cfg: &Config) -> Result<ChainCtx, Internal> {
    let dir = cfg.data_dir.join("chain");
    let (mut chain, owner): (Box<dyn Chain + Send>, Account) = match &cfg.rpc_url {
        None => {
            let owner = Account::load_or_create(&dir.join("owner.key"))?;
            let chain =
                if EmbeddedChain::exists(&dir) { EmbeddedChain::open(&dir) } else { EmbeddedChain::create(&dir) }?;
            (Box::new(chain), owner)
        }
        Some(url) => {
            let owner = match &cfg.chain_key_file {
                Some(f) => Account::load(f)?,
                None => Account::from_env()?.ok_or_else(|| {
                    Internal::Corrupt(
                        "with rpc_url, the registry owner's key: chain_key_file or HEALTHZK_CHAIN_KEY".into(),
                    )
                })?,
            };
            (Box::new(RpcChain::connect(url)?), owner)
        }
    };
    let registry = registry(chain.as_mut(), &owner, &dir)?;
    let issuer_funding_wei = u128::from(cfg.issuer_funding_gwei) * 1_000_000_000;
    Ok(ChainCtx { chain, registry, owner, issuer_funding_wei })
}

fn registry(chain: &mut dyn Chain, owner: &Account, dir: &Path) -> Result<Registry, Internal> {
    let mut d = Deployments::load(dir)?;
    if let Some(c) = d.chain(chain.chain_id()) {
        return Ok(Registry { address: c.registry });
    }
    let (registry, _) = Registry::deploy(chain, owner)?;
    registry.accredit_model_publisher(chain, owner, owner.address())?;
    d.chains.insert(
        chain.chain_id().to_string(),
        ChainDeployment { registry: registry.address, owner: owner.address(), verifiers: Default::default() },
    );
    d.save(dir)?;
    tracing::info!(registry = %registry.address, chain_id = chain.chain_id(), "registry deployed");
    Ok(registry)
}
