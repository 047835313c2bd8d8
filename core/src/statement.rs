//! The statement registry: the one definition of every statement healthzk proves — its name
//! (in presentations, bundles, the CLI and the API), its code (the statement byte of key files
//! and compact strings), its public inputs in circuit order, and the stem of its key files and
//! its Solidity verifier's name. Every layer spells a statement through [`Statement`]; adding
//! one is a variant here plus its native check, its circuit and its prover (ARCHITECTURE.md).

use crate::{day::Day, field, Error, Fr, Result};
use std::{fmt, str::FromStr};

/// A statement healthzk proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Statement {
    /// A credential in an anchored issuer tree satisfies a policy (`crate::query`).
    CredentialQuery,
    /// A registered model scores a credential's slots across a threshold (`crate::score`).
    ScoreThreshold,
}

impl Statement {
    /// Every statement, in code order.
    pub const ALL: [Statement; 2] = [Statement::CredentialQuery, Statement::ScoreThreshold];

    /// Its name: `credential-query`, `score-threshold`.
    pub const fn name(self) -> &'static str {
        match self {
            Statement::CredentialQuery => "credential-query",
            Statement::ScoreThreshold => "score-threshold",
        }
    }

    /// Its code: the statement byte of key files and compact strings (SPEC §9, §12).
    pub const fn code(self) -> u8 {
        match self {
            Statement::CredentialQuery => 1,
            Statement::ScoreThreshold => 2,
        }
    }

    /// The statement named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The statement with code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Names of its public inputs, in circuit order (what `policy_hash` carries differs: the
    /// model hash for the score statement).
    pub const fn public_inputs(self) -> [&'static str; NUM_PUBLIC_INPUTS] {
        PUBLIC_INPUT_NAMES
    }

    /// What its `policy_hash` input commits to, in words.
    pub const fn policy_hash_is(self) -> &'static str {
        match self {
            Statement::CredentialQuery => "policy hash",
            Statement::ScoreThreshold => "model hash",
        }
    }

    /// The stem of its key files (`<stem>.pk`, `<stem>.vk`; a score key adds its variant).
    pub const fn key_stem(self) -> &'static str {
        self.name()
    }

    /// The Solidity name of its exported verifier contract (`HealthzkCredentialQueryVerifier`).
    pub fn contract_name(self) -> String {
        let mut name = String::from("Healthzk");
        for part in self.name().split('-') {
            let mut cs = part.chars();
            if let Some(first) = cs.next() {
                name.push(first.to_ascii_uppercase());
                name.extend(cs);
            }
        }
        name.push_str("Verifier");
        name
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Statement {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::from_name(s).ok_or_else(|| {
            let known: Vec<_> = Self::ALL.iter().map(|s| s.name()).collect();
            Error::invalid(format!("unknown statement {s:?}; known: {}", known.join(", ")))
        })
    }
}

/// Number of public inputs.
pub const NUM_PUBLIC_INPUTS: usize = 7;

/// Names of the public inputs, in circuit order.
pub const PUBLIC_INPUT_NAMES: [&str; NUM_PUBLIC_INPUTS] =
    ["issuer_root", "policy_hash", "as_of", "challenge", "scope", "nullifier", "revocation_root"];

/// The public inputs of every statement, in this order in the circuit. For the score
/// statement `policy_hash` is the model hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicInputs {
    /// Root of the issuer's credential tree (anchored).
    pub issuer_root: Fr,
    /// Hash of the verifier's policy (the model hash for the score statement).
    pub policy_hash: Fr,
    /// The day the statement speaks of; the credential must not be expired on it.
    pub as_of: Day,
    /// The verifier's fresh nonce, bound into the proof.
    pub challenge: Fr,
    /// Verifier scope (e.g. an insurer's programme), encoded as a field element.
    pub scope: Fr,
    /// `Poseidon(holder_secret, scope)`.
    pub nullifier: Fr,
    /// Root of the issuer's revocation list (anchored, recent): the credential is not in it.
    pub revocation_root: Fr,
}

impl PublicInputs {
    /// The public inputs in circuit order: issuer_root, policy_hash, as_of, challenge, scope,
    /// nullifier, revocation_root.
    pub fn to_field_elements(&self) -> [Fr; NUM_PUBLIC_INPUTS] {
        [
            self.issuer_root,
            self.policy_hash,
            Fr::from(self.as_of.0),
            self.challenge,
            self.scope,
            self.nullifier,
            self.revocation_root,
        ]
    }

    /// Decodes circuit-order field elements (`as_of` must fit 32 bits).
    pub fn from_field_elements(x: &[Fr; NUM_PUBLIC_INPUTS]) -> Result<Self> {
        let as_of = field::to_u64(&x[2]).and_then(|v| u32::try_from(v).ok()).ok_or_else(|| Error::TooWide {
            field: "as_of".into(),
            value: field::to_hex(&x[2]),
            bits: 32,
        })?;
        Ok(PublicInputs {
            issuer_root: x[0],
            policy_hash: x[1],
            as_of: Day(as_of),
            challenge: x[3],
            scope: x[4],
            nullifier: x[5],
            revocation_root: x[6],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip_and_are_distinct() {
        for s in Statement::ALL {
            assert_eq!(Statement::from_name(s.name()), Some(s));
            assert_eq!(Statement::from_code(s.code()), Some(s));
            assert_eq!(s.name().parse::<Statement>().unwrap(), s);
        }
        assert_eq!(Statement::CredentialQuery.name(), "credential-query");
        assert_eq!(Statement::ScoreThreshold.code(), 2);
        assert_eq!(Statement::from_code(0), None);
        let e = "credential_query".parse::<Statement>().unwrap_err().to_string();
        assert!(e.contains("unknown statement \"credential_query\"; known: credential-query, score-threshold"), "{e}");
    }

    #[test]
    fn contract_names() {
        assert_eq!(Statement::CredentialQuery.contract_name(), "HealthzkCredentialQueryVerifier");
        assert_eq!(Statement::ScoreThreshold.contract_name(), "HealthzkScoreThresholdVerifier");
    }

    #[test]
    fn public_inputs_round_trip_and_as_of_is_32_bits() {
        let p = PublicInputs {
            issuer_root: Fr::from(1u64),
            policy_hash: Fr::from(2u64),
            as_of: Day(20_000),
            challenge: Fr::from(4u64),
            scope: Fr::from(5u64),
            nullifier: Fr::from(6u64),
            revocation_root: Fr::from(7u64),
        };
        assert_eq!(PublicInputs::from_field_elements(&p.to_field_elements()).unwrap(), p);
        let mut x = p.to_field_elements();
        x[2] = Fr::from(1u64 << 32);
        assert!(PublicInputs::from_field_elements(&x).is_err());
    }
}
