//! Dates and times as residents type them ("17-08-1990", "17/8/90",
//! "17 agt 1990", "tgl 5 januari 2024", "jam 2 siang"), and the Indonesian
//! long date used on letters ("17 Agustus 1990").

use chrono::{Datelike, NaiveDate, NaiveTime};

/// Month names for letters, January first.
const BULAN: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Spellings that are not a prefix of a full name below (abbreviations
/// with letters dropped from the middle).
const MONTH_ALIASES: [(&str, u32); 8] = [
    ("agt", 8),
    ("ags", 8),
    ("agst", 8),
    ("spt", 9),
    ("sep", 9),
    ("okt", 10),
    ("nop", 11),
    ("des", 12),
];

/// Full names whose prefixes of 3+ letters are accepted ("jan", "agus",
/// "sept"). Old spellings (pebruari, nopember) and English names are
/// included because residents copy dates from old documents and phones.
const MONTH_NAMES: [(&str, u32); 23] = [
    ("januari", 1),
    ("january", 1),
    ("februari", 2),
    ("pebruari", 2),
    ("february", 2),
    ("maret", 3),
    ("march", 3),
    ("april", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("juli", 7),
    ("july", 7),
    ("agustus", 8),
    ("august", 8),
    ("september", 9),
    ("oktober", 10),
    ("october", 10),
    ("november", 11),
    ("nopember", 11),
    ("desember", 12),
    ("december", 12),
];

/// Words residents put around a date that carry no information.
const DATE_FILLERS: [&str; 20] = [
    "tgl", "tg", "tggl", "tanggal", "tangal", "tanggl", "pada", "hari", "senin", "selasa", "rabu",
    "kamis", "jumat", "sabtu", "minggu", "ahad", "tahun", "thn", "th", "bulan",
];

/// Years outside this range are typos ("1099", "2990"), not real dates.
const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2199;

/// A two-digit year means this century unless that is more than this many
/// years ahead ("30" is 2030 in 2026, "45" is 1945). Appointments and
/// plans are rarely further ahead; birth years of the very old (1927-1931
/// in 2026) are the price, and 4-digit years are always unambiguous.
const TWO_DIGIT_YEAR_FUTURE_WINDOW: i32 = 5;

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("date is empty")]
    Empty,
    #[error("date format not recognised")]
    Unrecognised,
    #[error("date has no year")]
    MissingYear,
    #[error("unknown month name {word:?}")]
    UnknownMonth { word: String },
    #[error("day {day} is not 1-31")]
    DayOutOfRange { day: u32 },
    #[error("month {month} is not 1-12")]
    MonthOutOfRange { month: u32 },
    #[error("year {year} is out of range")]
    YearOutOfRange { year: u32 },
    #[error("{day}-{month}-{year} is not a calendar date")]
    ImpossibleDate { day: u32, month: u32, year: i32 },
    #[error("birth date is in the future")]
    InFuture,
}

impl DateError {
    /// A short, polite message in Bahasa Indonesia for the resident.
    pub fn friendly_message(&self) -> String {
        const EXAMPLE: &str = "contoh: 17-08-1990 atau 17 Agustus 1990";
        match self {
            DateError::Empty => format!("Mohon kirim tanggalnya, {EXAMPLE}."),
            DateError::Unrecognised => format!(
                "Maaf, tanggalnya belum bisa kami baca. Mohon tulis tanggal, bulan, dan tahun, {EXAMPLE}."
            ),
            DateError::MissingYear => {
                "Mohon sertakan tahunnya juga, contoh: 17 Agustus 1990.".to_owned()
            }
            DateError::UnknownMonth { word } => {
                let word: String = word.chars().take(20).collect();
                format!(
                    "Maaf, nama bulan \"{word}\" belum kami kenali. Mohon tulis bulannya dengan angka atau nama lengkap, {EXAMPLE}."
                )
            }
            DateError::DayOutOfRange { day } => format!(
                "Tanggal {day} tidak ada, karena tanggal hanya dari 1 sampai 31. Mohon periksa lagi, {EXAMPLE}."
            ),
            DateError::MonthOutOfRange { month } => format!(
                "Bulan {month} tidak ada, karena bulan hanya dari 1 sampai 12. Mohon periksa lagi, {EXAMPLE}."
            ),
            DateError::YearOutOfRange { year } => format!(
                "Tahun {year} sepertinya keliru. Mohon tulis tahun dengan 4 angka, contoh: 1990."
            ),
            DateError::ImpossibleDate {
                day: 29,
                month: 2,
                year,
            } => format!(
                "Tahun {year} bukan tahun kabisat, jadi tidak ada tanggal 29 Februari. Mohon periksa lagi tanggalnya."
            ),
            DateError::ImpossibleDate { day, month, year } => {
                let name = month_name(*month);
                let last = last_day_of_month(*year, *month);
                format!(
                    "Tanggal {day} {name} tidak ada, karena bulan {name} hanya sampai tanggal {last}. Mohon periksa lagi tanggalnya."
                )
            }
            DateError::InFuture => format!(
                "Tanggal lahir tidak mungkin setelah hari ini. Mohon periksa lagi, {EXAMPLE}."
            ),
        }
    }
}

/// Reads a date as residents type it. Two-digit years mean this century
/// unless that is more than 5 years after `today` ("17/8/90" is 1990,
/// "5/1/27" is 2027).
///
/// Accepted: "17-08-1990", "17/8/90", "17.08.1990", "17 8 1990",
/// "17081990", "1990-08-17", "17 agustus 1990", "17 Ags 90",
/// "17-agt-1990", "tgl 5 januari 2024", "Senin, 5 Jan 2024".
pub fn parse_date(input: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    parse_with(input, |day, month, yy| {
        let century = today.year() - today.year().rem_euclid(100);
        let mut year = century + yy;
        if year > today.year() + TWO_DIGIT_YEAR_FUTURE_WINDOW {
            year -= 100;
        }
        (year, NaiveDate::from_ymd_opt(year, month, day))
    })
}

/// Like [`parse_date`] for a birth date: a two-digit year resolves to the
/// century that does not put the birth in the future, and a date after
/// `today` is rejected.
pub fn parse_birth_date(input: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    let date = parse_with(input, |day, month, yy| {
        let resolved = u32::try_from(yy)
            .ok()
            .and_then(|yy| super::resolve_two_digit_year(day, month, yy, today));
        // For an impossible date, report the year as it would most likely
        // have been meant: the latest not after today.
        let century = today.year() - today.year().rem_euclid(100);
        let guess = if century + yy > today.year() {
            century + yy - 100
        } else {
            century + yy
        };
        (resolved.map_or(guess, |d| d.year()), resolved)
    })?;
    if date > today {
        return Err(DateError::InFuture);
    }
    Ok(date)
}

/// "17 Agustus 1990": the long Indonesian date used on letters.
pub fn format_tanggal(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

fn month_name(month: u32) -> &'static str {
    month
        .checked_sub(1)
        .and_then(|i| BULAN.get(i as usize))
        .copied()
        .unwrap_or("?")
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|&d| NaiveDate::from_ymd_opt(year, month, d).is_some())
        .unwrap_or(31)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Num(String),
    Word(String),
}

/// Splits into runs of digits and runs of letters; everything else
/// separates. Apostrophes are dropped first so "jum'at" stays one word.
fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    for c in input
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}' | '`'))
    {
        let lower = c.to_lowercase();
        current = match (current.take(), c) {
            (Some(Token::Num(mut s)), c) if c.is_ascii_digit() => {
                s.push(c);
                Some(Token::Num(s))
            }
            (Some(Token::Word(mut s)), c) if c.is_alphabetic() => {
                s.extend(lower);
                Some(Token::Word(s))
            }
            (previous, c) => {
                tokens.extend(previous);
                if c.is_ascii_digit() {
                    Some(Token::Num(c.to_string()))
                } else if c.is_alphabetic() {
                    Some(Token::Word(lower.collect()))
                } else {
                    None
                }
            }
        };
    }
    tokens.extend(current);
    tokens
}

fn month_from_word(word: &str) -> Option<u32> {
    if let Some((_, m)) = MONTH_ALIASES.iter().find(|(alias, _)| *alias == word) {
        return Some(*m);
    }
    if word.chars().count() < 3 {
        return None;
    }
    let mut found = MONTH_NAMES
        .iter()
        .filter(|(name, _)| name.starts_with(word))
        .map(|(_, m)| *m);
    let first = found.next()?;
    // "ju" would be ambiguous, but 3+ letters always identify one month;
    // keep the check so a future alias cannot silently pick the wrong one.
    found.all(|m| m == first).then_some(first)
}

/// Numeric value of a digit run; runs too long for a date saturate so the
/// range checks reject them.
fn value(digits: &str) -> u32 {
    if digits.len() > 9 {
        u32::MAX
    } else {
        digits.parse().unwrap_or(u32::MAX)
    }
}

/// Shared parser; `two_digit_year(day, month, yy)` resolves a 2-digit year
/// and returns (year for error messages, date if it exists).
fn parse_with(
    input: &str,
    two_digit_year: impl Fn(u32, u32, i32) -> (i32, Option<NaiveDate>),
) -> Result<NaiveDate, DateError> {
    let tokens: Vec<Token> = tokenize(input)
        .into_iter()
        .filter(|t| !matches!(t, Token::Word(w) if DATE_FILLERS.contains(&w.as_str())))
        .collect();
    if tokens.is_empty() {
        return if input.trim().is_empty() {
            Err(DateError::Empty)
        } else {
            Err(DateError::Unrecognised)
        };
    }
    let month_word =
        |w: &str| month_from_word(w).ok_or_else(|| DateError::UnknownMonth { word: w.to_owned() });
    // (day, month, year digits)
    let (day, month, year): (u32, u32, &str) = match tokens.as_slice() {
        [Token::Num(s)] if s.len() == 8 => (value(&s[..2]), value(&s[2..4]), &s[4..]),
        [Token::Num(s)] if s.len() == 6 => (value(&s[..2]), value(&s[2..4]), &s[4..]),
        [Token::Num(y), Token::Num(m), Token::Num(d)] if y.len() == 4 => (value(d), value(m), y),
        [Token::Num(d), Token::Num(m), Token::Num(y)] => (value(d), value(m), y),
        [Token::Num(d), Token::Word(m), Token::Num(y)] => (value(d), month_word(m)?, y),
        [Token::Word(m), Token::Num(d), Token::Num(y)] => (value(d), month_word(m)?, y),
        [Token::Num(_), Token::Word(m)] | [Token::Word(m), Token::Num(_)] => {
            month_word(m)?;
            return Err(DateError::MissingYear);
        }
        [Token::Num(_), Token::Num(_)] => return Err(DateError::MissingYear),
        _ => return Err(DateError::Unrecognised),
    };
    if !(1..=31).contains(&day) {
        return Err(DateError::DayOutOfRange { day });
    }
    if !(1..=12).contains(&month) {
        return Err(DateError::MonthOutOfRange { month });
    }
    let (year, date) = match year.len() {
        2 => {
            let yy = i32::try_from(value(year)).map_err(|_| DateError::Unrecognised)?;
            two_digit_year(day, month, yy)
        }
        4 => {
            let y = i32::try_from(value(year)).map_err(|_| DateError::Unrecognised)?;
            if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
                return Err(DateError::YearOutOfRange { year: value(year) });
            }
            (y, NaiveDate::from_ymd_opt(y, month, day))
        }
        _ => return Err(DateError::YearOutOfRange { year: value(year) }),
    };
    date.ok_or(DateError::ImpossibleDate { day, month, year })
}

/// Why a time of day could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("time is empty")]
    Empty,
    #[error("time format not recognised")]
    Unrecognised,
    #[error("time {hour}:{minute:02} is out of range")]
    OutOfRange { hour: u32, minute: u32 },
}

impl TimeError {
    /// A short, polite message in Bahasa Indonesia for the resident.
    pub fn friendly_message(&self) -> String {
        const EXAMPLE: &str = "contoh: 14.30 atau jam 2 siang";
        match self {
            TimeError::Empty => format!("Mohon kirim jamnya, {EXAMPLE}."),
            TimeError::Unrecognised => {
                format!("Maaf, jamnya belum bisa kami baca. Mohon tulis seperti {EXAMPLE}.")
            }
            TimeError::OutOfRange { .. } => {
                format!("Jam tersebut tidak ada. Jam hanya dari 00.00 sampai 23.59, {EXAMPLE}.")
            }
        }
    }
}

const TIME_FILLERS: [&str; 8] = [
    "jam", "pukul", "pkl", "sekitar", "wib", "wita", "wit", "hari",
];

/// Part of the day, which turns a 12-hour reading into 24-hour time.
#[derive(Clone, Copy)]
enum DayPart {
    Pagi,
    Siang,
    Sore,
    Malam,
    /// Subuh / dini hari: early morning, hours as written.
    Dini,
}

fn day_part(word: &str) -> Option<DayPart> {
    match word {
        "pagi" | "esuk" | "isuk" => Some(DayPart::Pagi),
        "siang" | "awan" => Some(DayPart::Siang),
        "sore" | "sonten" => Some(DayPart::Sore),
        "malam" | "malem" | "bengi" | "dalu" => Some(DayPart::Malam),
        "subuh" | "dini" => Some(DayPart::Dini),
        _ => None,
    }
}

/// Reads a time of day: "14.30", "14:30", "jam 9", "pukul 07.15 WIB",
/// "jam 2 siang" (14.00), "jam 7 malam" (19.00), "jam 12 malam" (00.00).
/// Words for parts of the day are Indonesian and common Javanese ones.
pub fn parse_time(input: &str) -> Result<NaiveTime, TimeError> {
    let mut part = None;
    let mut numbers = Vec::new();
    for token in tokenize(input) {
        match token {
            Token::Num(n) => numbers.push(value(&n)),
            Token::Word(w) if TIME_FILLERS.contains(&w.as_str()) => {}
            // "dini hari": "hari" is a filler, "dini" the part of day.
            Token::Word(w) => match (day_part(&w), part) {
                (Some(p), None) => part = Some(p),
                _ => return Err(TimeError::Unrecognised),
            },
        }
    }
    let (hour, minute) = match numbers.as_slice() {
        [] if input.trim().is_empty() => return Err(TimeError::Empty),
        [h] => (*h, 0),
        [h, m] => (*h, *m),
        _ => return Err(TimeError::Unrecognised),
    };
    if hour > 23 || minute > 59 {
        return Err(TimeError::OutOfRange { hour, minute });
    }
    let hour = match (part, hour) {
        // Already 24-hour, or no part of the day given.
        (None, h) | (Some(_), h @ 13..) => h,
        (Some(DayPart::Pagi), h) => h % 12,
        (Some(DayPart::Siang), h @ 1..=5) => h + 12,
        (Some(DayPart::Siang), h) => h,
        (Some(DayPart::Sore), h @ 1..=11) => h + 12,
        (Some(DayPart::Sore), h) => h,
        (Some(DayPart::Malam), 12) => 0,
        (Some(DayPart::Malam), h @ 5..=11) => h + 12,
        (Some(DayPart::Malam), h) => h,
        (Some(DayPart::Dini), h) => h % 12,
    };
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or(TimeError::OutOfRange { hour, minute })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        ymd(2026, 5, 1)
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid test time")
    }

    fn parse(input: &str) -> Result<NaiveDate, DateError> {
        parse_date(input, today())
    }

    #[test]
    fn numeric_formats() {
        let expected = Ok(ymd(1990, 8, 17));
        for input in [
            "17-08-1990",
            "17/8/90",
            "17 8 1990",
            "17.08.1990",
            "17-8-1990",
            "17/08/1990",
            " 17 / 08 / 1990 ",
            "17081990",
            "170890",
            "1990-08-17",
            "17 - 08 - 90",
        ] {
            assert_eq!(parse(input), expected, "{input}");
        }
    }

    #[test]
    fn month_names_and_abbreviations() {
        let expected = Ok(ymd(1990, 8, 17));
        for input in [
            "17 agustus 1990",
            "17 Agustus 1990",
            "17 AGUSTUS 1990",
            "17 agt 1990",
            "17 Ags 90",
            "17 agu 1990",
            "17 agust 1990",
            "17 agst 1990",
            "17 aug 1990",
            "17 august 1990",
            "17-agustus-1990",
            "17agustus1990",
            "17 agustus, 1990",
            "tgl 17 agustus 1990",
            "tanggal 17 agustus tahun 1990",
            "Jum'at, 17 Agustus 1990",
            "agustus 17, 1990",
        ] {
            assert_eq!(parse(input), expected, "{input}");
        }
    }

    #[test]
    fn every_month_name() {
        let cases: [(&[&str], u32); 12] = [
            (&["januari", "jan", "janu"], 1),
            (&["februari", "feb", "pebruari", "peb", "febr"], 2),
            (&["maret", "mar"], 3),
            (&["april", "apr"], 4),
            (&["mei", "may"], 5),
            (&["juni", "jun"], 6),
            (&["juli", "jul"], 7),
            (&["agustus", "agu", "agt", "ags"], 8),
            (&["september", "sep", "sept", "spt"], 9),
            (&["oktober", "okt", "oct", "okto"], 10),
            (&["november", "nov", "nop", "nopember"], 11),
            (&["desember", "des", "dec", "desem"], 12),
        ];
        for (names, month) in cases {
            for name in names {
                assert_eq!(
                    parse(&format!("5 {name} 2024")),
                    Ok(ymd(2024, month, 5)),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn filler_words() {
        assert_eq!(parse("tgl 5 januari 2024"), Ok(ymd(2024, 1, 5)));
        assert_eq!(parse("Tgl. 5 Jan 2024"), Ok(ymd(2024, 1, 5)));
        assert_eq!(parse("Senin, 5 Jan 2024"), Ok(ymd(2024, 1, 5)));
        assert_eq!(parse("hari minggu tgl 5-1-2024"), Ok(ymd(2024, 1, 5)));
    }

    #[test]
    fn two_digit_years() {
        assert_eq!(parse("17/8/45"), Ok(ymd(1945, 8, 17)));
        assert_eq!(parse("1/1/00"), Ok(ymd(2000, 1, 1)));
        assert_eq!(parse("1/1/26"), Ok(ymd(2026, 1, 1)));
        // Within the 5-year window ahead: this century.
        assert_eq!(parse("1/1/31"), Ok(ymd(2031, 1, 1)));
        assert_eq!(parse("1/1/32"), Ok(ymd(1932, 1, 1)));
        assert_eq!(parse("1/1/99"), Ok(ymd(1999, 1, 1)));
    }

    #[test]
    fn birth_dates_never_in_future() {
        let birth = |s: &str| parse_birth_date(s, today());
        assert_eq!(birth("17/8/90"), Ok(ymd(1990, 8, 17)));
        assert_eq!(birth("1/5/26"), Ok(ymd(2026, 5, 1)));
        assert_eq!(birth("2/5/26"), Ok(ymd(1926, 5, 2)));
        assert_eq!(birth("1/1/31"), Ok(ymd(1931, 1, 1)));
        assert_eq!(birth("29/2/00"), Ok(ymd(2000, 2, 29)));
        assert_eq!(birth("2 mei 2026"), Err(DateError::InFuture));
        assert_eq!(birth("1 mei 2026"), Ok(ymd(2026, 5, 1)));
        assert_eq!(
            birth("29/2/23"),
            Err(DateError::ImpossibleDate {
                day: 29,
                month: 2,
                year: 2023
            })
        );
        assert_eq!(
            birth("29/2/27"),
            Err(DateError::ImpossibleDate {
                day: 29,
                month: 2,
                year: 1927
            })
        );
    }

    #[test]
    fn day_boundaries() {
        assert_eq!(parse("0-1-2024"), Err(DateError::DayOutOfRange { day: 0 }));
        assert_eq!(parse("1-1-2024"), Ok(ymd(2024, 1, 1)));
        assert_eq!(parse("31-1-2024"), Ok(ymd(2024, 1, 31)));
        assert_eq!(
            parse("32-1-2024"),
            Err(DateError::DayOutOfRange { day: 32 })
        );
        assert_eq!(
            parse("31-4-2024"),
            Err(DateError::ImpossibleDate {
                day: 31,
                month: 4,
                year: 2024
            })
        );
        assert_eq!(parse("30 april 2024"), Ok(ymd(2024, 4, 30)));
        assert_eq!(
            parse("31 juni 2024"),
            Err(DateError::ImpossibleDate {
                day: 31,
                month: 6,
                year: 2024
            })
        );
    }

    #[test]
    fn month_boundaries() {
        assert_eq!(
            parse("1-0-2024"),
            Err(DateError::MonthOutOfRange { month: 0 })
        );
        assert_eq!(parse("1-12-2024"), Ok(ymd(2024, 12, 1)));
        assert_eq!(
            parse("1-13-2024"),
            Err(DateError::MonthOutOfRange { month: 13 })
        );
        // Month/day swapped (American order) is not guessed.
        assert_eq!(
            parse("08/17/1990"),
            Err(DateError::MonthOutOfRange { month: 17 })
        );
    }

    #[test]
    fn leap_years() {
        assert_eq!(parse("29 februari 2024"), Ok(ymd(2024, 2, 29)));
        assert_eq!(parse("29-02-2000"), Ok(ymd(2000, 2, 29)));
        assert_eq!(parse("29/2/96"), Ok(ymd(1996, 2, 29)));
        assert_eq!(
            parse("29 februari 2023"),
            Err(DateError::ImpossibleDate {
                day: 29,
                month: 2,
                year: 2023
            })
        );
        assert_eq!(
            parse("29-02-1900"),
            Err(DateError::ImpossibleDate {
                day: 29,
                month: 2,
                year: 1900
            })
        );
        assert_eq!(
            parse("30 feb 2024"),
            Err(DateError::ImpossibleDate {
                day: 30,
                month: 2,
                year: 2024
            })
        );
        assert_eq!(parse("28 feb 2023"), Ok(ymd(2023, 2, 28)));
    }

    #[test]
    fn years() {
        assert_eq!(parse("1-1-1900"), Ok(ymd(1900, 1, 1)));
        assert_eq!(
            parse("1-1-1899"),
            Err(DateError::YearOutOfRange { year: 1899 })
        );
        assert_eq!(parse("1-1-2199"), Ok(ymd(2199, 1, 1)));
        assert_eq!(
            parse("1-1-2990"),
            Err(DateError::YearOutOfRange { year: 2990 })
        );
        assert_eq!(
            parse("1-1-199"),
            Err(DateError::YearOutOfRange { year: 199 })
        );
        assert_eq!(parse("1-1-5"), Err(DateError::YearOutOfRange { year: 5 }));
        assert_eq!(
            parse("1-1-19900"),
            Err(DateError::YearOutOfRange { year: 19900 })
        );
    }

    #[test]
    fn unreadable_inputs() {
        assert_eq!(parse(""), Err(DateError::Empty));
        assert_eq!(parse("   "), Err(DateError::Empty));
        assert_eq!(parse("--"), Err(DateError::Unrecognised));
        assert_eq!(parse("kemarin"), Err(DateError::Unrecognised));
        assert_eq!(parse("1 2 3 4"), Err(DateError::Unrecognised));
        assert_eq!(parse("1234"), Err(DateError::Unrecognised));
        assert_eq!(parse("17 agustus"), Err(DateError::MissingYear));
        assert_eq!(parse("17/8"), Err(DateError::MissingYear));
        assert_eq!(
            parse("17 agusts 1990"),
            Err(DateError::UnknownMonth {
                word: "agusts".into()
            })
        );
        assert_eq!(
            parse("17 ju 1990"),
            Err(DateError::UnknownMonth { word: "ju".into() })
        );
        assert_eq!(
            parse("5 sura 1990"),
            Err(DateError::UnknownMonth {
                word: "sura".into()
            })
        );
        assert_eq!(
            parse("99999999999999 1 2020"),
            Err(DateError::DayOutOfRange { day: u32::MAX })
        );
    }

    #[test]
    fn format_tanggal_uses_indonesian_months() {
        assert_eq!(format_tanggal(ymd(1990, 8, 17)), "17 Agustus 1990");
        assert_eq!(format_tanggal(ymd(2024, 1, 5)), "5 Januari 2024");
        let all: Vec<String> = (1..=12).map(|m| format_tanggal(ymd(2024, m, 1))).collect();
        assert_eq!(all[1], "1 Februari 2024");
        assert_eq!(all[4], "1 Mei 2024");
        assert_eq!(all[11], "1 Desember 2024");
    }

    #[test]
    fn format_then_parse_round_trips() {
        let mut date = ymd(2023, 1, 1);
        while date < ymd(2025, 1, 1) {
            assert_eq!(parse(&format_tanggal(date)), Ok(date));
            date = date.succ_opt().expect("next day");
        }
    }

    #[test]
    fn friendly_messages() {
        let msg = DateError::ImpossibleDate {
            day: 29,
            month: 2,
            year: 2023,
        }
        .friendly_message();
        assert!(msg.contains("kabisat") && msg.contains("2023"), "{msg}");
        let msg = DateError::ImpossibleDate {
            day: 31,
            month: 4,
            year: 2024,
        }
        .friendly_message();
        assert!(msg.contains("31 April") && msg.contains("30"), "{msg}");
        let msg = DateError::ImpossibleDate {
            day: 30,
            month: 2,
            year: 2024,
        }
        .friendly_message();
        assert!(msg.contains("29"), "{msg}");
        let msg = DateError::UnknownMonth {
            word: "x".repeat(500),
        }
        .friendly_message();
        assert!(msg.chars().count() < 250, "{msg}");
        for err in [
            DateError::Empty,
            DateError::Unrecognised,
            DateError::MissingYear,
            DateError::DayOutOfRange { day: 32 },
            DateError::MonthOutOfRange { month: 13 },
            DateError::YearOutOfRange { year: 199 },
            DateError::InFuture,
        ] {
            let msg = err.friendly_message();
            assert!(msg.contains("Mohon"), "{msg}");
            assert!(msg.chars().count() < 250, "{msg}");
        }
    }

    #[test]
    fn times() {
        let cases = [
            ("14.30", hm(14, 30)),
            ("14:30", hm(14, 30)),
            ("jam 14.30", hm(14, 30)),
            ("pukul 07.15 WIB", hm(7, 15)),
            ("jam 9", hm(9, 0)),
            ("jam 2 siang", hm(14, 0)),
            ("jam 1 siang", hm(13, 0)),
            ("jam 11 siang", hm(11, 0)),
            ("jam 12 siang", hm(12, 0)),
            ("jam 7 pagi", hm(7, 0)),
            ("jam 3 sore", hm(15, 0)),
            ("jam 5.30 sore", hm(17, 30)),
            ("jam 7 malam", hm(19, 0)),
            ("jam 12 malam", hm(0, 0)),
            ("jam 2 malam", hm(2, 0)),
            ("jam 4 subuh", hm(4, 0)),
            ("jam 14 siang", hm(14, 0)),
            ("00:00", hm(0, 0)),
            ("23.59", hm(23, 59)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_time(input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn bad_times() {
        assert_eq!(parse_time(""), Err(TimeError::Empty));
        assert_eq!(parse_time("jam"), Err(TimeError::Unrecognised));
        assert_eq!(parse_time("nanti"), Err(TimeError::Unrecognised));
        assert_eq!(parse_time("jam 2 siang sore"), Err(TimeError::Unrecognised));
        assert_eq!(parse_time("1.2.3"), Err(TimeError::Unrecognised));
        assert_eq!(
            parse_time("24.00"),
            Err(TimeError::OutOfRange {
                hour: 24,
                minute: 0
            })
        );
        assert_eq!(
            parse_time("12.60"),
            Err(TimeError::OutOfRange {
                hour: 12,
                minute: 60
            })
        );
        for err in [
            TimeError::Empty,
            TimeError::Unrecognised,
            TimeError::OutOfRange {
                hour: 25,
                minute: 0,
            },
        ] {
            assert!(err.friendly_message().contains("14.30"));
        }
    }
}
