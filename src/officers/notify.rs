//! Officers hear about new work at once: a new request goes to the operators on duty with
//! buttons to take or view it; a complaint goes to the Kades and the Sekdes.

use serde_json::Value;

use crate::outbound::{Button, OutboundBody};
use crate::store::{About, StoreError, Tx};

use super::texts;
use super::work::{self, officer_button, Work};

/// Tell the operators on duty (or, if none is, every operator and the Sekdes) about a new
/// request. The NIK is masked: the whole number is one `lihat` away, which is audited.
pub async fn new_request(tx: &mut Tx, w: &Work<'_>, request_id: i64) -> Result<(), StoreError> {
    let Some(req) = tx.request_by_id(&w.village.id, request_id).await? else {
        return Ok(());
    };
    let values = serde_json::from_str::<Value>(&req.data_json)
        .ok()
        .and_then(|v| v.get("values").cloned())
        .unwrap_or(Value::Null);
    let nik = values
        .get("nik")
        .and_then(Value::as_str)
        .map(texts::masked_number)
        .unwrap_or_else(|| "-".into());
    let mut body = format!(
        "📥 *Permohonan baru {}*\n{}\nAtas nama: {}{}\nNIK: {nik}",
        req.ticket_code,
        w.service_title(&req.service_code),
        req.subject_name.as_deref().unwrap_or("-"),
        req.relation
            .as_deref()
            .map(|r| format!(" ({r} pemohon)"))
            .unwrap_or_default(),
    );
    if let Some(due) = req.due_at {
        body.push_str(&format!(
            "\nTarget selesai: {}",
            w.local(due).format("%d/%m %H.%M")
        ));
    }
    let message = OutboundBody::Buttons {
        body: crate::conversation::dialogue::truncate(&body, 1000),
        buttons: vec![
            Button {
                id: officer_button("ambil", &req.ticket_code),
                title: "Ambil".into(),
            },
            Button {
                id: officer_button("lihat", &req.ticket_code),
                title: "Lihat".into(),
            },
        ],
        header: None,
        footer: None,
    };
    let about = About {
        resident_id: Some(req.resident_id),
        request_id: Some(req.id),
        complaint_id: None,
    };
    let sent = work::to_officers(
        tx,
        w,
        |o, roles| roles.operator && o.on_duty,
        None,
        &message,
        about,
    )
    .await?;
    if sent == 0 {
        let fallback = work::to_officers(
            tx,
            w,
            |_, roles| roles.operator || roles.sekdes,
            None,
            &message,
            about,
        )
        .await?;
        if fallback == 0 {
            tracing::warn!(ticket = %req.ticket_code, village = %w.village.id, "no officer to notify about a new request; add one with `kentongan officer add`");
        }
    }
    Ok(())
}

/// Forward a complaint to the Kades and the Sekdes.
pub async fn new_complaint(
    tx: &mut Tx,
    w: &Work<'_>,
    complaint_id: i64,
    attachments: usize,
) -> Result<(), StoreError> {
    let Some(c) = tx.complaint_by_id(&w.village.id, complaint_id).await? else {
        return Ok(());
    };
    let contact = c
        .resident_recipient
        .as_deref()
        .filter(|r| r.chars().all(|ch| ch.is_ascii_digit()))
        .map(|r| format!(" (+{r})"))
        .unwrap_or_default();
    let mut text = format!(
        "📣 *Aduan baru {}*\nDari: {}{contact}\n\n{}",
        c.code,
        c.resident_name.as_deref().unwrap_or("warga"),
        crate::conversation::dialogue::truncate(&c.body, 3000)
    );
    if attachments > 0 {
        text.push_str(&format!("\n\n📎 {attachments} foto/berkas terlampir."));
    }
    text.push_str(&format!(
        "\n\nBalas: *balas {} pesan* · Tutup: *tutup {} catatan*",
        c.code, c.code
    ));
    let sent = work::to_officers(
        tx,
        w,
        |_, roles| roles.can_handle_complaints(),
        None,
        &OutboundBody::text(text),
        About {
            resident_id: Some(c.resident_id),
            request_id: None,
            complaint_id: Some(c.id),
        },
    )
    .await?;
    if sent == 0 {
        tracing::error!(code = %c.code, village = %w.village.id, "complaint filed but no Kades or Sekdes is configured to receive it");
    }
    Ok(())
}
