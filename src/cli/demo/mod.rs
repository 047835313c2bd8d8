//! `healthzk demo`: the whole flow in one process, printing each verdict with prove and
//! verify times and sizes. Exits 0 only if every verdict is the expected one.
//!
//! The steps, in order: [`keys`], [`issue`] (a hospital's tree with the people we follow),
//! the revocation of one credential, then the border check (`border`: honest travellers,
//! forced proofs of false statements, refusals at the verifier, parallel proving), the same
//! check with the chain in the loop (`chain`), and the insurer's score check (`insurer`).

mod border;
mod chain;
mod context;
mod insurer;

use super::io::{bad, dev_setup_warning, today};
use anyhow::Result;
use clap::Args;
use context::{vaccination, Demo, Issued};
use healthzk_core::{
    credential::CredentialRequest, day::Day, field, holder::HolderSecret, merkle::MerkleTree,
    revocation::RevocationList, statement::Statement, vocab,
};
use healthzk_prover::{KeyDir, Prover};
use healthzk_verifier::Verifier;
use rand::{rngs::OsRng, Rng};
use std::{cell::Cell, path::PathBuf, time::Instant};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Credentials the hospital issues (at least 10).
    #[arg(long, default_value_t = 1000)]
    credentials: usize,
    /// Use keys from this directory instead of a fresh in-memory development setup.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Issuer tree depth for a fresh setup.
    #[arg(long, default_value_t = healthzk_core::DEFAULT_TREE_DEPTH)]
    depth: usize,
}

/// Step 1: keys — from a directory, or a fresh development setup; fixed-base tables.
fn keys(args: &DemoArgs) -> Result<(Prover, Verifier)> {
    let t = Instant::now();
    let prover = match &args.keys {
        Some(dir) => KeyDir::new(dir).query_prover().map_err(super::keys::key_err)?,
        None => {
            dev_setup_warning();
            eprintln!("[setup] generating development keys at depth {} …", args.depth);
            Prover::new(healthzk_prover::setup(args.depth, &mut OsRng)?, args.depth)?
        }
    };
    if args.credentials as u128 > 1u128 << prover.depth() {
        return Err(bad(format!("--credentials {} do not fit a tree of depth {}", args.credentials, prover.depth())));
    }
    let verifier = Verifier::new(Statement::CredentialQuery, &prover.proving_key().vk, prover.key_id().0);
    println!(
        "[keys]   {}: {} constraints, tree depth {}, key id {}… ({:.1} s)",
        Statement::CredentialQuery,
        prover.num_constraints(),
        prover.depth(),
        &prover.key_id().to_hex()[..16],
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    eprintln!("[keys]   precomputing fixed-base tables for the prover (~110 MiB, a few seconds) …");
    let prover = prover.with_fixed_base_tables();
    println!("[keys]   fixed-base tables ready ({:.1} s)", t.elapsed().as_secs_f64());
    Ok((prover, verifier))
}

/// Step 2: the hospital issues `n` credentials; the people we follow are among them: alice
/// (COVID + yellow fever), bob (wrong product), carol (series incomplete), dave (too recent),
/// erin (expired), gina (to be revoked).
fn issue(depth: usize, n: usize, today: Day) -> Result<(MerkleTree, Vec<(&'static str, Issued)>)> {
    let t = Instant::now();
    let mut tree = MerkleTree::new(depth)?;
    let issue_to = |req: CredentialRequest, secret: HolderSecret, tree: &mut MerkleTree| -> Result<Issued> {
        let credential = req.into_credential(secret.commitment(), today, tree.len(), &mut OsRng)?;
        let index = tree.append(credential.commitment())?;
        Ok(Issued { secret, credential, index })
    };
    let issue = |req: CredentialRequest, tree: &mut MerkleTree| issue_to(req, HolderSecret::random(&mut OsRng), tree);
    let products = ["EU/1/20/1528", "EU/1/20/1507", "EU/1/21/1529", "Covishield", "YF-Stamaril"];
    let mut people = Vec::new();
    // One iteration issues the seven credentials of the people we follow.
    let iterations = n - 6;
    for i in 0..iterations {
        if i == iterations / 2 {
            let alice_covid =
                issue(vaccination("EU/1/20/1528", vocab::SNOMED_COVID19, 2, 2, today.plus(-60), None), &mut tree)?;
            let yf_req = vaccination("YF-Stamaril", vocab::SNOMED_YELLOW_FEVER, 1, 1, today.plus(-1100), None);
            let alice_yf = issue_to(yf_req, alice_covid.secret.clone(), &mut tree)?;
            people.push(("alice-covid", alice_covid));
            people.push(("alice-yf", alice_yf));
            // name, product, dose, series, days before today, expires
            let others = [
                ("bob", "Covishield", 2, 2, 60, None),
                ("carol", "EU/1/20/1507", 1, 2, 60, None),
                ("dave", "EU/1/20/1528", 3, 3, 5, None),
                ("erin", "EU/1/21/1529", 2, 2, 90, Some(today.plus(-1))),
                ("gina", "EU/1/20/1528", 2, 2, 45, None),
            ];
            for (name, product, dose, series, days, expires) in others {
                let req = vaccination(product, vocab::SNOMED_COVID19, dose, series, today.plus(-days), expires);
                people.push((name, issue(req, &mut tree)?));
            }
        } else {
            let mut rng = OsRng;
            let p = products[rng.gen_range(0..products.len())];
            let disease = if p.starts_with("YF") { vocab::SNOMED_YELLOW_FEVER } else { vocab::SNOMED_COVID19 };
            let series = rng.gen_range(1..=3);
            issue(
                vaccination(p, disease, rng.gen_range(1..=series), series, today.plus(-rng.gen_range(1..2000)), None),
                &mut tree,
            )?;
        }
    }
    println!(
        "[issue]  hospital issued {} credentials in {:.2} s; root {}… anchored and accepted",
        tree.len(),
        t.elapsed().as_secs_f64(),
        &field::to_hex(&tree.root())[..18]
    );
    Ok((tree, people))
}

pub fn run(args: DemoArgs) -> Result<u8> {
    if args.credentials < 10 {
        return Err(bad("--credentials must be at least 10"));
    }
    if args.keys.is_none() && !(1..=32).contains(&args.depth) {
        return Err(bad(format!("--depth {}: must be 1..=32", args.depth)));
    }
    let today = today();
    println!("healthzk demo — border checks on {today}\n");
    let (prover, verifier) = keys(&args)?;
    let (tree, people) = issue(prover.depth(), args.credentials, today)?;
    // Gina's record was entered in error: the hospital revokes it. The published list grows by
    // her credential's nonce; verifiers accept only the new revocation root.
    let gina = people.iter().find(|(n, _)| *n == "gina").expect("issued").1.credential.revocation_nonce;
    let before_revocation = RevocationList::empty();
    let revocations = before_revocation.with(gina)?;
    println!(
        "[revoke] hospital revoked 1 credential; revocation root {}… anchored and current",
        &field::to_hex(&revocations.root())[..18]
    );
    let demo = Demo {
        today,
        scope: field::from_short_str("scope", "border:FR-CDG").expect("short"),
        prover,
        verifier,
        tree,
        people,
        before_revocation,
        revocations,
        failures: Cell::new(0),
    };
    let accepted = border::honest_travellers(&demo)?;
    border::forced_proofs(&demo)?;
    border::refused_at_the_verifier(&demo, &accepted)?;
    border::parallel_proving(&demo);
    chain::on_chain(&demo)?;
    insurer::eligibility(&demo)?;
    if demo.failures.get() > 0 {
        println!("\n{} unexpected verdict(s)", demo.failures.get());
        return Ok(1);
    }
    println!("\nall verdicts as expected");
    Ok(0)
}
