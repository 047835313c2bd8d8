//! Every serde adapter of the crate's formats, in one place: field elements as canonical hex
//! (refusing values ≥ r), a credential's slots, and wide integers as decimal strings.

use crate::{
    field::{parse_hex, to_hex},
    Fr, SLOTS,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serde adapter: a field element as canonical hex, parsed with [`parse_hex`].
pub mod hex_fr {
    use super::*;

    /// Serialize as `0x` hex.
    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> std::result::Result<S::Ok, S::Error> {
        to_hex(x).serialize(s)
    }

    /// Deserialize from `0x` hex, refusing non-canonical values.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Fr, D::Error> {
        let s = String::deserialize(d)?;
        parse_hex("field element", &s).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for `Vec<Fr>` as a list of canonical hex strings.
pub mod hex_fr_vec {
    use super::*;

    /// Serialize as a list of `0x` hex strings.
    pub fn serialize<S: Serializer>(xs: &[Fr], s: S) -> std::result::Result<S::Ok, S::Error> {
        xs.iter().map(to_hex).collect::<Vec<_>>().serialize(s)
    }

    /// Deserialize a list of `0x` hex strings, refusing non-canonical values.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<Fr>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .enumerate()
            .map(|(i, s)| parse_hex(&format!("element {i}"), s).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Serde adapter for `Option<Fr>` as canonical hex or `null`.
pub mod hex_fr_opt {
    use super::*;

    /// Serialize as `0x` hex or `null`.
    pub fn serialize<S: Serializer>(x: &Option<Fr>, s: S) -> std::result::Result<S::Ok, S::Error> {
        x.as_ref().map(to_hex).serialize(s)
    }

    /// Deserialize from `0x` hex or `null`, refusing non-canonical values.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Fr>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse_hex("field element", &s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Serde adapter: a credential's [`SLOTS`] slots as a list of canonical hex strings.
pub mod hex_slots {
    use super::*;

    /// Serialize as a list of `0x` hex strings.
    pub fn serialize<S: Serializer>(xs: &[Fr; SLOTS], s: S) -> std::result::Result<S::Ok, S::Error> {
        hex_fr_vec::serialize(xs, s)
    }

    /// Deserialize exactly [`SLOTS`] canonical hex strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<[Fr; SLOTS], D::Error> {
        let v = hex_fr_vec::deserialize(d)?;
        let n = v.len();
        v.try_into().map_err(|_| serde::de::Error::custom(format!("expected {SLOTS} slots, got {n}")))
    }
}

/// Serde adapter: an `i128` as a decimal string (JSON numbers lose precision above 2^53 in
/// most parsers); a plain JSON integer is accepted on input too.
pub mod int_str {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Int(i64),
    }

    fn parse<E: Error>(r: Repr) -> Result<i128, E> {
        match r {
            Repr::Int(v) => Ok(v.into()),
            Repr::Text(t) => t.parse::<i128>().map_err(|_| E::custom(format!("{t:?} is not a decimal integer"))),
        }
    }

    /// Serialize as a decimal string.
    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Deserialize a decimal string or an integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        parse(Repr::deserialize(d)?)
    }

    /// The same for a list.
    pub mod vec {
        use super::*;

        /// Serialize as decimal strings.
        pub fn serialize<S: Serializer>(v: &[i128], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|x| x.to_string()))
        }

        /// Deserialize decimal strings or integers.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i128>, D::Error> {
            Vec::<Repr>::deserialize(d)?.into_iter().map(parse).collect()
        }
    }
}

/// Serde adapter: an optional 64-bit integer that may also be written with a zero fraction
/// (`5.0`). JSON Schema's `integer`, and so the service's API document, counts `5.0` as an
/// integer; refusing it would refuse requests the document allows. A fraction that is not
/// zero, or a value out of range, is an error naming the value.
pub mod integral {
    use super::*;

    fn whole(n: &serde_json::Number) -> Option<i128> {
        if let Some(i) = n.as_i64() {
            return Some(i.into());
        }
        if let Some(u) = n.as_u64() {
            return Some(u.into());
        }
        // Below 2^64 in magnitude every f64 with a zero fraction converts exactly.
        let f = n.as_f64()?;
        (f.fract() == 0.0 && f.abs() < 18_446_744_073_709_551_616.0).then_some(f as i128)
    }

    fn opt<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D, what: &str) -> Result<Option<T>, D::Error> {
        let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
        whole(&n)
            .and_then(|v| T::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid value: {n}, expected {what}")))
    }

    /// `Option<i64>`.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        opt(d, "an integer of 64 bits")
    }

    /// `Option<u64>`.
    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        opt(d, "a non-negative integer of 64 bits")
    }

    #[cfg(test)]
    mod tests {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[serde(default, deserialize_with = "super::opt_i64")]
            v: Option<i64>,
            #[serde(default, deserialize_with = "super::opt_u64")]
            u: Option<u64>,
        }

        fn parse(s: &str) -> Result<T, String> {
            serde_json::from_str::<T>(s).map_err(|e| e.to_string())
        }

        #[test]
        fn whole_numbers_in_either_spelling_and_nothing_else() {
            assert_eq!(parse(r#"{"v": -21482.0}"#).unwrap().v, Some(-21482));
            assert_eq!(parse(r#"{"v": 7}"#).unwrap().v, Some(7));
            assert_eq!(parse(r#"{"v": null}"#).unwrap().v, None);
            assert_eq!(parse("{}").unwrap().v, None);
            assert_eq!(parse(r#"{"u": 1e3}"#).unwrap().u, Some(1000));
            assert!(parse(r#"{"v": 1.5}"#).unwrap_err().contains("invalid value: 1.5, expected an integer of 64 bits"));
            assert!(parse(r#"{"v": 1e19}"#).is_err(), "beyond i64");
            assert!(parse(r#"{"u": -1}"#).unwrap_err().contains("expected a non-negative integer"));
            assert!(parse(r#"{"v": "7"}"#).is_err(), "a string is not a number");
        }
    }
}
