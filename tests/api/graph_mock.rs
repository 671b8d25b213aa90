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
    media: HashMap<String, MockMedia>,
    wamids_issued: u64,
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
                Some(r) => {
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
