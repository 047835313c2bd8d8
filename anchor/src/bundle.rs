//! Offline trust bundles: a snapshot of what the chain says a verifier should trust — each
//! issuer's accepted tree roots and current revocation root, the registered model hashes —
//! together with the verifying keys, so a border gate with no network can verify
//! presentations (SPEC §14).
//!
//! A bundle file is an envelope around a payload kept as the exact text that was hashed and
//! signed, so no JSON canonicalisation is ever needed:
//!
//! ```json
//! { "format": "healthzk/trust-bundle/v1",
//!   "payload": "{\"chain_id\":1337,…}",
//!   "signature": { "scheme": "eip191-secp256k1", "signer": "0x…", "value": "0x…65 bytes" } }
//! ```
//!
//! A verifier pins the bundle one of two ways before trusting a byte of it: by the SHA-256 of
//! the payload's UTF-8 bytes (distributed out of band), or by the chain address of the
//! authority that signed it (an Ethereum `personal_sign` / EIP-191 signature over the payload
//! bytes, checkable with any Ethereum library). An unpinned bundle is never opened. A bundle
//! carries its own expiry: a revocation made after the bundle was cut is invisible to it, so
//! `expires_at` bounds how stale an offline verifier may be.

use crate::{contracts::Registry, Account, Chain, Error};
use alloy::signers::SignerSync;
use alloy_primitives::{Address, Signature};
use healthzk_core::{field, Fr};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// The envelope's format marker.
pub const BUNDLE_FORMAT: &str = "healthzk/trust-bundle/v1";
/// The only signature scheme: EIP-191 (`personal_sign`) over the payload bytes, secp256k1.
pub const SIGNATURE_SCHEME: &str = "eip191-secp256k1";

/// Why a bundle cannot be used. Every variant is the operator's to fix (a new bundle or the
/// right pin), never something to verify around.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Not a bundle envelope or payload we can read; says where.
    #[error("malformed trust bundle: {0}")]
    Malformed(String),
    /// The pin is a signer but the bundle carries no signature.
    #[error("the trust bundle is not signed; pin it by --bundle-sha256 instead, or ask for a signed one")]
    NotSigned,
    /// The signature does not decode or recover.
    #[error("the trust bundle's signature is malformed: {0}")]
    BadSignature(String),
    /// The payload was signed by someone else (or altered after signing).
    #[error("the trust bundle is signed by {actual}, not by the pinned {expected} (or it was altered after signing)")]
    WrongSigner {
        /// The pinned authority.
        expected: Address,
        /// Who the signature recovers to.
        actual: Address,
    },
    /// The payload's SHA-256 is not the pinned one.
    #[error("the trust bundle's SHA-256 is {actual}, not the pinned {expected}")]
    DigestMismatch {
        /// The pinned digest (hex).
        expected: String,
        /// The payload's digest (hex).
        actual: String,
    },
    /// The bundle is past its expiry.
    #[error("the trust bundle expired at unix time {expires_at} (now {now}); fetch a fresh one")]
    Expired {
        /// Its `expires_at`.
        expires_at: u64,
        /// The verifier's clock.
        now: u64,
    },
}

/// How a verifier authenticates a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// Signed (EIP-191) by this chain address.
    Signer(Address),
    /// The payload's SHA-256.
    Sha256([u8; 32]),
}

/// What one issuer may be trusted for, as of the bundle's creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerTrust {
    /// The issuer's chain address.
    pub address: Address,
    /// Its anchored, unrevoked tree roots.
    #[serde(with = "field::hex_fr_vec")]
    pub roots: Vec<Fr>,
    /// Its current revocation root; `None` if it never anchored one (then none of its
    /// presentations can be accepted).
    #[serde(with = "hex_fr_opt")]
    pub revocation_root: Option<Fr>,
    /// When that revocation root was anchored (unix seconds).
    pub revocation_root_anchored_at: Option<u64>,
}

/// A verifying key, as the bytes of its key file (`*.vk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// `credential-query` or `score-threshold`.
    pub statement: String,
    /// The key id (hex, 32 bytes), which a presentation names.
    pub key_id: String,
    /// The key file, hex.
    pub key: String,
}

/// The payload: what the verifier trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustBundle {
    /// The chain the snapshot was read from.
    pub chain_id: u64,
    /// Its `AnchorRegistry`.
    pub registry: Address,
    /// When the snapshot was taken (unix seconds).
    pub created_at: u64,
    /// After this (unix seconds) the bundle is refused.
    pub expires_at: u64,
    /// The issuers the verifier accepts.
    pub issuers: Vec<IssuerTrust>,
    /// Registered, unrevoked model hashes (for score presentations).
    #[serde(with = "field::hex_fr_vec")]
    pub models: Vec<Fr>,
    /// The verifying keys.
    pub verifying_keys: Vec<KeyEntry>,
}

/// The signature object of the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSignature {
    /// [`SIGNATURE_SCHEME`].
    pub scheme: String,
    /// The signer's address (informational: the pin decides, by recovery).
    pub signer: Address,
    /// The 65-byte signature `r ‖ s ‖ v`, hex.
    pub value: String,
}

/// The bundle file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleFile {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The [`TrustBundle`] as JSON text: the bytes that are hashed and signed.
    pub payload: String,
    /// EIP-191 signature over the payload, if signed.
    pub signature: Option<BundleSignature>,
}

/// SHA-256 of a payload, the hash pin.
pub fn payload_sha256(payload: &str) -> [u8; 32] {
    Sha256::digest(payload.as_bytes()).into()
}

impl TrustBundle {
    /// Reads the snapshot from the registry: for each issuer (which must be accredited) its
    /// accepted roots and current revocation root; each model hash (which must be accepted).
    /// `keys` are taken as given; the bundle is valid for `valid_for` seconds from `now`.
    pub fn snapshot(
        chain: &mut dyn Chain,
        registry: &Registry,
        issuers: &[Address],
        models: &[Fr],
        verifying_keys: Vec<KeyEntry>,
        now: u64,
        valid_for: u64,
    ) -> Result<TrustBundle, SnapshotError> {
        let mut out = Vec::with_capacity(issuers.len());
        for &address in issuers {
            if !registry.is_issuer(chain, address)? {
                return Err(SnapshotError::NotAccredited(address));
            }
            let roots = registry.accepted_roots(chain, address)?;
            let revocation_root = registry.current_revocation_root(chain, address)?;
            let revocation_root_anchored_at = match &revocation_root {
                Some(r) => registry.revocation_root_info(chain, address, r)?.map(|(at, _)| at),
                None => None,
            };
            out.push(IssuerTrust { address, roots, revocation_root, revocation_root_anchored_at });
        }
        for m in models {
            if !registry.is_model_accepted(chain, m)? {
                return Err(SnapshotError::ModelNotAccepted(field::to_hex(m)));
            }
        }
        let b = TrustBundle {
            chain_id: chain.chain_id(),
            registry: registry.address,
            created_at: now,
            expires_at: now.saturating_add(valid_for),
            issuers: out,
            models: models.to_vec(),
            verifying_keys,
        };
        b.validate().map_err(|e| SnapshotError::Invalid(e.to_string()))?;
        Ok(b)
    }

    /// Structural checks a reader relies on: distinct issuers, no root claimed by two
    /// issuers (a root names its issuer), key ids 32 bytes of hex and distinct.
    pub fn validate(&self) -> Result<(), BundleError> {
        let mut issuers = HashSet::new();
        let mut roots = HashSet::new();
        for i in &self.issuers {
            if !issuers.insert(i.address) {
                return Err(BundleError::Malformed(format!("issuer {} is listed twice", i.address)));
            }
            if i.revocation_root.is_some() != i.revocation_root_anchored_at.is_some() {
                return Err(BundleError::Malformed(format!(
                    "issuer {}: revocation_root and revocation_root_anchored_at go together",
                    i.address
                )));
            }
            for r in &i.roots {
                if !roots.insert(field::to_be_bytes(r)) {
                    return Err(BundleError::Malformed(format!("root {} is listed twice", field::to_hex(r))));
                }
            }
        }
        let mut ids = HashSet::new();
        for k in &self.verifying_keys {
            let id = hex::decode(&k.key_id).ok().filter(|b| b.len() == 32);
            if id.is_none() {
                return Err(BundleError::Malformed(format!("key id {:?} is not 32 bytes of hex", k.key_id)));
            }
            if !ids.insert(k.key_id.to_ascii_lowercase()) {
                return Err(BundleError::Malformed(format!("key id {} is listed twice", k.key_id)));
            }
            if hex::decode(&k.key).is_err() {
                return Err(BundleError::Malformed(format!("key {}: the key file is not hex", k.key_id)));
            }
        }
        if self.expires_at < self.created_at {
            return Err(BundleError::Malformed("expires_at is before created_at".into()));
        }
        Ok(())
    }

    /// Refuses an expired bundle (`now` in unix seconds).
    pub fn check_current(&self, now: u64) -> Result<(), BundleError> {
        if now >= self.expires_at {
            return Err(BundleError::Expired { expires_at: self.expires_at, now });
        }
        Ok(())
    }

    /// The issuer that anchored `root`, if it is accepted.
    pub fn issuer_of(&self, root: &Fr) -> Option<&IssuerTrust> {
        self.issuers.iter().find(|i| i.roots.contains(root))
    }

    /// The verifying key a presentation names (key id in hex, case-insensitive).
    pub fn key(&self, key_id: &str) -> Option<&KeyEntry> {
        self.verifying_keys.iter().find(|k| k.key_id.eq_ignore_ascii_case(key_id))
    }

    /// Whether a model hash is among the registered ones.
    pub fn model_accepted(&self, hash: &Fr) -> bool {
        self.models.contains(hash)
    }

    /// Serializes the payload and wraps it, signed by `signer` if given.
    pub fn seal(&self, signer: Option<&Account>) -> Result<BundleFile, Error> {
        let payload = serde_json::to_string(self).map_err(|e| Error::State(format!("trust bundle: {e}")))?;
        let signature = match signer {
            None => None,
            Some(a) => {
                let sig = a
                    .signer()
                    .sign_message_sync(payload.as_bytes())
                    .map_err(|e| Error::BadKey(format!("cannot sign: {e}")))?;
                Some(BundleSignature {
                    scheme: SIGNATURE_SCHEME.into(),
                    signer: a.address(),
                    value: format!("0x{}", hex::encode(sig.as_bytes())),
                })
            }
        };
        Ok(BundleFile { format: BUNDLE_FORMAT.into(), payload, signature })
    }
}

impl BundleFile {
    /// Parses a bundle file, authenticates its payload against `pin`, and only then parses
    /// and validates the payload. Expiry is the caller's check ([`TrustBundle::check_current`]),
    /// so `show` can describe an expired bundle.
    pub fn open(bytes: &[u8], pin: &Pin) -> Result<TrustBundle, BundleError> {
        let file: BundleFile =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(format!("envelope: {e}")))?;
        if file.format != BUNDLE_FORMAT {
            return Err(BundleError::Malformed(format!("format {:?}, expected {BUNDLE_FORMAT:?}", file.format)));
        }
        match pin {
            Pin::Sha256(expected) => {
                let actual = payload_sha256(&file.payload);
                if &actual != expected {
                    return Err(BundleError::DigestMismatch {
                        expected: hex::encode(expected),
                        actual: hex::encode(actual),
                    });
                }
            }
            Pin::Signer(expected) => {
                let actual = file.recover_signer()?;
                if actual != *expected {
                    return Err(BundleError::WrongSigner { expected: *expected, actual });
                }
            }
        }
        file.payload_unauthenticated()
    }

    /// Who signed the payload (by recovery; `signer` in the file is not trusted).
    pub fn recover_signer(&self) -> Result<Address, BundleError> {
        let sig = self.signature.as_ref().ok_or(BundleError::NotSigned)?;
        if sig.scheme != SIGNATURE_SCHEME {
            return Err(BundleError::BadSignature(format!("scheme {:?}, expected {SIGNATURE_SCHEME:?}", sig.scheme)));
        }
        let v = sig.value.strip_prefix("0x").unwrap_or(&sig.value);
        let bytes = hex::decode(v).map_err(|_| BundleError::BadSignature("not hex".into()))?;
        if bytes.len() != 65 {
            return Err(BundleError::BadSignature(format!("{} bytes, expected 65", bytes.len())));
        }
        let sig = Signature::from_raw(&bytes).map_err(|e| BundleError::BadSignature(e.to_string()))?;
        sig.recover_address_from_msg(self.payload.as_bytes()).map_err(|e| BundleError::BadSignature(e.to_string()))
    }

    /// The payload, parsed and validated but NOT authenticated: for display only.
    pub fn payload_unauthenticated(&self) -> Result<TrustBundle, BundleError> {
        let b: TrustBundle =
            serde_json::from_str(&self.payload).map_err(|e| BundleError::Malformed(format!("payload: {e}")))?;
        b.validate()?;
        Ok(b)
    }
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
    NotAccredited(Address),
    /// A model hash asked for is not registered (or revoked, or its publisher removed).
    #[error("model {0} is not registered on this registry (or revoked, or its publisher removed)")]
    ModelNotAccepted(String),
    /// The result would not validate (e.g. a key listed twice).
    #[error("{0}")]
    Invalid(String),
}

/// Serde adapter: an optional field element as canonical hex or `null`.
mod hex_fr_opt {
    use healthzk_core::{field, Fr};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(x: &Option<Fr>, s: S) -> Result<S::Ok, S::Error> {
        x.as_ref().map(field::to_hex).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Fr>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| field::parse_hex("revocation_root", &s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TrustBundle {
        TrustBundle {
            chain_id: 1337,
            registry: Address::repeat_byte(0x11),
            created_at: 1_000,
            expires_at: 2_000,
            issuers: vec![
                IssuerTrust {
                    address: Address::repeat_byte(0x22),
                    roots: vec![Fr::from(5u64), Fr::from(6u64)],
                    revocation_root: Some(Fr::from(7u64)),
                    revocation_root_anchored_at: Some(900),
                },
                IssuerTrust {
                    address: Address::repeat_byte(0x33),
                    roots: vec![Fr::from(8u64)],
                    revocation_root: None,
                    revocation_root_anchored_at: None,
                },
            ],
            models: vec![Fr::from(9u64)],
            verifying_keys: vec![KeyEntry {
                statement: "credential-query".into(),
                key_id: "ab".repeat(32),
                key: "0102".into(),
            }],
        }
    }

    fn bytes(f: &BundleFile) -> Vec<u8> {
        serde_json::to_vec(f).unwrap()
    }

    #[test]
    fn signed_bundle_opens_for_its_signer_only() {
        let (authority, other) = (Account::random(), Account::random());
        let file = sample().seal(Some(&authority)).unwrap();
        let b = BundleFile::open(&bytes(&file), &Pin::Signer(authority.address())).unwrap();
        assert_eq!(b, sample());
        let e = BundleFile::open(&bytes(&file), &Pin::Signer(other.address())).unwrap_err();
        assert_eq!(e, BundleError::WrongSigner { expected: other.address(), actual: authority.address() });
        // The claimed signer field is not what decides.
        let mut lying = file.clone();
        lying.signature.as_mut().unwrap().signer = other.address();
        assert!(matches!(
            BundleFile::open(&bytes(&lying), &Pin::Signer(other.address())),
            Err(BundleError::WrongSigner { .. })
        ));
    }

    #[test]
    fn an_altered_payload_is_refused_by_either_pin() {
        let authority = Account::random();
        let file = sample().seal(Some(&authority)).unwrap();
        let digest = payload_sha256(&file.payload);
        assert_eq!(BundleFile::open(&bytes(&file), &Pin::Sha256(digest)), Ok(sample()));
        let mut altered = file.clone();
        // The attacker adds a root of their own.
        let mut b = sample();
        b.issuers[0].roots.push(Fr::from(666u64));
        altered.payload = serde_json::to_string(&b).unwrap();
        match BundleFile::open(&bytes(&altered), &Pin::Signer(authority.address())) {
            Err(BundleError::WrongSigner { expected, actual }) => {
                assert_eq!(expected, authority.address());
                assert_ne!(actual, authority.address());
            }
            other => panic!("expected WrongSigner, got {other:?}"),
        }
        assert!(matches!(
            BundleFile::open(&bytes(&altered), &Pin::Sha256(digest)),
            Err(BundleError::DigestMismatch { .. })
        ));
    }

    #[test]
    fn unsigned_and_malformed_bundles_are_named() {
        let file = sample().seal(None).unwrap();
        assert_eq!(BundleFile::open(&bytes(&file), &Pin::Signer(Address::ZERO)), Err(BundleError::NotSigned));
        let digest = payload_sha256(&file.payload);
        assert_eq!(BundleFile::open(&bytes(&file), &Pin::Sha256(digest)).unwrap(), sample());

        let mut bad_sig = sample().seal(Some(&Account::random())).unwrap();
        bad_sig.signature.as_mut().unwrap().value = "0x1234".into();
        assert_eq!(
            BundleFile::open(&bytes(&bad_sig), &Pin::Signer(Address::ZERO)),
            Err(BundleError::BadSignature("2 bytes, expected 65".into()))
        );
        let e = BundleFile::open(b"{\"format\":1}", &Pin::Sha256(digest)).unwrap_err();
        assert!(matches!(e, BundleError::Malformed(m) if m.starts_with("envelope:")));
        let mut wrong = file.clone();
        wrong.format = "healthzk/trust-bundle/v0".into();
        assert!(
            matches!(BundleFile::open(&bytes(&wrong), &Pin::Sha256(digest)), Err(BundleError::Malformed(m)) if m.contains("v0"))
        );

        // A pinned payload that is itself bad: non-canonical root, duplicate root.
        let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        let payload = file.payload.replace(&field::to_hex(&Fr::from(5u64)), r);
        let noncanonical = BundleFile { payload: payload.clone(), ..file.clone() };
        let e = BundleFile::open(&bytes(&noncanonical), &Pin::Sha256(payload_sha256(&payload))).unwrap_err();
        assert!(matches!(&e, BundleError::Malformed(m) if m.contains("payload")), "{e}");
        let mut dup = sample();
        dup.issuers[1].roots.push(Fr::from(5u64));
        let f = dup.seal(None).unwrap();
        let e = BundleFile::open(&bytes(&f), &Pin::Sha256(payload_sha256(&f.payload))).unwrap_err();
        assert_eq!(e, BundleError::Malformed(format!("root {} is listed twice", field::to_hex(&Fr::from(5u64)))));
    }

    #[test]
    fn expiry_and_lookups() {
        let b = sample();
        assert_eq!(b.check_current(1_999), Ok(()));
        assert_eq!(b.check_current(2_000), Err(BundleError::Expired { expires_at: 2_000, now: 2_000 }));
        assert_eq!(b.issuer_of(&Fr::from(6u64)).unwrap().address, Address::repeat_byte(0x22));
        assert_eq!(b.issuer_of(&Fr::from(8u64)).unwrap().revocation_root, None);
        assert!(b.issuer_of(&Fr::from(7u64)).is_none(), "a revocation root is not a tree root");
        assert!(b.key(&"AB".repeat(32)).is_some());
        assert!(b.key(&"cd".repeat(32)).is_none());
        assert!(b.model_accepted(&Fr::from(9u64)) && !b.model_accepted(&Fr::from(5u64)));
    }

    /// The signature is plain EIP-191: the digest is keccak256 of the prefixed payload, so an
    /// Ethereum library's `verifyMessage(payload, signature)` recovers the same address.
    #[test]
    fn signature_is_eip191_over_the_payload() {
        let a = Account::random();
        let file = sample().seal(Some(&a)).unwrap();
        let sig = hex::decode(file.signature.unwrap().value.trim_start_matches("0x")).unwrap();
        let prefixed =
            [format!("\x19Ethereum Signed Message:\n{}", file.payload.len()).as_bytes(), file.payload.as_bytes()]
                .concat();
        let digest = alloy_primitives::keccak256(prefixed);
        let s = Signature::from_raw(&sig).unwrap();
        assert_eq!(s.recover_address_from_prehash(&digest).unwrap(), a.address());
    }
}
