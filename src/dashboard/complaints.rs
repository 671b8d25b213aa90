//! Complaints (aduan) for the Kades and the Sekdes: the list, one complaint with the
//! conversation, and the reply and close forms — the same actions as `balas ADU-…` and
//! `tutup ADU-…` on WhatsApp.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::ticket::TicketCode;
use crate::officers::command::Command;
use crate::outbound::OutboundBody;
use crate::store::{Audit, Timestamp};

use super::requests::{AttachmentLink, Bubble};
use super::{render, Chrome, DashError, Officer};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dasbor/aduan", get(list))
        .route("/dasbor/aduan/{code}", get(detail))
        .route("/dasbor/aduan/{code}/aksi", post(act))
}

fn allowed(officer: &Officer) -> Result<(), DashError> {
    if officer.roles.can_handle_complaints() {
        Ok(())
    } else {
        Err(DashError::Forbidden(
            "Aduan hanya dapat dibuka oleh Kepala Desa dan Sekretaris Desa.".into(),
        ))
    }
}

fn state_label(state: &str) -> &'static str {
    match state {
        "baru" => "Baru",
        "ditangani" => "Sedang ditangani",
        "selesai" => "Selesai",
        _ => "Terbuka",
    }
}

pub struct ComplaintRow {
    pub code: String,
    pub state: String,
    pub state_label: &'static str,
    pub from: String,
    pub summary: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "dashboard/complaints.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ComplaintRow>,
}

fn local(state: &AppState, officer: &Officer, t: Timestamp) -> String {
    let tz = state
        .villages()
        .iter()
        .find(|v| v.id == officer.village_id())
        .map(|v| v.time_zone())
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset"));
    t.as_datetime()
        .with_timezone(&tz)
        .format("%d/%m/%Y %H.%M")
        .to_string()
}

async fn list(State(state): State<AppState>, officer: Officer) -> Result<Response, DashError> {
    allowed(&officer)?;
    let items = state.store().complaint_items(officer.village_id()).await?;
    let rows = items
        .into_iter()
        .map(|c| ComplaintRow {
            state_label: state_label(&c.state),
            from: c.resident_name.unwrap_or_else(|| "warga".into()),
            summary: crate::conversation::dialogue::truncate(&c.body, 120),
            at: local(&state, &officer, c.created_at),
            code: c.code,
            state: c.state,
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::new(&state, &officer, "aduan"),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "dashboard/complaint.html")]
struct DetailPage {
    chrome: Chrome,
    code: String,
    state: String,
    state_label: &'static str,
    from: String,
    contact: String,
    at: String,
    body: String,
    response: String,
    attachments: Vec<AttachmentLink>,
    bubbles: Vec<Bubble>,
    open: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct DetailQuery {
    #[serde(default)]
    pesan: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    officer: Officer,
    Path(code): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, DashError> {
    allowed(&officer)?;
    let code = TicketCode::parse(&code)
        .ok()
        .filter(TicketCode::is_complaint)
        .ok_or_else(|| DashError::NotFound(format!("Aduan {code}")))?
        .to_string();
    let village = officer.village_id().to_string();
    let mut tx = state.store().begin().await?;
    let Some(c) = tx.complaint_by_code(&village, &code).await? else {
        return Err(DashError::NotFound(format!("Aduan {code}")));
    };
    tx.insert_audit(
        &Audit {
            village_id: &village,
            actor_kind: "officer",
            actor_id: Some(officer.id()),
            action: "lihat_aduan",
            request_id: None,
            complaint_id: Some(c.id),
            detail: Some("dasbor"),
        },
        Timestamp::now(),
    )
    .await?;
    tx.commit().await?;
    let attachments = state.store().complaint_attachments(&village, c.id).await?;
    let chat = state.store().chat_with(&village, c.resident_id, 60).await?;
    let page = DetailPage {
        chrome: Chrome::new(&state, &officer, "aduan"),
        state_label: state_label(&c.state),
        from: c.resident_name.clone().unwrap_or_else(|| "warga".into()),
        contact: c
            .resident_recipient
            .clone()
            .filter(|r| r.chars().all(|ch| ch.is_ascii_digit()))
            .map(|r| format!("+{r}"))
            .unwrap_or_else(|| "-".into()),
        at: local(&state, &officer, c.created_at),
        response: c.response.clone().unwrap_or_default(),
        attachments: attachments
            .iter()
            .map(|a| AttachmentLink {
                id: a.id,
                label: "Foto/berkas pendukung".into(),
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
                    m.body.unwrap_or_else(|| format!("[{}]", m.kind))
                } else {
                    m.body
                        .as_deref()
                        .and_then(|b| serde_json::from_str::<OutboundBody>(b).ok())
                        .map(|b| b.preview())
                        .unwrap_or_else(|| format!("[{}]", m.kind))
                },
                inbound: m.inbound,
                at: local(&state, &officer, m.at),
                status: String::new(),
            })
            .collect(),
        open: c.state != "selesai",
        notice: query
            .pesan
            .filter(|p| !p.trim().is_empty())
            .map(|p| super::requests::plain(&p)),
        body: c.body,
        code: c.code,
        state: c.state,
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    aksi: String,
    #[serde(default)]
    pesan: String,
}

async fn act(
    State(state): State<AppState>,
    officer: Officer,
    Path(code): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, DashError> {
    officer.check_csrf(&form.csrf)?;
    allowed(&officer)?;
    let code = TicketCode::parse(&code)
        .ok()
        .filter(TicketCode::is_complaint)
        .ok_or_else(|| DashError::NotFound(format!("Aduan {code}")))?;
    let text: String = form.pesan.trim().chars().take(3000).collect();
    let cmd = match form.aksi.as_str() {
        "balas" if text.is_empty() => {
            return Err(DashError::BadRequest("Pesan wajib diisi.".into()))
        }
        "balas" => Command::Reply {
            ticket: code.clone(),
            text,
        },
        "tutup" => Command::CloseComplaint {
            code: code.clone(),
            note: (!text.is_empty()).then_some(text),
        },
        other => {
            return Err(DashError::BadRequest(format!(
                "Tindakan \"{other}\" tidak dikenal."
            )))
        }
    };
    let message = super::requests::perform(&state, &officer, cmd).await?;
    Ok(Redirect::to(&format!(
        "/dasbor/aduan/{code}?pesan={}",
        super::requests::urlencode(&message)
    ))
    .into_response())
}
