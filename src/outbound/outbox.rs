//! The outbox worker: claims due outbound messages, sends them through the Graph API (or the
//! sandbox), and records every attempt. Retries back off per Meta's error class; messages to a
//! resident whose 24-hour window has closed go out as the configured template; broken
//! credentials pause sending instead of burning through the queue.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;

use super::sandbox::Sandbox;
use super::{retry_delay, ErrorClass, GraphClient, GraphError, OutboundBody, SentMessage};
use crate::metrics::Metrics;
use crate::store::{AttemptOutcome, AttemptRecord, ClaimedMessage, Store, StoreError, Timestamp};

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
        let request = body.to_request(&m.recipient, m.reply_to.as_deref());
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
                    None,
                )
            }
            Err(e) => self.on_error(&m, &body, e),
        }
    }

    fn on_error(&self, m: &ClaimedMessage, body: &OutboundBody, e: GraphError) -> AttemptRecord {
        let class = e.class();
        let title = e.to_string();
        match class {
            ErrorClass::Retry { .. } => {
                let limit = e
                    .max_attempts()
                    .map(i64::from)
                    .unwrap_or(self.settings.max_attempts)
                    .min(self.settings.max_attempts);
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
