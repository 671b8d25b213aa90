//! Runs the dialogue for a newly stored inbound message, inside the webhook's transaction: load
//! and lock the resident's conversation, step the state machine, carry out its actions (file a
//! request, cancel one, file a complaint, report a status), queue the replies in the outbox, and
//! save the new state. Either all of it commits with the message, or none of it does.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::dialogue::{
    self, Action, Conversation, Ctx, DocAnswer, Event, Location, MediaRef, RequestBrief, SavedData,
    Submission,
};
use super::recognise::{Intent, Recogniser};
use super::texts;
use crate::catalogue::{Catalogue, CatalogueError};
use crate::config::{ConversationSettings, OfficerSettings, VillageConfig};
use crate::domain::ticket::TicketCode;
use crate::officers::desk::{self, OfficerMessage};
use crate::officers::resident::{self, ResidentMessage};
use crate::officers::work::Work;
use crate::outbound::OutboundBody;
use crate::store::{
    ConversationRow, NewAttachment, NewRequest, PendingSave, RequestRow, StoreError, Timestamp, Tx,
};
use crate::webhook::payload::Message;

/// The dialogue's configuration, built once at start-up and shared.
pub struct ConversationService {
    catalogue: Catalogue,
    recogniser: Recogniser,
    villages: HashMap<String, VillageConfig>,
    settings: ConversationSettings,
    officers: OfficerSettings,
}

/// A new inbound message to answer.
pub struct Inbound<'a> {
    pub village_id: &'a str,
    pub resident_id: i64,
    pub inbound_id: i64,
    /// Where replies go: the wa_id, else the business-scoped id.
    pub recipient: &'a str,
    pub message: &'a Message,
    /// The resident was first stored by this transaction (their first message): they have no
    /// conversation yet, so it is created without looking for it first.
    pub new_resident: bool,
}

impl ConversationService {
    pub fn load(
        settings: &ConversationSettings,
        villages: &[VillageConfig],
    ) -> Result<Arc<Self>, CatalogueError> {
        let catalogue = Catalogue::load(&settings.services_file)?;
        Ok(Arc::new(Self::new(catalogue, settings.clone(), villages)))
    }

    /// As [`Self::load`], with the timing of officers' work from the configuration.
    pub fn load_with_officers(
        settings: &ConversationSettings,
        officers: &OfficerSettings,
        villages: &[VillageConfig],
    ) -> Result<Arc<Self>, CatalogueError> {
        let catalogue = Catalogue::load(&settings.services_file)?;
        let mut service = Self::new(catalogue, settings.clone(), villages);
        service.officers = officers.clone();
        Ok(Arc::new(service))
    }

    pub fn new(
        catalogue: Catalogue,
        settings: ConversationSettings,
        villages: &[VillageConfig],
    ) -> Self {
        let recogniser = Recogniser::new(&catalogue);
        Self {
            catalogue,
            recogniser,
            villages: villages.iter().map(|v| (v.id.clone(), v.clone())).collect(),
            settings,
            officers: OfficerSettings::default(),
        }
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub fn recogniser(&self) -> &Recogniser {
        &self.recogniser
    }

    /// Answer one message. The caller holds the transaction that stored it.
    pub async fn handle(
        &self,
        tx: &mut Tx,
        inbound: &Inbound<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.handle_in(tx, inbound, now, None).await
    }

    /// Get ready to answer several messages stored in this transaction (a batch of webhooks):
    /// lock all their conversations and read the requests of their residents in two or three
    /// statements instead of two per message. `messages` are `(village, resident, new
    /// resident)` of each message, in the order they will be answered. On SQLite, which has no
    /// array parameters, nothing is read ahead and each message reads its own.
    pub async fn prepare_batch(
        &self,
        tx: &mut Tx,
        messages: &[(&str, i64, bool)],
        now: Timestamp,
    ) -> Result<Batch, StoreError> {
        let mut batch = Batch::default();
        if messages.is_empty() {
            return Ok(batch);
        }
        // Each resident once, and how many messages each has here.
        let mut count: HashMap<i64, usize> = HashMap::new();
        let mut residents: Vec<(&str, i64)> = Vec::new();
        let mut new_residents: Vec<(&str, i64)> = Vec::new();
        for (village, resident, new) in messages {
            let seen = count.entry(*resident).or_default();
            *seen += 1;
            if *seen == 1 {
                residents.push((village, *resident));
                if *new {
                    new_residents.push((village, *resident));
                }
            }
        }
        // All conversations of the batch are locked here, in one order; a resident with
        // several messages in the batch reads theirs again before each (it changes in between).
        let mut rows = tx
            .lock_conversations(&residents, &new_residents, now)
            .await?;
        rows.retain(|resident, _| count.get(resident) == Some(&1));
        // Requests submitted since the earliest start of a local day of the batch's villages;
        // each message narrows that to its own village's day.
        let since = messages
            .iter()
            .filter_map(|(village, _, _)| self.villages.get(*village))
            .map(|v| start_of_local_day(&local_time(now, v)))
            .min()
            .unwrap_or(now);
        let known: Vec<(&str, i64)> = residents
            .iter()
            .copied()
            .filter(|(_, r)| rows.contains_key(r))
            .collect();
        let requests = if known.is_empty() {
            HashMap::new()
        } else {
            tx.residents_requests(&known, since).await?
        };
        batch.rows = rows;
        batch.requests = requests;
        Ok(batch)
    }

    /// Write what the batch's messages left to write at the end: their replies and new states.
    pub async fn finish_batch(&self, tx: &mut Tx, batch: &mut Batch) -> Result<(), StoreError> {
        batch.flush(tx).await
    }

    /// [`Self::handle`], inside a batch prepared by [`Self::prepare_batch`]: a message whose
    /// conversation was read ahead uses it, and its replies and new state are written with the
    /// batch's at [`Self::finish_batch`].
    pub async fn handle_in(
        &self,
        tx: &mut Tx,
        inbound: &Inbound<'_>,
        now: Timestamp,
        mut batch: Option<&mut Batch>,
    ) -> Result<(), StoreError> {
        let Some(village) = self.villages.get(inbound.village_id) else {
            return Ok(());
        };
        let event = event_of(inbound.message, inbound.inbound_id);
        let ahead = batch
            .as_deref_mut()
            .and_then(|b| b.rows.remove(&inbound.resident_id));
        let deferred = ahead.as_ref().is_some_and(|row| row.officer.is_none());
        let row = match ahead {
            Some(row) => row,
            None => {
                tx.lock_conversation(
                    inbound.village_id,
                    inbound.resident_id,
                    now,
                    inbound.new_resident,
                )
                .await?
            }
        };
        if row.officer.is_some() {
            if let Some(b) = batch.as_deref_mut() {
                // An officer's command can change other residents' conversations and requests
                // (relays, states): write what earlier messages left pending, and let later
                // messages read their own rows again.
                b.flush(tx).await?;
                b.rows.clear();
                b.requests.clear();
            }
        }
        let work = Work {
            village,
            catalogue: &self.catalogue,
            settings: &self.officers,
            now,
        };
        // An officer's messages are commands, unless they asked to be served as a resident.
        if let Some(officer) = &row.officer {
            let personal = row.personal_until.is_some_and(|t| t > now);
            if !personal {
                return desk::handle(
                    tx,
                    &work,
                    &OfficerMessage {
                        officer,
                        resident_id: inbound.resident_id,
                        recipient: inbound.recipient,
                        inbound_id: inbound.inbound_id,
                        message: inbound.message,
                    },
                )
                .await;
            }
            if matches!(&event, Event::Text(t) if is_back_to_officer(t)) {
                tx.set_personal(inbound.village_id, inbound.resident_id, None)
                    .await?;
                let mut replies = Replies::default();
                replies.push(&OutboundBody::text(
                    "Kembali ke mode petugas. Ketik *bantuan* untuk daftar perintah.",
                ));
                return tx
                    .enqueue_many(
                        inbound.village_id,
                        Some(inbound.resident_id),
                        inbound.recipient,
                        &replies.0,
                        now,
                    )
                    .await;
            }
            tx.set_personal(
                inbound.village_id,
                inbound.resident_id,
                Some(work.after(self.officers.relay_timeout_secs)),
            )
            .await?;
        }
        // Read once: whether the text asks the bot for something (so a pending question or an
        // officer relay gives way), and whether it is a complaint, status check or menu call
        // that a relay must never swallow.
        let intents = match &event {
            Event::Text(t) => self.recogniser.recognise(t).intents,
            _ => Vec::new(),
        };
        let looks_like_intent = intents.iter().any(|i| *i != Intent::None);
        let wants_bot = intents.iter().any(|i| {
            matches!(
                i,
                Intent::Aduan | Intent::Status | Intent::Menu | Intent::Batal
            )
        });
        if resident::intercept(
            tx,
            &work,
            &ResidentMessage {
                resident_id: inbound.resident_id,
                recipient: inbound.recipient,
                wamid: &inbound.message.id,
                event: &event,
                row: &row,
                looks_like_intent,
                wants_bot,
            },
        )
        .await?
        {
            return Ok(());
        }
        let first_contact = row.state_json.is_none();
        let conversation: Conversation = match row.state_json.as_deref().map(serde_json::from_str) {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                // A state from an older version that no longer parses: start over rather than
                // leave the resident stuck.
                tracing::warn!(error = %e, "stored conversation state unreadable; starting afresh");
                Conversation::default()
            }
            None => Conversation::default(),
        };
        let local_now = local_time(now, village);
        let start_of_day = start_of_local_day(&local_now);
        let read_ahead = batch
            .as_deref_mut()
            .filter(|_| deferred)
            .and_then(|b| b.requests.remove(&inbound.resident_id));
        let requests = match read_ahead {
            // The same rows resident_requests reads: open, or submitted today, newest first.
            Some(all) => all
                .into_iter()
                .filter(|r| {
                    !crate::store::CLOSED_STATES.contains(&r.state.as_str())
                        || r.submitted_at >= start_of_day
                })
                .take(50)
                .collect(),
            None => {
                tx.resident_requests(inbound.village_id, inbound.resident_id, start_of_day)
                    .await?
            }
        };
        let submitted_today = requests
            .iter()
            .filter(|r| r.submitted_at >= start_of_day)
            .count() as u32;
        let open_requests = requests
            .iter()
            .filter(|r| !crate::store::CLOSED_STATES.contains(&r.state.as_str()))
            .map(|r| RequestBrief {
                ticket: r.ticket_code.clone(),
                service: r.service_code.clone(),
                state: r.state.clone(),
            })
            .collect();
        let saved = match (row.saved_nik, row.saved_name) {
            (Some(nik), Some(nama)) => Some(SavedData { nik, nama }),
            _ => None,
        };
        let ctx = Ctx {
            village_name: &village.name,
            kode_wilayah: &village.kode_desa,
            ticket_prefix: &village.ticket_prefix,
            catalogue: &self.catalogue,
            recogniser: &self.recogniser,
            now: local_now,
            first_contact,
            saved,
            open_requests,
            submitted_today,
            daily_limit: self.settings.daily_request_limit,
            idle_timeout_secs: self.settings.idle_timeout_secs,
            office: village.office_hours(),
        };
        let (next, actions) = dialogue::step(conversation, event, &ctx);
        let mut replies = Replies::default();
        if !actions.is_empty() {
            // Blue ticks and "typing…" first; the per-recipient order of the outbox keeps it
            // ahead of the reply.
            let receipt = serde_json::json!({ "message_id": inbound.message.id }).to_string();
            replies.0.push(("mark_read", "read", receipt));
        }
        for action in actions {
            self.perform(tx, inbound, village, &ctx, action, &mut replies, now)
                .await?;
        }
        let state = serde_json::to_string(&next)
            .map_err(|e| StoreError::Setup(format!("conversation state not serialisable: {e}")))?;
        if let Some(b) = batch.filter(|_| deferred) {
            b.pending.push(PendingSave {
                village_id: inbound.village_id.to_string(),
                resident_id: inbound.resident_id,
                recipient: inbound.recipient.to_string(),
                replies: replies.0,
                state_json: state,
                now,
            });
            return Ok(());
        }
        // The replies and the new state together (one statement on PostgreSQL).
        tx.save_conversation_with_replies(
            inbound.village_id,
            inbound.resident_id,
            inbound.recipient,
            &replies.0,
            &state,
            now,
        )
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn perform(
        &self,
        tx: &mut Tx,
        inbound: &Inbound<'_>,
        village: &VillageConfig,
        ctx: &Ctx<'_>,
        action: Action,
        replies: &mut Replies,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match action {
            Action::Reply(body) => {
                replies.push(&body);
                Ok(())
            }
            Action::Submit(submission) => {
                self.submit(tx, inbound, village, ctx, submission, replies, now)
                    .await
            }
            Action::ShowStatus { ticket } => {
                let text = self
                    .status_text(tx, inbound, village, ticket.as_deref())
                    .await?;
                {
                    replies.push(&OutboundBody::text(text));
                    Ok(())
                }
            }
            Action::CancelRequest { ticket } => {
                let found = tx
                    .resident_request_by_ticket(inbound.village_id, inbound.resident_id, &ticket)
                    .await?;
                let text = match found {
                    None => texts::ticket_not_found(&ticket),
                    Some(r) => {
                        let moved = tx
                            .transition_request(
                                inbound.village_id,
                                r.id,
                                dialogue::CANCELLABLE_STATES,
                                "dibatalkan",
                                "resident",
                                Some(inbound.resident_id),
                                Some("dibatalkan oleh pemohon lewat WhatsApp"),
                                now,
                            )
                            .await?;
                        match moved {
                            Some(_) => {
                                tracing::info!(ticket = %ticket, "request cancelled by the resident");
                                texts::request_cancelled(&ticket)
                            }
                            // An officer picked it up between the question and the answer.
                            None => texts::cannot_cancel(&ticket, &r.state),
                        }
                    }
                };
                {
                    replies.push(&OutboundBody::text(text));
                    Ok(())
                }
            }
            Action::FileComplaint { text, media } => {
                let seq = tx.next_counter(inbound.village_id, "complaint").await?;
                let code = TicketCode::complaint(&village.ticket_prefix, seq as u32)
                    .map(|c| c.to_string())
                    .unwrap_or_else(|_| format!("ADU-{}-{seq:04}", village.ticket_prefix));
                let id = tx
                    .insert_complaint(
                        inbound.village_id,
                        seq,
                        &code,
                        inbound.resident_id,
                        &text,
                        now,
                    )
                    .await?;
                for m in &media {
                    attach(tx, inbound.village_id, None, Some(id), None, m, now).await?;
                }
                tracing::info!(code = %code, "complaint filed");
                let work = Work {
                    village,
                    catalogue: &self.catalogue,
                    settings: &self.officers,
                    now,
                };
                crate::officers::notify::new_complaint(tx, &work, id, media.len()).await?;
                {
                    replies.push(&OutboundBody::text(texts::complaint_filed(&code)));
                    Ok(())
                }
            }
            Action::AttachToComplaint(media) => {
                if let Some(id) = tx
                    .latest_complaint(inbound.village_id, inbound.resident_id)
                    .await?
                {
                    attach(tx, inbound.village_id, None, Some(id), None, &media, now).await?;
                }
                Ok(())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &self,
        tx: &mut Tx,
        inbound: &Inbound<'_>,
        village: &VillageConfig,
        ctx: &Ctx<'_>,
        s: Submission,
        replies: &mut Replies,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let Some(service) = self.catalogue.get(&s.service) else {
            return Ok(());
        };
        let seq = tx.next_counter(inbound.village_id, "ticket").await?;
        let ticket = TicketCode::new(&village.ticket_prefix, seq as u32)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| format!("{}-{seq:04}", village.ticket_prefix));
        let data = serde_json::json!({ "values": s.values, "documents": s.documents });
        let due = Timestamp::from(
            now.as_datetime() + chrono::Duration::hours(i64::from(service.sla_hours)),
        );
        let subject = s.values.get("nama").map(String::as_str);
        let id = tx
            .insert_request(&NewRequest {
                village_id: inbound.village_id,
                ticket_seq: seq,
                ticket_code: &ticket,
                resident_id: inbound.resident_id,
                service_code: &service.code,
                subject_name: subject,
                relation: s.relation.as_deref(),
                data_json: &data.to_string(),
                latitude: s.location.as_ref().map(|l| l.latitude),
                longitude: s.location.as_ref().map(|l| l.longitude),
                due_at: due,
                now,
            })
            .await?;
        for (key, answer) in &s.documents {
            if let DocAnswer::Sent { media } = answer {
                attach(
                    tx,
                    inbound.village_id,
                    Some(id),
                    None,
                    Some(key),
                    media,
                    now,
                )
                .await?;
            }
        }
        // The resident's own identity is offered again next time; someone else's is not kept.
        if s.relation.is_none() {
            if let (Some(nik), Some(nama)) = (s.values.get("nik"), s.values.get("nama")) {
                tx.save_resident_identity(inbound.resident_id, nik, nama)
                    .await?;
            }
        }
        let expected = dialogue::expected_completion(service.sla_hours, &ctx.now, &ctx.office);
        let office_note = (!ctx.office.is_open(&ctx.now))
            .then(|| texts::office_closed(&ctx.office.next_opening(&ctx.now)));
        tracing::info!(ticket = %ticket, service = %service.code, "request submitted");
        let work = Work {
            village,
            catalogue: &self.catalogue,
            settings: &self.officers,
            now,
        };
        crate::officers::notify::new_request(tx, &work, id).await?;
        let text = texts::submitted(&ticket, service, &expected, office_note.as_deref());
        {
            replies.push(&OutboundBody::text(text));
            Ok(())
        }
    }

    async fn status_text(
        &self,
        tx: &mut Tx,
        inbound: &Inbound<'_>,
        village: &VillageConfig,
        ticket: Option<&str>,
    ) -> Result<String, StoreError> {
        let title = |code: &str| {
            self.catalogue
                .all()
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.title.clone())
                .unwrap_or_else(|| code.to_string())
        };
        if let Some(ticket) = ticket {
            let Some(r) = tx
                .resident_request_by_ticket(inbound.village_id, inbound.resident_id, ticket)
                .await?
            else {
                return Ok(texts::ticket_not_found(ticket));
            };
            let history = tx.request_history(r.id).await?;
            let mut text = format!(
                "📄 *{}* — {}\nStatus: *{}*\nRiwayat:",
                r.ticket_code,
                title(&r.service_code),
                texts::state_label(&r.state)
            );
            for h in history {
                let at = h
                    .created_at
                    .as_datetime()
                    .with_timezone(&village.time_zone());
                text.push_str(&format!(
                    "\n• {} — {}",
                    at.format("%d/%m %H.%M"),
                    texts::state_label(&h.to_state)
                ));
                if let Some(reason) = h
                    .reason
                    .filter(|_| h.to_state == "ditolak" || h.to_state == "perlu_dokumen")
                {
                    text.push_str(&format!(" ({reason})"));
                }
            }
            return Ok(text);
        }
        let start = Timestamp::from(Utc.timestamp_opt(0, 0).single().unwrap_or_default());
        let all = tx
            .resident_requests(inbound.village_id, inbound.resident_id, start)
            .await?;
        if all.is_empty() {
            return Ok(texts::no_requests().to_string());
        }
        let mut text = String::from("Permohonan Bapak/Ibu:");
        for r in all.iter().take(10) {
            text.push_str(&format!(
                "\n• *{}* {} — {}",
                r.ticket_code,
                title(&r.service_code),
                texts::state_label(&r.state)
            ));
        }
        if let Some(first) = all.first() {
            text.push_str(&format!(
                "\n\nKetik *cek {}* untuk rinciannya.",
                first.ticket_code
            ));
        }
        Ok(text)
    }
}

/// What [`ConversationService::prepare_batch`] read ahead for a batch of messages, and what
/// their answers left to write.
#[derive(Debug, Default)]
pub struct Batch {
    /// Locked conversations of residents with one message in the batch, until it is answered.
    rows: HashMap<i64, ConversationRow>,
    /// Their requests (see [`Tx::residents_requests`]).
    requests: HashMap<i64, Vec<RequestRow>>,
    /// Replies and new states to write at the end.
    pending: Vec<PendingSave>,
}

impl Batch {
    async fn flush(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        tx.save_conversations_with_replies(&pending).await
    }
}

/// The messages one inbound message produces, queued together at the end of its handling.
#[derive(Default)]
struct Replies(Vec<(&'static str, &'static str, String)>);

impl Replies {
    fn push(&mut self, body: &OutboundBody) {
        let body = match body.validate() {
            Ok(()) => body.clone(),
            Err(e) => {
                // A message over WhatsApp's limits is a bug in our texts; say something
                // rather than nothing, and log it loudly.
                tracing::error!(error = %e, kind = body.kind(), "reply breaks a WhatsApp limit; sending a plain fallback");
                OutboundBody::text(dialogue::truncate(
                    &body.preview(),
                    crate::outbound::message::MAX_TEXT_BODY,
                ))
            }
        };
        match serde_json::to_string(&body) {
            Ok(json) => self.0.push((body.kind(), "reply", json)),
            Err(e) => tracing::error!(error = %e, "reply not serialisable; dropped"),
        }
    }
}

async fn attach(
    tx: &mut Tx,
    village_id: &str,
    request_id: Option<i64>,
    complaint_id: Option<i64>,
    requirement_key: Option<&str>,
    media: &MediaRef,
    now: Timestamp,
) -> Result<i64, StoreError> {
    tx.insert_attachment(&NewAttachment {
        village_id,
        request_id,
        complaint_id,
        inbound_message_id: Some(media.inbound_id),
        requirement_key,
        media_id: Some(&media.media_id),
        mime_type: media.mime_type.as_deref(),
        now,
    })
    .await
}

/// The dialogue event a Cloud API message amounts to.
pub fn event_of(m: &Message, inbound_id: i64) -> Event {
    let s = m.summary();
    match s.kind {
        "text" => match s.body {
            Some(body) if !body.trim().is_empty() => Event::Text(body.replace('\0', "")),
            _ => Event::Ignored,
        },
        "interactive" | "button" => match (s.reply_id, s.body) {
            (Some(id), title) => Event::Reply {
                id: id.to_string(),
                title: title.unwrap_or_default().to_string(),
            },
            (None, Some(body)) => Event::Text(body.to_string()),
            (None, None) => Event::Ignored,
        },
        "image" | "document" => match s
            .media
            .and_then(|media| media.id.clone().map(|id| (media, id)))
        {
            Some((media, id)) => Event::Media {
                media: MediaRef {
                    kind: s.kind.to_string(),
                    media_id: id,
                    mime_type: media.mime_type.clone(),
                    filename: media.filename.clone(),
                    inbound_id,
                },
                caption: media.caption.clone(),
            },
            None => Event::Unsupported,
        },
        "audio" => Event::Voice,
        "sticker" => Event::Sticker,
        "location" => match (s.latitude, s.longitude) {
            (Some(latitude), Some(longitude)) => Event::Location(Location {
                latitude,
                longitude,
                label: m
                    .location
                    .as_ref()
                    .and_then(|l| l.address.clone().or_else(|| l.name.clone())),
            }),
            _ => Event::Unsupported,
        },
        "reaction" | "system" | "edit" | "revoke" | "request_welcome" => Event::Ignored,
        _ => Event::Unsupported,
    }
}

/// An officer in resident mode going back to officer mode.
fn is_back_to_officer(text: &str) -> bool {
    let t = text
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    matches!(t.as_str(), "petugas" | "mode petugas" | "kembali petugas")
}

fn local_time(now: Timestamp, village: &VillageConfig) -> DateTime<FixedOffset> {
    now.as_datetime().with_timezone(&village.time_zone())
}

fn start_of_local_day(local: &DateTime<FixedOffset>) -> Timestamp {
    let midnight = local
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|n| local.timezone().from_local_datetime(&n).single())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| local.with_timezone(&Utc));
    Timestamp::from(midnight)
}
