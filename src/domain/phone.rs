//! WhatsApp identities of residents: `WaId` (the phone number in
//! international form, as Meta sends it in `wa_id`/`from`) and `UserId`
//! (the business-scoped user id, "BSUID", which since 2026 can arrive
//! without any phone number). Key residents on `WaId` when present, else
//! on `UserId`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

const MIN_WA_DIGITS: usize = 8;
/// E.164 allows at most 15 digits.
const MAX_WA_DIGITS: usize = 15;
const INDONESIA: &str = "62";
const MAX_USER_ID_LEN: usize = 128;

/// A WhatsApp id: 8-15 digits of an international number without "+",
/// e.g. "6281234567890". `Debug` and `Display` are masked
/// ("628******7890"); [`WaId::as_str`] gives the digits for the API.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WaId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaIdError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number contains an invalid character: {found:?}")]
    InvalidCharacter { found: char },
    #[error("phone number has {found} digits, fewer than 8")]
    TooShort { found: usize },
    #[error("phone number has {found} digits, more than 15")]
    TooLong { found: usize },
    #[error("country code cannot start with 0")]
    LeadingZero,
}

impl WaIdError {
    /// A short, polite message in Bahasa Indonesia for the resident.
    pub fn friendly_message(&self) -> String {
        const EXAMPLE: &str = "contoh: 0812 3456 7890";
        match self {
            WaIdError::Empty => format!("Mohon kirim nomor WhatsApp-nya, {EXAMPLE}."),
            WaIdError::InvalidCharacter { .. } => format!(
                "Nomor WhatsApp hanya berisi angka. Mohon tulis nomornya saja, {EXAMPLE}."
            ),
            WaIdError::TooShort { .. } => format!(
                "Nomor WhatsApp sepertinya kurang lengkap. Mohon tulis lengkap, {EXAMPLE}."
            ),
            WaIdError::TooLong { .. } => format!(
                "Nomor WhatsApp sepertinya kelebihan angka. Mohon periksa lagi, {EXAMPLE}."
            ),
            WaIdError::LeadingZero => format!(
                "Nomor WhatsApp sepertinya keliru. Mohon tulis dengan awalan 08 atau +62, {EXAMPLE}."
            ),
        }
    }
}

impl WaId {
    /// Accepts Meta's form ("6281234567890") and what people type:
    /// "+62 812-3456-7890", "0812 3456 7890" (Indonesian trunk 0 becomes
    /// 62), "(0812) 3456.7890", "0062 812..." (international call prefix)
    /// and the common slip "+62 0812..." (the trunk 0 is dropped).
    pub fn parse(input: &str) -> Result<WaId, WaIdError> {
        let trimmed = input.trim();
        let (has_plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !(super::is_digit_separator(c) || matches!(c, '(' | ')')) {
                return Err(WaIdError::InvalidCharacter { found: c });
            }
        }
        if digits.is_empty() {
            return Err(WaIdError::Empty);
        }
        let mut digits = if has_plus {
            digits
        } else if let Some(international) = digits.strip_prefix("00") {
            international.to_owned()
        } else if let Some(local) = digits.strip_prefix('0') {
            format!("{INDONESIA}{local}")
        } else {
            digits
        };
        // Indonesian numbers never continue with 0 after the country code.
        if digits.starts_with("620") {
            digits.remove(2);
        }
        if digits.starts_with('0') {
            return Err(WaIdError::LeadingZero);
        }
        match digits.len() {
            n if n < MIN_WA_DIGITS => Err(WaIdError::TooShort { found: n }),
            n if n > MAX_WA_DIGITS => Err(WaIdError::TooLong { found: n }),
            _ => Ok(WaId(digits)),
        }
    }

    /// The digits, as the Cloud API expects them. Never log this.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_indonesian(&self) -> bool {
        self.0.starts_with(INDONESIA)
    }

    /// For logs: numbers of 13+ digits keep the first 3 and last 4
    /// ("628******7890"); shorter ones keep only 2 at each end, so about
    /// half of the digits or more are always hidden.
    pub fn masked(&self) -> String {
        let (head, tail) = if self.0.len() >= 13 { (3, 4) } else { (2, 2) };
        let hidden = self.0.len() - head - tail;
        format!(
            "{}{}{}",
            &self.0[..head],
            "*".repeat(hidden),
            &self.0[self.0.len() - tail..]
        )
    }
}

impl fmt::Debug for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WaId").field(&self.masked()).finish()
    }
}

/// Masked, like `Debug`, so `%wa_id` in a log line is safe.
impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl AsRef<str> for WaId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for WaId {
    type Err = WaIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WaId::parse(s)
    }
}

impl TryFrom<String> for WaId {
    type Error = WaIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        WaId::parse(&value)
    }
}

impl From<WaId> for String {
    fn from(id: WaId) -> Self {
        id.0
    }
}

/// A business-scoped WhatsApp user id (BSUID), e.g.
/// "US.13491208655302741918": opaque, up to 128 ASCII letters, digits and
/// dots. Compared exactly as received. `Debug` and `Display` are masked.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserIdError {
    #[error("user id is empty")]
    Empty,
    #[error("user id is {found} characters, more than 128")]
    TooLong { found: usize },
    #[error("user id contains an invalid character: {found:?}")]
    InvalidCharacter { found: char },
}

impl UserIdError {
    /// User ids come from Meta, not from residents; this message exists for
    /// uniformity and says only that something went wrong on our side.
    pub fn friendly_message(&self) -> String {
        "Maaf, ada kendala saat membaca akun WhatsApp Bapak/Ibu. Mohon coba kirim pesan lagi sebentar lagi.".to_owned()
    }
}

impl UserId {
    /// Validates an id as received; surrounding whitespace is trimmed but
    /// case is kept because the id is opaque.
    pub fn parse(input: &str) -> Result<UserId, UserIdError> {
        let id = input.trim();
        if id.is_empty() {
            return Err(UserIdError::Empty);
        }
        if let Some(found) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '.'))
        {
            return Err(UserIdError::InvalidCharacter { found });
        }
        if id.len() > MAX_USER_ID_LEN {
            return Err(UserIdError::TooLong { found: id.len() });
        }
        Ok(UserId(id.to_owned()))
    }

    /// The id as received. Never log this.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: keeps a short country tag ("US.") and the last 4
    /// characters when the id is long enough, e.g. "US.****************1918".
    pub fn masked(&self) -> String {
        let id = &self.0; // ASCII only, so byte indices are char indices
        let head = match id.find('.') {
            Some(dot) if dot < 4 => dot + 1,
            _ => 2.min(id.len()),
        };
        let tail = if id.len() >= head + 8 { 4 } else { 0 };
        let hidden = id.len().saturating_sub(head + tail);
        format!(
            "{}{}{}",
            &id[..head],
            "*".repeat(hidden),
            &id[id.len() - tail..]
        )
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UserId").field(&self.masked()).finish()
    }
}

/// Masked, like `Debug`.
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for UserId {
    type Err = UserIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UserId::parse(s)
    }
}

impl TryFrom<String> for UserId {
    type Error = UserIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        UserId::parse(&value)
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WA: &str = "6281234567890";
    const BSUID: &str = "US.13491208655302741918";

    #[test]
    fn accepts_common_forms() {
        for input in [
            WA,
            "+6281234567890",
            "+62 812-3456-7890",
            "+62 812 3456 7890",
            "0812 3456 7890",
            "0812-3456-7890",
            "081234567890",
            "(0812) 3456.7890",
            "006281234567890",
            "+62 0812 3456 7890",
            "62 812 3456 7890",
            " 0812–3456–7890 ",
        ] {
            assert_eq!(
                WaId::parse(input).map(String::from),
                Ok(WA.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn keeps_foreign_numbers() {
        let us = WaId::parse("+1 650-555-1234").expect("valid");
        assert_eq!(us.as_str(), "16505551234");
        assert!(!us.is_indonesian());
        assert!(WaId::parse(WA).expect("valid").is_indonesian());
        assert_eq!(
            WaId::parse("16505551234").map(String::from),
            Ok("16505551234".into())
        );
    }

    #[test]
    fn length_boundaries() {
        assert_eq!(
            WaId::parse("1234567"),
            Err(WaIdError::TooShort { found: 7 })
        );
        assert!(WaId::parse("12345678").is_ok());
        assert!(WaId::parse("123456789012345").is_ok());
        assert_eq!(
            WaId::parse("1234567890123456"),
            Err(WaIdError::TooLong { found: 16 })
        );
        // "0812345" becomes "62812345": 8 digits.
        assert!(WaId::parse("0812345").is_ok());
        assert_eq!(WaId::parse("081234"), Err(WaIdError::TooShort { found: 7 }));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(WaId::parse(""), Err(WaIdError::Empty));
        assert_eq!(WaId::parse(" + "), Err(WaIdError::Empty));
        assert_eq!(
            WaId::parse("0812abc"),
            Err(WaIdError::InvalidCharacter { found: 'a' })
        );
        assert_eq!(
            WaId::parse("62+812345678"),
            Err(WaIdError::InvalidCharacter { found: '+' })
        );
        assert_eq!(WaId::parse("+0812345678"), Err(WaIdError::LeadingZero));
        assert_eq!(WaId::parse("000812345678"), Err(WaIdError::LeadingZero));
    }

    #[test]
    fn masking() {
        let id = WaId::parse(WA).expect("valid");
        assert_eq!(id.masked(), "628******7890");
        assert_eq!(format!("{id}"), "628******7890");
        assert_eq!(format!("{id:?}"), "WaId(\"628******7890\")");
        assert_eq!(
            WaId::parse("628123456789").expect("valid").masked(),
            "62********89"
        );
        assert_eq!(
            WaId::parse("16505551234").expect("valid").masked(),
            "16*******34"
        );
        assert_eq!(WaId::parse("12345678").expect("valid").masked(), "12****78");
    }

    #[test]
    fn masking_hides_at_least_half() {
        for len in MIN_WA_DIGITS..=MAX_WA_DIGITS {
            let raw: String = (1..=len)
                .map(|i| char::from(b'0' + (i % 9 + 1) as u8))
                .collect();
            let id = WaId::parse(&raw).expect("valid");
            let masked = format!("{id:?}");
            let stars = masked.chars().filter(|c| *c == '*').count();
            assert!(stars * 2 >= len - 1, "{len}: {masked}");
            assert!(!masked.contains(&raw));
        }
    }

    #[test]
    fn wa_id_serde() {
        let id = WaId::parse(WA).expect("valid");
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, format!("\"{WA}\""));
        assert_eq!(serde_json::from_str::<WaId>(&json).ok(), Some(id));
        assert!(serde_json::from_str::<WaId>("\"12\"").is_err());
        assert!(WA.parse::<WaId>().is_ok());
    }

    #[test]
    fn wa_id_friendly_messages() {
        for err in [
            WaIdError::Empty,
            WaIdError::InvalidCharacter { found: 'x' },
            WaIdError::TooShort { found: 5 },
            WaIdError::TooLong { found: 16 },
            WaIdError::LeadingZero,
        ] {
            let msg = err.friendly_message();
            assert!(msg.contains("Mohon") && msg.contains("0812"), "{msg}");
        }
    }

    #[test]
    fn user_id_accepts_opaque_ids() {
        let id = UserId::parse(BSUID).expect("valid");
        assert_eq!(id.as_str(), BSUID);
        assert_eq!(UserId::parse(&format!(" {BSUID}\n")), Ok(id));
        assert!(UserId::parse("a").is_ok());
        assert!(UserId::parse(&"a".repeat(128)).is_ok());
        // Case is kept: the id is opaque.
        assert_ne!(UserId::parse("US.abc"), UserId::parse("us.abc"));
    }

    #[test]
    fn user_id_rejects_bad_input() {
        assert_eq!(UserId::parse(""), Err(UserIdError::Empty));
        assert_eq!(UserId::parse("  "), Err(UserIdError::Empty));
        assert_eq!(
            UserId::parse(&"a".repeat(129)),
            Err(UserIdError::TooLong { found: 129 })
        );
        assert_eq!(
            UserId::parse("US 123"),
            Err(UserIdError::InvalidCharacter { found: ' ' })
        );
        assert_eq!(
            UserId::parse("US-123"),
            Err(UserIdError::InvalidCharacter { found: '-' })
        );
        assert_eq!(
            UserId::parse("US.é"),
            Err(UserIdError::InvalidCharacter { found: 'é' })
        );
        assert!(UserIdError::Empty.friendly_message().contains("Mohon"));
    }

    #[test]
    fn user_id_masking() {
        let id = UserId::parse(BSUID).expect("valid");
        assert_eq!(id.masked(), "US.****************1918");
        assert_eq!(format!("{id:?}"), "UserId(\"US.****************1918\")");
        assert_eq!(id.to_string(), id.masked());
        assert!(!format!("{id:#?}").contains("1349120865"));
        // Short ids reveal no tail.
        assert_eq!(UserId::parse("US.1234").expect("valid").masked(), "US.****");
        assert_eq!(UserId::parse("abcdef").expect("valid").masked(), "ab****");
        assert_eq!(UserId::parse("a").expect("valid").masked(), "a");
        assert_eq!(
            UserId::parse("abcdefghijkl").expect("valid").masked(),
            "ab******ijkl"
        );
    }

    #[test]
    fn user_id_serde() {
        let id = UserId::parse(BSUID).expect("valid");
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, format!("\"{BSUID}\""));
        assert_eq!(serde_json::from_str::<UserId>(&json).ok(), Some(id));
        assert!(serde_json::from_str::<UserId>("\"\"").is_err());
    }
}
