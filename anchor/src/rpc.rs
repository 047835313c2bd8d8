//! The JSON-RPC backend: any EVM endpoint (a Hardhat or Ganache node in tests, a testnet or
//! a permissioned chain in production) through an alloy provider. Transactions are signed
//! locally with the sending [`Account`]'s key; the node never sees a private key.
//!
//! The interface is blocking like the rest of healthzk's chain code; the backend owns a small
//! tokio runtime for alloy's async provider.

use crate::{
    chain::{Account, Chain, Receipt},
    error::Error,
};
use alloy::{
    eips::BlockNumberOrTag,
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    transports::{RpcError, TransportErrorKind},
};
use alloy_primitives::{Address, Bytes};
use std::{future::Future, time::Duration};

/// Longest wait for one RPC answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a transaction to be mined.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// A chain reached over HTTP JSON-RPC.
#[derive(Debug)]
pub struct RpcChain {
    url: reqwest_url::Url,
    /// `scheme://host:port` only: hosted endpoints carry API keys in the path or userinfo,
    /// which must not reach error messages or logs.
    shown: String,
    chain_id: u64,
    /// Always `Some` until dropped (see the `Drop` impl).
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for RpcChain {
    /// Shuts the runtime down without blocking, so an `RpcChain` may be dropped anywhere — in
    /// an async task of the caller's own runtime too (a plain drop would panic there).
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

mod reqwest_url {
    pub use alloy::transports::http::reqwest::Url;
}

/// Replaces every URL in an error text by `[url]`: transport errors quote the full request URL,
/// API key included.
fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = ["http://", "https://"].iter().filter_map(|p| rest.find(p)).min() {
        out.push_str(&rest[..i]);
        out.push_str("[url]");
        let tail = &rest[i..];
        let end = tail.find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | ',')).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn rpc_error(url: &str, e: RpcError<TransportErrorKind>) -> Error {
    if let Some(payload) = e.as_error_resp() {
        if let Some(data) = payload.as_revert_data() {
            return Error::Reverted(crate::abi::decode_revert(&data));
        }
        return Error::Rpc(format!("{url}: {} (code {})", scrub(&payload.message), payload.code));
    }
    Error::Rpc(format!("{url}: {}", scrub(&e.to_string())))
}

/// `scheme://host:port` of a URL, for messages.
fn redact(url: &reqwest_url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", url.scheme()),
        (Some(h), None) => format!("{}://{h}", url.scheme()),
        _ => format!("{}://…", url.scheme()),
    }
}

impl RpcChain {
    /// Connects to `url` and reads its chain id (so an unreachable node fails here, clearly).
    pub fn connect(url: &str) -> Result<Self, Error> {
        let parsed: reqwest_url::Url = url.parse().map_err(|e| Error::Rpc(format!("--rpc-url: not a URL: {e}")))?;
        let shown = redact(&parsed);
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Rpc(format!("--rpc-url {shown}: only http(s) endpoints are supported")));
        }
        // https endpoints: rustls on ring as the process-wide provider (a no-op when one is
        // installed already).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Rpc(format!("starting the RPC runtime: {e}")))?;
        let provider = ProviderBuilder::new().connect_http(parsed.clone());
        let chain_id = runtime
            .block_on(async { tokio::time::timeout(CALL_TIMEOUT, provider.get_chain_id()).await })
            .map_err(|_| Error::Rpc(format!("{shown}: no answer within {} s", CALL_TIMEOUT.as_secs())))?
            .map_err(|e| rpc_error(&shown, e))?;
        Ok(RpcChain { url: parsed, shown, chain_id, runtime: Some(runtime) })
    }

    fn rt(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives until drop")
    }

    fn block_on<T>(&self, f: impl Future<Output = Result<T, RpcError<TransportErrorKind>>>) -> Result<T, Error> {
        self.rt()
            .block_on(async { tokio::time::timeout(CALL_TIMEOUT, f).await })
            .map_err(|_| Error::Rpc(format!("{}: no answer within {} s", self.shown, CALL_TIMEOUT.as_secs())))?
            .map_err(|e| rpc_error(&self.shown, e))
    }

    fn transact(&mut self, from: &Account, tx: TransactionRequest) -> Result<Receipt, Error> {
        let wallet = EthereumWallet::from(from.signer().clone());
        let provider = ProviderBuilder::new().wallet(wallet).connect_http(self.url.clone());
        let url = self.shown.clone();
        let (receipt, timestamp) = self.rt().block_on(async {
            let pending = tokio::time::timeout(CALL_TIMEOUT, provider.send_transaction(tx))
                .await
                .map_err(|_| Error::Rpc(format!("{url}: no answer within {} s", CALL_TIMEOUT.as_secs())))?
                .map_err(|e| rpc_error(&url, e))?;
            let receipt = pending
                .with_timeout(Some(RECEIPT_TIMEOUT))
                .get_receipt()
                .await
                .map_err(|e| Error::Rpc(format!("{url}: waiting for the receipt: {}", scrub(&e.to_string()))))?;
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

    fn ensure_gas(&mut self, funder: &Account, account: Address, min_wei: u128) -> Result<u128, Error> {
        let provider = ProviderBuilder::new().connect_http(self.url.clone());
        let balance = self.block_on(async { provider.get_balance(account).await })?;
        let min = alloy_primitives::U256::from(min_wei);
        if balance >= min {
            return Ok(0);
        }
        let top_up = min - balance;
        let tx = TransactionRequest::default().with_from(funder.address()).with_to(account).with_value(top_up);
        self.transact(funder, tx)?;
        Ok(top_up.to::<u128>())
    }

    fn latest_timestamp(&mut self) -> Result<u64, Error> {
        let provider = ProviderBuilder::new().connect_http(self.url.clone());
        let block = self.block_on(async { provider.get_block_by_number(BlockNumberOrTag::Latest).await })?;
        block.map(|b| b.header.timestamp).ok_or_else(|| Error::Rpc(format!("{}: no latest block", self.shown)))
    }
}

#[cfg(test)]
mod tests {
    /// An https endpoint gets a TLS client (rustls on ring) and a refused connection is an
    /// RPC error naming only scheme, host and port — never a panic for want of a provider.
    #[test]
    fn https_endpoints_get_a_tls_client() {
        let e = super::RpcChain::connect("https://127.0.0.1:9/v3/SECRET").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("chain RPC: https://127.0.0.1:9: "), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn scrub_removes_every_url() {
        assert_eq!(
            super::scrub("error sending request for url (https://node.example/v3/KEY123): refused"),
            "error sending request for url ([url]): refused"
        );
        assert_eq!(super::scrub("a http://u:p@h/x b https://h2/y"), "a [url] b [url]");
        assert_eq!(super::scrub("no url here"), "no url here");
    }
}
