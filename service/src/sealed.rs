//! Holder packages encrypted to the holder: HPKE (RFC 9180) base mode,
//! DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305.
//!
//! The holder's X25519 key pair is derived from the holder secret with HPKE's `DeriveKeyPair`
//! (input keying material `"healthzk/holder-hpke/v1" ‖ secret`, 32 bytes big-endian), so the
//! holder file is the only thing a holder keeps. A blob is `enc (32 bytes) ‖ ciphertext`; its
//! id is the SHA-256 of the blob (content addressed). SPEC.md §15 has the details.

use healthzk_core::{field, holder::HolderSecret};
use hpke::{
    aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, Kem as _, OpModeR, OpModeS,
    Serializable,
};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// HPKE `info`: binds every blob to this use.
pub const INFO: &[u8] = b"healthzk/package/v1";
/// Prefix of the key-derivation input.
pub const IKM_TAG: &[u8] = b"healthzk/holder-hpke/v1";
/// Bytes of an X25519 public key (and of `enc`).
pub const KEY_BYTES: usize = 32;

type Kem = X25519HkdfSha256;

/// Why a blob could not be opened or a key not parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The public key is not 32 bytes of hex.
    #[error("holder_key: expected 64 hex digits (an X25519 public key), got {0}")]
    BadKey(String),
    /// Too short to hold `enc` and a tag.
    #[error("blob too short ({0} bytes)")]
    TooShort(usize),
    /// Authentication failed: another holder's blob, or altered.
    #[error("cannot decrypt: the blob is not for this holder, or it was altered")]
    Decrypt,
}

fn keypair(secret: &HolderSecret) -> (<Kem as hpke::Kem>::PrivateKey, <Kem as hpke::Kem>::PublicKey) {
    let mut ikm = IKM_TAG.to_vec();
    ikm.extend_from_slice(&field::to_be_bytes(&secret.expose()));
    let kp = Kem::derive_keypair(&ikm);
    ikm.zeroize();
    kp
}

/// The holder's HPKE public key, hex (what an issuer encrypts to).
pub fn holder_public_key(secret: &HolderSecret) -> String {
    hex::encode(keypair(secret).1.to_bytes())
}

/// Encrypts `plaintext` to the holder key `public_hex`.
pub fn seal<R: RngCore + CryptoRng>(public_hex: &str, plaintext: &[u8], rng: &mut R) -> Result<Vec<u8>, SealError> {
    let bytes = hex::decode(public_hex.trim_start_matches("0x"))
        .ok()
        .filter(|b| b.len() == KEY_BYTES)
        .ok_or_else(|| SealError::BadKey(format!("{} characters", public_hex.len())))?;
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(&bytes).map_err(|_| SealError::BadKey("not a key".into()))?;
    let (enc, ct) =
        hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(&OpModeS::Base, &pk, INFO, plaintext, &[], rng)
            .map_err(|_| SealError::BadKey("rejected by HPKE".into()))?;
    let mut blob = enc.to_bytes().to_vec();
    blob.extend_from_slice(&ct);
    Ok(blob)
}

/// Decrypts a blob with the holder's secret.
pub fn open(secret: &HolderSecret, blob: &[u8]) -> Result<Vec<u8>, SealError> {
    if blob.len() < KEY_BYTES + 16 {
        return Err(SealError::TooShort(blob.len()));
    }
    let (sk, _) = keypair(secret);
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&blob[..KEY_BYTES]).map_err(|_| SealError::Decrypt)?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &sk,
        &enc,
        INFO,
        &blob[KEY_BYTES..],
        &[],
    )
    .map_err(|_| SealError::Decrypt)
}

/// A blob's content id: lowercase hex SHA-256.
pub fn blob_id(blob: &[u8]) -> String {
    hex::encode(Sha256::digest(blob))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn only_the_holder_opens_its_blob() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let alice = HolderSecret::random(&mut rng);
        let bob = HolderSecret::random(&mut rng);
        let blob = seal(&holder_public_key(&alice), b"package", &mut rng).unwrap();
        assert_eq!(open(&alice, &blob).unwrap(), b"package");
        assert_eq!(open(&bob, &blob), Err(SealError::Decrypt));
        let mut altered = blob.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&alice, &altered), Err(SealError::Decrypt));
        assert_eq!(open(&alice, &blob[..20]), Err(SealError::TooShort(20)));
        assert!(matches!(seal("zz", b"x", &mut rng), Err(SealError::BadKey(_))));
        // Deterministic derivation: the same secret gives the same key.
        assert_eq!(holder_public_key(&alice), holder_public_key(&alice));
        assert_eq!(blob_id(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
