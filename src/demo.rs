//! `healthzk demo`: the whole flow in one process, printing each verdict with prove and
//! verify times and sizes. Exits 0 only if every verdict is the expected one.

use crate::cli::{bad, dev_setup_warning, load_prover, today};
use anyhow::Result;
use clap::Args;
use healthzk_core::{
    credential::{Credential, CredentialRequest},
    day::Day,
    field,
    holder::HolderSecret,
    merkle::MerkleTree,
    policy::{CompiledPolicy, Policy},
    presentation::Presentation,
    presets,
    query::{QueryPublic, QueryWitness},
    revocation::{RevocationList, RevocationOpening},
};
use healthzk_prover::Prover;
use healthzk_verifier::{Expectations, QueryVerifier, Rejection, Verdict};
use rand::{rngs::OsRng, Rng};
use serde_json::json;
use std::{path::PathBuf, time::Instant};

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

struct Issued {
    secret: HolderSecret,
    credential: Credential,
    index: u64,
}

fn vaccination(
    product: &str,
    disease: u64,
    dose: u64,
    series: u64,
    date: Day,
    expires: Option<Day>,
) -> CredentialRequest {
    let mut v = json!({
        "schema": "vaccination/v1",
        "attributes": {
            "disease": disease, "vaccine": 1_119_349_007u64, "product": product,
            "manufacturer": "ORG-100030215", "dose_number": dose, "series_doses": series,
            "date": date.to_string(), "country": "FR"
        },
        "issued": date.to_string(),
    });
    if let Some(e) = expires {
        v["expires"] = json!(e.to_string());
    }
    serde_json::from_value(v).expect("well-formed request")
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
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

    // Keys.
    let t = Instant::now();
    let prover = match &args.keys {
        Some(dir) => load_prover(dir)?,
        None => {
            dev_setup_warning();
            eprintln!("[setup] generating development keys at depth {} …", args.depth);
            Prover::new(healthzk_prover::setup(args.depth, &mut OsRng)?, args.depth)?
        }
    };
    if args.credentials as u128 > 1u128 << prover.depth() {
        return Err(bad(format!("--credentials {} do not fit a tree of depth {}", args.credentials, prover.depth())));
    }
    let verifier = QueryVerifier::new(&prover.proving_key().vk, prover.key_id().0);
    println!(
        "[keys]   credential-query: {} constraints, tree depth {}, key id {}… ({:.1} s)",
        prover.num_constraints(),
        prover.depth(),
        &prover.key_id().to_hex()[..16],
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    eprintln!("[keys]   precomputing fixed-base tables for the prover (~110 MiB, a few seconds) …");
    let prover = prover.with_fixed_base_tables();
    println!("[keys]   fixed-base tables ready ({:.1} s)", t.elapsed().as_secs_f64());

    // The hospital issues credentials; the people we follow are among them.
    let t = Instant::now();
    let mut tree = MerkleTree::new(prover.depth())?;
    let issue_to = |req: CredentialRequest, secret: HolderSecret, tree: &mut MerkleTree| -> Result<Issued> {
        let credential = req.into_credential(secret.commitment(), today, tree.len(), &mut OsRng)?;
        let index = tree.append(credential.commitment())?;
        Ok(Issued { secret, credential, index })
    };
    let issue = |req: CredentialRequest, tree: &mut MerkleTree| issue_to(req, HolderSecret::random(&mut OsRng), tree);
    let products = ["EU/1/20/1528", "EU/1/20/1507", "EU/1/21/1529", "Covishield", "YF-Stamaril"];
    let mut people = Vec::new();
    // One iteration issues the seven credentials of the people we follow.
    let iterations = args.credentials - 6;
    for i in 0..iterations {
        if i == iterations / 2 {
            // alice (COVID + yellow fever), bob (wrong product), carol (series incomplete),
            // dave (too recent), erin (expired).
            let alice_covid =
                issue(vaccination("EU/1/20/1528", presets::SNOMED_COVID19, 2, 2, today.plus(-60), None), &mut tree)?;
            let yf_req = vaccination("YF-Stamaril", presets::SNOMED_YELLOW_FEVER, 1, 1, today.plus(-1100), None);
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
                let req = vaccination(product, presets::SNOMED_COVID19, dose, series, today.plus(-days), expires);
                people.push((name, issue(req, &mut tree)?));
            }
        } else {
            let mut rng = OsRng;
            let p = products[rng.gen_range(0..products.len())];
            let disease = if p.starts_with("YF") { presets::SNOMED_YELLOW_FEVER } else { presets::SNOMED_COVID19 };
            let series = rng.gen_range(1..=3);
            issue(
                vaccination(p, disease, rng.gen_range(1..=series), series, today.plus(-rng.gen_range(1..2000)), None),
                &mut tree,
            )?;
        }
    }
    let anchored = tree.root();
    println!(
        "[issue]  hospital issued {} credentials in {:.2} s; root {}… anchored and accepted",
        tree.len(),
        t.elapsed().as_secs_f64(),
        &field::to_hex(&anchored)[..18]
    );
    let get = |name: &str| &people.iter().find(|(n, _)| *n == name).expect("named").1;
    // Gina's record was entered in error: the hospital revokes it. The published list grows by
    // her credential's nonce; verifiers accept only the new revocation root.
    let before_revocation = RevocationList::empty();
    let revocations = before_revocation.with(get("gina").credential.revocation_nonce)?;
    println!(
        "[revoke] hospital revoked 1 credential; revocation root {}… anchored and current",
        &field::to_hex(&revocations.root())[..18]
    );

    let covid = presets::covid19_full();
    let yf = presets::yellow_fever();
    let scope = field::from_short_str("scope", "border:FR-CDG").expect("short");
    let failures = std::cell::Cell::new(0usize);
    let check = |label: &str, got: &Verdict, want_accept: bool, want: Option<&Rejection>| {
        let ok = match (got, want) {
            (Verdict::Accepted { .. }, None) => want_accept,
            (Verdict::Rejected(r), Some(w)) => std::mem::discriminant(r) == std::mem::discriminant(w),
            _ => false,
        };
        let shown = match got {
            Verdict::Accepted { .. } => "ACCEPTED".to_string(),
            Verdict::Rejected(r) => format!("REJECTED: {r}"),
        };
        println!("  {:<34} {}{}", label, shown, if ok { "" } else { "   <-- UNEXPECTED" });
        if !ok {
            failures.set(failures.get() + 1);
        }
    };

    // A verifier session: a fresh challenge per traveller.
    let session = |policy: &Policy| -> (CompiledPolicy, Expectations) {
        let compiled = policy.compile().expect("preset");
        let challenge = healthzk_verifier::fresh_challenge(b"gate 12", &mut OsRng);
        let e = Expectations {
            policy_hash: compiled.hash(),
            challenge,
            scope,
            earliest: today.plus(-1),
            latest: today.plus(1),
            accepted_roots: vec![anchored],
            accepted_revocation_roots: vec![revocations.root()],
        };
        (compiled, e)
    };
    let statement_against =
        |who: &Issued, compiled: &CompiledPolicy, e: &Expectations, root_tree: &MerkleTree, list: &RevocationList| {
            let public = QueryPublic {
                issuer_root: root_tree.root(),
                policy_hash: compiled.hash(),
                as_of: today,
                challenge: e.challenge,
                scope,
                nullifier: who.secret.nullifier(scope),
                revocation_root: list.root(),
            };
            let witness = QueryWitness {
                credential: who.credential.clone(),
                secret: who.secret.clone(),
                path: root_tree.path(who.index).expect("issued"),
                // A revoked credential has no gap; a forced proof opens nothing.
                revocation: list.opening(who.credential.revocation_nonce).unwrap_or_else(RevocationOpening::none),
                policy: compiled.clone(),
            };
            (public, witness)
        };
    let statement = |who: &Issued, compiled: &CompiledPolicy, e: &Expectations, root_tree: &MerkleTree| {
        statement_against(who, compiled, e, root_tree, &revocations)
    };

    println!("\nHonest travellers:");
    let mut accepted_presentations: Vec<(String, Presentation)> = Vec::new();
    for (label, who, policy) in
        [("alice: COVID-19 (EU DCC)", "alice-covid", &covid), ("alice: yellow fever (IHR)", "alice-yf", &yf)]
    {
        let (compiled, e) = session(policy);
        let (public, witness) = statement(get(who), &compiled, &e, &tree);
        let t = Instant::now();
        let pres = prover.present(&public, &witness, &mut OsRng)?;
        let prove_ms = ms(t);
        let t = Instant::now();
        let verdict = verifier.verify(&pres, &e);
        let verify_ms = ms(t);
        check(label, &verdict, true, None);
        println!(
            "  {:<34} prove {:.0} ms, verify {:.2} ms, proof 128 bytes, presentation {} bytes of JSON",
            "",
            prove_ms,
            verify_ms,
            serde_json::to_string(&pres)?.len()
        );
        accepted_presentations.push((policy.name.clone(), pres));
    }

    println!("\nWrong cases (a dishonest prover forces a proof of a false statement):");
    for (label, who, reason) in [
        ("bob: product not approved", "bob", "Covishield is not in the approved list"),
        ("carol: series incomplete", "carol", "dose 1 of 2"),
        ("dave: last dose too recent", "dave", "5 days ago"),
        ("erin: credential expired", "erin", "expired yesterday"),
        ("gina: credential revoked", "gina", "her nonce is on the revocation list"),
    ] {
        let (compiled, e) = session(&covid);
        let (public, witness) = statement(get(who), &compiled, &e, &tree);
        match prover.prove(&public, &witness, &mut OsRng) {
            Err(healthzk_prover::ProveError::Unsatisfied(u)) => {
                println!("  {label:<34} honest prover refuses ({reason}): {u}")
            }
            other => {
                println!("  {label:<34} honest prover did not refuse: {other:?}   <-- UNEXPECTED");
                failures.set(failures.get() + 1);
            }
        }
        let forced = prover.wrap(&public, prover.prove_unchecked(&public, &witness, &mut OsRng)?);
        check("", &verifier.verify(&forced, &e), false, Some(&Rejection::InvalidProof));
    }

    println!("\nWrong cases at the verifier:");
    // Replay: alice's COVID presentation shown to a new session.
    let (_, e) = session(&covid);
    check(
        "replayed to a new challenge",
        &verifier.verify(&accepted_presentations[0].1, &e),
        false,
        Some(&Rejection::ChallengeMismatch),
    );
    // A yellow fever proof offered at a COVID check.
    let (_, mut e) = session(&covid);
    let (yf_compiled, yf_e) = session(&yf);
    let (public, witness) = statement(get("alice-yf"), &yf_compiled, &yf_e, &tree);
    let pres = prover.present(&public, &witness, &mut OsRng)?;
    e.challenge = yf_e.challenge;
    check("yellow fever proof at a COVID gate", &verifier.verify(&pres, &e), false, Some(&Rejection::PolicyMismatch));
    // An unaccredited clinic's tree: a valid proof, but its root was never anchored.
    let mut clinic = MerkleTree::new(prover.depth())?;
    let frank_secret = HolderSecret::random(&mut OsRng);
    let frank_cred = vaccination("EU/1/20/1528", presets::SNOMED_COVID19, 2, 2, today.plus(-30), None)
        .into_credential(frank_secret.commitment(), today, 0, &mut OsRng)?;
    let frank = Issued { index: clinic.append(frank_cred.commitment())?, secret: frank_secret, credential: frank_cred };
    let (compiled, e) = session(&covid);
    let (public, witness) = statement(&frank, &compiled, &e, &clinic);
    let pres = prover.present(&public, &witness, &mut OsRng)?;
    check("frank: issuer root not anchored", &verifier.verify(&pres, &e), false, Some(&Rejection::RootNotAccepted));
    // A stale revocation list: alice proves against the list from before gina's revocation.
    let (compiled, e) = session(&covid);
    let (public, witness) = statement_against(get("alice-covid"), &compiled, &e, &tree, &before_revocation);
    let pres = prover.present(&public, &witness, &mut OsRng)?;
    check(
        "alice: stale revocation list",
        &verifier.verify(&pres, &e),
        false,
        Some(&Rejection::RevocationRootNotAccepted),
    );
    // A tampered proof.
    let (compiled, e) = session(&covid);
    let (public, witness) = statement(get("alice-covid"), &compiled, &e, &tree);
    let mut pres = prover.present(&public, &witness, &mut OsRng)?;
    let tampered = tamper(&pres.proof);
    pres.proof = tampered;
    let v = verifier.verify(&pres, &e);
    let want = match &v {
        Verdict::Rejected(Rejection::MalformedPoint(_)) => Rejection::MalformedPoint(String::new()),
        _ => Rejection::InvalidProof,
    };
    check("tampered proof byte", &v, false, Some(&want));

    // Parallel proving of both presets.
    let statements: Vec<_> = [(&covid, "alice-covid"), (&yf, "alice-yf")]
        .iter()
        .map(|(p, who)| {
            let (c, e) = session(p);
            statement(get(who), &c, &e, &tree)
        })
        .collect();
    let t = Instant::now();
    let n_ok = prover.prove_many(&statements).iter().filter(|r| r.is_ok()).count();
    let elapsed = ms(t);
    println!("\n[prove_many] {n_ok} proofs in parallel in {elapsed:.0} ms on {} cores", cores());
    if n_ok != statements.len() {
        println!("  only {n_ok} of {} proofs succeeded   <-- UNEXPECTED", statements.len());
        failures.set(failures.get() + 1);
    }

    on_chain(&prover, &verifier, get("alice-covid"), &tree, &revocations, today, &check)?;

    insurer(prover.depth(), today, &check, &failures)?;

    if failures.get() > 0 {
        println!("\n{} unexpected verdict(s)", failures.get());
        return Ok(1);
    }
    println!("\nall verdicts as expected");
    Ok(0)
}

/// The same border check with the chain in the loop (an embedded EVM, in memory for the demo):
/// a ministry's registry accredits the hospital, which anchors its root; the verifier takes its
/// accepted roots from the chain; an on-chain gate admits alice once; the hospital revokes the
/// root and the verifier refuses her presentation.
fn on_chain(
    prover: &Prover,
    verifier: &QueryVerifier,
    alice: &Issued,
    tree: &MerkleTree,
    revocations: &RevocationList,
    today: Day,
    check: &CheckFn<'_>,
) -> Result<()> {
    use healthzk_anchor::{
        contracts::{Gate, GateConfig, Registry, VerifierContract},
        Account, EmbeddedChain,
    };
    let chain_err = |e: healthzk_anchor::Error| anyhow::anyhow!("embedded chain: {e}");
    println!("\nOn chain (embedded EVM; the same contracts run on any EVM node):");
    let mut chain = EmbeddedChain::in_memory();
    let (ministry, hospital) = (Account::random(), Account::random());
    let (registry, _) = Registry::deploy(&mut chain, &ministry).map_err(chain_err)?;
    registry.accredit_issuer(&mut chain, &ministry, hospital.address()).map_err(chain_err)?;
    let gas = registry.anchor_root(&mut chain, &hospital, &tree.root()).map_err(chain_err)?.gas_used;
    println!("  {:<34} root anchored by the accredited hospital ({gas} gas)", "registry");
    let gas = registry.anchor_revocation_root(&mut chain, &hospital, &revocations.root()).map_err(chain_err)?.gas_used;
    println!("  {:<34} and its revocation root ({gas} gas)", "");

    let covid = presets::covid19_full().compile().expect("preset");
    let scope = field::from_short_str("scope", "border:FR-CDG").expect("short");
    let vk = &prover.proving_key().vk;
    let (contract, _) = VerifierContract::deploy(&mut chain, &ministry, vk, prover.key_id().0).map_err(chain_err)?;
    let config = GateConfig {
        registry: registry.address,
        verifier: contract.address,
        issuer: hospital.address(),
        policy_hash: covid.hash(),
        scope,
        max_age_days: 1,
        revocation_grace_seconds: 0,
    };
    let (gate, _) = Gate::deploy(&mut chain, &ministry, &config).map_err(chain_err)?;
    let traveller = Account::random();
    let public = QueryPublic {
        issuer_root: tree.root(),
        policy_hash: covid.hash(),
        as_of: today,
        challenge: gate.challenge_for(&mut chain, traveller.address()).map_err(chain_err)?,
        scope,
        nullifier: alice.secret.nullifier(scope),
        revocation_root: revocations.root(),
    };
    let witness = QueryWitness {
        credential: alice.credential.clone(),
        secret: alice.secret.clone(),
        path: tree.path(alice.index)?,
        revocation: revocations.opening(alice.credential.revocation_nonce).expect("alice is not revoked"),
        policy: covid,
    };
    let pres = prover.present(&public, &witness, &mut OsRng)?;
    let proof = healthzk_verifier::decode_proof(&pres.proof).map_err(|r| anyhow::anyhow!("{r}"))?;
    let expect = |chain: &mut EmbeddedChain| -> Result<Expectations> {
        Ok(Expectations {
            policy_hash: public.policy_hash,
            challenge: public.challenge,
            scope,
            earliest: today.plus(-1),
            latest: today.plus(1),
            accepted_roots: registry.accepted_roots(chain, hospital.address()).map_err(chain_err)?,
            accepted_revocation_roots: registry
                .current_revocation_root(chain, hospital.address())
                .map_err(chain_err)?
                .into_iter()
                .collect(),
        })
    };
    let e = expect(&mut chain)?;
    check("alice: roots read from the chain", &verifier.verify(&pres, &e), true, None);
    match gate.enter(&mut chain, &traveller, &proof, &public) {
        Ok(r) => println!("  {:<34} ADMITTED on chain ({} gas)", "alice at the gate contract", r.gas_used),
        Err(e) => return Err(anyhow::anyhow!("the gate refused a valid presentation: {e}   <-- UNEXPECTED")),
    }
    match gate.enter(&mut chain, &traveller, &proof, &public) {
        Err(healthzk_anchor::Error::Reverted(r)) if r.starts_with("NullifierUsed") => {
            println!("  {:<34} REFUSED on chain: NullifierUsed", "alice again (replay)")
        }
        other => return Err(anyhow::anyhow!("the gate admitted a replay: {other:?}   <-- UNEXPECTED")),
    }
    registry.revoke_root(&mut chain, &hospital, hospital.address(), &tree.root()).map_err(chain_err)?;
    let e = expect(&mut chain)?;
    check("alice after the root is revoked", &verifier.verify(&pres, &e), false, Some(&Rejection::RootNotAccepted));
    Ok(())
}

/// Prints a verdict and counts unexpected ones: (label, verdict, want accepted, want rejection).
type CheckFn<'a> = dyn Fn(&str, &Verdict, bool, Option<&Rejection>) + 'a;

fn lab_panel(values: serde_json::Value, today: Day) -> CredentialRequest {
    serde_json::from_value(
        json!({"schema": "lab_panel/v1", "attributes": values, "issued": today.plus(-3).to_string()}),
    )
    .expect("well-formed request")
}

/// The insurer's check: the registered models score a lab panel below p = 0.2 of high
/// one-year diabetes progression. Grace and Henry are two held-out patients of the study the
/// models were trained on (the six slots the models do not read carry illustrative values).
fn insurer(depth: usize, today: Day, check: &CheckFn<'_>, failures: &std::cell::Cell<usize>) -> Result<()> {
    use healthzk_core::{model::Model, score::ScoreWitness};
    use healthzk_prover::score::ScoreProver;
    use healthzk_prover::score::Weights;

    println!("\nInsurer eligibility (score threshold; models trained on scikit-learn's diabetes study):");
    let other =
        json!({"hba1c": "5.2", "creatinine": "0.90", "egfr": 95, "crp": "1.2", "systolic": 118, "diastolic": 76});
    let mut grace = json!({"age": 37, "sex": 2, "bmi": "21.4", "bp": "83", "tc": 128, "ldl": "69.6", "hdl": "49",
        "tch": "3", "ltg": "3.8501", "glucose": 84});
    let mut henry = json!({"age": 36, "sex": 1, "bmi": "30", "bp": "95", "tc": 201, "ldl": "125.2", "hdl": "42",
        "tch": "4.79", "ltg": "5.1299", "glucose": 85});
    for p in [&mut grace, &mut henry] {
        p.as_object_mut().expect("object").extend(other.as_object().expect("object").clone());
    }
    let mut lab = MerkleTree::new(depth)?;
    let mut people = Vec::new();
    for (name, values) in [("grace", grace), ("henry", henry)] {
        let secret = HolderSecret::random(&mut OsRng);
        let credential = lab_panel(values, today).into_credential(secret.commitment(), today, 0, &mut OsRng)?;
        let index = lab.append(credential.commitment())?;
        people.push((name, Issued { secret, credential, index }));
    }
    let lab_root = lab.root();
    let lab_revocations = RevocationList::empty();
    let scope = field::from_short_str("scope", "insurer:acme-health").expect("short");
    let models = [
        (Model::from_json(include_str!("../models/diabetes-progression-lr.model.json"))?, false),
        (Model::from_json(include_str!("../models/diabetes-progression-mlp.model.json"))?, true),
    ];
    for (model, private) in models {
        let registered = model.hash()?;
        let mode = if private { "private" } else { "public" };
        let weights = Weights::for_model(&model, private);
        let t = Instant::now();
        eprintln!("[setup] score-threshold keys for {} ({mode} weights) …", model.shape());
        let pk = healthzk_prover::score::setup(depth, weights.clone(), &mut OsRng)?;
        let verifier = QueryVerifier::new_score(&pk.vk, healthzk_prover::KeyId::of(&pk.vk).0);
        let prover = ScoreProver::new(pk, depth, weights)?;
        println!(
            "[keys]   {} with {mode} weights: {} constraints; registered model hash {}… ({:.1} s)",
            model.shape(),
            prover.num_constraints(),
            &field::to_hex(&registered)[..18],
            t.elapsed().as_secs_f64()
        );
        let session = |m: &Model, who: &Issued| {
            let e = Expectations {
                policy_hash: registered,
                challenge: healthzk_verifier::fresh_challenge(b"claims desk", &mut OsRng),
                scope,
                earliest: today.plus(-1),
                latest: today.plus(1),
                accepted_roots: vec![lab_root],
                accepted_revocation_roots: vec![lab_revocations.root()],
            };
            let public = QueryPublic {
                issuer_root: lab_root,
                policy_hash: m.hash().expect("valid model"),
                as_of: today,
                challenge: e.challenge,
                scope,
                nullifier: who.secret.nullifier(scope),
                revocation_root: lab_revocations.root(),
            };
            let w = ScoreWitness {
                credential: who.credential.clone(),
                secret: who.secret.clone(),
                path: lab.path(who.index).expect("issued"),
                revocation: lab_revocations.opening(who.credential.revocation_nonce).expect("nothing revoked"),
                model: m.clone(),
            };
            (public, w, e)
        };
        let (public, w, e) = session(&model, &people[0].1);
        let t = Instant::now();
        let proof = prover.prove(&public, &w, &mut OsRng)?;
        let prove_ms = ms(t);
        let pres = prover.wrap(&public, proof);
        let t = Instant::now();
        let verdict = verifier.verify(&pres, &e);
        let verify_ms = ms(t);
        check("grace: risk below 0.2", &verdict, true, None);
        println!("  {:<34} prove {prove_ms:.0} ms, verify {verify_ms:.2} ms", "");

        let (public, w, e) = session(&model, &people[1].1);
        match prover.prove(&public, &w, &mut OsRng) {
            Err(healthzk_prover::ProveError::Unsatisfied(u)) => {
                println!("  {:<34} honest prover refuses: {u}", "henry: risk above 0.2")
            }
            other => {
                println!("  henry: honest prover did not refuse: {other:?}   <-- UNEXPECTED");
                failures.set(failures.get() + 1);
            }
        }
        let forced = prover.wrap(&public, prover.prove_unchecked(&public, &w, &mut OsRng)?);
        check("", &verifier.verify(&forced, &e), false, Some(&Rejection::InvalidProof));

        if private {
            // Same shape, laxer threshold (logit + 4, p ≈ 0.93): the key proves it, but it is not the
            // registered model, and the hash says so without revealing either model.
            let mut lax = model.clone();
            lax.threshold += (lax.frac_bits as f64).exp2() as i128 * 4;
            let (public, w, e) = session(&lax, &people[1].1);
            let pres = prover.wrap(&public, prover.prove(&public, &w, &mut OsRng)?);
            check(
                "henry: unregistered laxer model",
                &verifier.verify(&pres, &e),
                false,
                Some(&Rejection::PolicyMismatch),
            );
        }
    }
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn tamper(proof_hex: &str) -> String {
    // Flip one bit in C's x coordinate (last hex digit of the proof).
    let mut b = proof_hex.as_bytes().to_vec();
    let last = b.len() - 1;
    b[last] = if b[last] == b'0' { b'1' } else { b'0' };
    String::from_utf8(b).expect("hex")
}
