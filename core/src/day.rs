//! Calendar days as integers: days since 1970-01-01 (UTC), the encoding of every date slot,
//! of issue and expiry days and of the public `as_of`.

use crate::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A day number: days since 1970-01-01 UTC. Fits [`crate::DAY_BITS`] bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub u32);

impl Day {
    /// The last day a date string can name: 9999-12-31 (`YYYY-MM-DD` has four year digits).
    /// Day numbers from binary encodings are refused above it.
    pub const LAST: Day = Day(2_932_896);

    /// The day for a proleptic Gregorian date, if it is on or after 1970-01-01 and valid.
    pub fn from_ymd(y: i64, m: u32, d: u32) -> Option<Day> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m as i64 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        u32::try_from(days).ok().map(Day)
    }

    /// Year, month, day of this day number.
    pub fn to_ymd(self) -> (i64, u32, u32) {
        let z = self.0 as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(field: &str, s: &str) -> Result<Day> {
        let bad = || Error::invalid(format!("{field}: expected a date YYYY-MM-DD on or after 1970-01-01, got {s:?}"));
        // Exactly `DDDD-DD-DD` in ASCII digits: one spelling per day (no sign, no space).
        let shape = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape {
            return Err(bad());
        }
        let parts: Vec<&str> = s.split('-').collect();
        let y: i64 = parts[0].parse().map_err(|_| bad())?;
        let m: u32 = parts[1].parse().map_err(|_| bad())?;
        let d: u32 = parts[2].parse().map_err(|_| bad())?;
        Day::from_ymd(y, m, d).ok_or_else(bad)
    }

    /// This day plus `n` days (saturating at the ends of the range).
    pub fn plus(self, n: i64) -> Day {
        Day((self.0 as i64 + n).clamp(0, u32::MAX as i64) as u32)
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_string().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Day, D::Error> {
        let s = String::deserialize(d)?;
        Day::parse("date", &s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_days() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(Day::from_ymd(2000, 3, 1), Some(Day(11_017)));
        assert_eq!(Day::parse("d", "2026-11-21").unwrap(), Day(20_778));
        assert_eq!(Day::from_ymd(1969, 12, 31), None);
        assert_eq!(Day::from_ymd(2023, 2, 29), None);
        assert!(Day::from_ymd(2024, 2, 29).is_some());
        assert!(Day::parse("d", "2026-13-01").is_err());
        assert!(Day::parse("d", "21/11/2026").is_err());
        assert_eq!(Day::from_ymd(9999, 12, 31), Some(Day::LAST));
        assert_eq!(Day::parse("d", &Day::LAST.to_string()), Ok(Day::LAST));
        assert!(Day::parse("d", &Day(Day::LAST.0 + 1).to_string()).is_err(), "five-digit years do not parse");
    }

    /// One spelling per day: a sign, a space or a non-ASCII digit in any field is refused
    /// (`str::parse` alone takes `+1` for 1, so `2026-+1-+5` was a second spelling).
    #[test]
    fn only_one_spelling_per_day() {
        for s in [
            "2026-+1-+5",
            "+026-01-05",
            "2026-01-+5",
            "2026-1 -05",
            " 2026-1-05",
            "2026-01-5 ",
            "2026-٠١-05",
            "2026_01_05",
        ] {
            let e = Day::parse("as_of", s).unwrap_err().to_string();
            assert!(e.contains("as_of: expected a date YYYY-MM-DD"), "{s:?}: {e}");
        }
        assert_eq!(Day::parse("as_of", "2026-01-05").unwrap().to_string(), "2026-01-05");
    }

    proptest! {
        #[test]
        fn round_trip(n in 0u32..3_000_000) {
            let (y, m, d) = Day(n).to_ymd();
            prop_assert_eq!(Day::from_ymd(y, m, d), Some(Day(n)));
        }
    }
}
