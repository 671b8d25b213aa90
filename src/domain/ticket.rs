//! `TicketCode`: the code a resident quotes to ask about a request or a
//! complaint (aduan).
//!
//! Scheme:
//! - request: village prefix + "-" + number, `KLP-0042`;
//! - complaint: "ADU-" + village prefix + "-" + number, `ADU-KLP-0007`.
//!
//! The prefix is 2-5 letters chosen per village. Numbers have at least 4
//! digits and grow past 4 when needed (`KLP-12345`); requests and
//! complaints are numbered separately. Village prefixes starting with
//! "ADU" are reserved, so "ADUKLP7" typed without separators is still
//! unambiguous.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Marks a complaint code; reserved as a village prefix.
const COMPLAINT_MARKER: &str = "ADU";
const MIN_PREFIX_LEN: usize = 2;
const MAX_PREFIX_LEN: usize = 5;
/// More digits than this is not a ticket number (and would overflow u32).
const MAX_NUMBER_DIGITS: usize = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    /// Permohonan: a request for a letter or document.
    Request,
    /// Aduan: a complaint or feedback.
    Complaint,
}

/// A validated ticket code: `KLP-0042` or `ADU-KLP-0007`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketCode {
    kind: TicketKind,
    prefix: String,
    number: u32,
}

/// Why a ticket code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketCodeError {
    #[error("ticket code is empty")]
    Empty,
    #[error("ticket code format not recognised")]
    Unrecognised,
    #[error("ticket prefix must be 2-5 letters")]
    InvalidPrefix,
    #[error("ticket prefixes starting with ADU are reserved for complaints")]
    ReservedPrefix,
    #[error("ticket code has no number")]
    MissingNumber,
    #[error("ticket number is 0")]
    ZeroNumber,
    #[error("ticket number is too large")]
    NumberTooLarge,
}

impl TicketCodeError {
    /// A short, polite message in Bahasa Indonesia for the resident.
    pub fn friendly_message(&self) -> String {
        const EXAMPLE: &str = "Nomor tiket terdiri dari kode desa dan angka, contohnya KLP-0042";
        match self {
            TicketCodeError::Empty => format!("Mohon kirim nomor tiketnya. {EXAMPLE}."),
            TicketCodeError::MissingNumber => format!(
                "Angka pada nomor tiket belum ada. {EXAMPLE}. Mohon kirim lengkap dengan angkanya."
            ),
            _ => format!(
                "Maaf, nomor tiket itu belum kami kenali. {EXAMPLE}. Mohon periksa lagi pesan konfirmasi dari kami."
            ),
        }
    }
}

/// Checks a village prefix and returns it uppercased.
fn normalize_prefix(prefix: &str) -> Result<String, TicketCodeError> {
    let upper = prefix.trim().to_ascii_uppercase();
    let len_ok = (MIN_PREFIX_LEN..=MAX_PREFIX_LEN).contains(&upper.len());
    if !len_ok || !upper.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(TicketCodeError::InvalidPrefix);
    }
    if upper.starts_with(COMPLAINT_MARKER) {
        return Err(TicketCodeError::ReservedPrefix);
    }
    Ok(upper)
}

fn parse_number(digits: &str) -> Result<u32, TicketCodeError> {
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Err(TicketCodeError::ZeroNumber);
    }
    if significant.len() > MAX_NUMBER_DIGITS {
        return Err(TicketCodeError::NumberTooLarge);
    }
    significant
        .parse()
        .map_err(|_| TicketCodeError::NumberTooLarge)
}

/// Separators residents put inside a code ("KLP-42", "klp 42", "#KLP.42").
fn is_code_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '_' | '.' | '/' | '#' | ':' | '\u{2013}' | '\u{2014}'
        )
}

impl TicketCode {
    /// A request code for `prefix` (2-5 letters, any case) and `number`
    /// (from 1).
    pub fn new(prefix: &str, number: u32) -> Result<TicketCode, TicketCodeError> {
        Self::build(TicketKind::Request, prefix, number)
    }

    /// A complaint code, shown as `ADU-<prefix>-<number>`.
    pub fn complaint(prefix: &str, number: u32) -> Result<TicketCode, TicketCodeError> {
        Self::build(TicketKind::Complaint, prefix, number)
    }

    fn build(kind: TicketKind, prefix: &str, number: u32) -> Result<TicketCode, TicketCodeError> {
        if number == 0 {
            return Err(TicketCodeError::ZeroNumber);
        }
        Ok(TicketCode {
            kind,
            prefix: normalize_prefix(prefix)?,
            number,
        })
    }

    /// Reads a code tolerant of case, spaces, a missing dash and missing
    /// zeros: "KLP-0042", "klp 42", "KLP0042", "klp-42", "#KLP42",
    /// "ADU-KLP-0007", "adu klp 7", "aduklp7".
    pub fn parse(input: &str) -> Result<TicketCode, TicketCodeError> {
        let mut letters: Vec<String> = Vec::new();
        let mut digits: Option<String> = None;
        let mut chars = input.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_alphabetic() {
                if digits.is_some() {
                    return Err(TicketCodeError::Unrecognised);
                }
                let mut word = String::new();
                while let Some(l) = chars.next_if(char::is_ascii_alphabetic) {
                    word.push(l.to_ascii_uppercase());
                }
                letters.push(word);
            } else if c.is_ascii_digit() {
                if digits.is_some() {
                    return Err(TicketCodeError::Unrecognised);
                }
                let mut run = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    run.push(d);
                }
                digits = Some(run);
            } else if is_code_separator(c) {
                chars.next();
            } else {
                return Err(TicketCodeError::Unrecognised);
            }
        }
        let (kind, prefix) = match letters.as_slice() {
            [] if digits.is_none() => return Err(TicketCodeError::Empty),
            [] => return Err(TicketCodeError::InvalidPrefix),
            [marker, prefix] if marker == COMPLAINT_MARKER => {
                (TicketKind::Complaint, prefix.as_str())
            }
            // Glued complaint code: "ADUKLP". Village prefixes never start
            // with ADU, so the rest is the prefix.
            [glued]
                if glued.len() > COMPLAINT_MARKER.len() + 1
                    && glued.starts_with(COMPLAINT_MARKER) =>
            {
                (TicketKind::Complaint, &glued[COMPLAINT_MARKER.len()..])
            }
            [prefix] => (TicketKind::Request, prefix.as_str()),
            _ => return Err(TicketCodeError::Unrecognised),
        };
        let prefix = normalize_prefix(prefix)?;
        let digits = digits.ok_or(TicketCodeError::MissingNumber)?;
        Ok(TicketCode {
            kind,
            prefix,
            number: parse_number(&digits)?,
        })
    }

    /// Finds the first code with the village's `prefix` mentioned in a
    /// message, e.g. "cek klp 42 sudah jadi?" gives `KLP-0042` and
    /// "aduan ADU-KLP-7 gmn" gives `ADU-KLP-0007`. The prefix must start a
    /// word, so "XKLP 42" is not a match. Returns `None` for an invalid
    /// prefix.
    pub fn find_in_text(text: &str, prefix: &str) -> Option<TicketCode> {
        let prefix: Vec<char> = normalize_prefix(prefix).ok()?.chars().collect();
        let marker: Vec<char> = COMPLAINT_MARKER.chars().collect();
        // ASCII-only uppercasing keeps one char per char, so indices agree.
        let chars: Vec<char> = text.chars().map(|c| c.to_ascii_uppercase()).collect();
        let starts_with = |at: usize, word: &[char]| chars.get(at..at + word.len()) == Some(word);
        let skip_separators = |mut at: usize| {
            let limit = at + 2;
            while at < limit && chars.get(at).is_some_and(|c| is_code_separator(*c)) {
                at += 1;
            }
            at
        };
        for start in 0..chars.len() {
            if start > 0 && chars[start - 1].is_alphanumeric() {
                continue;
            }
            let mut at = start;
            let mut kind = TicketKind::Request;
            if starts_with(at, &marker) {
                let after_marker = skip_separators(at + marker.len());
                if starts_with(after_marker, &prefix) {
                    kind = TicketKind::Complaint;
                    at = after_marker;
                }
            }
            if !starts_with(at, &prefix) {
                continue;
            }
            at = skip_separators(at + prefix.len());
            let digits: String = chars[at.min(chars.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if digits.is_empty() {
                continue;
            }
            if let Ok(number) = parse_number(&digits) {
                return Some(TicketCode {
                    kind,
                    prefix: prefix.iter().collect(),
                    number,
                });
            }
        }
        None
    }

    pub fn kind(&self) -> TicketKind {
        self.kind
    }

    pub fn is_complaint(&self) -> bool {
        self.kind == TicketKind::Complaint
    }

    /// The village prefix, uppercase, without the complaint marker.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for TicketCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == TicketKind::Complaint {
            write!(f, "{COMPLAINT_MARKER}-")?;
        }
        write!(f, "{}-{:04}", self.prefix, self.number)
    }
}

impl FromStr for TicketCode {
    type Err = TicketCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TicketCode::parse(s)
    }
}

impl TryFrom<String> for TicketCode {
    type Error = TicketCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TicketCode::parse(&value)
    }
}

impl From<TicketCode> for String {
    fn from(code: TicketCode) -> Self {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: u32) -> TicketCode {
        TicketCode::new("KLP", n).expect("valid")
    }

    fn complaint(n: u32) -> TicketCode {
        TicketCode::complaint("KLP", n).expect("valid")
    }

    #[test]
    fn formats_with_at_least_four_digits() {
        assert_eq!(request(42).to_string(), "KLP-0042");
        assert_eq!(request(1).to_string(), "KLP-0001");
        assert_eq!(request(9999).to_string(), "KLP-9999");
        assert_eq!(request(10000).to_string(), "KLP-10000");
        assert_eq!(request(u32::MAX).to_string(), "KLP-4294967295");
        assert_eq!(complaint(7).to_string(), "ADU-KLP-0007");
        assert_eq!(
            TicketCode::new("kl", 3).map(|c| c.to_string()),
            Ok("KL-0003".into())
        );
    }

    #[test]
    fn parses_tolerantly() {
        for input in [
            "KLP-0042",
            "klp 42",
            "KLP0042",
            "klp-42",
            "Klp 0042",
            " klp - 42 ",
            "#KLP42",
            "klp.42",
            "klp_42",
            "KLP–0042",
            "klp  42",
        ] {
            assert_eq!(TicketCode::parse(input), Ok(request(42)), "{input}");
        }
    }

    #[test]
    fn parses_complaints() {
        for input in [
            "ADU-KLP-0007",
            "adu klp 7",
            "aduklp7",
            "ADU KLP-0007",
            "Adu-Klp7",
        ] {
            assert_eq!(TicketCode::parse(input), Ok(complaint(7)), "{input}");
        }
        let c = complaint(7);
        assert!(c.is_complaint());
        assert_eq!(c.kind(), TicketKind::Complaint);
        assert_eq!(c.prefix(), "KLP");
        assert_eq!(c.number(), 7);
        assert!(!request(7).is_complaint());
    }

    #[test]
    fn display_round_trips() {
        for code in [
            request(1),
            request(42),
            request(123456),
            complaint(7),
            complaint(99999),
        ] {
            assert_eq!(TicketCode::parse(&code.to_string()), Ok(code));
        }
    }

    #[test]
    fn prefix_rules() {
        assert_eq!(TicketCode::new("K", 1), Err(TicketCodeError::InvalidPrefix));
        assert!(TicketCode::new("KL", 1).is_ok());
        assert!(TicketCode::new("KLPSO", 1).is_ok());
        assert_eq!(
            TicketCode::new("KLPSOX", 1),
            Err(TicketCodeError::InvalidPrefix)
        );
        assert_eq!(
            TicketCode::new("K1P", 1),
            Err(TicketCodeError::InvalidPrefix)
        );
        assert_eq!(
            TicketCode::new("KLÉ", 1),
            Err(TicketCodeError::InvalidPrefix)
        );
        assert_eq!(
            TicketCode::new("ADU", 1),
            Err(TicketCodeError::ReservedPrefix)
        );
        assert_eq!(
            TicketCode::new("ADUK", 1),
            Err(TicketCodeError::ReservedPrefix)
        );
        assert_eq!(
            TicketCode::parse("k 42"),
            Err(TicketCodeError::InvalidPrefix)
        );
        assert_eq!(
            TicketCode::parse("kaliploso 42"),
            Err(TicketCodeError::InvalidPrefix)
        );
        assert_eq!(TicketCode::parse("42"), Err(TicketCodeError::InvalidPrefix));
        assert_eq!(
            TicketCode::parse("adu 7"),
            Err(TicketCodeError::ReservedPrefix)
        );
        // "ADUK" glued: too short to be ADU + a 2-letter prefix.
        assert_eq!(
            TicketCode::parse("aduk 7"),
            Err(TicketCodeError::ReservedPrefix)
        );
        assert_eq!(
            TicketCode::parse("aduab 7"),
            Ok(TicketCode::complaint("AB", 7).expect("valid"))
        );
    }

    #[test]
    fn number_rules() {
        assert_eq!(TicketCode::new("KLP", 0), Err(TicketCodeError::ZeroNumber));
        assert_eq!(
            TicketCode::parse("KLP-0000"),
            Err(TicketCodeError::ZeroNumber)
        );
        assert_eq!(TicketCode::parse("KLP-0"), Err(TicketCodeError::ZeroNumber));
        assert_eq!(
            TicketCode::parse("KLP"),
            Err(TicketCodeError::MissingNumber)
        );
        assert_eq!(
            TicketCode::parse("ADU-KLP"),
            Err(TicketCodeError::MissingNumber)
        );
        assert_eq!(TicketCode::parse("KLP-999999999"), Ok(request(999_999_999)));
        assert_eq!(
            TicketCode::parse("KLP-1000000000"),
            Err(TicketCodeError::NumberTooLarge)
        );
        assert_eq!(TicketCode::parse("KLP-000000000042"), Ok(request(42)));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(TicketCode::parse(""), Err(TicketCodeError::Empty));
        assert_eq!(TicketCode::parse(" - "), Err(TicketCodeError::Empty));
        assert_eq!(
            TicketCode::parse("KLP-42-43"),
            Err(TicketCodeError::Unrecognised)
        );
        assert_eq!(
            TicketCode::parse("KLP-42A"),
            Err(TicketCodeError::Unrecognised)
        );
        assert_eq!(
            TicketCode::parse("cek KLP 42"),
            Err(TicketCodeError::Unrecognised)
        );
        assert_eq!(
            TicketCode::parse("KLP+42"),
            Err(TicketCodeError::Unrecognised)
        );
        assert_eq!(
            TicketCode::parse("KLP 42?"),
            Err(TicketCodeError::Unrecognised)
        );
    }

    #[test]
    fn finds_codes_in_messages() {
        let find = |t: &str| TicketCode::find_in_text(t, "KLP");
        assert_eq!(find("cek klp 42 sudah jadi?"), Some(request(42)));
        assert_eq!(find("tiket KLP-0042."), Some(request(42)));
        assert_eq!(find("KLP0042"), Some(request(42)));
        assert_eq!(find("(klp-42)"), Some(request(42)));
        assert_eq!(find("nomer tiket: #KLP42 pak"), Some(request(42)));
        assert_eq!(find("aduan ADU-KLP-7 gmn"), Some(complaint(7)));
        assert_eq!(find("aduklp7"), Some(complaint(7)));
        assert_eq!(find("adu klp 7 blm dibales"), Some(complaint(7)));
        assert_eq!(find("klp 12345 dan klp 6"), Some(request(12345)));
        assert_eq!(
            TicketCode::find_in_text("cek klp 42", "klp"),
            Some(request(42))
        );
        assert_eq!(find("🙏 klp 42 🙏"), Some(request(42)));
    }

    #[test]
    fn find_skips_non_matches() {
        let find = |t: &str| TicketCode::find_in_text(t, "KLP");
        assert_eq!(find(""), None);
        assert_eq!(find("sy mau buat sktm"), None);
        assert_eq!(find("xklp 42"), None);
        assert_eq!(find("klpx 42"), None);
        assert_eq!(find("klp tiketnya 42"), None);
        assert_eq!(find("klp 0 lalu klp 5"), Some(request(5)));
        assert_eq!(find("klp 99999999999"), None);
        assert_eq!(find("klp    42"), None);
        assert_eq!(find("abc 42"), None);
        // Another village's code is not ours.
        assert_eq!(find("cek SBR-0042"), None);
        // An invalid or reserved prefix finds nothing.
        assert_eq!(TicketCode::find_in_text("k 42", "K"), None);
        assert_eq!(TicketCode::find_in_text("adu 42", "ADU"), None);
    }

    #[test]
    fn serde_round_trip() {
        let json = serde_json::to_string(&complaint(7)).expect("serialise");
        assert_eq!(json, "\"ADU-KLP-0007\"");
        assert_eq!(
            serde_json::from_str::<TicketCode>(&json).ok(),
            Some(complaint(7))
        );
        assert_eq!(
            serde_json::from_str::<TicketCode>("\"klp 42\"").ok(),
            Some(request(42))
        );
        assert!(serde_json::from_str::<TicketCode>("\"KLP-0\"").is_err());
        assert_eq!("klp42".parse::<TicketCode>(), Ok(request(42)));
    }

    #[test]
    fn friendly_messages() {
        for err in [
            TicketCodeError::Empty,
            TicketCodeError::Unrecognised,
            TicketCodeError::InvalidPrefix,
            TicketCodeError::ReservedPrefix,
            TicketCodeError::MissingNumber,
            TicketCodeError::ZeroNumber,
            TicketCodeError::NumberTooLarge,
        ] {
            let msg = err.friendly_message();
            assert!(msg.contains("KLP-0042") && msg.contains("Mohon"), "{msg}");
        }
    }
}
