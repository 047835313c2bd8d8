//! Field-element encodings shared by every format: canonical 32-byte big-endian hex
//! (`0x` + 64 hex digits), checked parsing (never reduced mod r), and small-integer helpers.

use crate::{Error, Fr, Result};
use ark_ff::{BigInteger, PrimeField};

/// Parses a canonical field element from `0x`-prefixed big-endian hex of at most 64 digits.
///
/// Values ≥ r are refused (never reduced), so every accepted string has exactly one meaning.
pub fn parse_hex(field: &str, s: &str) -> Result<Fr> {
    let bad = |reason: &str| Error::InvalidFieldElement { field: field.to_string(), reason: reason.to_string() };
    let digits = s.strip_prefix("0x").ok_or_else(|| bad("expected 0x-prefixed hex"))?;
    if digits.is_empty() || digits.len() > 64 {
        return Err(bad("expected 1 to 64 hex digits"));
    }
    let padded = format!("{digits:0>64}");
    let bytes = hex::decode(&padded).map_err(|_| bad("not hexadecimal"))?;
    let mut arr = [0u8; 32];
    arr.copy_from_slice(&bytes);
    from_be_bytes(&arr).ok_or_else(|| bad("not canonical: value is >= the BN254 scalar field modulus r"))
}

/// Canonical `0x` + 64-digit big-endian hex of a field element.
pub fn to_hex(x: &Fr) -> String {
    format!("0x{}", hex::encode(to_be_bytes(x)))
}

/// 32-byte big-endian encoding.
pub fn to_be_bytes(x: &Fr) -> [u8; 32] {
    let v = x.into_bigint().to_bytes_be();
    let mut out = [0u8; 32];
    out[32 - v.len()..].copy_from_slice(&v);
    out
}

/// Checked decoding of 32 big-endian bytes: `None` if the value is ≥ r.
pub fn from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let start = 32 - 8 * (i + 1);
        *limb = u64::from_be_bytes(bytes[start..start + 8].try_into().expect("8 bytes"));
    }
    Fr::from_bigint(ark_ff::BigInt::new(limbs))
}

/// Encodes a short ASCII/UTF-8 string (at most 31 bytes) as the big-endian integer of its
/// bytes. Used for domain tags and verifier scopes; always < 2^248 < r.
pub fn from_short_str(field: &str, s: &str) -> Result<Fr> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 31 {
        return Err(Error::invalid(format!("{field}: must be 1 to 31 bytes of UTF-8, got {} bytes", b.len())));
    }
    let mut arr = [0u8; 32];
    arr[32 - b.len()..].copy_from_slice(b);
    Ok(from_be_bytes(&arr).expect("< 2^248 is canonical"))
}

/// A field element as a signed integer constant: non-negative `c` is `c`, negative is `r - |c|`.
pub fn from_i128(c: i128) -> Fr {
    let mag = Fr::from(c.unsigned_abs());
    if c < 0 {
        -mag
    } else {
        mag
    }
}

/// The value as a `u64`, if it is one.
pub fn to_u64(x: &Fr) -> Option<u64> {
    let b = x.into_bigint();
    if b.0[1..].iter().all(|&l| l == 0) {
        Some(b.0[0])
    } else {
        None
    }
}

/// The value as a signed integer (`r − v` is `−v`), if its magnitude is below 2^126.
pub fn to_i128(x: &Fr) -> Option<i128> {
    let small = |b: ark_ff::BigInt<4>| {
        (b.0[2] == 0 && b.0[3] == 0 && b.0[1] < 1 << 62).then(|| ((b.0[1] as i128) << 64) | b.0[0] as i128)
    };
    small(x.into_bigint()).or_else(|| small((-*x).into_bigint()).map(|v| -v))
}

#[cfg(test)]
mod tests {
    use super::*;

    const R_HEX: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

    #[test]
    fn modulus_and_above_are_refused() {
        let e = parse_hex("x", R_HEX).unwrap_err();
        assert!(e.to_string().contains("not canonical"), "{e}");
        let max = format!("0x{}", "f".repeat(64));
        assert!(parse_hex("x", &max).is_err());
        let r_minus_1 = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000";
        assert_eq!(parse_hex("x", r_minus_1).unwrap(), -Fr::from(1u64));
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let x = Fr::from(123456789u64);
        assert_eq!(parse_hex("x", &to_hex(&x)).unwrap(), x);
        assert_eq!(parse_hex("x", "0x1").unwrap(), Fr::from(1u64));
        assert!(parse_hex("x", "12").is_err());
        assert!(parse_hex("x", "0x").is_err());
        assert!(parse_hex("x", "0xzz").is_err());
        assert!(parse_hex("x", &format!("0x{}", "0".repeat(65))).is_err());
    }

    #[test]
    fn signed_constants() {
        assert_eq!(from_i128(-5) + Fr::from(5u64), Fr::from(0u64));
        assert_eq!(to_u64(&from_i128(42)), Some(42));
        assert_eq!(to_u64(&from_i128(-1)), None);
    }

    #[test]
    fn short_strings() {
        assert_eq!(from_short_str("s", "A").unwrap(), Fr::from(65u64));
        assert!(from_short_str("s", "").is_err());
        assert!(from_short_str("s", &"x".repeat(32)).is_err());
    }
}
