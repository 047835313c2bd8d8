//! Taking a trust bundle's snapshot from the registry (SPEC §14). The bundle format — the
//! envelope, the pins, EIP-191 signatures, validation — is `healthzk_verifier::bundle`, which
//! needs no chain client; this module only reads the chain to fill one, and signs it with an
//! [`Account`].

use crate::{chain::Account, chain::Chain, contracts::Registry, error::Error};
use healthzk_core::{field, Fr};
use healthzk_verifier::bundle::{Address, BundleFile, IssuerTrust, KeyEntry, TrustBundle};

/// The bundle-format address of a chain address.
pub fn address(a: alloy_primitives::Address) -> Address {
    Address(a.0 .0)
}

/// The chain address of a bundle-format address.
pub fn chain_address(a: Address) -> alloy_primitives::Address {
    alloy_primitives::Address::from(a.0)
}

/// Reads the snapshot from the registry: for each issuer (which must be accredited) its
/// accepted roots and current revocation root; each model hash (which must be accepted).
/// `keys` are taken as given; the bundle is valid for `valid_for` seconds from `now`.
pub fn snapshot(
    chain: &mut dyn Chain,
    registry: &Registry,
    issuers: &[alloy_primitives::Address],
    models: &[Fr],
    verifying_keys: Vec<KeyEntry>,
    now: u64,
    valid_for: u64,
) -> Result<TrustBundle, SnapshotError> {
    let mut out = Vec::with_capacity(issuers.len());
    for &a in issuers {
        if !registry.is_issuer(chain, a)? {
            return Err(SnapshotError::NotAccredited(a));
        }
        let roots = registry.accepted_roots(chain, a)?;
        let revocation_root = registry.current_revocation_root(chain, a)?;
        let revocation_root_anchored_at = match &revocation_root {
            Some(r) => registry.revocation_root_info(chain, a, r)?.map(|(at, _)| at),
            None => None,
        };
        out.push(IssuerTrust { address: address(a), roots, revocation_root, revocation_root_anchored_at });
    }
    for m in models {
        if !registry.is_model_accepted(chain, m)? {
            return Err(SnapshotError::ModelNotAccepted(field::to_hex(m)));
        }
    }
    let b = TrustBundle {
        chain_id: chain.chain_id(),
        registry: address(registry.address),
        created_at: now,
        expires_at: now.saturating_add(valid_for),
        issuers: out,
        models: models.to_vec(),
        verifying_keys,
    };
    b.validate().map_err(|e| SnapshotError::Invalid(e.to_string()))?;
    Ok(b)
}

/// Seals `bundle`, signed by `signer` if given (EIP-191 with the account's key).
pub fn seal(bundle: &TrustBundle, signer: Option<&Account>) -> Result<BundleFile, Error> {
    bundle.seal(signer.map(|a| a.signer().credential())).map_err(|e| Error::State(format!("trust bundle: {e}")))
}

/// Why a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The chain failed.
    #[error(transparent)]
    Chain(#[from] Error),
    /// An issuer asked for is not accredited on the registry.
    #[error("issuer {0} is not accredited on this registry")]
    NotAccredited(alloy_primitives::Address),
    /// A model hash asked for is not registered (or revoked, or its publisher removed).
    #[error("model {0} is not registered on this registry (or revoked, or its publisher removed)")]
    ModelNotAccepted(String),
    /// The result would not validate (e.g. a key listed twice).
    #[error("{0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Signature;
    use healthzk_verifier::bundle::{eip191_digest, Pin};

    /// The verifier's hand-rolled EIP-191 signing and recovery agree with alloy's, both ways:
    /// alloy recovers a bundle sealed by `healthzk_verifier::bundle`, and the bundle opens
    /// under the address alloy computes for the account.
    #[test]
    fn bundle_signatures_agree_with_alloy() {
        let a = Account::random();
        let b = TrustBundle {
            chain_id: 1,
            registry: Address([1; 20]),
            created_at: 0,
            expires_at: 1,
            issuers: vec![],
            models: vec![],
            verifying_keys: vec![],
        };
        let file = seal(&b, Some(&a)).unwrap();
        let sig = hex::decode(file.signature.as_ref().unwrap().value.trim_start_matches("0x")).unwrap();
        let s = Signature::from_raw(&sig).unwrap();
        assert_eq!(s.recover_address_from_msg(file.payload.as_bytes()).unwrap(), a.address());
        assert_eq!(
            alloy_primitives::eip191_hash_message(file.payload.as_bytes()).0,
            eip191_digest(file.payload.as_bytes())
        );
        assert_eq!(file.signature.as_ref().unwrap().signer, address(a.address()));
        assert_eq!(address(a.address()).to_string(), a.address().to_string(), "both show EIP-55");
        let bytes = serde_json::to_vec(&file).unwrap();
        assert_eq!(BundleFile::open(&bytes, &Pin::Signer(address(a.address()))).unwrap(), b);
        assert_eq!(chain_address(address(a.address())), a.address());
    }
}
