//! Vaccination policies as presets of the credential-query statement (the codes they name
//! are in [`crate::vocab`]).

use crate::{
    policy::{Clause, Op, Operand, Policy},
    vocab::{SNOMED_COVID19, SNOMED_YELLOW_FEVER},
    Error, Result,
};
use serde_json::json;

/// COVID-19 vaccines accepted by the COVID preset: the EU centrally authorised products of
/// the EU DCC value set `vaccines-covid-19-names` (Bimervax, EU/1/22/1709, is left out until
/// it is confirmed in a published value set).
pub const COVID19_APPROVED: &[&str] = &[
    "EU/1/20/1528", // Comirnaty
    "EU/1/20/1507", // Spikevax
    "EU/1/21/1529", // Vaxzevria
    "EU/1/20/1525", // Jcovden
    "EU/1/21/1618", // Nuvaxovid
    "EU/1/21/1624", // COVID-19 Vaccine Valneva
    "EU/1/21/1580", // VidPrevtyn Beta
];

/// Yellow fever vaccines accepted by the yellow fever preset: the WHO-prequalified products
/// (YF-VAX is in the product table but not prequalified, so not accepted).
pub const YELLOW_FEVER_APPROVED: &[&str] =
    &["YF-Stamaril", "YF-Bio-Manguinhos", "YF-Institut-Pasteur-Dakar", "YF-Chumakov", "YF-SinSaVac"];

fn clause(slot: &str, op: Op) -> Clause {
    Clause { slot: slot.into(), op, rhs: None, min: None, max: None, values: None }
}

/// EU-DCC-style "fully vaccinated against COVID-19": COVID-19 target disease, an approved
/// product, the series complete (dose number ≥ series doses, EU rule VR-EU-0002), the last
/// dose 14–270 days before `as_of` (14 days: Member-State rules such as VR-DE-0003; 270 days:
/// Delegated Regulation (EU) 2021/2288).
pub fn covid19_full() -> Policy {
    Policy {
        name: "eu-dcc-covid19-full".into(),
        schema: "vaccination/v1".into(),
        clauses: vec![
            Clause {
                rhs: Some(Operand { value: Some(json!(SNOMED_COVID19)), ..Default::default() }),
                ..clause("disease", Op::Eq)
            },
            Clause { values: Some(COVID19_APPROVED.iter().map(|p| json!(p)).collect()), ..clause("product", Op::In) },
            Clause {
                rhs: Some(Operand { slot: Some("series_doses".into()), ..Default::default() }),
                ..clause("dose_number", Op::Gte)
            },
            Clause {
                rhs: Some(Operand { value: Some(json!(1)), ..Default::default() }),
                ..clause("series_doses", Op::Gte)
            },
            Clause {
                min: Some(Operand { as_of: Some(-270), ..Default::default() }),
                max: Some(Operand { as_of: Some(-14), ..Default::default() }),
                ..clause("date", Op::Between)
            },
        ],
    }
}

/// Yellow fever per IHR (2005) Annex 7: an approved product, vaccinated at least 10 days
/// before `as_of`; valid for the life of the person (no upper bound).
pub fn yellow_fever() -> Policy {
    Policy {
        name: "ihr-yellow-fever".into(),
        schema: "vaccination/v1".into(),
        clauses: vec![
            Clause {
                rhs: Some(Operand { value: Some(json!(SNOMED_YELLOW_FEVER)), ..Default::default() }),
                ..clause("disease", Op::Eq)
            },
            Clause {
                values: Some(YELLOW_FEVER_APPROVED.iter().map(|p| json!(p)).collect()),
                ..clause("product", Op::In)
            },
            Clause { rhs: Some(Operand { as_of: Some(-10), ..Default::default() }), ..clause("date", Op::Lte) },
        ],
    }
}

/// The preset called `name` (`covid19` or `yellow-fever`).
pub fn by_name(name: &str) -> Result<Policy> {
    match name {
        "covid19" => Ok(covid19_full()),
        "yellow-fever" => Ok(yellow_fever()),
        _ => Err(Error::invalid(format!("unknown preset {name:?}; known: covid19, yellow-fever"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_compile() {
        for p in [covid19_full(), yellow_fever()] {
            let c = p.compile().unwrap();
            assert_eq!(c.schema, 1);
            assert!(c.sets[0].is_some());
        }
    }
}
