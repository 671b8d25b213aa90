//! `RtRw`: the neighbourhood (Rukun Tetangga) and hamlet-level association
//! (Rukun Warga) numbers of an address, as written on KTP and KK
//! ("RT/RW 003/005").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// RT and RW numbers are written with 3 digits; anything larger is a typo.
const MAX_NUMBER: u16 = 999;

/// A validated RT/RW pair, both 1-999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RtRw {
    rt: u16,
    rw: u16,
}

/// Which half of the pair an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RtRwPart {
    Rt,
    Rw,
}

impl RtRwPart {
    fn label(self) -> &'static str {
        match self {
            RtRwPart::Rt => "RT",
            RtRwPart::Rw => "RW",
        }
    }
}

/// Why an RT/RW could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtRwError {
    #[error("RT/RW is empty")]
    Empty,
    #[error("RT/RW format not recognised")]
    Unrecognised,
    #[error("{} number is missing", .0.label())]
    Missing(RtRwPart),
    #[error("{} is given twice", .0.label())]
    Duplicate(RtRwPart),
    #[error("{} number is 0", .0.label())]
    Zero(RtRwPart),
    #[error("{} number is above 999", .0.label())]
    TooLarge(RtRwPart),
}

impl RtRwError {
    /// A short, polite message in Bahasa Indonesia for the resident.
    pub fn friendly_message(&self) -> String {
        const EXAMPLE: &str = "contoh: RT 3 RW 5 atau 003/005";
        match self {
            RtRwError::Empty => format!("Mohon kirim nomor RT dan RW, {EXAMPLE}."),
            RtRwError::Unrecognised | RtRwError::Duplicate(_) => format!(
                "Maaf, RT/RW-nya belum bisa kami baca. Mohon tulis nomor RT dan RW saja, {EXAMPLE}."
            ),
            RtRwError::Missing(part) => format!(
                "Nomor {} belum ada. Mohon kirim RT dan RW sekaligus, {EXAMPLE}.",
                part.label()
            ),
            RtRwError::Zero(part) => format!(
                "Nomor {} tidak mungkin 0. Mohon periksa lagi di KTP atau Kartu Keluarga, {EXAMPLE}.",
                part.label()
            ),
            RtRwError::TooLarge(part) => format!(
                "Nomor {} paling banyak 3 angka. Mohon periksa lagi di KTP atau Kartu Keluarga, {EXAMPLE}.",
                part.label()
            ),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Label(RtRwPart),
    Num(u32),
}

/// Splits into "rt"/"rw" labels and numbers; punctuation separates.
/// "RT/RW", "rtrw" and "rt.rw" (the KTP heading) are two labels.
fn tokenize(input: &str) -> Result<Vec<Token>, RtRwError> {
    let lower = input.to_lowercase();
    let mut tokens = Vec::new();
    let mut chars = lower.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            // Leading zeros are padding ("003"); cap the length so a long
            // run cannot overflow and is reported as too large.
            let significant = digits.trim_start_matches('0');
            let n = if significant.len() > 4 {
                u32::MAX
            } else {
                significant.parse().unwrap_or(0)
            };
            tokens.push(Token::Num(n));
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(l) = chars.next_if(|c| c.is_alphabetic()) {
                word.push(l);
            }
            match word.as_str() {
                "rt" => tokens.push(Token::Label(RtRwPart::Rt)),
                "rw" => tokens.push(Token::Label(RtRwPart::Rw)),
                "rtrw" => {
                    tokens.push(Token::Label(RtRwPart::Rt));
                    tokens.push(Token::Label(RtRwPart::Rw));
                }
                // "no"/"nomor" are harmless ("RT no 3").
                "no" | "nomor" | "nmr" => {}
                _ => return Err(RtRwError::Unrecognised),
            }
        } else {
            chars.next();
        }
    }
    Ok(tokens)
}

impl RtRw {
    /// Builds a pair from numbers, checking both are 1-999.
    pub fn new(rt: u32, rw: u32) -> Result<RtRw, RtRwError> {
        let check = |n: u32, part| match n {
            0 => Err(RtRwError::Zero(part)),
            n => u16::try_from(n)
                .ok()
                .filter(|n| *n <= MAX_NUMBER)
                .ok_or(RtRwError::TooLarge(part)),
        };
        Ok(RtRw {
            rt: check(rt, RtRwPart::Rt)?,
            rw: check(rw, RtRwPart::Rw)?,
        })
    }

    /// Reads "003/005", "3/5", "rt 3 rw 5", "RT.03 RW.05", "rt3rw5",
    /// "rt 03 / rw 05", "RW 5 RT 3", "RT/RW 003/005" and the `Display`
    /// form "RT 003 / RW 005". Unlabelled numbers are RT first, then RW.
    pub fn parse(input: &str) -> Result<RtRw, RtRwError> {
        let tokens = tokenize(input)?;
        if tokens.is_empty() {
            return if input.trim().is_empty() {
                Err(RtRwError::Empty)
            } else {
                Err(RtRwError::Unrecognised)
            };
        }
        let mut rt = None;
        let mut rw = None;
        // Labels waiting for their number, in order ("RT/RW 3/5").
        let mut pending: Vec<RtRwPart> = Vec::new();
        for token in tokens {
            match token {
                Token::Label(part) => pending.push(part),
                Token::Num(n) => {
                    let part = if pending.is_empty() {
                        if rt.is_none() {
                            RtRwPart::Rt
                        } else if rw.is_none() {
                            RtRwPart::Rw
                        } else {
                            return Err(RtRwError::Unrecognised);
                        }
                    } else {
                        pending.remove(0)
                    };
                    let slot = match part {
                        RtRwPart::Rt => &mut rt,
                        RtRwPart::Rw => &mut rw,
                    };
                    if slot.replace(n).is_some() {
                        return Err(RtRwError::Duplicate(part));
                    }
                }
            }
        }
        match (rt, rw) {
            (Some(rt), Some(rw)) if pending.is_empty() => RtRw::new(rt, rw),
            (Some(_), Some(_)) => Err(RtRwError::Unrecognised),
            (None, _) => Err(RtRwError::Missing(RtRwPart::Rt)),
            (_, None) => Err(RtRwError::Missing(RtRwPart::Rw)),
        }
    }

    pub fn rt(&self) -> u16 {
        self.rt
    }

    pub fn rw(&self) -> u16 {
        self.rw
    }

    /// "003/005", the compact form used on KTP and for storage.
    pub fn to_compact(&self) -> String {
        format!("{:03}/{:03}", self.rt, self.rw)
    }
}

/// "RT 003 / RW 005", for letters and messages.
impl fmt::Display for RtRw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RT {:03} / RW {:03}", self.rt, self.rw)
    }
}

impl FromStr for RtRw {
    type Err = RtRwError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RtRw::parse(s)
    }
}

impl TryFrom<String> for RtRw {
    type Error = RtRwError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RtRw::parse(&value)
    }
}

impl From<RtRw> for String {
    fn from(value: RtRw) -> Self {
        value.to_compact()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        for input in [
            "003/005",
            "3/5",
            "rt 3 rw 5",
            "RT.03 RW.05",
            "rt3rw5",
            "rt 03 / rw 05",
            "RT 003 / RW 005",
            "RT/RW 003/005",
            "RT/RW: 003/005",
            "rt.rw 3.5",
            "rtrw 3/5",
            "RW 5 RT 3",
            "rw05rt03",
            "Rt 3, Rw 5",
            "rt no 3 rw no 5",
            "3 5",
            "003-005",
            "rt:3 rw:5",
            "rt 3 / 5",
        ] {
            let got = RtRw::parse(input).map(|r| (r.rt(), r.rw()));
            assert_eq!(got, Ok((3, 5)), "{input}");
        }
    }

    #[test]
    fn display_and_compact() {
        let r = RtRw::parse("3/5").expect("valid");
        assert_eq!(r.to_string(), "RT 003 / RW 005");
        assert_eq!(r.to_compact(), "003/005");
        assert_eq!(RtRw::parse(&r.to_string()), Ok(r));
        let big = RtRw::new(999, 12).expect("valid");
        assert_eq!(big.to_string(), "RT 999 / RW 012");
    }

    #[test]
    fn missing_parts() {
        assert_eq!(RtRw::parse(""), Err(RtRwError::Empty));
        assert_eq!(RtRw::parse(" / "), Err(RtRwError::Unrecognised));
        assert_eq!(RtRw::parse("rt 3"), Err(RtRwError::Missing(RtRwPart::Rw)));
        assert_eq!(RtRw::parse("3"), Err(RtRwError::Missing(RtRwPart::Rw)));
        assert_eq!(RtRw::parse("rw 5"), Err(RtRwError::Missing(RtRwPart::Rt)));
        assert_eq!(RtRw::parse("rt rw"), Err(RtRwError::Missing(RtRwPart::Rt)));
        assert_eq!(
            RtRw::parse("rt 3 rw"),
            Err(RtRwError::Missing(RtRwPart::Rw))
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(
            RtRw::parse("rt 3 rt 4"),
            Err(RtRwError::Duplicate(RtRwPart::Rt))
        );
        assert_eq!(RtRw::parse("1/2/3"), Err(RtRwError::Unrecognised));
        assert_eq!(RtRw::parse("dusun krajan"), Err(RtRwError::Unrecognised));
        assert_eq!(
            RtRw::parse("rt 3 rw 5 dusun 2"),
            Err(RtRwError::Unrecognised)
        );
        assert_eq!(RtRw::parse("rt 3 rw 5 rt"), Err(RtRwError::Unrecognised));
    }

    #[test]
    fn number_boundaries() {
        assert_eq!(RtRw::parse("0/5"), Err(RtRwError::Zero(RtRwPart::Rt)));
        assert_eq!(RtRw::parse("000/005"), Err(RtRwError::Zero(RtRwPart::Rt)));
        assert_eq!(RtRw::parse("3/0"), Err(RtRwError::Zero(RtRwPart::Rw)));
        assert!(RtRw::parse("1/1").is_ok());
        assert!(RtRw::parse("999/999").is_ok());
        assert!(RtRw::parse("0999/0999").is_ok());
        assert_eq!(
            RtRw::parse("1000/5"),
            Err(RtRwError::TooLarge(RtRwPart::Rt))
        );
        assert_eq!(
            RtRw::parse("3/1000"),
            Err(RtRwError::TooLarge(RtRwPart::Rw))
        );
        assert_eq!(
            RtRw::parse("99999999999999999999/5"),
            Err(RtRwError::TooLarge(RtRwPart::Rt))
        );
        assert_eq!(RtRw::new(70000, 1), Err(RtRwError::TooLarge(RtRwPart::Rt)));
    }

    #[test]
    fn serde_uses_compact_form_and_validates() {
        let r = RtRw::new(3, 5).expect("valid");
        let json = serde_json::to_string(&r).expect("serialise");
        assert_eq!(json, "\"003/005\"");
        assert_eq!(serde_json::from_str::<RtRw>(&json).ok(), Some(r));
        assert!(serde_json::from_str::<RtRw>("\"0/5\"").is_err());
        assert_eq!("rt 3 rw 5".parse::<RtRw>(), Ok(r));
    }

    #[test]
    fn friendly_messages() {
        let msg = RtRwError::Missing(RtRwPart::Rw).friendly_message();
        assert!(msg.contains("RW") && msg.contains("RT 3 RW 5"), "{msg}");
        let msg = RtRwError::Zero(RtRwPart::Rt).friendly_message();
        assert!(msg.contains("RT") && msg.contains("0"), "{msg}");
        for err in [
            RtRwError::Empty,
            RtRwError::Unrecognised,
            RtRwError::Duplicate(RtRwPart::Rt),
            RtRwError::TooLarge(RtRwPart::Rw),
        ] {
            assert!(err.friendly_message().contains("Mohon"));
        }
    }
}
