//! Key files and key ids (where they live in a directory is [`crate::keydir`]).
//!
//! - `*.vk`: `HZKVK\x03`, statement byte ([`Statement::code`]), depth (u32 LE), then the
//!   verifying key, arkworks-compressed, every point validated on reading. Its key id is
//!   SHA-256 of those compressed key bytes.
//! - `*.pk`: `HZKPK\x04`, statement byte, depth (u32 LE), key id (32 bytes), SHA-256 of the
//!   body (32 bytes), then the proving key, arkworks-uncompressed. Loading checks the body hash
//!   (a truncated or corrupted file is refused before parsing) and that the key id recomputed
//!   from the embedded verifying key matches.

use ark_bn254::Bn254;
use ark_ec::AffineRepr;
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use healthzk_core::statement::Statement;
use sha2::{Digest, Sha256};
use std::fmt;
use thiserror::Error;

/// Version 3: issuer and set trees became quaternary, so version-2 keys (binary trees; and
/// version 1 before them, whose circuit order differed) would load but never produce a
/// verifying proof.
const VK_MAGIC: &[u8; 6] = b"HZKVK\x03";
/// Version 4: proving keys hold snarkjs' H query ([`crate::qap::CircomReduction`]); a version-3
/// proving key (libsnark's H query) would make proofs that never verify.
const PK_MAGIC: &[u8; 6] = b"HZKPK\x04";

/// SHA-256 of the compressed verifying key; presentations carry it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 32]);

impl KeyId {
    /// The id of `vk`.
    pub fn of(vk: &VerifyingKey<Bn254>) -> Self {
        let mut bytes = Vec::new();
        vk.serialize_compressed(&mut bytes).expect("Vec write");
        KeyId(Sha256::digest(&bytes).into())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Why a key file was refused.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not a healthzk key file of this kind/version.
    #[error("not a healthzk {0} key file of this version and statement (bad magic); keys from an older version must be set up again")]
    BadMagic(&'static str),
    /// The file is shorter than its header.
    #[error("key file truncated")]
    Truncated,
    /// The body hash does not match: corrupted or truncated.
    #[error("proving key body hash mismatch: the file is corrupted")]
    Corrupted,
    /// The key id differs from the expected one.
    #[error("key id mismatch: file has {found}, expected {expected}")]
    KeyIdMismatch {
        /// Found in the file.
        found: KeyId,
        /// Expected by the caller.
        expected: KeyId,
    },
    /// The key does not deserialize.
    #[error("key does not parse: {0}")]
    Parse(String),
}

/// Encodes a verifying key file of `statement`.
pub fn write_vk(statement: Statement, vk: &VerifyingKey<Bn254>, depth: u32) -> Vec<u8> {
    let mut out = VK_MAGIC.to_vec();
    out.push(statement.code());
    out.extend_from_slice(&depth.to_le_bytes());
    vk.serialize_compressed(&mut out).expect("Vec write");
    out
}

/// Decodes a verifying key file of `statement`, validating every point (on curve, G2 subgroup).
pub fn read_vk(statement: Statement, bytes: &[u8]) -> Result<(VerifyingKey<Bn254>, u32, KeyId), KeyError> {
    match read_any_vk(bytes)? {
        (s, vk, depth, id) if s == statement => Ok((vk, depth, id)),
        _ => Err(KeyError::BadMagic("verifying")),
    }
}

/// Decodes a verifying key file of any statement (named by its statement byte), validating
/// every point.
pub fn read_any_vk(bytes: &[u8]) -> Result<(Statement, VerifyingKey<Bn254>, u32, KeyId), KeyError> {
    if bytes.len() < 11 {
        return Err(KeyError::Truncated);
    }
    let statement = Statement::from_code(bytes[6]).filter(|_| &bytes[..6] == VK_MAGIC);
    let Some(statement) = statement else {
        return Err(KeyError::BadMagic("verifying"));
    };
    let depth = u32::from_le_bytes(bytes[7..11].try_into().expect("4 bytes"));
    let vk = VerifyingKey::<Bn254>::deserialize_with_mode(&bytes[11..], Compress::Yes, Validate::Yes)
        .map_err(|e| KeyError::Parse(e.to_string()))?;
    if vk.alpha_g1.is_zero() || vk.beta_g2.is_zero() || vk.gamma_g2.is_zero() || vk.delta_g2.is_zero() {
        return Err(KeyError::Parse(
            "alpha, beta, gamma or delta is the point at infinity: a degenerate key that verifies forgeries".into(),
        ));
    }
    let id = KeyId::of(&vk);
    Ok((statement, vk, depth, id))
}

/// Encodes a proving key file of `statement`.
pub fn write_pk(statement: Statement, pk: &ProvingKey<Bn254>, depth: u32) -> Vec<u8> {
    let mut body = Vec::new();
    pk.serialize_uncompressed(&mut body).expect("Vec write");
    let mut out = PK_MAGIC.to_vec();
    out.push(statement.code());
    out.extend_from_slice(&depth.to_le_bytes());
    out.extend_from_slice(&KeyId::of(&pk.vk).0);
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend_from_slice(&body);
    out
}

/// Decodes a proving key file of `statement`. The body is hash-checked, then read without re-validating
/// every point (it is the prover's own file; validating ~60k points would take seconds);
/// `expected` pins the key id when the caller knows it.
pub fn read_pk(
    statement: Statement,
    bytes: &[u8],
    expected: Option<KeyId>,
) -> Result<(ProvingKey<Bn254>, u32), KeyError> {
    if bytes.len() < 75 {
        return Err(KeyError::Truncated);
    }
    if &bytes[..6] != PK_MAGIC || bytes[6] != statement.code() {
        return Err(KeyError::BadMagic("proving"));
    }
    let depth = u32::from_le_bytes(bytes[7..11].try_into().expect("4 bytes"));
    let header_id = KeyId(bytes[11..43].try_into().expect("32 bytes"));
    let body = &bytes[75..];
    if Sha256::digest(body).as_slice() != &bytes[43..75] {
        return Err(KeyError::Corrupted);
    }
    let pk = ProvingKey::<Bn254>::deserialize_with_mode(body, Compress::No, Validate::No)
        .map_err(|e| KeyError::Parse(e.to_string()))?;
    let found = KeyId::of(&pk.vk);
    if found != header_id {
        return Err(KeyError::KeyIdMismatch { found, expected: header_id });
    }
    if let Some(expected) = expected {
        if found != expected {
            return Err(KeyError::KeyIdMismatch { found, expected });
        }
    }
    Ok((pk, depth))
}
