//! The chain suite over JSON-RPC against a real node: Hardhat 2 (pinned in tests/js,
//! installed by the test command), started here on 127.0.0.1 at a free port. A missing
//! node or package fails the test rather than skipping it.

use crate::common::*;
use healthzk_anchor::{Account, Chain, RpcChain};
use std::{net::TcpListener, path::PathBuf};

use crate::hardhat;

use hardhat::HARDHAT_KEYS;

fn start_hardhat() -> hardhat::Node {
    hardhat::start(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js"))
}

#[test]
fn chain_suite_on_a_hardhat_node() {
    let node = start_hardhat();
    let [owner, issuer, holder, stranger] = HARDHAT_KEYS.map(|k| Account::from_hex(k).unwrap());
    let mut chain = RpcChain::connect(&node.url).unwrap();
    assert_eq!(chain.chain_id(), hardhat::HARDHAT_CHAIN_ID);
    let (query_gas, score_gas) = verifier_suite(&mut chain, &owner);
    assert!(query_gas < 260_000 && score_gas < 260_000, "{query_gas} {score_gas}");
    let gas = registry_and_gate_suite(&mut chain, &owner, &issuer, &holder, &stranger);
    assert!(gas.enter > 21_000, "{gas:?}");
    // A fresh account has no ether on a node: it is topped up to exactly the minimum.
    assert_eq!(funding_suite(&mut chain, &owner), 10u128.pow(17));
}

#[test]
fn unreachable_node_is_a_clear_error() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = RpcChain::connect(&format!("http://127.0.0.1:{port}")).unwrap_err().to_string();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    let err = RpcChain::connect("ftp://example.invalid").unwrap_err().to_string();
    assert!(err.contains("only http(s)"), "{err}");
    let err = RpcChain::connect("not a url").unwrap_err().to_string();
    assert!(err.contains("not a URL"), "{err}");
    // API keys in the URL never reach a message.
    let err = RpcChain::connect(&format!("http://user:secret@127.0.0.1:{port}/v3/KEY123")).unwrap_err().to_string();
    assert!(!err.contains("secret") && !err.contains("KEY123"), "{err}");
}
