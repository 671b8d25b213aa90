//! What residents and officers read about a request's progress. Short, polite Bahasa Indonesia
//! for a phone screen; button and row ids carry the ticket so a tap is unambiguous.

use crate::domain::mask::mask_digits;
use crate::outbound::message::{Button, ListRow, ListSection};
use crate::outbound::OutboundBody;

/// The state a resident is told about, with what the message needs.
pub enum ResidentNews<'a> {
    Checking,
    DocumentReceived,
    NeedDocument {
        reason: &'a str,
    },
    Processing,
    AwaitingSignature {
        signer: &'a str,
    },
    Ready {
        collect: bool,
        office_hours: &'a str,
    },
    OutForDelivery {
        courier: &'a str,
    },
    Delivered {
        courier: &'a str,
    },
    Collected,
    Rejected {
        reason: &'a str,
    },
}

pub fn resident_news(ticket: &str, service: &str, news: ResidentNews<'_>) -> OutboundBody {
    match news {
        ResidentNews::Checking => OutboundBody::text(format!(
            "📋 Permohonan *{ticket}* ({service}) sedang diperiksa petugas desa."
        )),
        ResidentNews::DocumentReceived => OutboundBody::text(format!(
            "📋 Terima kasih, kelengkapan untuk *{ticket}* sudah kami terima dan sedang diperiksa."
        )),
        ResidentNews::NeedDocument { reason } => OutboundBody::text(format!(
            "📎 Untuk permohonan *{ticket}* ({service}), petugas memerlukan:\n{reason}\n\nSilakan kirim foto atau berkasnya di sini."
        )),
        ResidentNews::Processing => {
            OutboundBody::text(format!("🛠️ Surat *{ticket}* ({service}) sedang dibuat."))
        }
        ResidentNews::AwaitingSignature { signer } => OutboundBody::text(format!(
            "✍️ Surat *{ticket}* sudah dibuat dan menunggu tanda tangan {signer}."
        )),
        ResidentNews::Ready {
            collect: true,
            office_hours,
        } => OutboundBody::text(format!(
            "✅ Surat *{ticket}* ({service}) sudah siap dan bisa diambil di kantor desa ({office_hours}). Mohon bawa KTP."
        )),
        ResidentNews::Ready { collect: false, .. } => OutboundBody::Buttons {
            body: format!(
                "✅ Surat *{ticket}* ({service}) sudah siap.\nMau diantar ke rumah atau diambil sendiri di kantor desa?"
            ),
            buttons: vec![
                button(&format!("dlv:antar:{ticket}"), "Antar ke rumah"),
                button(&format!("dlv:ambil:{ticket}"), "Ambil di kantor"),
            ],
            header: None,
            footer: None,
        },
        ResidentNews::OutForDelivery { courier } => OutboundBody::text(format!(
            "🛵 Surat *{ticket}* sedang diantar oleh {courier} (kurir desa)."
        )),
        ResidentNews::Delivered { courier } => OutboundBody::Buttons {
            body: format!(
                "📦 Surat *{ticket}* sudah diantar oleh {courier}. Apakah sudah Bapak/Ibu terima?"
            ),
            buttons: vec![
                button(&format!("rcv:ya:{ticket}"), "Sudah diterima"),
                button(&format!("rcv:belum:{ticket}"), "Belum"),
            ],
            header: None,
            footer: None,
        },
        ResidentNews::Collected => OutboundBody::text(format!(
            "✅ Surat *{ticket}* tercatat sudah diambil di kantor desa. Terima kasih!"
        )),
        ResidentNews::Rejected { reason } => OutboundBody::text(format!(
            "Mohon maaf, permohonan *{ticket}* ({service}) tidak dapat kami proses.\nAlasan: {reason}\n\nSilakan hubungi kantor desa bila ada pertanyaan."
        )),
    }
}

/// The one-tap rating after receipt.
pub fn rating_request(ticket: &str) -> OutboundBody {
    let labels = [
        (5, "⭐⭐⭐⭐⭐ Sangat puas"),
        (4, "⭐⭐⭐⭐ Puas"),
        (3, "⭐⭐⭐ Cukup"),
        (2, "⭐⭐ Kurang"),
        (1, "⭐ Kecewa"),
    ];
    OutboundBody::List {
        body: format!(
            "Terima kasih, permohonan *{ticket}* selesai. 🙏\nBagaimana pelayanan kami? Mohon beri nilai 1–5."
        ),
        button: "Beri nilai".into(),
        sections: vec![ListSection {
            title: None,
            rows: labels
                .iter()
                .map(|(n, label)| ListRow {
                    id: format!("rate:{n}:{ticket}"),
                    title: (*label).into(),
                    description: None,
                })
                .collect(),
        }],
        header: None,
        footer: None,
    }
}

pub fn rating_thanks(stars: i64) -> String {
    format!(
        "Terima kasih atas nilainya ({stars}/5). Bila ada saran atau masukan, silakan tulis di sini."
    )
}

pub fn comment_thanks() -> &'static str {
    "Terima kasih, masukan Bapak/Ibu sudah kami catat. 🙏"
}

pub fn not_yet_received(ticket: &str) -> String {
    format!("Mohon maaf atas ketidaknyamanannya. Kami cek segera; petugas desa akan menghubungi Bapak/Ibu tentang *{ticket}*.")
}

pub fn delivery_choice_home(ticket: &str, address: Option<&str>) -> String {
    match address {
        Some(a) => format!(
            "Baik, surat *{ticket}* akan diantar ke: {a}.\nJika alamatnya berbeda, tulis alamat yang benar di sini atau kirim lokasi (📎 › Lokasi)."
        ),
        None => format!(
            "Baik, surat *{ticket}* akan diantar ke rumah. Mohon tulis alamat lengkap (dusun, RT/RW), atau kirim lokasi lewat 📎 › Lokasi."
        ),
    }
}

pub fn delivery_choice_office(ticket: &str, office_hours: &str) -> String {
    format!("Baik, surat *{ticket}* bisa diambil di kantor desa ({office_hours}). Mohon bawa KTP.")
}

pub fn address_saved(ticket: &str) -> String {
    format!("Terima kasih, alamat pengantaran untuk *{ticket}* sudah dicatat.")
}

pub fn relay_to_resident(title: &str, officer: &str, text: &str) -> String {
    format!("💬 *{title} ({officer})*:\n{text}")
}

pub fn relay_ended_to_resident() -> &'static str {
    "Percakapan dengan petugas sudah selesai. Terima kasih! Ketik *menu* bila perlu bantuan lagi."
}

pub fn complaint_reply_to_resident(code: &str, title: &str, officer: &str, text: &str) -> String {
    format!("💬 Tanggapan aduan *{code}* dari {title} ({officer}):\n{text}")
}

pub fn complaint_closed_to_resident(code: &str, note: Option<&str>) -> String {
    match note {
        Some(n) => format!(
            "✅ Aduan *{code}* sudah ditangani dan ditutup.\n{n}\n\nTerima kasih atas masukan Bapak/Ibu."
        ),
        None => format!(
            "✅ Aduan *{code}* sudah ditangani dan ditutup. Terima kasih atas masukan Bapak/Ibu."
        ),
    }
}

fn button(id: &str, title: &str) -> Button {
    Button {
        id: id.into(),
        title: title.into(),
    }
}

/// A NIK or KK number as officers see it in notifications: region and serial, not the birth
/// date.
pub fn masked_number(n: &str) -> String {
    mask_digits(n)
}

/// "5 mnt", "3 jam", "2 hari": how long something has waited.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 3600 {
        format!("{} mnt", secs / 60)
    } else if secs < 48 * 3600 {
        format!("{} jam", secs / 3600)
    } else {
        format!("{} hari", secs / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resident_message_fits_whatsapp() {
        let ticket = "KLP-12345";
        let service = "Surat Keterangan Tidak Mampu";
        let long = "x".repeat(300);
        for news in [
            ResidentNews::Checking,
            ResidentNews::DocumentReceived,
            ResidentNews::NeedDocument { reason: &long },
            ResidentNews::Processing,
            ResidentNews::AwaitingSignature {
                signer: "Kepala Desa",
            },
            ResidentNews::Ready {
                collect: false,
                office_hours: "Senin–Jumat 08.00–15.00",
            },
            ResidentNews::Ready {
                collect: true,
                office_hours: "Senin–Jumat 08.00–15.00",
            },
            ResidentNews::OutForDelivery { courier: &long },
            ResidentNews::Delivered {
                courier: "Pak Budi",
            },
            ResidentNews::Collected,
            ResidentNews::Rejected { reason: &long },
        ] {
            let body = resident_news(ticket, service, news);
            body.validate().unwrap_or_else(|e| panic!("{e}: {body:?}"));
        }
        rating_request(ticket).validate().unwrap();
    }

    #[test]
    fn button_ids_carry_the_ticket() {
        match resident_news(
            "KLP-0042",
            "SKCK",
            ResidentNews::Delivered { courier: "Budi" },
        ) {
            OutboundBody::Buttons { buttons, .. } => {
                assert_eq!(buttons[0].id, "rcv:ya:KLP-0042");
                assert_eq!(buttons[1].id, "rcv:belum:KLP-0042");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(-5), "0 mnt");
        assert_eq!(age(59 * 60), "59 mnt");
        assert_eq!(age(3 * 3600), "3 jam");
        assert_eq!(age(47 * 3600), "47 jam");
        assert_eq!(age(3 * 86_400), "3 hari");
    }
}
