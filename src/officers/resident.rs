//! The resident's side of the officers' work, handled before the resident dialogue: the answers
//! to our buttons (delivery or collection, "has it arrived?", the rating), the rating comment and
//! delivery address they were asked for, and — while an officer is talking with them — relaying
//! everything they send to that officer, so the bot does not interrupt.

use crate::conversation::dialogue::Event;
use crate::domain::ticket::TicketCode;
use crate::outbound::OutboundBody;
use crate::requests::{State, Step};
use crate::store::{About, Audit, ConversationRow, NewAttachment, RequestDetail, StoreError, Tx};

use super::texts;
use super::work::{self, Doer, Outcome, Work};
use crate::store::Timestamp;

/// A message from a resident (who is not acting as an officer).
pub struct ResidentMessage<'a> {
    pub resident_id: i64,
    pub recipient: &'a str,
    pub wamid: &'a str,
    pub event: &'a Event,
    /// The resident's conversation row (relay, awaited answer).
    pub row: &'a ConversationRow,
    /// The text reads as a new request, a status question or a menu call: a pending question
    /// (rating comment, address) gives way to it.
    pub looks_like_intent: bool,
    /// The text asks the bot for something an officer relay must not swallow: a complaint, a
    /// status check, the menu, a cancellation.
    pub wants_bot: bool,
}

/// Handle the message if it belongs to officer work; `false` leaves it to the dialogue.
pub async fn intercept(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &ResidentMessage<'_>,
) -> Result<bool, StoreError> {
    let mut replies: Vec<OutboundBody> = Vec::new();
    let handled = match m.event {
        Event::Reply { id, .. } if is_followup(id) => {
            followup(tx, w, m, id, &mut replies).await?;
            true
        }
        _ => {
            if relay(tx, w, m, &mut replies).await? || awaited(tx, w, m, &mut replies).await? {
                true
            } else if let Some(id) = typed_followup(tx, w, m).await? {
                // Outside the 24-hour window our buttons arrive as plain template text; a typed
                // "sudah", "ambil" or "5" answers them all the same.
                followup(tx, w, m, &id, &mut replies).await?;
                true
            } else {
                false
            }
        }
    };
    if handled {
        let receipt = serde_json::json!({ "message_id": m.wamid }).to_string();
        tx.enqueue(
            &w.village.id,
            Some(m.resident_id),
            m.recipient,
            "mark_read",
            "read",
            &receipt,
            None,
            w.now,
        )
        .await?;
        for body in replies {
            let (kind, json) = work::encode(&body);
            tx.enqueue(
                &w.village.id,
                Some(m.resident_id),
                m.recipient,
                kind,
                "reply",
                &json,
                None,
                w.now,
            )
            .await?;
        }
    }
    Ok(handled)
}

fn is_followup(id: &str) -> bool {
    ["dlv:", "rcv:", "rate:"].iter().any(|p| id.starts_with(p))
}

/// `dlv:antar:KLP-0042`, `rcv:ya:KLP-0042`, `rate:5:KLP-0042`.
async fn followup(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &ResidentMessage<'_>,
    id: &str,
    replies: &mut Vec<OutboundBody>,
) -> Result<(), StoreError> {
    let mut parts = id.splitn(3, ':');
    let (kind, choice, code) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    // Only the resident's own request, of this village.
    let req = match TicketCode::parse(code) {
        Ok(t) => tx
            .request_by_code(&w.village.id, &t.to_string())
            .await?
            .filter(|r| r.resident_id == m.resident_id),
        Err(_) => None,
    };
    let Some(req) = req else {
        replies.push(OutboundBody::text(
            "Maaf, permohonan itu tidak ditemukan. Ketik *cek* untuk melihat permohonan Anda.",
        ));
        return Ok(());
    };
    let state = State::parse(&req.state);
    let ticket = req.ticket_code.clone();
    match (kind, choice) {
        ("dlv", method @ ("antar" | "ambil")) => {
            let before_delivery = matches!(
                state,
                Some(
                    State::Diajukan
                        | State::Diperiksa
                        | State::PerluDokumen
                        | State::Diproses
                        | State::MenungguTtd
                        | State::SiapAntar
                )
            );
            if !before_delivery {
                replies.push(OutboundBody::text(format!(
                    "Permohonan *{ticket}* sudah {}; pilihan pengambilan tidak bisa diubah lagi.",
                    crate::conversation::texts::state_label(&req.state).to_lowercase()
                )));
                return Ok(());
            }
            tx.set_delivery_method(&w.village.id, req.id, method)
                .await?;
            resident_audit(tx, w, m, &format!("pilih_{method}"), Some(req.id), None).await?;
            if method == "ambil" {
                replies.push(OutboundBody::text(texts::delivery_choice_office(
                    &ticket,
                    &w.office_hours_text(),
                )));
                tell_holder(
                    tx,
                    w,
                    &req,
                    &format!("🏢 Pemohon *{ticket}* memilih mengambil sendiri di kantor. Setelah diambil ketik *diambil {ticket}*."),
                )
                .await?;
            } else {
                let address = address_of(&req);
                replies.push(OutboundBody::text(texts::delivery_choice_home(
                    &ticket,
                    address.as_deref(),
                )));
                tx.set_awaiting(
                    &w.village.id,
                    m.resident_id,
                    Some(("alamat", req.id, w.after(48 * 3600))),
                )
                .await?;
            }
        }
        ("rcv", "ya") => {
            match work::apply(
                tx,
                w,
                &req,
                Step::ConfirmReceipt,
                Doer::Resident(m.resident_id),
                Some("diterima warga"),
            )
            .await?
            {
                Outcome::Moved { .. } => {
                    tx.confirm_delivery(&w.village.id, req.id, "diterima", w.now)
                        .await?;
                    replies.push(texts::rating_request(&ticket));
                    tell_holder(
                        tx,
                        w,
                        &req,
                        &format!(
                            "✅ Warga mengonfirmasi *{ticket}* sudah diterima. Permohonan ditutup."
                        ),
                    )
                    .await?;
                }
                Outcome::Refused(_) => replies.push(OutboundBody::text(format!(
                    "Terima kasih. Permohonan *{ticket}* sudah tercatat: {}.",
                    crate::conversation::texts::state_label(&req.state).to_lowercase()
                ))),
            }
        }
        ("rcv", "belum") => {
            if state != Some(State::Diantar) {
                replies.push(OutboundBody::text(format!(
                    "Permohonan *{ticket}* berstatus: {}.",
                    crate::conversation::texts::state_label(&req.state).to_lowercase()
                )));
                return Ok(());
            }
            tx.confirm_delivery(&w.village.id, req.id, "belum", w.now)
                .await?;
            resident_audit(tx, w, m, "belum_diterima", Some(req.id), None).await?;
            let text = format!(
                "⚠️ Warga menyatakan surat *{ticket}* BELUM diterima (kurir: {}). Mohon dicek dan hubungi warga.",
                req.courier_name.as_deref().unwrap_or("-")
            );
            let courier = req.courier_officer_id;
            let sent = work::to_officers(
                tx,
                w,
                |o, roles| roles.sekdes || Some(o.id) == courier,
                None,
                &OutboundBody::text(text),
                about(&req),
            )
            .await?;
            if sent == 0 {
                tracing::error!(ticket = %ticket, "delivery not received and no Sekdes to alert");
            }
            replies.push(OutboundBody::text(texts::not_yet_received(&ticket)));
        }
        ("rate", stars) => {
            let Some(stars) = stars.parse::<i64>().ok().filter(|s| (1..=5).contains(s)) else {
                return Ok(());
            };
            if !matches!(state, Some(State::Selesai | State::Diterima)) {
                replies.push(OutboundBody::text(format!(
                    "Penilaian bisa diberikan setelah surat *{ticket}* diterima."
                )));
                return Ok(());
            }
            tx.set_rating(&w.village.id, req.id, Some(stars), None)
                .await?;
            resident_audit(tx, w, m, "nilai", Some(req.id), Some(&stars.to_string())).await?;
            tx.set_awaiting(
                &w.village.id,
                m.resident_id,
                Some(("komentar", req.id, w.after(3600))),
            )
            .await?;
            replies.push(OutboundBody::text(texts::rating_thanks(stars)));
        }
        _ => replies.push(OutboundBody::text(
            "Maaf, pilihan itu tidak dikenali. Ketik *menu* untuk bantuan.",
        )),
    }
    Ok(())
}

/// An answer we asked for: the rating comment, or the delivery address.
async fn awaited(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &ResidentMessage<'_>,
    replies: &mut Vec<OutboundBody>,
) -> Result<bool, StoreError> {
    let Some((what, request_id, until)) = &m.row.awaiting else {
        return Ok(false);
    };
    if until.unix_seconds() <= w.now.unix_seconds() {
        return Ok(false);
    }
    let text = match m.event {
        Event::Text(t) if what == "alamat" && !looks_like_address(t) => return Ok(false),
        Event::Text(t) if !m.looks_like_intent => Some(t.trim()),
        Event::Location(_) if what == "alamat" => None,
        _ => return Ok(false),
    };
    let Some(req) = tx.request_by_id(&w.village.id, *request_id).await? else {
        tx.set_awaiting(&w.village.id, m.resident_id, None).await?;
        return Ok(false);
    };
    match (what.as_str(), text, m.event) {
        ("komentar", Some(comment), _) => {
            let comment: String = comment.chars().take(1000).collect();
            tx.set_rating(&w.village.id, req.id, None, Some(&comment))
                .await?;
            replies.push(OutboundBody::text(texts::comment_thanks()));
        }
        ("alamat", Some(address), _) => {
            let mut data: serde_json::Value =
                serde_json::from_str(&req.data_json).unwrap_or_else(|_| serde_json::json!({}));
            let address: String = address.chars().take(300).collect();
            if let Some(values) = data.get_mut("values").and_then(|v| v.as_object_mut()) {
                values.insert("alamat_antar".into(), serde_json::Value::String(address));
            } else {
                data["values"] = serde_json::json!({ "alamat_antar": address });
            }
            tx.set_request_data(&w.village.id, req.id, &data.to_string(), w.now)
                .await?;
            replies.push(OutboundBody::text(texts::address_saved(&req.ticket_code)));
        }
        ("alamat", None, Event::Location(loc)) => {
            tx.set_request_location(&w.village.id, req.id, loc.latitude, loc.longitude)
                .await?;
            replies.push(OutboundBody::text(texts::address_saved(&req.ticket_code)));
        }
        _ => return Ok(false),
    }
    tx.set_awaiting(&w.village.id, m.resident_id, None).await?;
    Ok(true)
}

/// While an officer talks with the resident, everything the resident sends goes to them.
async fn relay(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &ResidentMessage<'_>,
    replies: &mut Vec<OutboundBody>,
) -> Result<bool, StoreError> {
    let Some(relay) = &m.row.relay else {
        return Ok(false);
    };
    if relay.until.unix_seconds() <= w.now.unix_seconds() {
        return Ok(false);
    }
    if matches!(m.event, Event::Ignored) {
        return Ok(true);
    }
    // A complaint (perhaps about this very officer), a status check or the menu goes to the bot.
    if m.wants_bot {
        return Ok(false);
    }
    let officers = tx.village_officers(&w.village.id).await?;
    let Some(officer) = officers.iter().find(|o| o.id == relay.officer_id) else {
        // Deactivated meanwhile: the bot takes over again.
        tx.end_relays(&w.village.id, relay.officer_id, Some(m.resident_id))
            .await?;
        return Ok(false);
    };
    let req = match relay.request_id {
        Some(id) => tx.request_by_id(&w.village.id, id).await?,
        None => None,
    };
    let complaint = match relay.complaint_id {
        Some(id) => tx.complaint_by_id(&w.village.id, id).await?,
        None => None,
    };
    let label = match (&req, &complaint) {
        (Some(r), _) => r.ticket_code.clone(),
        (None, Some(c)) => c.code.clone(),
        _ => "-".into(),
    };
    let name = req
        .as_ref()
        .and_then(|r| r.resident_name.clone())
        .or_else(|| complaint.as_ref().and_then(|c| c.resident_name.clone()))
        .unwrap_or_else(|| "warga".into());
    let about = About {
        resident_id: Some(m.resident_id),
        request_id: req.as_ref().map(|r| r.id),
        complaint_id: complaint.as_ref().map(|c| c.id),
    };
    let forwarded = match m.event {
        Event::Text(t) => format!("💬 *{name}* ({label}):\n{t}\n\n_Balas (reply) pesan ini untuk menjawab._"),
        Event::Reply { title, .. } => format!("💬 *{name}* ({label}) memilih: {title}"),
        Event::Media { media, caption } => {
            let attachment = tx
                .insert_attachment(&NewAttachment {
                    village_id: &w.village.id,
                    request_id: req.as_ref().map(|r| r.id),
                    complaint_id: complaint.as_ref().map(|c| c.id),
                    inbound_message_id: Some(media.inbound_id),
                    requirement_key: None,
                    media_id: Some(&media.media_id),
                    mime_type: media.mime_type.as_deref(),
                    now: w.now,
                })
                .await?;
            let body = serde_json::json!({
                "kind": "attachment",
                "attachment_id": attachment,
                "caption": format!("{label} · dari {name}"),
            });
            tx.enqueue_about(
                &w.village.id,
                officer.resident_id,
                officer.recipient.as_deref().unwrap_or_default(),
                "attachment",
                "officer_alert",
                &body.to_string(),
                about,
                w.now,
            )
            .await?;
            if let Some(r) = &req {
                if State::parse(&r.state) == Some(State::PerluDokumen) {
                    if let Outcome::Moved { .. } = work::apply(
                        tx,
                        w,
                        r,
                        Step::DocumentSupplied,
                        Doer::Resident(m.resident_id),
                        Some("dokumen dikirim warga"),
                    )
                    .await?
                    {
                        // What was asked for has come: the bot answers the resident again
                        // (the officer can write again with `balas`).
                        tx.end_relays(&w.village.id, officer.id, Some(m.resident_id))
                            .await?;
                        // The officer is told below; the resident hears it is being checked.
                        work::to_resident(
                            tx,
                            w,
                            r,
                            &texts::resident_news(
                                &r.ticket_code,
                                &w.service_title(&r.service_code),
                                texts::ResidentNews::DocumentReceived,
                            ),
                            "status_update",
                        )
                        .await?;
                    }
                }
            }
            format!(
                "📎 *{name}* ({label}) mengirim {}{}. Berkasnya menyusul.",
                if media.kind == "image" { "foto" } else { "berkas" },
                caption
                    .as_deref()
                    .map(|c| format!(": \"{c}\""))
                    .unwrap_or_default()
            )
        }
        Event::Location(loc) => {
            if let Some(r) = &req {
                tx.set_request_location(&w.village.id, r.id, loc.latitude, loc.longitude)
                    .await?;
            }
            format!(
                "📍 *{name}* ({label}) mengirim lokasi: https://maps.google.com/?q={:.6},{:.6}",
                loc.latitude, loc.longitude
            )
        }
        Event::Voice => format!(
            "🎤 *{name}* ({label}) mengirim pesan suara. Mohon minta warga menulis pesannya, atau telepon warga."
        ),
        _ => format!("*{name}* ({label}) mengirim pesan yang tidak bisa diteruskan."),
    };
    let body = OutboundBody::text(crate::conversation::dialogue::truncate(&forwarded, 4000));
    work::to_officer(tx, w, officer, &body, about).await?;
    // The conversation stays open while the resident keeps writing (unless the document that
    // was asked for just arrived).
    let supplied = matches!(m.event, Event::Media { .. })
        && req
            .as_ref()
            .is_some_and(|r| State::parse(&r.state) == Some(State::PerluDokumen));
    if supplied {
        return Ok(true);
    }
    tx.set_relay(
        &w.village.id,
        m.resident_id,
        officer.id,
        relay.request_id,
        relay.complaint_id,
        w.after(w.settings.relay_timeout_secs).max(relay.until),
        w.now,
    )
    .await?;
    if matches!(m.event, Event::Voice) {
        replies.push(OutboundBody::text(
            "Maaf, pesan suara belum bisa kami teruskan. Mohon tuliskan pesannya.",
        ));
    }
    Ok(true)
}

/// Tell whoever holds the request (if anyone) something about it.
async fn tell_holder(
    tx: &mut Tx,
    w: &Work<'_>,
    req: &RequestDetail,
    text: &str,
) -> Result<(), StoreError> {
    if let Some(holder) = req.assigned_officer_id {
        work::to_officers(
            tx,
            w,
            |o, _| o.id == holder,
            None,
            &OutboundBody::text(text),
            about(req),
        )
        .await?;
    }
    Ok(())
}

fn about(req: &RequestDetail) -> About {
    About {
        resident_id: Some(req.resident_id),
        request_id: Some(req.id),
        complaint_id: None,
    }
}

fn address_of(req: &RequestDetail) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&req.data_json).ok()?;
    let values = v.get("values")?;
    let get = |k: &str| values.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let address = get("alamat_antar").or_else(|| get("alamat"))?;
    Some(match get("rt_rw") {
        Some(rt) => format!("{address} RT/RW {rt}"),
        None => address,
    })
}

async fn resident_audit(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &ResidentMessage<'_>,
    action: &str,
    request_id: Option<i64>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    tx.insert_audit(
        &Audit {
            village_id: &w.village.id,
            actor_kind: "resident",
            actor_id: Some(m.resident_id),
            action,
            request_id,
            complaint_id: None,
            detail,
        },
        w.now,
    )
    .await
}

/// An address has some substance: a few words with a number or an address word, not "ok siap".
fn looks_like_address(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    const ADDRESS_WORDS: [&str; 12] = [
        "dusun", "dsn", "rt", "rw", "jl", "jalan", "jln", "gang", "gg", "blok", "desa", "no",
    ];
    let has_digit = lower.chars().any(|c| c.is_ascii_digit());
    let has_word = words.iter().any(|w| ADDRESS_WORDS.contains(w));
    words.len() >= 2 && (has_digit || has_word)
}

/// A typed answer to one of our buttons, when exactly one request is waiting for it.
async fn typed_followup(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &ResidentMessage<'_>,
) -> Result<Option<String>, StoreError> {
    let Event::Text(text) = m.event else {
        return Ok(None);
    };
    let t: String = text
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let (wanted_state, id): (&str, &str) = match t.as_str() {
        "sudah" | "udah" | "sdh" | "sampun" | "sudah diterima" | "sudah terima" | "diterima"
        | "sudah sampai" | "ya sudah" | "sudah pak" | "sudah bu" => ("diantar", "rcv:ya"),
        "belum" | "blm" | "dereng" | "belum diterima" | "belum sampai" | "belum pak"
        | "belum bu" => ("diantar", "rcv:belum"),
        "antar" | "diantar" | "antar ke rumah" | "antar saja" | "diantar saja" => {
            ("siap_antar", "dlv:antar")
        }
        "ambil" | "diambil" | "ambil sendiri" | "ambil di kantor" | "saya ambil" => {
            ("siap_antar", "dlv:ambil")
        }
        "1" | "2" | "3" | "4" | "5" => ("selesai", ""),
        _ => return Ok(None),
    };
    let since = Timestamp::from(w.now.as_datetime() - chrono::Duration::days(14));
    let requests = tx
        .resident_requests(&w.village.id, m.resident_id, since)
        .await?;
    let matching: Vec<_> = requests
        .iter()
        .filter(|r| r.state == wanted_state)
        .collect();
    let [only] = matching.as_slice() else {
        return Ok(None);
    };
    if wanted_state == "selesai" {
        // A rating only for the latest closed request that has none yet.
        let Some(req) = tx.request_by_code(&w.village.id, &only.ticket_code).await? else {
            return Ok(None);
        };
        if req.rating.is_some() {
            return Ok(None);
        }
        return Ok(Some(format!("rate:{t}:{}", only.ticket_code)));
    }
    Ok(Some(format!("{id}:{}", only.ticket_code)))
}
