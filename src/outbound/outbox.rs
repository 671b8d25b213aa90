//! The outbox worker: claims due outbound messages, sends them through the Graph API (or the
//! sandbox), and records every attempt. Retries back off per Meta's error class; messages to a
//! resident whose 24-hour window has closed go out as the configured template; broken
//! credentials pause sending instead of burning through the queue.
//!
//! An `attachment` message (a resident's stored photo or PDF for an officer) is resolved when it
//! is due: its file is uploaded and sent as an image or a document; while its download is still
//! being tried it waits; when it cannot be had the officer gets a short text saying why.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::NETWORK_BASE;
use super::media::{extension_for, mime_essence};
use super::message::{AttachmentRef, Sendable};
use super::sandbox::Sandbox;
use super::{
    retry_delay, Backoff, ErrorClass, GraphClient, GraphError, MediaKind, OutboundBody, SentMessage,
};
use crate::metrics::Metrics;
use crate::store::{
    AttachmentFile, AttemptOutcome, AttemptRecord, ClaimedMessage, Store, StoreError, Timestamp,
};

/// Where messages go.
pub enum Transport {
    Graph(GraphClient),
    Sandbox(Arc<Sandbox>),
}

impl Transport {
    async fn send(
        &self,
        phone_number_id: &str,
        request: &Value,
    ) -> Result<SentMessage, GraphError> {
        match self {
            Transport::Graph(client) => client.send(phone_number_id, request).await,
            Transport::Sandbox(sandbox) => sandbox.send(phone_number_id, request),
        }
    }

    /// Upload a file to send it by id; returns the media id.
    async fn upload_media(
        &self,
        phone_number_id: &str,
        bytes: bytes::Bytes,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        match self {
            Transport::Graph(client) => {
                client
                    .upload_media(phone_number_id, bytes, mime_type, filename)
                    .await
            }
            Transport::Sandbox(sandbox) => {
                sandbox.upload_media(phone_number_id, bytes, mime_type, filename)
            }
        }
    }

    async fn mark_read(
        &self,
        phone_number_id: &str,
        to: &str,
        wamid: &str,
    ) -> Result<(), GraphError> {
        match self {
            Transport::Graph(client) => client.mark_read(phone_number_id, wamid, true).await,
            Transport::Sandbox(sandbox) => {
                sandbox.mark_read(phone_number_id, to, wamid);
                Ok(())
            }
        }
    }
}

/// Templates used outside the 24-hour window, by message purpose.
#[derive(Debug, Clone, Default)]
pub struct TemplateSettings {
    /// Used for any purpose without its own template.
    pub default: Option<String>,
    pub by_purpose: HashMap<String, String>,
    pub language: String,
}

#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// Messages claimed and sent at once.
    pub batch: i64,
    /// How long a claim lasts before another worker may take the message over.
    pub lease_secs: i64,
    /// Global pace, below the number's throughput limit.
    pub rate_per_sec: f64,
    /// Attempts before a message is given up as failed.
    pub max_attempts: i64,
    pub poll_interval: Duration,
    /// Pause after the access token is refused.
    pub credentials_pause: Duration,
    pub templates: TemplateSettings,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            batch: 16,
            lease_secs: 120,
            rate_per_sec: 80.0,
            max_attempts: 8,
            poll_interval: Duration::from_millis(250),
            credentials_pause: Duration::from_secs(60),
            templates: TemplateSettings {
                language: "id".into(),
                ..Default::default()
            },
        }
    }
}

/// The 24-hour customer service window.
const WINDOW_SECS: i64 = 24 * 60 * 60;

/// First wait for an attachment whose download is still being tried; it doubles per attempt, so
/// with the default 8 attempts the officer's request waits about 20 minutes in all before they
/// are told the file did not come.
pub const ATTACHMENT_WAIT_BASE: Duration = Duration::from_secs(10);
/// How long an uploaded copy of an attachment is reused (for a retried send, or another officer
/// asking for the same file) instead of uploading it again. Meta keeps uploads for 30 days.
const UPLOAD_REUSE: Duration = Duration::from_secs(24 * 60 * 60);
/// Uploaded copies remembered at most.
const UPLOAD_CACHE_MAX: usize = 256;

pub struct OutboxWorker {
    store: Store,
    transport: Transport,
    /// village id → phone_number_id to send from.
    numbers: HashMap<String, String>,
    settings: OutboxSettings,
    metrics: Option<Arc<Metrics>>,
    /// Wakes the worker when new messages are queued.
    pub wake: Arc<tokio::sync::Notify>,
    paused_until: std::sync::Mutex<Option<Instant>>,
    next_slot: tokio::sync::Mutex<Instant>,
    /// (phone_number_id, attachment id) → media id uploaded at that time.
    uploads: std::sync::Mutex<HashMap<(String, i64), (String, Instant)>>,
}

impl OutboxWorker {
    pub fn new(
        store: Store,
        transport: Transport,
        numbers: HashMap<String, String>,
        settings: OutboxSettings,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        Self {
            store,
            transport,
            numbers,
            settings,
            metrics,
            wake: Arc::new(tokio::sync::Notify::new()),
            paused_until: std::sync::Mutex::new(None),
            next_slot: tokio::sync::Mutex::new(Instant::now()),
            uploads: std::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused_until
            .lock()
            .map(|p| p.is_some_and(|until| Instant::now() < until))
            .unwrap_or(false)
    }

    /// Claim one batch of due messages and send them; returns how many were handled (0 when
    /// the queue had nothing due, or sending is paused).
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        if self.is_paused() {
            return Ok(0);
        }
        let now = Timestamp::now();
        let reclaimed = self.store.release_expired_claims(now).await?;
        if !reclaimed.is_empty() {
            // Their worker died between claiming and recording: Meta may have received them.
            tracing::warn!(count = reclaimed.len(), ids = ?reclaimed, "outbound messages whose sender died mid-send are queued again; they may be delivered twice");
            if let Some(m) = &self.metrics {
                m.outbound("reclaimed", reclaimed.len());
            }
        }
        let claimed = self
            .store
            .claim_outbound(self.settings.batch, self.settings.lease_secs, now)
            .await?;
        let count = claimed.len();
        // One recipient has at most one claimed message at a time (the claim guarantees it),
        // so sending the batch concurrently keeps each resident's order.
        let records = futures_join(claimed.into_iter().map(|m| self.deliver(m))).await;
        // One commit for the whole batch; if that fails for a reason other than the database
        // being away, record them one by one so that one bad row does not hold the others.
        // A completed send's outcome is never dropped: while the database is briefly away
        // (SQLite busy, a lost connection), keep trying, or the message would be sent again
        // when its claim expires.
        let mut result = self.store.record_attempts(&records, Timestamp::now()).await;
        let mut delay = Duration::from_millis(100);
        for _ in 0..8 {
            match &result {
                Err(e) if e.is_unavailable() => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    result = self.store.record_attempts(&records, Timestamp::now()).await;
                }
                _ => break,
            }
        }
        if let Err(e) = result {
            if e.is_unavailable() {
                return Err(e);
            }
            tracing::error!(error = %e, "recording a batch of send attempts failed; recording them one by one");
            for r in &records {
                if let Err(e) = self
                    .store
                    .record_attempts(std::slice::from_ref(r), Timestamp::now())
                    .await
                {
                    tracing::error!(outbound_id = r.message.id, error = %e, "send attempt could not be recorded; the message will be retried when its claim expires");
                }
            }
        }
        Ok(count)
    }

    /// Run until `shutdown` says stop; in-flight sends finish first.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let handled = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "outbox worker could not reach the database; retrying");
                    0
                }
            };
            if handled > 0 {
                continue;
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    async fn pace(&self) {
        let interval = Duration::from_secs_f64(1.0 / self.settings.rate_per_sec.max(0.1));
        let wait_until = {
            let mut slot = self.next_slot.lock().await;
            let now = Instant::now();
            let start = (*slot).max(now);
            *slot = start + interval;
            start
        };
        tokio::time::sleep_until(wait_until.into()).await;
    }

    async fn deliver(&self, m: ClaimedMessage) -> AttemptRecord {
        let Some(number) = self.numbers.get(&m.village_id).cloned() else {
            tracing::error!(outbound_id = m.id, village = %m.village_id, "no phone number for the village; message failed");
            return self.finish(
                &m,
                AttemptOutcome::Failed,
                None,
                None,
                Some("village has no phone number"),
            );
        };
        if m.kind == "mark_read" {
            let wamid = serde_json::from_str::<Value>(&m.body_json)
                .ok()
                .and_then(|v| {
                    v.get("message_id")
                        .and_then(Value::as_str)
                        .map(String::from)
                })
                .unwrap_or_default();
            self.pace().await;
            return match self
                .transport
                .mark_read(&number, &m.recipient, &wamid)
                .await
            {
                Ok(()) => self.finish(&m, AttemptOutcome::Done, Some(200), None, None),
                // A read receipt that does not go through is not worth retrying for long.
                Err(e) if e.class().is_retry() && m.attempts < 3 => {
                    let at = Timestamp::from(chrono::Utc::now() + chrono::Duration::seconds(2));
                    self.finish(
                        &m,
                        AttemptOutcome::Retry { at },
                        http_status(&e),
                        e.code(),
                        Some(&e.to_string()),
                    )
                }
                Err(e) => self.failed(&m, &e),
            };
        }
        let body: OutboundBody = match serde_json::from_str(&m.body_json) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(outbound_id = m.id, error = %e, "outbound body unreadable; failed");
                return self.finish(
                    &m,
                    AttemptOutcome::Failed,
                    None,
                    None,
                    Some("unreadable message body"),
                );
            }
        };
        let now = Timestamp::now();
        let outside_window = m
            .last_inbound_at
            .is_some_and(|t| now.unix_seconds() - t.unix_seconds() > WINDOW_SECS);
        if body.kind() != "template" && (m.kind == "template_resend" || outside_window) {
            return self.as_template(&m, &body);
        }
        let (sendable, note) = match body.clone().into_sendable() {
            Ok(sendable) => (sendable, None),
            Err(attachment) => match self
                .resolve_attachment(&m, &number, &body, attachment)
                .await
            {
                Resolution::Send(sendable, note) => (sendable, note),
                Resolution::Done(record) => return *record,
            },
        };
        let request = sendable.to_request(&m.recipient, m.reply_to.as_deref());
        self.pace().await;
        match self.transport.send(&number, &request).await {
            Ok(sent) => {
                tracing::debug!(outbound_id = m.id, wamid = %sent.wamid, "outbound message accepted");
                if let Some(metrics) = &self.metrics {
                    metrics.outbound("sent", 1);
                }
                self.finish(
                    &m,
                    AttemptOutcome::Sent {
                        wamid: sent.wamid.clone(),
                    },
                    Some(200),
                    None,
                    note.as_deref(),
                )
            }
            Err(e) => self.on_error(&m, &body, e),
        }
    }

    /// Turn an attachment message into what can be sent now, or into the record of waiting (or
    /// of an upload error) when nothing can.
    async fn resolve_attachment(
        &self,
        m: &ClaimedMessage,
        number: &str,
        body: &OutboundBody,
        attachment: AttachmentRef,
    ) -> Resolution {
        let id = attachment.attachment_id;
        let last_attempt = m.attempts >= self.settings.max_attempts;
        // Only an attachment of the message's own village is ever read.
        let file = match self.store.attachment_for_village(&m.village_id, id).await {
            Ok(file) => file,
            Err(e) if last_attempt => {
                tracing::warn!(outbound_id = m.id, attachment_id = id, error = %e, "attachment row unreadable at the last attempt");
                return self.unavailable(m, id, Unavailable::Unreadable);
            }
            Err(e) => {
                tracing::warn!(outbound_id = m.id, attachment_id = id, error = %e, "attachment row unreadable; retrying later");
                let why = format!("attachment {id} unreadable: {e}");
                return self.wait(m, NETWORK_BASE, &why);
            }
        };
        match AttachmentStage::of(file.as_ref()) {
            AttachmentStage::Unavailable(reason) => self.unavailable(m, id, reason),
            AttachmentStage::Downloading if last_attempt => {
                self.unavailable(m, id, Unavailable::StillDownloading)
            }
            AttachmentStage::Downloading => {
                tracing::info!(
                    outbound_id = m.id,
                    attachment_id = id,
                    attempt = m.attempts,
                    "attachment not downloaded yet; waiting for it"
                );
                let why = format!("attachment {id} not downloaded yet");
                self.wait(m, ATTACHMENT_WAIT_BASE, &why)
            }
            AttachmentStage::Ready { file, path } => {
                self.upload(m, number, body, file, path, attachment.caption)
                    .await
            }
        }
    }

    /// Upload a downloaded attachment (or reuse a recent upload) and send it as media.
    async fn upload(
        &self,
        m: &ClaimedMessage,
        number: &str,
        body: &OutboundBody,
        file: &AttachmentFile,
        path: &str,
        caption: Option<String>,
    ) -> Resolution {
        let id = file.id;
        let mime_type = file
            .mime_type
            .as_deref()
            .map(mime_essence)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "application/octet-stream".to_string());
        let kind = media_kind_for(&mime_type);
        let filename = attachment_filename(file, path, &mime_type);
        let media = |media_id: String| {
            let filename = (kind == MediaKind::Document).then(|| filename.clone());
            Resolution::Send(
                Sendable::media(kind, media_id, caption.clone(), filename),
                None,
            )
        };
        if let Some(media_id) = self.uploaded(number, id) {
            tracing::debug!(
                outbound_id = m.id,
                attachment_id = id,
                "attachment already uploaded; reusing it"
            );
            return media(media_id);
        }
        let bytes = match tokio::fs::read(path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return self.unavailable(m, id, Unavailable::FileMissing);
            }
            Err(_) if m.attempts >= self.settings.max_attempts => {
                return self.unavailable(m, id, Unavailable::Unreadable);
            }
            Err(e) => {
                // A std::io error names no path, so nothing personal is logged.
                tracing::warn!(outbound_id = m.id, attachment_id = id, error = %e, "attachment file unreadable; retrying later");
                return self.wait(m, NETWORK_BASE, &format!("attachment {id} unreadable: {e}"));
            }
        };
        if let Some(expected) = &file.sha256 {
            if !hex::encode(Sha256::digest(&bytes)).eq_ignore_ascii_case(expected.trim()) {
                return self.unavailable(m, id, Unavailable::Corrupted);
            }
        }
        let size = bytes.len();
        match self
            .transport
            .upload_media(number, bytes.into(), &mime_type, &filename)
            .await
        {
            Ok(media_id) => {
                // No file name here: it may carry a resident's name.
                tracing::info!(
                    outbound_id = m.id,
                    attachment_id = id,
                    mime_type = %mime_type,
                    size,
                    as_kind = kind.as_str(),
                    "attachment uploaded for sending"
                );
                self.remember_upload(number, id, &media_id);
                media(media_id)
            }
            Err(e) => self.upload_failed(m, body, id, e),
        }
    }

    /// An upload error is retried like a send error; one that will not go away (or the last
    /// attempt's) becomes a text telling the officer, rather than a silent failure.
    fn upload_failed(
        &self,
        m: &ClaimedMessage,
        body: &OutboundBody,
        attachment_id: i64,
        e: GraphError,
    ) -> Resolution {
        let class = e.class();
        let exhausted = class.is_retry() && m.attempts >= self.retry_limit(&e);
        if class == ErrorClass::Permanent || exhausted {
            tracing::warn!(outbound_id = m.id, attachment_id, code = e.code(), error = %e, "attachment upload failed for good; telling the officer");
            let mut resolution = self.unavailable(m, attachment_id, Unavailable::UploadFailed);
            if let Resolution::Send(_, note) = &mut resolution {
                *note = Some(format!("upload failed: {e}"));
            }
            return resolution;
        }
        Resolution::Done(Box::new(self.on_error(m, body, e)))
    }

    /// The text that replaces an attachment that cannot be sent.
    fn unavailable(
        &self,
        m: &ClaimedMessage,
        attachment_id: i64,
        reason: Unavailable,
    ) -> Resolution {
        tracing::info!(
            outbound_id = m.id,
            attachment_id,
            reason = reason.label(),
            "attachment not available; telling the officer"
        );
        Resolution::Send(
            Sendable::text(unavailable_text(attachment_id, reason)),
            Some(format!(
                "attachment {attachment_id} not available: {}",
                reason.label()
            )),
        )
    }

    /// Try the message again later, backing off from `base` like a retried send.
    fn wait(&self, m: &ClaimedMessage, base: Duration, why: &str) -> Resolution {
        let class = ErrorClass::Retry {
            after: base,
            backoff: Backoff::Double,
        };
        let jitter: f64 = rand::rng().random();
        let delay = retry_delay(class, (m.attempts - 1).max(0) as u32, jitter);
        let at = Timestamp::from(
            chrono::Utc::now()
                + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60)),
        );
        if let Some(metrics) = &self.metrics {
            metrics.outbound("retried", 1);
        }
        Resolution::Done(Box::new(self.finish(
            m,
            AttemptOutcome::Retry { at },
            None,
            None,
            Some(why),
        )))
    }

    fn uploaded(&self, number: &str, attachment_id: i64) -> Option<String> {
        let uploads = self.uploads.lock().ok()?;
        uploads
            .get(&(number.to_string(), attachment_id))
            .filter(|(_, at)| at.elapsed() < UPLOAD_REUSE)
            .map(|(media_id, _)| media_id.clone())
    }

    fn remember_upload(&self, number: &str, attachment_id: i64, media_id: &str) {
        if let Ok(mut uploads) = self.uploads.lock() {
            if uploads.len() >= UPLOAD_CACHE_MAX {
                uploads.retain(|_, (_, at)| at.elapsed() < UPLOAD_REUSE);
                if uploads.len() >= UPLOAD_CACHE_MAX {
                    uploads.clear();
                }
            }
            uploads.insert(
                (number.to_string(), attachment_id),
                (media_id.to_string(), Instant::now()),
            );
        }
    }

    /// Attempts allowed for a message that keeps failing with `e`.
    fn retry_limit(&self, e: &GraphError) -> i64 {
        e.max_attempts()
            .map(i64::from)
            .unwrap_or(self.settings.max_attempts)
            .min(self.settings.max_attempts)
    }

    fn on_error(&self, m: &ClaimedMessage, body: &OutboundBody, e: GraphError) -> AttemptRecord {
        let class = e.class();
        let title = e.to_string();
        match class {
            ErrorClass::Retry { .. } => {
                let limit = self.retry_limit(&e);
                if m.attempts >= limit {
                    tracing::error!(outbound_id = m.id, attempts = m.attempts, error = %title, "outbound message failed after its last attempt; an officer must follow up");
                    return self.failed(m, &e);
                }
                let jitter: f64 = rand::rng().random();
                let delay = retry_delay(class, (m.attempts - 1).max(0) as u32, jitter);
                let at = Timestamp::from(
                    chrono::Utc::now()
                        + chrono::Duration::from_std(delay)
                            .unwrap_or(chrono::Duration::seconds(60)),
                );
                tracing::warn!(
                    outbound_id = m.id,
                    attempt = m.attempts,
                    delay_ms = delay.as_millis() as u64,
                    code = e.code(),
                    "outbound send failed; retrying later"
                );
                if let Some(metrics) = &self.metrics {
                    metrics.outbound("retried", 1);
                }
                self.finish(
                    m,
                    AttemptOutcome::Retry { at },
                    http_status(&e),
                    e.code(),
                    Some(&title),
                )
            }
            ErrorClass::UseTemplate if body.kind() != "template" => {
                self.as_template_after(m, body, http_status(&e), e.code(), Some(&title))
            }
            ErrorClass::CredentialsBroken => {
                tracing::error!(error = %title, pause_secs = self.settings.credentials_pause.as_secs(), "WhatsApp access token refused (code 190 or 401): sending is PAUSED; renew WHATSAPP_ACCESS_TOKEN");
                if let Ok(mut p) = self.paused_until.lock() {
                    *p = Some(Instant::now() + self.settings.credentials_pause);
                }
                self.finish(
                    m,
                    AttemptOutcome::Paused,
                    http_status(&e),
                    e.code(),
                    Some(&title),
                )
            }
            ErrorClass::PolicyBlocked => {
                tracing::error!(outbound_id = m.id, code = e.code(), error = %title, "WhatsApp blocked the message (spam/policy); not retried");
                self.failed(m, &e)
            }
            ErrorClass::UseTemplate | ErrorClass::Permanent => {
                tracing::warn!(outbound_id = m.id, code = e.code(), error = %title, "outbound message failed permanently");
                self.failed(m, &e)
            }
        }
    }

    fn as_template(&self, m: &ClaimedMessage, body: &OutboundBody) -> AttemptRecord {
        self.as_template_after(m, body, None, None, None)
    }

    /// Rewrite as the configured template for the message's purpose and queue it again,
    /// recording the attempt that led here (e.g. a 131047 answer).
    fn as_template_after(
        &self,
        m: &ClaimedMessage,
        body: &OutboundBody,
        status: Option<u16>,
        code: Option<i64>,
        title: Option<&str>,
    ) -> AttemptRecord {
        let t = &self.settings.templates;
        let name = t.by_purpose.get(&m.purpose).or(t.default.as_ref());
        let Some(name) = name else {
            tracing::error!(outbound_id = m.id, purpose = %m.purpose, "outside the 24-hour window and no template is configured for this purpose; failed");
            let mut record = self.finish(
                m,
                AttemptOutcome::Failed,
                None,
                Some(131047),
                Some("outside the 24-hour window; no template configured"),
            );
            if !matches!(m.purpose.as_str(), "officer_alert" | "read") {
                record.officer_alert = Some(format!(
                    "⚠️ Pesan ke warga {} tidak terkirim: di luar batas 24 jam dan belum ada template WhatsApp untuk jenis pesan ini. Mohon hubungi warga tersebut.",
                    m.recipient
                ));
            }
            return record;
        };
        let template = OutboundBody::Template {
            name: name.clone(),
            language: t.language.clone(),
            body_params: vec![template_param(&body.preview())],
        };
        // Serialising a plain enum of strings cannot fail; an empty body would be refused by
        // the next attempt's parse and fail the message visibly.
        let json = serde_json::to_string(&template).unwrap_or_default();
        tracing::info!(outbound_id = m.id, template = %name, "outside the 24-hour window: sending as a template");
        self.finish(
            m,
            AttemptOutcome::Template { body_json: json },
            status,
            code,
            title,
        )
    }

    fn failed(&self, m: &ClaimedMessage, e: &GraphError) -> AttemptRecord {
        if let Some(metrics) = &self.metrics {
            metrics.outbound("failed", 1);
        }
        let mut record = self.finish(
            m,
            AttemptOutcome::Failed,
            http_status(e),
            e.code(),
            Some(&e.to_string()),
        );
        // A resident who was not reached must hear from a person instead; read receipts and
        // the alerts themselves do not raise alerts.
        if !matches!(m.purpose.as_str(), "officer_alert" | "read") {
            record.officer_alert = Some(failure_alert(m, e));
        }
        record
    }

    fn finish(
        &self,
        m: &ClaimedMessage,
        outcome: AttemptOutcome,
        status: Option<u16>,
        code: Option<i64>,
        title: Option<&str>,
    ) -> AttemptRecord {
        AttemptRecord {
            message: m.clone(),
            outcome,
            http_status: status,
            error_code: code,
            error_title: title.map(String::from),
            officer_alert: None,
        }
    }
}

/// What an attachment message comes to when it is due.
enum Resolution {
    /// Send this (with a note for the attempt's record).
    Send(Sendable, Option<String>),
    /// Nothing to send now: record this attempt.
    Done(Box<AttemptRecord>),
}

/// Where an attachment stands, from its row.
#[derive(Debug, PartialEq)]
enum AttachmentStage<'a> {
    Ready {
        file: &'a AttachmentFile,
        path: &'a str,
    },
    /// Not downloaded, and downloads are still being tried.
    Downloading,
    Unavailable(Unavailable),
}

impl<'a> AttachmentStage<'a> {
    fn of(file: Option<&'a AttachmentFile>) -> Self {
        let Some(file) = file else {
            return AttachmentStage::Unavailable(Unavailable::NotFound);
        };
        if file.deleted_at.is_some() {
            AttachmentStage::Unavailable(Unavailable::Deleted)
        } else if let Some(path) = file.file_path.as_deref() {
            AttachmentStage::Ready { file, path }
        } else if file.download_pending() {
            AttachmentStage::Downloading
        } else if file.media_id.is_none() {
            AttachmentStage::Unavailable(Unavailable::NeverReceived)
        } else {
            AttachmentStage::Unavailable(Unavailable::DownloadFailed)
        }
    }
}

/// Why an attachment cannot be sent; the officer is told in a short text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unavailable {
    /// No such attachment in the message's village (another village's is not ours to show).
    NotFound,
    Deleted,
    NeverReceived,
    DownloadFailed,
    /// Still not downloaded at the message's last attempt.
    StillDownloading,
    FileMissing,
    /// The file no longer matches the sha256 recorded at download.
    Corrupted,
    Unreadable,
    UploadFailed,
}

impl Unavailable {
    /// For logs and the attempt record.
    fn label(self) -> &'static str {
        match self {
            Unavailable::NotFound => "not found in this village",
            Unavailable::Deleted => "deleted (retention)",
            Unavailable::NeverReceived => "no media was received",
            Unavailable::DownloadFailed => "download failed",
            Unavailable::StillDownloading => "still not downloaded",
            Unavailable::FileMissing => "file missing on disk",
            Unavailable::Corrupted => "file does not match its sha256",
            Unavailable::Unreadable => "attachment unreadable",
            Unavailable::UploadFailed => "upload failed",
        }
    }

    /// What the officer reads.
    fn reason(self) -> &'static str {
        match self {
            Unavailable::NotFound => "tidak ditemukan di desa ini.",
            Unavailable::Deleted => "sudah dihapus sesuai jadwal retensi.",
            Unavailable::NeverReceived => "berkasnya tidak pernah diterima dari WhatsApp.",
            Unavailable::DownloadFailed => "gagal diunduh dari WhatsApp.",
            Unavailable::StillDownloading => "belum selesai diunduh. Silakan minta lagi nanti.",
            Unavailable::FileMissing => "berkasnya tidak ditemukan di server.",
            Unavailable::Corrupted => "berkasnya rusak (tidak sama dengan saat diunduh).",
            Unavailable::Unreadable => {
                "berkasnya tidak dapat dibaca saat ini. Silakan minta lagi nanti."
            }
            Unavailable::UploadFailed => "gagal diunggah ke WhatsApp. Silakan minta lagi nanti.",
        }
    }
}

fn unavailable_text(attachment_id: i64, reason: Unavailable) -> String {
    format!(
        "Lampiran #{attachment_id} tidak tersedia: {}",
        reason.reason()
    )
}

/// WhatsApp shows JPEG and PNG as images; anything else (WebP is a sticker format there, PDFs,
/// voice notes) goes as a document, which takes any type.
fn media_kind_for(mime_type: &str) -> MediaKind {
    match mime_type {
        "image/jpeg" | "image/png" => MediaKind::Image,
        _ => MediaKind::Document,
    }
}

/// The file name the officer sees: `KLP-0042-ktp.pdf` (ticket or complaint code, then the
/// document it answers), `lampiran-12.pdf` without them. Built from our own codes, never from
/// what the resident named the file.
fn attachment_filename(file: &AttachmentFile, path: &str, mime_type: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .take(60)
            .collect()
    };
    let stem = match (
        file.reference_code.as_deref().filter(|c| !c.is_empty()),
        file.requirement_key.as_deref().filter(|k| !k.is_empty()),
    ) {
        (Some(code), Some(key)) => format!("{}-{}", clean(code), clean(key)),
        (Some(code), None) => format!("{}-lampiran-{}", clean(code), file.id),
        (None, Some(key)) => format!("lampiran-{}-{}", file.id, clean(key)),
        (None, None) => format!("lampiran-{}", file.id),
    };
    let extension = match extension_for(mime_type) {
        // An unknown type: keep the stored file's own extension when it is a plain one.
        "bin" => std::path::Path::new(path)
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("bin"),
        known => known,
    };
    format!("{stem}.{extension}")
}

fn http_status(e: &GraphError) -> Option<u16> {
    match e {
        GraphError::Api(api) => Some(api.http_status),
        _ => None,
    }
}

/// The text sent to officers when a message to a resident is given up.
fn failure_alert(m: &ClaimedMessage, e: &GraphError) -> String {
    let preview = serde_json::from_str::<OutboundBody>(&m.body_json)
        .map(|b| crate::conversation::dialogue::truncate(&template_param(&b.preview()), 120))
        .unwrap_or_default();
    let code = e.code().map(|c| format!(" (kode {c})")).unwrap_or_default();
    format!(
        "⚠️ Pesan ke warga {} gagal terkirim setelah {} kali percobaan{code}. Mohon hubungi warga tersebut.\nIsi pesan: {preview}",
        // Officers need the number to call the resident.
        m.recipient,
        m.attempts
    )
}

/// Template parameters may not contain newlines or tabs, nor more than four spaces in a row,
/// and may not be empty.
pub fn template_param(text: &str) -> String {
    let flat = text
        .split(['\n', '\t', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat: String = flat.chars().take(1000).collect();
    if flat.is_empty() {
        "-".into()
    } else {
        flat
    }
}

async fn futures_join<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let futures: Vec<_> = futures.into_iter().collect();
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment() -> AttachmentFile {
        AttachmentFile {
            id: 12,
            village_id: "kaliploso".into(),
            media_id: Some("111".into()),
            mime_type: Some("application/pdf".into()),
            requirement_key: Some("ktp".into()),
            reference_code: Some("KLP-0042".into()),
            file_path: None,
            size_bytes: None,
            sha256: None,
            download_attempts: 0,
            download_error: None,
            downloaded_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn attachment_stages() {
        use AttachmentStage as S;
        assert_eq!(S::of(None), S::Unavailable(Unavailable::NotFound));
        let pending = attachment();
        assert_eq!(S::of(Some(&pending)), S::Downloading);
        let failed = AttachmentFile {
            download_attempts: i64::from(crate::store::MAX_DOWNLOAD_ATTEMPTS),
            download_error: Some("sha256 mismatch".into()),
            ..attachment()
        };
        assert_eq!(
            S::of(Some(&failed)),
            S::Unavailable(Unavailable::DownloadFailed)
        );
        let no_media = AttachmentFile {
            media_id: None,
            ..attachment()
        };
        assert_eq!(
            S::of(Some(&no_media)),
            S::Unavailable(Unavailable::NeverReceived)
        );
        let ready = AttachmentFile {
            file_path: Some("/data/media/kaliploso/111.pdf".into()),
            ..attachment()
        };
        assert!(matches!(S::of(Some(&ready)), S::Ready { path, .. } if path.ends_with("111.pdf")));
        // Deleted wins over a path still on the row.
        let deleted = AttachmentFile {
            deleted_at: Some(Timestamp::now()),
            ..ready
        };
        assert_eq!(S::of(Some(&deleted)), S::Unavailable(Unavailable::Deleted));
    }

    #[test]
    fn attachment_file_names_and_kinds() {
        let a = attachment();
        assert_eq!(
            attachment_filename(&a, "/x/111.pdf", "application/pdf"),
            "KLP-0042-ktp.pdf"
        );
        let bare = AttachmentFile {
            reference_code: None,
            requirement_key: None,
            ..attachment()
        };
        assert_eq!(
            attachment_filename(&bare, "/x/111.jpg", "image/jpeg"),
            "lampiran-12.jpg"
        );
        let odd = AttachmentFile {
            requirement_key: Some("surat pengantar/RT".into()),
            ..attachment()
        };
        assert_eq!(
            attachment_filename(&odd, "/x/111.heic", "image/heic"),
            "KLP-0042-surat-pengantar-RT.heic"
        );
        assert_eq!(media_kind_for("image/jpeg"), MediaKind::Image);
        assert_eq!(media_kind_for("image/png"), MediaKind::Image);
        assert_eq!(media_kind_for("image/webp"), MediaKind::Document);
        assert_eq!(media_kind_for("application/pdf"), MediaKind::Document);
        assert_eq!(
            unavailable_text(12, Unavailable::Deleted),
            "Lampiran #12 tidak tersedia: sudah dihapus sesuai jadwal retensi."
        );
        for reason in [
            Unavailable::NotFound,
            Unavailable::Deleted,
            Unavailable::NeverReceived,
            Unavailable::DownloadFailed,
            Unavailable::StillDownloading,
            Unavailable::FileMissing,
            Unavailable::Corrupted,
            Unavailable::Unreadable,
            Unavailable::UploadFailed,
        ] {
            let text = unavailable_text(9, reason);
            assert!(OutboundBody::text(text.clone()).validate().is_ok());
            assert!(text.chars().count() < 120, "short: {text}");
        }
    }

    #[test]
    fn template_parameters_are_flat_and_never_empty() {
        assert_eq!(
            template_param("Halo\n\nKLP-0001\tsiap"),
            "Halo · KLP-0001 · siap"
        );
        assert_eq!(template_param("a      b"), "a b");
        assert_eq!(template_param("\n"), "-");
        assert_eq!(template_param(&"x".repeat(2000)).len(), 1000);
    }
}
