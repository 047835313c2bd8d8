//! `healthzk ceremony`: a multi-party Groth16 phase 2 on snarkjs' `.zkey` files (`new`,
//! `contribute`, `beacon`, `verify`, `import`), and a DEVELOPMENT Powers of Tau (`dev-ptau`).
//! The algebra is `healthzk_prover::ceremony`; this module reads and writes the files, prints
//! progress, and maps a refused transcript to exit 1 and a malformed file to exit 2.

use super::{
    io::{bad, depth_arg, read, write_file},
    model::load_model,
};
use anyhow::Result;
use blake2::{Blake2b512, Digest};
use clap::{Args, Subcommand};
use healthzk_core::{statement::Statement, DEFAULT_TREE_DEPTH};
use healthzk_prover::{
    ceremony::{self, ptau::Ptau, zkey::Zkey, CeremonyError, Verified},
    iden3::R1cs,
    keydir::{CeremonyRecord, ContributionRecord},
    score::Weights,
    KeyDir, KeyId, KeyName,
};
use rand::rngs::OsRng;
use std::{io::BufRead, path::PathBuf, time::Instant};

/// The circuit a ceremony runs over: a statement, a depth and, for the score statement, a model.
#[derive(Args, Debug, Clone)]
pub struct CircuitArgs {
    /// `credential-query`, or `score-threshold` with --model.
    #[arg(long)]
    statement: String,
    /// Issuer tree depth.
    #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
    depth: usize,
    /// score-threshold: the model file (one circuit per model with public weights).
    #[arg(long)]
    model: Option<PathBuf>,
    /// score-threshold: private weights (one circuit per model shape).
    #[arg(long, requires = "model")]
    private_weights: bool,
}

/// A statement's circuit as [`CircuitArgs`] name it.
pub struct Circuit {
    pub statement: Statement,
    pub depth: usize,
    pub name: KeyName,
    pub r1cs: R1cs,
}

impl CircuitArgs {
    /// Synthesizes the circuit (a bad flag is exit 2).
    pub fn circuit(&self) -> Result<Circuit> {
        depth_arg(self.depth)?;
        let statement = Statement::from_name(&self.statement).ok_or_else(|| {
            bad(format!(
                "--statement {:?}: unknown; one of {}",
                self.statement,
                Statement::ALL.map(Statement::name).join(", ")
            ))
        })?;
        let depth = self.depth;
        match (statement, &self.model) {
            (Statement::CredentialQuery, None) => {
                Ok(Circuit { statement, depth, name: KeyName::Query, r1cs: healthzk_prover::query::r1cs(depth)? })
            }
            (Statement::CredentialQuery, Some(_)) => Err(bad("--model is for --statement score-threshold")),
            (Statement::ScoreThreshold, None) => {
                Err(bad("--statement score-threshold needs --model (and --private-weights for a shape's circuit)"))
            }
            (Statement::ScoreThreshold, Some(m)) => {
                let (model, hash) = load_model(m, None)?;
                let weights = Weights::for_model(&model, self.private_weights);
                let name =
                    if self.private_weights { KeyName::ScoreShape(model.shape()) } else { KeyName::ScoreModel(hash) };
                let r1cs = healthzk_prover::score::r1cs(depth, weights)?;
                Ok(Circuit { statement, depth, name, r1cs })
            }
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum CeremonyCmd {
    /// Write a DEVELOPMENT Powers of Tau file, prepared for phase 2. Its toxic waste passed
    /// through this process: keys made from it are no better than `setup --dev`.
    DevPtau {
        /// Required: this file is for development and tests only.
        #[arg(long)]
        dev: bool,
        /// It serves circuits with domains up to 2^power (14 fits the query at depth 20).
        #[arg(long)]
        power: u32,
        /// Output file (.ptau).
        #[arg(long)]
        out: PathBuf,
    },
    /// Start a ceremony: the initial key of a statement's circuit over a Powers of Tau file
    /// (prepared for phase 2), as `snarkjs zkey new` makes it.
    New {
        /// The Powers of Tau file.
        #[arg(long)]
        ptau: PathBuf,
        #[command(flatten)]
        circuit: CircuitArgs,
        /// Output file (.zkey).
        #[arg(long)]
        out: PathBuf,
    },
    /// Add a contribution: a secret from the operating system's entropy (mixed with a line
    /// read from stdin with --entropy-stdin), zeroized once applied. Prints the contribution
    /// hash: publish it, and check it appears in the final transcript.
    Contribute {
        /// The latest key of the ceremony.
        #[arg(long = "in")]
        input: PathBuf,
        /// The new key.
        #[arg(long)]
        out: PathBuf,
        /// Your name as the transcript records it (at most 64 characters).
        #[arg(long)]
        name: String,
        /// Also mix in a line of text read from stdin.
        #[arg(long)]
        entropy_stdin: bool,
    },
    /// Close a ceremony with public randomness that no contributor could predict (e.g. a
    /// future block hash): anyone can recompute the beacon's contribution.
    Beacon {
        /// The latest key of the ceremony.
        #[arg(long = "in")]
        input: PathBuf,
        /// The final key.
        #[arg(long)]
        out: PathBuf,
        /// The beacon value, hex (1 to 255 bytes).
        #[arg(long)]
        beacon: String,
        /// SHA-256 is applied to the beacon 2^N times (10..=32; snarkjs allows up to 63).
        #[arg(long)]
        iterations: u8,
        /// The name the transcript records.
        #[arg(long, default_value = "beacon")]
        name: String,
    },
    /// Verify a ceremony's key against the statement's circuit and the Powers of Tau file:
    /// the initial key, every contribution's proof of knowledge and the chain of deltas.
    /// Prints every contribution's name and hash. Exit 0 verified, 1 refused, 2 bad input.
    Verify {
        /// The ceremony's key.
        #[arg(long)]
        zkey: PathBuf,
        /// The Powers of Tau file it started from.
        #[arg(long)]
        ptau: PathBuf,
        #[command(flatten)]
        circuit: CircuitArgs,
    },
    /// Verify a ceremony's final key (as `verify`), then write it as healthzk key files, with
    /// the transcript recorded beside them (`keys show` prints it).
    Import {
        /// The ceremony's final key.
        #[arg(long)]
        zkey: PathBuf,
        /// The Powers of Tau file it started from.
        #[arg(long)]
        ptau: PathBuf,
        #[command(flatten)]
        circuit: CircuitArgs,
        /// Where to write the key files.
        #[arg(long, default_value = "healthzk-data/keys")]
        keys: PathBuf,
        /// Overwrite existing keys.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(cmd: CeremonyCmd) -> Result<u8> {
    match cmd {
        CeremonyCmd::DevPtau { dev, power, out } => dev_ptau(dev, power, out),
        CeremonyCmd::New { ptau, circuit, out } => new(ptau, circuit, out),
        CeremonyCmd::Contribute { input, out, name, entropy_stdin } => contribute(input, out, name, entropy_stdin),
        CeremonyCmd::Beacon { input, out, beacon, iterations, name } => {
            apply_beacon(input, out, &beacon, iterations, name)
        }
        CeremonyCmd::Verify { zkey, ptau, circuit } => verify(zkey, ptau, circuit),
        CeremonyCmd::Import { zkey, ptau, circuit, keys, force } => import(zkey, ptau, circuit, keys, force),
    }
}

/// A ceremony error naming the file: malformed input is exit 2.
fn file_err(path: &std::path::Path) -> impl Fn(CeremonyError) -> anyhow::Error + '_ {
    move |e| bad(format!("{}: {e}", path.display()))
}

fn hex64(h: &[u8; 64]) -> String {
    hex::encode(h)
}

fn dev_ptau(dev: bool, power: u32, out: PathBuf) -> Result<u8> {
    if !dev {
        return Err(bad(
            "ceremony dev-ptau writes a Powers of Tau file whose toxic waste this process knew: pass --dev to \
             confirm it is for development; production uses a public phase 1 (README, \"Production keys\")",
        ));
    }
    eprintln!("WARNING: DEVELOPMENT Powers of Tau — its toxic waste passed through this process.");
    eprintln!("         Keys made from it can be forged by anyone who saw it; never deploy them.");
    let t = Instant::now();
    eprintln!("generating a 2^{power} Powers of Tau, prepared for phase 2…");
    let bytes = ceremony::ptau::dev_ptau(power, &mut OsRng).map_err(|e| bad(e.to_string()))?;
    write_file(&out, &bytes)?;
    eprintln!("wrote {} ({} bytes) in {:.1} s", out.display(), bytes.len(), t.elapsed().as_secs_f64());
    Ok(0)
}

/// What is recorded about the ptau a key was made from.
struct PtauInfo {
    power: u32,
    contributions: u32,
    blake2b: [u8; 64],
}

/// Parses a ptau, warning when it records no phase-1 contribution.
fn read_ptau<'a>(path: &std::path::Path, bytes: &'a [u8]) -> Result<(Ptau<'a>, PtauInfo)> {
    let p = Ptau::parse(bytes).map_err(file_err(path))?;
    let n = p.contributions().map_err(file_err(path))?;
    if n == 0 {
        eprintln!(
            "WARNING: {} records no phase-1 contribution: a DEVELOPMENT Powers of Tau (ceremony dev-ptau). Keys \
             made from it are not production keys.",
            path.display()
        );
    }
    let info = PtauInfo { power: p.power, contributions: n, blake2b: Blake2b512::digest(bytes).into() };
    Ok((p, info))
}

fn read_zkey(path: &std::path::Path) -> Result<Zkey> {
    let t = Instant::now();
    let z = Zkey::parse(&read(path)?).map_err(file_err(path))?;
    eprintln!(
        "read {}: {} wires, 2^{} domain, {} contribution(s), every point checked ({:.1} s)",
        path.display(),
        z.n_vars,
        z.domain_size.trailing_zeros(),
        z.contributions.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(z)
}

fn new(ptau_path: PathBuf, circuit: CircuitArgs, out: PathBuf) -> Result<u8> {
    let c = circuit.circuit()?;
    let bytes = read(&ptau_path)?;
    let (ptau, _) = read_ptau(&ptau_path, &bytes)?;
    let t = Instant::now();
    eprintln!(
        "building the initial key of {} at depth {} ({} constraints) over a 2^{} ptau…",
        c.statement, c.depth, c.r1cs.num_constraints, ptau.power
    );
    let z = ceremony::new_zkey(&c.r1cs, &ptau).map_err(|e| bad(e.to_string()))?;
    write_file(&out, &z.to_bytes())?;
    eprintln!("wrote {} in {:.1} s", out.display(), t.elapsed().as_secs_f64());
    println!("circuit hash {}", hex64(&z.cs_hash));
    Ok(0)
}

fn contribute(input: PathBuf, out: PathBuf, name: String, entropy_stdin: bool) -> Result<u8> {
    let z = read_zkey(&input)?;
    let mut text = String::new();
    if entropy_stdin {
        eprintln!("type some random text, then enter:");
        std::io::stdin().lock().read_line(&mut text).map_err(|e| bad(format!("reading stdin: {e}")))?;
    }
    let t = Instant::now();
    let (z, hash) = ceremony::contribute(&z, &mut OsRng, text.as_bytes(), Some(&name));
    zeroize::Zeroize::zeroize(&mut text);
    write_file(&out, &z.to_bytes())?;
    eprintln!(
        "contribution {} applied and its secret zeroized in {:.1} s; wrote {}",
        z.contributions.len(),
        t.elapsed().as_secs_f64(),
        out.display()
    );
    println!("contribution hash {}", hex64(&hash));
    Ok(0)
}

fn apply_beacon(input: PathBuf, out: PathBuf, beacon: &str, iterations: u8, name: String) -> Result<u8> {
    let hash = hex::decode(beacon.trim())
        .map_err(|e| bad(format!("--beacon {beacon:?}: not hex ({e}); give the beacon's bytes as hex without 0x")))?;
    ceremony::check_beacon(&hash, iterations).map_err(|e| bad(e.to_string()))?;
    let z = read_zkey(&input)?;
    let t = Instant::now();
    eprintln!("applying the beacon (2^{iterations} SHA-256 iterations)…");
    let (z, h) = ceremony::beacon(&z, &hash, iterations, Some(&name)).map_err(|e| bad(e.to_string()))?;
    write_file(&out, &z.to_bytes())?;
    eprintln!("wrote {} in {:.1} s", out.display(), t.elapsed().as_secs_f64());
    println!("contribution hash {}", hex64(&h));
    Ok(0)
}

/// Verifies `zkey_path` against the circuit and ptau; `Ok(Err(msg))` is a refused transcript.
fn verified(
    zkey_path: &std::path::Path,
    ptau_path: &std::path::Path,
    c: &Circuit,
) -> Result<std::result::Result<(Zkey, Verified, PtauInfo), String>> {
    let z = read_zkey(zkey_path)?;
    let bytes = read(ptau_path)?;
    let (ptau, info) = read_ptau(ptau_path, &bytes)?;
    let t = Instant::now();
    eprintln!(
        "verifying against {} at depth {} ({} constraints): rebuilding the initial key, then every contribution…",
        c.statement, c.depth, c.r1cs.num_constraints
    );
    match ceremony::verify(&z, &c.r1cs, &ptau, &mut OsRng) {
        Ok(v) => {
            eprintln!("verified in {:.1} s", t.elapsed().as_secs_f64());
            Ok(Ok((z, v, info)))
        }
        Err(CeremonyError::Refused(m)) => Ok(Err(m)),
        Err(e) => Err(bad(format!("{}: {e}", zkey_path.display()))),
    }
}

fn print_verified(v: &Verified) {
    println!("circuit hash {}", hex64(&v.cs_hash));
    for (i, c) in v.contributions.iter().enumerate() {
        let beacon = c
            .beacon
            .as_ref()
            .map(|b| format!(" (beacon {}, 2^{} iterations)", hex::encode(&b.hash), b.iterations_exp))
            .unwrap_or_default();
        println!("contribution {} {:?}{beacon}: {}", i + 1, c.name, hex64(&c.hash));
    }
    println!("transcript hash {}", hex64(&v.transcript_hash));
}

fn verify(zkey: PathBuf, ptau: PathBuf, circuit: CircuitArgs) -> Result<u8> {
    let c = circuit.circuit()?;
    match verified(&zkey, &ptau, &c)? {
        Ok((_, v, _)) => {
            print_verified(&v);
            if v.contributions.iter().all(|c| c.beacon.is_some()) {
                println!(
                    "ceremony OK, but it has no secret contribution yet (none, or beacons only): anyone can compute \
                     its delta and forge proofs"
                );
            } else {
                println!("ceremony OK: {} contribution(s)", v.contributions.len());
            }
            Ok(0)
        }
        Err(m) => {
            eprintln!("ceremony REFUSED: {m}");
            Ok(1)
        }
    }
}

fn import(zkey: PathBuf, ptau: PathBuf, circuit: CircuitArgs, keys: PathBuf, force: bool) -> Result<u8> {
    let c = circuit.circuit()?;
    let dir = KeyDir::new(&keys);
    if dir.has(&c.name) && !force {
        return Err(bad(format!("{} already holds {} keys; pass --force to replace them", keys.display(), c.name)));
    }
    let (z, v, ptau) = match verified(&zkey, &ptau, &c)? {
        Ok(x) => x,
        Err(m) => {
            eprintln!("ceremony REFUSED: {m}");
            return Ok(1);
        }
    };
    if v.contributions.iter().all(|c| c.beacon.is_some()) {
        return Err(bad(format!(
            "{}: no secret phase-2 contribution (none, or beacons only, whose delta anyone can recompute), so anyone \
             could forge proofs; add contributions (ceremony contribute) before the beacon",
            zkey.display()
        )));
    }
    print_verified(&v);
    let pk = z.proving_key();
    // verify checked the key's shape against the circuit (wires, inputs, domain): no second
    // synthesis is needed here.
    let key_id = KeyId::of(&pk.vk);
    let record = CeremonyRecord {
        key_id: key_id.to_hex(),
        statement: c.statement.name().to_string(),
        depth: c.depth as u32,
        circuit_hash: hex64(&v.cs_hash),
        transcript_hash: hex64(&v.transcript_hash),
        contributions: v
            .contributions
            .iter()
            .map(|c| ContributionRecord {
                name: c.name.clone(),
                hash: hex64(&c.hash),
                beacon: c.beacon.as_ref().map(|b| format!("{} 2^{}", hex::encode(&b.hash), b.iterations_exp)),
            })
            .collect(),
        ptau_power: ptau.power,
        ptau_blake2b: hex64(&ptau.blake2b),
        ptau_contributions: ptau.contributions,
    };
    dir.write(&c.name, &pk, c.depth).map_err(|e| bad(e.to_string()))?;
    dir.write_ceremony_record(&c.name, &record).map_err(|e| bad(e.to_string()))?;
    println!("imported {} key id {key_id} into {}", c.name, keys.display());
    Ok(0)
}
