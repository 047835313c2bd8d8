//! Vocabularies: the coded values credentials carry — SNOMED CT disease codes and the mapping
//! of vaccine product identifiers to integers. Credentials encode with them, policies and
//! their presets name them, and the FHIR mapping reads them; this module depends on nothing
//! else in the crate.
//!
//! Product identifiers: EU centrally authorised products `EU/1/YY/NNNN` (the ids of the EU
//! DCC value set `vaccines-covid-19-names`) map to the decimal integer `1YYNNNN`; products
//! without an EU number have a fixed entry in [`OTHER_PRODUCTS`] (numbers from 9_000_001).
//! SPEC.md lists both.

use crate::{Error, Result};

/// SNOMED CT 840539006, "Disease caused by severe acute respiratory syndrome coronavirus 2"
/// (EU DCC `disease-agent-targeted`).
pub const SNOMED_COVID19: u64 = 840_539_006;
/// SNOMED CT 16541001, "Yellow fever".
pub const SNOMED_YELLOW_FEVER: u64 = 16_541_001;

/// Products without an EU number, with their healthzk integer: the EU DCC value set
/// `vaccines-covid-19-names` (temporary system `http://ec.europa.eu/temp/vaccineproductname`,
/// in value-set order, from 9_000_001) and the WHO-prequalified yellow fever vaccines (from
/// 9_100_001; names are healthzk's, the WHO PQ reference is in SPEC.md).
pub const OTHER_PRODUCTS: &[(&str, u64)] = &[
    ("CVnCoV", 9_000_001),
    ("Sputnik-V", 9_000_002),
    ("Convidecia", 9_000_003),
    ("EpiVacCorona", 9_000_004),
    ("BBIBP-CorV", 9_000_005),
    ("Inactivated-SARS-CoV-2-Vero-Cell", 9_000_006),
    ("CoronaVac", 9_000_007),
    ("Covaxin", 9_000_008),
    ("Covishield", 9_000_009),
    ("Covid-19-recombinant", 9_000_010),
    ("R-COVI", 9_000_011),
    ("CoviVac", 9_000_012),
    ("Sputnik-Light", 9_000_013),
    ("Hayat-Vax", 9_000_014),
    ("Abdala", 9_000_015),
    ("WIBP-CorV", 9_000_016),
    ("MVC-COV1901", 9_000_017),
    ("NVX-CoV2373", 9_000_018),
    ("Covovax", 9_000_019),
    ("Vidprevtyn", 9_000_020),
    ("VLA2001", 9_000_021),
    ("EpiVacCorona-N", 9_000_022),
    ("Sputnik-M", 9_000_023),
    ("Covid-19-adsorvida-inativada", 9_000_024),
    ("NVSI-06-08", 9_000_025),
    ("YS-SC2-010", 9_000_026),
    ("SCTV01C", 9_000_027),
    ("Covifenz", 9_000_028),
    ("AZD2816", 9_000_029),
    ("Soberana-02", 9_000_030),
    ("Soberana-Plus", 9_000_031),
    ("YF-Stamaril", 9_100_001),
    ("YF-Bio-Manguinhos", 9_100_002),
    ("YF-Institut-Pasteur-Dakar", 9_100_003),
    ("YF-Chumakov", 9_100_004),
    ("YF-SinSaVac", 9_100_005),
    ("YF-VAX", 9_100_006),
];

/// Integer for a vaccine product identifier.
pub fn product_code(id: &str) -> Result<u64> {
    if let Some(rest) = id.strip_prefix("EU/1/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() == 2
            && parts[0].len() == 2
            && parts[1].len() == 4
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            let yy: u64 = parts[0].parse().expect("digits");
            let n: u64 = parts[1].parse().expect("digits");
            return Ok(1_000_000 + yy * 10_000 + n);
        }
        return Err(Error::invalid(format!("product {id:?}: expected EU/1/YY/NNNN")));
    }
    OTHER_PRODUCTS.iter().find(|(n, _)| *n == id).map(|(_, c)| *c).ok_or_else(|| {
        Error::invalid(format!("unknown product {id:?}: use EU/1/YY/NNNN or one of the names in SPEC.md"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_codes() {
        assert_eq!(product_code("EU/1/20/1528").unwrap(), 1_201_528);
        assert_eq!(product_code("YF-VAX").unwrap(), 9_100_006);
        assert_eq!(product_code("Covishield").unwrap(), 9_000_009);
        assert!(product_code("EU/1/20/15x8").is_err());
        assert!(product_code("Unknown").is_err());
    }
}
