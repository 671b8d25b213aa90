//! The Graph API client against the Graph mock: the exact requests it makes, how Meta's errors
//! are classified, and media downloads.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kentongan::config::Secret;
use kentongan::outbound::error::{PAIR_RATE_BASE, TEMPORARY_BASE, THROUGHPUT_BASE};
use kentongan::outbound::{
    retry_delay, Backoff, ErrorClass, GraphClient, GraphError, MediaError, MediaLimits,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::graph_mock::{GraphMock, MockResponse};
use crate::meta_schema::{assert_valid_message, every_kind, RESIDENT};

const NUMBER_ID: &str = "1122334455667";

fn client(mock: &GraphMock) -> GraphClient {
    client_with_timeout(mock, Duration::from_secs(5))
}

fn client_with_timeout(mock: &GraphMock, timeout: Duration) -> GraphClient {
    GraphClient::new(&mock.base_url(), Secret::new(GraphMock::TOKEN), timeout).expect("client")
}

/// What each kind from `every_kind()` must look like on the wire, written out by hand from Meta's
/// documentation rather than derived from `to_request`.
fn expected_json(kind: &str) -> Value {
    let base = |kind: &str, content: Value| {
        let mut v = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": RESIDENT,
            "type": kind,
        });
        v[kind] = content;
        v
    };
    match kind {
        "text" => base(
            "text",
            json!({"body": "Permohonan Anda sudah kami terima. 🙏", "preview_url": false}),
        ),
        "buttons" => base(
            "interactive",
            json!({
                "type": "button",
                "header": {"type": "text", "text": "Konfirmasi"},
                "body": {"text": "Kirim permohonan surat keterangan domisili?"},
                "footer": {"text": "Desa Kaliploso"},
                "action": {"buttons": [
                    {"type": "reply", "reply": {"id": "confirm:yes", "title": "Ya, kirim"}},
                    {"type": "reply", "reply": {"id": "confirm:no", "title": "Batal"}},
                ]},
            }),
        ),
        "list" => base(
            "interactive",
            json!({
                "type": "list",
                "body": {"text": "Pilih layanan yang Anda perlukan."},
                "footer": {"text": "Balas 'menu' kapan saja"},
                "action": {
                    "button": "Lihat layanan",
                    "sections": [
                        {"title": "Surat keterangan", "rows": [
                            {"id": "svc:domisili", "title": "Keterangan domisili", "description": "Untuk bank, sekolah, kerja"},
                            {"id": "svc:sktm", "title": "SKTM"},
                        ]},
                        {"title": "Kependudukan", "rows": [
                            {"id": "svc:kk", "title": "Perubahan KK", "description": "Tambah atau kurangi anggota"},
                        ]},
                    ],
                },
            }),
        ),
        "template" => base(
            "template",
            json!({
                "name": "status_update",
                "language": {"code": "id", "policy": "deterministic"},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": "KLP-0042"},
                    {"type": "text", "text": "siap diambil"},
                ]}],
            }),
        ),
        "template without parameters" => base(
            "template",
            json!({"name": "hello_world", "language": {"code": "en_US", "policy": "deterministic"}}),
        ),
        "image" => base(
            "image",
            json!({"id": "1013859600285441", "caption": "Foto KTP"}),
        ),
        "document" => base(
            "document",
            json!({"id": "1013859600285441", "caption": "Surat Anda", "filename": "KLP-0042.pdf"}),
        ),
        "audio" => base("audio", json!({"id": "1013859600285441"})),
        "video" => base(
            "video",
            json!({"id": "1013859600285441", "caption": "Panduan"}),
        ),
        other => panic!("no expected JSON for {other}"),
    }
}

#[tokio::test]
async fn every_kind_is_sent_as_meta_expects() {
    let mock = GraphMock::start().await;
    let client = client(&mock);
    let kinds = every_kind();
    for (i, (name, body)) in kinds.iter().enumerate() {
        let sent = client
            .send(NUMBER_ID, &body.to_request(RESIDENT, None))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sent.wamid, format!("wamid.mock.{}", i + 1));
    }
    let requests = mock.message_requests();
    assert_eq!(requests.len(), kinds.len());
    for ((name, _), request) in kinds.iter().zip(&requests) {
        assert_eq!(
            request.path,
            format!("/v24.0/{NUMBER_ID}/messages"),
            "{name}"
        );
        assert_eq!(
            request.authorization(),
            Some("Bearer test-access-token"),
            "{name}"
        );
        assert!(
            request
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{name}"
        );
        let received = request.json();
        assert_eq!(received, expected_json(name), "{name}");
        assert_valid_message(&received);
    }
}

#[tokio::test]
async fn a_reply_carries_its_context() {
    let mock = GraphMock::start().await;
    let body = kentongan::outbound::OutboundBody::text("Baik");
    client(&mock)
        .send(
            NUMBER_ID,
            &body.to_request(RESIDENT, Some("wamid.inbound.1")),
        )
        .await
        .expect("sent");
    let received = mock.message_requests()[0].json();
    assert_eq!(
        received["context"],
        json!({"message_id": "wamid.inbound.1"})
    );
    assert_valid_message(&received);
}

#[tokio::test]
async fn mark_read_with_and_without_typing_indicator() {
    let mock = GraphMock::start().await;
    let client = client(&mock);
    client
        .mark_read(NUMBER_ID, "wamid.in.7", true)
        .await
        .expect("marked");
    client
        .mark_read(NUMBER_ID, "wamid.in.8", false)
        .await
        .expect("marked");
    let requests = mock.message_requests();
    assert_eq!(requests[0].path, format!("/v24.0/{NUMBER_ID}/messages"));
    assert_eq!(
        requests[0].json(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in.7",
               "typing_indicator": {"type": "text"}})
    );
    assert_eq!(
        requests[1].json(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in.8"})
    );
    assert_eq!(
        requests[1].authorization(),
        Some("Bearer test-access-token")
    );
}

async fn send_text(client: &GraphClient) -> Result<String, GraphError> {
    let body = kentongan::outbound::OutboundBody::text("Halo");
    client
        .send(NUMBER_ID, &body.to_request(RESIDENT, None))
        .await
        .map(|s| s.wamid)
}

async fn error_for(response: MockResponse) -> GraphError {
    let mock = GraphMock::start().await;
    mock.push_response(response);
    send_text(&client(&mock))
        .await
        .expect_err("the scripted response is an error")
}

#[tokio::test]
async fn meta_errors_are_classified() {
    let cases = [
        (
            MockResponse::graph_error(429, 130429, "Rate limit hit"),
            ErrorClass::Retry {
                after: THROUGHPUT_BASE,
                backoff: Backoff::Double,
            },
        ),
        (
            MockResponse::new(500, json!({"error": {"message": "oops"}})),
            ErrorClass::Retry {
                after: TEMPORARY_BASE,
                backoff: Backoff::Double,
            },
        ),
        (
            MockResponse::graph_error(400, 131047, "Re-engagement message"),
            ErrorClass::UseTemplate,
        ),
        (
            MockResponse::graph_error(400, 131026, "Message undeliverable"),
            ErrorClass::Permanent,
        ),
        (
            MockResponse::graph_error(401, 190, "Error validating access token"),
            ErrorClass::CredentialsBroken,
        ),
        (
            MockResponse::graph_error(
                400,
                131056,
                "(Business Account, Consumer Account) pair rate limit hit",
            ),
            ErrorClass::Retry {
                after: PAIR_RATE_BASE,
                backoff: Backoff::Quadruple,
            },
        ),
        (
            MockResponse::graph_error(400, 131048, "Spam rate limit hit"),
            ErrorClass::PolicyBlocked,
        ),
    ];
    for (response, expected) in cases {
        let status = response.status;
        let error = error_for(response).await;
        assert_eq!(error.class(), expected, "{error}");
        let GraphError::Api(api) = &error else {
            panic!("expected an API error, got {error:?}");
        };
        assert_eq!(api.http_status, status);
    }
    // Pair rate limit: 1, 4, 16 s.
    let pair = error_for(MockResponse::graph_error(400, 131056, "pair"))
        .await
        .class();
    let delays: Vec<u64> = (0..3)
        .map(|a| retry_delay(pair, a, 0.0).as_secs())
        .collect();
    assert_eq!(delays, [1, 4, 16]);
}

#[tokio::test]
async fn error_details_are_kept() {
    let error = error_for(MockResponse::graph_error(
        400,
        131047,
        "Re-engagement message",
    ))
    .await;
    let GraphError::Api(api) = &error else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(api.code, Some(131047));
    assert_eq!(api.message, "Re-engagement message");
    assert_eq!(api.details.as_deref(), Some("Re-engagement message"));
    assert_eq!(api.fbtrace_id.as_deref(), Some("AmockTrace"));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let error =
        error_for(MockResponse::graph_error(429, 130429, "Rate limit hit").with_retry_after("42"))
            .await;
    let class = error.class();
    assert_eq!(
        class,
        ErrorClass::Retry {
            after: Duration::from_secs(42),
            backoff: Backoff::Fixed
        }
    );
    assert_eq!(retry_delay(class, 3, 0.0), Duration::from_secs(42));
}

#[tokio::test]
async fn a_slow_answer_is_a_retryable_timeout() {
    let mock = GraphMock::start().await;
    mock.push_response(MockResponse::sent("wamid.late").with_delay(Duration::from_secs(3)));
    let client = client_with_timeout(&mock, Duration::from_millis(300));
    let started = Instant::now();
    let error = send_text(&client).await.expect_err("times out");
    assert!(matches!(error, GraphError::Timeout), "{error:?}");
    assert!(error.class().is_retry());
    assert!(started.elapsed() < Duration::from_secs(2));
    // The next send is answered normally.
    assert_eq!(send_text(&client).await.expect("sent"), "wamid.mock.1");
}

#[tokio::test]
async fn unreachable_graph_is_a_retryable_network_error() {
    let mock = GraphMock::start().await;
    let base = mock.base_url();
    drop(mock);
    // Give the aborted server a moment to release the port.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let client = GraphClient::new(&base, Secret::new("t"), Duration::from_secs(2)).expect("client");
    let error = send_text(&client).await.expect_err("nobody listens");
    assert!(
        matches!(error, GraphError::Network(_) | GraphError::Timeout),
        "{error:?}"
    );
    assert!(error.class().is_retry());
}

#[tokio::test]
async fn success_without_wamid_is_an_error() {
    let error = error_for(MockResponse::new(
        200,
        json!({"messaging_product": "whatsapp"}),
    ))
    .await;
    assert!(matches!(error, GraphError::InvalidResponse(_)), "{error:?}");
    assert_eq!(error.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn a_wrong_token_is_refused_like_meta_does() {
    let mock = GraphMock::start().await;
    let client = GraphClient::new(
        &mock.base_url(),
        Secret::new("expired"),
        Duration::from_secs(5),
    )
    .expect("client");
    let error = send_text(&client).await.expect_err("refused");
    assert_eq!(error.class(), ErrorClass::CredentialsBroken);
    assert_eq!(error.code(), Some(190));
}

#[tokio::test]
async fn queued_responses_are_used_in_order() {
    let mock = GraphMock::start().await;
    mock.push_responses(
        2,
        MockResponse::graph_error(500, 131000, "Something went wrong"),
    );
    let client = client(&mock);
    for _ in 0..2 {
        let e = send_text(&client).await.expect_err("scripted");
        assert_eq!(e.max_attempts(), Some(3));
    }
    assert_eq!(mock.pending_responses(), 0);
    assert_eq!(send_text(&client).await.expect("sent"), "wamid.mock.1");
    assert_eq!(
        mock.wait_for_message_requests(3, Duration::from_secs(1))
            .await
            .len(),
        3
    );
}

// ---------------------------------------------------------------------------------------------
// Media

/// A fresh, empty directory under the system temp dir; removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("kentongan-media-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn photo() -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn media_is_downloaded_and_verified() {
    let mock = GraphMock::start().await;
    let bytes = photo();
    mock.add_honest_media("1013859600285441", bytes.clone(), "image/jpeg");
    let dir = TempDir::new();
    let media = client(&mock)
        .download_media("1013859600285441", &dir.0, &MediaLimits::default())
        .await
        .expect("downloaded");
    assert_eq!(media.path, dir.0.join("1013859600285441.jpg"));
    assert_eq!(media.mime_type, "image/jpeg");
    assert_eq!(media.size, bytes.len() as u64);
    assert_eq!(media.sha256_hex, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(std::fs::read(&media.path).expect("file"), bytes);
    assert_eq!(dir.entries(), ["1013859600285441.jpg"]);
    // Metadata first, then the file, both with the token.
    let requests = mock.requests();
    assert_eq!(requests[0].path, "/v24.0/1013859600285441");
    assert_eq!(requests[1].path, "/media/1013859600285441");
    assert!(requests
        .iter()
        .all(|r| r.authorization() == Some("Bearer test-access-token")));
}

#[tokio::test]
async fn base64_sha256_as_webhooks_carry_it_is_accepted() {
    let mock = GraphMock::start().await;
    let bytes = b"%PDF-1.4 surat pengantar".to_vec();
    // sha256 in standard base64 (what the webhook's media object carries).
    let b64 = base64_of(&Sha256::digest(&bytes));
    mock.add_media(
        "77",
        bytes.clone(),
        "application/pdf",
        &b64,
        bytes.len() as u64,
    );
    let dir = TempDir::new();
    let media = client(&mock)
        .download_media("77", &dir.0, &MediaLimits::default())
        .await
        .expect("downloaded");
    assert_eq!(media.path, dir.0.join("77.pdf"));
}

fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn wrong_sha256_leaves_no_file() {
    let mock = GraphMock::start().await;
    let bytes = photo();
    let wrong = hex::encode(Sha256::digest(b"something else"));
    mock.add_media(
        "42",
        bytes.clone(),
        "image/jpeg",
        &wrong,
        bytes.len() as u64,
    );
    let dir = TempDir::new();
    let error = client(&mock)
        .download_media("42", &dir.0, &MediaLimits::default())
        .await
        .expect_err("hash differs");
    assert!(
        matches!(error, GraphError::Media(MediaError::ShaMismatch { .. })),
        "{error:?}"
    );
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}

#[tokio::test]
async fn oversized_announcement_is_refused_without_downloading() {
    let mock = GraphMock::start().await;
    let bytes = photo();
    let sha = hex::encode(Sha256::digest(&bytes));
    mock.add_media("43", bytes, "image/jpeg", &sha, 6 * 1024 * 1024);
    let dir = TempDir::new();
    let error = client(&mock)
        .download_media("43", &dir.0, &MediaLimits::default())
        .await
        .expect_err("too large");
    assert!(
        matches!(
            error,
            GraphError::Media(MediaError::TooLarge {
                announced: 6291456,
                limit: 5242880,
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(error.class(), ErrorClass::Permanent);
    assert!(
        mock.requests_to("/media/43").is_empty(),
        "the body was fetched"
    );
    assert!(dir.entries().is_empty());
}

#[tokio::test]
async fn a_body_larger_than_announced_is_refused() {
    let mock = GraphMock::start().await;
    let bytes = photo();
    let sha = hex::encode(Sha256::digest(&bytes));
    // Announced small, really 200 kB: within the limit, but not what was promised.
    mock.add_media("44", bytes.clone(), "image/jpeg", &sha, 1000);
    let dir = TempDir::new();
    let error = client(&mock)
        .download_media("44", &dir.0, &MediaLimits::default())
        .await
        .expect_err("size differs");
    assert!(
        matches!(
            error,
            GraphError::Media(MediaError::SizeMismatch {
                announced: 1000,
                actual: 200_000
            })
        ),
        "{error:?}"
    );
    assert!(dir.entries().is_empty());

    // Announced small, really larger than the limit: cut off, never stored.
    let limits = MediaLimits {
        image: 100_000,
        ..MediaLimits::default()
    };
    mock.add_media("45", bytes, "image/jpeg", &sha, 1000);
    let error = client(&mock)
        .download_media("45", &dir.0, &limits)
        .await
        .expect_err("over the limit");
    assert!(
        matches!(
            error,
            GraphError::Media(MediaError::BodyTooLarge { limit: 100_000 })
        ),
        "{error:?}"
    );
    assert!(dir.entries().is_empty());
}

#[tokio::test]
async fn media_url_requires_the_token() {
    let mock = GraphMock::start().await;
    mock.add_honest_media("46", photo(), "image/jpeg");
    let http = reqwest::Client::new();
    let anonymous = http
        .get(mock.media_url("46"))
        .send()
        .await
        .expect("answered");
    assert_eq!(anonymous.status(), 401);
    let wrong = http
        .get(mock.media_url("46"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong.status(), 401);
    let metadata = http
        .get(format!("{}/46", mock.base_url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(metadata.status(), 401);
    // With the token the bytes come back.
    let ok = http
        .get(mock.media_url("46"))
        .bearer_auth(GraphMock::TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.bytes().await.expect("body").len(), photo().len());
}

#[tokio::test]
async fn unknown_or_hostile_media_ids() {
    let mock = GraphMock::start().await;
    let dir = TempDir::new();
    let client = client(&mock);
    let error = client
        .download_media("999", &dir.0, &MediaLimits::default())
        .await
        .expect_err("unknown");
    assert_eq!(error.code(), Some(100));
    assert_eq!(error.class(), ErrorClass::Permanent);
    let error = client
        .download_media("../../etc/passwd", &dir.0, &MediaLimits::default())
        .await
        .expect_err("refused");
    assert!(
        matches!(error, GraphError::Media(MediaError::InvalidId(_))),
        "{error:?}"
    );
    assert_eq!(
        mock.requests().len(),
        1,
        "the hostile id never left the process"
    );
    assert!(dir.entries().is_empty());
}
