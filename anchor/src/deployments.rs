//! Where healthzk's contracts live on each chain: `deployments.json` in the chain directory,
//! one entry per chain id (the embedded chain and any JSON-RPC chains used from this data dir).

use crate::{embedded::write_atomically, error::Error};
use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::Path};

/// Format marker of the deployments file.
pub const DEPLOYMENTS_FORMAT: &str = "healthzk/deployments/v1";
/// File name inside the chain directory.
pub const DEPLOYMENTS_FILE: &str = "deployments.json";

/// A verifier contract deployed for one verifying key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierEntry {
    /// `credential-query` or `score-threshold`.
    pub statement: String,
    /// Address of the `Groth16Verifier`.
    pub address: Address,
}

/// The contracts of one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainDeployment {
    /// The `AnchorRegistry`.
    pub registry: Address,
    /// Its owner when deployed.
    pub owner: Address,
    /// Verifier contracts by key id (hex).
    #[serde(default)]
    pub verifiers: BTreeMap<String, VerifierEntry>,
}

/// All chains' deployments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployments {
    /// [`DEPLOYMENTS_FORMAT`].
    pub format: String,
    /// By chain id (decimal text).
    pub chains: BTreeMap<String, ChainDeployment>,
}

impl Default for Deployments {
    fn default() -> Self {
        Deployments { format: DEPLOYMENTS_FORMAT.into(), chains: BTreeMap::new() }
    }
}

impl Deployments {
    /// Reads `dir/deployments.json`, or an empty set if there is none.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(DEPLOYMENTS_FILE);
        if !path.exists() {
            return Ok(Deployments::default());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let d: Deployments = serde_json::from_str(&text)
            .map_err(|e| Error::State(format!("{}: not a deployments file: {e}", path.display())))?;
        if d.format != DEPLOYMENTS_FORMAT {
            return Err(Error::State(format!("{}: unsupported format {}", path.display(), d.format)));
        }
        Ok(d)
    }

    /// Writes `dir/deployments.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::State(e.to_string()))?;
        text.push('\n');
        write_atomically(&dir.join(DEPLOYMENTS_FILE), text.as_bytes())
    }

    /// The deployment on `chain_id`, if any.
    pub fn chain(&self, chain_id: u64) -> Option<&ChainDeployment> {
        self.chains.get(&chain_id.to_string())
    }

    /// The deployment on `chain_id`, or an error telling how to create it.
    pub fn require(&self, chain_id: u64) -> Result<&ChainDeployment, Error> {
        self.chain(chain_id).ok_or_else(|| {
            Error::State(format!("no registry deployed on chain {chain_id} (run `healthzk chain init` first)"))
        })
    }

    /// Mutable access to the deployment on `chain_id`.
    pub fn chain_mut(&mut self, chain_id: u64) -> Option<&mut ChainDeployment> {
        self.chains.get_mut(&chain_id.to_string())
    }
}
