//! `healthzk prove`: the holder proves that a credential satisfies a policy (or that a
//! registered model scores it across the threshold) and writes a presentation.

use super::{
    io::{bad, day_or_today, parse_fr, read_json, today, write_json_out, write_secret},
    issuer::read_revocations,
    keys::{query_prover, score_prover, KeysArg},
    model::load_model,
    policy::load_policy,
    session::Session,
};
use anyhow::Result;
use clap::Args;
use healthzk_core::{
    credential::{HolderPackage, PACKAGE_FORMAT},
    field,
    holder::{HolderKeyFile, HolderSecret},
    query::QueryWitness,
    revocation::RevocationOpening,
    score::ScoreWitness,
    statement::PublicInputs,
};
use healthzk_prover::ProveError;
use rand::rngs::OsRng;
use std::{path::PathBuf, time::Instant};
use zeroize::Zeroize;

/// `healthzk prove`.
#[derive(Args, Debug)]
pub struct ProveArgs {
    #[command(flatten)]
    keys: KeysArg,
    /// Holder file.
    #[arg(long)]
    holder: PathBuf,
    /// Holder package from the issuer.
    #[arg(long)]
    package: PathBuf,
    /// The issuer's published revocation list (`revocations.json`); the proof shows the
    /// credential is not in it.
    #[arg(long)]
    revocations: PathBuf,
    #[command(flatten)]
    session: Session,
    /// Day the statement speaks of (default: today, UTC); today or earlier, as verifiers accept
    /// `as_of` only from today − tolerance to today.
    #[arg(long)]
    as_of: Option<String>,
    /// Output presentation JSON (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the full witness as iden3's `.wtns` (for `snarkjs wtns check` against
    /// `healthzk export r1cs`). It holds the record and the holder's secret in the clear:
    /// written owner-only; keep it private and delete it after use.
    #[arg(long)]
    witness_out: Option<PathBuf>,
}

/// What every statement's proof starts from: the holder's secret and package, the public
/// inputs but the policy (or model) hash, the revocation opening.
struct Inputs {
    secret: HolderSecret,
    pkg: HolderPackage,
    public: PublicInputs,
    revocation: RevocationOpening,
}

fn inputs(a: &ProveArgs) -> Result<Inputs> {
    let hf: HolderKeyFile = read_json(&a.holder, "holder file")?;
    let secret = hf.secret().map_err(|e| bad(format!("{}: {e}", a.holder.display())))?;
    let pkg: HolderPackage = read_json(&a.package, "holder package")?;
    if pkg.format != PACKAGE_FORMAT {
        return Err(bad(format!("{}: unknown format {:?}", a.package.display(), pkg.format)));
    }
    let scope = field::from_short_str("--scope", &a.session.scope).map_err(|e| bad(e.to_string()))?;
    let as_of = day_or_today("--as-of", &a.as_of)?;
    if as_of > today() {
        return Err(bad(format!(
            "--as-of {as_of}: after today ({}); verifiers accept as_of from today − tolerance to today, never a future day",
            today()
        )));
    }
    let challenge = parse_fr("--challenge", &a.session.challenge)?;
    if a.session.model_hash.is_some() {
        return Err(bad("--model-hash is for verifiers; the prover needs the model file (--model)"));
    }
    let list = read_revocations(&a.revocations)?;
    let revocation = list.opening(pkg.credential.revocation_nonce).ok_or_else(|| {
        bad(format!(
            "cannot prove: the credential is revoked (nonce {} is in {})",
            pkg.credential.revocation_nonce,
            a.revocations.display()
        ))
    })?;
    let public = PublicInputs {
        issuer_root: pkg.issuer_root,
        policy_hash: Default::default(),
        as_of,
        challenge,
        scope,
        nullifier: secret.nullifier(scope),
        revocation_root: list.root(),
    };
    Ok(Inputs { secret, pkg, public, revocation })
}

/// The outcome of proving, as the command reports it.
fn finish(
    out: &Option<PathBuf>,
    t: Instant,
    r: Result<healthzk_core::presentation::Presentation, ProveError>,
    what: &str,
    other_is_bad_input: bool,
) -> Result<u8> {
    match r {
        Ok(p) => {
            eprintln!("proved in {} ms", t.elapsed().as_millis());
            write_json_out(out, &p)?;
            Ok(0)
        }
        Err(ProveError::Unsatisfied(u)) => {
            Err(bad(format!("cannot prove: {u} — the credential does not satisfy {what}")))
        }
        // A model the key cannot serve is the user's; a synthesis failure is ours.
        Err(e) if other_is_bad_input => Err(bad(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Writes an assignment as `.wtns`, owner-only, and zeroizes it.
fn write_witness(path: &std::path::Path, mut z: Vec<healthzk_core::Fr>) -> Result<()> {
    let mut bytes = healthzk_prover::iden3::wtns_bytes(&z)?;
    let r = write_secret(path, &bytes);
    z.zeroize();
    bytes.zeroize();
    r?;
    eprintln!("wrote the witness to {} (private: it holds the record and your secret)", path.display());
    Ok(())
}

pub fn run(a: ProveArgs) -> Result<u8> {
    let Inputs { secret, pkg, mut public, revocation } = inputs(&a)?;
    let depth_err = |keys: usize| bad(format!("package tree depth {} but keys serve depth {keys}", pkg.depth));
    if let Some(model) = &a.session.model {
        let (model, hash) = load_model(model, None)?;
        public.policy_hash = hash;
        let prover = score_prover(&a.keys.dir(), &model, hash)?;
        if prover.depth() != pkg.depth {
            return Err(depth_err(prover.depth()));
        }
        let witness = ScoreWitness { credential: pkg.credential, secret, path: pkg.path, revocation, model };
        let t = Instant::now();
        let r = prover.prove(&public, &witness, &mut OsRng).map(|proof| prover.wrap(&public, proof));
        let code = finish(&a.out, t, r, "this model's threshold", true)?;
        // Only for a statement that was proved (a false one's assignment satisfies nothing).
        if let Some(w) = &a.witness_out {
            write_witness(w, prover.assignment(&public, &witness)?)?;
        }
        return Ok(code);
    }
    let (_, compiled) = load_policy(a.session.policy.as_deref().expect("clap requires a policy"))?;
    public.policy_hash = compiled.hash();
    let prover = query_prover(&a.keys.dir())?;
    if prover.depth() != pkg.depth {
        return Err(depth_err(prover.depth()));
    }
    let witness = QueryWitness { credential: pkg.credential, secret, path: pkg.path, revocation, policy: compiled };
    let t = Instant::now();
    let code = finish(&a.out, t, prover.present(&public, &witness, &mut OsRng), "this policy", false)?;
    if let Some(w) = &a.witness_out {
        write_witness(w, prover.assignment(&public, &witness)?)?;
    }
    Ok(code)
}
