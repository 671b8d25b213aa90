//! The local stand-in for Meta when no access token is configured: outbound messages land here
//! instead of the Graph API, so the chat simulator can show them. Everything before this point
//! (webhook, dialogue, outbox, worker) is the production code path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use super::{GraphError, SentMessage};

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
