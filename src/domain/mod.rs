//! Validated domain newtypes (the `SubscriberEmail::parse` model): a value of
//! one of these types has passed its checks, so code further in never
//! re-validates. Every parse error offers `friendly_message()`, a short
//! Bahasa Indonesia explanation that can be sent to the resident as-is.
//!
//! Types that hold personal data (`Nik`, `NoKk`, `WaId`, `UserId`) print
//! masked in both `Debug` and `Display`, so `?value` / `%value` in a tracing
//! field cannot leak them; the raw value is only reachable through
//! `as_str()` / `AsRef<str>` and serde (storage, letters).

pub mod date;
pub mod mask;
pub mod nik;
pub mod no_kk;
pub mod phone;
pub mod rt_rw;
pub mod ticket;

pub use date::{format_tanggal, parse_birth_date, parse_date, parse_time, DateError, TimeError};
pub use mask::{mask_digits, mask_text, redact_body};
pub use nik::{Nik, NikError, RegionLevel, RegionWarning, Sex};
pub use no_kk::{NoKk, NoKkError};
pub use phone::{UserId, UserIdError, WaId, WaIdError};
pub use rt_rw::{RtRw, RtRwError, RtRwPart};
pub use ticket::{TicketCode, TicketCodeError, TicketKind};

/// Characters residents put between digit groups when typing an ID number
/// ("3510 0612 0390 0001", "3510.0612...", "3510-0612-..."). Phones often
/// autocorrect "-" into an en or em dash, so those count too.
pub(crate) fn is_digit_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '\u{2010}' | '\u{2013}' | '\u{2014}')
}

/// Keeps only the ASCII digits of `input`, skipping separators. Returns the
/// first character that is neither, so the caller can say what was wrong.
pub(crate) fn collect_digits(input: &str) -> Result<String, char> {
    let mut digits = String::with_capacity(input.len());
    for c in input.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !is_digit_separator(c) {
            return Err(c);
        }
    }
    Ok(digits)
}

/// Resolves a two-digit year to the latest year ending in those digits that
/// makes `(day, month)` a real date no later than `today`. NIK and KK carry
/// only YY, and a birth or issue date cannot lie in the future. Falls back
/// to the only real date when just one century has it (29 February of
/// year 00 exists in 2000 but not in 1900).
pub(crate) fn resolve_two_digit_year(
    day: u32,
    month: u32,
    yy: u32,
    today: chrono::NaiveDate,
) -> Option<chrono::NaiveDate> {
    use chrono::{Datelike, NaiveDate};
    let this_century = today.year() - today.year().rem_euclid(100);
    let mut fallback = None;
    for century in [this_century, this_century - 100, this_century + 100] {
        let year = century + i32::try_from(yy).ok()?;
        if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
            if date <= today {
                return Some(date);
            }
            fallback.get_or_insert(date);
        }
    }
    fallback
}

/// Whether DD/MM/YY is a real date in at least one century. Only 29 February
/// depends on the century, and every YY divisible by 4 is a leap year in
/// 20YY (2000 included), so checking 20YY is enough.
pub(crate) fn is_real_two_digit_date(day: u32, month: u32, yy: u32) -> bool {
    i32::try_from(yy)
        .ok()
        .and_then(|yy| chrono::NaiveDate::from_ymd_opt(2000 + yy, month, day))
        .is_some()
}
