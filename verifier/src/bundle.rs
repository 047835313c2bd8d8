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
//!
//! This module reads, checks and seals bundles; it needs secp256k1 and Keccak-256 for the
//! signature, not an Ethereum client, so it builds wherever the verifier does (wasm32
//! included). Taking the snapshot from a chain is `healthzk-anchor`'s.

use healthzk_core::{field, Fr};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use sha3::Keccak256;
use std::{collections::HashSet, fmt, str::FromStr};

/// The envelope's format marker.
pub const BUNDLE_FORMAT: &str = "healthzk/trust-bundle/v1";
/// The only signature scheme: EIP-191 (`personal_sign`) over the payload bytes, secp256k1.
pub const SIGNATURE_SCHEME: &str = "eip191-secp256k1";

/// A 20-byte Ethereum address. Parsed from `0x` + 40 hex digits in any case; shown with the
/// EIP-55 mixed-case checksum; serialized in lowercase.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The address of a secp256k1 public key: the last 20 bytes of Keccak-256 of its
    /// uncompressed encoding (without the `0x04` tag).
    pub fn of_key(key: &VerifyingKey) -> Self {
        let point = key.to_encoded_point(false);
        let hash = Keccak256::digest(&point.as_bytes()[1..]);
        let mut a = [0u8; 20];
        a.copy_from_slice(&hash[12..]);
        Address(a)
    }

    /// Lowercase `0x` hex.
    pub fn to_lower_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }
}

impl fmt::Display for Address {
    /// EIP-55: a hex letter is upper case where the matching nibble of Keccak-256 of the
    /// lowercase hex is 8 or more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lower = hex::encode(self.0);
        let hash = Keccak256::digest(lower.as_bytes());
        let mut out = String::with_capacity(42);
        out.push_str("0x");
        for (i, c) in lower.chars().enumerate() {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
            out.push(if c.is_ascii_alphabetic() && nibble >= 8 { c.to_ascii_uppercase() } else { c });
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

/// Why text is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address (0x and 40 hex digits)")]
pub struct AddressError(pub String);

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
        let mut a = [0u8; 20];
        if t.len() != 40 || hex::decode_to_slice(t, &mut a).is_err() {
            return Err(AddressError(s.chars().take(64).collect()));
        }
        Ok(Address(a))
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_lower_hex().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

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
    #[serde(with = "healthzk_core::serde_adapters::hex_fr_vec")]
    pub roots: Vec<Fr>,
    /// Its current revocation root; `None` if it never anchored one (then none of its
    /// presentations can be accepted).
    #[serde(with = "healthzk_core::serde_adapters::hex_fr_opt")]
    pub revocation_root: Option<Fr>,
    /// When that revocation root was anchored (unix seconds).
    pub revocation_root_anchored_at: Option<u64>,
}

/// A verifying key, as the bytes of its key file (`*.vk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The statement's name (`healthzk_core::statement`).
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
    #[serde(with = "healthzk_core::serde_adapters::hex_fr_vec")]
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

/// The EIP-191 (`personal_sign`) digest of a message: Keccak-256 of
/// `"\x19Ethereum Signed Message:\n" ‖ decimal length ‖ message`.
pub fn eip191_digest(message: &[u8]) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(format!("\x19Ethereum Signed Message:\n{}", message.len()).as_bytes());
    h.update(message);
    h.finalize().into()
}

/// Signs `message` as `personal_sign` does: 65 bytes `r ‖ s ‖ v` with low `s` and
/// `v` = 27 + the recovery parity.
pub fn eip191_sign(key: &SigningKey, message: &[u8]) -> Result<[u8; 65], BundleError> {
    let (sig, recid) = key
        .sign_prehash_recoverable(&eip191_digest(message))
        .map_err(|e| BundleError::BadSignature(format!("cannot sign: {e}")))?;
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&sig.to_bytes());
    out[64] = 27 + recid.to_byte();
    Ok(out)
}

/// Who signed `message` (EIP-191), recovered from a 65-byte `r ‖ s ‖ v` signature
/// (`v` 0, 1, 27 or 28; a high `s` is normalized, as Ethereum libraries do on recovery).
pub fn eip191_recover(message: &[u8], signature: &[u8]) -> Result<Address, BundleError> {
    let bytes: &[u8; 65] = signature
        .try_into()
        .map_err(|_| BundleError::BadSignature(format!("{} bytes, expected 65", signature.len())))?;
    let parity = match bytes[64] {
        0 | 27 => false,
        1 | 28 => true,
        v => return Err(BundleError::BadSignature(format!("recovery byte v = {v}, expected 27 or 28"))),
    };
    let mut sig =
        Signature::from_slice(&bytes[..64]).map_err(|_| BundleError::BadSignature("r or s out of range".into()))?;
    let mut recid = RecoveryId::new(parity, false);
    if let Some(low) = sig.normalize_s() {
        sig = low;
        recid = RecoveryId::new(!parity, false);
    }
    let key = VerifyingKey::recover_from_prehash(&eip191_digest(message), &sig, recid)
        .map_err(|_| BundleError::BadSignature("no public key recovers from it".into()))?;
    Ok(Address::of_key(&key))
}

impl TrustBundle {
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

    /// Serializes the payload and wraps it, signed (EIP-191) by `signer` if given.
    pub fn seal(&self, signer: Option<&SigningKey>) -> Result<BundleFile, BundleError> {
        self.validate()?;
        let payload = serde_json::to_string(self).map_err(|e| BundleError::Malformed(format!("payload: {e}")))?;
        let signature = match signer {
            None => None,
            Some(key) => Some(BundleSignature {
                scheme: SIGNATURE_SCHEME.into(),
                signer: Address::of_key(key.verifying_key()),
                value: format!("0x{}", hex::encode(eip191_sign(key, payload.as_bytes())?)),
            }),
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
        eip191_recover(self.payload.as_bytes(), &bytes)
    }

    /// The payload, parsed and validated but NOT authenticated: for display only.
    pub fn payload_unauthenticated(&self) -> Result<TrustBundle, BundleError> {
        let b: TrustBundle =
            serde_json::from_str(&self.payload).map_err(|e| BundleError::Malformed(format!("payload: {e}")))?;
        b.validate()?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_slice(&[seed; 32]).unwrap()
    }

    fn addr(k: &SigningKey) -> Address {
        Address::of_key(k.verifying_key())
    }

    fn sample() -> TrustBundle {
        TrustBundle {
            chain_id: 1337,
            registry: Address([0x11; 20]),
            created_at: 1_000,
            expires_at: 2_000,
            issuers: vec![
                IssuerTrust {
                    address: Address([0x22; 20]),
                    roots: vec![Fr::from(5u64), Fr::from(6u64)],
                    revocation_root: Some(Fr::from(7u64)),
                    revocation_root_anchored_at: Some(900),
                },
                IssuerTrust {
                    address: Address([0x33; 20]),
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

    /// Known answers: the address of private key 1 (the generator), and EIP-55's own examples.
    #[test]
    fn addresses_match_ethereum() {
        let mut one = [0u8; 32];
        one[31] = 1;
        let k = SigningKey::from_slice(&one).unwrap();
        assert_eq!(addr(&k).to_string(), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
        for s in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let a: Address = s.to_ascii_lowercase().parse().unwrap();
            assert_eq!(a.to_string(), s);
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", s.to_ascii_lowercase()));
        }
        for bad in
            ["0x12", "", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00"]
        {
            assert!(bad.parse::<Address>().is_err(), "{bad}");
        }
    }

    /// `personal_sign` by private key 1 of "hello", as ethers computes it (deterministic
    /// RFC 6979 nonce): the digest, the signature, and its recovery.
    #[test]
    fn eip191_known_answer() {
        assert_eq!(
            hex::encode(eip191_digest(b"hello")),
            "50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750"
        );
        let mut one = [0u8; 32];
        one[31] = 1;
        let k = SigningKey::from_slice(&one).unwrap();
        let sig = eip191_sign(&k, b"hello").unwrap();
        // ethers 5: `new Wallet(key 1).signMessage("hello")`.
        assert_eq!(
            hex::encode(sig),
            "e5ddc160e4c8f92de507c7db9b982d4f9b7197bfa421864aeadc586bc96b09ae\
             0ba0c5b131650ae4994cff1839341d00f3735ef5abc62ac8fe2cf50f65208e2a1b"
        );
        assert_eq!(eip191_recover(b"hello", &sig).unwrap(), addr(&k));
        // v as 0/1 recovers the same; the high-s twin of the signature too.
        let mut low_v = sig;
        low_v[64] -= 27;
        assert_eq!(eip191_recover(b"hello", &low_v).unwrap(), addr(&k));
        let s = Signature::from_slice(&sig[..64]).unwrap();
        let (r, s_low) = s.split_scalars();
        let high = Signature::from_scalars(r, -*s_low).unwrap();
        let mut twin = [0u8; 65];
        twin[..64].copy_from_slice(&high.to_bytes());
        twin[64] = if sig[64] == 27 { 28 } else { 27 };
        assert_eq!(eip191_recover(b"hello", &twin).unwrap(), addr(&k));
        assert_ne!(eip191_recover(b"hellp", &sig).unwrap(), addr(&k));
        let mut bad_v = sig;
        bad_v[64] = 29;
        assert_eq!(
            eip191_recover(b"hello", &bad_v),
            Err(BundleError::BadSignature("recovery byte v = 29, expected 27 or 28".into()))
        );
        assert_eq!(eip191_recover(b"hello", &[0u8; 65]), Err(BundleError::BadSignature("r or s out of range".into())));
    }

    #[test]
    fn signed_bundle_opens_for_its_signer_only() {
        let (authority, other) = (key(1), key(2));
        let file = sample().seal(Some(&authority)).unwrap();
        let b = BundleFile::open(&bytes(&file), &Pin::Signer(addr(&authority))).unwrap();
        assert_eq!(b, sample());
        let e = BundleFile::open(&bytes(&file), &Pin::Signer(addr(&other))).unwrap_err();
        assert_eq!(e, BundleError::WrongSigner { expected: addr(&other), actual: addr(&authority) });
        // The claimed signer field is not what decides.
        let mut lying = file.clone();
        lying.signature.as_mut().unwrap().signer = addr(&other);
        assert!(matches!(
            BundleFile::open(&bytes(&lying), &Pin::Signer(addr(&other))),
            Err(BundleError::WrongSigner { .. })
        ));
    }

    #[test]
    fn an_altered_payload_is_refused_by_either_pin() {
        let authority = key(3);
        let file = sample().seal(Some(&authority)).unwrap();
        let digest = payload_sha256(&file.payload);
        assert_eq!(BundleFile::open(&bytes(&file), &Pin::Sha256(digest)), Ok(sample()));
        let mut altered = file.clone();
        // The attacker adds a root of their own.
        let mut b = sample();
        b.issuers[0].roots.push(Fr::from(666u64));
        altered.payload = serde_json::to_string(&b).unwrap();
        match BundleFile::open(&bytes(&altered), &Pin::Signer(addr(&authority))) {
            Err(BundleError::WrongSigner { expected, actual }) => {
                assert_eq!(expected, addr(&authority));
                assert_ne!(actual, addr(&authority));
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
        assert_eq!(BundleFile::open(&bytes(&file), &Pin::Signer(Address::default())), Err(BundleError::NotSigned));
        let digest = payload_sha256(&file.payload);
        assert_eq!(BundleFile::open(&bytes(&file), &Pin::Sha256(digest)).unwrap(), sample());

        let mut bad_sig = sample().seal(Some(&key(4))).unwrap();
        bad_sig.signature.as_mut().unwrap().value = "0x1234".into();
        assert_eq!(
            BundleFile::open(&bytes(&bad_sig), &Pin::Signer(Address::default())),
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
        let payload = serde_json::to_string(&dup).unwrap();
        let f = BundleFile { format: BUNDLE_FORMAT.into(), payload: payload.clone(), signature: None };
        let e = BundleFile::open(&bytes(&f), &Pin::Sha256(payload_sha256(&payload))).unwrap_err();
        assert_eq!(e, BundleError::Malformed(format!("root {} is listed twice", field::to_hex(&Fr::from(5u64)))));
        // Nor does one seal.
        assert_eq!(dup.seal(None).unwrap_err(), e);
    }

    #[test]
    fn expiry_and_lookups() {
        let b = sample();
        assert_eq!(b.check_current(1_999), Ok(()));
        assert_eq!(b.check_current(2_000), Err(BundleError::Expired { expires_at: 2_000, now: 2_000 }));
        assert_eq!(b.issuer_of(&Fr::from(6u64)).unwrap().address, Address([0x22; 20]));
        assert_eq!(b.issuer_of(&Fr::from(8u64)).unwrap().revocation_root, None);
        assert!(b.issuer_of(&Fr::from(7u64)).is_none(), "a revocation root is not a tree root");
        assert!(b.key(&"AB".repeat(32)).is_some());
        assert!(b.key(&"cd".repeat(32)).is_none());
        assert!(b.model_accepted(&Fr::from(9u64)) && !b.model_accepted(&Fr::from(5u64)));
    }
}
