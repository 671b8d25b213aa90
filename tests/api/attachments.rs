//! Residents' stored attachments sent on to officers: the outbox worker uploads our copy to the
//! Graph mock (`POST /{phone_number_id}/media`, multipart) and sends it as an image or a
//! document, waits while the download is still being tried, and otherwise tells the officer in a
//! short text why the attachment is not available. On both databases.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kentongan::config::Secret;
use kentongan::outbound::outbox::{OutboxSettings, OutboxWorker, TemplateSettings, Transport};
use kentongan::outbound::sandbox::Sandbox;
use kentongan::outbound::{GraphClient, OutboundBody};
use kentongan::store::{
    NewAttachment, NewRequest, ResidentUpsert, SenderKey, Store, Timestamp, MAX_DOWNLOAD_ATTEMPTS,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::graph_mock::{GraphMock, MockResponse};
use crate::helpers::*;
use crate::meta_schema::{assert_valid_message, assert_valid_upload, validate_upload_answer};

/// The officer who asked for the attachment.
const OFFICER: &str = "6281300000001";
const PURPOSE: &str = "officer_attachment";

fn settings() -> OutboxSettings {
    OutboxSettings {
        rate_per_sec: 1000.0,
        max_attempts: 4,
        templates: TemplateSettings {
            default: Some("kentongan_pemberitahuan".into()),
            by_purpose: HashMap::new(),
            language: "id".into(),
        },
        ..OutboxSettings::default()
    }
}

fn numbers() -> HashMap<String, String> {
    [
        ("kaliploso".to_string(), KALIPLOSO_NUMBER.to_string()),
        ("sukamaju".to_string(), SUKAMAJU_NUMBER.to_string()),
    ]
    .into()
}

fn worker(store: &Store, mock: &GraphMock, settings: OutboxSettings) -> OutboxWorker {
    let client = GraphClient::new(
        &mock.base_url(),
        Secret::new(GraphMock::TOKEN),
        Duration::from_secs(2),
    )
    .expect("client");
    OutboxWorker::new(
        store.clone(),
        Transport::Graph(client),
        numbers(),
        settings,
        None,
    )
}

/// Run the worker until nothing is due.
async fn drain(w: &OutboxWorker) -> usize {
    let mut total = 0;
    for _ in 0..50 {
        let n = w.run_once().await.unwrap();
        if n == 0 {
            break;
        }
        total += n;
    }
    total
}

/// Queue a request for an attachment for the officer, as the officers' desk does: the body's
/// stored JSON is `{"kind":"attachment","attachment_id":N,"caption":"…"}`.
async fn queue_attachment(
    store: &Store,
    village: &str,
    attachment_id: i64,
    caption: Option<&str>,
) -> i64 {
    let body = OutboundBody::attachment(attachment_id, caption.map(str::to_owned));
    body.validate().expect("valid");
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .enqueue(
            village,
            None,
            OFFICER,
            body.kind(),
            PURPOSE,
            &serde_json::to_string(&body).unwrap(),
            None,
            Timestamp::now(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A resident's request with ticket `code` (the file names officers see start with it).
async fn request(store: &Store, village: &str, code: &str, seq: i64) -> i64 {
    let now = Timestamp::now();
    let mut tx = store.begin().await.unwrap();
    let sender = SenderKey {
        wa_id: Some(format!("62812000{seq:05}")),
        user_id: None,
    };
    let resident = tx
        .upsert_resident(&ResidentUpsert {
            village_id: village,
            sender: &sender,
            profile_name: Some("Warga"),
            username: None,
            seen_at: now,
        })
        .await
        .unwrap();
    let id = tx
        .insert_request(&NewRequest {
            village_id: village,
            ticket_seq: seq,
            ticket_code: code,
            resident_id: resident,
            service_code: "domisili",
            subject_name: None,
            relation: None,
            data_json: "{}",
            latitude: None,
            longitude: None,
            due_at: now,
            now,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// An attachment row as the conversation records it (not downloaded yet).
async fn attachment(
    store: &Store,
    village: &str,
    request_id: Option<i64>,
    requirement_key: Option<&str>,
    media_id: &str,
    mime_type: &str,
) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_attachment(&NewAttachment {
            village_id: village,
            request_id,
            complaint_id: None,
            inbound_message_id: None,
            requirement_key,
            media_id: Some(media_id),
            mime_type: Some(mime_type),
            now: Timestamp::now(),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Put the file in the data folder and record the download, as the media fetcher does.
async fn download(app: &TestApp, village: &str, attachment_id: i64, name: &str, bytes: &[u8]) {
    let dir = app.data_dir.join("media").join(village);
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let sha = hex::encode(Sha256::digest(bytes));
    let path = path.display().to_string();
    app.store
        .record_media_download(
            attachment_id,
            Ok((&path, bytes.len() as i64, &sha)),
            Timestamp::now(),
        )
        .await
        .unwrap();
}

fn photo() -> Vec<u8> {
    let mut bytes = b"\xff\xd8\xff\xe0\x00\x10JFIF foto KTP ".to_vec();
    bytes.extend((0..5_000u32).map(|i| (i % 251) as u8));
    bytes
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec()
}

fn text_of(request: &Value) -> String {
    request["text"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The one text sent, checked against Meta's schema.
fn only_text(mock: &GraphMock) -> String {
    let sent = mock.message_requests();
    assert_eq!(
        sent.len(),
        1,
        "{:?}",
        sent.iter().map(|r| r.json()).collect::<Vec<_>>()
    );
    let request = sent[0].json();
    assert_valid_message(&request);
    assert_eq!(request["to"], OFFICER);
    assert_eq!(request["type"], "text");
    text_of(&request)
}

both_backends! {
    async fn a_downloaded_photo_is_uploaded_then_sent_as_an_image_with_its_caption(app) {
        let mock = GraphMock::start().await;
        let request_id = request(&app.store, "kaliploso", "KLP-0042", 42).await;
        let id = attachment(&app.store, "kaliploso", Some(request_id), Some("ktp"), "111222333", "image/jpeg").await;
        download(&app, "kaliploso", id, "111222333.jpg", &photo()).await;
        let outbound = queue_attachment(&app.store, "kaliploso", id, Some("Foto KTP pemohon KLP-0042")).await;
        drain(&worker(&app.store, &mock, settings())).await;

        let uploads = mock.upload_requests();
        assert_eq!(uploads.len(), 1);
        let upload = &uploads[0];
        assert_eq!(upload.path, format!("/v24.0/{KALIPLOSO_NUMBER}/media"));
        assert_eq!(upload.authorization(), Some("Bearer test-access-token"));
        assert!(upload.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
        assert_valid_upload(upload);
        assert_eq!(upload.form_part("messaging_product").text(), "whatsapp");
        assert_eq!(upload.form_part("type").text(), "image/jpeg");
        let file = upload.form_part("file");
        assert_eq!(file.data, photo(), "our copy, byte for byte");
        assert_eq!(file.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(file.filename.as_deref(), Some("KLP-0042-ktp.jpg"));
        assert_eq!(upload.form_parts().unwrap().len(), 3, "nothing else is sent");

        let media_id = GraphMock::uploaded_media_id(1);
        validate_upload_answer(&json!({ "id": media_id })).expect("the mock answers like Meta");
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 1);
        let message = sent[0].json();
        assert_eq!(
            message,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": OFFICER,
                   "type": "image", "image": {"id": media_id, "caption": "Foto KTP pemohon KLP-0042"}})
        );
        assert_valid_message(&message);
        // Uploaded first, then sent.
        let order: Vec<String> = mock.requests().iter().map(|r| r.path.clone()).collect();
        assert_eq!(order, vec![upload.path.clone(), sent[0].path.clone()]);
        let row = app.store.outbound(outbound).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.kind.as_str(), row.attempts), ("sent", "attachment", 1));
        assert_eq!(row.wamid.as_deref(), Some("wamid.mock.1"));
    }

    async fn a_pdf_goes_as_a_document_with_a_file_name(app) {
        let mock = GraphMock::start().await;
        let request_id = request(&app.store, "kaliploso", "KLP-0042", 42).await;
        let with_code = attachment(&app.store, "kaliploso", Some(request_id), Some("kk"), "444", "application/pdf").await;
        download(&app, "kaliploso", with_code, "444.pdf", &pdf()).await;
        let bare = attachment(&app.store, "kaliploso", None, None, "555", "application/pdf").await;
        download(&app, "kaliploso", bare, "555.pdf", &pdf()).await;
        queue_attachment(&app.store, "kaliploso", with_code, None).await;
        queue_attachment(&app.store, "kaliploso", bare, Some("Surat pengantar RT")).await;
        drain(&worker(&app.store, &mock, settings())).await;

        let uploads = mock.upload_requests();
        assert_eq!(uploads.len(), 2);
        for upload in &uploads {
            assert_valid_upload(upload);
            assert_eq!(upload.form_part("type").text(), "application/pdf");
            assert_eq!(upload.form_part("file").data, pdf());
        }
        assert_eq!(uploads[0].form_part("file").filename.as_deref(), Some("KLP-0042-kk.pdf"));
        let bare_name = format!("lampiran-{bare}.pdf");
        assert_eq!(uploads[1].form_part("file").filename.as_deref(), Some(bare_name.as_str()));
        let sent: Vec<Value> = mock.message_requests().iter().map(|r| r.json()).collect();
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[0]["document"],
            json!({"id": GraphMock::uploaded_media_id(1), "filename": "KLP-0042-kk.pdf"})
        );
        assert_eq!(
            sent[1]["document"],
            json!({"id": GraphMock::uploaded_media_id(2), "caption": "Surat pengantar RT", "filename": bare_name})
        );
        for message in &sent {
            assert_eq!(message["type"], "document");
            assert_valid_message(message);
        }
    }

    async fn one_not_yet_downloaded_waits_and_is_sent_once_it_is(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        let id = attachment(&app.store, "kaliploso", None, Some("ktp"), "777", "image/png").await;
        let outbound = queue_attachment(&app.store, "kaliploso", id, Some("KTP")).await;
        assert_eq!(w.run_once().await.unwrap(), 1);
        assert!(mock.requests().is_empty(), "nothing to upload or send yet");
        let row = app.store.outbound(outbound).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.attempts), ("queued", 1));
        assert!(row.error_title.unwrap_or_default().contains("not downloaded yet"));
        let attempts = app.store.attempts_of(outbound).await.unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!((attempts[0].outcome.as_str(), attempts[0].http_status), ("retry", None));
        // It waits (at least ATTACHMENT_WAIT_BASE), it does not spin through its attempts.
        assert_eq!(w.run_once().await.unwrap(), 0);
        assert_eq!(w.run_once().await.unwrap(), 0);
        assert_eq!(app.store.outbound(outbound).await.unwrap().unwrap().attempts, 1);

        // Still pending at the next attempt: waits again.
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        assert_eq!(w.run_once().await.unwrap(), 1);
        assert!(mock.requests().is_empty());

        let png = b"\x89PNG\r\n\x1a\n foto".to_vec();
        download(&app, "kaliploso", id, "777.png", &png).await;
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        drain(&w).await;
        let uploads = mock.upload_requests();
        assert_eq!(uploads.len(), 1);
        assert_eq!(uploads[0].form_part("file").data, png);
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].json()["image"], json!({"id": GraphMock::uploaded_media_id(1), "caption": "KTP"}));
        assert_valid_message(&sent[0].json());
        let row = app.store.outbound(outbound).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 3));
    }

    async fn still_not_downloaded_at_the_last_attempt_the_officer_is_told(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, OutboxSettings { max_attempts: 2, ..settings() });
        let id = attachment(&app.store, "kaliploso", None, None, "778", "image/jpeg").await;
        let outbound = queue_attachment(&app.store, "kaliploso", id, None).await;
        w.run_once().await.unwrap();
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        w.run_once().await.unwrap();
        assert_eq!(
            only_text(&mock),
            format!("Lampiran #{id} tidak tersedia: belum selesai diunduh. Silakan minta lagi nanti.")
        );
        assert_eq!(app.store.outbound(outbound).await.unwrap().unwrap().status, "sent");
    }

    async fn a_deleted_attachment_is_reported_as_not_available(app) {
        let mock = GraphMock::start().await;
        let id = attachment(&app.store, "kaliploso", None, Some("ktp"), "888", "image/jpeg").await;
        download(&app, "kaliploso", id, "888.jpg", &photo()).await;
        assert!(app.store.mark_attachment_deleted("kaliploso", id, Timestamp::now()).await.unwrap());
        assert!(
            !app.store.mark_attachment_deleted("sukamaju", id, Timestamp::now()).await.unwrap(),
            "another village cannot touch it"
        );
        let outbound = queue_attachment(&app.store, "kaliploso", id, Some("KTP")).await;
        drain(&worker(&app.store, &mock, settings())).await;
        assert_eq!(
            only_text(&mock),
            format!("Lampiran #{id} tidak tersedia: sudah dihapus sesuai jadwal retensi.")
        );
        assert!(mock.upload_requests().is_empty(), "a deleted file is never uploaded");
        let row = app.store.outbound(outbound).await.unwrap().unwrap();
        assert_eq!(row.status, "sent");
    }

    async fn a_failed_download_or_a_missing_file_is_reported_as_not_available(app) {
        let mock = GraphMock::start().await;
        let failed = attachment(&app.store, "kaliploso", None, None, "901", "image/jpeg").await;
        for _ in 0..MAX_DOWNLOAD_ATTEMPTS {
            app.store
                .record_media_download(failed, Err("media sha256 mismatch"), Timestamp::now())
                .await
                .unwrap();
        }
        let missing = attachment(&app.store, "kaliploso", None, None, "902", "application/pdf").await;
        download(&app, "kaliploso", missing, "902.pdf", &pdf()).await;
        std::fs::remove_file(app.data_dir.join("media/kaliploso/902.pdf")).unwrap();
        let tampered = attachment(&app.store, "kaliploso", None, None, "903", "image/jpeg").await;
        download(&app, "kaliploso", tampered, "903.jpg", &photo()).await;
        std::fs::write(app.data_dir.join("media/kaliploso/903.jpg"), b"something else").unwrap();
        let unknown = 999_999;
        for id in [failed, missing, tampered, unknown] {
            queue_attachment(&app.store, "kaliploso", id, Some("lihat")).await;
        }
        drain(&worker(&app.store, &mock, settings())).await;
        let texts: Vec<String> = mock.message_requests().iter().map(|r| {
            assert_valid_message(&r.json());
            text_of(&r.json())
        }).collect();
        assert_eq!(texts, vec![
            format!("Lampiran #{failed} tidak tersedia: gagal diunduh dari WhatsApp."),
            format!("Lampiran #{missing} tidak tersedia: berkasnya tidak ditemukan di server."),
            format!("Lampiran #{tampered} tidak tersedia: berkasnya rusak (tidak sama dengan saat diunduh)."),
            format!("Lampiran #{unknown} tidak tersedia: tidak ditemukan di desa ini."),
        ]);
        assert!(mock.upload_requests().is_empty());
    }

    async fn an_attachment_of_another_village_is_refused_with_the_text(app) {
        let mock = GraphMock::start().await;
        let theirs = attachment(&app.store, "sukamaju", None, Some("ktp"), "321", "image/jpeg").await;
        download(&app, "sukamaju", theirs, "321.jpg", &photo()).await;
        assert!(app.store.attachment_for_village("kaliploso", theirs).await.unwrap().is_none());
        assert!(app.store.attachment_for_village("sukamaju", theirs).await.unwrap().is_some());
        // A Kaliploso officer asks for Sukamaju's attachment by its number.
        let outbound = queue_attachment(&app.store, "kaliploso", theirs, None).await;
        drain(&worker(&app.store, &mock, settings())).await;
        assert_eq!(only_text(&mock), format!("Lampiran #{theirs} tidak tersedia: tidak ditemukan di desa ini."));
        assert!(mock.upload_requests().is_empty(), "another village's file never leaves");
        let sent = mock.message_requests();
        assert_eq!(sent[0].path, format!("/v24.0/{KALIPLOSO_NUMBER}/messages"));
        assert_eq!(app.store.outbound(outbound).await.unwrap().unwrap().status, "sent");
    }

    async fn an_upload_500_is_retried(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        let id = attachment(&app.store, "kaliploso", None, Some("ktp"), "600", "image/jpeg").await;
        download(&app, "kaliploso", id, "600.jpg", &photo()).await;
        let outbound = queue_attachment(&app.store, "kaliploso", id, Some("KTP")).await;
        mock.push_upload_response(MockResponse::new(500, json!({"error": {"message": "oops"}})));
        assert_eq!(w.run_once().await.unwrap(), 1);
        assert_eq!(mock.upload_requests().len(), 1);
        assert!(mock.message_requests().is_empty(), "nothing is sent without an upload");
        let row = app.store.outbound(outbound).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.attempts), ("queued", 1));
        // Backing off like a send error.
        assert_eq!(w.run_once().await.unwrap(), 0);
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        drain(&w).await;
        assert_eq!(mock.upload_requests().len(), 2);
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].json()["image"]["id"], GraphMock::uploaded_media_id(1));
        let outcomes: Vec<_> = app.store.attempts_of(outbound).await.unwrap().into_iter()
            .map(|a| (a.outcome, a.http_status)).collect();
        assert_eq!(outcomes, vec![("retry".to_string(), Some(500)), ("sent".to_string(), Some(200))]);
    }

    async fn an_upload_refused_for_good_tells_the_officer(app) {
        let mock = GraphMock::start().await;
        let id = attachment(&app.store, "kaliploso", None, None, "601", "image/jpeg").await;
        download(&app, "kaliploso", id, "601.jpg", &photo()).await;
        mock.push_upload_response(MockResponse::graph_error(400, 131053, "Media upload error"));
        queue_attachment(&app.store, "kaliploso", id, None).await;
        drain(&worker(&app.store, &mock, settings())).await;
        assert_eq!(mock.upload_requests().len(), 1, "a permanent error is not retried");
        assert_eq!(
            only_text(&mock),
            format!("Lampiran #{id} tidak tersedia: gagal diunggah ke WhatsApp. Silakan minta lagi nanti.")
        );
    }

    async fn a_retried_send_reuses_the_upload(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        let id = attachment(&app.store, "kaliploso", None, None, "602", "application/pdf").await;
        download(&app, "kaliploso", id, "602.pdf", &pdf()).await;
        mock.push_response(MockResponse::graph_error(503, 131057, "Service unavailable"));
        let outbound = queue_attachment(&app.store, "kaliploso", id, None).await;
        w.run_once().await.unwrap();
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        drain(&w).await;
        assert_eq!(mock.upload_requests().len(), 1, "uploaded once");
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].json(), sent[1].json());
        assert_eq!(app.store.outbound(outbound).await.unwrap().unwrap().status, "sent");
    }

    async fn outside_the_window_the_caption_goes_as_the_template(app) {
        let mock = GraphMock::start().await;
        let id = attachment(&app.store, "kaliploso", None, Some("ktp"), "603", "image/jpeg").await;
        download(&app, "kaliploso", id, "603.jpg", &photo()).await;
        mock.push_response(MockResponse::graph_error(400, 131047, "Re-engagement message"));
        let outbound = queue_attachment(&app.store, "kaliploso", id, Some("Foto KTP\nKLP-0042")).await;
        drain(&worker(&app.store, &mock, settings())).await;
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].json()["type"], "image");
        let template = sent[1].json();
        assert_eq!(template["template"]["name"], "kentongan_pemberitahuan");
        assert_eq!(template["template"]["components"][0]["parameters"][0]["text"], "Foto KTP · KLP-0042");
        assert_valid_message(&template);
        let row = app.store.outbound(outbound).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.kind.as_str()), ("sent", "template"));
    }

    async fn the_sandbox_keeps_the_upload_and_shows_the_image(app) {
        let sandbox = Arc::new(Sandbox::new());
        let w = OutboxWorker::new(app.store.clone(), Transport::Sandbox(sandbox.clone()), numbers(), settings(), None);
        let id = attachment(&app.store, "kaliploso", None, Some("ktp"), "604", "image/jpeg").await;
        download(&app, "kaliploso", id, "604.jpg", &photo()).await;
        let mut tx = app.store.begin().await.unwrap();
        // The stored form, written out: the contract with whoever queues it.
        let body = format!(r#"{{"kind":"attachment","attachment_id":{id},"caption":"KTP"}}"#);
        tx.enqueue("kaliploso", None, OFFICER, "attachment", PURPOSE, &body, None, Timestamp::now()).await.unwrap();
        tx.commit().await.unwrap();
        drain(&w).await;
        let messages = sandbox.all();
        assert_eq!(messages.len(), 1);
        let request = &messages[0].request;
        assert_valid_message(request);
        assert_eq!(request["image"]["caption"], "KTP");
        let media_id = request["image"]["id"].as_str().unwrap();
        let media = sandbox.media(media_id).expect("kept in the sandbox");
        assert_eq!(&media.bytes[..], &photo()[..]);
        assert_eq!(media.mime_type, "image/jpeg");
    }
}

#[tokio::test]
async fn upload_errors_are_classified_like_send_errors() {
    use kentongan::outbound::error::{TEMPORARY_BASE, THROUGHPUT_BASE};
    use kentongan::outbound::{Backoff, ErrorClass, GraphError};
    let mock = GraphMock::start().await;
    let client = GraphClient::new(
        &mock.base_url(),
        Secret::new(GraphMock::TOKEN),
        Duration::from_secs(2),
    )
    .expect("client");
    let upload = || {
        client.upload_media(
            KALIPLOSO_NUMBER,
            bytes::Bytes::from(pdf()),
            "application/pdf",
            "KLP-0042-kk.pdf",
        )
    };
    let cases = [
        (
            MockResponse::graph_error(429, 130429, "Rate limit hit").with_retry_after("7"),
            ErrorClass::Retry {
                after: Duration::from_secs(7),
                backoff: Backoff::Fixed,
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
            MockResponse::new(429, json!({})),
            ErrorClass::Retry {
                after: THROUGHPUT_BASE,
                backoff: Backoff::Double,
            },
        ),
        (
            MockResponse::graph_error(400, 131053, "Media upload error"),
            ErrorClass::Permanent,
        ),
        (
            MockResponse::graph_error(401, 190, "Error validating access token"),
            ErrorClass::CredentialsBroken,
        ),
    ];
    for (response, expected) in cases {
        mock.push_upload_response(response);
        let e = upload().await.expect_err("scripted error");
        assert_eq!(e.class(), expected, "{e}");
    }
    // A success without an id is unusable.
    mock.push_upload_response(MockResponse::new(200, json!({"success": true})));
    let e = upload().await.expect_err("no id");
    assert!(matches!(e, GraphError::InvalidResponse(_)), "{e:?}");
    // A slow answer is a timeout, retried.
    mock.push_upload_response(
        MockResponse::new(200, json!({"id": "1"})).with_delay(Duration::from_secs(3)),
    );
    let slow = GraphClient::new(
        &mock.base_url(),
        Secret::new(GraphMock::TOKEN),
        Duration::from_secs(2),
    )
    .expect("client")
    .with_media_timeout(Duration::from_millis(300));
    let e = slow
        .upload_media(
            KALIPLOSO_NUMBER,
            bytes::Bytes::from(pdf()),
            "application/pdf",
            "a.pdf",
        )
        .await
        .expect_err("times out");
    assert!(matches!(e, GraphError::Timeout), "{e:?}");
    // Then an upload goes through, and the uploaded file is served like any media.
    let id = upload().await.expect("uploaded");
    assert_eq!(id, GraphMock::uploaded_media_id(1));
    let last = mock.upload_requests().pop().expect("recorded");
    assert_valid_upload(&last);
    let metadata = reqwest::Client::new()
        .get(format!("{}/{id}", mock.base_url()))
        .bearer_auth(GraphMock::TOKEN)
        .send()
        .await
        .expect("answered")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(metadata["mime_type"], "application/pdf");
    assert_eq!(metadata["file_size"], pdf().len());
}

#[tokio::test]
async fn a_malformed_upload_is_refused_by_the_mock_like_meta() {
    let mock = GraphMock::start().await;
    let url = format!("{}/{KALIPLOSO_NUMBER}/media", mock.base_url());
    let http = reqwest::Client::new();
    // JSON instead of a form, then a form without the type.
    let json_body = http
        .post(&url)
        .bearer_auth(GraphMock::TOKEN)
        .json(&json!({"messaging_product": "whatsapp", "file": "x"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(json_body.status(), 400);
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF\r\n--{boundary}--\r\n"
    );
    let no_type = http
        .post(&url)
        .bearer_auth(GraphMock::TOKEN)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(no_type.status(), 400);
    let answer: Value = no_type.json().await.expect("json");
    assert_eq!(answer["error"]["code"], 100);
    assert!(validate_upload_answer(&answer).is_err());
    let parts = mock.upload_requests()[1].form_parts().expect("well-formed");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1].filename.as_deref(), Some("a.pdf"));
}
