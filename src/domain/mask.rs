//! Masking helpers for logs and metrics. NIK, No. KK and phone numbers are
//! protected personal data (UU 27/2022); even their middle digits reveal
//! birth date and sex, so logs keep only enough to tell numbers apart.

/// Digit runs shorter than this are left alone: they are quantities, RT/RW,
/// ticket numbers or short dates, not identifiers.
const MIN_MASKED_DIGITS: usize = 8;
/// Digits kept visible at each end of a masked run.
const KEEP_EACH_END: usize = 2;
/// At most this many separator characters may sit between two digit groups
/// for them to count as one number ("0812 - 3456 - 7890").
const MAX_SEPARATOR_GAP: usize = 3;

/// Masks a number: if `s` holds at least 8 digits, every digit except the
/// first 2 and the last 2 becomes `*`. Non-digit characters (group
/// separators) are kept so the shape stays recognisable. Shorter inputs are
/// returned unchanged.
///
/// `mask_digits("3510061203900001") == "35************01"`
pub fn mask_digits(s: &str) -> String {
    let total = s.chars().filter(char::is_ascii_digit).count();
    if total < MIN_MASKED_DIGITS {
        return s.to_owned();
    }
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= KEEP_EACH_END || seen > total - KEEP_EACH_END {
                c
            } else {
                '*'
            }
        })
        .collect()
}

fn is_gap_char(c: char) -> bool {
    super::is_digit_separator(c)
}

/// Masks every number of 8 or more digits inside free text, including
/// numbers typed in groups ("3510 0612 0390 0001", "0812-3456-7890").
/// Over-masking (a long amount, a date typed with spaces) is accepted: a log
/// line losing a harmless number costs less than one leaking a NIK.
pub fn mask_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Grow the run across short separator gaps that lead to more digits.
        let start = i;
        let mut end = i; // exclusive end of the run, always after a digit
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                j += 1;
                end = j;
                continue;
            }
            let gap_start = j;
            while j < chars.len() && is_gap_char(chars[j]) && j - gap_start < MAX_SEPARATOR_GAP {
                j += 1;
            }
            if j > gap_start && j < chars.len() && chars[j].is_ascii_digit() {
                continue;
            }
            break;
        }
        let run: String = chars[start..end].iter().collect();
        out.push_str(&mask_digits(&run));
        i = end;
    }
    out
}

/// Describes a message body without its content, for info-level logs:
/// `redact_body("halo pak") == "<text 8 chars>"`. Counts characters, not
/// bytes, so emoji and accented letters count once.
pub fn redact_body(s: &str) -> String {
    format!("<text {} chars>", s.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NIK: &str = "3510061203900001";

    fn middle_leaks(masked: &str, raw_digits: &str) -> bool {
        // True when any 5-digit window of the raw middle survives masking.
        let middle = &raw_digits[2..raw_digits.len() - 2];
        let masked_digits: String = masked.chars().filter(char::is_ascii_digit).collect();
        middle
            .as_bytes()
            .windows(5)
            .any(|w| masked_digits.contains(std::str::from_utf8(w).unwrap_or_default()))
    }

    #[test]
    fn mask_digits_keeps_two_at_each_end() {
        assert_eq!(mask_digits(NIK), "35************01");
    }

    #[test]
    fn mask_digits_keeps_separators() {
        assert_eq!(mask_digits("3510 0612 0390 0001"), "35** **** **** **01");
        assert_eq!(mask_digits("0812-3456-7890"), "08**-****-**90");
    }

    #[test]
    fn mask_digits_boundary_at_eight_digits() {
        assert_eq!(mask_digits("1234567"), "1234567");
        assert_eq!(mask_digits("12345678"), "12****78");
    }

    #[test]
    fn mask_digits_handles_empty_and_non_digits() {
        assert_eq!(mask_digits(""), "");
        assert_eq!(mask_digits("abc"), "abc");
    }

    #[test]
    fn mask_digits_long_run() {
        let raw = "62812345678901234567";
        let masked = mask_digits(raw);
        assert_eq!(masked, format!("62{}67", "*".repeat(16)));
    }

    #[test]
    fn mask_text_masks_nik_inside_message() {
        let text = format!("nik saya {NIK} mau buat sktm");
        assert_eq!(mask_text(&text), "nik saya 35************01 mau buat sktm");
    }

    #[test]
    fn mask_text_masks_grouped_numbers() {
        assert_eq!(
            mask_text("NIK: 3510 0612 0390 0001."),
            "NIK: 35** **** **** **01."
        );
        assert_eq!(mask_text("wa 0812-3456-7890 ya"), "wa 08**-****-**90 ya");
        assert_eq!(mask_text("+62 812 3456 7890"), "+62 *** **** **90");
        assert_eq!(mask_text("3510.0612.0390.0001"), "35**.****.****.**01");
        assert_eq!(mask_text("0812 - 3456 - 7890"), "08** - **** - **90");
    }

    #[test]
    fn mask_text_leaves_short_numbers() {
        let text = "rt 3 rw 5, tiket KLP-0042, 2 orang, jam 14.30, Rp 150.000";
        assert_eq!(mask_text(text), text);
    }

    #[test]
    fn mask_text_masks_several_numbers() {
        let text = format!("nik {NIK} kk 3510062512150003 hp 081234567890");
        let masked = mask_text(&text);
        assert_eq!(
            masked,
            "nik 35************01 kk 35************03 hp 08********90"
        );
    }

    #[test]
    fn mask_text_does_not_join_across_words() {
        // Two short numbers separated by a word stay separate and visible.
        assert_eq!(mask_text("1234 dan 5678"), "1234 dan 5678");
        // A long gap of separators also breaks the run.
        assert_eq!(mask_text("1234    5678"), "1234    5678");
    }

    #[test]
    fn mask_text_keeps_trailing_separator_outside_run() {
        assert_eq!(mask_text("12345678 "), "12****78 ");
        assert_eq!(mask_text("12345678-"), "12****78-");
    }

    #[test]
    fn mask_text_handles_unicode_around_numbers() {
        assert_eq!(
            mask_text("NIK→3510061203900001🙏"),
            "NIK→35************01🙏"
        );
        assert_eq!(
            mask_text("Bu Siti: 3510–0612–0390–0001"),
            "Bu Siti: 35**–****–****–**01"
        );
    }

    #[test]
    fn mask_text_never_leaks_middle_digits() {
        let samples = [
            NIK,
            "3510 0612 0390 0001",
            "35-10-06-12-03-90-00-01",
            "6281234567890",
            "+62 812-3456-7890",
            "0812 3456 7890",
        ];
        for raw in samples {
            let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            let masked = mask_text(&format!("data: {raw} ok"));
            assert!(!middle_leaks(&masked, &digits), "{raw} -> {masked}");
            let hidden = masked.chars().filter(|c| *c == '*').count();
            assert_eq!(hidden, digits.len() - 4, "{raw} -> {masked}");
        }
    }

    #[test]
    fn mask_text_empty_and_plain() {
        assert_eq!(mask_text(""), "");
        assert_eq!(mask_text("halo pak"), "halo pak");
    }

    #[test]
    fn redact_body_counts_chars() {
        assert_eq!(redact_body(""), "<text 0 chars>");
        assert_eq!(redact_body("halo pak"), "<text 8 chars>");
        assert_eq!(redact_body("matur nuwun 🙏"), "<text 13 chars>");
    }

    #[test]
    fn redact_body_never_contains_content() {
        let body = format!("nik {NIK}");
        let redacted = redact_body(&body);
        assert!(!redacted.contains("3510"));
        assert!(!redacted.contains("nik"));
    }
}
