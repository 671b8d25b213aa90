//! Letters (surat): numbering and rendering of the letters the village office makes for requests.
//!
//! - [`number`]: the village's number format (`{kode}/{nomor}/{kode_desa}/{bulan}/{tahun}` by
//!   default), Roman months, the per-year counter. Pure.
//! - [`letter`]: what a letter says ([`LetterFields`], prefilled from the request, corrected by the
//!   officer) and its rendering to a print-ready F4 page (askama templates under
//!   `templates/letters/`: one layout, one short statement per service). Pure.
//!
//! The dashboard pages that check, save and print letters are in `crate::dashboard::letters`.

pub mod letter;
pub mod number;

pub use letter::{render, LetterFields, LetterView, Signature};
pub use number::{counter_name, local_date, roman_month, NumberFormat};

use crate::requests::State;

/// Whether a letter may be made (or changed) for a request in `state`: once it is being made
/// (`diproses`) and as long as it is not rejected or cancelled. The request page links to the
/// letter only then.
pub fn letter_available(state: &str) -> bool {
    unavailable_reason(state).is_none()
}

/// Why no letter can be made for a request in `state`, in Indonesian for the officer; `None`
/// when it can.
pub fn unavailable_reason(state: &str) -> Option<&'static str> {
    let Some(state) = State::parse(state) else {
        return Some("Status permohonan ini tidak dikenal; surat tidak dapat dibuat.");
    };
    match state {
        State::Diajukan | State::Diperiksa | State::PerluDokumen => Some(
            "Surat baru dapat dibuat setelah permohonan diperiksa lengkap dan diproses \
             (perintah `proses`). Selesaikan pemeriksaan data dan dokumen lebih dulu.",
        ),
        State::Ditolak => Some("Permohonan ini sudah ditolak, jadi tidak ada surat yang dibuat."),
        State::Dibatalkan => {
            Some("Permohonan ini dibatalkan oleh warga, jadi tidak ada surat yang dibuat.")
        }
        State::Diproses
        | State::MenungguTtd
        | State::SiapAntar
        | State::Diantar
        | State::Diterima
        | State::Selesai => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::ALL_STATES;

    #[test]
    fn letters_are_made_from_diproses_on_and_never_for_rejected_requests() {
        let available: Vec<&str> = ALL_STATES
            .iter()
            .map(|s| s.as_str())
            .filter(|s| letter_available(s))
            .collect();
        assert_eq!(
            available,
            [
                "diproses",
                "menunggu_ttd",
                "siap_antar",
                "diantar",
                "diterima",
                "selesai"
            ]
        );
        assert!(unavailable_reason("diperiksa").is_some_and(|r| r.contains("diproses")));
        assert!(unavailable_reason("ditolak").is_some_and(|r| r.contains("ditolak")));
        assert!(!letter_available("entah"));
    }
}
