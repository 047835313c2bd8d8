//! The border check with the chain in the loop.

use super::context::Demo;
use anyhow::Result;
use healthzk_core::{field, presets, query::QueryWitness, statement::PublicInputs};
use healthzk_verifier::{Expectations, Rejection};
use rand::rngs::OsRng;

/// The same border check with the chain in the loop (an embedded EVM, in memory for the demo):
/// a ministry's registry accredits the hospital, which anchors its root; the verifier takes its
/// accepted roots from the chain; an on-chain gate admits alice once; the hospital revokes the
/// root and the verifier refuses her presentation.
pub(super) fn on_chain(d: &Demo) -> Result<()> {
    let (prover, verifier, alice, tree, revocations, today) =
        (&d.prover, &d.verifier, d.get("alice-covid"), &d.tree, &d.revocations, d.today);
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
    let (contract, _) = VerifierContract::deploy(&mut chain, &ministry, vk).map_err(chain_err)?;
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
    let public = PublicInputs {
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
    d.check("alice: roots read from the chain", &verifier.verify(&pres, &e), true, None);
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
    d.check("alice after the root is revoked", &verifier.verify(&pres, &e), false, Some(&Rejection::RootNotAccepted));
    Ok(())
}
