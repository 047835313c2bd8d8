//! The chain suite over JSON-RPC against a real node: Hardhat 2 (pinned in tests/js,
//! installed by the test command), started here on 127.0.0.1 at a free port. A missing
//! node or package fails the test rather than skipping it.

mod common;

use common::*;
use healthzk_anchor::{Account, Chain, RpcChain};
use std::{
    io::Read,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Hardhat's well-known development accounts #0–#3 (public test keys, funded on its node).
const HARDHAT_KEYS: [&str; 4] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

struct Node {
    child: Child,
    url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js")
}

fn start_hardhat() -> Node {
    let js = js_dir();
    let bin = js.join("node_modules/hardhat/internal/cli/bootstrap.js");
    assert!(bin.is_file(), "hardhat is not installed: run scripts/test (it runs `npm ci --prefix tests/js`)");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("node")
        .arg(&bin)
        .args(["--config", "hardhat.config.cjs", "node", "--hostname", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .current_dir(&js)
        .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node must be on PATH to run the Hardhat node");
    let mut node = Node { child, url: format!("http://127.0.0.1:{port}") };
    let start = Instant::now();
    loop {
        if let Ok(chain) = RpcChain::connect(&node.url) {
            assert_eq!(chain.chain_id(), 31337);
            return node;
        }
        if let Ok(Some(status)) = node.child.try_wait() {
            let mut err = String::new();
            let _ = node.child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("the Hardhat node exited ({status}):\n{err}");
        }
        assert!(start.elapsed() < Duration::from_secs(90), "the Hardhat node did not answer within 90 s");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn chain_suite_on_a_hardhat_node() {
    let node = start_hardhat();
    let [owner, issuer, holder, stranger] = HARDHAT_KEYS.map(|k| Account::from_hex(k).unwrap());
    let mut chain = RpcChain::connect(&node.url).unwrap();
    let (query_gas, score_gas) = verifier_suite(&mut chain, &owner);
    assert!(query_gas < 260_000 && score_gas < 260_000, "{query_gas} {score_gas}");
    let gas = registry_and_gate_suite(&mut chain, &owner, &issuer, &holder, &stranger);
    assert!(gas.enter > 21_000, "{gas:?}");
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
}
