//! What the demo's steps share: the people it follows, the border check's state and its
//! verdict checker.

use healthzk_core::{
    credential::{Credential, CredentialRequest},
    day::Day,
    holder::HolderSecret,
    merkle::MerkleTree,
    policy::{CompiledPolicy, Policy},
    query::QueryWitness,
    revocation::{RevocationList, RevocationOpening},
    statement::PublicInputs,
    Fr,
};
use healthzk_prover::Prover;
use healthzk_verifier::{Expectations, Rejection, Verdict, Verifier};
use rand::rngs::OsRng;
use serde_json::json;
use std::{cell::Cell, time::Instant};

/// A credential the demo follows, with its holder's secret.
pub(super) struct Issued {
    pub secret: HolderSecret,
    pub credential: Credential,
    pub index: u64,
}

pub(super) fn vaccination(
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

pub(super) fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// The border check's state: keys, the hospital's tree and revocation list, the people we
/// follow, and the count of unexpected verdicts.
pub(super) struct Demo {
    pub today: Day,
    pub scope: Fr,
    pub prover: Prover,
    pub verifier: Verifier,
    pub tree: MerkleTree,
    pub people: Vec<(&'static str, Issued)>,
    pub before_revocation: RevocationList,
    pub revocations: RevocationList,
    pub failures: Cell<usize>,
}

impl Demo {
    /// Prints a verdict and counts an unexpected one.
    pub fn check(&self, label: &str, got: &Verdict, want_accept: bool, want: Option<&Rejection>) {
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
            self.fail();
        }
    }

    pub fn fail(&self) {
        self.failures.set(self.failures.get() + 1);
    }

    pub fn get(&self, name: &str) -> &Issued {
        &self.people.iter().find(|(n, _)| *n == name).expect("named").1
    }

    /// A verifier session: a fresh challenge per traveller.
    pub fn session(&self, policy: &Policy) -> (CompiledPolicy, Expectations) {
        let compiled = policy.compile().expect("preset");
        let challenge = healthzk_verifier::fresh_challenge(b"gate 12", &mut OsRng);
        let e = Expectations {
            policy_hash: compiled.hash(),
            challenge,
            scope: self.scope,
            earliest: self.today.plus(-1),
            latest: self.today.plus(1),
            accepted_roots: vec![self.tree.root()],
            accepted_revocation_roots: vec![self.revocations.root()],
        };
        (compiled, e)
    }

    /// `who`'s statement for a session, under `tree`'s root and the revocation list `list`.
    pub fn statement_in(
        &self,
        who: &Issued,
        compiled: &CompiledPolicy,
        e: &Expectations,
        tree: &MerkleTree,
        list: &RevocationList,
    ) -> (PublicInputs, QueryWitness) {
        let public = PublicInputs {
            issuer_root: tree.root(),
            policy_hash: compiled.hash(),
            as_of: self.today,
            challenge: e.challenge,
            scope: self.scope,
            nullifier: who.secret.nullifier(self.scope),
            revocation_root: list.root(),
        };
        let witness = QueryWitness {
            credential: who.credential.clone(),
            secret: who.secret.clone(),
            path: tree.path(who.index).expect("issued"),
            // A revoked credential has no gap; a forced proof opens nothing.
            revocation: list.opening(who.credential.revocation_nonce).unwrap_or_else(RevocationOpening::none),
            policy: compiled.clone(),
        };
        (public, witness)
    }

    /// `who`'s statement for a session, under the hospital's anchored root and current list.
    pub fn statement(&self, who: &Issued, compiled: &CompiledPolicy, e: &Expectations) -> (PublicInputs, QueryWitness) {
        self.statement_in(who, compiled, e, &self.tree, &self.revocations)
    }
}
