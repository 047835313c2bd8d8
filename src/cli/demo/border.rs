//! The border check: honest travellers accepted, forced proofs of false statements rejected,
//! presentations refused at the verifier, and both presets proved in parallel.

use super::context::{ms, vaccination, Demo, Issued};
use anyhow::Result;
use healthzk_core::{merkle::MerkleTree, presentation::Presentation, presets, vocab};
use healthzk_prover::ProveError;
use healthzk_verifier::{Rejection, Verdict};
use rand::rngs::OsRng;
use std::time::Instant;

/// Alice proves both presets; both presentations are accepted.
pub(super) fn honest_travellers(d: &Demo) -> Result<Vec<Presentation>> {
    println!("\nHonest travellers:");
    let (covid, yf) = (presets::covid19_full(), presets::yellow_fever());
    let mut accepted = Vec::new();
    for (label, who, policy) in
        [("alice: COVID-19 (EU DCC)", "alice-covid", &covid), ("alice: yellow fever (IHR)", "alice-yf", &yf)]
    {
        let (compiled, e) = d.session(policy);
        let (public, witness) = d.statement(d.get(who), &compiled, &e);
        let t = Instant::now();
        let pres = d.prover.present(&public, &witness, &mut OsRng)?;
        let prove_ms = ms(t);
        let t = Instant::now();
        let verdict = d.verifier.verify(&pres, &e);
        let verify_ms = ms(t);
        d.check(label, &verdict, true, None);
        println!(
            "  {:<34} prove {:.0} ms, verify {:.2} ms, proof 128 bytes, presentation {} bytes of JSON",
            "",
            prove_ms,
            verify_ms,
            serde_json::to_string(&pres)?.len()
        );
        accepted.push(pres);
    }
    Ok(accepted)
}

/// The honest prover refuses each false statement; a forced proof of it is rejected.
pub(super) fn forced_proofs(d: &Demo) -> Result<()> {
    println!("\nWrong cases (a dishonest prover forces a proof of a false statement):");
    let covid = presets::covid19_full();
    for (label, who, reason) in [
        ("bob: product not approved", "bob", "Covishield is not in the approved list"),
        ("carol: series incomplete", "carol", "dose 1 of 2"),
        ("dave: last dose too recent", "dave", "5 days ago"),
        ("erin: credential expired", "erin", "expired yesterday"),
        ("gina: credential revoked", "gina", "her nonce is on the revocation list"),
    ] {
        let (compiled, e) = d.session(&covid);
        let (public, witness) = d.statement(d.get(who), &compiled, &e);
        match d.prover.prove(&public, &witness, &mut OsRng) {
            Err(ProveError::Unsatisfied(u)) => println!("  {label:<34} honest prover refuses ({reason}): {u}"),
            other => {
                println!("  {label:<34} honest prover did not refuse: {other:?}   <-- UNEXPECTED");
                d.fail();
            }
        }
        let forced = d.prover.wrap(&public, d.prover.prove_unchecked(&public, &witness, &mut OsRng)?);
        d.check("", &d.verifier.verify(&forced, &e), false, Some(&Rejection::InvalidProof));
    }
    Ok(())
}

/// Valid proofs the verifier must still refuse: a replay, the wrong policy, an unanchored
/// issuer, a stale revocation list, a tampered proof.
pub(super) fn refused_at_the_verifier(d: &Demo, accepted: &[Presentation]) -> Result<()> {
    println!("\nWrong cases at the verifier:");
    let (covid, yf) = (presets::covid19_full(), presets::yellow_fever());
    let v = &d.verifier;
    // Replay: alice's COVID presentation shown to a new session.
    let (_, e) = d.session(&covid);
    d.check("replayed to a new challenge", &v.verify(&accepted[0], &e), false, Some(&Rejection::ChallengeMismatch));
    // A yellow fever proof offered at a COVID check.
    let (_, mut e) = d.session(&covid);
    let (yf_compiled, yf_e) = d.session(&yf);
    let (public, witness) = d.statement(d.get("alice-yf"), &yf_compiled, &yf_e);
    let pres = d.prover.present(&public, &witness, &mut OsRng)?;
    e.challenge = yf_e.challenge;
    d.check("yellow fever proof at a COVID gate", &v.verify(&pres, &e), false, Some(&Rejection::PolicyMismatch));
    // An unaccredited clinic's tree: a valid proof, but its root was never anchored.
    let mut clinic = MerkleTree::new(d.prover.depth())?;
    let frank_secret = healthzk_core::holder::HolderSecret::random(&mut OsRng);
    let frank_cred = vaccination("EU/1/20/1528", vocab::SNOMED_COVID19, 2, 2, d.today.plus(-30), None)
        .into_credential(frank_secret.commitment(), d.today, 0, &mut OsRng)?;
    let frank = Issued { index: clinic.append(frank_cred.commitment())?, secret: frank_secret, credential: frank_cred };
    let (compiled, e) = d.session(&covid);
    let (public, witness) = d.statement_in(&frank, &compiled, &e, &clinic, &d.revocations);
    let pres = d.prover.present(&public, &witness, &mut OsRng)?;
    d.check("frank: issuer root not anchored", &v.verify(&pres, &e), false, Some(&Rejection::RootNotAccepted));
    // A stale revocation list: alice proves against the list from before gina's revocation.
    let (compiled, e) = d.session(&covid);
    let (public, witness) = d.statement_in(d.get("alice-covid"), &compiled, &e, &d.tree, &d.before_revocation);
    let pres = d.prover.present(&public, &witness, &mut OsRng)?;
    d.check("alice: stale revocation list", &v.verify(&pres, &e), false, Some(&Rejection::RevocationRootNotAccepted));
    // A tampered proof.
    let (compiled, e) = d.session(&covid);
    let (public, witness) = d.statement(d.get("alice-covid"), &compiled, &e);
    let mut pres = d.prover.present(&public, &witness, &mut OsRng)?;
    pres.proof = tamper(&pres.proof);
    let verdict = v.verify(&pres, &e);
    let want = match &verdict {
        Verdict::Rejected(Rejection::MalformedPoint(_)) => Rejection::MalformedPoint(String::new()),
        _ => Rejection::InvalidProof,
    };
    d.check("tampered proof byte", &verdict, false, Some(&want));
    Ok(())
}

/// Both presets proved at once on the rayon pool.
pub(super) fn parallel_proving(d: &Demo) {
    let (covid, yf) = (presets::covid19_full(), presets::yellow_fever());
    let statements: Vec<_> = [(&covid, "alice-covid"), (&yf, "alice-yf")]
        .iter()
        .map(|(p, who)| {
            let (c, e) = d.session(p);
            d.statement(d.get(who), &c, &e)
        })
        .collect();
    let t = Instant::now();
    let n_ok = d.prover.prove_many(&statements).iter().filter(|r| r.is_ok()).count();
    let elapsed = ms(t);
    println!("\n[prove_many] {n_ok} proofs in parallel in {elapsed:.0} ms on {} cores", cores());
    if n_ok != statements.len() {
        println!("  only {n_ok} of {} proofs succeeded   <-- UNEXPECTED", statements.len());
        d.fail();
    }
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
