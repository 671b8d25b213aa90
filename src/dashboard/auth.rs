//! Officers' login to the dashboard: argon2 password hashes, sessions kept in the database
//! (the cookie holds a random token; only its SHA-256 is stored), a CSRF token per session
//! checked on every form, lock-out after repeated failures, logout.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::domain::phone::{UserId, WaId};
use crate::requests::Roles;
use crate::store::{SessionOfficer, Timestamp};
use crate::webhook::signature::constant_time_eq;

use super::{render, DashError, LoginPage};

pub const SESSION_COOKIE: &str = "kentongan_sesi";
/// Before login: the double-submit token of the login form.
pub const LOGIN_CSRF_COOKIE: &str = "kentongan_csrf";
const SESSION_HOURS: i64 = 12;
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

/// Hash a password for storage (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < 8 {
        return Err("password must be at least 8 characters".into());
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

fn random_token() -> String {
    use rand::RngCore;
    let mut buf = [0u8; 32];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `Secure` whenever the dashboard is reached over HTTPS (directly or behind a proxy) or the
/// server runs live; in the local sandbox over plain HTTP the browser would drop it.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.live()
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let mut c =
        format!("{name}={value}; Path=/dasbor; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The logged-in officer of a dashboard request. Pages that need a login take this; without a
/// live session they redirect to the login page.
#[derive(Debug, Clone)]
pub struct Officer {
    pub session: SessionOfficer,
    pub roles: Roles,
}

impl Officer {
    pub fn id(&self) -> i64 {
        self.session.officer_id
    }
    pub fn village_id(&self) -> &str {
        &self.session.village_id
    }
    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }
    /// Check a submitted form's CSRF token; every state-changing form carries one.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), DashError> {
        if !submitted.is_empty()
            && constant_time_eq(submitted.as_bytes(), self.session.csrf_token.as_bytes())
        {
            Ok(())
        } else {
            Err(DashError::Csrf)
        }
    }
}

impl FromRequestParts<AppState> for Officer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Redirect::to("/dasbor/masuk").into_response());
        };
        match state
            .store()
            .session(&token_hash(&token), Timestamp::now())
            .await
        {
            Ok(Some(session)) => {
                let roles = Roles::parse(&session.roles);
                Ok(Officer { session, roles })
            }
            Ok(None) => Err(Redirect::to("/dasbor/masuk").into_response()),
            Err(e) => Err(DashError::from(e).into_response()),
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    village: String,
    #[serde(default)]
    csrf: String,
}

/// `GET /dasbor/masuk`
pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&state, &headers, None, "", StatusCode::OK)
}

fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<&str>,
    login: &str,
    status: StatusCode,
) -> Response {
    let csrf = random_token();
    let villages: Vec<(String, String)> = state
        .villages()
        .iter()
        .map(|v| (v.id.clone(), v.name.clone()))
        .collect();
    let page = LoginPage {
        csrf: &csrf,
        error,
        login,
        villages: if villages.len() > 1 { villages } else { vec![] },
    };
    let mut response = render(&page).into_response();
    *response.status_mut() = status;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, secure(state, headers)),
    );
    response
}

/// `POST /dasbor/masuk`
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, DashError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(DashError::Csrf);
    }
    let login = form.login.trim();
    let normalised = WaId::parse(login)
        .map(|w| w.as_str().to_string())
        .or_else(|_| UserId::parse(login).map(|u| u.as_str().to_string()));
    let fail = |msg: &str| {
        Ok(login_form(
            &state,
            &headers,
            Some(msg),
            login,
            StatusCode::UNAUTHORIZED,
        ))
    };
    // One answer for every failure (unknown number, no password, wrong password, locked):
    // nothing tells a stranger which numbers are officers'.
    let refused = format!(
        "Nomor WhatsApp atau kata sandi salah. Setelah {MAX_FAILURES} kali salah berturut-turut, \
         akun dikunci {LOCK_MINUTES} menit."
    );
    let Ok(login_id) = normalised else {
        return fail(&refused);
    };
    let now = Timestamp::now();
    let mut candidates = state.store().login_officers(&login_id).await?;
    if !form.village.is_empty() {
        candidates.retain(|o| o.village_id == form.village);
    }
    if candidates.len() > 1 {
        return fail("Nomor ini petugas di beberapa desa. Pilih desanya.");
    }
    let Some(officer) = candidates.pop() else {
        // The same work as a real check, so the answer's timing tells nothing either.
        let _ = verify_password(&form.password, DUMMY_HASH);
        return fail(&refused);
    };
    let lock_until = Timestamp::from(now.as_datetime() + chrono::Duration::minutes(LOCK_MINUTES));
    let Some(attempt) = state
        .store()
        .reserve_login_attempt(officer.id, MAX_FAILURES, lock_until, now)
        .await?
    else {
        tracing::warn!(officer = officer.id, "login refused: locked out");
        let _ = verify_password(&form.password, DUMMY_HASH);
        return fail(&refused);
    };
    let ok = match officer.password_hash.as_deref() {
        Some(h) => verify_password(&form.password, h),
        None => {
            let _ = verify_password(&form.password, DUMMY_HASH);
            false
        }
    };
    if !ok {
        tracing::warn!(
            officer = officer.id,
            failures = attempt,
            "dashboard login failed"
        );
        return fail(&refused);
    }
    let token = random_token();
    let csrf = random_token();
    let expires = Timestamp::from(now.as_datetime() + chrono::Duration::hours(SESSION_HOURS));
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.chars().take(200).collect::<String>());
    state
        .store()
        .open_session(
            &officer,
            &token_hash(&token),
            &csrf,
            agent.as_deref(),
            expires,
            now,
        )
        .await?;
    tracing::info!(officer = officer.id, village = %officer.village_id, "dashboard login");
    let mut response = Redirect::to("/dasbor").into_response();
    let secure = secure(&state, &headers);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600, secure),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /dasbor/keluar`
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    officer: Officer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, DashError> {
    officer.check_csrf(&form.csrf)?;
    state
        .store()
        .close_session(officer.session.session_id)
        .await?;
    let mut response = Redirect::to("/dasbor/masuk").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, secure(&state, &headers)),
    );
    Ok(response)
}

/// A valid argon2 hash of a random string: verifying against it when the login is unknown costs
/// the same time as a real check, so response times do not tell which numbers are officers.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2r5oGqS0Fjs6b0nSrK1dGkq3Gj0F2s3cTjzHk0Lr4nU";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("rahasia-desa-1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("rahasia-desa-1", &h));
        assert!(!verify_password("rahasia-desa-2", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(hash_password("pendek").is_err());
        // Two hashes of one password differ (random salt).
        assert_ne!(h, hash_password("rahasia-desa-1").unwrap());
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; kentongan_sesi=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("anything", DUMMY_HASH));
    }
}
