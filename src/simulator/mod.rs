//! The sandbox chat simulator: a web page (and `kentongan simulate` in the terminal) where
//! anyone can play a resident before the village has a Meta account.
//!
//! Nothing here short-cuts the production path. A resident's message is turned into the Cloud
//! API webhook payload Meta would send, signed with the app secret, and posted over HTTP to this
//! server's own `/webhook`; the bot's answers go through the outbox worker into the sandbox,
//! from where the page long-polls them. Served only in sandbox mode (no access token).
//!
//! Every POST must carry `X-Simulator-Token`, a random token made at start-up and embedded in the
//! page: a custom header cannot be sent cross-site without a CORS preflight, which is never
//! allowed here, so another site cannot make a visitor's browser talk to the simulator.

pub mod terminal;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::AppState;
use crate::config::{Settings, VillageConfig};
use crate::domain::WaId;
use crate::outbound::sandbox::{ConversationEntry, Sandbox, MAX_MEDIA_BYTES};
use crate::webhook::signature;

/// The header carrying the simulator's anti-CSRF token.
pub const TOKEN_HEADER: &str = "x-simulator-token";
/// Longest a `GET /simulator/api/messages` waits for something new.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// WhatsApp's limits for what a resident can type.
const MAX_TEXT: usize = 4096;
const MAX_NAME: usize = 100;
const MAX_REPLY_ID: usize = 256;
const MAX_CAPTION: usize = 1024;
/// Attempts at posting one webhook when the server answers 503 (Meta retries too).
const WEBHOOK_ATTEMPTS: u32 = 3;

/// What the simulator's routes share: the anti-CSRF token and an HTTP client for the webhook.
struct Session {
    token: String,
    client: reqwest::Client,
}

impl Session {
    fn new() -> Self {
        Self {
            token: random_hex(24),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }
}

/// The simulator's routes; they answer 404 unless the server runs in sandbox mode.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/simulator", get(page))
        .route("/simulator/api/session", get(session))
        .route("/simulator/api/send", post(send_text))
        .route("/simulator/api/reply", post(send_reply))
        .route(
            "/simulator/api/photo",
            post(send_photo).layer(DefaultBodyLimit::max(MAX_MEDIA_BYTES)),
        )
        .route("/simulator/api/messages", get(messages))
        .route("/simulator/api/media/{id}", get(media))
        .layer(Extension(Arc::new(Session::new())))
}

/// Errors of the simulator's API, answered as `{"error": "…"}` in Bahasa Indonesia (the page
/// shows them to the person trying it out).
#[derive(Debug, thiserror::Error)]
enum SimError {
    #[error("simulator hanya tersedia dalam mode sandbox")]
    NotSandbox,
    #[error("token simulator tidak ada atau salah; muat ulang halaman")]
    BadToken,
    #[error("hanya bisa diminta dari komputer ini (loopback)")]
    NotLoopback,
    #[error("{0}")]
    BadRequest(String),
    #[error("foto lebih besar dari 5 MB")]
    TooLarge,
    #[error("tidak ditemukan")]
    NotFound,
    #[error("webhook server ini tidak terjangkau: {0}")]
    Unreachable(String),
    #[error("halaman tidak dapat disusun")]
    Render,
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let status = match &self {
            SimError::NotSandbox | SimError::NotFound => StatusCode::NOT_FOUND,
            SimError::BadToken | SimError::NotLoopback => StatusCode::FORBIDDEN,
            SimError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SimError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            SimError::Unreachable(_) => StatusCode::BAD_GATEWAY,
            SimError::Render => StatusCode::INTERNAL_SERVER_ERROR,
        };
        match &self {
            SimError::Unreachable(_) | SimError::Render => {
                tracing::error!(error = %self, "simulator request failed")
            }
            SimError::BadToken => tracing::warn!("simulator request refused: bad token"),
            _ => tracing::debug!(error = %self, "simulator request refused"),
        }
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

fn sandbox(state: &AppState) -> Result<&Arc<Sandbox>, SimError> {
    state.sandbox().ok_or(SimError::NotSandbox)
}

fn check_token(session: &Session, headers: &HeaderMap) -> Result<(), SimError> {
    let given = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if signature::constant_time_eq(given.as_bytes(), session.token.as_bytes()) {
        Ok(())
    } else {
        Err(SimError::BadToken)
    }
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, SimError> {
    body.map(|Json(v)| v)
        .map_err(|e| SimError::BadRequest(format!("isi permintaan tidak dapat dibaca: {e}")))
}

// ---------------------------------------------------------------------------------------------
// The page

#[derive(Template)]
#[template(path = "simulator/index.html")]
struct PageTemplate<'a> {
    token: &'a str,
    nonce: &'a str,
    villages: Vec<VillageOption<'a>>,
}

struct VillageOption<'a> {
    id: &'a str,
    name: &'a str,
}

/// `GET /simulator`: the chat page.
async fn page(
    State(state): State<AppState>,
    Extension(session): Extension<Arc<Session>>,
) -> Result<Response, SimError> {
    sandbox(&state)?;
    let nonce = random_hex(16);
    let html = PageTemplate {
        token: &session.token,
        nonce: &nonce,
        villages: state
            .villages()
            .iter()
            .map(|v| VillageOption {
                id: &v.id,
                name: &v.name,
            })
            .collect(),
    }
    .render()
    .map_err(|e| {
        tracing::error!(error = %e, "simulator template failed");
        SimError::Render
    })?;
    // The only script allowed is the page's own inline one: whatever a resident or the bot
    // wrote can never run, even if it reached the page unescaped.
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; \
         img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html,
    )
        .into_response();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// The session (for the terminal client)

#[derive(Debug, Serialize, Deserialize)]
pub struct SessionInfo {
    pub token: String,
    pub villages: Vec<SessionVillage>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SessionVillage {
    pub id: String,
    pub name: String,
}

/// `GET /simulator/api/session`: the token and the villages, for `kentongan simulate`. Only for
/// callers on this machine; a browser gets the token inside the page instead.
async fn session(
    State(state): State<AppState>,
    Extension(session): Extension<Arc<Session>>,
    request: Request,
) -> Result<Json<SessionInfo>, SimError> {
    sandbox(&state)?;
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
    if !loopback {
        return Err(SimError::NotLoopback);
    }
    Ok(Json(SessionInfo {
        token: session.token.clone(),
        villages: state
            .villages()
            .iter()
            .map(|v| SessionVillage {
                id: v.id.clone(),
                name: v.name.clone(),
            })
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Sending as a resident

/// Who is typing, and to which village.
#[derive(Debug, Deserialize)]
struct ResidentInput {
    village: String,
    number: String,
    #[serde(default)]
    name: String,
}

/// A resident checked and normalised.
struct Resident<'a> {
    village: &'a VillageConfig,
    phone_number_id: String,
    wa_id: String,
    name: String,
}

fn resident<'a>(state: &'a AppState, input: &ResidentInput) -> Result<Resident<'a>, SimError> {
    let village = state
        .villages()
        .iter()
        .find(|v| v.id == input.village.trim())
        .ok_or_else(|| SimError::BadRequest(format!("desa {:?} tidak dikenal", input.village)))?;
    let wa_id =
        WaId::parse(&input.number).map_err(|e| SimError::BadRequest(e.friendly_message()))?;
    let name = input.name.trim();
    let name = if name.is_empty() {
        "Warga Simulator".to_string()
    } else {
        name.chars().take(MAX_NAME).collect()
    };
    Ok(Resident {
        village,
        phone_number_id: Settings::routing_number(village),
        wa_id: wa_id.as_str().to_string(),
        name,
    })
}

/// What a send answers: the webhook's status, and the wamid and sequence number the message
/// got (the bot's answers come after `seq`).
#[derive(Debug, Serialize, Deserialize)]
pub struct SendResult {
    pub webhook_status: u16,
    pub wamid: String,
    pub seq: u64,
}

#[derive(Debug, Deserialize)]
struct SendText {
    #[serde(flatten)]
    resident: ResidentInput,
    text: String,
}

/// `POST /simulator/api/send` `{village, number, name, text}`.
async fn send_text(
    State(state): State<AppState>,
    Extension(session): Extension<Arc<Session>>,
    headers: HeaderMap,
    body: Result<Json<SendText>, JsonRejection>,
) -> Result<Response, SimError> {
    let sandbox = sandbox(&state)?;
    check_token(&session, &headers)?;
    let input = json_body(body)?;
    let resident = resident(&state, &input.resident)?;
    let text = input.text.trim();
    if text.is_empty() {
        return Err(SimError::BadRequest("pesan kosong".into()));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(SimError::BadRequest(format!(
            "pesan lebih dari {MAX_TEXT} karakter"
        )));
    }
    let message = json!({ "type": "text", "text": { "body": text } });
    deliver(&state, &session, sandbox, &resident, message).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ReplyKind {
    Button,
    List,
}

#[derive(Debug, Deserialize)]
struct SendReply {
    #[serde(flatten)]
    resident: ResidentInput,
    id: String,
    title: String,
    kind: ReplyKind,
    /// The wamid of the bot's message whose button or row was tapped (WhatsApp sends it as the
    /// reply's context).
    #[serde(default)]
    context: Option<String>,
}

/// `POST /simulator/api/reply` `{village, number, name, id, title, kind: "button"|"list"}`.
async fn send_reply(
    State(state): State<AppState>,
    Extension(session): Extension<Arc<Session>>,
    headers: HeaderMap,
    body: Result<Json<SendReply>, JsonRejection>,
) -> Result<Response, SimError> {
    let sandbox = sandbox(&state)?;
    check_token(&session, &headers)?;
    let input = json_body(body)?;
    let resident = resident(&state, &input.resident)?;
    for (what, value) in [("id", &input.id), ("title", &input.title)] {
        if value.trim().is_empty() || value.chars().count() > MAX_REPLY_ID {
            return Err(SimError::BadRequest(format!(
                "{what} pilihan kosong atau terlalu panjang"
            )));
        }
    }
    let reply = json!({ "id": input.id, "title": input.title });
    let interactive = match input.kind {
        ReplyKind::Button => json!({ "type": "button_reply", "button_reply": reply }),
        ReplyKind::List => json!({ "type": "list_reply", "list_reply": reply }),
    };
    let mut message = json!({ "type": "interactive", "interactive": interactive });
    if let Some(context) = input.context.filter(|c| !c.is_empty() && c.len() <= 256) {
        message["context"] = json!({ "from": resident.phone_number_id, "id": context });
    }
    deliver(&state, &session, sandbox, &resident, message).await
}

#[derive(Debug, Deserialize)]
struct PhotoQuery {
    #[serde(flatten)]
    resident: ResidentInput,
    #[serde(default)]
    caption: Option<String>,
}

/// `POST /simulator/api/photo?village=…&number=…&name=…&caption=…` with the JPEG or PNG bytes as
/// the body.
async fn send_photo(
    State(state): State<AppState>,
    Extension(session): Extension<Arc<Session>>,
    headers: HeaderMap,
    query: Result<Query<PhotoQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, SimError> {
    let sandbox = sandbox(&state)?;
    check_token(&session, &headers)?;
    let Query(input) =
        query.map_err(|e| SimError::BadRequest(format!("parameter tidak lengkap: {e}")))?;
    let resident = resident(&state, &input.resident)?;
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            SimError::TooLarge
        } else {
            SimError::BadRequest(format!("foto tidak dapat dibaca: {e}"))
        }
    })?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let mime = image_type(&bytes)
        .ok_or_else(|| SimError::BadRequest("hanya foto JPEG atau PNG yang bisa dikirim".into()))?;
    if declared != mime {
        return Err(SimError::BadRequest(format!(
            "jenis berkas {declared:?} tidak cocok dengan isinya ({mime})"
        )));
    }
    let caption = input
        .caption
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if caption.is_some_and(|c| c.chars().count() > MAX_CAPTION) {
        return Err(SimError::BadRequest(format!(
            "keterangan foto lebih dari {MAX_CAPTION} karakter"
        )));
    }
    let stored = sandbox.store_media(mime, bytes);
    let mut image = json!({ "id": stored.id, "mime_type": mime, "sha256": stored.sha256 });
    if let Some(caption) = caption {
        image["caption"] = json!(caption);
    }
    let message = json!({ "type": "image", "image": image });
    deliver(&state, &session, sandbox, &resident, message).await
}

/// JPEG and PNG are what WhatsApp accepts as images; recognised by their first bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// The `messages` webhook payload Meta would send for one message of `resident`.
fn webhook_payload(resident: &Resident<'_>, message: &Value) -> Value {
    let display = if resident.village.display_phone_number.is_empty() {
        "0"
    } else {
        resident.village.display_phone_number.as_str()
    };
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "SANDBOX", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": display, "phone_number_id": resident.phone_number_id },
            "contacts": [{ "profile": { "name": resident.name }, "wa_id": resident.wa_id }],
            "messages": [message],
        }}]}]
    })
}

/// Complete `message` (sender, id, time), record it for the page, and post it signed to this
/// server's `/webhook`. Answers with the webhook's own status.
async fn deliver(
    state: &AppState,
    session: &Session,
    sandbox: &Sandbox,
    resident: &Resident<'_>,
    mut message: Value,
) -> Result<Response, SimError> {
    let wamid = format!("wamid.sandbox.in.{}", random_hex(12));
    message["from"] = json!(resident.wa_id);
    message["id"] = json!(wamid);
    message["timestamp"] = json!(chrono::Utc::now().timestamp().to_string());
    let body = webhook_payload(resident, &message).to_string();
    let signature = signature::sign(state.app_secret().expose().as_bytes(), body.as_bytes());
    // Recorded before posting: the bot may answer before the webhook's response comes back.
    let seq = sandbox.record_inbound(&resident.phone_number_id, &resident.wa_id, &wamid, &message);
    let url = format!("{}/webhook", state.self_url());
    let mut attempt = 0;
    let status = loop {
        attempt += 1;
        let sent = session
            .client
            .post(&url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(crate::webhook::SIGNATURE_HEADER, &signature)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r)
                if r.status() == StatusCode::SERVICE_UNAVAILABLE && attempt < WEBHOOK_ATTEMPTS =>
            {
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
            }
            Ok(r) => break r.status(),
            Err(e) => {
                sandbox.inbound_failed(seq, "webhook tidak terjangkau");
                return Err(SimError::Unreachable(e.to_string()));
            }
        }
    };
    if status != StatusCode::OK {
        sandbox.inbound_failed(seq, &format!("webhook menjawab HTTP {}", status.as_u16()));
    }
    let result = SendResult {
        webhook_status: status.as_u16(),
        wamid,
        seq,
    };
    Ok((status, Json(result)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Reading the conversation

#[derive(Debug, Deserialize)]
struct MessagesQuery {
    number: String,
    /// A village id: only the conversation with that village.
    #[serde(default)]
    village: Option<String>,
    #[serde(default)]
    after: u64,
    /// Seconds to wait for something new (at most 10, the default).
    #[serde(default)]
    wait: Option<u64>,
}

/// The conversation after a sequence number; pass `after` back to get only what is newer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Conversation {
    pub messages: Vec<Value>,
    pub after: u64,
}

/// `GET /simulator/api/messages?number=…&village=…&after=N&wait=S`: the resident's messages and
/// the bot's (requests exactly as Meta would receive them, and read receipts), oldest first.
/// Waits up to `wait` seconds when nothing is newer than `after`.
async fn messages(
    State(state): State<AppState>,
    Extension(session): Extension<Arc<Session>>,
    headers: HeaderMap,
    query: Result<Query<MessagesQuery>, QueryRejection>,
) -> Result<Json<Conversation>, SimError> {
    let sandbox = sandbox(&state)?;
    // Conversations can hold a NIK typed by a tester: reading them needs the page's token too,
    // which a cross-site page cannot send.
    check_token(&session, &headers)?;
    let Query(query) =
        query.map_err(|e| SimError::BadRequest(format!("parameter tidak lengkap: {e}")))?;
    let number =
        WaId::parse(&query.number).map_err(|e| SimError::BadRequest(e.friendly_message()))?;
    let phone_number_id = match query.village.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(id) => Some(
            state
                .villages()
                .iter()
                .find(|v| v.id == id)
                .map(Settings::routing_number)
                .ok_or_else(|| SimError::BadRequest(format!("desa {id:?} tidak dikenal")))?,
        ),
    };
    let wait = query
        .wait
        .map_or(MAX_WAIT, |s| Duration::from_secs(s).min(MAX_WAIT));
    let entries = sandbox
        .wait_for_conversation(
            number.as_str(),
            phone_number_id.as_deref(),
            query.after,
            wait,
        )
        .await;
    let after = entries
        .last()
        .map(ConversationEntry::seq)
        .unwrap_or(query.after);
    let messages = entries
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    Ok(Json(Conversation { messages, after }))
}

/// `GET /simulator/api/media/{id}`: a photo a simulated resident sent.
async fn media(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, SimError> {
    let media = sandbox(&state)?.media(&id).ok_or(SimError::NotFound)?;
    let content_type = HeaderValue::from_str(&media.mime_type).map_err(|_| SimError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        media.bytes,
    )
        .into_response())
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_type(b""), None);
    }
}
