//! Letters from the dashboard: the check page where an officer completes and corrects a
//! request's letter, saving it (which numbers it the first time), and the print page.
//!
//! - `GET /dasbor/surat/{ticket}`: the letter's fields in a form, prefilled from the request (or
//!   from the saved letter), with its number once it has one.
//! - `POST /dasbor/surat/{ticket}`: validate, number on the first save, render, store, audit
//!   (`surat_dibuat` / `surat_diubah`), then on to the print page.
//! - `GET /dasbor/surat/{ticket}/cetak`: the stored letter alone, ready for F4 paper; viewing it
//!   is audited (`lihat_surat`) because it shows personal data.
//!
//! Only the operator, Sekdes and Kades of the request's own village may do any of this.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::Datelike;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::catalogue::Service;
use crate::config::VillageConfig;
use crate::domain::ticket::{TicketCode, TicketKind};
use crate::letters::letter::{detail_specs, DetailSpec, DETAIL_PREFIX, IDENTITY};
use crate::letters::{self, counter_name, local_date, LetterFields, LetterView, NumberFormat};
use crate::requests::State as ReqState;
use crate::store::{Audit, LetterRow, NewLetter, RequestDetail, Timestamp, Tx};

use super::{render, Chrome, DashError, Officer};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dasbor/surat/{ticket}", get(check_page).post(save))
        .route("/dasbor/surat/{ticket}/cetak", get(print_page))
}

/// How often a save is tried again when another officer saved the same letter at the same
/// moment (the second then corrects the first one's letter instead of numbering a new one).
const SAVE_ATTEMPTS: usize = 3;

/// One input of the check page.
pub struct Input {
    pub name: String,
    pub label: String,
    pub value: String,
    /// Suggested answers (a `<datalist>`).
    pub options: Vec<String>,
}

#[derive(Template)]
#[template(path = "dashboard/letter.html")]
struct CheckPage {
    chrome: Chrome,
    ticket: String,
    service_name: String,
    title: String,
    state_label: &'static str,
    number: Option<String>,
    /// Why no letter can be made now; the form is then not offered.
    refusal: Option<&'static str>,
    errors: Vec<String>,
    identity: Vec<Input>,
    details: Vec<Input>,
    keterangan: String,
    /// Configuration the letter needs but the village has not set.
    missing: Vec<&'static str>,
    signer: &'static str,
}

/// The officer's village, the request and its service, after checking the officer may work on
/// letters.
struct Context<'s> {
    village: &'s VillageConfig,
    service: &'s Service,
    request: RequestDetail,
}

fn require_role(officer: &Officer) -> Result<(), DashError> {
    if officer.roles.can_process() {
        Ok(())
    } else {
        Err(DashError::Forbidden(
            "Surat hanya dapat dibuat dan dicetak oleh operator, Sekretaris Desa, atau Kepala Desa."
                .into(),
        ))
    }
}

fn ticket_code(ticket: &str) -> Result<String, DashError> {
    match TicketCode::parse(ticket) {
        Ok(code) if code.kind() == TicketKind::Request => Ok(code.to_string()),
        _ => Err(DashError::NotFound(format!("Permohonan {ticket}"))),
    }
}

async fn context<'s>(
    state: &'s AppState,
    officer: &Officer,
    tx: &mut Tx,
    code: &str,
) -> Result<Context<'s>, DashError> {
    let village = state
        .villages()
        .iter()
        .find(|v| v.id == officer.village_id())
        .ok_or_else(|| DashError::NotFound(format!("Desa {}", officer.village_id())))?;
    // Filtered by the officer's village: another village's request is simply not found.
    let request = tx
        .request_by_code(&village.id, code)
        .await?
        .ok_or_else(|| DashError::NotFound(format!("Permohonan {code}")))?;
    let service = state
        .conversation()
        .catalogue()
        .all()
        .iter()
        .find(|s| s.code == request.service_code)
        .ok_or_else(|| {
            DashError::BadRequest(format!(
                "Layanan {} tidak ada lagi di katalog layanan; suratnya tidak dapat dibuat.",
                request.service_code
            ))
        })?;
    Ok(Context {
        village,
        service,
        request,
    })
}

fn audit<'a>(officer: &'a Officer, request_id: i64, action: &'a str, detail: &'a str) -> Audit<'a> {
    Audit {
        village_id: officer.village_id(),
        actor_kind: "officer",
        actor_id: Some(officer.id()),
        action,
        request_id: Some(request_id),
        complaint_id: None,
        detail: Some(detail),
    }
}

/// `GET /dasbor/surat/{ticket}`
async fn check_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(ticket): Path<String>,
) -> Result<Response, DashError> {
    require_role(&officer)?;
    let code = ticket_code(&ticket)?;
    let mut tx = state.store().begin().await?;
    let ctx = context(&state, &officer, &mut tx, &code).await?;
    let letter = tx
        .letter_for_request(&ctx.village.id, ctx.request.id)
        .await?;
    // The form shows the whole NIK and identity: who looked is recorded, as for the request.
    tx.insert_audit(
        &audit(&officer, ctx.request.id, "lihat_surat", "pemeriksaan"),
        Timestamp::now(),
    )
    .await?;
    tx.commit().await?;
    let fields = match &letter {
        Some(l) => serde_json::from_str(&l.fields_json).unwrap_or_else(|_| draft(&ctx)),
        None => draft(&ctx),
    };
    let page = check_form(&state, &officer, &ctx, letter.as_ref(), &fields, vec![]);
    Ok(render(&page))
}

/// A letter's first draft, from the request.
fn draft(ctx: &Context<'_>) -> LetterFields {
    let today = local_date(Timestamp::now().as_datetime(), ctx.village.time_zone());
    LetterFields::prefill(ctx.service, &ctx.request.data_json, today)
}

fn check_form(
    state: &AppState,
    officer: &Officer,
    ctx: &Context<'_>,
    letter: Option<&LetterRow>,
    fields: &LetterFields,
    errors: Vec<String>,
) -> CheckPage {
    let identity = IDENTITY
        .iter()
        .map(|f| Input {
            name: f.key.to_string(),
            label: f.label.to_string(),
            value: fields.identity(f.key).to_string(),
            options: f.options.iter().map(|o| o.to_string()).collect(),
        })
        .collect();
    let details = detail_specs(ctx.service)
        .into_iter()
        .map(|s: DetailSpec| Input {
            name: format!("{DETAIL_PREFIX}{}", s.key),
            value: fields.detail(&s.key).to_string(),
            label: s.label,
            options: s.options,
        })
        .collect();
    let on_behalf = ctx.service.signer == crate::catalogue::Signer::Sekdes;
    let mut missing = Vec::new();
    if ctx.village.kode_desa.trim().is_empty()
        && ctx.village.letter_number_format.contains("kode_desa")
    {
        missing.push("kode_desa (kode wilayah desa untuk nomor surat)");
    }
    if ctx.village.kepala_desa.trim().is_empty() && !on_behalf {
        missing.push("kepala_desa (nama Kepala Desa di bawah tanda tangan)");
    }
    if ctx.village.sekretaris_desa.trim().is_empty() && on_behalf {
        missing.push("sekretaris_desa (nama Sekretaris Desa di bawah tanda tangan)");
    }
    let req_state = ReqState::parse(&ctx.request.state);
    CheckPage {
        chrome: Chrome::new(state, officer, "antrian"),
        ticket: ctx.request.ticket_code.clone(),
        service_name: ctx.service.name.clone(),
        title: letters::letter::letter_title(ctx.service),
        state_label: req_state.map(ReqState::label).unwrap_or("-"),
        number: letter.map(|l| l.number.clone()),
        refusal: letters::unavailable_reason(&ctx.request.state),
        errors,
        identity,
        details,
        keterangan: fields.keterangan.clone(),
        missing,
        signer: if on_behalf {
            "Sekretaris Desa (a.n. Kepala Desa)"
        } else {
            "Kepala Desa"
        },
    }
}

/// `POST /dasbor/surat/{ticket}`
async fn save(
    State(state): State<AppState>,
    officer: Officer,
    Path(ticket): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, DashError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    officer.check_csrf(csrf)?;
    require_role(&officer)?;
    let code = ticket_code(&ticket)?;
    let village_format = |v: &VillageConfig| {
        // Validated when the configuration was loaded.
        NumberFormat::parse(&v.letter_number_format).unwrap_or_default()
    };
    for _ in 0..SAVE_ATTEMPTS {
        let mut tx = state.store().begin().await?;
        let ctx = context(&state, &officer, &mut tx, &code).await?;
        let existing = tx
            .letter_for_request(&ctx.village.id, ctx.request.id)
            .await?;
        let specs = detail_specs(ctx.service);
        let mut fields = LetterFields::from_form(&form, &specs);
        let errors = fields.validate(&specs);
        if letters::unavailable_reason(&ctx.request.state).is_some() || !errors.is_empty() {
            let status = if errors.is_empty() {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            tx.commit().await?;
            let page = check_form(&state, &officer, &ctx, existing.as_ref(), &fields, errors);
            let mut response = render(&page);
            *response.status_mut() = status;
            return Ok(response);
        }
        let fields_json = serde_json::to_string(&fields)
            .map_err(|e| DashError::Render(format!("letter fields: {e}")))?;
        let now = Timestamp::now();
        let zone = ctx.village.time_zone();
        let (number, created) = match &existing {
            Some(letter) => {
                // The letter keeps its number and the date it was numbered on.
                let date = local_date(letter.created_at.as_datetime(), zone);
                let html = render_letter(&ctx, &letter.number, date, &fields)?;
                tx.update_letter(
                    &ctx.village.id,
                    ctx.request.id,
                    &fields_json,
                    &html,
                    officer.id(),
                    now,
                )
                .await?;
                (letter.number.clone(), false)
            }
            None => {
                let date = local_date(now.as_datetime(), zone);
                let seq = tx
                    .next_counter(&ctx.village.id, &counter_name(date.year()))
                    .await?;
                let number = village_format(ctx.village).format(
                    &ctx.service.classification_code,
                    seq,
                    &ctx.village.kode_desa,
                    date,
                );
                let html = render_letter(&ctx, &number, date, &fields)?;
                let inserted = tx
                    .insert_letter(&NewLetter {
                        village_id: &ctx.village.id,
                        request_id: ctx.request.id,
                        year: date.year(),
                        seq,
                        number: &number,
                        fields_json: &fields_json,
                        html: &html,
                        officer_id: officer.id(),
                        now,
                    })
                    .await?;
                if inserted.is_none() {
                    // Another officer numbered it a moment ago. Rolling back returns our
                    // counter step; the next attempt corrects their letter instead.
                    drop(tx);
                    continue;
                }
                (number, true)
            }
        };
        let action = if created {
            "surat_dibuat"
        } else {
            "surat_diubah"
        };
        tx.insert_audit(&audit(&officer, ctx.request.id, action, &number), now)
            .await?;
        tx.commit().await?;
        tracing::info!(ticket = %code, number = %number, action, "letter saved");
        return Ok(Redirect::to(&format!("/dasbor/surat/{code}/cetak")).into_response());
    }
    Err(DashError::BadRequest(
        "Surat ini sedang disimpan oleh petugas lain. Muat ulang halaman lalu coba lagi.".into(),
    ))
}

fn render_letter(
    ctx: &Context<'_>,
    number: &str,
    date: chrono::NaiveDate,
    fields: &LetterFields,
) -> Result<String, DashError> {
    let view = LetterView::new(
        ctx.village,
        ctx.service,
        &ctx.request.ticket_code,
        number,
        date,
        fields,
    );
    letters::render(&view).map_err(|e| DashError::Render(e.to_string()))
}

/// `GET /dasbor/surat/{ticket}/cetak`
async fn print_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(ticket): Path<String>,
) -> Result<Response, DashError> {
    require_role(&officer)?;
    let code = ticket_code(&ticket)?;
    let mut tx = state.store().begin().await?;
    let ctx = context(&state, &officer, &mut tx, &code).await?;
    if matches!(
        ReqState::parse(&ctx.request.state),
        Some(ReqState::Ditolak | ReqState::Dibatalkan)
    ) {
        return Err(DashError::Forbidden(format!(
            "Permohonan {code} sudah {}; suratnya tidak dapat dicetak lagi.",
            ctx.request.state
        )));
    }
    let letter = tx
        .letter_for_request(&ctx.village.id, ctx.request.id)
        .await?
        .ok_or_else(|| DashError::NotFound(format!("Surat untuk permohonan {code}")))?;
    tx.insert_audit(
        &audit(&officer, ctx.request.id, "lihat_surat", &letter.number),
        Timestamp::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(print_response(letter.html))
}

/// The stored letter as its own page. Its CSP allows nothing but the letter's own inline style
/// (by hash, so an injected `<style>` could not apply even if escaping ever failed), no script,
/// no form, no framing.
fn print_response(html: String) -> Response {
    let styles: Vec<String> = style_blocks(&html)
        .map(|css| format!("'sha256-{}'", base64(&Sha256::digest(css.as_bytes()))))
        .collect();
    let csp = format!(
        "default-src 'none'; style-src {}; img-src 'self' data:; form-action 'none'; \
         frame-ancestors 'none'; base-uri 'none'",
        if styles.is_empty() {
            "'none'".to_string()
        } else {
            styles.join(" ")
        }
    );
    let mut response = Html(html).into_response();
    let h = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The contents of the page's `<style>` elements. Only the layout writes them: everything
/// else in a letter is escaped, so no `<style>` can come from a resident or an officer.
fn style_blocks(html: &str) -> impl Iterator<Item = &str> {
    html.split("<style>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</style>").map(|(css, _)| css))
}

/// Standard base64 with padding (CSP hash sources).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
        // The CSP hash of an empty style, as browsers compute it.
        assert_eq!(
            base64(&Sha256::digest(b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn the_print_page_allows_only_its_own_style() {
        let html =
            "<html><head><style>\nbody{}\n</style></head><body>&#60;style&#62;x</body></html>";
        let blocks: Vec<&str> = style_blocks(html).collect();
        assert_eq!(blocks, ["\nbody{}\n"]);
        let response = print_response(html.to_string());
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        let expected = base64(&Sha256::digest(b"\nbody{}\n"));
        assert!(
            csp.contains(&format!("style-src 'sha256-{expected}';")),
            "{csp}"
        );
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        assert!(
            !csp.contains("script-src") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
    }
}
