//! Starts Hardhat 2's node (pinned in tests/js, installed by the test command) on 127.0.0.1 at
//! a free port, and stops it on drop. A missing node or package fails the test; never a skip.
//! Shared by `anchor/tests/integration/rpc.rs` and `tests/e2e/chain_rpc.rs`.

use std::{
    io::Read,
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

/// Hardhat's well-known development accounts #0–#3 (public test keys, funded on its node).
pub const HARDHAT_KEYS: [&str; 4] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

/// Hardhat's chain id.
pub const HARDHAT_CHAIN_ID: u64 = 31337;

/// A running node.
pub struct Node {
    child: Child,
    _log: tempfile::NamedTempFile,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn answers(addr: SocketAddr) -> bool {
    use std::io::Write;
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else { return false };
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.contains("\"result\":\"0x7a69\"")
}

/// Starts the node from `js_dir` (the tests/js folder).
pub fn start(js_dir: &Path) -> Node {
    let bin = js_dir.join("node_modules/hardhat/internal/cli/bootstrap.js");
    assert!(bin.is_file(), "hardhat is not installed: run scripts/test (it runs `npm ci --prefix tests/js`)");
    let addr: SocketAddr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    // The node's output goes to a file, never to a pipe nobody drains.
    let log = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new("node")
        .arg(&bin)
        .args(["--config", "hardhat.config.cjs", "node", "--hostname", "127.0.0.1", "--port"])
        .arg(addr.port().to_string())
        .current_dir(js_dir)
        .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .spawn()
        .expect("node must be on PATH to run the Hardhat node");
    let mut node = Node { child, url: format!("http://{addr}"), _log: log };
    let start = Instant::now();
    while !answers(addr) {
        if let Ok(Some(status)) = node.child.try_wait() {
            let mut out = String::new();
            let _ = node._log.reopen().unwrap().read_to_string(&mut out);
            panic!("the Hardhat node exited ({status}):\n{out}");
        }
        assert!(start.elapsed() < Duration::from_secs(90), "the Hardhat node did not answer within 90 s");
        std::thread::sleep(Duration::from_millis(250));
    }
    node
}
