//! From a verified payload to committed rows: every entry, change, message and status, in one
//! transaction, so that answering 200 means all of it is durable.

use std::collections::HashMap;

use serde_json::value::RawValue;
use tracing::Instrument;

use super::payload::{
    Contact, Message, MessageSummary, MessagesValue, Payload, PayloadError, RoutingValue, Status,
};
use crate::conversation::handler::Inbound;
use crate::conversation::ConversationService;
use crate::domain::mask::mask_digits;
use crate::store::{
    NewInbound, NewStatusEvent, NewWebhookEvent, ResidentUpsert, SenderKey, Store, StoreError,
    StoredInbound, Timestamp, Tx,
};

/// Which village owns which WhatsApp business number (`phone_number_id`).
#[derive(Debug, Clone, Default)]
pub struct Routing {
    by_number: HashMap<String, String>,
}

impl Routing {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            by_number: pairs.into_iter().collect(),
        }
    }

    pub fn village_for(&self, phone_number_id: &str) -> Option<&str> {
        self.by_number.get(phone_number_id).map(String::as_str)
    }
}

/// What one payload amounted to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    /// Messages stored for the first time; only these may be acted upon.
    pub new_messages: Vec<NewMessage>,
    /// Messages already stored by an earlier delivery of the same wamid.
    pub duplicates: usize,
    pub new_statuses: usize,
    pub duplicate_statuses: usize,
    /// Statuses that moved an outbound message forward.
    pub applied_statuses: usize,
    /// Changes of other fields, stored raw.
    pub other_events: usize,
    /// Changes for a number no configured village owns, stored raw.
    pub unrouted: usize,
    /// Messages that could not be stored and were kept as dead letters instead.
    pub dead_lettered: usize,
    /// Every wamid the payload mentioned (messages and statuses), for the request span.
    pub wamids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub id: i64,
    pub village_id: String,
    pub wamid: String,
    pub resident_id: Option<i64>,
}

/// A payload parsed down to what will be written; building it touches no database, so a
/// payload that cannot be parsed is known before the transaction starts.
pub(crate) struct Plan<'a> {
    messages: Vec<PlannedMessage<'a>>,
    statuses: Vec<PlannedStatus<'a>>,
    events: Vec<PlannedEvent<'a>>,
}

struct PlannedMessage<'a> {
    village_id: &'a str,
    message: Message,
    contact: Option<Contact>,
    raw: &'a RawValue,
}

type LockOrder<'m> = (&'m str, &'m Option<String>, &'m Option<String>, Option<i64>);

impl PlannedMessage<'_> {
    /// Residents in a fixed order, and each resident's messages in the order they were written.
    fn lock_order(&self) -> LockOrder<'_> {
        (
            self.village_id,
            &self.message.from,
            &self.message.from_user_id,
            self.message.timestamp,
        )
    }
}

struct PlannedStatus<'a> {
    village_id: &'a str,
    status: Status,
    raw: &'a RawValue,
}

struct PlannedEvent<'a> {
    village_id: Option<&'a str>,
    reason: &'static str,
    field: &'a str,
    phone_number_id: Option<String>,
    raw: &'a RawValue,
}

fn plan<'a>(payload: &'a Payload<'a>, routing: &'a Routing) -> Result<Plan<'a>, PayloadError> {
    let mut plan = Plan {
        messages: Vec::new(),
        statuses: Vec::new(),
        events: Vec::new(),
    };
    for (entry_index, entry) in payload.entry.iter().enumerate() {
        for (index, change) in entry.changes.iter().enumerate() {
            let fail = |source| PayloadError::Change {
                entry: entry_index,
                index,
                field: change.field.clone(),
                source,
            };
            let field = change.field.as_str();
            if field != "messages" {
                // Other fields (account_update, message_template_status_update, user_preferences,
                // smb_message_echoes, …) are acknowledged and kept raw for an operator to read.
                let routing_value: RoutingValue =
                    serde_json::from_str(change.value.get()).unwrap_or_default();
                let number = routing_value.metadata.and_then(|m| m.phone_number_id);
                plan.events.push(PlannedEvent {
                    village_id: number.as_deref().and_then(|n| routing.village_for(n)),
                    reason: "other_field",
                    field,
                    phone_number_id: number,
                    raw: change.value,
                });
                continue;
            }
            let value: MessagesValue<'a> =
                serde_json::from_str(change.value.get()).map_err(fail)?;
            let number = value
                .metadata
                .as_ref()
                .and_then(|m| m.phone_number_id.clone());
            let Some(village_id) = number.as_deref().and_then(|n| routing.village_for(n)) else {
                plan.events.push(PlannedEvent {
                    village_id: None,
                    reason: "unrouted",
                    field,
                    phone_number_id: number,
                    raw: change.value,
                });
                continue;
            };
            for err in &value.errors {
                tracing::warn!(
                    code = err.code,
                    title = err.title.as_deref().unwrap_or(""),
                    "webhook change carries an error from Meta"
                );
            }
            for raw in &value.messages {
                let message: Message = serde_json::from_str(raw.get()).map_err(fail)?;
                let contact = find_contact(&value.contacts, &message);
                plan.messages.push(PlannedMessage {
                    village_id,
                    message,
                    contact,
                    raw,
                });
            }
            for raw in &value.statuses {
                let status: Status = serde_json::from_str(raw.get()).map_err(fail)?;
                plan.statuses.push(PlannedStatus {
                    village_id,
                    status,
                    raw,
                });
            }
        }
    }
    Ok(plan)
}

/// The contact entry describing a message's sender: matched on wa_id or business-scoped id, or
/// the only contact of the change.
fn find_contact(contacts: &[Contact], message: &Message) -> Option<Contact> {
    contacts
        .iter()
        .find(|c| {
            (c.wa_id.is_some() && c.wa_id == message.from)
                || (c.user_id.is_some() && c.user_id == message.from_user_id)
        })
        .or(match contacts {
            [only] => Some(only),
            _ => None,
        })
        .cloned()
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parse `body` and commit everything it carries. A [`IngestError::Payload`] means nothing was
/// written (the caller dead-letters the body); a [`IngestError::Store`] means nothing was
/// committed (the caller answers 5xx so that Meta retries).
pub async fn ingest(
    store: &Store,
    routing: &Routing,
    conversation: Option<&ConversationService>,
    body: &[u8],
    received_at: Timestamp,
) -> Result<IngestReport, IngestError> {
    let text = std::str::from_utf8(body).map_err(PayloadError::from)?;
    let payload = Payload::parse(text)?;
    let plan = plan_payload(&payload, routing)?;
    record_wamids(&tracing::Span::current(), &plan);
    ingest_plan(store, &plan, conversation, received_at).await
}

/// A payload read and planned, ready to be written (alone or in a batch with others).
pub(crate) fn plan_payload<'a>(
    payload: &'a Payload<'a>,
    routing: &'a Routing,
) -> Result<Plan<'a>, PayloadError> {
    let mut plan = plan(payload, routing)?;
    // Per resident in the order they wrote (Meta does not guarantee order within a payload),
    // and residents always in the same order so that concurrent payloads lock conversations
    // without deadlocking.
    plan.messages
        .sort_by(|a, b| a.lock_order().cmp(&b.lock_order()));
    Ok(plan)
}

/// Put the wamids of a payload on its request span, so that everything logged while the payload
/// is stored and answered can be traced to its messages.
pub(crate) fn record_wamids(span: &tracing::Span, plan: &Plan<'_>) {
    let wamids: Vec<&str> = plan.wamids().collect();
    span.record("wamids", wamids.join(",").as_str());
}

/// Write one planned payload in its own transaction.
pub(crate) async fn ingest_plan(
    store: &Store,
    plan: &Plan<'_>,
    conversation: Option<&ConversationService>,
    received_at: Timestamp,
) -> Result<IngestReport, IngestError> {
    match write(store, plan, conversation, received_at, false).await {
        // A permanent error (not the database being away) on one item must not block the
        // others for the seven days Meta retries: write the payload again with each item
        // isolated, dead-lettering only the one that fails.
        Err(e) if !e.is_unavailable() => {
            tracing::error!(error = %e, "a webhook item could not be stored; storing the payload item by item");
            Ok(write(store, plan, conversation, received_at, true).await?)
        }
        other => Ok(other?),
    }
}

/// One payload of a batch written in a shared transaction (see [`write_batch`]).
pub(crate) struct BatchItem<'p, 'a> {
    pub plan: &'p Plan<'a>,
    pub received_at: Timestamp,
    /// The payload's request span: what is logged for its items is logged inside it.
    pub span: &'p tracing::Span,
}

/// Write several payloads in one transaction (group commit): one `BEGIN` and one `COMMIT`, with
/// its flush to disk, for all of them. Messages are taken in sender order across all payloads,
/// as [`plan_payload`] orders them within one, and conversations are locked in resident order,
/// which keeps most concurrent batches from waiting on each other in a circle; the rest (a
/// sender with two messages in one batch and one in another, ticket and complaint counters
/// taken in different orders, an officer's command) can deadlock, which PostgreSQL breaks
/// after `deadlock_timeout`. On any error nothing is committed and the caller writes the
/// payloads again one by one, so that one bad item or a lost deadlock cannot fail its
/// neighbours.
pub(crate) async fn write_batch(
    store: &Store,
    items: &[BatchItem<'_, '_>],
    conversation: Option<&ConversationService>,
) -> Result<Vec<IngestReport>, StoreError> {
    let mut reports: Vec<IngestReport> = items
        .iter()
        .map(|item| IngestReport {
            wamids: wamids_of(item.plan),
            ..IngestReport::default()
        })
        .collect();
    let mut messages: Vec<(usize, &PlannedMessage<'_>)> = items
        .iter()
        .enumerate()
        .flat_map(|(i, item)| item.plan.messages.iter().map(move |m| (i, m)))
        .collect();
    messages.sort_by(|a, b| a.1.lock_order().cmp(&b.1.lock_order()));
    let mut statuses: Vec<(usize, &PlannedStatus<'_>)> = items
        .iter()
        .enumerate()
        .flat_map(|(i, item)| item.plan.statuses.iter().map(move |s| (i, s)))
        .collect();
    statuses.sort_by(|a, b| a.1.status.id.cmp(&b.1.status.id));

    let mut tx = store.begin().await?;
    // Every message stored first, then all answered: their conversations are locked and read
    // together, and their replies and new states written together at the end.
    let answered = conversation.is_some();
    let parts: Vec<Parts<'_>> = messages
        .iter()
        .map(|(i, m)| Parts::of(m, items[*i].received_at))
        .collect();
    // Known residents' messages in one statement (PostgreSQL); what it did not store (new
    // residents, senders with two keys or with two messages here, SQLite) one by one.
    let mut stored: Vec<Option<StoredInbound>> = {
        let rows: Vec<_> = parts
            .iter()
            .zip(&messages)
            .map(|(p, (i, m))| {
                (
                    p.resident(),
                    p.inbound(&m.message.id, items[*i].received_at, answered),
                )
            })
            .collect();
        let together: Vec<(ResidentUpsert<'_>, NewInbound<'_>)> = rows
            .iter()
            .filter_map(|(r, n)| r.clone().map(|r| (r, n.clone())))
            .collect();
        let mut found = tx.store_inbound_many(&together).await?.into_iter();
        rows.iter()
            .map(|(r, _)| r.as_ref().and_then(|_| found.next().flatten()))
            .collect()
    };
    let mut answers = Vec::with_capacity(messages.len());
    for (((i, m), parts), stored) in messages.iter().zip(parts).zip(stored.iter_mut()) {
        let item = &items[*i];
        let stored = match stored.take() {
            Some(s) => s,
            None => {
                tx.store_inbound(
                    parts.resident().as_ref(),
                    &parts.inbound(&m.message.id, item.received_at, answered),
                )
                .instrument(item.span.clone())
                .await?
            }
        };
        let _enter = item.span.enter();
        if let Some(answer) = recorded(m, parts, stored, conversation, &mut reports[*i]) {
            answers.push((*i, answer));
        }
    }
    if let Some(service) = conversation.filter(|_| !answers.is_empty()) {
        // The earliest arrival: the requests read ahead reach back to the start of its day.
        let now = items
            .iter()
            .map(|item| item.received_at)
            .min()
            .unwrap_or_else(Timestamp::now);
        let keys: Vec<(&str, i64, bool)> = answers
            .iter()
            .map(|(_, a)| (a.village_id, a.resident_id, a.new_resident))
            .collect();
        let mut batch = service.prepare_batch(&mut tx, &keys, now).await?;
        for (i, answer) in &answers {
            let item = &items[*i];
            service
                .handle_in(
                    &mut tx,
                    &answer.inbound(),
                    item.received_at,
                    Some(&mut batch),
                )
                .instrument(item.span.clone())
                .await?;
        }
        service.finish_batch(&mut tx, &mut batch).await?;
    }
    for (i, s) in statuses {
        let item = &items[i];
        store_status(&mut tx, s, item.received_at, &mut reports[i])
            .instrument(item.span.clone())
            .await?;
    }
    for (i, item) in items.iter().enumerate() {
        store_events(
            &mut tx,
            &item.plan.events,
            item.received_at,
            &mut reports[i],
        )
        .instrument(item.span.clone())
        .await?;
    }
    tx.commit().await?;
    Ok(reports)
}

fn wamids_of(plan: &Plan<'_>) -> Vec<String> {
    plan.wamids().map(str::to_string).collect()
}

impl Plan<'_> {
    /// The wamids of the payload's messages and statuses.
    pub(crate) fn wamids(&self) -> impl Iterator<Item = &str> {
        self.messages
            .iter()
            .map(|m| m.message.id.as_str())
            .chain(self.statuses.iter().map(|s| s.status.id.as_str()))
    }
}

async fn write(
    store: &Store,
    plan: &Plan<'_>,
    conversation: Option<&ConversationService>,
    received_at: Timestamp,
    isolate: bool,
) -> Result<IngestReport, StoreError> {
    let mut report = IngestReport {
        wamids: wamids_of(plan),
        ..IngestReport::default()
    };

    let mut tx = store.begin().await?;
    for m in &plan.messages {
        if !isolate {
            store_message(&mut tx, m, conversation, received_at, &mut report).await?;
            continue;
        }
        tx.savepoint().await?;
        let mut item = IngestReport::default();
        match store_message(&mut tx, m, conversation, received_at, &mut item).await {
            Ok(()) => {
                tx.release_savepoint().await?;
                report.new_messages.extend(item.new_messages);
                report.duplicates += item.duplicates;
            }
            Err(e) if !e.is_unavailable() => {
                tx.rollback_to_savepoint().await?;
                tracing::error!(wamid = %m.message.id, error = %e, "inbound message could not be stored; kept as a dead letter");
                tx.insert_dead_letter(
                    m.raw.get().as_bytes(),
                    &format!("message {}: {e}", m.message.id),
                    received_at,
                )
                .await?;
                report.dead_lettered += 1;
            }
            Err(e) => return Err(e),
        }
    }
    for s in &plan.statuses {
        store_status(&mut tx, s, received_at, &mut report).await?;
    }
    store_events(&mut tx, &plan.events, received_at, &mut report).await?;
    tx.commit().await?;
    Ok(report)
}

async fn store_events(
    tx: &mut Tx,
    events: &[PlannedEvent<'_>],
    received_at: Timestamp,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    for e in events {
        if e.reason == "unrouted" {
            report.unrouted += 1;
            tracing::warn!(
                phone_number_id = e.phone_number_id.as_deref().unwrap_or("<none>"),
                "webhook for a phone number no configured village owns; stored as unrouted, not processed"
            );
        } else {
            report.other_events += 1;
        }
        tx.insert_webhook_event(&NewWebhookEvent {
            village_id: e.village_id,
            reason: e.reason,
            field: e.field,
            phone_number_id: e.phone_number_id.as_deref(),
            raw_json: e.raw.get(),
            received_at,
        })
        .await?;
    }
    Ok(())
}

/// What a planned message stores: its sender and the message row's values.
struct Parts<'m> {
    village_id: &'m str,
    sender: SenderKey,
    profile_name: Option<std::borrow::Cow<'m, str>>,
    username: Option<std::borrow::Cow<'m, str>>,
    sent_at: Timestamp,
    summary: MessageSummary<'m>,
    body: Option<std::borrow::Cow<'m, str>>,
    raw: &'m str,
}

impl<'m> Parts<'m> {
    fn of(m: &'m PlannedMessage<'_>, received_at: Timestamp) -> Self {
        let msg = &m.message;
        let contact = m.contact.as_ref();
        let profile = contact.and_then(|c| c.profile.as_ref());
        let summary = msg.summary();
        Parts {
            village_id: m.village_id,
            sender: SenderKey {
                wa_id: msg
                    .from
                    .clone()
                    .or_else(|| contact.and_then(|c| c.wa_id.clone())),
                user_id: msg
                    .from_user_id
                    .clone()
                    .or_else(|| contact.and_then(|c| c.user_id.clone())),
            },
            profile_name: profile.and_then(|p| p.name.as_deref()).map(without_nul),
            username: profile.and_then(|p| p.username.as_deref()).map(without_nul),
            sent_at: msg
                .timestamp
                .and_then(Timestamp::from_unix_seconds)
                .unwrap_or(received_at),
            body: summary.body.map(without_nul),
            summary,
            raw: m.raw.get(),
        }
    }

    fn resident(&self) -> Option<ResidentUpsert<'_>> {
        (self.sender.wa_id.is_some() || self.sender.user_id.is_some()).then_some(ResidentUpsert {
            village_id: self.village_id,
            sender: &self.sender,
            profile_name: self.profile_name.as_deref(),
            username: self.username.as_deref(),
            seen_at: self.sent_at,
        })
    }

    fn inbound(&self, wamid: &'m str, received_at: Timestamp, answered: bool) -> NewInbound<'_> {
        let s = &self.summary;
        let media = s.media;
        NewInbound {
            village_id: self.village_id,
            wamid,
            // Filled in by store_inbound with the sender's id.
            resident_id: None,
            kind: s.kind,
            body: self.body.as_deref(),
            reply_id: s.reply_id,
            media_id: media.and_then(|m| m.id.as_deref()),
            media_mime: media.and_then(|m| m.mime_type.as_deref()),
            media_sha256: media.and_then(|m| m.sha256.as_deref()),
            context_wamid: s.context_wamid,
            forwarded: s.forwarded,
            latitude: s.latitude,
            longitude: s.longitude,
            raw_json: self.raw,
            sent_at: self.sent_at,
            received_at,
            // The dialogue answers it in this same transaction.
            handled_at: answered.then_some(received_at),
        }
    }
}

/// Store one message (and its sender); what is new is returned to be answered.
async fn store_only<'m>(
    tx: &mut Tx,
    m: &'m PlannedMessage<'_>,
    conversation: Option<&ConversationService>,
    received_at: Timestamp,
    report: &mut IngestReport,
) -> Result<Option<ToAnswer<'m>>, StoreError> {
    let parts = Parts::of(m, received_at);
    // The sender's row and the message together (one round trip on PostgreSQL).
    let stored = tx
        .store_inbound(
            parts.resident().as_ref(),
            &parts.inbound(&m.message.id, received_at, conversation.is_some()),
        )
        .await?;
    Ok(recorded(m, parts, stored, conversation, report))
}

/// Count a stored message in the report; a new one is returned to be answered.
fn recorded<'m>(
    m: &'m PlannedMessage<'_>,
    parts: Parts<'m>,
    stored: StoredInbound,
    conversation: Option<&ConversationService>,
    report: &mut IngestReport,
) -> Option<ToAnswer<'m>> {
    let msg = &m.message;
    let sender = parts.sender;
    let resident_id = stored.resident_id;
    let Some(id) = stored.inbound_id else {
        tracing::debug!(wamid = %msg.id, "duplicate delivery of an inbound message ignored");
        report.duplicates += 1;
        return None;
    };
    tracing::debug!(
        wamid = %msg.id,
        kind = parts.summary.kind,
        sender = %sender.wa_id.as_deref().or(sender.user_id.as_deref()).map(mask_digits).unwrap_or_default(),
        "inbound message stored"
    );
    report.new_messages.push(NewMessage {
        id,
        village_id: m.village_id.to_string(),
        wamid: msg.id.clone(),
        resident_id,
    });
    // Answered in the same transaction: a crash leaves neither the message nor its reply, and
    // a redelivery (no id above) never answers twice.
    match (conversation, resident_id, sender.wa_id.or(sender.user_id)) {
        (Some(_), Some(resident_id), Some(recipient)) => Some(ToAnswer {
            village_id: m.village_id,
            resident_id,
            inbound_id: id,
            recipient,
            message: msg,
            new_resident: stored.new_resident,
        }),
        _ => None,
    }
}

/// A message stored for the first time, to be answered by the dialogue.
struct ToAnswer<'m> {
    village_id: &'m str,
    resident_id: i64,
    inbound_id: i64,
    recipient: String,
    message: &'m Message,
    new_resident: bool,
}

impl ToAnswer<'_> {
    fn inbound(&self) -> Inbound<'_> {
        Inbound {
            village_id: self.village_id,
            resident_id: self.resident_id,
            inbound_id: self.inbound_id,
            recipient: &self.recipient,
            message: self.message,
            new_resident: self.new_resident,
        }
    }
}

/// Store one message and answer it.
async fn store_message(
    tx: &mut Tx,
    m: &PlannedMessage<'_>,
    conversation: Option<&ConversationService>,
    received_at: Timestamp,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    if let (Some(service), Some(answer)) = (
        conversation,
        store_only(tx, m, conversation, received_at, report).await?,
    ) {
        service.handle(tx, &answer.inbound(), received_at).await?;
    }
    Ok(())
}

async fn store_status(
    tx: &mut Tx,
    s: &PlannedStatus<'_>,
    received_at: Timestamp,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    let st = &s.status;
    let at = st
        .timestamp
        .and_then(Timestamp::from_unix_seconds)
        .unwrap_or(received_at);
    let error = st.errors.first();
    let error_code = error.and_then(|e| e.code);
    let error_title = error.and_then(|e| e.title.as_deref().or(e.message.as_deref()));
    tx.lock_wamid(&st.id).await?;
    let new = tx
        .insert_status_event(&NewStatusEvent {
            village_id: s.village_id,
            wamid: &st.id,
            status: &st.status,
            status_at: at,
            recipient: st
                .recipient_id
                .as_deref()
                .or(st.recipient_user_id.as_deref()),
            error_code,
            error_title,
            raw_json: s.raw.get(),
            received_at,
        })
        .await?;
    if !new {
        report.duplicate_statuses += 1;
        return Ok(());
    }
    report.new_statuses += 1;
    if st.status == "failed" {
        tracing::warn!(wamid = %st.id, code = error_code, title = error_title.unwrap_or(""), "outbound message failed");
    }
    if tx
        .apply_status(
            s.village_id,
            &st.id,
            &st.status,
            at,
            error_code,
            error_title,
        )
        .await?
    {
        report.applied_statuses += 1;
    }
    Ok(())
}

/// PostgreSQL text cannot hold U+0000; a resident's text never needs it. (The raw JSON keeps it
/// escaped, as Meta sent it.)
fn without_nul(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', ""))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}
