//! Everything the bot says to residents, in one place, in short and polite Bahasa Indonesia.
//!
//! Kept apart from the dialogue logic so that a village officer (or a reviewer fluent in the
//! language) can read and adjust the wording without reading the state machine. Every function
//! is pure; the lengths respect WhatsApp's limits (checked by the message validation).

use crate::catalogue::Service;

/// First contact: who we are, what can be asked, and why personal data is asked.
pub fn welcome(village: &str) -> String {
    format!(
        "Selamat datang di layanan WhatsApp *{village}* 🙏\n\
         Di sini Bapak/Ibu bisa mengurus surat (SKCK, SKTM, domisili, KTP, KK, akta, dll.) \
         dari rumah, dan hasilnya kami antar ke rumah.\n\n\
         Data pribadi seperti NIK hanya kami minta untuk membuat surat, disimpan aman, \
         dan hanya dilihat petugas desa."
    )
}

pub fn menu_body(services: &[&Service]) -> String {
    let mut body = String::from("Silakan pilih layanan dari daftar, atau balas dengan angka:");
    for (i, s) in services.iter().enumerate() {
        body.push_str(&format!("\n{}. {}", i + 1, s.title));
    }
    body.push_str("\n\nKetik *status* untuk cek permohonan, *aduan* untuk pengaduan.");
    body
}

pub const MENU_BUTTON: &str = "Pilih layanan";
pub const MENU_NEXT_PAGE: &str = "Layanan lainnya ›";
pub const MENU_STATUS: &str = "Cek status permohonan";
pub const MENU_ADUAN: &str = "Pengaduan / masukan";

pub fn not_understood() -> &'static str {
    "Maaf, kami belum paham maksud Bapak/Ibu. Silakan pilih dari daftar layanan di bawah ini."
}

pub fn guess_body() -> &'static str {
    "Maaf, apakah yang Bapak/Ibu maksud salah satu layanan ini? Silakan pilih."
}

pub const GUESS_NONE: &str = "Bukan, lihat semua";

pub fn service_intro(service: &Service, queued: &[&Service]) -> String {
    let mut text = format!("Baik, kita buat *{}*.", service.name);
    if !queued.is_empty() {
        let names: Vec<&str> = queued.iter().map(|s| s.title.as_str()).collect();
        text.push_str(&format!(
            " Setelah ini kita lanjutkan {}.",
            names.join(" dan ")
        ));
    }
    if service.is_free_by_law() {
        text.push_str(" Layanan ini gratis.");
    }
    text
}

pub fn offer_saved(name: &str, nik_masked: &str) -> String {
    format!(
        "Kami masih menyimpan data dari permohonan sebelumnya:\nNama: {name}\nNIK: {nik_masked}\n\nPakai data sebelumnya?"
    )
}

pub const SAVED_USE: &str = "Ya, pakai";
pub const SAVED_OTHER: &str = "Untuk orang lain";
pub const SAVED_NEW: &str = "Data baru";

pub fn identity_reused() -> &'static str {
    "NIK dan nama memakai data permohonan tadi."
}

pub fn for_someone_else(relation: &str) -> String {
    format!("Baik, surat ini untuk {relation}. Mohon isi data {relation}, ya.")
}

pub fn step_prefix(step: usize, total: usize) -> String {
    format!("({step}/{total}) ")
}

pub const SKIP: &str = "Lewati";
pub const BRING_TO_OFFICE: &str = "Bawa ke kantor";

pub fn ask_document(label: &str, note: Option<&str>, still_missing: &[&str]) -> String {
    let mut text = format!("📎 Mohon kirim foto atau PDF *{label}*.");
    if let Some(note) = note {
        text.push_str(&format!(" {note}"));
    }
    if still_missing.len() > 1 {
        text.push_str(&format!("\nMasih perlu: {}.", still_missing.join(", ")));
    }
    text.push_str("\nBila belum ada, pilih *Bawa ke kantor*.");
    text
}

pub fn document_received(label: &str) -> String {
    format!("✅ {label} sudah kami terima.")
}

pub fn document_later(label: &str) -> String {
    format!("Baik, {label} dibawa ke kantor atau diserahkan saat surat diantar.")
}

pub fn summary_header(service: &Service) -> String {
    format!("Mohon periksa permohonan *{}*:", service.name)
}

pub fn summary_footer() -> &'static str {
    "Kirim permohonan ini?"
}

pub const CONFIRM_SEND: &str = "Kirim";
pub const CONFIRM_EDIT: &str = "Ubah";
pub const CONFIRM_CANCEL: &str = "Batal";

pub fn doc_line(label: &str, state: DocLine) -> String {
    match state {
        DocLine::Received => format!("• {label}: ✅ terkirim"),
        DocLine::Later => format!("• {label}: dibawa ke kantor"),
        DocLine::Skipped => format!("• {label}: tidak ada"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocLine {
    Received,
    Later,
    Skipped,
}

pub fn edit_pick_body() -> &'static str {
    "Bagian mana yang ingin diubah?"
}

pub const EDIT_BUTTON: &str = "Pilih bagian";

pub fn value_updated(label: &str) -> String {
    format!("Baik, {label} sudah diperbarui.")
}

pub fn confirm_cancel_draft(service: &Service) -> String {
    format!(
        "Batalkan pengisian *{}*? Data yang sudah diisi akan dihapus.",
        service.title
    )
}

pub const YES_CANCEL: &str = "Ya, batalkan";
pub const NO_CONTINUE: &str = "Tidak, lanjut";

pub fn draft_cancelled() -> &'static str {
    "Baik, pengisian dibatalkan. Ketik *menu* bila ingin mengurus surat lain."
}

pub fn continue_filling() -> &'static str {
    "Baik, kita lanjutkan."
}

pub fn no_cancellable_request() -> &'static str {
    "Saat ini tidak ada permohonan yang bisa dibatalkan. Permohonan yang sudah diproses petugas tidak bisa dibatalkan lewat WhatsApp; silakan hubungi kantor desa."
}

pub fn confirm_cancel_request(ticket: &str, service_title: &str) -> String {
    format!("Batalkan permohonan *{ticket}* ({service_title})?")
}

pub fn pick_request_to_cancel() -> &'static str {
    "Permohonan mana yang ingin dibatalkan?"
}

pub fn request_kept(ticket: &str) -> String {
    format!("Baik, permohonan {ticket} tetap kami proses.")
}

pub fn complaint_prompt() -> &'static str {
    "Silakan tulis pengaduan atau masukan Bapak/Ibu. Boleh disertai foto. Pesan akan kami teruskan ke Kepala Desa dan Sekretaris Desa."
}

pub fn complaint_photo_added() -> &'static str {
    "Foto pendukung sudah kami tambahkan ke pengaduan."
}

pub fn voice_note() -> &'static str {
    "Mohon maaf, pesan suara belum bisa kami dengarkan. Mohon tulis pesan singkat saja, atau ketik *menu*."
}

pub fn sticker() -> &'static str {
    "🙏 Terima kasih. Ketik *menu* untuk melihat layanan."
}

pub fn unsupported() -> &'static str {
    "Mohon maaf, jenis pesan ini belum bisa kami proses. Silakan kirim teks, foto, atau dokumen PDF."
}

pub fn location_saved() -> &'static str {
    "📍 Terima kasih, lokasi rumah kami simpan untuk pengantaran surat."
}

pub fn media_without_request() -> &'static str {
    "Terima kasih, file sudah kami terima dan akan kami lampirkan. Foto ini untuk permohonan apa? Silakan pilih layanan."
}

pub fn daily_limit(limit: u32) -> String {
    format!(
        "Mohon maaf, hari ini sudah ada {limit} permohonan dari nomor ini, batas harian kami. Silakan lanjutkan besok, atau datang ke kantor desa."
    )
}

pub fn resume_offer(service_title: &str) -> String {
    format!("Percakapan sebelumnya terhenti cukup lama. Lanjutkan permohonan *{service_title}*?")
}

pub const RESUME_YES: &str = "Lanjutkan";
pub const RESUME_NO: &str = "Mulai baru";

pub fn thanks_reply() -> &'static str {
    "Sama-sama 🙏 Ketik *menu* bila ada yang bisa kami bantu."
}

/// Said when the request has been filed: the ticket, the expected time, and home delivery.
pub fn submitted(
    ticket: &str,
    service: &Service,
    expected: &str,
    office_note: Option<&str>,
) -> String {
    let mut text = format!(
        "✅ Permohonan *{}* sudah kami terima.\nNomor tiket: *{ticket}*\nPerkiraan selesai: {expected}.\nSurat akan *diantar ke rumah* Bapak/Ibu.",
        service.title
    );
    if let Some(note) = office_note {
        text.push_str(&format!("\n{note}"));
    }
    text.push_str(&format!(
        "\nKetik *cek {ticket}* untuk melihat perkembangannya."
    ));
    text
}

pub fn complaint_filed(code: &str) -> String {
    format!(
        "Pengaduan Bapak/Ibu sudah kami terima dengan nomor *{code}* dan diteruskan ke Kepala Desa dan Sekretaris Desa. Terima kasih atas masukannya 🙏"
    )
}

pub fn office_closed(next_open: &str) -> String {
    format!("Kantor desa sedang tutup; petugas akan memeriksanya {next_open}.")
}

pub fn no_requests() -> &'static str {
    "Belum ada permohonan dari nomor ini. Ketik *menu* untuk mengajukan."
}

pub fn ticket_not_found(ticket: &str) -> String {
    format!(
        "Nomor tiket {ticket} tidak kami temukan untuk nomor WhatsApp ini. Mohon periksa kembali."
    )
}

/// The resident-facing name of a request state.
pub fn state_label(state: &str) -> &'static str {
    match state {
        "diajukan" => "Diajukan, menunggu diperiksa",
        "diperiksa" => "Sedang diperiksa petugas",
        "perlu_dokumen" => "Perlu kelengkapan dokumen",
        "diproses" => "Sedang dibuat",
        "menunggu_ttd" => "Menunggu tanda tangan",
        "siap_antar" => "Siap diantar",
        "diantar" => "Sedang diantar",
        "diterima" => "Sudah diterima",
        "selesai" => "Selesai",
        "ditolak" => "Ditolak",
        "dibatalkan" => "Dibatalkan",
        _ => "Dalam proses",
    }
}

pub fn request_cancelled(ticket: &str) -> String {
    format!("Permohonan {ticket} sudah dibatalkan.")
}

pub fn cannot_cancel(ticket: &str, state: &str) -> String {
    format!(
        "Permohonan {ticket} tidak bisa dibatalkan lewat WhatsApp karena statusnya: {}. Silakan hubungi kantor desa.",
        state_label(state)
    )
}
