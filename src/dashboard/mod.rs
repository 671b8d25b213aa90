//! The village office dashboard: server-rendered pages (askama, no JavaScript framework) for the
//! office PC and an officer's phone. Login and sessions in [`auth`]; every page escapes what
//! residents wrote (askama escapes HTML by default) and is served with a strict CSP.

pub mod auth;
pub mod complaints;
pub mod letters;
pub mod reports;
pub mod requests;
pub mod settings;
pub mod svg;

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::store::StoreError;

pub use auth::Officer;

/// The dashboard's routes, under `/dasbor`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dasbor/masuk", get(auth::login_page).post(auth::login))
        .route("/dasbor/keluar", axum::routing::post(auth::logout))
        .route("/dasbor/gaya.css", get(stylesheet))
        .merge(reports::routes())
        .merge(settings::routes())
        .merge(requests::routes())
        .merge(complaints::routes())
        .merge(letters::routes())
}

/// What goes wrong on a dashboard page, answered with a short Indonesian page.
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    #[error("form token missing or wrong")]
    Csrf,
    #[error("not found: {0}")]
    NotFound(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("template: {0}")]
    Render(String),
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for DashError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            DashError::Csrf => (
                StatusCode::FORBIDDEN,
                "Formulir kedaluwarsa",
                "Formulir ini sudah tidak berlaku. Muat ulang halaman lalu coba lagi.".to_string(),
            ),
            DashError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "Tidak ditemukan",
                format!("{what} tidak ditemukan."),
            ),
            DashError::Forbidden(why) => (StatusCode::FORBIDDEN, "Tidak diizinkan", why.clone()),
            DashError::BadRequest(why) => {
                (StatusCode::BAD_REQUEST, "Isian tidak valid", why.clone())
            }
            DashError::Store(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "dashboard: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Sedang sibuk",
                    "Basis data sedang tidak dapat dihubungi. Coba lagi sebentar lagi.".into(),
                )
            }
            DashError::Store(e) => {
                tracing::error!(error = %e, "dashboard: database error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Terjadi kesalahan",
                    "Terjadi kesalahan pada server. Kejadian ini sudah dicatat.".into(),
                )
            }
            DashError::Render(e) => {
                tracing::error!(error = %e, "dashboard: template failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Terjadi kesalahan",
                    "Halaman tidak dapat ditampilkan. Kejadian ini sudah dicatat.".into(),
                )
            }
        };
        let mut response = render(&ErrorPage {
            title,
            message: &message,
        })
        .into_response();
        *response.status_mut() = status;
        response
    }
}

/// Render a page with the dashboard's security headers: nothing but our own stylesheet may load,
/// no script runs, no other site may frame it or receive its forms, and nothing is cached
/// (pages carry personal data).
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = Html(html).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                     form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
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
        Err(e) => {
            tracing::error!(error = %e, "dashboard: template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Halaman tidak dapat ditampilkan.",
            )
                .into_response()
        }
    }
}

/// The page around every logged-in page: who is logged in, the menu, the logout form.
pub struct Chrome {
    pub officer_name: String,
    pub village_name: String,
    pub roles: String,
    pub csrf: String,
    /// Which menu entry is current: "antrian", "aduan", "laporan", "pengaturan".
    pub section: &'static str,
}

impl Chrome {
    pub fn new(state: &AppState, officer: &Officer, section: &'static str) -> Chrome {
        Chrome {
            officer_name: officer.session.name.clone(),
            village_name: state
                .villages()
                .iter()
                .find(|v| v.id == officer.village_id())
                .map(|v| v.name.clone())
                .unwrap_or_else(|| officer.village_id().to_string()),
            roles: officer.roles.names().join(", "),
            csrf: officer.csrf().to_string(),
            section,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/login.html")]
pub struct LoginPage<'a> {
    pub csrf: &'a str,
    pub error: Option<&'a str>,
    pub login: &'a str,
    /// (id, name) when several villages are served; empty otherwise.
    pub villages: Vec<(String, String)>,
}

const STYLESHEET: &str = include_str!("../../templates/dashboard/gaya.css");

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}
