//! A stand-in for Meta's Graph API on a real socket (127.0.0.1, random port), for any test that
//! makes Kentongan talk to WhatsApp: the Graph client's tests, the outbox worker's, media intake.
//!
//! ```ignore
//! let mock = GraphMock::start().await;
//! let client = GraphClient::new(&mock.base_url(), Secret::new(GraphMock::TOKEN), timeout)?;
//! mock.push_response(MockResponse::graph_error(400, 131047, "Re-engagement message"));
//! // … the first POST …/messages gets that error, later ones succeed with wamid.mock.N …
//! let sent = mock.message_requests();
//! assert_eq!(sent[0].json(), expected_body);
//! ```
//!
//! What it serves (everything under `/{VERSION}` needs `Authorization: Bearer {token}`, otherwise
//! it answers 401 with Graph error code 190 like Meta does):
//! - `POST /{VERSION}/{phone_number_id}/messages`: the next queued [`MockResponse`] if any, else
//!   `200 {"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid.mock.N"}]}`
//!   (N counts from 1 per mock). Sends and mark-reads both use this endpoint and share the queue.
//! - `GET /{VERSION}/{media_id}`: metadata of media registered with [`GraphMock::add_media`]
//!   (its `url` points back at this mock), else 400 with code 100 as Meta answers unknown ids.
//! - `GET /media/{media_id}`: the registered bytes; also requires the Bearer token.
//! - `POST /{VERSION}/{phone_number_id}/media` (a `multipart/form-data` upload): the next queued
//!   upload response ([`GraphMock::push_upload_response`]) if any; else, when the form parses
//!   and has `messaging_product=whatsapp`, `type` and a `file` part with a file name and a
//!   content type, `200 {"id": "<digits>"}` (the file is then also served as that media id);
//!   else 400 with code 100, as Meta answers a malformed upload. The parts are recorded
//!   ([`RecordedRequest::form_parts`]) by a parser of its own, not the client's encoder.
//!
//! Every request is recorded (method, path, query, headers, body) before it is answered, including
//! the refused ones, so tests can assert on what was sent and on what was *not* downloaded.

#![allow(dead_code)] // A shared helper: not every test binary module uses every method.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path only, e.g. `/v24.0/1122334455667/messages`.
    pub path: String,
    pub query: Option<String>,
    /// Header names lowercased; repeated headers keep the last value.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The body parsed as JSON (`Value::Null` when it is empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn authorization(&self) -> Option<&str> {
        self.header("authorization")
    }

    /// True for `POST …/messages` (sends and mark-reads).
    pub fn is_message_post(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/messages")
    }

    /// True for `POST /{version}/{phone_number_id}/media` (uploads).
    pub fn is_media_upload(&self) -> bool {
        self.method == "POST"
            && self.path.ends_with("/media")
            && self.path.matches('/').count() == 3
    }

    /// The body's parts when it is `multipart/form-data`; the error says what is malformed.
    pub fn form_parts(&self) -> Result<Vec<FormPart>, String> {
        parse_multipart(self.header("content-type").unwrap_or(""), &self.body)
    }

    /// The form part called `name` (panics with the parts when missing or malformed).
    pub fn form_part(&self, name: &str) -> FormPart {
        let parts = self
            .form_parts()
            .unwrap_or_else(|e| panic!("not a multipart form: {e}"));
        parts
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("no part {name:?} among {parts:?}"))
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Clone, PartialEq, Eq)]
pub struct FormPart {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl FormPart {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

impl std::fmt::Debug for FormPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A file's bytes would drown the report: show text fields, and a file's size.
        let data = match &self.filename {
            Some(_) => format!("<{} bytes>", self.data.len()),
            None => self.text(),
        };
        f.debug_struct("FormPart")
            .field("name", &self.name)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("data", &data)
            .finish()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A strict RFC 7578 reader: every part delimited by `--boundary` lines with CRLFs, headers
/// then a blank line, a closing `--boundary--`. Anything else is an error.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<FormPart>, String> {
    let mut params = content_type.split(';').map(str::trim);
    if !params
        .next()
        .is_some_and(|t| t.eq_ignore_ascii_case("multipart/form-data"))
    {
        return Err(format!(
            "content type {content_type:?} is not multipart/form-data"
        ));
    }
    let boundary = params
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or_else(|| format!("no usable boundary in {content_type:?}"))?;
    let delimiter = format!("--{boundary}");
    let mut rest = body
        .strip_prefix(delimiter.as_bytes())
        .ok_or("the body does not start with the boundary")?;
    let mut parts = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(b"--") {
            if !(after.is_empty() || after == b"\r\n") {
                return Err("bytes after the closing boundary".into());
            }
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("no CRLF after a boundary")?;
        let end = find(rest, b"\r\n\r\n").ok_or("part headers never end")?;
        let headers = std::str::from_utf8(&rest[..end]).map_err(|_| "non-UTF-8 part headers")?;
        rest = &rest[end + 4..];
        let next_delimiter = format!("\r\n{delimiter}");
        let end = find(rest, next_delimiter.as_bytes()).ok_or("a part never ends")?;
        let data = rest[..end].to_vec();
        rest = &rest[end + next_delimiter.len()..];
        let mut part = FormPart {
            name: String::new(),
            filename: None,
            content_type: None,
            data,
        };
        for line in headers.split("\r\n") {
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| format!("bad part header {line:?}"))?;
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    let mut fields = value.split(';').map(str::trim);
                    if fields.next() != Some("form-data") {
                        return Err(format!("disposition {value:?} is not form-data"));
                    }
                    for field in fields {
                        let (k, v) = field
                            .split_once('=')
                            .ok_or_else(|| format!("bad disposition field {field:?}"))?;
                        let v = v
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .ok_or_else(|| format!("unquoted {k} in {value:?}"))?;
                        match k {
                            "name" => part.name = v.to_string(),
                            "filename" => part.filename = Some(v.to_string()),
                            other => return Err(format!("unknown disposition field {other:?}")),
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_string()),
                other => return Err(format!("unexpected part header {other:?}")),
            }
        }
        if part.name.is_empty() {
            return Err(format!("a part without a name: {headers:?}"));
        }
        parts.push(part);
    }
}

/// A scripted answer to one `POST …/messages`.
#[derive(Debug, Clone)]
pub struct MockResponse {
    pub status: u16,
    pub body: Value,
    /// Wait this long before answering (longer than the client's timeout simulates a timeout).
    pub delay: Option<Duration>,
    /// Sent as the `Retry-After` header.
    pub retry_after: Option<String>,
}

impl MockResponse {
    /// Any status and JSON body.
    pub fn new(status: u16, body: Value) -> Self {
        MockResponse {
            status,
            body,
            delay: None,
            retry_after: None,
        }
    }

    /// A successful send with a chosen wamid.
    pub fn sent(wamid: &str) -> Self {
        Self::new(200, success_body(wamid))
    }

    /// Meta's error shape: `{"error":{"message","type","code","error_data":{"details"},"fbtrace_id"}}`.
    pub fn graph_error(status: u16, code: i64, message: &str) -> Self {
        Self::new(status, graph_error_body(code, message))
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    pub fn with_retry_after(mut self, value: impl Into<String>) -> Self {
        self.retry_after = Some(value.into());
        self
    }
}

fn success_body(wamid: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "recipient", "wa_id": "recipient"}],
        "messages": [{"id": wamid}],
    })
}

fn graph_error_body(code: i64, message: &str) -> Value {
    json!({"error": {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": "AmockTrace",
    }})
}

/// A media file the mock serves. `announced_*` is what the metadata claims, which tests may set
/// to lie about the real bytes.
#[derive(Debug, Clone)]
pub struct MockMedia {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    pub announced_sha256: String,
    pub announced_size: u64,
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    queue: VecDeque<MockResponse>,
    upload_queue: VecDeque<MockResponse>,
    media: HashMap<String, MockMedia>,
    wamids_issued: u64,
    uploads_issued: u64,
}

struct Shared {
    state: Mutex<State>,
    token: String,
    origin: String,
    notify: tokio::sync::Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has already failed; keep serving others.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running mock. Dropping it stops the server.
pub struct GraphMock {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl GraphMock {
    /// The Graph API version in the base URL.
    pub const VERSION: &'static str = "v24.0";
    /// The access token [`GraphMock::start`] expects.
    pub const TOKEN: &'static str = "test-access-token";

    /// Start with the default token [`GraphMock::TOKEN`].
    pub async fn start() -> Self {
        Self::start_with_token(Self::TOKEN).await
    }

    /// Start a mock that accepts only `Authorization: Bearer {token}`.
    pub async fn start_with_token(token: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Graph mock");
        let addr = listener.local_addr().expect("mock address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            token: token.to_string(),
            origin: format!("http://{addr}"),
            notify: tokio::sync::Notify::new(),
        });
        let handler_state = shared.clone();
        let router = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let shared = handler_state.clone();
                async move { handle(shared, method, uri, headers, body).await }
            },
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        GraphMock {
            addr,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:PORT/v24.0`: what `WHATSAPP_GRAPH_URL` should be set to.
    pub fn base_url(&self) -> String {
        format!("http://{}/{}", self.addr, Self::VERSION)
    }

    /// The URL the metadata of `media_id` points at.
    pub fn media_url(&self, media_id: &str) -> String {
        format!("{}/media/{media_id}", self.shared.origin)
    }

    /// Answer the next `POST …/messages` with `response` (queued after earlier ones).
    pub fn push_response(&self, response: MockResponse) {
        self.shared.lock().queue.push_back(response);
    }

    /// Answer the next `n` `POST …/messages` with `response`.
    pub fn push_responses(&self, n: usize, response: MockResponse) {
        let mut state = self.shared.lock();
        for _ in 0..n {
            state.queue.push_back(response.clone());
        }
    }

    /// Scripted responses not used yet.
    pub fn pending_responses(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Answer the next `POST …/media` (upload) with `response`, queued after earlier ones.
    pub fn push_upload_response(&self, response: MockResponse) {
        self.shared.lock().upload_queue.push_back(response);
    }

    /// Answer the next `n` uploads with `response`.
    pub fn push_upload_responses(&self, n: usize, response: MockResponse) {
        let mut state = self.shared.lock();
        for _ in 0..n {
            state.upload_queue.push_back(response.clone());
        }
    }

    /// The `POST …/media` uploads so far, in arrival order.
    pub fn upload_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_media_upload)
            .collect()
    }

    /// The media id the `n`th successful default upload answer carries (from 1).
    pub fn uploaded_media_id(n: u64) -> String {
        format!("{}", 880_000_000_000_000u64 + n)
    }

    /// Serve `bytes` as media `id`, announcing `announced_sha256` (hex or base64, sent as is)
    /// and `announced_size` in its metadata.
    pub fn add_media(
        &self,
        id: &str,
        bytes: impl Into<Vec<u8>>,
        mime_type: &str,
        announced_sha256: &str,
        announced_size: u64,
    ) {
        self.shared.lock().media.insert(
            id.to_string(),
            MockMedia {
                bytes: bytes.into(),
                mime_type: mime_type.to_string(),
                announced_sha256: announced_sha256.to_string(),
                announced_size,
            },
        );
    }

    /// Serve `bytes` as media `id` with truthful metadata (lowercase hex sha256, real size).
    pub fn add_honest_media(&self, id: &str, bytes: impl Into<Vec<u8>>, mime_type: &str) {
        let bytes = bytes.into();
        let sha = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.add_media(id, bytes, mime_type, &sha, size);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The `POST …/messages` requests so far, in arrival order.
    pub fn message_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_message_post)
            .collect()
    }

    /// Requests whose path is exactly `path`.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Forget the recorded requests (the queue and media stay).
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Wait until at least `n` `POST …/messages` have arrived (for background workers); panics
    /// after `timeout` with what did arrive.
    pub async fn wait_for_message_requests(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Vec<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before checking, so a request between check and wait is not lost.
            let notified = self.shared.notify.notified();
            let got = self.message_requests();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "expected {n} message requests within {timeout:?}, got {}: {:?}",
                    got.len(),
                    got.iter().map(RecordedRequest::json).collect::<Vec<_>>()
                );
            }
        }
    }
}

impl Drop for GraphMock {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body.clone())).into_response()
}

fn unauthorized() -> Response {
    json_response(
        401,
        &graph_error_body(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        ),
    )
}

async fn scripted_response(r: MockResponse) -> Response {
    if let Some(delay) = r.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = json_response(r.status, &r.body);
    if let Some(after) = r.retry_after.as_deref() {
        if let Ok(value) = after.parse() {
            response.headers_mut().insert("retry-after", value);
        }
    }
    response
}

/// What Meta insists on in an upload; gives the file part.
fn checked_upload(parts: Vec<FormPart>) -> Result<FormPart, String> {
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(FormPart::text)
    };
    if text("messaging_product").as_deref() != Some("whatsapp") {
        return Err("messaging_product must be whatsapp".into());
    }
    let mime_type = text("type").ok_or("the type (MIME type) is missing")?;
    let file = parts
        .iter()
        .find(|p| p.name == "file")
        .ok_or("the file is missing")?;
    if file.filename.is_none() || file.data.is_empty() {
        return Err("file must be a non-empty file part with a file name".into());
    }
    if file.content_type.as_deref() != Some(mime_type.as_str()) {
        return Err(format!(
            "the file's content type {:?} is not the type {mime_type:?}",
            file.content_type
        ));
    }
    Ok(file.clone())
}

async fn handle(
    shared: Arc<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    let authorized = request.authorization() == Some(&format!("Bearer {}", shared.token));
    let segments: Vec<String> = request
        .path
        .trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect();
    let is_message_post = request.is_message_post();
    let form = request.is_media_upload().then(|| request.form_parts());
    shared.lock().requests.push(request);
    shared.notify.notify_waiters();

    if !authorized {
        return unauthorized();
    }
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method, segments.as_slice()) {
        (Method::POST, [version, _phone_number_id, "messages"])
            if *version == GraphMock::VERSION && is_message_post =>
        {
            let scripted = shared.lock().queue.pop_front();
            match scripted {
                Some(r) => scripted_response(r).await,
                None => {
                    let wamid = {
                        let mut state = shared.lock();
                        state.wamids_issued += 1;
                        format!("wamid.mock.{}", state.wamids_issued)
                    };
                    json_response(200, &success_body(&wamid))
                }
            }
        }
        (Method::POST, [version, _phone_number_id, "media"]) if *version == GraphMock::VERSION => {
            let scripted = shared.lock().upload_queue.pop_front();
            if let Some(r) = scripted {
                return scripted_response(r).await;
            }
            match form
                .unwrap_or_else(|| Err("not an upload".into()))
                .and_then(checked_upload)
            {
                Ok(upload) => {
                    let id = {
                        let mut state = shared.lock();
                        state.uploads_issued += 1;
                        let id = GraphMock::uploaded_media_id(state.uploads_issued);
                        let sha = hex::encode(Sha256::digest(&upload.data));
                        let size = upload.data.len() as u64;
                        let mime_type = upload.content_type.clone().unwrap_or_default();
                        state.media.insert(
                            id.clone(),
                            MockMedia {
                                bytes: upload.data,
                                mime_type,
                                announced_sha256: sha,
                                announced_size: size,
                            },
                        );
                        id
                    };
                    json_response(200, &json!({ "id": id }))
                }
                Err(e) => json_response(
                    400,
                    &graph_error_body(100, &format!("Invalid parameter: {e}")),
                ),
            }
        }
        (Method::GET, [version, media_id]) if *version == GraphMock::VERSION => {
            let media = shared.lock().media.get(*media_id).cloned();
            match media {
                Some(m) => json_response(
                    200,
                    &json!({
                        "messaging_product": "whatsapp",
                        "url": format!("{}/media/{media_id}", shared.origin),
                        "mime_type": m.mime_type,
                        "sha256": m.announced_sha256,
                        "file_size": m.announced_size,
                        "id": media_id,
                    }),
                ),
                None => json_response(
                    400,
                    &graph_error_body(
                        100,
                        "Unsupported get request. Object with ID does not exist",
                    ),
                ),
            }
        }
        (Method::GET, ["media", media_id]) => {
            let media = shared.lock().media.get(*media_id).cloned();
            match media {
                Some(m) => (
                    StatusCode::OK,
                    [(axum::http::header::CONTENT_TYPE, m.mime_type)],
                    m.bytes,
                )
                    .into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
        _ => json_response(
            404,
            &graph_error_body(100, "Unknown path components in the mock"),
        ),
    }
}
