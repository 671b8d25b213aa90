//! `Nik` (Nomor Induk Kependudukan, the 16-digit national identity number):
//! province (2) + regency (2) + district (2) of first registration, birth
//! date DDMMYY with DD + 40 for women, then a 4-digit serial from 0001.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::mask::mask_digits;

const NIK_LEN: usize = 16;
/// Women's NIKs carry the day of birth plus 40.
const WOMAN_DAY_OFFSET: u32 = 40;

/// A validated NIK. The inner string is exactly 16 ASCII digits.
///
/// `Debug` and `Display` are masked ("35************01"): use
/// [`Nik::as_str`] only where the full number is required (letters,
/// storage).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nik(String);

/// Jenis kelamin (sex) as encoded in a NIK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    LakiLaki,
    Perempuan,
}

impl Sex {
    /// The wording used on letters and KTP.
    pub fn label(self) -> &'static str {
        match self {
            Sex::LakiLaki => "Laki-laki",
            Sex::Perempuan => "Perempuan",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a NIK was rejected. The payloads are counts or the invalid field
/// itself, never the digits of a possibly real NIK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    #[error("NIK is empty")]
    Empty,
    #[error("NIK contains a character that is not a digit: {found:?}")]
    InvalidCharacter { found: char },
    #[error("NIK must have 16 digits, found {found}")]
    WrongLength { found: usize },
    #[error("NIK starts with 0 (a temporary number)")]
    LeadingZero,
    #[error("NIK day of birth {day:02} is not 01-31 or 41-71")]
    InvalidDay { day: u32 },
    #[error("NIK month of birth {month:02} is not 01-12")]
    InvalidMonth { month: u32 },
    #[error("NIK birth date is not a real calendar date")]
    ImpossibleDate,
    #[error("NIK serial number is 0000")]
    ZeroSerial,
}

impl NikError {
    /// A short, polite message in Bahasa Indonesia for the resident: what is
    /// wrong and what to send instead.
    pub fn friendly_message(&self) -> String {
        const CHECK_AGAIN: &str =
            "Mohon dicocokkan lagi dengan KTP atau Kartu Keluarga, lalu kirim ulang.";
        match self {
            NikError::Empty => {
                "Mohon kirim NIK Bapak/Ibu, yaitu 16 angka yang tertera di KTP atau Kartu Keluarga."
                    .to_owned()
            }
            NikError::InvalidCharacter { .. } => "NIK hanya berisi angka, tanpa huruf atau tanda lain. Mohon kirim 16 angka NIK saja, seperti yang tertera di KTP atau Kartu Keluarga.".to_owned(),
            NikError::WrongLength { found } => {
                let hint = if *found < NIK_LEN {
                    "Sepertinya ada angka yang terlewat."
                } else {
                    "Sepertinya ada angka yang berlebih."
                };
                format!(
                    "NIK terdiri dari 16 angka, sedangkan yang Bapak/Ibu kirim {found} angka. {hint} {CHECK_AGAIN}"
                )
            }
            NikError::LeadingZero => "NIK yang diawali angka 0 biasanya nomor sementara, bukan NIK di KTP. Mohon kirim NIK 16 angka yang tertera di KTP atau Kartu Keluarga.".to_owned(),
            NikError::InvalidDay { .. } | NikError::InvalidMonth { .. } | NikError::ImpossibleDate => {
                format!(
                    "Angka ke-7 sampai ke-12 pada NIK adalah tanggal lahir, dan sepertinya ada yang keliru di bagian itu. {CHECK_AGAIN}"
                )
            }
            NikError::ZeroSerial => format!(
                "Empat angka terakhir NIK tidak mungkin 0000. {CHECK_AGAIN}"
            ),
        }
    }
}

/// The administrative level at which a NIK's region differs from the
/// village's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionLevel {
    /// Provinsi: first two digits.
    Province,
    /// Kabupaten/kota: digits 3-4.
    Regency,
    /// Kecamatan: digits 5-6.
    District,
}

/// A NIK registered outside the village's region. Normal (people move and
/// keep their NIK), so this is a note for the resident or officer, not an
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionWarning {
    /// The broadest level that differs.
    pub level: RegionLevel,
    /// The village's region digits that were compared (up to 6).
    pub expected: String,
    /// The NIK's region digits at the same length.
    pub found: String,
}

impl RegionWarning {
    /// A gentle note in Bahasa Indonesia that does not reject the NIK.
    pub fn friendly_message(&self) -> String {
        let area = match self.level {
            RegionLevel::Province => "provinsi lain",
            RegionLevel::Regency => "kabupaten/kota lain",
            RegionLevel::District => "kecamatan lain",
        };
        format!(
            "NIK ini tercatat dari {area}. Tidak apa-apa, permohonan tetap kami proses; petugas mungkin akan menanyakan alamat Bapak/Ibu saat ini."
        )
    }
}

impl Nik {
    /// Validates a NIK as a resident types it: spaces, dots and dashes
    /// between digit groups are ignored ("3510 0612 0390 0001").
    pub fn parse(input: &str) -> Result<Nik, NikError> {
        let digits =
            super::collect_digits(input).map_err(|found| NikError::InvalidCharacter { found })?;
        if digits.is_empty() {
            return Err(NikError::Empty);
        }
        if digits.len() != NIK_LEN {
            return Err(NikError::WrongLength {
                found: digits.len(),
            });
        }
        if digits.starts_with('0') {
            return Err(NikError::LeadingZero);
        }
        let (day, month, yy) = birth_fields(&digits);
        let day = match day {
            1..=31 => day,
            41..=71 => day - WOMAN_DAY_OFFSET,
            _ => return Err(NikError::InvalidDay { day }),
        };
        if !(1..=12).contains(&month) {
            return Err(NikError::InvalidMonth { month });
        }
        if !super::is_real_two_digit_date(day, month, yy) {
            return Err(NikError::ImpossibleDate);
        }
        if digits.ends_with("0000") {
            return Err(NikError::ZeroSerial);
        }
        Ok(Nik(digits))
    }

    /// The full 16 digits. Only for letters and storage: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 2 and last 2 digits visible, for logs: "35************01".
    pub fn masked(&self) -> String {
        mask_digits(&self.0)
    }

    pub fn sex(&self) -> Sex {
        let (day, _, _) = birth_fields(&self.0);
        if day > WOMAN_DAY_OFFSET {
            Sex::Perempuan
        } else {
            Sex::LakiLaki
        }
    }

    /// The birth date, with the two-digit year resolved to the most recent
    /// century that does not put the birth after `today`.
    pub fn birth_date(&self, today: NaiveDate) -> NaiveDate {
        let (day, month, yy) = birth_fields(&self.0);
        let day = if day > WOMAN_DAY_OFFSET {
            day - WOMAN_DAY_OFFSET
        } else {
            day
        };
        // parse() guaranteed a real date in at least one century, so the
        // resolver always finds one; the fallback only satisfies the types.
        super::resolve_two_digit_year(day, month, yy, today).unwrap_or(today)
    }

    /// Province code, e.g. "35" (Jawa Timur).
    pub fn province_code(&self) -> &str {
        &self.0[..2]
    }

    /// Regency/city code including the province, e.g. "3510" (Banyuwangi).
    pub fn regency_code(&self) -> &str {
        &self.0[..4]
    }

    /// District code including regency and province, e.g. "351006" (Cluring).
    pub fn district_code(&self) -> &str {
        &self.0[..6]
    }

    /// Compares the NIK's region with the village's. `expected_prefix` may
    /// be written with dots ("35.10.06" or the village code
    /// "35.10.06.2009"); only its first 6 digits can be compared, because a
    /// NIK carries no village. Returns `None` when the regions agree or
    /// there is nothing to compare.
    pub fn region_warning(&self, expected_prefix: &str) -> Option<RegionWarning> {
        let expected: String = expected_prefix
            .chars()
            .filter(char::is_ascii_digit)
            .take(6)
            .collect();
        let found = &self.0[..expected.len()];
        if expected == found {
            return None;
        }
        let level = [
            RegionLevel::Province,
            RegionLevel::Regency,
            RegionLevel::District,
        ]
        .into_iter()
        .zip((0..6).step_by(2))
        .find(|(_, at)| expected.get(*at..*at + 2) != found.get(*at..*at + 2))
        .map_or(RegionLevel::District, |(level, _)| level);
        Some(RegionWarning {
            level,
            expected,
            found: found.to_owned(),
        })
    }
}

/// (DD, MM, YY) from digits 7-12 of a string already checked to be 16
/// ASCII digits.
fn birth_fields(digits: &str) -> (u32, u32, u32) {
    let field = |at: usize| {
        digits
            .get(at..at + 2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    (field(6), field(8), field(10))
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Nik").field(&self.masked()).finish()
    }
}

/// Masked, like `Debug`, so `%nik` in a log line is safe.
impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl AsRef<str> for Nik {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Nik {
    type Err = NikError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nik::parse(s)
    }
}

impl TryFrom<String> for Nik {
    type Error = NikError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Nik::parse(&value)
    }
}

impl From<Nik> for String {
    fn from(nik: Nik) -> Self {
        nik.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Man, born 12 March 1990, Kec. Cluring.
    const MAN: &str = "3510061203900001";
    /// Woman, born 12 March 1990 (day 12 + 40 = 52).
    const WOMAN: &str = "3510065203900002";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 1).expect("valid test date")
    }

    /// Builds a NIK from region, DDMMYY and serial.
    fn nik(ddmmyy: &str, serial: &str) -> String {
        format!("351006{ddmmyy}{serial}")
    }

    #[test]
    fn accepts_plain_and_separated_input() {
        for input in [
            MAN,
            "3510 0612 0390 0001",
            "3510.0612.0390.0001",
            "3510-0612-0390-0001",
            "  3510061203900001\n",
            "35.10.06.120390.0001",
            "3510–0612–0390–0001",
        ] {
            let parsed = Nik::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.as_str(), MAN);
        }
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(Nik::parse(""), Err(NikError::Empty));
        assert_eq!(Nik::parse("  - . "), Err(NikError::Empty));
    }

    #[test]
    fn rejects_letters() {
        assert_eq!(
            Nik::parse("35100612039O0001"),
            Err(NikError::InvalidCharacter { found: 'O' })
        );
        assert_eq!(
            Nik::parse("NIK 3510061203900001"),
            Err(NikError::InvalidCharacter { found: 'N' })
        );
        assert_eq!(
            Nik::parse("3510/0612/0390/0001"),
            Err(NikError::InvalidCharacter { found: '/' })
        );
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(
            Nik::parse("351006120390001"),
            Err(NikError::WrongLength { found: 15 })
        );
        assert_eq!(
            Nik::parse("35100612039000011"),
            Err(NikError::WrongLength { found: 17 })
        );
        assert_eq!(Nik::parse("1"), Err(NikError::WrongLength { found: 1 }));
    }

    #[test]
    fn rejects_leading_zero() {
        assert_eq!(Nik::parse("0510061203900001"), Err(NikError::LeadingZero));
    }

    #[test]
    fn day_boundaries() {
        let cases = [
            ("000190", Err(NikError::InvalidDay { day: 0 })),
            ("010190", Ok(Sex::LakiLaki)),
            ("310190", Ok(Sex::LakiLaki)),
            ("320190", Err(NikError::InvalidDay { day: 32 })),
            ("400190", Err(NikError::InvalidDay { day: 40 })),
            ("410190", Ok(Sex::Perempuan)),
            ("710190", Ok(Sex::Perempuan)),
            ("720190", Err(NikError::InvalidDay { day: 72 })),
            ("990190", Err(NikError::InvalidDay { day: 99 })),
        ];
        for (ddmmyy, expected) in cases {
            let got = Nik::parse(&nik(ddmmyy, "0001")).map(|n| n.sex());
            assert_eq!(got, expected, "{ddmmyy}");
        }
    }

    #[test]
    fn month_boundaries() {
        assert_eq!(
            Nik::parse(&nik("010090", "0001")),
            Err(NikError::InvalidMonth { month: 0 })
        );
        assert!(Nik::parse(&nik("010190", "0001")).is_ok());
        assert!(Nik::parse(&nik("311290", "0001")).is_ok());
        assert_eq!(
            Nik::parse(&nik("011390", "0001")),
            Err(NikError::InvalidMonth { month: 13 })
        );
        assert_eq!(
            Nik::parse(&nik("419990", "0001")),
            Err(NikError::InvalidMonth { month: 99 })
        );
    }

    #[test]
    fn calendar_dates() {
        // 31 April and 30 February do not exist, for men or women.
        for ddmmyy in [
            "310490", "710490", "300290", "700290", "310690", "310990", "311190",
        ] {
            assert_eq!(
                Nik::parse(&nik(ddmmyy, "0001")),
                Err(NikError::ImpossibleDate),
                "{ddmmyy}"
            );
        }
        for ddmmyy in [
            "300490", "700490", "310190", "310390", "310590", "310790", "310890", "311090",
            "311290",
        ] {
            assert!(Nik::parse(&nik(ddmmyy, "0001")).is_ok(), "{ddmmyy}");
        }
    }

    #[test]
    fn leap_years() {
        // 29 Feb exists in 1988, 1996, 2000 (leap), 2024.
        for ddmmyy in ["290288", "290296", "290200", "290224", "690288", "690200"] {
            assert!(Nik::parse(&nik(ddmmyy, "0001")).is_ok(), "{ddmmyy}");
        }
        // ... but not in 1990, 2001, 2023.
        for ddmmyy in ["290290", "290201", "290223", "690290"] {
            assert_eq!(
                Nik::parse(&nik(ddmmyy, "0001")),
                Err(NikError::ImpossibleDate),
                "{ddmmyy}"
            );
        }
        assert!(Nik::parse(&nik("280290", "0001")).is_ok());
    }

    #[test]
    fn serial_boundaries() {
        assert_eq!(
            Nik::parse(&nik("120390", "0000")),
            Err(NikError::ZeroSerial)
        );
        assert!(Nik::parse(&nik("120390", "0001")).is_ok());
        assert!(Nik::parse(&nik("120390", "9999")).is_ok());
        assert!(Nik::parse(&nik("120390", "1000")).is_ok());
    }

    #[test]
    fn checks_run_in_a_helpful_order() {
        // Length is reported before anything about the content.
        assert_eq!(
            Nik::parse("0000000000000"),
            Err(NikError::WrongLength { found: 13 })
        );
        // Leading zero before the date.
        assert_eq!(Nik::parse("0510069903900000"), Err(NikError::LeadingZero));
    }

    #[test]
    fn sex_from_day() {
        assert_eq!(Nik::parse(MAN).map(|n| n.sex()), Ok(Sex::LakiLaki));
        assert_eq!(Nik::parse(WOMAN).map(|n| n.sex()), Ok(Sex::Perempuan));
        assert_eq!(Sex::LakiLaki.to_string(), "Laki-laki");
        assert_eq!(Sex::Perempuan.to_string(), "Perempuan");
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn birth_date_resolves_century() {
        let birth = |s: &str| Nik::parse(s).map(|n| n.birth_date(today()));
        assert_eq!(birth(MAN), Ok(ymd(1990, 3, 12)));
        assert_eq!(birth(WOMAN), Ok(ymd(1990, 3, 12)));
        assert_eq!(birth(&nik("010124", "0001")), Ok(ymd(2024, 1, 1)));
        // Today (1 May 2026) is still 2026; the day after is 1926.
        assert_eq!(birth(&nik("010526", "0001")), Ok(ymd(2026, 5, 1)));
        assert_eq!(birth(&nik("020526", "0001")), Ok(ymd(1926, 5, 2)));
        assert_eq!(birth(&nik("170845", "0001")), Ok(ymd(1945, 8, 17)));
        assert_eq!(birth(&nik("290200", "0001")), Ok(ymd(2000, 2, 29)));
        assert_eq!(birth(&nik("690200", "0001")), Ok(ymd(2000, 2, 29)));
        assert_eq!(birth(&nik("310199", "0001")), Ok(ymd(1999, 1, 31)));
    }

    #[test]
    fn birth_date_of_29_feb_00_before_2000_falls_back() {
        // 1900 was not a leap year: only 2000-02-29 exists.
        let early = ymd(1999, 12, 31);
        let n = Nik::parse(&nik("290200", "0001")).expect("valid NIK");
        assert_eq!(n.birth_date(early), ymd(2000, 2, 29));
    }

    #[test]
    fn region_codes() {
        let n = Nik::parse(MAN).expect("valid NIK");
        assert_eq!(n.province_code(), "35");
        assert_eq!(n.regency_code(), "3510");
        assert_eq!(n.district_code(), "351006");
    }

    #[test]
    fn region_warning_levels() {
        let n = Nik::parse(MAN).expect("valid NIK");
        assert_eq!(n.region_warning("35.10.06"), None);
        assert_eq!(n.region_warning("35.10.06.2009"), None);
        assert_eq!(n.region_warning("3510"), None);
        assert_eq!(n.region_warning("35"), None);
        assert_eq!(n.region_warning(""), None);

        let w = n.region_warning("35.10.07").expect("other district");
        assert_eq!(w.level, RegionLevel::District);
        assert_eq!(
            (w.expected.as_str(), w.found.as_str()),
            ("351007", "351006")
        );

        let w = n.region_warning("35.09").expect("other regency");
        assert_eq!(w.level, RegionLevel::Regency);
        assert_eq!(w.found, "3510");

        let w = n.region_warning("33.10.06").expect("other province");
        assert_eq!(w.level, RegionLevel::Province);
        assert!(w.friendly_message().contains("provinsi lain"));
        assert!(w.friendly_message().contains("Tidak apa-apa"));
    }

    #[test]
    fn masked_shows_two_digits_each_end() {
        let n = Nik::parse(MAN).expect("valid NIK");
        assert_eq!(n.masked(), "35************01");
        assert_eq!(n.to_string(), "35************01");
    }

    #[test]
    fn debug_never_contains_raw_number() {
        let n = Nik::parse(WOMAN).expect("valid NIK");
        let debug = format!("{n:?}");
        let pretty = format!("{n:#?}");
        let display = format!("{n}");
        for out in [&debug, &pretty, &display] {
            assert!(!out.contains(WOMAN), "{out}");
            // Nor the birth-date digits that reveal sex and birth date.
            assert!(!out.contains("520390"), "{out}");
            assert!(!out.contains("5203"), "{out}");
        }
        assert_eq!(debug, "Nik(\"35************02\")");
        // Debug of a containing struct stays masked as well.
        let wrapped = format!("{:?}", Some(n));
        assert!(!wrapped.contains(WOMAN));
    }

    #[test]
    fn serde_round_trip_validates() {
        let n = Nik::parse(MAN).expect("valid NIK");
        let json = serde_json::to_string(&n).expect("serialise");
        assert_eq!(json, format!("\"{MAN}\""));
        let back: Nik = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, n);
        assert!(serde_json::from_str::<Nik>("\"3510061203900000\"").is_err());
        assert!(serde_json::from_str::<Nik>("\"123\"").is_err());
        assert!(serde_json::from_str::<Nik>("3510061203900001").is_err());
    }

    #[test]
    fn from_str_and_try_from() {
        assert_eq!(
            MAN.parse::<Nik>().map(|n| n.as_str().to_owned()),
            Ok(MAN.to_owned())
        );
        assert!(Nik::try_from(String::from("abc")).is_err());
        assert_eq!(String::from(Nik::parse(MAN).expect("valid")), MAN);
        let n = Nik::parse(MAN).expect("valid");
        assert_eq!(AsRef::<str>::as_ref(&n), MAN);
    }

    #[test]
    fn friendly_messages_are_specific_and_indonesian() {
        let msg = NikError::WrongLength { found: 15 }.friendly_message();
        assert!(msg.contains("16 angka"), "{msg}");
        assert!(msg.contains("15 angka"), "{msg}");
        assert!(msg.contains("terlewat"), "{msg}");
        let msg = NikError::WrongLength { found: 17 }.friendly_message();
        assert!(msg.contains("berlebih"), "{msg}");
        let msg = NikError::LeadingZero.friendly_message();
        assert!(msg.contains("sementara"), "{msg}");
        for err in [
            NikError::InvalidDay { day: 32 },
            NikError::InvalidMonth { month: 13 },
            NikError::ImpossibleDate,
        ] {
            assert!(err.friendly_message().contains("tanggal lahir"), "{err:?}");
        }
        assert!(NikError::ZeroSerial.friendly_message().contains("0000"));
        assert!(NikError::Empty.friendly_message().contains("16 angka"));
        assert!(NikError::InvalidCharacter { found: 'x' }
            .friendly_message()
            .contains("angka"));
    }

    #[test]
    fn friendly_messages_are_short_and_polite() {
        let all = [
            NikError::Empty,
            NikError::InvalidCharacter { found: 'a' },
            NikError::WrongLength { found: 3 },
            NikError::LeadingZero,
            NikError::InvalidDay { day: 0 },
            NikError::InvalidMonth { month: 0 },
            NikError::ImpossibleDate,
            NikError::ZeroSerial,
        ];
        for err in all {
            let msg = err.friendly_message();
            assert!(msg.chars().count() <= 300, "{msg}");
            assert!(msg.contains("Mohon"), "{msg}");
            assert!(!msg.contains("  "), "{msg}");
        }
    }

    #[test]
    fn error_payloads_do_not_carry_the_number() {
        let err = Nik::parse("3510061203900000").expect_err("zero serial");
        assert!(!format!("{err:?}").contains("351006"));
        let err = Nik::parse("351006120390001").expect_err("short");
        assert!(!format!("{err:?} {err}").contains("351006"));
    }
}
