//! The local stand-in for Meta when no access token is configured: outbound messages land here
//! instead of the Graph API, so the chat simulator can show them. Everything before this point
//! (webhook, dialogue, outbox, worker) is the production code path.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

use serde::Serialize;
use serde_json::Value;

use super::{GraphError, MediaError, SentMessage};

/// Messages kept per sandbox; the oldest are dropped beyond this (it is a try-out tool).
const MAX_KEPT: usize = 5_000;

/// One message the bot sent (or a read receipt) as the sandbox received it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SandboxMessage {
    /// Increasing sequence number, for "messages after N" polling.
    pub seq: u64,
    pub phone_number_id: String,
    /// Recipient (the simulated resident's wa_id).
    pub to: String,
    /// The wamid the sandbox answered with (empty for read receipts).
    pub wamid: String,
    /// `message` or `read`.
    pub event: String,
    /// The request body exactly as it would have gone to Meta.
    pub request: Value,
}

#[derive(Debug, Default)]
pub struct Sandbox {
    next: AtomicU64,
    messages: Mutex<Vec<SandboxMessage>>,
    notify: tokio::sync::Notify,
    /// The residents' side of simulated conversations.
    inbound: Mutex<Vec<SandboxInbound>>,
    /// Uploads of simulated residents, oldest first.
    media: Mutex<VecDeque<SandboxMedia>>,
    /// Set at shutdown: long polls return at once instead of holding the server open.
    closed: AtomicBool,
}

impl Sandbox {
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&self, phone_number_id: &str, to: &str, wamid: String, event: &str, request: &Value) {
        let seq = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let message = SandboxMessage {
            seq,
            phone_number_id: phone_number_id.to_string(),
            to: to.to_string(),
            wamid,
            event: event.to_string(),
            request: request.clone(),
        };
        if let Ok(mut messages) = self.messages.lock() {
            messages.push(message);
            if messages.len() > MAX_KEPT {
                let excess = messages.len() - MAX_KEPT;
                messages.drain(..excess);
            }
        }
        self.notify.notify_waiters();
    }

    /// Accept a message as Meta would, answering with a fresh wamid.
    pub fn send(&self, phone_number_id: &str, request: &Value) -> Result<SentMessage, GraphError> {
        let to = request
            .get("to")
            .and_then(Value::as_str)
            .ok_or_else(|| GraphError::InvalidResponse("sandbox: request without \"to\"".into()))?;
        let wamid = format!("wamid.sandbox.{}", self.next.load(Ordering::Relaxed) + 1);
        self.push(phone_number_id, to, wamid.clone(), "message", request);
        Ok(SentMessage { wamid })
    }

    /// Accept an upload as Meta's `POST /{phone_number_id}/media` would: the file is kept in the
    /// sandbox's media store (where the simulator can show it) and its id returned. Like the
    /// simulator's own uploads, files over [`MAX_MEDIA_BYTES`] are refused.
    pub fn upload_media(
        &self,
        phone_number_id: &str,
        bytes: bytes::Bytes,
        mime_type: &str,
        _filename: &str,
    ) -> Result<String, GraphError> {
        if bytes.len() > MAX_MEDIA_BYTES {
            return Err(MediaError::BodyTooLarge {
                limit: MAX_MEDIA_BYTES as u64,
            }
            .into());
        }
        let size = bytes.len();
        let media = self.store_media(mime_type, bytes);
        tracing::debug!(phone_number_id, size, media_id = %media.id, "sandbox: media uploaded");
        Ok(media.id)
    }

    pub fn mark_read(&self, phone_number_id: &str, to: &str, wamid: &str) {
        let request = serde_json::json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid, "typing_indicator": {"type": "text"}});
        self.push(phone_number_id, to, String::new(), "read", &request);
    }

    /// Messages to `to` with a sequence number above `after`.
    pub fn messages_for(&self, to: &str, after: u64) -> Vec<SandboxMessage> {
        self.messages
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|m| m.to == to && m.seq > after)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn all(&self) -> Vec<SandboxMessage> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Wait until a new message arrives or `timeout` passes (long polling).
    pub async fn wait(&self, timeout: std::time::Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

/// Largest photo the simulator keeps (WhatsApp's own limit for images).
pub const MAX_MEDIA_BYTES: usize = 5 * 1024 * 1024;
/// Media files kept per sandbox; the oldest are dropped beyond this.
const MAX_MEDIA_KEPT: usize = 64;

/// One message a simulated resident sent, as the simulator posted it to the webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SandboxInbound {
    /// From the same sequence as [`SandboxMessage::seq`], so a conversation can be ordered.
    pub seq: u64,
    /// The village's number the message was sent to.
    pub phone_number_id: String,
    /// The simulated resident's wa_id.
    pub from: String,
    pub wamid: String,
    /// The message object exactly as it went into the webhook payload.
    pub message: Value,
    /// Set when the webhook did not accept the message (e.g. `HTTP 503`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A file a simulated resident uploaded, kept in memory under a media id (as Meta keeps the
/// media a resident sends until it is downloaded).
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxMedia {
    pub id: String,
    pub mime_type: String,
    /// Lowercase hex of the SHA-256 of `bytes`.
    pub sha256: String,
    pub bytes: bytes::Bytes,
}

/// One entry of a simulated conversation, in sequence order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "direction", rename_all = "lowercase")]
pub enum ConversationEntry {
    /// What the resident sent.
    In(SandboxInbound),
    /// What the bot sent (a message or a read receipt).
    Out(SandboxMessage),
}

impl ConversationEntry {
    pub fn seq(&self) -> u64 {
        match self {
            ConversationEntry::In(m) => m.seq,
            ConversationEntry::Out(m) => m.seq,
        }
    }
}

impl Sandbox {
    fn next_seq(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Record a message a simulated resident is about to post to the webhook; returns its
    /// sequence number (taken before the post, so that the bot's answers always come after it).
    pub fn record_inbound(
        &self,
        phone_number_id: &str,
        from: &str,
        wamid: &str,
        message: &Value,
    ) -> u64 {
        let seq = self.next_seq();
        if let Ok(mut inbound) = self.inbound.lock() {
            inbound.push(SandboxInbound {
                seq,
                phone_number_id: phone_number_id.to_string(),
                from: from.to_string(),
                wamid: wamid.to_string(),
                message: message.clone(),
                error: None,
            });
            if inbound.len() > MAX_KEPT {
                let excess = inbound.len() - MAX_KEPT;
                inbound.drain(..excess);
            }
        }
        self.notify.notify_waiters();
        seq
    }

    /// Note that the webhook refused the resident's message `seq`.
    pub fn inbound_failed(&self, seq: u64, error: &str) {
        if let Ok(mut inbound) = self.inbound.lock() {
            if let Some(m) = inbound.iter_mut().find(|m| m.seq == seq) {
                m.error = Some(error.to_string());
            }
        }
        self.notify.notify_waiters();
    }

    /// The conversation with resident `number` after sequence number `after`, oldest first;
    /// with `phone_number_id`, only the conversation with that village's number.
    pub fn conversation(
        &self,
        number: &str,
        phone_number_id: Option<&str>,
        after: u64,
    ) -> Vec<ConversationEntry> {
        let village_matches = |id: &str| phone_number_id.is_none_or(|p| p == id);
        let mut entries: Vec<ConversationEntry> = self
            .inbound
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|m| m.from == number && m.seq > after)
                    .filter(|m| village_matches(&m.phone_number_id))
                    .cloned()
                    .map(ConversationEntry::In)
                    .collect()
            })
            .unwrap_or_default();
        entries.extend(
            self.messages_for(number, after)
                .into_iter()
                .filter(|m| village_matches(&m.phone_number_id))
                .map(ConversationEntry::Out),
        );
        entries.sort_by_key(ConversationEntry::seq);
        entries
    }

    /// Like [`Sandbox::conversation`], but waits up to `timeout` for something new (long
    /// polling). Returns at once, possibly empty, once the sandbox is closed.
    pub async fn wait_for_conversation(
        &self,
        number: &str,
        phone_number_id: Option<&str>,
        after: u64,
        timeout: Duration,
    ) -> Vec<ConversationEntry> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before looking, so a message arriving in between is not missed.
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let entries = self.conversation(number, phone_number_id, after);
            if !entries.is_empty() || self.closed.load(Ordering::Relaxed) {
                return entries;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Vec::new();
            }
        }
    }

    /// Stop long polls (at shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.notify.notify_waiters();
    }

    /// Keep an uploaded file under a fresh media id. The caller checks the size limit.
    pub fn store_media(&self, mime_type: &str, bytes: bytes::Bytes) -> SandboxMedia {
        use rand::RngCore;
        let mut id = [0u8; 16];
        rand::rng().fill_bytes(&mut id);
        let media = SandboxMedia {
            // Digits only, like Meta's media ids.
            id: u128::from_be_bytes(id).to_string(),
            mime_type: mime_type.to_string(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
        };
        if let Ok(mut store) = self.media.lock() {
            store.push_back(media.clone());
            while store.len() > MAX_MEDIA_KEPT {
                store.pop_front();
            }
        }
        media
    }

    pub fn media(&self, id: &str) -> Option<SandboxMedia> {
        self.media
            .lock()
            .ok()
            .and_then(|m| m.iter().find(|m| m.id == id).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conversation_interleaves_both_sides_by_sequence() {
        let sandbox = Sandbox::new();
        let msg = json!({"type": "text", "text": {"body": "halo"}});
        let first = sandbox.record_inbound("n1", "62812", "wamid.in.1", &msg);
        sandbox
            .send("n1", &json!({"to": "62812", "type": "text"}))
            .expect("sandbox accepts");
        sandbox.record_inbound("n2", "62812", "wamid.in.2", &msg);
        sandbox.record_inbound("n1", "62899", "wamid.in.3", &msg);
        sandbox.inbound_failed(first, "HTTP 503");
        let all = sandbox.conversation("62812", None, 0);
        assert_eq!(all.len(), 3);
        assert!(all.windows(2).all(|w| w[0].seq() < w[1].seq()));
        let ConversationEntry::In(first_entry) = &all[0] else {
            panic!("resident message first: {all:?}");
        };
        assert_eq!(first_entry.error.as_deref(), Some("HTTP 503"));
        assert_eq!(sandbox.conversation("62812", Some("n1"), 0).len(), 2);
        assert_eq!(sandbox.conversation("62812", Some("n1"), first).len(), 1);
    }

    #[test]
    fn media_is_kept_with_its_digest() {
        let sandbox = Sandbox::new();
        let media = sandbox.store_media("image/png", bytes::Bytes::from_static(b"abc"));
        assert_eq!(
            media.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(media.id.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(sandbox.media(&media.id), Some(media));
        assert_eq!(sandbox.media("nope"), None);
    }

    #[test]
    fn uploads_are_kept_like_the_simulators_media() {
        let sandbox = Sandbox::new();
        let id = sandbox
            .upload_media(
                "n1",
                bytes::Bytes::from_static(b"%PDF"),
                "application/pdf",
                "a.pdf",
            )
            .expect("uploaded");
        let media = sandbox.media(&id).expect("kept");
        assert_eq!(media.mime_type, "application/pdf");
        assert_eq!(&media.bytes[..], b"%PDF");
        let too_big = bytes::Bytes::from(vec![0u8; MAX_MEDIA_BYTES + 1]);
        let e = sandbox
            .upload_media("n1", too_big, "image/jpeg", "a.jpg")
            .expect_err("over the limit");
        assert!(!e.class().is_retry(), "{e}");
    }

    #[tokio::test]
    async fn long_poll_wakes_on_new_messages_and_on_close() {
        let sandbox = std::sync::Arc::new(Sandbox::new());
        let s = sandbox.clone();
        let poll = tokio::spawn(async move {
            s.wait_for_conversation("62812", None, 0, Duration::from_secs(5))
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        sandbox.record_inbound("n1", "62812", "w", &json!({}));
        let got = poll.await.expect("poll task");
        assert_eq!(got.len(), 1);
        sandbox.close();
        let started = std::time::Instant::now();
        let none = sandbox
            .wait_for_conversation("62812", None, 10, Duration::from_secs(5))
            .await;
        assert!(none.is_empty());
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
