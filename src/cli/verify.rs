//! `healthzk verify`: a verifier checks a presentation (a JSON file, or the compact string of a
//! QR code) against its own session, the issuer roots and revocation roots it accepts — given
//! as flags or a file, read from the chain, or taken from a trust bundle — and its date window.
//! Exit 0 accepted, 1 rejected (the reason on stderr), 2 bad input.

use super::{
    bundle::{self, BundleOpts},
    chain::{parse_address, ChainOpts, RegistryReader},
    io::{bad, day_or_today, parse_fr, read, read_json},
    keys::{verifier_for, KeysArg},
    model::load_model,
    policy::load_policy,
    session::Session,
};
use anyhow::Result;
use clap::Args;
use healthzk_core::{compact, field, presentation::Presentation, statement::Statement, Fr};
use healthzk_verifier::{bundle::TrustBundle, Expectations, Verdict, Verifier};
use std::path::PathBuf;

/// `healthzk verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    keys: KeysArg,
    /// Presentation JSON.
    #[arg(long, required_unless_present = "qr", conflicts_with = "qr")]
    presentation: Option<PathBuf>,
    /// A compact presentation (`HZ2:…`, from a QR code) instead of a JSON file; the
    /// policy or model hash, challenge and scope are this verifier's own.
    #[arg(long)]
    qr: Option<String>,
    #[command(flatten)]
    session: Session,
    #[command(flatten)]
    roots: RootsArgs,
    #[command(flatten)]
    chain: ChainOpts,
    #[command(flatten)]
    bundle: BundleOpts,
    /// The verifier's today (default: today, UTC).
    #[arg(long)]
    today: Option<String>,
    /// Accept as_of from this many days before today up to today (it widens every date
    /// window of the policy by as many days; a future as_of is never accepted).
    #[arg(long, default_value_t = 1)]
    tolerance_days: u32,
}

/// The roots a verifier accepts, when it does not take them from a bundle.
#[derive(Args, Debug)]
struct RootsArgs {
    /// An accepted issuer root (repeatable).
    #[arg(long = "root")]
    roots: Vec<String>,
    /// A file of accepted issuer roots, one 0x hex per line.
    #[arg(long)]
    roots_file: Option<PathBuf>,
    /// An accepted revocation root of the same issuer (repeatable): its current one, and
    /// any superseded one you still tolerate. Required unless --roots-from-chain.
    #[arg(long = "revocation-root")]
    revocation_roots: Vec<String>,
    /// With --roots-from-chain: also accept a revocation root the issuer superseded less
    /// than this many seconds ago (default 0: only its current one).
    #[arg(long, default_value_t = 0)]
    revocation_grace: u64,
    /// Accept the roots this issuer (chain address) has anchored and not revoked,
    /// read from the chain (see --chain, --rpc-url); for a score presentation, also
    /// require its model hash to be registered there.
    #[arg(long, value_name = "ISSUER_ADDRESS")]
    roots_from_chain: Option<String>,
}

/// Prints a rejection (exit 1).
fn reject(reason: String) -> Result<u8> {
    println!("REJECTED");
    eprintln!("rejected: {reason}");
    Ok(1)
}

/// The accepted issuer roots and revocation roots, or a rejection to print.
type Accepted = std::result::Result<(Vec<Fr>, Vec<Fr>), String>;

/// The roots flags and files name.
fn given_roots(r: &RootsArgs) -> Result<(Vec<Fr>, Vec<Fr>)> {
    let mut accepted = r.roots.iter().map(|x| parse_fr("--root", x)).collect::<Result<Vec<_>>>()?;
    if let Some(f) = &r.roots_file {
        let text = String::from_utf8(read(f)?).map_err(|_| bad(format!("{}: not UTF-8", f.display())))?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            accepted.push(parse_fr(&format!("{} line {}", f.display(), i + 1), line.trim())?);
        }
    }
    let revocation = r.revocation_roots.iter().map(|x| parse_fr("--revocation-root", x)).collect::<Result<Vec<_>>>()?;
    Ok((accepted, revocation))
}

/// From a bundle: the issuer is the one whose accepted roots hold the presentation's root;
/// only that issuer's revocation root is accepted with it. (A malformed root is left for the
/// verifier to name.)
fn bundle_roots(
    b: &TrustBundle,
    pres: &Presentation,
    is_model: bool,
    hash: &Fr,
    mut acc: (Vec<Fr>, Vec<Fr>),
) -> Accepted {
    if let Ok(root) = field::parse_hex("issuer_root", &pres.public.issuer_root) {
        match b.issuer_of(&root) {
            Some(i) => {
                acc.0.extend(i.roots.iter().copied());
                acc.1.extend(i.revocation_root);
            }
            None => eprintln!("the trust bundle accepts this root for none of its issuers"),
        }
    }
    if is_model && !b.model_accepted(hash) {
        return Err(format!("model {} is not registered in the trust bundle", field::to_hex(hash)));
    }
    Ok(acc)
}

/// From the chain: the presentation's own roots, checked on chain (a malformed root is left for
/// the verifier to name).
fn chain_roots(
    a: &VerifyArgs,
    issuer: &str,
    pres: &Presentation,
    is_model: bool,
    hash: &Fr,
    mut acc: (Vec<Fr>, Vec<Fr>),
) -> Result<Accepted> {
    let who = parse_address("--roots-from-chain", issuer)?;
    let mut reg = RegistryReader::open(&a.chain)?;
    if let Ok(root) = field::parse_hex("issuer_root", &pres.public.issuer_root) {
        if reg.root_accepted(who, &root)? {
            acc.0.push(root);
        } else {
            eprintln!("the chain does not accept this root for issuer {issuer} (not anchored, revoked, or the issuer not accredited)");
        }
    }
    let grace = a.roots.revocation_grace;
    if let Ok(root) = field::parse_hex("revocation_root", &pres.public.revocation_root) {
        if reg.revocation_root_fresh(who, &root, grace)? {
            acc.1.push(root);
        } else {
            eprintln!("the revocation root is not issuer {issuer}'s current one (nor superseded within {grace} s)");
        }
    }
    if is_model && !reg.model_accepted(hash)? {
        return Ok(Err(format!(
            "model {} is not registered on chain (or revoked, or its publisher removed)",
            field::to_hex(hash)
        )));
    }
    Ok(Ok(acc))
}

pub fn run(a: VerifyArgs) -> Result<u8> {
    let trust = bundle::open_for_verify(&a.bundle)?;
    let s = &a.session;
    let is_model = s.model.is_some() || s.model_hash.is_some();
    let statement = if is_model { Statement::ScoreThreshold } else { Statement::CredentialQuery };
    let expected_hash = match (&s.policy, &s.model, &s.model_hash) {
        (Some(policy), None, None) => load_policy(policy)?.1.hash(),
        (None, Some(model), None) => load_model(model, None)?.1,
        (None, None, Some(h)) => parse_fr("--model-hash", h)?,
        _ => return Err(bad("pass exactly one of --policy, --model, --model-hash")),
    };
    let challenge = parse_fr("--challenge", &s.challenge)?;
    let scope = field::from_short_str("--scope", &s.scope).map_err(|e| bad(e.to_string()))?;
    let (pres, source): (Presentation, String) = match (&a.presentation, &a.qr) {
        (Some(p), None) => (read_json(p, "presentation")?, p.display().to_string()),
        (None, Some(text)) => {
            let ctx = compact::VerifierContext { policy_hash: expected_hash, challenge, scope };
            (compact::decode(text, &ctx).map_err(|e| bad(format!("--qr: {e}")))?, "--qr".into())
        }
        _ => return Err(bad("pass --presentation FILE or --qr STRING")),
    };
    let verifier: Verifier = match &trust {
        Some(b) => match bundle::verifier(b, &pres.key_id, statement)? {
            Ok(v) => v,
            Err(reason) => return reject(reason),
        },
        None => verifier_for(&a.keys.dir(), statement, &pres)?,
    };
    let given = given_roots(&a.roots)?;
    let accepted = match (&trust, &a.roots.roots_from_chain) {
        (Some(b), _) => bundle_roots(b, &pres, is_model, &expected_hash, given),
        (None, Some(issuer)) => chain_roots(&a, issuer, &pres, is_model, &expected_hash, given)?,
        (None, None) if given.0.is_empty() => {
            return Err(bad("no accepted issuer roots: pass --root, --roots-file, --roots-from-chain or --bundle"))
        }
        (None, None) if given.1.is_empty() => {
            return Err(bad(
                "no accepted revocation root: pass --revocation-root (the issuer's current one), --roots-from-chain or --bundle",
            ))
        }
        (None, None) => Ok(given),
    };
    let (accepted_roots, accepted_revocation_roots) = match accepted {
        Ok(x) => x,
        Err(reason) => return reject(reason),
    };
    let today = day_or_today("--today", &a.today)?;
    let (earliest, latest) = healthzk_verifier::as_of_window(today, a.tolerance_days);
    let e = Expectations {
        policy_hash: expected_hash,
        challenge,
        scope,
        earliest,
        latest,
        accepted_roots,
        accepted_revocation_roots,
    };
    match verifier.verify(&pres, &e) {
        Verdict::Accepted { nullifier } => {
            println!("ACCEPTED nullifier {}", field::to_hex(&nullifier));
            Ok(0)
        }
        Verdict::Rejected(r) if r.is_bad_input() => Err(bad(format!("{source}: {r}"))),
        Verdict::Rejected(r) => reject(r.to_string()),
    }
}
