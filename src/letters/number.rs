//! Letter numbers (nomor surat): the village's format, Roman months, the per-year counter.
//!
//! Pure: the dashboard takes the next value of the village's counter for the year
//! ([`counter_name`]) inside the transaction that stores the letter, and formats it here. The
//! counter is per village and per year, so numbering starts again at 001 every January and two
//! letters never share a number (the `letter` table's unique constraints back that up).

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

/// The format OpenSID villages use: `474.4/007/35.10.06.2009/XI/2026`.
pub const DEFAULT_FORMAT: &str = "{kode}/{nomor}/{kode_desa}/{bulan}/{tahun}";

/// The placeholders a format may use, for error messages and the README.
pub const PLACEHOLDERS: &[&str] = &["kode", "nomor", "kode_desa", "bulan", "tahun"];

/// One piece of a parsed format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// The service's classification code (`kode surat`).
    Kode,
    /// The sequence within the year, at least 3 digits.
    Nomor,
    /// The Kemendagri region code of the desa.
    KodeDesa,
    /// The month in Roman numerals.
    Bulan,
    /// The four-digit year.
    Tahun,
}

/// Why a number format is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("unknown placeholder {{{0}}}; use {{kode}}, {{nomor}}, {{kode_desa}}, {{bulan}} or {{tahun}}")]
    Unknown(String),
    #[error("a '{{' is not closed by '}}'")]
    Unclosed,
    #[error("a '}}' has no opening '{{'")]
    StrayClose,
    #[error("{{nomor}} is missing: letters would share a number")]
    NoNomor,
    #[error("{{tahun}} is missing: numbering starts again every year, so the same number would come back next year")]
    NoTahun,
    #[error("the format is longer than 200 characters")]
    TooLong,
}

/// A validated letter number format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    parts: Vec<Part>,
}

impl NumberFormat {
    /// Parse a format such as [`DEFAULT_FORMAT`]. It must contain `{nomor}` and `{tahun}`;
    /// any other `{…}` than the known placeholders is an error (a typo would otherwise print).
    pub fn parse(format: &str) -> Result<NumberFormat, FormatError> {
        if format.chars().count() > 200 {
            return Err(FormatError::TooLong);
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        while let Some(c) = rest.chars().next() {
            match c {
                '{' => {
                    let end = rest.find('}').ok_or(FormatError::Unclosed)?;
                    let name = &rest[1..end];
                    if name.contains('{') {
                        return Err(FormatError::Unclosed);
                    }
                    let part = match name.trim() {
                        "kode" => Part::Kode,
                        "nomor" => Part::Nomor,
                        "kode_desa" => Part::KodeDesa,
                        "bulan" => Part::Bulan,
                        "tahun" => Part::Tahun,
                        other => return Err(FormatError::Unknown(other.to_string())),
                    };
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(part);
                    rest = &rest[end + 1..];
                }
                '}' => return Err(FormatError::StrayClose),
                c => {
                    text.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        if !parts.contains(&Part::Nomor) {
            return Err(FormatError::NoNomor);
        }
        if !parts.contains(&Part::Tahun) {
            return Err(FormatError::NoTahun);
        }
        Ok(NumberFormat { parts })
    }

    /// Write the number of letter `seq` of the year `date` falls in.
    pub fn format(&self, kode: &str, seq: i64, kode_desa: &str, date: NaiveDate) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Kode => out.push_str(kode),
                Part::Nomor => out.push_str(&pad(seq)),
                Part::KodeDesa => out.push_str(kode_desa),
                Part::Bulan => out.push_str(roman_month(date.month())),
                Part::Tahun => out.push_str(&date.year().to_string()),
            }
        }
        out
    }
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat::parse(DEFAULT_FORMAT).expect("the default format is valid")
    }
}

impl fmt::Display for NumberFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(t) => f.write_str(t)?,
                Part::Kode => f.write_str("{kode}")?,
                Part::Nomor => f.write_str("{nomor}")?,
                Part::KodeDesa => f.write_str("{kode_desa}")?,
                Part::Bulan => f.write_str("{bulan}")?,
                Part::Tahun => f.write_str("{tahun}")?,
            }
        }
        Ok(())
    }
}

/// The sequence zero-padded to three digits ("007"); a thousandth letter keeps all its digits.
pub fn pad(seq: i64) -> String {
    format!("{seq:03}")
}

/// The month (1–12) in Roman numerals, as letter numbers write it; "?" outside 1–12.
pub fn roman_month(month: u32) -> &'static str {
    const ROMAN: [&str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];
    month
        .checked_sub(1)
        .and_then(|i| ROMAN.get(i as usize))
        .copied()
        .unwrap_or("?")
}

/// The village counter the letters of `year` are numbered from: a new counter each year is what
/// makes numbering start again at 001.
pub fn counter_name(year: i32) -> String {
    format!("letter:{year}")
}

/// The village's calendar date at `now` (a letter made at 00:30 WIB on 1 January belongs to the
/// new year, although it is still the old year in UTC).
pub fn local_date(now: DateTime<Utc>, zone: FixedOffset) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_default_format_is_opensids() {
        let f = NumberFormat::default();
        assert_eq!(
            f.format("474.4", 7, "35.10.06.2009", date(2026, 11, 28)),
            "474.4/007/35.10.06.2009/XI/2026"
        );
        assert_eq!(f.to_string(), DEFAULT_FORMAT);
    }

    #[test]
    fn roman_months() {
        let all: Vec<&str> = (1..=12).map(roman_month).collect();
        assert_eq!(
            all,
            ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
        );
        assert_eq!(roman_month(0), "?");
        assert_eq!(roman_month(13), "?");
    }

    #[test]
    fn sequence_is_padded_to_three_digits_but_never_cut() {
        assert_eq!(pad(1), "001");
        assert_eq!(pad(42), "042");
        assert_eq!(pad(999), "999");
        assert_eq!(pad(1000), "1000");
    }

    #[test]
    fn numbering_restarts_each_year_on_the_local_date() {
        assert_eq!(counter_name(2026), "letter:2026");
        assert_ne!(counter_name(2026), counter_name(2027));
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        // 31 December 2026, 17:30 UTC is 00:30 on 1 January 2027 in Banyuwangi.
        let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 17, 30, 0).unwrap();
        let local = local_date(new_year, wib);
        assert_eq!(local, date(2027, 1, 1));
        assert_eq!(counter_name(local.year()), "letter:2027");
        // The first letter of the new year is 001 again, in month I.
        assert_eq!(
            NumberFormat::default().format("331", 1, "35.10.06.2009", local),
            "331/001/35.10.06.2009/I/2027"
        );
        let before = Utc.with_ymd_and_hms(2026, 12, 31, 16, 59, 0).unwrap();
        assert_eq!(local_date(before, wib), date(2026, 12, 31));
    }

    #[test]
    fn other_formats() {
        let f = NumberFormat::parse("{nomor}/{ kode }/DS-KLP/{bulan}.{tahun}").unwrap();
        assert_eq!(
            f.format("470", 12, "x", date(2026, 4, 1)),
            "012/470/DS-KLP/IV.2026"
        );
        // Text may be anything but braces, Unicode included.
        let f = NumberFormat::parse("Nomor: {nomor} — {tahun}").unwrap();
        assert_eq!(f.format("1", 3, "", date(2026, 1, 1)), "Nomor: 003 — 2026");
    }

    #[test]
    fn bad_formats_are_refused_with_a_reason() {
        let cases = [
            (
                "{kode}/{nomer}/{tahun}",
                FormatError::Unknown("nomer".into()),
            ),
            ("{kode}/{nomor}/{tahun", FormatError::Unclosed),
            ("{kode/{nomor}/{tahun}", FormatError::Unclosed),
            ("kode}/{nomor}/{tahun}", FormatError::StrayClose),
            ("{kode}/{bulan}/{tahun}", FormatError::NoNomor),
            ("{kode}/{nomor}/{bulan}", FormatError::NoTahun),
            ("", FormatError::NoNomor),
            ("{}/{nomor}/{tahun}", FormatError::Unknown(String::new())),
        ];
        for (format, expected) in cases {
            assert_eq!(NumberFormat::parse(format), Err(expected), "{format}");
        }
        let long = format!("{{nomor}}{{tahun}}{}", "x".repeat(200));
        assert_eq!(NumberFormat::parse(&long), Err(FormatError::TooLong));
        let message = FormatError::Unknown("nomer".into()).to_string();
        assert!(message.contains("{nomer}"), "{message}");
        assert!(message.contains("{kode_desa}"), "{message}");
    }
}
