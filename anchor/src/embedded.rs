//! The embedded chain: revm in process, running the same compiled contracts as any EVM node,
//! with its state kept in one file of the data dir so it survives a restart.
//!
//! Every transaction is mined in a block of its own. Block time is the wall clock (or a fixed
//! clock in tests). The state file is rewritten atomically (temporary file, fsync, rename)
//! after every committed transaction, and an exclusive lock on `chain.lock` keeps a second
//! process from opening the same chain.

use crate::{
    chain::{Account, Chain, Receipt},
    error::Error,
};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use revm::{
    context::{result::ExecutionResult, BlockEnv, CfgEnv, TxEnv},
    database::{Cache, CacheDB, EmptyDB},
    primitives::hardfork::SpecId,
    Context, Database, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
};
use serde::{Deserialize, Serialize};
use std::{
    fs::File,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

/// Chain id of the embedded chain.
pub const EMBEDDED_CHAIN_ID: u64 = 1337;
/// Format marker of the state file.
pub const STATE_FORMAT: &str = "healthzk/embedded-chain/v1";
/// File name of the state, inside the chain directory.
pub const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "chain.lock";
const BLOCK_GAS_LIMIT: u64 = 30_000_000;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: String,
    chain_id: u64,
    block_number: u64,
    block_timestamp: u64,
    cache: Cache,
}

/// An in-process EVM chain (Cancun rules, zero gas price).
#[derive(Debug)]
pub struct EmbeddedChain {
    db: CacheDB<EmptyDB>,
    block_number: u64,
    block_timestamp: u64,
    fixed_clock: Option<u64>,
    dir: Option<PathBuf>,
    _lock: Option<File>,
}

impl EmbeddedChain {
    /// A chain that lives in memory only (tests, benches).
    pub fn in_memory() -> Self {
        EmbeddedChain {
            db: CacheDB::new(EmptyDB::default()),
            block_number: 0,
            block_timestamp: 0,
            fixed_clock: None,
            dir: None,
            _lock: None,
        }
    }

    /// Whether `dir` holds an embedded chain.
    pub fn exists(dir: &Path) -> bool {
        dir.join(STATE_FILE).is_file()
    }

    /// Creates a new chain in `dir` (refuses if one is there).
    pub fn create(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock = lock(dir)?;
        if EmbeddedChain::exists(dir) {
            return Err(Error::State(format!("{} already holds a chain", dir.display())));
        }
        let mut chain = EmbeddedChain::in_memory();
        chain.dir = Some(dir.to_path_buf());
        chain._lock = Some(lock);
        chain.persist()?;
        Ok(chain)
    }

    /// Opens the chain in `dir`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(STATE_FILE);
        if !path.is_file() {
            return Err(Error::State(format!(
                "no embedded chain in {} (run `healthzk chain init` first)",
                dir.display()
            )));
        }
        let lock = lock(dir)?;
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let s: StateFile = serde_json::from_str(&text)
            .map_err(|e| Error::State(format!("{}: not a chain state file: {e}", path.display())))?;
        if s.format != STATE_FORMAT || s.chain_id != EMBEDDED_CHAIN_ID {
            return Err(Error::State(format!("{}: unsupported chain state {}", path.display(), s.format)));
        }
        let mut db = CacheDB::new(EmptyDB::default());
        db.cache = s.cache;
        Ok(EmbeddedChain {
            db,
            block_number: s.block_number,
            block_timestamp: s.block_timestamp,
            fixed_clock: None,
            dir: Some(dir.to_path_buf()),
            _lock: Some(lock),
        })
    }

    /// Fixes the clock (seconds since the epoch) for the blocks that follow; `None` restores
    /// the wall clock. Time never runs backwards: a block is never older than the last.
    pub fn set_clock(&mut self, unix_seconds: Option<u64>) {
        self.fixed_clock = unix_seconds;
    }

    /// Number of the latest block.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    fn now(&self) -> u64 {
        self.fixed_clock
            .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
    }

    fn persist(&mut self) -> Result<(), Error> {
        let Some(dir) = &self.dir else { return Ok(()) };
        // Logs are events for subscribers; the state itself is what must survive.
        self.db.cache.logs.clear();
        let state = StateFile {
            format: STATE_FORMAT.into(),
            chain_id: EMBEDDED_CHAIN_ID,
            block_number: self.block_number,
            block_timestamp: self.block_timestamp,
            cache: self.db.cache.clone(),
        };
        let text = serde_json::to_vec(&state).map_err(|e| Error::State(format!("serializing chain state: {e}")))?;
        write_atomically(&dir.join(STATE_FILE), &text)
    }

    fn execute(
        &mut self,
        caller: Address,
        kind: TxKind,
        data: Bytes,
        commit: bool,
    ) -> Result<(ExecutionResult, u64), Error> {
        let nonce = self
            .db
            .basic(caller)
            .map_err(|e| Error::State(format!("reading account: {e}")))?
            .map(|a| a.nonce)
            .unwrap_or(0);
        let timestamp = self.now().max(self.block_timestamp);
        let number = self.block_number + 1;
        let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
        cfg.chain_id = EMBEDDED_CHAIN_ID;
        let block = BlockEnv {
            number: U256::from(number),
            timestamp: U256::from(timestamp),
            gas_limit: BLOCK_GAS_LIMIT,
            basefee: 0,
            ..Default::default()
        };
        let tx = TxEnv::builder()
            .caller(caller)
            .kind(kind)
            .data(data)
            .nonce(nonce)
            .gas_limit(BLOCK_GAS_LIMIT)
            .gas_price(0)
            .chain_id(Some(EMBEDDED_CHAIN_ID))
            .build()
            .map_err(|e| Error::State(format!("building transaction: {e:?}")))?;
        let mut evm = Context::mainnet().with_db(&mut self.db).with_cfg(cfg).with_block(block).build_mainnet();
        let result = if commit { evm.transact_commit(tx) } else { evm.transact(tx).map(|r| r.result) }
            .map_err(|e| Error::State(format!("transaction refused by the EVM: {e}")))?;
        if commit {
            self.block_number = number;
            self.block_timestamp = timestamp;
            self.persist()?;
        }
        Ok((result, timestamp))
    }
}

fn lock(dir: &Path) -> Result<File, Error> {
    let path = dir.join(LOCK_FILE);
    let f = File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| Error::io(&path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(Error::State(format!("the chain in {} is in use by another process", dir.display())))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// Writes `bytes` to `path` so a crash leaves either the old or the new file, never a torn one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    healthzk_durable::write(path, bytes, healthzk_durable::PUBLIC).map_err(|e| Error::io(path, e))
}

fn outcome(result: ExecutionResult, timestamp: u64) -> Result<(Bytes, Receipt), Error> {
    match result {
        ExecutionResult::Success { gas, output, .. } => {
            let receipt = Receipt {
                gas_used: gas.tx_gas_used(),
                contract_address: output.address().copied(),
                block_timestamp: timestamp,
            };
            Ok((output.into_data(), receipt))
        }
        ExecutionResult::Revert { output, .. } => Err(Error::Reverted(crate::abi::decode_revert(&output))),
        ExecutionResult::Halt { reason, .. } => Err(Error::Reverted(format!("halted: {reason:?}"))),
    }
}

impl Chain for EmbeddedChain {
    fn chain_id(&self) -> u64 {
        EMBEDDED_CHAIN_ID
    }

    fn deploy(&mut self, from: &Account, init_code: Bytes) -> Result<Receipt, Error> {
        let (result, ts) = self.execute(from.address(), TxKind::Create, init_code, true)?;
        outcome(result, ts).map(|(_, r)| r)
    }

    fn ensure_gas(&mut self, _funder: &Account, _account: Address, _min_wei: u128) -> Result<u128, Error> {
        Ok(0) // gas price 0: every account can send
    }

    fn send(&mut self, from: &Account, to: Address, data: Bytes) -> Result<Receipt, Error> {
        let (result, ts) = self.execute(from.address(), TxKind::Call(to), data, true)?;
        outcome(result, ts).map(|(_, r)| r)
    }

    fn call(&mut self, from: Address, to: Address, data: Bytes) -> Result<Bytes, Error> {
        let (result, ts) = self.execute(from, TxKind::Call(to), data, false)?;
        outcome(result, ts).map(|(out, _)| out)
    }

    fn estimate_gas(&mut self, from: Address, to: Address, data: Bytes) -> Result<u64, Error> {
        let (result, ts) = self.execute(from, TxKind::Call(to), data, false)?;
        outcome(result, ts).map(|(_, r)| r.gas_used)
    }

    fn latest_timestamp(&mut self) -> Result<u64, Error> {
        Ok(self.block_timestamp)
    }
}
