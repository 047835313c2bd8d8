//! Credentials: a schema id, the holder commitment, [`SLOTS`] attribute slots, issue and expiry
//! days, a revocation nonce and a random salt — and their Poseidon commitment, the leaf an
//! issuer appends to its tree.
//!
//! Schemas name the slots and say how each attribute of an issuer's JSON becomes a field
//! element (codes, integers, dates as day numbers, product and organisation identifiers).

use crate::{
    day::Day,
    field::{self, from_short_str},
    holder::HolderCommitment,
    poseidon, Error, Fr, Result, SLOTS,
};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Domain tag, first input of every credential commitment: the bytes of
/// `"healthzk/credential/v1"` as a big-endian integer.
pub fn credential_tag() -> Fr {
    from_short_str("tag", "healthzk/credential/v1").expect("short tag")
}

/// How a schema attribute is written into its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// A numeric code (SNOMED CT concept id, LOINC code without its hyphen): an integer < 2^64.
    Code,
    /// A non-negative integer < 2^64.
    Int,
    /// A date `YYYY-MM-DD`, as days since 1970-01-01.
    Date,
    /// A vaccine medicinal product identifier, mapped by [`crate::vocab::product_code`].
    Product,
    /// An organisation id `ORG-<digits>` (EU DCC `vaccine-mah-manf`): the digits as an integer.
    Org,
    /// An ISO 3166-1 alpha-2 country code: its two ASCII bytes as a big-endian integer.
    Country,
    /// A non-negative decimal with at most `d` fractional digits, stored as `value · 10^d`
    /// (an integer < 2^64): lab values such as 5.4 (% HbA1c, `d = 1`) become 54.
    Decimal(u32),
}

/// A credential schema: its id and named slots (unnamed slots are 0).
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// Numeric id, committed in the credential and in every policy over it.
    pub id: u64,
    /// Name used in JSON, e.g. `vaccination/v1`.
    pub name: &'static str,
    /// Slot names and kinds, slot 0 first.
    pub slots: &'static [(&'static str, SlotKind)],
}

/// A vaccination event (one FHIR `Immunization`, EU DCC `v` entry).
pub const VACCINATION: Schema = Schema {
    id: 1,
    name: "vaccination/v1",
    slots: &[
        ("disease", SlotKind::Code),
        ("vaccine", SlotKind::Code),
        ("product", SlotKind::Product),
        ("manufacturer", SlotKind::Org),
        ("dose_number", SlotKind::Int),
        ("series_doses", SlotKind::Int),
        ("date", SlotKind::Date),
        ("country", SlotKind::Country),
    ],
};

/// A lab panel: the measurements a risk model reads (units in the names; FHIR `Observation`s
/// with these LOINC-coded values). The first ten are the variables of scikit-learn's bundled
/// diabetes study (Efron et al. 2004), on which the sample model is trained.
pub const LAB_PANEL: Schema = Schema {
    id: 2,
    name: "lab_panel/v1",
    slots: &[
        ("age", SlotKind::Int),               // years
        ("sex", SlotKind::Int),               // 1 or 2, as in the study
        ("bmi", SlotKind::Decimal(1)),        // kg/m²
        ("bp", SlotKind::Decimal(2)),         // mean arterial pressure, mmHg
        ("tc", SlotKind::Int),                // total serum cholesterol, mg/dL
        ("ldl", SlotKind::Decimal(1)),        // LDL cholesterol, mg/dL
        ("hdl", SlotKind::Decimal(1)),        // HDL cholesterol, mg/dL
        ("tch", SlotKind::Decimal(2)),        // total cholesterol / HDL
        ("ltg", SlotKind::Decimal(4)),        // ln of serum triglycerides (mg/dL)
        ("glucose", SlotKind::Int),           // fasting blood glucose, mg/dL
        ("hba1c", SlotKind::Decimal(1)),      // %
        ("creatinine", SlotKind::Decimal(2)), // mg/dL
        ("egfr", SlotKind::Int),              // mL/min/1.73 m²
        ("crp", SlotKind::Decimal(1)),        // C-reactive protein, mg/L
        ("systolic", SlotKind::Int),          // mmHg
        ("diastolic", SlotKind::Int),         // mmHg
    ],
};

/// All schemas this version knows.
pub const SCHEMAS: &[Schema] = &[VACCINATION, LAB_PANEL];

impl Schema {
    /// The schema called `name` (e.g. `vaccination/v1`).
    pub fn by_name(name: &str) -> Result<&'static Schema> {
        SCHEMAS.iter().find(|s| s.name == name).ok_or_else(|| {
            let known: Vec<_> = SCHEMAS.iter().map(|s| s.name).collect();
            Error::invalid(format!("unknown schema {name:?}; known: {}", known.join(", ")))
        })
    }

    /// The schema with numeric id `id`.
    pub fn by_id(id: u64) -> Result<&'static Schema> {
        SCHEMAS.iter().find(|s| s.id == id).ok_or_else(|| Error::invalid(format!("unknown schema id {id}")))
    }

    /// Index and kind of the slot called `name`.
    pub fn slot(&self, name: &str) -> Result<(usize, SlotKind)> {
        self.slots.iter().position(|(n, _)| *n == name).map(|i| (i, self.slots[i].1)).ok_or_else(|| {
            let known: Vec<_> = self.slots.iter().map(|(n, _)| *n).collect();
            Error::invalid(format!("schema {} has no attribute {name:?}; it has: {}", self.name, known.join(", ")))
        })
    }
}

/// Encodes one attribute value (a JSON string or number) for a slot of kind `kind`.
pub fn encode_attribute(name: &str, kind: SlotKind, v: &serde_json::Value) -> Result<u64> {
    let want = |what: &str| Error::invalid(format!("attribute {name}: expected {what}, got {v}"));
    let as_u64 = || -> Result<u64> {
        match v {
            serde_json::Value::Number(n) => n.as_u64().ok_or_else(|| {
                Error::invalid(format!(
                    "attribute {name}: {n} is not an integer in 0..2^64 (negative, fractional or too wide)"
                ))
            }),
            serde_json::Value::String(s) => s
                .parse::<u64>()
                .map_err(|_| Error::invalid(format!("attribute {name}: {s:?} is not an integer in 0..2^64"))),
            _ => Err(want("an integer")),
        }
    };
    match kind {
        SlotKind::Code | SlotKind::Int => as_u64(),
        SlotKind::Date => {
            let s = v.as_str().ok_or_else(|| want("a date string YYYY-MM-DD"))?;
            Ok(Day::parse(&format!("attribute {name}"), s)?.0 as u64)
        }
        SlotKind::Product => {
            let s = v.as_str().ok_or_else(|| want("a product identifier string"))?;
            crate::vocab::product_code(s)
        }
        SlotKind::Org => {
            let s = v.as_str().ok_or_else(|| want("an organisation id ORG-<digits>"))?;
            s.strip_prefix("ORG-")
                .and_then(|d| d.parse::<u64>().ok())
                .ok_or_else(|| want("an organisation id ORG-<digits>"))
        }
        SlotKind::Country => {
            let s = v.as_str().ok_or_else(|| want("an ISO 3166-1 alpha-2 code"))?;
            let b = s.as_bytes();
            if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
                return Err(want("an ISO 3166-1 alpha-2 code such as \"FR\""));
            }
            Ok(((b[0] as u64) << 8) | b[1] as u64)
        }
        SlotKind::Decimal(d) => {
            let text = match v {
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::String(s) => s.clone(),
                _ => return Err(want("a decimal number")),
            };
            parse_decimal(name, &text, d)
        }
    }
}

/// `text · 10^d` exactly, for a plain non-negative decimal with at most `d` fractional digits.
pub fn parse_decimal(name: &str, text: &str, d: u32) -> Result<u64> {
    let bad = |why: &str| Error::invalid(format!("attribute {name}: {text:?} {why}"));
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("is not a plain non-negative decimal such as 5.4"));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > d as usize {
        return Err(bad(&format!("has more than {d} decimal places")));
    }
    let digits = format!("{int}{frac:0<width$}", width = d as usize);
    digits.parse::<u64>().map_err(|_| bad("is too large (the stored value must be below 2^64)"))
}

/// A credential as committed by an issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Schema id.
    pub schema: u64,
    /// The holder's commitment `Poseidon(holder_secret)`.
    pub holder: HolderCommitment,
    /// Attribute slots.
    #[serde(with = "crate::serde_adapters::hex_slots")]
    pub slots: [Fr; SLOTS],
    /// Day of issue.
    pub issued: Day,
    /// Last day on which the credential is valid.
    pub expires: Day,
    /// Revocation nonce (reserved for record-level revocation).
    pub revocation_nonce: u64,
    /// Random blinding salt; keeps the commitment hiding.
    #[serde(with = "crate::serde_adapters::hex_fr")]
    pub salt: Fr,
}

/// What an issuer submits: a schema name, named attributes, and the validity period.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialRequest {
    /// Schema name, e.g. `vaccination/v1`.
    pub schema: String,
    /// Attribute values by name (strings or integers, per the slot kind).
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Day of issue (defaults to the issuer's today).
    #[serde(default)]
    pub issued: Option<Day>,
    /// Last valid day (defaults to issue day + 100 years: "valid for life").
    #[serde(default)]
    pub expires: Option<Day>,
}

/// 100 years of days, the default validity.
pub const LIFETIME_DAYS: i64 = 36_525;

impl CredentialRequest {
    /// Builds the credential for `holder`, drawing a fresh salt.
    pub fn into_credential<R: RngCore + CryptoRng>(
        &self,
        holder: HolderCommitment,
        today: Day,
        revocation_nonce: u64,
        rng: &mut R,
    ) -> Result<Credential> {
        let schema = Schema::by_name(&self.schema)?;
        let mut slots = [Fr::from(0u64); SLOTS];
        for (name, value) in &self.attributes {
            let (i, kind) = schema.slot(name)?;
            slots[i] = Fr::from(encode_attribute(name, kind, value)?);
        }
        for (name, _) in schema.slots {
            if !self.attributes.contains_key(*name) {
                return Err(Error::invalid(format!("attribute {name} is missing (schema {})", schema.name)));
            }
        }
        let issued = self.issued.unwrap_or(today);
        let expires = self.expires.unwrap_or(issued.plus(LIFETIME_DAYS));
        if expires < issued {
            return Err(Error::invalid(format!("expires ({expires}) is before issued ({issued})")));
        }
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt[1..]);
        Ok(Credential {
            schema: schema.id,
            holder,
            slots,
            issued,
            expires,
            revocation_nonce,
            salt: field::from_be_bytes(&salt).expect("< 2^248"),
        })
    }
}

impl Credential {
    /// Hash of slots 0..8 and of slots 8..16 (the two inner Poseidon-8 hashes).
    pub fn slot_hashes(&self) -> [Fr; 2] {
        [poseidon::hash(&self.slots[..8]), poseidon::hash(&self.slots[8..])]
    }

    /// The commitment: `Poseidon(tag, schema, holder, issued, expires, revocation_nonce, salt,
    /// Poseidon(slots[0..8]), Poseidon(slots[8..16]))`.
    pub fn commitment(&self) -> Fr {
        let [lo, hi] = self.slot_hashes();
        poseidon::hash(&[
            credential_tag(),
            Fr::from(self.schema),
            self.holder.0,
            Fr::from(self.issued.0),
            Fr::from(self.expires.0),
            Fr::from(self.revocation_nonce),
            self.salt,
            lo,
            hi,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attribute_encodings() {
        assert_eq!(encode_attribute("c", SlotKind::Country, &json!("FR")).unwrap(), 0x4652);
        assert_eq!(encode_attribute("m", SlotKind::Org, &json!("ORG-100030215")).unwrap(), 100030215);
        assert_eq!(encode_attribute("d", SlotKind::Date, &json!("1970-01-02")).unwrap(), 1);
        assert_eq!(encode_attribute("n", SlotKind::Int, &json!(3)).unwrap(), 3);
        let e = encode_attribute("n", SlotKind::Int, &json!(-3)).unwrap_err().to_string();
        assert!(e.contains("attribute n") && e.contains("negative"), "{e}");
        let e = encode_attribute("n", SlotKind::Int, &json!("18446744073709551616")).unwrap_err();
        assert!(e.to_string().contains("0..2^64"), "{e}");
        assert!(encode_attribute("c", SlotKind::Country, &json!("fra")).is_err());
        assert_eq!(encode_attribute("b", SlotKind::Decimal(1), &json!(32.1)).unwrap(), 321);
        assert_eq!(encode_attribute("b", SlotKind::Decimal(2), &json!("4")).unwrap(), 400);
        assert_eq!(encode_attribute("b", SlotKind::Decimal(4), &json!("4.8598")).unwrap(), 48598);
        assert_eq!(encode_attribute("b", SlotKind::Decimal(1), &json!("5.40")).unwrap(), 54);
        for bad in [json!(-1.5), json!("1e3"), json!("5.45"), json!(".5"), json!(true), json!("99999999999999999999")] {
            let e = encode_attribute("b", SlotKind::Decimal(1), &bad).unwrap_err().to_string();
            assert!(e.starts_with("attribute b"), "{e}");
        }
    }

    #[test]
    fn tag_is_the_ascii_bytes() {
        assert_eq!(
            field::to_hex(&credential_tag()),
            "0x000000000000000000006865616c74687a6b2f63726564656e7469616c2f7631"
        );
    }
}

/// What an issuer hands a holder: the credential, where it sits in the issuer's tree, and the
/// root at that time. The service hands it out only encrypted to the holder (SPEC §15.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderPackage {
    /// `healthzk/package/v2`.
    pub format: String,
    /// The credential.
    pub credential: Credential,
    /// Issuer tree depth.
    pub depth: usize,
    /// The credential commitment's path.
    pub path: crate::merkle::MerklePath,
    /// The root the path leads to.
    #[serde(with = "crate::serde_adapters::hex_fr")]
    pub issuer_root: Fr,
}

/// Format marker of [`HolderPackage`].
pub const PACKAGE_FORMAT: &str = "healthzk/package/v2";
