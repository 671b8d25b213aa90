//! An officer's WhatsApp message: parsed as a command (or a quote-reply to a resident's
//! message), checked against the officer's roles and the request's state, carried out inside the
//! webhook's transaction, and answered. Nothing an officer sends reaches the resident dialogue.

use serde_json::Value;

use crate::conversation::dialogue::{Event, MediaRef};
use crate::conversation::handler::event_of;
use crate::domain::ticket::TicketCode;
use crate::outbound::{Button, OutboundBody};
use crate::requests::{Roles, State, Step};
use crate::store::{About, Audit, NewAttachment, RequestDetail, SenderOfficer, StoreError, Tx};
use crate::webhook::payload::Message;

use super::command::{self, Command, CommandError, QueueFilter};
use super::texts;
use super::work::{self, officer_button, Doer, Outcome, Work};

/// A message from an officer.
pub struct OfficerMessage<'a> {
    pub officer: &'a SenderOfficer,
    /// The officer's own resident row (their conversation and 24-hour window).
    pub resident_id: i64,
    pub recipient: &'a str,
    pub inbound_id: i64,
    pub message: &'a Message,
}

/// Who acts: the officer, and (from WhatsApp) where their own messages go. The dashboard acts
/// without a WhatsApp recipient; what would have been sent to the officer is shown instead.
pub struct Acting<'a> {
    pub officer: &'a SenderOfficer,
    pub resident_id: Option<i64>,
    pub recipient: Option<&'a str>,
}

/// Answers to the officer, queued at the end.
struct Answers(Vec<(OutboundBody, About)>);

impl Answers {
    fn say(&mut self, text: impl Into<String>) {
        self.0.push((OutboundBody::text(text), About::default()));
    }
}

/// Carry out a command for an officer acting outside WhatsApp (the dashboard): the same checks
/// and records as from WhatsApp; returns what the officer would have been told.
pub async fn perform(
    tx: &mut Tx,
    w: &Work<'_>,
    officer: &SenderOfficer,
    cmd: Command,
) -> Result<Vec<String>, StoreError> {
    let roles = Roles::parse(&officer.roles);
    let acting = Acting {
        officer,
        resident_id: None,
        recipient: None,
    };
    let mut answers = Answers(Vec::new());
    run(tx, w, &acting, roles, cmd, &mut answers).await?;
    Ok(answers
        .0
        .into_iter()
        .map(|(body, _)| body.preview())
        .collect())
}

pub async fn handle(tx: &mut Tx, w: &Work<'_>, m: &OfficerMessage<'_>) -> Result<(), StoreError> {
    let roles = Roles::parse(&m.officer.roles);
    let acting = Acting {
        officer: m.officer,
        resident_id: Some(m.resident_id),
        recipient: Some(m.recipient),
    };
    let mut answers = Answers(Vec::new());
    let event = event_of(m.message, m.inbound_id);
    let context = m.message.summary().context_wamid.map(str::to_string);
    let prefix = w.village.ticket_prefix.as_str();
    let parsed: Option<Result<Command, CommandError>> = match &event {
        Event::Reply { id, title } => {
            Some(
                command::parse_button(id).ok_or_else(|| CommandError::Unknown {
                    word: title.clone(),
                }),
            )
        }
        Event::Text(text) => {
            let mut parsed = command::parse(text, prefix);
            if let (Err(e), Some(wamid)) = (&parsed, &context) {
                let about = tx.outbound_about(&w.village.id, wamid).await?;
                match e {
                    // A quote-reply that is not a command at all ("Baik, besok diantar") is an
                    // answer for that resident.
                    CommandError::Unknown { .. } if about.resident_id.is_some() => {
                        relay_quote(tx, w, &acting, roles, about, text, &mut answers).await?;
                        return finish(tx, w, m, answers).await;
                    }
                    // A command without its code ("ambil", "tolak KTP buram") quoting a message
                    // about a request or complaint means that one.
                    CommandError::MissingTicket { .. } | CommandError::MissingReason { .. } => {
                        if let Some(code) = quoted_code(tx, w, about).await? {
                            let trimmed = text.trim();
                            let (verb, rest) = trimmed
                                .split_once(char::is_whitespace)
                                .unwrap_or((trimmed, ""));
                            let with_code = format!("{verb} {code} {rest}");
                            parsed = command::parse(with_code.trim(), prefix);
                        }
                    }
                    _ => {}
                }
            }
            Some(parsed)
        }
        Event::Media { media, caption } => {
            match caption.as_deref().map(|c| command::parse(c, prefix)) {
                Some(Ok(Command::Delivered(ticket))) => {
                    delivered(tx, w, &acting, roles, &ticket, Some(media), &mut answers).await?;
                    return finish(tx, w, m, answers).await;
                }
                _ => {
                    answers.say("Foto/berkas diterima, tetapi tidak tahu untuk apa. Untuk bukti antar, kirim foto dengan keterangan *terkirim KLP-0042*.");
                    None
                }
            }
        }
        Event::Ignored => return Ok(()),
        _ => {
            answers.say(help_text(roles));
            None
        }
    };
    match parsed {
        Some(Ok(cmd)) => run(tx, w, &acting, roles, cmd, &mut answers).await?,
        Some(Err(CommandError::Unknown { .. })) => {
            answers.say(format!("Perintah tidak dikenal.\n\n{}", help_text(roles)));
        }
        Some(Err(e)) => answers.say(e.friendly_message()),
        None => {}
    }
    finish(tx, w, m, answers).await
}

async fn finish(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &OfficerMessage<'_>,
    answers: Answers,
) -> Result<(), StoreError> {
    let receipt = serde_json::json!({ "message_id": m.message.id }).to_string();
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
    for (body, about) in answers.0 {
        let (kind, json) = work::encode(&body);
        tx.enqueue_about(
            &w.village.id,
            Some(m.resident_id),
            m.recipient,
            kind,
            "officer_alert",
            &json,
            about,
            w.now,
        )
        .await?;
    }
    Ok(())
}

async fn run(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &Acting<'_>,
    roles: Roles,
    cmd: Command,
    out: &mut Answers,
) -> Result<(), StoreError> {
    let me = m.officer;
    let doer = Doer::Officer { id: me.id, roles };
    tracing::info!(officer = me.id, command = cmd.verb(), "officer command");
    match cmd {
        Command::Help => out.say(help_text(roles)),
        Command::Queue(filter) => out.say(queue_text(tx, w, filter).await?),
        Command::Overdue => out.say(queue_text(tx, w, QueueFilter::Overdue).await?),
        Command::Show(code) if code.is_complaint() => {
            if !roles.can_handle_complaints() {
                out.say("Maaf, aduan hanya bisa dilihat oleh Kades dan Sekdes.");
                return Ok(());
            }
            match tx
                .complaint_by_code(&w.village.id, &code.to_string())
                .await?
            {
                None => out.say(not_found(&code)),
                Some(c) => {
                    audit(tx, w, me.id, "lihat_aduan", None, Some(c.id), None).await?;
                    let about = About {
                        resident_id: Some(c.resident_id),
                        request_id: None,
                        complaint_id: Some(c.id),
                    };
                    out.0.push((
                        OutboundBody::text(format!(
                            "📣 *{}* — {}\nDari: {} ({})\nMasuk: {}\n\n{}\n\nBalas: *balas {} …* · Tutup: *tutup {} catatan*",
                            c.code,
                            complaint_state(&c.state),
                            c.resident_name.as_deref().unwrap_or("-"),
                            c.resident_recipient.as_deref().unwrap_or("-"),
                            w.local(c.created_at).format("%d/%m %H.%M"),
                            crate::conversation::dialogue::truncate(&c.body, 2500),
                            c.code,
                            c.code
                        )),
                        about,
                    ));
                }
            }
        }
        Command::Show(code) => {
            let Some(req) = find(tx, w, &code, out).await? else {
                return Ok(());
            };
            if !roles.can_process() {
                // A courier sees what the delivery needs, and only for letters they carry.
                if req.courier_officer_id == Some(me.id) {
                    audit(tx, w, me.id, "lihat", Some(req.id), None, Some("kurir")).await?;
                    out.say(delivery_line(w, &req));
                } else {
                    out.say(format!(
                        "{} tidak ada di daftar antar Anda. Ketik *kiriman* untuk daftar Anda.",
                        req.ticket_code
                    ));
                }
                return Ok(());
            }
            audit(tx, w, me.id, "lihat", Some(req.id), None, None).await?;
            let attachments = tx.request_attachments(&w.village.id, req.id).await?;
            let text = detail_text(w, &req, roles, attachments.len());
            let about = about_request(&req);
            let state = State::parse(&req.state);
            let mut buttons = Vec::new();
            if state == Some(State::Diajukan) && roles.can_process() {
                buttons.push(("ambil", "Ambil"));
            }
            if !attachments.is_empty() {
                buttons.push(("lampiran", "Lampiran"));
            }
            if state == Some(State::MenungguTtd) && roles.can_sign(w.signer(&req.service_code)) {
                buttons.push(("setuju", "Setuju"));
            }
            if buttons.is_empty() || text.chars().count() > 1000 {
                out.0.push((OutboundBody::text(text), about));
            } else {
                out.0.push((
                    OutboundBody::Buttons {
                        body: text,
                        buttons: buttons
                            .into_iter()
                            .map(|(verb, title)| Button {
                                id: officer_button(verb, &req.ticket_code),
                                title: title.into(),
                            })
                            .collect(),
                        header: None,
                        footer: None,
                    },
                    about,
                ));
            }
        }
        Command::Attachments(code) => {
            let Some(req) = find(tx, w, &code, out).await? else {
                return Ok(());
            };
            // Photos of KTP/KK are for those who check and make letters, and for the courier
            // carrying this very letter.
            if !roles.can_process() && req.courier_officer_id != Some(me.id) {
                out.say("Maaf, lampiran hanya untuk operator, Sekdes, Kades, dan kurir yang mengantar surat ini.");
                return Ok(());
            }
            let attachments = tx.request_attachments(&w.village.id, req.id).await?;
            if attachments.is_empty() {
                out.say(format!("{} belum punya lampiran.", req.ticket_code));
                return Ok(());
            }
            audit(
                tx,
                w,
                me.id,
                "lihat_lampiran",
                Some(req.id),
                None,
                Some(&format!("{} lampiran", attachments.len())),
            )
            .await?;
            out.say(format!(
                "📎 {} lampiran untuk *{}* dikirim menyusul.",
                attachments.len(),
                req.ticket_code
            ));
            let service = w.catalogue.get(&req.service_code);
            for a in attachments.iter().take(10) {
                let label = a
                    .requirement_key
                    .as_deref()
                    .map(|k| {
                        service
                            .and_then(|s| s.documents.iter().find(|d| d.key == k))
                            .map(|d| d.label.clone())
                            .unwrap_or_else(|| k.to_string())
                    })
                    .unwrap_or_else(|| "lampiran".into());
                let body = serde_json::json!({
                    "kind": "attachment",
                    "attachment_id": a.id,
                    "caption": format!("{} · {}", req.ticket_code, label),
                });
                let Some(recipient) = m.recipient else {
                    continue;
                };
                tx.enqueue_about(
                    &w.village.id,
                    m.resident_id,
                    recipient,
                    "attachment",
                    "officer_alert",
                    &body.to_string(),
                    about_request(&req),
                    w.now,
                )
                .await?;
            }
        }
        Command::Take(code) => {
            let Some(req) = find(tx, w, &code, out).await? else {
                return Ok(());
            };
            let before = req.assigned_name.clone();
            match work::apply(tx, w, &req, Step::Take, doer, None).await? {
                Outcome::Refused(why) => out.say(why),
                Outcome::Moved { from, to } => {
                    let detail = before
                        .filter(|_| req.assigned_officer_id != Some(me.id))
                        .map(|b| format!("diambil alih dari {b}"));
                    audit(tx, w, me.id, "ambil", Some(req.id), None, detail.as_deref()).await?;
                    if from != to {
                        work::announce(tx, w, &req, from, to, None, Some(me.id)).await?;
                    }
                    out.say(format!(
                        "✅ *{}* sekarang Anda pegang. Status: {}.\n{}",
                        req.ticket_code,
                        to.label(),
                        crate::requests::next_hint(to, &req.ticket_code)
                    ));
                }
            }
        }
        Command::Check(code) => simple_step(tx, w, m, doer, &code, Step::Check, None, out).await?,
        Command::Process(code) => {
            simple_step(tx, w, m, doer, &code, Step::Process, None, out).await?
        }
        Command::Ready(code) => simple_step(tx, w, m, doer, &code, Step::Ready, None, out).await?,
        Command::Approve(code) => {
            let Some(req) = find(tx, w, &code, out).await? else {
                return Ok(());
            };
            match work::apply(tx, w, &req, Step::Approve, doer, None).await? {
                Outcome::Refused(why) => out.say(why),
                Outcome::Moved { from, to } => {
                    tx.set_approved(&w.village.id, req.id, me.id, w.now).await?;
                    work::announce(tx, w, &req, from, to, None, Some(me.id)).await?;
                    out.say(format!(
                        "✅ *{}* disetujui dan siap diserahkan ke warga.",
                        req.ticket_code
                    ));
                }
            }
        }
        Command::NeedDocument { ticket, reason } => {
            let Some(req) = find(tx, w, &ticket, out).await? else {
                return Ok(());
            };
            match work::apply(tx, w, &req, Step::NeedDocument, doer, Some(&reason)).await? {
                Outcome::Refused(why) => out.say(why),
                Outcome::Moved { from, to } => {
                    work::announce(tx, w, &req, from, to, Some(&reason), Some(me.id)).await?;
                    // The resident's answer (a photo, a question) comes back to this officer.
                    tx.set_relay(
                        &w.village.id,
                        req.resident_id,
                        me.id,
                        Some(req.id),
                        None,
                        w.after(w.settings.document_wait_secs),
                        w.now,
                    )
                    .await?;
                    out.say(format!(
                        "📨 Permintaan dokumen untuk *{}* sudah dikirim ke warga. Balasan warga akan diteruskan ke Anda.",
                        req.ticket_code
                    ));
                }
            }
        }
        Command::Reject { ticket, reason } => {
            let Some(req) = find(tx, w, &ticket, out).await? else {
                return Ok(());
            };
            match work::apply(tx, w, &req, Step::Reject, doer, Some(&reason)).await? {
                Outcome::Refused(why) => out.say(why),
                Outcome::Moved { from, to } => {
                    work::announce(tx, w, &req, from, to, Some(&reason), Some(me.id)).await?;
                    tx.end_relays(&w.village.id, me.id, Some(req.resident_id))
                        .await?;
                    out.say(format!(
                        "❌ *{}* ditolak. Warga sudah diberi tahu alasannya.",
                        req.ticket_code
                    ));
                }
            }
        }
        Command::Deliver { ticket, courier } => {
            deliver(tx, w, m, roles, &ticket, courier.as_deref(), out).await?
        }
        Command::Delivered(ticket) => delivered(tx, w, m, roles, &ticket, None, out).await?,
        Command::Collected(ticket) => {
            let Some(req) = find(tx, w, &ticket, out).await? else {
                return Ok(());
            };
            match work::apply(
                tx,
                w,
                &req,
                Step::Collected,
                doer,
                Some("diambil di kantor"),
            )
            .await?
            {
                Outcome::Refused(why) => out.say(why),
                Outcome::Moved { .. } => {
                    tx.set_delivery_method(&w.village.id, req.id, "ambil")
                        .await?;
                    tx.start_delivery(&w.village.id, req.id, None, Some(me.id), "ambil", w.now)
                        .await?;
                    tx.confirm_delivery(&w.village.id, req.id, "diterima", w.now)
                        .await?;
                    work::to_resident(
                        tx,
                        w,
                        &req,
                        &texts::resident_news(
                            &req.ticket_code,
                            &w.service_title(&req.service_code),
                            texts::ResidentNews::Collected,
                        ),
                        "status_update",
                    )
                    .await?;
                    work::to_resident(
                        tx,
                        w,
                        &req,
                        &texts::rating_request(&req.ticket_code),
                        "status_update",
                    )
                    .await?;
                    out.say(format!(
                        "✅ *{}* tercatat sudah diambil warga dan ditutup.",
                        req.ticket_code
                    ));
                }
            }
        }
        Command::Reply { ticket, text } => {
            if ticket.is_complaint() {
                reply_complaint(tx, w, m, roles, &ticket, &text, out).await?;
            } else {
                let Some(req) = find(tx, w, &ticket, out).await? else {
                    return Ok(());
                };
                if !roles.can_process() {
                    out.say("Maaf, membalas warga hanya untuk operator, Sekdes dan Kades.");
                    return Ok(());
                }
                relay_to_request(tx, w, m, roles, &req, &text, out).await?;
            }
        }
        Command::EndRelay(target) => {
            let resident = match &target {
                Some(code) if code.is_complaint() => tx
                    .complaint_by_code(&w.village.id, &code.to_string())
                    .await?
                    .map(|c| c.resident_id),
                Some(code) => tx
                    .request_by_code(&w.village.id, &code.to_string())
                    .await?
                    .map(|r| r.resident_id),
                None => None,
            };
            if target.is_some() && resident.is_none() {
                if let Some(code) = &target {
                    out.say(not_found(code));
                }
                return Ok(());
            }
            let residents = ended_residents(tx, w, me.id, resident).await?;
            let n = tx.end_relays(&w.village.id, me.id, resident).await?;
            for r in residents {
                if let Some(recipient) = r.1 {
                    let (kind, json) =
                        work::encode(&OutboundBody::text(texts::relay_ended_to_resident()));
                    tx.enqueue_about(
                        &w.village.id,
                        Some(r.0),
                        &recipient,
                        kind,
                        "officer_reply",
                        &json,
                        About::default(),
                        w.now,
                    )
                    .await?;
                }
            }
            out.say(if n == 0 {
                "Tidak ada percakapan dengan warga yang sedang berjalan.".to_string()
            } else {
                format!(
                    "Percakapan dengan {n} warga diakhiri; pesan warga kembali dijawab Kentongan."
                )
            });
        }
        Command::CloseComplaint { code, note } => {
            if !roles.can_handle_complaints() {
                out.say("Maaf, aduan hanya bisa ditutup oleh Kades atau Sekdes.");
                return Ok(());
            }
            let Some(c) = tx
                .complaint_by_code(&w.village.id, &code.to_string())
                .await?
            else {
                out.say(not_found(&code));
                return Ok(());
            };
            if c.state == "selesai" {
                out.say(format!("Aduan {} sudah ditutup sebelumnya.", c.code));
                return Ok(());
            }
            tx.update_complaint(
                &w.village.id,
                c.id,
                "selesai",
                me.id,
                note.as_deref(),
                w.now,
            )
            .await?;
            audit(
                tx,
                w,
                me.id,
                "tutup_aduan",
                None,
                Some(c.id),
                note.as_deref(),
            )
            .await?;
            tx.end_relays(&w.village.id, me.id, Some(c.resident_id))
                .await?;
            if let Some(recipient) = c.resident_recipient.as_deref() {
                let (kind, json) = work::encode(&OutboundBody::text(
                    texts::complaint_closed_to_resident(&c.code, note.as_deref()),
                ));
                tx.enqueue_about(
                    &w.village.id,
                    Some(c.resident_id),
                    recipient,
                    kind,
                    "status_update",
                    &json,
                    About {
                        resident_id: Some(c.resident_id),
                        request_id: None,
                        complaint_id: Some(c.id),
                    },
                    w.now,
                )
                .await?;
            }
            out.say(format!(
                "✅ Aduan *{}* ditutup. Warga sudah diberi tahu.",
                c.code
            ));
        }
        Command::Complaints => {
            if !roles.can_handle_complaints() {
                out.say("Maaf, daftar aduan hanya untuk Kades dan Sekdes.");
                return Ok(());
            }
            let open = tx.open_complaints(&w.village.id).await?;
            if open.is_empty() {
                out.say("Tidak ada aduan yang terbuka. 👍");
            } else {
                let mut text = format!("📣 Aduan terbuka ({}):", open.len());
                for c in open.iter().take(15) {
                    text.push_str(&format!(
                        "\n• *{}* {} · {} — {}",
                        c.code,
                        complaint_state(&c.state),
                        texts::age(w.now.unix_seconds() - c.created_at.unix_seconds()),
                        crate::conversation::dialogue::truncate(&c.body, 60)
                    ));
                }
                text.push_str("\n\nKetik *lihat ADU-…* untuk rinciannya.");
                out.say(text);
            }
        }
        Command::Deliveries => {
            let list = tx.courier_deliveries(&w.village.id, me.id).await?;
            if list.is_empty() {
                out.say("Tidak ada surat yang perlu Anda antar saat ini.");
            } else {
                let mut text = format!("🛵 Daftar antar Anda ({}):", list.len());
                for d in list.iter().take(15) {
                    text.push_str(&format!("\n\n{}", delivery_line(w, &d.request)));
                    if d.delivered_at.is_some() {
                        text.push_str("\n(sudah diserahkan, menunggu konfirmasi warga)");
                    }
                }
                text.push_str(
                    "\n\nSetelah diserahkan ketik *terkirim KLP-…* (boleh dengan foto bukti).",
                );
                out.say(crate::conversation::dialogue::truncate(&text, 4000));
            }
        }
        Command::Summary => {
            if !(roles.sekdes || roles.kades || roles.operator) {
                out.say("Maaf, ringkasan hanya untuk operator, Sekdes dan Kades.");
                return Ok(());
            }
            out.say(super::deadlines::summary_text(tx, w.village, w.catalogue, w.now).await?);
        }
        Command::OffDuty => {
            tx.set_officer_on_duty(&w.village.id, me.id, false, w.now)
                .await?;
            out.say("Status Anda: *libur*. Notifikasi permohonan baru tidak dikirim ke Anda. Ketik *masuk* untuk bertugas lagi.");
        }
        Command::OnDuty => {
            tx.set_officer_on_duty(&w.village.id, me.id, true, w.now)
                .await?;
            out.say("Status Anda: *bertugas*. Permohonan baru akan diberitahukan ke Anda.");
        }
        Command::Personal => {
            let Some(resident_id) = m.resident_id else {
                out.say("Mode warga hanya lewat WhatsApp.");
                return Ok(());
            };
            tx.set_personal(
                &w.village.id,
                resident_id,
                Some(w.after(w.settings.relay_timeout_secs)),
            )
            .await?;
            out.say("Mode warga aktif: pesan Anda berikutnya dilayani seperti warga biasa (untuk surat Anda sendiri). Ketik *petugas* untuk kembali ke mode petugas.");
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn simple_step(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &Acting<'_>,
    doer: Doer,
    code: &TicketCode,
    step: Step,
    reason: Option<&str>,
    out: &mut Answers,
) -> Result<(), StoreError> {
    let Some(req) = find(tx, w, code, out).await? else {
        return Ok(());
    };
    match work::apply(tx, w, &req, step, doer, reason).await? {
        Outcome::Refused(why) => out.say(why),
        Outcome::Moved { from, to } => {
            work::announce(tx, w, &req, from, to, reason, Some(m.officer.id)).await?;
            let mut text = format!("✅ *{}*: {}.", req.ticket_code, to.label());
            let hint = crate::requests::next_hint(to, &req.ticket_code);
            if !hint.is_empty() {
                text.push('\n');
                text.push_str(&hint);
            }
            out.say(text);
        }
    }
    Ok(())
}

async fn deliver(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &Acting<'_>,
    roles: Roles,
    code: &TicketCode,
    courier: Option<&str>,
    out: &mut Answers,
) -> Result<(), StoreError> {
    let Some(req) = find(tx, w, code, out).await? else {
        return Ok(());
    };
    if req.delivery_method == "ambil" && req.state == "siap_antar" {
        out.say(format!(
            "Warga memilih mengambil sendiri di kantor. Jika sudah diambil, ketik *diambil {}*.",
            req.ticket_code
        ));
        return Ok(());
    }
    let officers = tx.village_officers(&w.village.id).await?;
    let couriers: Vec<_> = officers
        .iter()
        .filter(|o| Roles::parse(&o.roles).kurir)
        .collect();
    let chosen = match courier {
        Some(name) => {
            let wanted = courier_key(name);
            let matches: Vec<_> = couriers
                .iter()
                .filter(|o| courier_key(&o.name).contains(&wanted))
                .collect();
            match matches.as_slice() {
                [one] => Some(**one),
                [] => {
                    out.say(format!(
                        "Kurir \"{name}\" tidak ditemukan. Kurir aktif: {}.",
                        names(&couriers)
                    ));
                    return Ok(());
                }
                _ => {
                    out.say(format!(
                        "Ada beberapa kurir bernama \"{name}\": {}. Tulis nama lebih lengkap.",
                        matches
                            .iter()
                            .map(|o| o.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    return Ok(());
                }
            }
        }
        None if roles.kurir => officers.iter().find(|o| o.id == m.officer.id),
        None => {
            let on_duty: Vec<_> = couriers.iter().filter(|o| o.on_duty).collect();
            match on_duty.as_slice() {
                [one] => Some(**one),
                _ => {
                    out.say(format!(
                        "Sebutkan kurirnya, contoh: *antar {} Budi*. Kurir aktif: {}.",
                        req.ticket_code,
                        names(&couriers)
                    ));
                    return Ok(());
                }
            }
        }
    };
    let Some(chosen) = chosen else {
        out.say("Kurir tidak ditemukan.");
        return Ok(());
    };
    // A courier may take a delivery for themselves; handing one to someone else is office work.
    let doer_roles = if chosen.id == m.officer.id && roles.kurir {
        Roles {
            operator: true,
            ..roles
        }
    } else {
        roles
    };
    let doer = Doer::Officer {
        id: m.officer.id,
        roles: doer_roles,
    };
    match work::apply(tx, w, &req, Step::Deliver, doer, Some(&chosen.name)).await? {
        Outcome::Refused(why) => out.say(why),
        Outcome::Moved { .. } => {
            tx.start_delivery(
                &w.village.id,
                req.id,
                Some(chosen.id),
                Some(m.officer.id),
                "antar",
                w.now,
            )
            .await?;
            let mut fresh = req.clone();
            fresh.courier_name = Some(chosen.name.clone());
            work::to_resident(
                tx,
                w,
                &req,
                &texts::resident_news(
                    &req.ticket_code,
                    &w.service_title(&req.service_code),
                    texts::ResidentNews::OutForDelivery {
                        courier: &chosen.name,
                    },
                ),
                "delivery_notice",
            )
            .await?;
            if chosen.id != m.officer.id {
                let body = OutboundBody::Buttons {
                    body: crate::conversation::dialogue::truncate(
                        &format!(
                            "🛵 Tugas antar baru:\n\n{}\n\nSetelah diserahkan, tekan *Terkirim* (atau kirim foto bukti dengan keterangan *terkirim {}*).",
                            delivery_line(w, &fresh),
                            req.ticket_code
                        ),
                        1000,
                    ),
                    buttons: vec![Button {
                        id: officer_button("terkirim", &req.ticket_code),
                        title: "Terkirim".into(),
                    }],
                    header: None,
                    footer: None,
                };
                work::to_officer(tx, w, chosen, &body, about_request(&req)).await?;
                out.say(format!(
                    "🛵 *{}* diserahkan ke {} untuk diantar.",
                    req.ticket_code, chosen.name
                ));
            } else {
                out.say(format!(
                    "🛵 *{}* Anda antar sendiri.\n\n{}",
                    req.ticket_code,
                    delivery_line(w, &fresh)
                ));
            }
        }
    }
    Ok(())
}

async fn delivered(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &Acting<'_>,
    roles: Roles,
    code: &TicketCode,
    proof: Option<&MediaRef>,
    out: &mut Answers,
) -> Result<(), StoreError> {
    let Some(req) = find(tx, w, code, out).await? else {
        return Ok(());
    };
    // Only the courier holding it, or the office, may say it was handed over.
    if !roles.can_process() && req.courier_officer_id != Some(m.officer.id) {
        out.say(format!(
            "{} tidak ada di daftar antar Anda.",
            req.ticket_code
        ));
        return Ok(());
    }
    let doer = Doer::Officer {
        id: m.officer.id,
        roles,
    };
    match work::apply(tx, w, &req, Step::Delivered, doer, None).await? {
        Outcome::Refused(why) => out.say(why),
        Outcome::Moved { .. } => {
            let proof_id = match proof {
                Some(media) => Some(
                    tx.insert_attachment(&NewAttachment {
                        village_id: &w.village.id,
                        request_id: Some(req.id),
                        complaint_id: None,
                        inbound_message_id: Some(media.inbound_id),
                        requirement_key: Some("bukti_antar"),
                        media_id: Some(&media.media_id),
                        mime_type: media.mime_type.as_deref(),
                        now: w.now,
                    })
                    .await?,
                ),
                None => None,
            };
            if !tx
                .mark_delivered(&w.village.id, req.id, proof_id, w.now)
                .await?
            {
                out.say(format!(
                    "{} sudah tercatat terkirim{}; menunggu konfirmasi warga.",
                    req.ticket_code,
                    if proof_id.is_some() {
                        " (foto bukti ditambahkan)"
                    } else {
                        ""
                    }
                ));
                return Ok(());
            }
            audit(
                tx,
                w,
                m.officer.id,
                "terkirim",
                Some(req.id),
                None,
                proof_id.map(|_| "dengan foto bukti"),
            )
            .await?;
            let courier = req
                .courier_name
                .clone()
                .unwrap_or_else(|| m.officer.name.clone());
            work::to_resident(
                tx,
                w,
                &req,
                &texts::resident_news(
                    &req.ticket_code,
                    &w.service_title(&req.service_code),
                    texts::ResidentNews::Delivered { courier: &courier },
                ),
                "delivery_notice",
            )
            .await?;
            out.say(format!(
                "✅ *{}* tercatat terkirim{}. Menunggu konfirmasi warga.",
                req.ticket_code,
                if proof_id.is_some() {
                    " dengan foto bukti"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(())
}

async fn relay_to_request(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &Acting<'_>,
    roles: Roles,
    req: &RequestDetail,
    text: &str,
    out: &mut Answers,
) -> Result<(), StoreError> {
    if State::parse(&req.state).is_some_and(State::is_closed) {
        out.say(format!(
            "{} sudah {}. Pesan tidak dikirim.",
            req.ticket_code,
            crate::conversation::texts::state_label(&req.state).to_lowercase()
        ));
        return Ok(());
    }
    let body = OutboundBody::text(texts::relay_to_resident(
        roles.title(),
        &m.officer.name,
        text,
    ));
    work::to_resident(tx, w, req, &body, "officer_reply").await?;
    tx.set_relay(
        &w.village.id,
        req.resident_id,
        m.officer.id,
        Some(req.id),
        None,
        w.after(w.settings.relay_timeout_secs),
        w.now,
    )
    .await?;
    audit(tx, w, m.officer.id, "balas", Some(req.id), None, None).await?;
    out.say(format!(
        "📨 Terkirim ke pemohon *{}*. Balasan warga akan diteruskan ke Anda. Ketik *selesai balas* bila sudah.",
        req.ticket_code
    ));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn reply_complaint(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &Acting<'_>,
    roles: Roles,
    code: &TicketCode,
    text: &str,
    out: &mut Answers,
) -> Result<(), StoreError> {
    if !roles.can_handle_complaints() {
        out.say("Maaf, aduan hanya bisa dijawab oleh Kades atau Sekdes.");
        return Ok(());
    }
    let Some(c) = tx
        .complaint_by_code(&w.village.id, &code.to_string())
        .await?
    else {
        out.say(not_found(code));
        return Ok(());
    };
    if c.state == "selesai" {
        out.say(format!(
            "Aduan {} sudah ditutup. Pesan tidak dikirim.",
            c.code
        ));
        return Ok(());
    }
    let Some(recipient) = c.resident_recipient.as_deref() else {
        out.say("Warga pengadu tidak punya nomor WhatsApp yang tercatat.");
        return Ok(());
    };
    let (kind, json) = work::encode(&OutboundBody::text(texts::complaint_reply_to_resident(
        &c.code,
        roles.title(),
        &m.officer.name,
        text,
    )));
    let about = About {
        resident_id: Some(c.resident_id),
        request_id: None,
        complaint_id: Some(c.id),
    };
    tx.enqueue_about(
        &w.village.id,
        Some(c.resident_id),
        recipient,
        kind,
        "officer_reply",
        &json,
        about,
        w.now,
    )
    .await?;
    tx.update_complaint(
        &w.village.id,
        c.id,
        "ditangani",
        m.officer.id,
        Some(text),
        w.now,
    )
    .await?;
    tx.set_relay(
        &w.village.id,
        c.resident_id,
        m.officer.id,
        None,
        Some(c.id),
        w.after(w.settings.relay_timeout_secs),
        w.now,
    )
    .await?;
    audit(tx, w, m.officer.id, "balas_aduan", None, Some(c.id), None).await?;
    out.say(format!(
        "📨 Tanggapan untuk aduan *{}* terkirim. Balasan warga akan diteruskan ke Anda. Tutup dengan *tutup {} catatan*.",
        c.code, c.code
    ));
    Ok(())
}

/// A quote-reply to a message about a resident: relay the text to that resident.
async fn relay_quote(
    tx: &mut Tx,
    w: &Work<'_>,
    m: &Acting<'_>,
    roles: Roles,
    about: About,
    text: &str,
    out: &mut Answers,
) -> Result<(), StoreError> {
    if let Some(complaint_id) = about.complaint_id {
        if let Some(c) = tx.complaint_by_id(&w.village.id, complaint_id).await? {
            if let Ok(code) = TicketCode::parse(&c.code) {
                return reply_complaint(tx, w, m, roles, &code, text, out).await;
            }
        }
    }
    if !roles.can_process() {
        out.say("Maaf, membalas warga hanya untuk operator, Sekdes dan Kades.");
        return Ok(());
    }
    if let Some(request_id) = about.request_id {
        if let Some(req) = tx.request_by_id(&w.village.id, request_id).await? {
            return relay_to_request(tx, w, m, roles, &req, text, out).await;
        }
    }
    out.say("Pesan yang Anda balas tidak terkait permohonan. Gunakan *balas KLP-… pesan*.");
    Ok(())
}

/// The code of the request or complaint a quoted message was about.
async fn quoted_code(
    tx: &mut Tx,
    w: &Work<'_>,
    about: About,
) -> Result<Option<String>, StoreError> {
    if let Some(id) = about.request_id {
        return Ok(tx
            .request_by_id(&w.village.id, id)
            .await?
            .map(|r| r.ticket_code));
    }
    if let Some(id) = about.complaint_id {
        return Ok(tx.complaint_by_id(&w.village.id, id).await?.map(|c| c.code));
    }
    Ok(None)
}

async fn ended_residents(
    tx: &mut Tx,
    w: &Work<'_>,
    officer_id: i64,
    resident: Option<i64>,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    tx.relayed_residents(&w.village.id, officer_id, resident, w.now)
        .await
}

async fn find(
    tx: &mut Tx,
    w: &Work<'_>,
    code: &TicketCode,
    out: &mut Answers,
) -> Result<Option<RequestDetail>, StoreError> {
    if code.is_complaint() {
        out.say(format!(
            "{code} adalah kode aduan. Untuk aduan gunakan *lihat*, *balas* atau *tutup*."
        ));
        return Ok(None);
    }
    let found = tx.request_by_code(&w.village.id, &code.to_string()).await?;
    if found.is_none() {
        out.say(not_found(code));
    }
    Ok(found)
}

fn not_found(code: &TicketCode) -> String {
    format!("{code} tidak ditemukan di desa ini. Periksa kodenya, atau ketik *antrian*.")
}

async fn audit(
    tx: &mut Tx,
    w: &Work<'_>,
    officer_id: i64,
    action: &str,
    request_id: Option<i64>,
    complaint_id: Option<i64>,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    tx.insert_audit(
        &Audit {
            village_id: &w.village.id,
            actor_kind: "officer",
            actor_id: Some(officer_id),
            action,
            request_id,
            complaint_id,
            detail,
        },
        w.now,
    )
    .await
}

fn about_request(req: &RequestDetail) -> About {
    About {
        resident_id: Some(req.resident_id),
        request_id: Some(req.id),
        complaint_id: None,
    }
}

fn complaint_state(state: &str) -> &'static str {
    match state {
        "baru" => "Baru",
        "ditangani" => "Sedang ditangani",
        "selesai" => "Selesai",
        _ => "Terbuka",
    }
}

fn courier_key(name: &str) -> String {
    let lower = name.to_lowercase();
    lower
        .split_whitespace()
        .filter(|w| !matches!(*w, "pak" | "bu" | "bapak" | "ibu" | "mas" | "mbak" | "kang"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn names(officers: &[&crate::store::OfficerBrief]) -> String {
    if officers.is_empty() {
        "belum ada (tambahkan dengan `kentongan officer add … --roles kurir`)".into()
    } else {
        officers
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn values(req: &RequestDetail) -> serde_json::Map<String, Value> {
    serde_json::from_str::<Value>(&req.data_json)
        .ok()
        .and_then(|v| v.get("values").and_then(Value::as_object).cloned())
        .unwrap_or_default()
}

/// One delivery as the courier needs it: who, where, how to reach them.
pub(crate) fn delivery_line(w: &Work<'_>, req: &RequestDetail) -> String {
    let v = values(req);
    let get = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut line = format!(
        "*{}* · {}\nUntuk: {}",
        req.ticket_code,
        w.service_title(&req.service_code),
        req.subject_name.as_deref().unwrap_or("-")
    );
    let address = get("alamat_antar").or_else(|| get("alamat"));
    match address {
        Some(a) => line.push_str(&format!("\nAlamat: {a}")),
        None => line.push_str("\nAlamat: (belum ada — hubungi warga)"),
    }
    if let Some(rt) = get("rt_rw") {
        line.push_str(&format!(" RT/RW {rt}"));
    }
    if let Some(contact) = &req.resident_recipient {
        if contact.chars().all(|c| c.is_ascii_digit()) {
            line.push_str(&format!(
                "\nKontak: +{contact} ({})",
                req.resident_name.as_deref().unwrap_or("-")
            ));
        }
    }
    if let (Some(lat), Some(lon)) = (req.latitude, req.longitude) {
        line.push_str(&format!(
            "\nLokasi: https://maps.google.com/?q={lat:.6},{lon:.6}"
        ));
    }
    line
}

/// A request in full for `lihat`. Officers who make letters see the NIK whole (the view is in
/// the audit trail); a courier sees it masked.
fn detail_text(w: &Work<'_>, req: &RequestDetail, roles: Roles, attachments: usize) -> String {
    let v = values(req);
    let service = w.catalogue.get(&req.service_code);
    let mut text = format!(
        "📄 *{}* — {}\nStatus: *{}*\nDiajukan: {} ({} lalu)",
        req.ticket_code,
        w.service_title(&req.service_code),
        crate::conversation::texts::state_label(&req.state),
        w.local(req.submitted_at).format("%d/%m %H.%M"),
        texts::age(w.now.unix_seconds() - req.submitted_at.unix_seconds())
    );
    if let Some(due) = req.due_at {
        let overdue = due.unix_seconds() < w.now.unix_seconds()
            && State::parse(&req.state).is_some_and(State::is_office_work);
        text.push_str(&format!(
            "\nTarget: {}{}",
            w.local(due).format("%d/%m %H.%M"),
            if overdue { " ⏰ TERLAMBAT" } else { "" }
        ));
    }
    if let Some(rel) = &req.relation {
        text.push_str(&format!("\nUntuk: {rel} pemohon"));
    }
    text.push('\n');
    let mut keys: Vec<(String, String)> = Vec::new();
    if let Some(s) = service {
        for f in &s.fields {
            if let Some(val) = v.get(&f.key).and_then(Value::as_str) {
                keys.push((f.label.clone(), shown(&f.key, val, roles)));
            }
        }
    }
    for (k, val) in &v {
        let known = service.is_some_and(|s| s.fields.iter().any(|f| &f.key == k));
        if !known {
            if let Some(val) = val.as_str() {
                keys.push((k.replace('_', " "), shown(k, val, roles)));
            }
        }
    }
    for (label, val) in keys {
        text.push_str(&format!("\n{label}: {val}"));
    }
    text.push_str(&format!(
        "\n\nPemohon WA: {}\nLampiran: {attachments}",
        req.resident_name.as_deref().unwrap_or("-")
    ));
    if let Some(a) = &req.assigned_name {
        text.push_str(&format!("\nDipegang: {a}"));
    }
    if let Some(k) = &req.courier_name {
        text.push_str(&format!("\nKurir: {k}"));
    }
    if req.delivery_method == "ambil" {
        text.push_str("\nPengambilan: di kantor desa");
    }
    if let (Some(lat), Some(lon)) = (req.latitude, req.longitude) {
        text.push_str(&format!(
            "\nLokasi: https://maps.google.com/?q={lat:.6},{lon:.6}"
        ));
    }
    if let Some(state) = State::parse(&req.state) {
        let hint = crate::requests::next_hint(state, &req.ticket_code);
        if !hint.is_empty() {
            text.push_str(&format!("\n\n{hint}"));
        }
    }
    crate::conversation::dialogue::truncate(&text, 4000)
}

fn shown(key: &str, value: &str, roles: Roles) -> String {
    let identity = key.starts_with("nik") || key.contains("kk");
    if identity && !roles.can_process() {
        texts::masked_number(value)
    } else {
        value.to_string()
    }
}

async fn queue_text(tx: &mut Tx, w: &Work<'_>, filter: QueueFilter) -> Result<String, StoreError> {
    let (title, states): (&str, &[&str]) = match filter {
        QueueFilter::Open | QueueFilter::Overdue => (
            "Antrian",
            &[
                "diajukan",
                "diperiksa",
                "perlu_dokumen",
                "diproses",
                "menunggu_ttd",
                "siap_antar",
                "diantar",
            ],
        ),
        QueueFilter::New => ("Permohonan baru", &["diajukan"]),
        QueueFilter::Delivery => ("Siap/sedang diantar", &["siap_antar", "diantar"]),
    };
    let rows = tx.queue(&w.village.id, states, 200).await?;
    let now = w.now.unix_seconds();
    let overdue = |r: &crate::store::QueueRow| {
        r.due_at.is_some_and(|d| d.unix_seconds() < now)
            && State::parse(&r.state).is_some_and(State::is_office_work)
    };
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| filter != QueueFilter::Overdue || overdue(r))
        .collect();
    let title = if filter == QueueFilter::Overdue {
        "Terlambat"
    } else {
        title
    };
    if rows.is_empty() {
        return Ok(format!("{title}: kosong. 👍"));
    }
    let mut text = format!("📋 *{title}* ({}), terlama dulu:", rows.len());
    for (i, r) in rows.iter().take(15).enumerate() {
        text.push_str(&format!(
            "\n{}. *{}* {} · {} · {}{}{}",
            i + 1,
            r.ticket_code,
            w.service_title(&r.service_code),
            crate::conversation::texts::state_label(&r.state),
            texts::age(now - r.submitted_at.unix_seconds()),
            r.assigned_name
                .as_deref()
                .map(|a| format!(" · {a}"))
                .unwrap_or_default(),
            if overdue(r) { " ⏰" } else { "" }
        ));
    }
    if rows.len() > 15 {
        text.push_str(&format!("\n… dan {} lainnya.", rows.len() - 15));
    }
    text.push_str("\n\nKetik *lihat KLP-…* untuk rinciannya.");
    Ok(text)
}

/// The command list, for the officer's roles.
pub fn help_text(roles: Roles) -> String {
    let mut text = String::from("📖 *Perintah petugas*\n• antrian · antrian baru · terlambat\n• lihat KLP-0042 · lampiran KLP-0042");
    if roles.can_process() {
        text.push_str("\n• ambil KLP-0042\n• proses KLP-0042\n• kurang KLP-0042 alasan\n• siap KLP-0042\n• antar KLP-0042 nama kurir\n• diambil KLP-0042\n• tolak KLP-0042 alasan\n• balas KLP-0042 pesan · selesai balas");
    }
    if roles.kades || roles.sekdes {
        text.push_str(
            "\n• setuju KLP-0042\n• aduan · balas ADU-… pesan · tutup ADU-… catatan\n• ringkasan",
        );
    }
    if roles.kurir {
        text.push_str("\n• kiriman (daftar antar)\n• terkirim KLP-0042 (boleh dengan foto)");
    }
    text.push_str("\n• libur · masuk\n• pribadi (urus surat untuk diri sendiri)");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_follows_roles() {
        let kurir = help_text(Roles::parse("kurir"));
        assert!(kurir.contains("terkirim"));
        assert!(!kurir.contains("tolak"));
        let kades = help_text(Roles::parse("kades"));
        assert!(kades.contains("setuju"));
        assert!(kades.contains("aduan"));
        assert!(
            help_text(Roles::parse("operator,kades,kurir"))
                .chars()
                .count()
                < 1000
        );
    }

    #[test]
    fn couriers_are_matched_without_honorifics() {
        assert_eq!(courier_key("Pak Budi Santoso"), "budi santoso");
        assert_eq!(courier_key("  Mbak  SITI "), "siti");
    }

    #[test]
    fn identity_numbers_are_masked_for_couriers_only() {
        let nik = "3510064505900001";
        assert_eq!(shown("nik", nik, Roles::parse("operator")), nik);
        assert_ne!(shown("nik", nik, Roles::parse("kurir")), nik);
        assert_ne!(shown("no_kk_lama", nik, Roles::parse("kurir")), nik);
        assert_eq!(shown("keperluan", "kerja", Roles::parse("kurir")), "kerja");
    }
}
