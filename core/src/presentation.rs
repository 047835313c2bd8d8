//! Presentations: what a holder hands a verifier — the key id, the public inputs and a
//! 128-byte compressed Groth16 proof — as JSON. Every field stays text here so the verifier
//! can say precisely which one is malformed.

use serde::{Deserialize, Serialize};

/// Format marker of [`Presentation`].
pub const PRESENTATION_FORMAT: &str = "healthzk/presentation/v2";
/// Bytes in a compressed proof: A (G1, 32) ‖ B (G2, 64) ‖ C (G1, 32).
pub const PROOF_BYTES: usize = 128;

/// Public inputs as canonical hex (and `as_of` as a date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicJson {
    /// Issuer tree root.
    pub issuer_root: String,
    /// Policy hash.
    pub policy_hash: String,
    /// `YYYY-MM-DD`.
    pub as_of: String,
    /// Verifier challenge.
    pub challenge: String,
    /// Verifier scope.
    pub scope: String,
    /// Holder nullifier for the scope.
    pub nullifier: String,
    /// Issuer revocation root the credential is proven absent from.
    pub revocation_root: String,
}

/// A presentation, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// [`PRESENTATION_FORMAT`].
    pub format: String,
    /// The statement's name ([`crate::statement::Statement::name`]); kept as text so a
    /// verifier can say what it does not know.
    pub statement: String,
    /// Hex SHA-256 of the verifying key.
    pub key_id: String,
    /// Public inputs.
    pub public: PublicJson,
    /// Hex of the 128-byte compressed proof.
    pub proof: String,
}

impl Presentation {
    /// The statement it names, or an error naming the unknown one.
    pub fn statement(&self) -> crate::Result<crate::statement::Statement> {
        self.statement.parse()
    }
}

impl PublicJson {
    /// Text form of typed public inputs.
    pub fn from_public(p: &crate::statement::PublicInputs) -> Self {
        use crate::field::to_hex;
        PublicJson {
            issuer_root: to_hex(&p.issuer_root),
            policy_hash: to_hex(&p.policy_hash),
            as_of: p.as_of.to_string(),
            challenge: to_hex(&p.challenge),
            scope: to_hex(&p.scope),
            nullifier: to_hex(&p.nullifier),
            revocation_root: to_hex(&p.revocation_root),
        }
    }

    /// Parses the typed public inputs; the error names the field.
    pub fn parse(&self) -> crate::Result<crate::statement::PublicInputs> {
        use crate::field::parse_hex;
        Ok(crate::statement::PublicInputs {
            issuer_root: parse_hex("issuer_root", &self.issuer_root)?,
            policy_hash: parse_hex("policy_hash", &self.policy_hash)?,
            as_of: crate::day::Day::parse("as_of", &self.as_of)?,
            challenge: parse_hex("challenge", &self.challenge)?,
            scope: parse_hex("scope", &self.scope)?,
            nullifier: parse_hex("nullifier", &self.nullifier)?,
            revocation_root: parse_hex("revocation_root", &self.revocation_root)?,
        })
    }
}
