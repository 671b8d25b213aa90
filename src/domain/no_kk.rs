//! `NoKk` (Nomor Kartu Keluarga, the family card number): 16 digits, the
//! 6-digit region code of the issuing district, the issue date DDMMYY in
//! digits 7-12, then a serial.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::mask::mask_digits;

const NO_KK_LEN: usize = 16;

/// A validated family card number: exactly 16 ASCII digits.
///
/// `Debug` and `Display` are masked; use [`NoKk::as_str`] only where the
/// full number is required.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoKk(String);

/// Why a family card number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoKkError {
    #[error("KK number is empty")]
    Empty,
    #[error("KK number contains a character that is not a digit: {found:?}")]
    InvalidCharacter { found: char },
    #[error("KK number must have 16 digits, found {found}")]
    WrongLength { found: usize },
    #[error("KK number starts with 0")]
    LeadingZero,
    /// Province, regency and district codes are each 01 or more; "00" means
    /// the region part was mistyped.
    #[error("KK number region code contains 00")]
    InvalidRegion,
    #[error("KK issue day {day:02} is not 01-31")]
    InvalidDay { day: u32 },
    #[error("KK issue month {month:02} is not 01-12")]
    InvalidMonth { month: u32 },
    #[error("KK issue date is not a real calendar date")]
    ImpossibleDate,
}

impl NoKkError {
    /// A short, polite message in Bahasa Indonesia for the resident.
    pub fn friendly_message(&self) -> String {
        const CHECK_AGAIN: &str =
            "Mohon dicocokkan lagi dengan nomor di bagian atas Kartu Keluarga, lalu kirim ulang.";
        match self {
            NoKkError::Empty => "Mohon kirim nomor Kartu Keluarga (KK), yaitu 16 angka di bagian atas Kartu Keluarga.".to_owned(),
            NoKkError::InvalidCharacter { .. } => format!(
                "Nomor KK hanya berisi angka, tanpa huruf. {CHECK_AGAIN}"
            ),
            NoKkError::WrongLength { found } => {
                let hint = if *found < NO_KK_LEN {
                    "Sepertinya ada angka yang terlewat."
                } else {
                    "Sepertinya ada angka yang berlebih."
                };
                format!(
                    "Nomor KK terdiri dari 16 angka, sedangkan yang Bapak/Ibu kirim {found} angka. {hint} {CHECK_AGAIN}"
                )
            }
            NoKkError::LeadingZero => format!(
                "Nomor KK tidak diawali angka 0. {CHECK_AGAIN}"
            ),
            NoKkError::InvalidRegion => format!(
                "Enam angka pertama nomor KK adalah kode wilayah, dan sepertinya ada yang keliru di bagian itu. {CHECK_AGAIN}"
            ),
            // A woman's NIK has day 41-71 exactly where a KK has its issue
            // day, so that range almost always means the NIK was sent.
            NoKkError::InvalidDay { day: 41..=71 } => "Sepertinya yang terkirim adalah NIK, bukan nomor KK. Mohon kirim nomor Kartu Keluarga, yaitu 16 angka di bagian atas Kartu Keluarga.".to_owned(),
            NoKkError::InvalidDay { .. } | NoKkError::InvalidMonth { .. } | NoKkError::ImpossibleDate => format!(
                "Angka ke-7 sampai ke-12 nomor KK adalah tanggal, dan sepertinya ada yang keliru di bagian itu. {CHECK_AGAIN}"
            ),
        }
    }
}

impl NoKk {
    /// Validates a family card number; spaces, dots and dashes between digit
    /// groups are ignored.
    pub fn parse(input: &str) -> Result<NoKk, NoKkError> {
        let digits =
            super::collect_digits(input).map_err(|found| NoKkError::InvalidCharacter { found })?;
        if digits.is_empty() {
            return Err(NoKkError::Empty);
        }
        if digits.len() != NO_KK_LEN {
            return Err(NoKkError::WrongLength {
                found: digits.len(),
            });
        }
        if digits.starts_with('0') {
            return Err(NoKkError::LeadingZero);
        }
        if [0, 2, 4].iter().any(|&at| field(&digits, at) == 0) {
            return Err(NoKkError::InvalidRegion);
        }
        let (day, month, yy) = (field(&digits, 6), field(&digits, 8), field(&digits, 10));
        if !(1..=31).contains(&day) {
            return Err(NoKkError::InvalidDay { day });
        }
        if !(1..=12).contains(&month) {
            return Err(NoKkError::InvalidMonth { month });
        }
        if !super::is_real_two_digit_date(day, month, yy) {
            return Err(NoKkError::ImpossibleDate);
        }
        Ok(NoKk(digits))
    }

    /// The full 16 digits. Only for letters and storage: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 2 and last 2 digits visible, for logs.
    pub fn masked(&self) -> String {
        mask_digits(&self.0)
    }

    /// District code of the issuing office, e.g. "351006".
    pub fn district_code(&self) -> &str {
        &self.0[..6]
    }

    /// The issue date encoded in digits 7-12, with the two-digit year
    /// resolved to the most recent century not after `today`.
    pub fn issue_date(&self, today: NaiveDate) -> NaiveDate {
        let (day, month, yy) = (field(&self.0, 6), field(&self.0, 8), field(&self.0, 10));
        // parse() guaranteed a real date, so the fallback is never used.
        super::resolve_two_digit_year(day, month, yy, today).unwrap_or(today)
    }
}

/// Two-digit number at `at` in a string already checked to be ASCII digits.
fn field(digits: &str, at: usize) -> u32 {
    digits
        .get(at..at + 2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

impl fmt::Debug for NoKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NoKk").field(&self.masked()).finish()
    }
}

/// Masked, like `Debug`, so `%no_kk` in a log line is safe.
impl fmt::Display for NoKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl AsRef<str> for NoKk {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for NoKk {
    type Err = NoKkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoKk::parse(s)
    }
}

impl TryFrom<String> for NoKk {
    type Error = NoKkError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        NoKk::parse(&value)
    }
}

impl From<NoKk> for String {
    fn from(kk: NoKk) -> Self {
        kk.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issued 25 December 2015 in Kec. Cluring.
    const KK: &str = "3510062512150003";

    fn kk(ddmmyy: &str) -> String {
        format!("351006{ddmmyy}0003")
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn accepts_plain_and_separated_input() {
        for input in [
            KK,
            "3510 0625 1215 0003",
            "3510.0625.1215.0003",
            "3510-0625-1215-0003",
        ] {
            assert_eq!(
                NoKk::parse(input).map(|k| k.as_str().to_owned()),
                Ok(KK.to_owned())
            );
        }
    }

    #[test]
    fn rejects_empty_letters_and_length() {
        assert_eq!(NoKk::parse(" "), Err(NoKkError::Empty));
        assert_eq!(
            NoKk::parse("KK3510062512150003"),
            Err(NoKkError::InvalidCharacter { found: 'K' })
        );
        assert_eq!(
            NoKk::parse("351006251215003"),
            Err(NoKkError::WrongLength { found: 15 })
        );
        assert_eq!(
            NoKk::parse("35100625121500033"),
            Err(NoKkError::WrongLength { found: 17 })
        );
    }

    #[test]
    fn rejects_zero_region() {
        assert_eq!(NoKk::parse("0510062512150003"), Err(NoKkError::LeadingZero));
        assert_eq!(
            NoKk::parse("3500062512150003"),
            Err(NoKkError::InvalidRegion)
        );
        assert_eq!(
            NoKk::parse("3510002512150003"),
            Err(NoKkError::InvalidRegion)
        );
        assert!(NoKk::parse("1101012512150003").is_ok());
    }

    #[test]
    fn day_and_month_boundaries() {
        assert_eq!(
            NoKk::parse(&kk("000115")),
            Err(NoKkError::InvalidDay { day: 0 })
        );
        assert!(NoKk::parse(&kk("010115")).is_ok());
        assert!(NoKk::parse(&kk("310115")).is_ok());
        assert_eq!(
            NoKk::parse(&kk("320115")),
            Err(NoKkError::InvalidDay { day: 32 })
        );
        // Women's day offset does not apply to KK.
        assert_eq!(
            NoKk::parse(&kk("410115")),
            Err(NoKkError::InvalidDay { day: 41 })
        );
        assert_eq!(
            NoKk::parse(&kk("010015")),
            Err(NoKkError::InvalidMonth { month: 0 })
        );
        assert!(NoKk::parse(&kk("011215")).is_ok());
        assert_eq!(
            NoKk::parse(&kk("011315")),
            Err(NoKkError::InvalidMonth { month: 13 })
        );
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(NoKk::parse(&kk("310415")), Err(NoKkError::ImpossibleDate));
        assert_eq!(NoKk::parse(&kk("290215")), Err(NoKkError::ImpossibleDate));
        assert!(NoKk::parse(&kk("290216")).is_ok());
        assert!(NoKk::parse(&kk("290200")).is_ok());
        assert!(NoKk::parse(&kk("280215")).is_ok());
    }

    #[test]
    fn serial_is_not_checked() {
        // Unlike NIK, the KK serial rule is not established; do not reject.
        assert!(NoKk::parse("3510062512150000").is_ok());
    }

    #[test]
    fn issue_date_and_region() {
        let k = NoKk::parse(KK).expect("valid");
        let today = ymd(2026, 5, 1);
        assert_eq!(k.issue_date(today), ymd(2015, 12, 25));
        assert_eq!(k.district_code(), "351006");
        let old = NoKk::parse(&kk("150398")).expect("valid");
        assert_eq!(old.issue_date(today), ymd(1998, 3, 15));
    }

    #[test]
    fn masked_everywhere() {
        let k = NoKk::parse(KK).expect("valid");
        assert_eq!(k.masked(), "35************03");
        assert_eq!(format!("{k:?}"), "NoKk(\"35************03\")");
        assert_eq!(k.to_string(), "35************03");
        assert!(!format!("{k:#?}").contains(KK));
        assert!(!format!("{:?}", vec![k]).contains("251215"));
    }

    #[test]
    fn serde_round_trip_validates() {
        let k = NoKk::parse(KK).expect("valid");
        let json = serde_json::to_string(&k).expect("serialise");
        assert_eq!(json, format!("\"{KK}\""));
        assert_eq!(serde_json::from_str::<NoKk>(&json).ok(), Some(k));
        assert!(serde_json::from_str::<NoKk>("\"3510063212150003\"").is_err());
    }

    #[test]
    fn conversions() {
        assert!(KK.parse::<NoKk>().is_ok());
        assert!(NoKk::try_from(String::from("12")).is_err());
        let k = NoKk::parse(KK).expect("valid");
        assert_eq!(AsRef::<str>::as_ref(&k), KK);
        assert_eq!(String::from(k), KK);
    }

    #[test]
    fn friendly_messages() {
        let msg = NoKkError::WrongLength { found: 15 }.friendly_message();
        assert!(
            msg.contains("16 angka") && msg.contains("15 angka"),
            "{msg}"
        );
        // A woman's NIK sent where the KK was asked for.
        let err = NoKk::parse("3510065203900002").expect_err("NIK, not KK");
        assert!(err.friendly_message().contains("NIK"), "{err:?}");
        let msg = NoKkError::InvalidDay { day: 32 }.friendly_message();
        assert!(msg.contains("tanggal"), "{msg}");
        for err in [
            NoKkError::Empty,
            NoKkError::InvalidCharacter { found: 'x' },
            NoKkError::WrongLength { found: 17 },
            NoKkError::LeadingZero,
            NoKkError::InvalidRegion,
            NoKkError::InvalidDay { day: 45 },
            NoKkError::InvalidMonth { month: 13 },
            NoKkError::ImpossibleDate,
        ] {
            let msg = err.friendly_message();
            assert!(msg.contains("Mohon") && msg.contains("KK"), "{msg}");
            assert!(msg.chars().count() <= 300, "{msg}");
        }
    }
}
