//! `healthzk serve`: the HTTP service. Configuration comes from defaults, then a TOML file
//! (`--config`), then environment variables (`HEALTHZK_*`), then flags — later wins.

use super::io::{bad, dev_setup_warning};
use anyhow::Result;
use clap::Args;
use healthzk_service::Config;
use std::{net::SocketAddr, path::PathBuf};

/// Flags (each also read from its environment variable).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// TOML configuration file (keys as the flags, with underscores: data_dir, listen, …).
    #[arg(long, env = "HEALTHZK_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: SQLite database, encrypted blobs, keys, embedded chain.
    #[arg(long, env = "HEALTHZK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "HEALTHZK_LISTEN")]
    listen: Option<SocketAddr>,
    /// Admin bearer token (at least 16 characters); default: generated into
    /// <data_dir>/admin.token at first start.
    #[arg(long, env = "HEALTHZK_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Keys directory [default: <data_dir>/keys], with the keys of a ceremony. Without them
    /// the service does not start, unless --dev.
    #[arg(long, env = "HEALTHZK_KEYS")]
    keys: Option<PathBuf>,
    /// Generate missing keys by a single-party setup: FOR DEVELOPMENT ONLY (whoever ran it
    /// can forge proofs).
    #[arg(long, env = "HEALTHZK_DEV")]
    dev: bool,
    /// Largest request body, bytes [default: 262144].
    #[arg(long, env = "HEALTHZK_BODY_LIMIT")]
    body_limit: Option<usize>,
    /// Request timeout, seconds [default: 60].
    #[arg(long, env = "HEALTHZK_REQUEST_TIMEOUT")]
    request_timeout: Option<u64>,
    /// Proof jobs queued or running at most [default: 64].
    #[arg(long, env = "HEALTHZK_MAX_QUEUE")]
    max_queue: Option<usize>,
    /// Proof jobs queued or running for one client (address or IPv6 /64) [default: 16].
    #[arg(long, env = "HEALTHZK_MAX_QUEUE_PER_CLIENT")]
    max_queue_per_client: Option<usize>,
    /// Verification requests worked on at once, 0 for four per prover thread [default: 0].
    #[arg(long, env = "HEALTHZK_MAX_VERIFICATIONS")]
    max_verifications: Option<usize>,
    /// Refused presentations before a challenge retires [default: 3].
    #[arg(long, env = "HEALTHZK_CHALLENGE_MAX_FAILURES")]
    challenge_max_failures: Option<u32>,
    /// A reverse proxy whose X-Forwarded-For names the client (repeat for several).
    #[arg(long = "trusted-proxy", env = "HEALTHZK_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Keep challenges and jobs this many seconds after they expire or end [default: 604800].
    #[arg(long, env = "HEALTHZK_RETENTION")]
    retention: Option<u64>,
    /// Seconds a client has to send a request's headers [default: 10].
    #[arg(long, env = "HEALTHZK_HEADER_TIMEOUT")]
    header_timeout: Option<u64>,
    /// Open connections at most [default: 1024].
    #[arg(long, env = "HEALTHZK_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Prover threads [default: one per core].
    #[arg(long, env = "HEALTHZK_PROVER_THREADS")]
    prover_threads: Option<usize>,
    /// Anchor once this many credentials are unanchored [default: 100].
    #[arg(long, env = "HEALTHZK_ANCHOR_EVERY")]
    anchor_every: Option<u64>,
    /// …or once the oldest is this many seconds old, 0 for never [default: 60].
    #[arg(long, env = "HEALTHZK_ANCHOR_INTERVAL")]
    anchor_interval: Option<u64>,
    /// Requests per second per client on verifier routes, 0 for unlimited [default: 1000].
    #[arg(long, env = "HEALTHZK_VERIFY_RATE_LIMIT")]
    verify_rate_limit: Option<u32>,
    /// Challenge lifetime, seconds [default: 300].
    #[arg(long, env = "HEALTHZK_CHALLENGE_TTL")]
    challenge_ttl: Option<u64>,
    /// Issuer tree depth [default: 20].
    #[arg(long, env = "HEALTHZK_DEPTH")]
    depth: Option<usize>,
    /// Anchor on this EVM JSON-RPC endpoint (http or https) instead of the embedded chain.
    #[arg(long, env = "HEALTHZK_RPC_URL")]
    rpc_url: Option<String>,
    /// With --rpc-url: key file of the registry owner, an account holding ether there
    /// [default: the HEALTHZK_CHAIN_KEY environment variable].
    #[arg(long, env = "HEALTHZK_CHAIN_KEY_FILE", requires = "rpc_url")]
    chain_key_file: Option<PathBuf>,
    /// With --rpc-url: the owner tops each issuer's account up to this balance, gwei
    /// [default: 100000000, 0.1 ether].
    #[arg(long, env = "HEALTHZK_ISSUER_FUNDING_GWEI")]
    issuer_funding_gwei: Option<u64>,
}

fn load(args: ServeArgs) -> Result<Config> {
    let mut c = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| bad(format!("{}: {e}", p.display())))?;
            toml::from_str::<Config>(&text).map_err(|e| bad(format!("{}: {e}", p.display())))?
        }
        None => Config::default(),
    };
    macro_rules! set {
        ($($arg:ident => $field:ident),*) => { $( if let Some(v) = args.$arg { c.$field = v.into(); } )* };
    }
    set!(data_dir => data_dir, listen => listen, body_limit => body_limit, request_timeout => request_timeout_secs,
         max_queue => max_queue, prover_threads => prover_threads, anchor_every => anchor_every,
         anchor_interval => anchor_interval_secs, verify_rate_limit => verify_rate_limit,
         challenge_ttl => challenge_ttl_secs, depth => depth, issuer_funding_gwei => issuer_funding_gwei,
         max_queue_per_client => max_queue_per_client, max_verifications => max_verifications,
         retention => retention_secs, header_timeout => header_timeout_secs, max_connections => max_connections,
         challenge_max_failures => challenge_max_failures);
    if !args.trusted_proxies.is_empty() {
        c.trusted_proxies = args.trusted_proxies;
    }
    c.dev |= args.dev;
    if args.rpc_url.is_some() {
        c.rpc_url = args.rpc_url;
    }
    if args.chain_key_file.is_some() {
        c.chain_key_file = args.chain_key_file;
    }
    if args.admin_token.is_some() {
        c.admin_token = args.admin_token;
    }
    if args.keys.is_some() {
        c.keys_dir = args.keys;
    }
    c.validate().map_err(|e| bad(format!("configuration: {e}")))?;
    Ok(c)
}

/// Runs the service until SIGTERM or ctrl-c.
pub fn run(args: ServeArgs) -> Result<u8> {
    let cfg = load(args)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            // Other crates stay at warn: arkworks instruments synthesis with spans whose fields
            // (every variable) would cost gigabytes at info.
            tracing_subscriber::EnvFilter::try_from_env("HEALTHZK_LOG")
                .unwrap_or_else(|_| "warn,healthzk_service=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    if cfg.dev && !healthzk_prover::KeyDir::new(cfg.keys()).has(&healthzk_prover::KeyName::Query) {
        dev_setup_warning();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(healthzk_service::serve(cfg, |addr| {
        // One line on stdout, for scripts and tests waiting for the port.
        println!("listening on http://{addr}");
    }))
    .map_err(|e| bad(e.to_string()))?;
    Ok(0)
}
