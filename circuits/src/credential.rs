//! Credential commitment gadget, twin of `healthzk_core::credential::Credential::commitment`.

use crate::{poseidon, FrVar, SynthesisError};
use ark_r1cs_std::fields::FieldVar;
use healthzk_core::{credential::credential_tag, SLOTS};

/// Credential fields as variables.
#[derive(Debug, Clone)]
pub struct CredentialVar {
    /// Schema id.
    pub schema: FrVar,
    /// Holder commitment.
    pub holder: FrVar,
    /// Attribute slots.
    pub slots: Vec<FrVar>,
    /// Issue day.
    pub issued: FrVar,
    /// Expiry day.
    pub expires: FrVar,
    /// Revocation nonce.
    pub revocation_nonce: FrVar,
    /// Salt.
    pub salt: FrVar,
}

impl CredentialVar {
    /// `Poseidon(tag, schema, holder, issued, expires, nonce, salt, P(slots[..8]), P(slots[8..]))`.
    pub fn commitment(&self) -> Result<FrVar, SynthesisError> {
        assert_eq!(self.slots.len(), SLOTS);
        let lo = poseidon::hash(&self.slots[..8])?;
        let hi = poseidon::hash(&self.slots[8..])?;
        poseidon::hash(&[
            FrVar::constant(credential_tag()),
            self.schema.clone(),
            self.holder.clone(),
            self.issued.clone(),
            self.expires.clone(),
            self.revocation_nonce.clone(),
            self.salt.clone(),
            lo,
            hi,
        ])
    }
}
