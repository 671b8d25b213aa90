//! The Graph API client: sends messages, marks messages read, downloads media (see
//! [`super::media`]). One `reqwest::Client` with timeouts and an injectable base URL, so tests
//! point it at a mock server.

use std::time::Duration;

use serde_json::{json, Value};

use super::error::{ApiError, GraphError};
use crate::config::Secret;
use crate::domain::mask::mask_digits;

/// Connecting should be quick even when the whole request may take longer; a slow connect means
/// the network is down and the outbox should back off rather than wait.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Media files can be 100 MB; they get their own, longer timeout. Meta's media URLs live
/// 5 minutes, so waiting longer than that is pointless.
pub const DEFAULT_MEDIA_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Graph JSON answers are small; a bigger one is not a Graph answer, and is not read whole.
const MAX_JSON_RESPONSE: u64 = 1024 * 1024;

/// A message Meta accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub wamid: String,
}

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    /// `{WHATSAPP_GRAPH_URL}` without a trailing slash, version included.
    base_url: String,
    access_token: Secret,
    media_timeout: Duration,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base_url", &self.base_url)
            .field("access_token", &self.access_token)
            .finish()
    }
}

impl GraphClient {
    /// `base_url` already carries the version (`https://graph.facebook.com/v24.0`); `timeout`
    /// bounds every JSON request from connect to last byte.
    pub fn new(
        base_url: &str,
        access_token: Secret,
        timeout: Duration,
    ) -> Result<Self, GraphError> {
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(GraphError::Config(format!(
                "base url {base_url:?} must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            .timeout(timeout)
            .user_agent(concat!("kentongan/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Config(e.to_string()))?;
        Ok(GraphClient {
            http,
            base_url,
            access_token,
            media_timeout: DEFAULT_MEDIA_TIMEOUT,
        })
    }

    /// Override the total timeout of a media file download (not of its metadata request).
    pub fn with_media_timeout(mut self, timeout: Duration) -> Self {
        self.media_timeout = timeout;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path.trim_start_matches('/'))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn token(&self) -> &str {
        self.access_token.expose()
    }

    pub(crate) fn media_timeout(&self) -> Duration {
        self.media_timeout
    }

    /// Send one message: `request` is the body of `POST /{phone_number_id}/messages`, as built by
    /// [`super::OutboundBody::to_request`].
    pub async fn send(
        &self,
        phone_number_id: &str,
        request: &Value,
    ) -> Result<SentMessage, GraphError> {
        // Residents with only a username are addressed by `recipient` (a BSUID) instead of `to`.
        let recipient = request
            .get("to")
            .or_else(|| request.get("recipient"))
            .and_then(Value::as_str)
            .map(mask_digits)
            .unwrap_or_default();
        let kind = request.get("type").and_then(Value::as_str).unwrap_or("?");
        let body = self
            .post_messages(phone_number_id, request)
            .await
            .inspect_err(|e| {
                tracing::warn!(phone_number_id, to = %recipient, kind, error = %e, "send failed");
            })?;
        let wamid = body
            .pointer("/messages/0/id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                GraphError::InvalidResponse("success response without messages[0].id".into())
            })?
            .to_string();
        tracing::info!(phone_number_id, to = %recipient, kind, %wamid, "message sent");
        Ok(SentMessage { wamid })
    }

    /// Mark an inbound message (and everything before it) read: blue ticks for the resident.
    /// With `typing_indicator` the resident also sees "typing…" until our reply or 25 s pass.
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        wamid: &str,
        typing_indicator: bool,
    ) -> Result<(), GraphError> {
        let mut request = json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
        });
        if typing_indicator {
            request["typing_indicator"] = json!({ "type": "text" });
        }
        let body = self
            .post_messages(phone_number_id, &request)
            .await
            .inspect_err(|e| {
                tracing::warn!(phone_number_id, %wamid, error = %e, "mark read failed");
            })?;
        if body.get("success").and_then(Value::as_bool) == Some(false) {
            return Err(GraphError::InvalidResponse(
                "mark read answered success: false".into(),
            ));
        }
        tracing::debug!(phone_number_id, %wamid, typing_indicator, "marked read");
        Ok(())
    }

    async fn post_messages(
        &self,
        phone_number_id: &str,
        request: &Value,
    ) -> Result<Value, GraphError> {
        let response = self
            .http
            .post(self.url(&format!("{phone_number_id}/messages")))
            .bearer_auth(self.token())
            .json(request)
            .send()
            .await?;
        json_response(response).await
    }

    /// `GET {base}/{path}` with the token, answered with JSON.
    pub(crate) async fn get_json(&self, path: &str) -> Result<Value, GraphError> {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(self.token())
            .send()
            .await?;
        json_response(response).await
    }
}

/// A success status gives its JSON body; anything else becomes an [`ApiError`].
pub(crate) async fn json_response(response: reqwest::Response) -> Result<Value, GraphError> {
    let status = response.status();
    if !status.is_success() {
        return Err(error_response(response).await);
    }
    let body = read_capped(response, MAX_JSON_RESPONSE).await?;
    serde_json::from_slice(&body).map_err(|e| {
        GraphError::InvalidResponse(format!("HTTP {status} with a non-JSON body: {e}"))
    })
}

/// The error a non-success response stands for.
pub(crate) async fn error_response(response: reqwest::Response) -> GraphError {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // An error body cut short (or unreadable) still classifies by status.
    let body = read_capped(response, MAX_JSON_RESPONSE)
        .await
        .unwrap_or_default();
    ApiError::from_response(status, &body, retry_after.as_deref()).into()
}

/// Read a whole body, refusing to hold more than `cap` bytes.
async fn read_capped(mut response: reqwest::Response, cap: u64) -> Result<Vec<u8>, GraphError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(GraphError::InvalidResponse(format!(
                "response body larger than {cap} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised_and_checked() {
        let c = GraphClient::new(
            "http://127.0.0.1:1/v24.0/",
            Secret::new("t"),
            Duration::from_secs(1),
        )
        .expect("client");
        assert_eq!(
            c.url("/123/messages"),
            "http://127.0.0.1:1/v24.0/123/messages"
        );
        assert!(GraphClient::new("graph", Secret::new("t"), Duration::from_secs(1)).is_err());
        // The token never shows in Debug output.
        let shown = format!(
            "{:?}",
            GraphClient::new(
                "https://x/v1",
                Secret::new("EAAtoken"),
                Duration::from_secs(1)
            )
            .expect("client")
        );
        assert!(!shown.contains("EAAtoken"), "{shown}");
    }
}
