//! The Graph API client: sends messages, marks messages read, uploads media for sending,
//! downloads media (see [`super::media`]). One `reqwest::Client` with timeouts and an injectable
//! base URL, so tests point it at a mock server.

use std::time::Duration;

use serde_json::{json, Value};

use super::error::{ApiError, GraphError};
use super::media::{checked_media_id, mime_essence};
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

    /// Upload a file for sending (`POST /{phone_number_id}/media`, multipart: `messaging_product`,
    /// `type` and `file`); returns the media id to send it with. Media received from residents
    /// cannot be re-sent by their id, so our own copy goes up. Errors are those of
    /// [`GraphClient::send`], classified the same way. The whole request may take the media
    /// timeout, not the JSON one.
    ///
    /// `mime_type` is reduced to its essence, and to `application/octet-stream` when it is not a
    /// plain `type/subtype`; `filename` (shown to the recipient of a document) to `[A-Za-z0-9._-]`.
    pub async fn upload_media(
        &self,
        phone_number_id: &str,
        bytes: bytes::Bytes,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let mime_type = upload_mime_type(mime_type);
        let size = bytes.len();
        let form = multipart::Form::new(&bytes)
            .text("messaging_product", "whatsapp")
            .text("type", &mime_type)
            .file("file", &upload_filename(filename), &mime_type, &bytes);
        let response = self
            .http
            .post(self.url(&format!("{phone_number_id}/media")))
            .bearer_auth(self.token())
            .timeout(self.media_timeout)
            .header(reqwest::header::CONTENT_TYPE, form.content_type())
            .body(form.finish())
            .send()
            .await;
        let body = match response {
            Ok(response) => json_response(response).await,
            Err(e) => Err(e.into()),
        }
        .inspect_err(|e| {
            tracing::warn!(phone_number_id, %mime_type, size, error = %e, "media upload failed");
        })?;
        let media_id = body
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| checked_media_id(id).is_ok())
            .ok_or_else(|| {
                GraphError::InvalidResponse("media upload answered without a usable id".into())
            })?
            .to_string();
        tracing::info!(phone_number_id, %mime_type, size, %media_id, "media uploaded");
        Ok(media_id)
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

/// The MIME type as sent in the upload's `type` field and the file part's `Content-Type`: the
/// essence only, and nothing that could break out of a header.
fn upload_mime_type(mime_type: &str) -> String {
    let essence = mime_essence(mime_type);
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => essence,
        _ => "application/octet-stream".to_string(),
    }
}

/// A file name safe to put in a `Content-Disposition` header as is.
fn upload_filename(filename: &str) -> String {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "lampiran".to_string()
    } else {
        safe.to_string()
    }
}

/// Just enough of `multipart/form-data` (RFC 7578) for Meta's upload endpoint: text fields and
/// one file, names and file names already header-safe. (reqwest's own `multipart` feature would
/// add dependencies for what is a few lines here.)
mod multipart {
    pub struct Form {
        boundary: String,
        body: Vec<u8>,
    }

    impl Form {
        /// A form whose boundary does not occur in `content` (the file it will carry).
        pub fn new(content: &[u8]) -> Self {
            loop {
                // 128 random bits: only astronomical bad luck puts them in a file, but check.
                let boundary = format!("kentongan-{:032x}", rand::random::<u128>());
                if !contains(content, boundary.as_bytes()) {
                    return Form {
                        boundary,
                        body: Vec::new(),
                    };
                }
            }
        }

        pub fn content_type(&self) -> String {
            format!("multipart/form-data; boundary={}", self.boundary)
        }

        fn open_part(&mut self, disposition: &str) {
            self.body.extend_from_slice(b"--");
            self.body.extend_from_slice(self.boundary.as_bytes());
            self.body
                .extend_from_slice(b"\r\nContent-Disposition: form-data; ");
            self.body.extend_from_slice(disposition.as_bytes());
            self.body.extend_from_slice(b"\r\n");
        }

        pub fn text(mut self, name: &str, value: &str) -> Self {
            self.open_part(&format!("name=\"{name}\""));
            self.body.extend_from_slice(b"\r\n");
            self.body.extend_from_slice(value.as_bytes());
            self.body.extend_from_slice(b"\r\n");
            self
        }

        pub fn file(
            mut self,
            name: &str,
            filename: &str,
            content_type: &str,
            bytes: &[u8],
        ) -> Self {
            self.body.reserve(bytes.len() + 256);
            self.open_part(&format!("name=\"{name}\"; filename=\"{filename}\""));
            self.body
                .extend_from_slice(format!("Content-Type: {content_type}\r\n\r\n").as_bytes());
            self.body.extend_from_slice(bytes);
            self.body.extend_from_slice(b"\r\n");
            self
        }

        pub fn finish(mut self) -> Vec<u8> {
            self.body.extend_from_slice(b"--");
            self.body.extend_from_slice(self.boundary.as_bytes());
            self.body.extend_from_slice(b"--\r\n");
            self.body
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_fields_are_header_safe() {
        assert_eq!(upload_mime_type("image/jpeg"), "image/jpeg");
        assert_eq!(upload_mime_type("Audio/OGG; codecs=opus"), "audio/ogg");
        assert_eq!(
            upload_mime_type("image/jpeg\r\nX-Evil: 1"),
            "application/octet-stream"
        );
        assert_eq!(upload_mime_type(""), "application/octet-stream");
        assert_eq!(upload_filename("KLP-0042-ktp.pdf"), "KLP-0042-ktp.pdf");
        assert_eq!(upload_filename("a\"b\r\n.pdf"), "a_b__.pdf");
        assert_eq!(upload_filename("../../x.pdf"), "_.._x.pdf");
        assert_eq!(upload_filename(".."), "lampiran");
    }

    #[test]
    fn multipart_body_has_every_part() {
        let form = multipart::Form::new(b"%PDF-1.4")
            .text("messaging_product", "whatsapp")
            .file("file", "a.pdf", "application/pdf", b"%PDF-1.4");
        let content_type = form.content_type();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary")
            .to_string();
        let body = String::from_utf8(form.finish()).expect("text body");
        assert_eq!(
            body,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
                 Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--{boundary}--\r\n"
            )
        );
    }

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
