//! The queue and a request's page: filters and search, the data, attachments, the conversation
//! as chat bubbles, the status history and audit trail, and the actions the officer may take in
//! the request's current state — carried out by the same code as the WhatsApp commands.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::Value;

use crate::app::AppState;
use crate::domain::ticket::TicketCode;
use crate::officers::command::Command;
use crate::officers::desk;
use crate::officers::work::Work;
use crate::outbound::OutboundBody;
use crate::requests::{self, Actor, Roles, State as ReqState, Step};
use crate::store::{Audit, SenderOfficer, Timestamp};

use super::{render, Chrome, DashError, Officer};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dasbor", get(queue))
        .route("/dasbor/permohonan/{ticket}", get(detail))
        .route("/dasbor/permohonan/{ticket}/aksi", post(act))
        .route("/dasbor/lampiran/{id}", get(attachment))
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    layanan: String,
    #[serde(default)]
    dusun: String,
    #[serde(default)]
    petugas: String,
    #[serde(default)]
    terlambat: String,
    #[serde(default)]
    q: String,
}

pub struct QueueRow {
    pub ticket: String,
    pub service: String,
    pub state: String,
    pub state_label: &'static str,
    pub name: String,
    pub assigned: String,
    pub age: String,
    pub activity: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "dashboard/queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueRow>,
    total: usize,
    query: QueueQuery,
    states: Vec<(&'static str, &'static str)>,
    services: Vec<(String, String)>,
    officers: Vec<(String, String)>,
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// `GET /dasbor`
async fn queue(
    State(state): State<AppState>,
    officer: Officer,
    Query(query): Query<QueueQuery>,
) -> Result<Response, DashError> {
    let village = officer.village_id().to_string();
    let now = Timestamp::now();
    let items = state.store().queue_items(&village, 5000).await?;
    let catalogue = state.conversation().catalogue();
    let title = |code: &str| {
        catalogue
            .all()
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let tz = state
        .villages()
        .iter()
        .find(|v| v.id == village)
        .map(|v| v.time_zone())
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset"));
    let (q, dusun) = (lower(&query.q), lower(&query.dusun));
    let rows: Vec<QueueRow> = items
        .into_iter()
        .filter(|r| {
            let st = ReqState::parse(&r.state);
            let overdue =
                r.due_at.is_some_and(|d| d < now) && st.is_some_and(ReqState::is_office_work);
            let state_ok = match query.status.as_str() {
                "" => true,
                "terbuka" => st.is_some_and(|s| !s.is_closed()),
                s => r.state == s,
            };
            let address = serde_json::from_str::<Value>(&r.data_json)
                .ok()
                .and_then(|v| v.get("values").cloned())
                .map(|v| {
                    ["alamat", "alamat_antar", "rt_rw"]
                        .iter()
                        .filter_map(|k| v.get(k).and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                })
                .unwrap_or_default();
            state_ok
                && (query.layanan.is_empty() || r.service_code == query.layanan)
                && (query.petugas.is_empty()
                    || r.assigned_officer_id.map(|id| id.to_string()).as_deref()
                        == Some(query.petugas.as_str())
                    || (query.petugas == "-" && r.assigned_officer_id.is_none()))
                && (query.terlambat.is_empty() || overdue)
                && (dusun.is_empty() || address.contains(&dusun))
                && (q.is_empty()
                    || r.ticket_code.to_lowercase().contains(&q)
                    || r.subject_name
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(&q))
                    || r.resident_name
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(&q)))
        })
        .map(|r| {
            let st = ReqState::parse(&r.state);
            let overdue =
                r.due_at.is_some_and(|d| d < now) && st.is_some_and(ReqState::is_office_work);
            QueueRow {
                service: title(&r.service_code),
                state_label: crate::conversation::texts::state_label(&r.state),
                name: r
                    .subject_name
                    .or(r.resident_name)
                    .unwrap_or_else(|| "-".into()),
                assigned: r.assigned_name.unwrap_or_else(|| "—".into()),
                age: crate::officers::texts::age(
                    now.unix_seconds() - r.submitted_at.unix_seconds(),
                ),
                activity: r
                    .updated_at
                    .as_datetime()
                    .with_timezone(&tz)
                    .format("%d/%m %H.%M")
                    .to_string(),
                overdue,
                ticket: r.ticket_code,
                state: r.state,
            }
        })
        .collect();
    let mut tx = state.store().begin().await?;
    let officers = tx.village_officers(&village).await?;
    tx.commit().await?;
    let page = QueuePage {
        chrome: Chrome::new(&state, &officer, "antrian"),
        total: rows.len(),
        rows: rows.into_iter().take(300).collect(),
        query,
        states: requests::ALL_STATES
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        services: catalogue
            .all()
            .iter()
            .map(|s| (s.code.clone(), s.title.clone()))
            .collect(),
        officers: officers
            .into_iter()
            .map(|o| (o.id.to_string(), o.name))
            .collect(),
    };
    Ok(render(&page))
}

pub struct Bubble {
    pub inbound: bool,
    pub text: String,
    pub at: String,
    pub status: String,
}

pub struct HistoryLine {
    pub at: String,
    pub label: &'static str,
    pub who: String,
    pub reason: String,
}

pub struct AttachmentLink {
    pub id: i64,
    pub label: String,
    pub image: bool,
    pub available: bool,
}

pub struct ActionForm {
    pub verb: &'static str,
    pub label: &'static str,
    /// "alasan", "kurir" or "" — the extra field the action needs.
    pub field: &'static str,
    pub danger: bool,
}

#[derive(Template)]
#[template(path = "dashboard/request.html")]
struct DetailPage {
    chrome: Chrome,
    ticket: String,
    service: String,
    state_label: &'static str,
    state: String,
    data: Vec<(String, String)>,
    facts: Vec<(String, String)>,
    overdue: bool,
    attachments: Vec<AttachmentLink>,
    bubbles: Vec<Bubble>,
    history: Vec<HistoryLine>,
    audit: Vec<HistoryLine>,
    actions: Vec<ActionForm>,
    couriers: Vec<String>,
    can_reply: bool,
    show_chat: bool,
    letter: bool,
    notice: Option<String>,
    hint: String,
}

#[derive(Deserialize, Default)]
struct DetailQuery {
    #[serde(default)]
    pesan: Option<String>,
}

fn work<'a>(state: &'a AppState, officer: &Officer) -> Result<Work<'a>, DashError> {
    let village = state
        .villages()
        .iter()
        .find(|v| v.id == officer.village_id())
        .ok_or_else(|| DashError::NotFound("Desa".into()))?;
    Ok(Work {
        village,
        catalogue: state.conversation().catalogue(),
        settings: &state.settings().officers,
        now: Timestamp::now(),
    })
}

fn officer_names(officers: &[crate::store::OfficerBrief], id: Option<i64>) -> String {
    id.and_then(|id| officers.iter().find(|o| o.id == id))
        .map(|o| o.name.clone())
        .unwrap_or_else(|| "-".into())
}

/// `GET /dasbor/permohonan/{ticket}`
async fn detail(
    State(state): State<AppState>,
    officer: Officer,
    Path(ticket): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, DashError> {
    let w = work(&state, &officer)?;
    let code = TicketCode::parse(&ticket)
        .map_err(|_| DashError::NotFound(format!("Permohonan {ticket}")))?
        .to_string();
    let mut tx = state.store().begin().await?;
    let Some(req) = tx.request_by_code(&w.village.id, &code).await? else {
        return Err(DashError::NotFound(format!("Permohonan {code}")));
    };
    let history = tx.request_history(req.id).await?;
    let audit = tx.request_audit(&w.village.id, req.id).await?;
    let attachments = tx.request_attachments(&w.village.id, req.id).await?;
    let officers = tx.village_officers(&w.village.id).await?;
    // Seeing a request's personal data is part of the audit trail.
    tx.insert_audit(
        &Audit {
            village_id: &w.village.id,
            actor_kind: "officer",
            actor_id: Some(officer.id()),
            action: "lihat",
            request_id: Some(req.id),
            complaint_id: None,
            detail: Some("dasbor"),
        },
        w.now,
    )
    .await?;
    tx.commit().await?;
    // The conversation holds everything the resident typed (NIK included): only for those who
    // process requests, not for couriers.
    let mut chat = if officer.roles.can_process() {
        state
            .store()
            .chat_with(&w.village.id, req.resident_id, 80)
            .await?
    } else {
        Vec::new()
    };
    // Complaints (perhaps about the officer reading this) stay with the Kades and Sekdes.
    if !officer.roles.can_handle_complaints() {
        chat.retain(|m| !m.about_complaint);
    }
    let local = |t: Timestamp| w.local(t).format("%d/%m %H.%M").to_string();
    let service = w.catalogue.get(&req.service_code);
    let values = serde_json::from_str::<Value>(&req.data_json)
        .ok()
        .and_then(|v| v.get("values").and_then(Value::as_object).cloned())
        .unwrap_or_default();
    let mut data = Vec::new();
    if let Some(s) = service {
        for f in &s.fields {
            if let Some(v) = values.get(&f.key).and_then(Value::as_str) {
                data.push((f.label.clone(), shown(&f.key, v, officer.roles)));
            }
        }
    }
    for (k, v) in &values {
        if !service.is_some_and(|s| s.fields.iter().any(|f| &f.key == k)) {
            if let Some(v) = v.as_str() {
                data.push((k.replace('_', " "), shown(k, v, officer.roles)));
            }
        }
    }
    let st = ReqState::parse(&req.state);
    let overdue = req.due_at.is_some_and(|d| d < w.now) && st.is_some_and(ReqState::is_office_work);
    let mut facts = vec![
        (
            "Pemohon (WhatsApp)".to_string(),
            req.resident_name.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Diajukan".into(), local(req.submitted_at)),
    ];
    if let Some(due) = req.due_at {
        facts.push(("Target".into(), local(due)));
    }
    if let Some(rel) = &req.relation {
        facts.push(("Untuk".into(), format!("{rel} pemohon")));
    }
    facts.push((
        "Dipegang".into(),
        req.assigned_name.clone().unwrap_or_else(|| "—".into()),
    ));
    if let Some(k) = &req.courier_name {
        facts.push(("Kurir".into(), k.clone()));
    }
    facts.push((
        "Penyerahan".into(),
        if req.delivery_method == "ambil" {
            "diambil di kantor".into()
        } else {
            "diantar ke rumah".into()
        },
    ));
    if let (Some(lat), Some(lon)) = (req.latitude, req.longitude) {
        facts.push(("Lokasi".into(), format!("{lat:.6}, {lon:.6}")));
    }
    if let Some(r) = req.rating {
        facts.push(("Nilai".into(), format!("{r}/5")));
    }
    let signer = w.signer(&req.service_code);
    let candidates: [(Step, &str, &str, &str, bool); 10] = [
        (Step::Take, "ambil", "Ambil (pegang saya)", "", false),
        (Step::Check, "periksa", "Periksa ulang", "", false),
        (Step::Process, "proses", "Proses (sedang dibuat)", "", false),
        (
            Step::NeedDocument,
            "kurang",
            "Minta dokumen ke warga",
            "alasan",
            false,
        ),
        (Step::Ready, "siap", "Surat sudah dibuat", "", false),
        (Step::Approve, "setuju", "Setujui / tanda tangan", "", false),
        (Step::Deliver, "antar", "Serahkan ke kurir", "kurir", false),
        (Step::Delivered, "terkirim", "Tandai terkirim", "", false),
        (
            Step::Collected,
            "diambil",
            "Sudah diambil di kantor",
            "",
            false,
        ),
        (Step::Reject, "tolak", "Tolak", "alasan", true),
    ];
    let actions = match st {
        Some(s) => candidates
            .iter()
            .filter(|(step, ..)| {
                requests::plan(*step, s, Actor::Officer(officer.roles), signer).is_ok()
            })
            .filter(|(step, ..)| {
                // Taking over what one already holds is not an action.
                !(*step == Step::Take && req.assigned_officer_id == Some(officer.id()))
            })
            .map(|(_, verb, label, field, danger)| ActionForm {
                verb,
                label,
                field,
                danger: *danger,
            })
            .collect(),
        None => vec![],
    };
    let page = DetailPage {
        chrome: Chrome::new(&state, &officer, "antrian"),
        service: w.service_title(&req.service_code),
        state_label: crate::conversation::texts::state_label(&req.state),
        data,
        facts,
        overdue,
        attachments: attachments
            .iter()
            .map(|a| AttachmentLink {
                id: a.id,
                label: a
                    .requirement_key
                    .as_deref()
                    .map(|k| {
                        service
                            .and_then(|s| s.documents.iter().find(|d| d.key == k))
                            .map(|d| d.label.clone())
                            .unwrap_or_else(|| k.replace('_', " "))
                    })
                    .unwrap_or_else(|| "Lampiran".into()),
                image: a
                    .mime_type
                    .as_deref()
                    .is_some_and(|m| m.starts_with("image/")),
                available: a.downloaded && !a.deleted,
            })
            .collect(),
        bubbles: chat
            .into_iter()
            .map(|m| Bubble {
                text: if m.inbound {
                    match (m.kind.as_str(), m.body) {
                        (_, Some(b)) if !b.is_empty() => b,
                        ("image", None) => "[foto]".into(),
                        ("document", None) => "[berkas]".into(),
                        ("audio", _) => "[pesan suara]".into(),
                        ("location", _) => "[lokasi]".into(),
                        (kind, _) => format!("[{kind}]"),
                    }
                } else {
                    m.body
                        .as_deref()
                        .and_then(|b| serde_json::from_str::<OutboundBody>(b).ok())
                        .map(|b| b.preview())
                        .unwrap_or_else(|| format!("[{}]", m.kind))
                },
                inbound: m.inbound,
                at: local(m.at),
                status: m
                    .status
                    .map(|s| status_label(&s).to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        history: history
            .iter()
            .map(|h| HistoryLine {
                at: local(h.created_at),
                label: crate::conversation::texts::state_label(&h.to_state),
                who: match h.actor_kind.as_str() {
                    "resident" => "warga".into(),
                    "officer" => officer_names(&officers, h.actor_id),
                    other => other.to_string(),
                },
                reason: h.reason.clone().unwrap_or_default(),
            })
            .collect(),
        audit: audit
            .iter()
            .map(|a| HistoryLine {
                at: local(a.created_at),
                label: "",
                who: match a.actor_kind.as_str() {
                    "officer" => officer_names(&officers, a.actor_id),
                    "resident" => "warga".into(),
                    other => other.to_string(),
                },
                reason: match &a.detail {
                    Some(d) => format!("{} ({d})", a.action.replace('_', " ")),
                    None => a.action.replace('_', " "),
                },
            })
            .collect(),
        actions,
        couriers: officers
            .iter()
            .filter(|o| Roles::parse(&o.roles).kurir)
            .map(|o| o.name.clone())
            .collect(),
        can_reply: officer.roles.can_process() && st.is_some_and(|s| !s.is_closed()),
        show_chat: officer.roles.can_process(),
        letter: officer.roles.can_process() && crate::letters::letter_available(&req.state),
        notice: query
            .pesan
            .filter(|p| !p.trim().is_empty())
            .map(|p| plain(&p)),
        hint: st
            .map(|s| plain(&requests::next_hint(s, &req.ticket_code)))
            .unwrap_or_default(),
        ticket: req.ticket_code.clone(),
        state: req.state.clone(),
    };
    Ok(render(&page))
}

/// WhatsApp's `*bold*` and `_italic_` marks read as stray characters on a web page.
pub(crate) fn plain(text: &str) -> String {
    text.replace(['*', '_'], "")
}

fn status_label(status: &str) -> &'static str {
    match status {
        "queued" | "sending" => "⏳",
        "sent" => "✓",
        "delivered" => "✓✓",
        "read" => "✓✓ dibaca",
        "failed" => "⚠ gagal",
        _ => "",
    }
}

/// Officers who make letters see the identity numbers whole; a courier sees them masked.
fn shown(key: &str, value: &str, roles: Roles) -> String {
    if (key.starts_with("nik") || key.contains("kk")) && !roles.can_process() {
        crate::domain::mask::mask_digits(value)
    } else {
        value.to_string()
    }
}

#[derive(Deserialize)]
struct ActionForm2 {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    aksi: String,
    #[serde(default)]
    alasan: String,
    #[serde(default)]
    kurir: String,
    #[serde(default)]
    pesan: String,
}

/// `POST /dasbor/permohonan/{ticket}/aksi`: one lifecycle action, as from WhatsApp.
async fn act(
    State(state): State<AppState>,
    officer: Officer,
    Path(ticket): Path<String>,
    Form(form): Form<ActionForm2>,
) -> Result<Response, DashError> {
    officer.check_csrf(&form.csrf)?;
    let code = TicketCode::parse(&ticket)
        .map_err(|_| DashError::NotFound(format!("Permohonan {ticket}")))?;
    let reason = form.alasan.trim().to_string();
    let need = |what: &str| DashError::BadRequest(format!("{what} wajib diisi."));
    let cmd = match form.aksi.as_str() {
        "ambil" => Command::Take(code.clone()),
        "periksa" => Command::Check(code.clone()),
        "proses" => Command::Process(code.clone()),
        "kurang" if reason.is_empty() => return Err(need("Alasan (dokumen yang kurang)")),
        "kurang" => Command::NeedDocument {
            ticket: code.clone(),
            reason,
        },
        "siap" => Command::Ready(code.clone()),
        "setuju" => Command::Approve(code.clone()),
        "antar" if form.kurir.trim().is_empty() => return Err(need("Kurir")),
        "antar" => Command::Deliver {
            ticket: code.clone(),
            courier: Some(form.kurir.trim().to_string()),
        },
        "terkirim" => Command::Delivered(code.clone()),
        "diambil" => Command::Collected(code.clone()),
        "tolak" if reason.is_empty() => return Err(need("Alasan penolakan")),
        "tolak" => Command::Reject {
            ticket: code.clone(),
            reason,
        },
        "balas" if form.pesan.trim().is_empty() => return Err(need("Pesan")),
        "balas" => Command::Reply {
            ticket: code.clone(),
            text: form.pesan.trim().chars().take(3000).collect(),
        },
        other => {
            return Err(DashError::BadRequest(format!(
                "Tindakan \"{other}\" tidak dikenal."
            )))
        }
    };
    let message = perform(&state, &officer, cmd).await?;
    let target = format!("/dasbor/permohonan/{}?pesan={}", code, urlencode(&message));
    Ok(Redirect::to(&target).into_response())
}

/// Carry out a command for the logged-in officer exactly as from WhatsApp, in its own
/// transaction; returns what they would have been told, short enough for a page notice.
pub(super) async fn perform(
    state: &AppState,
    officer: &Officer,
    cmd: Command,
) -> Result<String, DashError> {
    let w = work(state, officer)?;
    let acting = SenderOfficer {
        id: officer.id(),
        name: officer.session.name.clone(),
        roles: officer.session.roles.clone(),
    };
    let mut tx = state.store().begin().await?;
    let said = desk::perform(&mut tx, &w, &acting, cmd).await?;
    tx.commit().await?;
    state.wake_outbox();
    Ok(said.join(" ").chars().take(400).collect())
}

pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `GET /dasbor/lampiran/{id}`: a resident's photo or PDF, only to the village's officers.
async fn attachment(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<i64>,
) -> Result<Response, DashError> {
    let Some(file) = state
        .store()
        .attachment_for_village(officer.village_id(), id)
        .await?
    else {
        return Err(DashError::NotFound("Lampiran".into()));
    };
    if file.deleted_at.is_some() {
        return Err(DashError::NotFound(
            "Lampiran (sudah dihapus sesuai jadwal retensi)".into(),
        ));
    }
    let Some(path) = file.file_path.as_deref() else {
        return Err(DashError::NotFound(
            "Lampiran (belum selesai diunduh)".into(),
        ));
    };
    // Complaint photos are for the Kades and Sekdes; a request's for those who check and make
    // letters and the courier carrying it.
    let mut tx = state.store().begin().await?;
    let reference = file.reference_code.clone().unwrap_or_default();
    let (request_id, complaint_id) = if reference.starts_with("ADU-") {
        if !officer.roles.can_handle_complaints() {
            return Err(DashError::Forbidden(
                "Lampiran aduan hanya untuk Kepala Desa dan Sekretaris Desa.".into(),
            ));
        }
        let complaint = tx
            .complaint_by_code(officer.village_id(), &reference)
            .await?;
        (None, complaint.map(|c| c.id))
    } else {
        let req = tx.request_by_code(officer.village_id(), &reference).await?;
        let allowed = officer.roles.can_process()
            || req
                .as_ref()
                .is_some_and(|r| r.courier_officer_id == Some(officer.id()));
        if !allowed {
            return Err(DashError::Forbidden(
                "Lampiran hanya untuk operator, Sekdes, Kades, dan kurir yang mengantar surat ini."
                    .into(),
            ));
        }
        (req.map(|r| r.id), None)
    };
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|_| DashError::NotFound("Berkas lampiran".into()))?;
    tx.insert_audit(
        &Audit {
            village_id: officer.village_id(),
            actor_kind: "officer",
            actor_id: Some(officer.id()),
            action: "lihat_lampiran",
            request_id,
            complaint_id,
            detail: Some(&format!(
                "#{id} {}",
                file.reference_code.as_deref().unwrap_or("")
            )),
        },
        Timestamp::now(),
    )
    .await?;
    tx.commit().await?;
    let mime = file
        .mime_type
        .as_deref()
        .map(|m| {
            m.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    // Only what a browser shows safely is shown inline; anything else is a download.
    let inline = matches!(
        mime.as_str(),
        "image/jpeg" | "image/png" | "image/webp" | "application/pdf"
    );
    let content_type = if inline {
        mime.clone()
    } else {
        "application/octet-stream".into()
    };
    let disposition = if inline {
        format!("inline; filename=\"lampiran-{id}\"")
    } else {
        format!("attachment; filename=\"lampiran-{id}\"")
    };
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
