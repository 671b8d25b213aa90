//! Where WhatsApp messages come in: the verification handshake, the signature check, the
//! Cloud API payload types and the ingest into the store.

pub mod ingest;
pub mod intake;
pub mod payload;
pub mod signature;

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tracing::Instrument;

use crate::app::AppState;
use crate::metrics::WebhookOutcome;
use crate::store::Timestamp;
use ingest::IngestError;

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

pub fn router(body_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/webhook", get(handshake).post(receive))
        .layer(DefaultBodyLimit::max(body_limit))
}

/// `GET /webhook?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: Meta's subscription
/// check. It carries no signature; the verify token is the proof.
async fn handshake(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mode = params.get("hub.mode").map(String::as_str);
    let token = params.get("hub.verify_token");
    let challenge = params.get("hub.challenge");
    let expected = state.verify_token();
    match (mode, token, challenge, expected) {
        (Some("subscribe"), Some(token), Some(challenge), Some(expected))
            if signature::constant_time_eq(token.as_bytes(), expected.expose().as_bytes()) =>
        {
            tracing::info!("webhook verification handshake accepted");
            (
                StatusCode::OK,
                [("content-type", "text/plain; charset=utf-8")],
                challenge.clone(),
            )
                .into_response()
        }
        (_, _, _, None) => {
            tracing::warn!("webhook handshake refused: WHATSAPP_VERIFY_TOKEN is not set");
            StatusCode::FORBIDDEN.into_response()
        }
        _ => {
            tracing::warn!("webhook handshake refused: wrong mode or verify token");
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

/// `POST /webhook`: verify, parse, commit, then answer. 200 means durably stored (or kept as a
/// dead letter); any 5xx makes Meta retry.
async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let metrics = state.metrics();
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                tracing::warn!("webhook refused: body over the configured limit");
                metrics.webhook(WebhookOutcome::TooLarge, started.elapsed());
            }
            return rejection.into_response();
        }
    };
    let signed = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|sig| signature::verify(state.app_secret().expose().as_bytes(), &body, sig))
        .unwrap_or(false);
    if !signed {
        tracing::warn!(
            bytes = body.len(),
            has_header = headers.contains_key(SIGNATURE_HEADER),
            "webhook refused: missing or invalid X-Hub-Signature-256"
        );
        metrics.webhook(WebhookOutcome::Unauthorized, started.elapsed());
        return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
    }

    let span = tracing::info_span!("webhook", wamids = tracing::field::Empty);
    let result = state
        .intake()
        .submit(body.clone(), Timestamp::now())
        .instrument(span.clone())
        .await;
    match result {
        Ok(report) => {
            let _enter = span.enter();
            metrics.messages(report.new_messages.len(), report.duplicates);
            metrics.statuses(report.new_statuses, report.duplicate_statuses);
            metrics.unrouted(report.unrouted);
            tracing::info!(
                new_messages = report.new_messages.len(),
                duplicates = report.duplicates,
                statuses = report.new_statuses,
                duplicate_statuses = report.duplicate_statuses,
                other = report.other_events,
                unrouted = report.unrouted,
                dead_lettered = report.dead_lettered,
                "webhook stored"
            );
            if !report.new_messages.is_empty() || report.new_statuses > 0 {
                state.wake_outbox();
            }
            metrics.webhook(WebhookOutcome::Stored, started.elapsed());
            StatusCode::OK.into_response()
        }
        Err(IngestError::Payload(parse_error)) => {
            // Signed by Meta but not understood: keep it whole and say 200, otherwise Meta
            // would resend the same unreadable body for a week.
            let error = parse_error.to_string();
            match state.store().insert_dead_letter(&body, &error).await {
                Ok(id) => {
                    tracing::error!(dead_letter_id = id, error = %error, "webhook payload could not be parsed; kept as a dead letter");
                    metrics.webhook(WebhookOutcome::DeadLetter, started.elapsed());
                    StatusCode::OK.into_response()
                }
                Err(store_error) => {
                    tracing::error!(error = %error, store_error = %store_error, "unparseable webhook could not be dead-lettered; asking Meta to retry");
                    metrics.webhook(WebhookOutcome::Unavailable, started.elapsed());
                    StatusCode::SERVICE_UNAVAILABLE.into_response()
                }
            }
        }
        Err(IngestError::Store(store_error)) => {
            tracing::error!(error = %store_error, "webhook not stored; asking Meta to retry");
            metrics.webhook(WebhookOutcome::Unavailable, started.elapsed());
            let status = if store_error.is_unavailable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            (status, "temporarily unable to store the webhook").into_response()
        }
    }
}
