//! FHIR R4 input: an `Immunization` becomes a `vaccination/v1` credential request, a `Bundle`
//! of `Observation`s a `lab_panel/v1` one. SPEC.md §15 lists every element read and how.
//!
//! Only the elements the schema needs are read; everything else (the patient reference
//! included) is ignored and never copied anywhere. Every refusal names the element, so an
//! issuer's integration engineer can fix the resource.

use crate::{
    credential::{parse_decimal, CredentialRequest},
    Error, Result,
};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// SNOMED CT's FHIR system URI.
pub const SNOMED: &str = "http://snomed.info/sct";
/// LOINC's FHIR system URI.
pub const LOINC: &str = "http://loinc.org";
/// UCUM's FHIR system URI.
pub const UCUM: &str = "http://unitsofmeasure.org";
/// Code systems whose codes are vaccine product identifiers (EU DCC value set
/// `vaccines-covid-19-names`: EU Union Register numbers, and the temporary product names).
pub const PRODUCT_SYSTEMS: &[&str] = &[
    "https://ec.europa.eu/health/documents/community-register/html/",
    "http://ec.europa.eu/temp/vaccineproductname",
    "https://healthzk.example/fhir/vaccine-product",
];
/// Identifier system of a country (ISO 3166-1 alpha-2), on `Immunization.location.identifier`.
pub const COUNTRY_SYSTEM: &str = "urn:iso:std:iso:3166";
/// Identifier system of EU DCC organisation ids (`ORG-<digits>`), on
/// `Immunization.manufacturer.identifier`.
pub const ORG_SYSTEM: &str = "https://spor.ema.europa.eu/v1/organisations";

/// One lab-panel slot: LOINC code, UCUM unit, slot name. `ltg` is computed from
/// triglycerides (its natural logarithm, 4 decimal places); `sex` is a `valueInteger`.
pub const LAB_OBSERVATIONS: &[(&str, &str, &str)] = &[
    ("30525-0", "a", "age"),
    ("46098-0", "", "sex"),
    ("39156-5", "kg/m2", "bmi"),
    ("8478-0", "mm[Hg]", "bp"),
    ("2093-3", "mg/dL", "tc"),
    ("2089-1", "mg/dL", "ldl"),
    ("2085-9", "mg/dL", "hdl"),
    ("9830-1", "{ratio}", "tch"),
    ("2571-8", "mg/dL", "ltg"),
    ("1558-6", "mg/dL", "glucose"),
    ("4548-4", "%", "hba1c"),
    ("2160-0", "mg/dL", "creatinine"),
    ("62238-1", "mL/min/{1.73_m2}", "egfr"),
    ("1988-5", "mg/L", "crp"),
    ("8480-6", "mm[Hg]", "systolic"),
    ("8462-4", "mm[Hg]", "diastolic"),
];

fn invalid(path: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid(format!("FHIR {path}: {why}"))
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| invalid(path, "expected a JSON object"))
}

fn field<'a>(o: &'a Map<String, Value>, path: &str, name: &str) -> Result<&'a Value> {
    o.get(name).ok_or_else(|| invalid(&format!("{path}.{name}"), "is missing"))
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str> {
    v.as_str().ok_or_else(|| invalid(path, "expected a string"))
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| invalid(path, "expected an array"))
}

fn positive_int(v: &Value, path: &str) -> Result<u64> {
    match v.as_u64() {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(invalid(path, format!("expected a positiveInt, got {v}"))),
    }
}

/// The code of the first coding of `concept` in `system`.
fn code_in<'a>(concept: &'a Value, path: &str, systems: &[&str]) -> Result<Option<&'a str>> {
    let c = obj(concept, path)?;
    let Some(codings) = c.get("coding") else { return Ok(None) };
    for (i, coding) in array(codings, &format!("{path}.coding"))?.iter().enumerate() {
        let p = format!("{path}.coding[{i}]");
        let co = obj(coding, &p)?;
        let Some(system) = co.get("system") else { continue };
        if systems.contains(&string(system, &format!("{p}.system"))?) {
            return Ok(Some(string(field(co, &p, "code")?, &format!("{p}.code"))?));
        }
    }
    Ok(None)
}

fn snomed(concept: &Value, path: &str) -> Result<u64> {
    let code = code_in(concept, path, &[SNOMED])?.ok_or_else(|| invalid(path, format!("no coding in {SNOMED}")))?;
    code.parse::<u64>().map_err(|_| invalid(path, format!("SNOMED CT code {code:?} is not a concept id")))
}

/// The date part (`YYYY-MM-DD`) of a FHIR `dateTime` with at least day precision.
fn date_part(v: &Value, path: &str) -> Result<String> {
    let s = string(v, path)?;
    let date = s.get(..10).filter(|d| d.len() == 10 && (s.len() == 10 || s.as_bytes()[10] == b'T'));
    date.map(str::to_string)
        .ok_or_else(|| invalid(path, format!("{s:?} is not a dateTime with day precision (YYYY-MM-DD…)")))
}

/// The identifier value in `system` of a `Reference` (or `Reference.identifier`).
fn identifier_value<'a>(reference: &'a Value, path: &str, system: &str) -> Result<Option<&'a str>> {
    let r = obj(reference, path)?;
    let Some(id) = r.get("identifier") else { return Ok(None) };
    let p = format!("{path}.identifier");
    let ido = obj(id, &p)?;
    if ido.get("system").and_then(Value::as_str) != Some(system) {
        return Ok(None);
    }
    Ok(Some(string(field(ido, &p, "value")?, &format!("{p}.value"))?))
}

/// Maps a FHIR R4 resource to a credential request: an `Immunization` (status `completed`) to
/// `vaccination/v1`; a `Bundle` of `Observation`s (status `final`, `amended` or `corrected`)
/// covering every lab-panel code to `lab_panel/v1`. `default_country` (the issuer's) fills
/// the vaccination's country when the resource's location carries none.
pub fn to_request(resource: &Value, default_country: Option<&str>) -> Result<CredentialRequest> {
    let o = obj(resource, "resource")?;
    let kind = string(field(o, "resource", "resourceType")?, "resourceType")?;
    match kind {
        "Immunization" => immunization(o, default_country),
        "Bundle" => lab_bundle(o),
        "Observation" => Err(invalid(
            "resourceType",
            "a single Observation cannot fill a lab_panel/v1 credential; send a Bundle of Observations",
        )),
        other => Err(invalid(
            "resourceType",
            format!("{other:?} is not supported; send an Immunization or a Bundle of Observations"),
        )),
    }
}

fn immunization(o: &Map<String, Value>, default_country: Option<&str>) -> Result<CredentialRequest> {
    let p = "Immunization";
    let status = string(field(o, p, "status")?, "Immunization.status")?;
    if status != "completed" {
        return Err(invalid(
            "Immunization.status",
            format!("{status:?}: only a completed immunization is a credential"),
        ));
    }
    // The patient must be there (FHIR requires it); its content is never read.
    field(o, p, "patient")?;
    let vcode = field(o, p, "vaccineCode")?;
    let vaccine = snomed(vcode, "Immunization.vaccineCode")?;
    let product = code_in(vcode, "Immunization.vaccineCode", PRODUCT_SYSTEMS)?.ok_or_else(|| {
        invalid("Immunization.vaccineCode", format!("no product coding (systems: {})", PRODUCT_SYSTEMS.join(", ")))
    })?;
    let date = date_part(field(o, p, "occurrenceDateTime")?, "Immunization.occurrenceDateTime")?;
    let manufacturer = identifier_value(field(o, p, "manufacturer")?, "Immunization.manufacturer", ORG_SYSTEM)?
        .ok_or_else(|| invalid("Immunization.manufacturer.identifier", format!("no identifier in {ORG_SYSTEM}")))?;
    let country = match o.get("location") {
        Some(l) => identifier_value(l, "Immunization.location", COUNTRY_SYSTEM)?,
        None => None,
    }
    .or(default_country)
    .ok_or_else(|| {
        invalid(
            "Immunization.location.identifier",
            format!("no country ({COUNTRY_SYSTEM}) and the issuer has no default"),
        )
    })?;
    let protocols = array(field(o, p, "protocolApplied")?, "Immunization.protocolApplied")?;
    if protocols.len() != 1 {
        return Err(invalid(
            "Immunization.protocolApplied",
            format!("expected exactly one entry, got {}", protocols.len()),
        ));
    }
    let pp = "Immunization.protocolApplied[0]";
    let pa = obj(&protocols[0], pp)?;
    let diseases = array(field(pa, pp, "targetDisease")?, &format!("{pp}.targetDisease"))?;
    if diseases.len() != 1 {
        return Err(invalid(
            &format!("{pp}.targetDisease"),
            format!("expected exactly one disease, got {}", diseases.len()),
        ));
    }
    let disease = snomed(&diseases[0], &format!("{pp}.targetDisease[0]"))?;
    let dose = positive_int(field(pa, pp, "doseNumberPositiveInt")?, &format!("{pp}.doseNumberPositiveInt"))?;
    let series = positive_int(field(pa, pp, "seriesDosesPositiveInt")?, &format!("{pp}.seriesDosesPositiveInt"))?;
    let attributes = BTreeMap::from([
        ("disease".to_string(), json!(disease)),
        ("vaccine".to_string(), json!(vaccine)),
        ("product".to_string(), json!(product)),
        ("manufacturer".to_string(), json!(manufacturer)),
        ("dose_number".to_string(), json!(dose)),
        ("series_doses".to_string(), json!(series)),
        ("date".to_string(), json!(date)),
        ("country".to_string(), json!(country)),
    ]);
    Ok(CredentialRequest { schema: "vaccination/v1".into(), attributes, issued: None, expires: None })
}

fn lab_bundle(o: &Map<String, Value>) -> Result<CredentialRequest> {
    let entries = array(field(o, "Bundle", "entry")?, "Bundle.entry")?;
    let mut attributes = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let ep = format!("Bundle.entry[{i}]");
        let rp = format!("{ep}.resource");
        let r = obj(field(obj(e, &ep)?, &ep, "resource")?, &rp)?;
        let kind = string(field(r, &rp, "resourceType")?, &format!("{rp}.resourceType"))?;
        if kind != "Observation" {
            return Err(invalid(
                &format!("{rp}.resourceType"),
                format!("{kind:?}: a lab bundle holds Observations only"),
            ));
        }
        let status = string(field(r, &rp, "status")?, &format!("{rp}.status"))?;
        if !["final", "amended", "corrected"].contains(&status) {
            return Err(invalid(&format!("{rp}.status"), format!("{status:?}: only final results are credentials")));
        }
        let cp = format!("{rp}.code");
        let loinc = code_in(field(r, &rp, "code")?, &cp, &[LOINC])?
            .ok_or_else(|| invalid(&cp, format!("no coding in {LOINC}")))?;
        let Some(&(_, unit, slot)) = LAB_OBSERVATIONS.iter().find(|(c, _, _)| *c == loinc) else {
            return Err(invalid(
                &cp,
                format!("LOINC {loinc} is not a lab_panel/v1 observation (SPEC.md §15 lists them)"),
            ));
        };
        if attributes.contains_key(slot) {
            return Err(invalid(&cp, format!("LOINC {loinc} ({slot}) appears twice")));
        }
        attributes.insert(slot.to_string(), observation_value(r, &rp, loinc, unit, slot)?);
    }
    let missing: Vec<String> = LAB_OBSERVATIONS
        .iter()
        .filter(|(_, _, s)| !attributes.contains_key(*s))
        .map(|(c, _, s)| format!("{c} ({s})"))
        .collect();
    if !missing.is_empty() {
        return Err(invalid("Bundle.entry", format!("missing observations: {}", missing.join(", "))));
    }
    Ok(CredentialRequest { schema: "lab_panel/v1".into(), attributes, issued: None, expires: None })
}

fn observation_value(r: &Map<String, Value>, rp: &str, loinc: &str, unit: &str, slot: &str) -> Result<Value> {
    if slot == "sex" {
        let p = format!("{rp}.valueInteger");
        return match field(r, rp, "valueInteger")?.as_u64() {
            Some(n @ (1 | 2)) => Ok(json!(n)),
            _ => Err(invalid(&p, "LOINC 46098-0 (sex) takes valueInteger 1 or 2, as in the study the models use")),
        };
    }
    let qp = format!("{rp}.valueQuantity");
    let q = obj(field(r, rp, "valueQuantity")?, &qp)?;
    let system = q.get("system").and_then(Value::as_str);
    let code = q.get("code").and_then(Value::as_str);
    if system != Some(UCUM) || code != Some(unit) {
        return Err(invalid(
            &qp,
            format!(
                "LOINC {loinc} ({slot}) must be in UCUM unit {unit:?} (system {UCUM}), got {:?}",
                code.unwrap_or("none")
            ),
        ));
    }
    let vp = format!("{qp}.value");
    let value = field(q, &qp, "value")?;
    let n = value.as_number().ok_or_else(|| invalid(&vp, format!("expected a decimal, got {value}")))?;
    if slot == "ltg" {
        // ln(triglycerides), rounded to 4 decimal places (the slot's precision).
        let tg = n
            .as_f64()
            .filter(|x| x.is_finite() && *x >= 1.0 && *x <= 100_000.0)
            .ok_or_else(|| invalid(&vp, format!("triglycerides {n} mg/dL is outside 1..=100000")))?;
        return Ok(json!(format!("{:.4}", tg.ln())));
    }
    // The decimal's shortest text, parsed exactly at the slot's precision.
    let text = n.to_string();
    let kind = crate::credential::LAB_PANEL.slot(slot)?.1;
    let d = match kind {
        crate::credential::SlotKind::Decimal(d) => d,
        _ => 0,
    };
    let scaled = parse_decimal(slot, &text, d).map_err(|e| invalid(&vp, e))?;
    Ok(if d == 0 { json!(scaled) } else { json!(text) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{day::Day, holder::HolderCommitment, Fr};

    pub(crate) fn immunization_json() -> Value {
        json!({
            "resourceType": "Immunization",
            "status": "completed",
            "patient": {"reference": "Patient/example-123"},
            "vaccineCode": {"coding": [
                {"system": SNOMED, "code": "1119349007"},
                {"system": PRODUCT_SYSTEMS[0], "code": "EU/1/20/1528"}
            ]},
            "manufacturer": {"identifier": {"system": ORG_SYSTEM, "value": "ORG-100030215"}},
            "occurrenceDateTime": "2026-05-01T10:30:00+02:00",
            "location": {"identifier": {"system": COUNTRY_SYSTEM, "value": "DE"}},
            "protocolApplied": [{
                "targetDisease": [{"coding": [{"system": SNOMED, "code": "840539006"}]}],
                "doseNumberPositiveInt": 2,
                "seriesDosesPositiveInt": 2
            }]
        })
    }

    #[test]
    fn an_immunization_maps_to_the_slots_spec_names() {
        let req = to_request(&immunization_json(), None).unwrap();
        assert_eq!(req.schema, "vaccination/v1");
        let c = req.into_credential(HolderCommitment(Fr::from(7u64)), Day(20_000), 0, &mut rand::thread_rng()).unwrap();
        let want: [u64; 8] = [
            840_539_006,
            1_119_349_007,
            1_201_528,
            100_030_215,
            2,
            2,
            Day::parse("d", "2026-05-01").unwrap().0 as u64,
            0x4445,
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(c.slots[i], Fr::from(*w), "slot {i}");
        }
    }

    #[test]
    fn refusals_name_the_element() {
        type Breaker = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Breaker)> = vec![
            ("Immunization.status", Box::new(|v| v["status"] = json!("entered-in-error"))),
            ("Immunization.patient", Box::new(|v| drop(v.as_object_mut().unwrap().remove("patient")))),
            ("Immunization.occurrenceDateTime", Box::new(|v| v["occurrenceDateTime"] = json!("2026-05"))),
            ("Immunization.vaccineCode", Box::new(|v| v["vaccineCode"]["coding"][1]["system"] = json!("urn:x"))),
            (
                "Immunization.protocolApplied[0].doseNumberPositiveInt",
                Box::new(|v| v["protocolApplied"][0]["doseNumberPositiveInt"] = json!(0)),
            ),
            (
                "Immunization.manufacturer.identifier",
                Box::new(|v| v["manufacturer"]["identifier"]["system"] = json!("urn:x")),
            ),
            ("Immunization.location.identifier", Box::new(|v| drop(v.as_object_mut().unwrap().remove("location")))),
            ("resourceType", Box::new(|v| v["resourceType"] = json!("Patient"))),
        ];
        for (path, break_it) in cases {
            let mut v = immunization_json();
            break_it(&mut v);
            let e = to_request(&v, None).unwrap_err().to_string();
            assert!(e.contains(path), "{path}: {e}");
        }
        // The issuer's default country fills a missing location.
        let mut v = immunization_json();
        v.as_object_mut().unwrap().remove("location");
        assert_eq!(to_request(&v, Some("FR")).unwrap().attributes["country"], json!("FR"));
    }

    pub(crate) fn lab_bundle_json() -> Value {
        let values: &[(&str, f64)] = &[
            ("30525-0", 38.0),
            ("39156-5", 25.4),
            ("8478-0", 84.0),
            ("2093-3", 162.0),
            ("2089-1", 103.0),
            ("2085-9", 42.0),
            ("9830-1", 4.0),
            ("2571-8", 85.0),
            ("1558-6", 87.0),
            ("4548-4", 5.4),
            ("2160-0", 0.91),
            ("62238-1", 95.0),
            ("1988-5", 1.2),
            ("8480-6", 121.0),
            ("8462-4", 79.0),
        ];
        let mut entries: Vec<Value> = values
            .iter()
            .map(|(code, v)| {
                let unit = LAB_OBSERVATIONS.iter().find(|(c, _, _)| c == code).unwrap().1;
                json!({"resource": {"resourceType": "Observation", "status": "final",
                    "code": {"coding": [{"system": LOINC, "code": code}]},
                    "subject": {"reference": "Patient/example-123"},
                    "valueQuantity": {"value": v, "system": UCUM, "code": unit}}})
            })
            .collect();
        entries.push(json!({"resource": {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "46098-0"}]}, "valueInteger": 1}}));
        json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
    }

    #[test]
    fn a_lab_bundle_maps_every_observation() {
        let req = to_request(&lab_bundle_json(), None).unwrap();
        assert_eq!(req.schema, "lab_panel/v1");
        let c = req.into_credential(HolderCommitment(Fr::from(7u64)), Day(20_000), 0, &mut rand::thread_rng()).unwrap();
        // age 38, sex 1, bmi 25.4 → 254, bp 84 → 8400, ltg ln 85 = 4.4427 → 44427, creatinine 0.91 → 91.
        for (slot, want) in [(0, 38u64), (1, 1), (2, 254), (3, 8400), (8, 44_427), (11, 91), (15, 79)] {
            assert_eq!(c.slots[slot], Fr::from(want), "slot {slot}");
        }
    }

    #[test]
    fn lab_refusals_name_the_observation() {
        let mut v = lab_bundle_json();
        v["entry"][0]["resource"]["valueQuantity"]["code"] = json!("mo");
        assert!(to_request(&v, None).unwrap_err().to_string().contains("Bundle.entry[0].resource.valueQuantity"));
        let mut v = lab_bundle_json();
        v["entry"].as_array_mut().unwrap().remove(3);
        assert!(to_request(&v, None).unwrap_err().to_string().contains("missing observations: 2093-3 (tc)"));
        let mut v = lab_bundle_json();
        v["entry"][1]["resource"]["valueQuantity"]["value"] = json!(25.45);
        assert!(to_request(&v, None).unwrap_err().to_string().contains("more than 1 decimal places"));
        let mut v = lab_bundle_json();
        v["entry"][2]["resource"]["valueQuantity"]["value"] = json!(-3);
        assert!(to_request(&v, None).unwrap_err().to_string().contains("Bundle.entry[2].resource.valueQuantity.value"));
    }
}
