//! The JSON-RPC backend: any EVM endpoint (a Hardhat or Ganache node in tests, a testnet or
//! a permissioned chain in production) through an alloy provider. Transactions are signed
//! locally with the sending [`Account`]'s key; the node never sees a private key.
//!
//! The interface is blocking like the rest of healthzk's chain code; the backend owns a small
//! tokio runtime for alloy's async provider.

use crate::{
    chain::{Account, Chain, Receipt},
    Error,
};
use alloy::{
    eips::BlockNumberOrTag,
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    transports::{RpcError, TransportErrorKind},
};
use alloy_primitives::{Address, Bytes};
use std::future::Future;

/// A chain reached over HTTP JSON-RPC.
#[derive(Debug)]
pub struct RpcChain {
    url: reqwest_url::Url,
    chain_id: u64,
    runtime: tokio::runtime::Runtime,
}

mod reqwest_url {
    pub use alloy::transports::http::reqwest::Url;
}

fn rpc_error(url: &str, e: RpcError<TransportErrorKind>) -> Error {
    if let Some(payload) = e.as_error_resp() {
        if let Some(data) = payload.as_revert_data() {
            return Error::Reverted(crate::abi::decode_revert(&data));
        }
        return Error::Rpc(format!("{url}: {} (code {})", payload.message, payload.code));
    }
    Error::Rpc(format!("{url}: {e}"))
}

impl RpcChain {
    /// Connects to `url` and reads its chain id (so an unreachable node fails here, clearly).
    pub fn connect(url: &str) -> Result<Self, Error> {
        let parsed: reqwest_url::Url =
            url.parse().map_err(|e| Error::Rpc(format!("--rpc-url {url}: not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Rpc(format!("--rpc-url {url}: only http(s) endpoints are supported")));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Rpc(format!("starting the RPC runtime: {e}")))?;
        let provider = ProviderBuilder::new().connect_http(parsed.clone());
        let chain_id = runtime.block_on(async { provider.get_chain_id().await }).map_err(|e| rpc_error(url, e))?;
        Ok(RpcChain { url: parsed, chain_id, runtime })
    }

    fn block_on<T>(&self, f: impl Future<Output = Result<T, RpcError<TransportErrorKind>>>) -> Result<T, Error> {
        self.runtime.block_on(f).map_err(|e| rpc_error(self.url.as_str(), e))
    }

    fn transact(&mut self, from: &Account, tx: TransactionRequest) -> Result<Receipt, Error> {
        let wallet = EthereumWallet::from(from.signer().clone());
        let provider = ProviderBuilder::new().wallet(wallet).connect_http(self.url.clone());
        let url = self.url.to_string();
        let (receipt, timestamp) = self.runtime.block_on(async {
            let pending = provider.send_transaction(tx).await.map_err(|e| rpc_error(&url, e))?;
            let receipt =
                pending.get_receipt().await.map_err(|e| Error::Rpc(format!("{url}: waiting for the receipt: {e}")))?;
            let timestamp = match receipt.block_number {
                Some(n) => provider
                    .get_block_by_number(BlockNumberOrTag::Number(n))
                    .await
                    .map_err(|e| rpc_error(&url, e))?
                    .map(|b| b.header.timestamp)
                    .unwrap_or(0),
                None => 0,
            };
            Ok::<_, Error>((receipt, timestamp))
        })?;
        if !receipt.status() {
            return Err(Error::Reverted(format!("transaction {} reverted", receipt.transaction_hash)));
        }
        Ok(Receipt {
            gas_used: receipt.gas_used,
            contract_address: receipt.contract_address,
            block_timestamp: timestamp,
        })
    }
}

impl Chain for RpcChain {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn deploy(&mut self, from: &Account, init_code: Bytes) -> Result<Receipt, Error> {
        let tx = TransactionRequest::default().with_from(from.address()).with_deploy_code(init_code);
        self.transact(from, tx)
    }

    fn send(&mut self, from: &Account, to: Address, data: Bytes) -> Result<Receipt, Error> {
        let tx = TransactionRequest::default().with_from(from.address()).with_to(to).with_input(data);
        self.transact(from, tx)
    }

    fn call(&mut self, from: Address, to: Address, data: Bytes) -> Result<Bytes, Error> {
        let provider = ProviderBuilder::new().connect_http(self.url.clone());
        let tx = TransactionRequest::default().with_from(from).with_to(to).with_input(data);
        self.block_on(async { provider.call(tx).await })
    }

    fn estimate_gas(&mut self, from: Address, to: Address, data: Bytes) -> Result<u64, Error> {
        let provider = ProviderBuilder::new().connect_http(self.url.clone());
        let tx = TransactionRequest::default().with_from(from).with_to(to).with_input(data);
        self.block_on(async { provider.estimate_gas(tx).await })
    }

    fn latest_timestamp(&mut self) -> Result<u64, Error> {
        let provider = ProviderBuilder::new().connect_http(self.url.clone());
        let block = self.block_on(async { provider.get_block_by_number(BlockNumberOrTag::Latest).await })?;
        block.map(|b| b.header.timestamp).ok_or_else(|| Error::Rpc(format!("{}: no latest block", self.url)))
    }
}
