//! One chain interface, two backends: [`crate::embedded::EmbeddedChain`] (revm in process,
//! the default) and [`crate::rpc::RpcChain`] (any EVM JSON-RPC endpoint through alloy).
//! Everything above this trait — registry, verifier, gate — is written once against it, so
//! both backends run the same bytecode through the same encoding.

use crate::error::Error;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, Bytes};
use rand::RngCore;
use std::{fmt, path::Path};
use zeroize::Zeroize;

/// Environment variable holding a chain account's private key (hex), for the JSON-RPC backend.
pub const KEY_ENV: &str = "HEALTHZK_CHAIN_KEY";

/// A chain account: a secp256k1 key. The key never appears in `Debug` output or logs.
#[derive(Clone)]
pub struct Account {
    signer: PrivateKeySigner,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({})", self.address())
    }
}

impl Account {
    /// A fresh random account.
    pub fn random() -> Self {
        loop {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let signer = PrivateKeySigner::from_slice(&bytes);
            bytes.zeroize();
            if let Ok(signer) = signer {
                return Account { signer };
            }
        }
    }

    /// An account from a hex private key (`0x` optional; surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let t = text.trim();
        let t = t.strip_prefix("0x").unwrap_or(t);
        let mut bytes = hex::decode(t).map_err(|_| Error::BadKey("not hex".into()))?;
        if bytes.len() != 32 {
            let n = bytes.len();
            bytes.zeroize();
            return Err(Error::BadKey(format!("{n} bytes, expected 32")));
        }
        let signer = PrivateKeySigner::from_slice(&bytes);
        bytes.zeroize();
        Ok(Account { signer: signer.map_err(|_| Error::BadKey("not a valid secp256k1 key".into()))? })
    }

    /// Reads an account key file (hex private key).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let mut text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let account = Account::from_hex(&text).map_err(|e| match e {
            Error::BadKey(m) => Error::BadKey(format!("{}: {m}", path.display())),
            other => other,
        });
        text.zeroize();
        account
    }

    /// The account in [`KEY_ENV`], if set.
    pub fn from_env() -> Result<Option<Self>, Error> {
        match std::env::var(KEY_ENV) {
            Ok(mut v) => {
                let a = Account::from_hex(&v).map_err(|e| match e {
                    Error::BadKey(m) => Error::BadKey(format!("{KEY_ENV}: {m}")),
                    other => other,
                });
                v.zeroize();
                a.map(Some)
            }
            Err(_) => Ok(None),
        }
    }

    /// Writes the key to a new file readable by its owner only (durably); refuses to
    /// overwrite.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let mut text = format!("0x{}\n", hex::encode(self.signer.to_bytes()));
        let r = healthzk_durable::write_new(path, text.as_bytes(), healthzk_durable::SECRET);
        text.zeroize();
        r.map_err(|e| Error::io(path, e))
    }

    /// Loads the key at `path`, or creates and saves a fresh one if there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, Error> {
        if path.exists() {
            Account::load(path)
        } else {
            let a = Account::random();
            a.save(path)?;
            Ok(a)
        }
    }

    /// The account's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    pub(crate) fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }
}

/// A mined transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Gas used by the whole transaction (intrinsic 21,000 and calldata included).
    pub gas_used: u64,
    /// The created contract, for a deployment.
    pub contract_address: Option<Address>,
    /// Timestamp of the block that included it.
    pub block_timestamp: u64,
}

/// An EVM chain, as healthzk uses one: deploy, send, call, estimate.
pub trait Chain {
    /// The chain id (bound into the gate's challenges).
    fn chain_id(&self) -> u64;
    /// Deploys `init_code` (bytecode with constructor arguments appended) from `from`.
    fn deploy(&mut self, from: &Account, init_code: Bytes) -> Result<Receipt, Error>;
    /// Sends a transaction calling `to` with `data`; a revert is [`Error::Reverted`].
    fn send(&mut self, from: &Account, to: Address, data: Bytes) -> Result<Receipt, Error>;
    /// A read-only call against the latest state.
    fn call(&mut self, from: Address, to: Address, data: Bytes) -> Result<Bytes, Error>;
    /// Gas a transaction calling `to` with `data` would use (intrinsic cost included).
    fn estimate_gas(&mut self, from: Address, to: Address, data: Bytes) -> Result<u64, Error>;
    /// Timestamp of the latest block.
    fn latest_timestamp(&mut self) -> Result<u64, Error>;
    /// Makes sure `account` can pay for its transactions: where gas costs nothing (the
    /// embedded chain) there is nothing to do; on a node, `funder` tops the account's balance
    /// up to `min_wei` when it is below. Returns the wei sent.
    fn ensure_gas(&mut self, funder: &Account, account: Address, min_wei: u128) -> Result<u128, Error>;
}
