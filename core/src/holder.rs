//! The holder (patient): a secret, its public commitment `Poseidon(secret)` written into every
//! credential issued to it, and the per-scope nullifier `Poseidon(secret, scope)`.

use crate::{field, poseidon, Fr, Result};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The holder's secret. Zeroized on drop; `Debug` never prints it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HolderSecret(Fr);

impl std::fmt::Debug for HolderSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HolderSecret").finish_non_exhaustive()
    }
}

impl HolderSecret {
    /// A fresh secret: 31 random bytes (uniform below 2^248, so always canonical).
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b[1..]);
        let s = field::from_be_bytes(&b).expect("< 2^248");
        b.zeroize();
        HolderSecret(s)
    }

    /// Wraps an existing secret.
    pub fn from_fr(s: Fr) -> Self {
        HolderSecret(s)
    }

    /// Parses the secret from canonical hex.
    pub fn from_hex(s: &str) -> Result<Self> {
        Ok(HolderSecret(field::parse_hex("holder secret", s)?))
    }

    /// The secret as canonical hex (for the holder's own key file only).
    pub fn to_hex(&self) -> String {
        field::to_hex(&self.0)
    }

    /// The secret as a field element (witness for the prover).
    pub fn expose(&self) -> Fr {
        self.0
    }

    /// The holder commitment `Poseidon(secret)`.
    pub fn commitment(&self) -> HolderCommitment {
        HolderCommitment(poseidon::hash(&[self.0]))
    }

    /// The nullifier `Poseidon(secret, scope)`: stable per scope, unlinkable across scopes.
    pub fn nullifier(&self, scope: Fr) -> Fr {
        poseidon::hash(&[self.0, scope])
    }
}

/// `Poseidon(holder_secret)`, written into each credential issued to the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderCommitment(#[serde(with = "crate::serde_adapters::hex_fr")] pub Fr);

/// The holder's key file: the secret and its public commitment.
#[derive(Serialize, Deserialize)]
pub struct HolderKeyFile {
    /// Format marker, `healthzk/holder/v1`.
    pub format: String,
    /// The secret, canonical hex.
    pub secret: String,
    /// The public commitment, canonical hex.
    pub commitment: HolderCommitment,
}

impl std::fmt::Debug for HolderKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HolderKeyFile").field("commitment", &self.commitment).finish_non_exhaustive()
    }
}

impl Drop for HolderKeyFile {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl HolderKeyFile {
    /// The key file for `secret`.
    pub fn new(secret: &HolderSecret) -> Self {
        HolderKeyFile { format: "healthzk/holder/v1".into(), secret: secret.to_hex(), commitment: secret.commitment() }
    }

    /// The secret, checked against the stored commitment.
    pub fn secret(&self) -> Result<HolderSecret> {
        if self.format != "healthzk/holder/v1" {
            return Err(crate::Error::invalid(format!("holder file: unknown format {:?}", self.format)));
        }
        let s = HolderSecret::from_hex(&self.secret)?;
        if s.commitment() != self.commitment {
            return Err(crate::Error::invalid("holder file: commitment does not match the secret"));
        }
        Ok(s)
    }
}
