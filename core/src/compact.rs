//! Compact presentations for offline QR codes: the bytes a verifier cannot recompute, in
//! base45 (RFC 9285) so they fit an alphanumeric QR code, behind a version prefix.
//!
//! `HZ2:` ‖ base45(`statement (1) ‖ key id (32) ‖ issuer_root (32) ‖ as_of (u32 BE, 4) ‖
//! nullifier (32) ‖ revocation_root (32) ‖ proof (128)`) — 261 bytes, 396 characters with the
//! prefix (`HZ1:` strings predate revocation and are refused with a message saying so). The policy (or model) hash,
//! the challenge and the scope are the verifier's own: it supplies them when decoding, and the
//! proof fails if the holder proved anything else. Decoding never reduces: a field element
//! ≥ r is refused, naming the field.

use crate::{
    day::Day,
    field,
    presentation::{Presentation, PublicJson, PRESENTATION_FORMAT, PROOF_BYTES},
    statement::Statement,
    Error, Fr, Result,
};

/// Prefix of a compact presentation (format version 2).
pub const PREFIX: &str = "HZ2:";
/// Bytes before base45.
pub const COMPACT_BYTES: usize = 1 + 32 + 32 + 4 + 32 + 32 + PROOF_BYTES;

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// RFC 9285 base45: every two bytes become three characters (little end first), a last odd
/// byte two.
pub fn base45_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    for chunk in bytes.chunks(2) {
        let (mut n, digits) = match chunk {
            [a, b] => (u32::from(*a) * 256 + u32::from(*b), 3),
            [a] => (u32::from(*a), 2),
            _ => unreachable!("chunks of 1 or 2"),
        };
        for _ in 0..digits {
            out.push(ALPHABET[(n % 45) as usize] as char);
            n /= 45;
        }
    }
    out
}

/// RFC 9285 base45 decoding; refuses characters outside the alphabet, a dangling character
/// and groups whose value exceeds their byte width.
pub fn base45_decode(text: &str) -> Result<Vec<u8>> {
    let bad = |m: String| Error::Invalid(format!("base45: {m}"));
    let values = text
        .bytes()
        .enumerate()
        .map(|(i, c)| {
            ALPHABET
                .iter()
                .position(|&a| a == c)
                .map(|v| v as u32)
                .ok_or_else(|| bad(format!("character {:?} at position {i} is not in the alphabet", c as char)))
        })
        .collect::<Result<Vec<u32>>>()?;
    let mut out = Vec::with_capacity(values.len() / 3 * 2 + 1);
    for group in values.chunks(3) {
        match group {
            [c, d, e] => {
                let n = c + d * 45 + e * 45 * 45;
                if n > 0xFFFF {
                    return Err(bad(format!("group value {n} exceeds two bytes")));
                }
                out.extend_from_slice(&[(n >> 8) as u8, n as u8]);
            }
            [c, d] => {
                let n = c + d * 45;
                if n > 0xFF {
                    return Err(bad(format!("final group value {n} exceeds one byte")));
                }
                out.push(n as u8);
            }
            _ => return Err(bad("dangling character at the end".into())),
        }
    }
    Ok(out)
}

fn statement_byte(statement: &str) -> Result<u8> {
    Statement::from_name(statement)
        .map(Statement::code)
        .ok_or_else(|| Error::Invalid(format!("statement {statement:?} has no compact form")))
}

/// The compact string of a presentation (fields are parsed and checked first).
pub fn encode(p: &Presentation) -> Result<String> {
    if p.format != PRESENTATION_FORMAT {
        return Err(Error::Invalid(format!("format {:?} is not {PRESENTATION_FORMAT}", p.format)));
    }
    let public = p.public.parse()?;
    let key_id = hex_exact("key_id", &p.key_id, 32)?;
    let proof = hex_exact("proof", &p.proof, PROOF_BYTES)?;
    let mut b = Vec::with_capacity(COMPACT_BYTES);
    b.push(statement_byte(&p.statement)?);
    b.extend_from_slice(&key_id);
    b.extend_from_slice(&field::to_be_bytes(&public.issuer_root));
    b.extend_from_slice(&public.as_of.0.to_be_bytes());
    b.extend_from_slice(&field::to_be_bytes(&public.nullifier));
    b.extend_from_slice(&field::to_be_bytes(&public.revocation_root));
    b.extend_from_slice(&proof);
    debug_assert_eq!(b.len(), COMPACT_BYTES);
    Ok(format!("{PREFIX}{}", base45_encode(&b)))
}

fn hex_exact(name: &str, s: &str, n: usize) -> Result<Vec<u8>> {
    let v = hex::decode(s).map_err(|_| Error::Invalid(format!("{name}: not hexadecimal")))?;
    if v.len() != n {
        return Err(Error::Invalid(format!("{name}: {} bytes, expected {n}", v.len())));
    }
    Ok(v)
}

/// What the verifier brings to a compact presentation: its policy (or model) hash, the
/// challenge it issued, its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierContext {
    /// Policy hash (or model hash for the score statement).
    pub policy_hash: Fr,
    /// The challenge it issued.
    pub challenge: Fr,
    /// Its scope.
    pub scope: Fr,
}

/// The full presentation of a compact string, completed with the verifier's context. Every
/// error names what is wrong (prefix, base45, length, statement, which field element).
pub fn decode(text: &str, ctx: &VerifierContext) -> Result<Presentation> {
    let text = text.trim();
    if text.starts_with("HZ1:") {
        return Err(Error::Invalid(
            "compact presentation HZ1: is version 1, which predates revocation; ask the holder for a new one".into(),
        ));
    }
    let body = text.strip_prefix(PREFIX).ok_or_else(|| {
        let shown: String = text.chars().take(8).collect();
        Error::Invalid(format!("compact presentation must start with {PREFIX} (starts with {shown:?})"))
    })?;
    let b = base45_decode(body)?;
    if b.len() != COMPACT_BYTES {
        return Err(Error::Invalid(format!("compact presentation: {} bytes, expected {COMPACT_BYTES}", b.len())));
    }
    let statement = Statement::from_code(b[0])
        .ok_or_else(|| Error::Invalid(format!("compact presentation: unknown statement byte {}", b[0])))?
        .name();
    let fr = |name: &str, at: usize| -> Result<Fr> {
        let bytes: [u8; 32] = b[at..at + 32].try_into().expect("32 bytes");
        field::from_be_bytes(&bytes).ok_or_else(|| Error::InvalidFieldElement {
            field: name.into(),
            reason: "not canonical: value is >= the BN254 scalar field modulus r".into(),
        })
    };
    let key_id = hex::encode(&b[1..33]);
    let issuer_root = fr("issuer_root", 33)?;
    let as_of = Day(u32::from_be_bytes(b[65..69].try_into().expect("4 bytes")));
    if as_of > Day::LAST {
        // Found by fuzzing: such a day has no YYYY-MM-DD form, so the presentation it decodes
        // to could not be written back or re-encoded.
        return Err(Error::Invalid(format!("compact presentation: as_of day {} is after 9999-12-31", as_of.0)));
    }
    let nullifier = fr("nullifier", 69)?;
    let revocation_root = fr("revocation_root", 101)?;
    let proof = hex::encode(&b[133..133 + PROOF_BYTES]);
    let public = crate::statement::PublicInputs {
        issuer_root,
        policy_hash: ctx.policy_hash,
        as_of,
        challenge: ctx.challenge,
        scope: ctx.scope,
        nullifier,
        revocation_root,
    };
    Ok(Presentation {
        format: PRESENTATION_FORMAT.into(),
        statement: statement.into(),
        key_id,
        public: PublicJson::from_public(&public),
        proof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9285 §4.3 examples.
    #[test]
    fn base45_rfc_vectors() {
        for (plain, encoded) in
            [("AB", "BB8"), ("Hello!!", "%69 VD92EX0"), ("base-45", "UJCLQE7W581"), ("ietf!", "QED8WEX0")]
        {
            assert_eq!(base45_encode(plain.as_bytes()), encoded);
            assert_eq!(base45_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base45_encode(b""), "");
        assert!(base45_decode("GGW").is_err(), "65535 + 1 must be refused"); // 16 + 16·45 + 32·2025 = 65536
        assert!(base45_decode("ZZ").is_err(), "a final group above 255 must be refused");
        assert!(base45_decode("BB8A").is_err(), "a dangling character must be refused");
        assert!(base45_decode("bb8").is_err(), "lower case is not base45");
    }

    fn sample() -> (Presentation, VerifierContext) {
        let public = crate::statement::PublicInputs {
            issuer_root: Fr::from(11u64),
            policy_hash: Fr::from(22u64),
            as_of: Day(20_413),
            challenge: -Fr::from(1u64),
            scope: Fr::from(44u64),
            nullifier: -Fr::from(2u64),
            revocation_root: -Fr::from(3u64),
        };
        let p = Presentation {
            format: PRESENTATION_FORMAT.into(),
            statement: Statement::ScoreThreshold.name().into(),
            key_id: "ab".repeat(32),
            public: PublicJson::from_public(&public),
            proof: "cd".repeat(PROOF_BYTES),
        };
        let ctx = VerifierContext { policy_hash: public.policy_hash, challenge: public.challenge, scope: public.scope };
        (p, ctx)
    }

    #[test]
    fn compact_round_trip_fits_a_qr_code() {
        let (p, ctx) = sample();
        let text = encode(&p).unwrap();
        assert_eq!(text.len(), PREFIX.len() + 392);
        assert!(text.len() <= 400);
        assert_eq!(decode(&text, &ctx).unwrap(), p);
        let mut q = p.clone();
        q.statement = Statement::CredentialQuery.name().into();
        assert_eq!(decode(&encode(&q).unwrap(), &ctx).unwrap(), q);
        // The verifier's own context goes in: another challenge gives another presentation.
        let other = VerifierContext { challenge: Fr::from(5u64), ..ctx };
        assert_ne!(decode(&text, &other).unwrap(), p);
    }

    #[test]
    fn compact_errors_name_the_problem() {
        let (p, ctx) = sample();
        let text = encode(&p).unwrap();
        let err = |t: &str| decode(t, &ctx).unwrap_err().to_string();
        assert!(err("HZ3:ABC").contains("must start with HZ2:"));
        assert!(err("HZ1:ABC").contains("predates revocation"));
        assert!(err(&text[..text.len() - 5]).contains("258 bytes, expected 261"));
        assert!(err(&format!("{text}a")).contains("not in the alphabet"));
        // Statement byte 7.
        let mut b = base45_decode(&text[4..]).unwrap();
        b[0] = 7;
        assert!(err(&format!("{PREFIX}{}", base45_encode(&b))).contains("unknown statement byte 7"));
        // issuer_root = 2^256 - 1 (not canonical): refused, never reduced.
        let mut b = base45_decode(&text[4..]).unwrap();
        b[33..65].fill(0xFF);
        assert!(err(&format!("{PREFIX}{}", base45_encode(&b))).contains("issuer_root: not canonical"));
        let mut b = base45_decode(&text[4..]).unwrap();
        b[69..101].fill(0xFF);
        assert!(err(&format!("{PREFIX}{}", base45_encode(&b))).contains("nullifier: not canonical"));
        let mut b = base45_decode(&text[4..]).unwrap();
        b[101..133].fill(0xFF);
        assert!(err(&format!("{PREFIX}{}", base45_encode(&b))).contains("revocation_root: not canonical"));
        // A day past 9999-12-31 (found by fuzzing `qr`): refused, since no date string names it.
        let mut b = base45_decode(&text[4..]).unwrap();
        b[65..69].copy_from_slice(&(Day::LAST.0 + 1).to_be_bytes());
        assert!(err(&format!("{PREFIX}{}", base45_encode(&b))).contains("after 9999-12-31"));
        b[65..69].copy_from_slice(&Day::LAST.0.to_be_bytes());
        let last = decode(&format!("{PREFIX}{}", base45_encode(&b)), &ctx).unwrap();
        assert_eq!(encode(&last).unwrap(), format!("{PREFIX}{}", base45_encode(&b)));
        // Encoding checks what it packs.
        let mut bad = p.clone();
        bad.proof.pop();
        assert!(encode(&bad).is_err());
        bad = p.clone();
        bad.statement = "other".into();
        assert!(encode(&bad).unwrap_err().to_string().contains("no compact form"));
    }

    #[test]
    fn base45_round_trips_every_byte_pair() {
        let bytes: Vec<u8> = (0..=255u8).flat_map(|a| [a, 255 - a, a.wrapping_mul(7)]).collect();
        assert_eq!(base45_decode(&base45_encode(&bytes)).unwrap(), bytes);
    }
}
