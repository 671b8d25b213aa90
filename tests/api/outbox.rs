//! The outbox worker against a real HTTP mock of the Graph API, on both databases.

use std::collections::HashMap;
use std::time::Duration;

use kentongan::config::Secret;
use kentongan::outbound::outbox::{OutboxSettings, OutboxWorker, TemplateSettings, Transport};
use kentongan::outbound::{GraphClient, OutboundBody};
use kentongan::store::{Store, Timestamp};

use crate::graph_mock::{GraphMock, MockResponse};
use crate::helpers::*;
use crate::meta_schema::{assert_valid_message, every_kind};

const RESIDENT: &str = "6281234567890";

pub(crate) fn settings() -> OutboxSettings {
    OutboxSettings {
        rate_per_sec: 1000.0,
        max_attempts: 4,
        templates: TemplateSettings {
            default: Some("kentongan_pemberitahuan".into()),
            by_purpose: [("status_update".to_string(), "kentongan_status".to_string())].into(),
            language: "id".into(),
        },
        ..OutboxSettings::default()
    }
}

pub(crate) fn worker(store: &Store, mock: &GraphMock, settings: OutboxSettings) -> OutboxWorker {
    let client = GraphClient::new(
        &mock.base_url(),
        Secret::new(GraphMock::TOKEN),
        Duration::from_millis(700),
    )
    .expect("client");
    let numbers: HashMap<String, String> = [
        ("kaliploso".to_string(), KALIPLOSO_NUMBER.to_string()),
        ("sukamaju".to_string(), SUKAMAJU_NUMBER.to_string()),
    ]
    .into();
    OutboxWorker::new(
        store.clone(),
        Transport::Graph(client),
        numbers,
        settings,
        None,
    )
}

async fn queue(store: &Store, recipient: &str, purpose: &str, body: &OutboundBody) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .enqueue(
            "kaliploso",
            None,
            recipient,
            body.kind(),
            purpose,
            &serde_json::to_string(body).unwrap(),
            None,
            Timestamp::now(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Run the worker until nothing is due.
async fn drain(w: &OutboxWorker) -> usize {
    let mut total = 0;
    for _ in 0..100 {
        let n = w.run_once().await.unwrap();
        if n == 0 {
            break;
        }
        total += n;
    }
    total
}

fn text_of(request: &serde_json::Value) -> String {
    request["text"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

both_backends! {
    async fn every_kind_goes_out_as_metas_json(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        let mut ids = Vec::new();
        for (_, body) in every_kind() {
            ids.push((queue(&app.store, RESIDENT, "reply", &body).await, body));
        }
        drain(&w).await;
        let sent = mock.message_requests();
        assert_eq!(sent.len(), ids.len());
        for ((id, body), request) in ids.iter().zip(&sent) {
            assert_eq!(request.path, format!("/v24.0/{KALIPLOSO_NUMBER}/messages"));
            assert_eq!(request.authorization(), Some(format!("Bearer {}", GraphMock::TOKEN).as_str()));
            assert_eq!(request.json(), body.to_request(RESIDENT, None), "exact JSON of {}", body.kind());
            assert_valid_message(&request.json());
            let row = app.store.outbound(*id).await.unwrap().unwrap();
            assert_eq!(row.status, "sent");
            assert!(row.wamid.unwrap().starts_with("wamid.mock."));
        }
    }

    async fn throughput_limit_and_server_errors_are_retried_with_backoff(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        mock.push_response(MockResponse::graph_error(429, 130429, "Rate limit hit"));
        mock.push_response(MockResponse::graph_error(500, 1, "Unknown error"));
        let id = queue(&app.store, RESIDENT, "reply", &OutboundBody::text("satu")).await;
        assert_eq!(w.run_once().await.unwrap(), 1);
        let row = app.store.outbound(id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.attempts, row.error_code), ("queued", 1, Some(130429)));
        // Backing off: not due yet.
        assert_eq!(w.run_once().await.unwrap(), 0);
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        assert_eq!(w.run_once().await.unwrap(), 1);
        assert_eq!(app.store.outbound(id).await.unwrap().unwrap().error_code, Some(1));
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        assert_eq!(w.run_once().await.unwrap(), 1);
        let row = app.store.outbound(id).await.unwrap().unwrap();
        assert_eq!(row.status, "sent");
        let attempts = app.store.attempts_of(id).await.unwrap();
        let summary: Vec<_> = attempts.iter().map(|a| (a.outcome.as_str(), a.http_status, a.error_code)).collect();
        assert_eq!(summary, vec![("retry", Some(429), Some(130429)), ("retry", Some(500), Some(1)), ("sent", Some(200), None)]);
    }

    async fn the_attempt_limit_fails_the_message(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, OutboxSettings { max_attempts: 2, ..settings() });
        mock.push_responses(5, MockResponse::graph_error(503, 2, "Service unavailable"));
        let id = queue(&app.store, RESIDENT, "reply", &OutboundBody::text("x")).await;
        w.run_once().await.unwrap();
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        w.run_once().await.unwrap();
        let row = app.store.outbound(id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.attempts), ("failed", 2));
    }

    async fn a_message_given_up_is_reported_to_the_operators_and_sekdes(app) {
        let mock = GraphMock::start().await;
        app.store.add_officer("kaliploso", "Bu Operator", "6281300000001", &["operator"]).await.unwrap();
        app.store.add_officer("kaliploso", "Pak Sekdes", "6281300000002", &["sekdes", "kades"]).await.unwrap();
        app.store.add_officer("kaliploso", "Mas Kurir", "6281300000003", &["kurir"]).await.unwrap();
        app.store.add_officer("sukamaju", "Operator lain", "6281300000009", &["operator"]).await.unwrap();
        let w = worker(&app.store, &mock, settings());
        mock.push_response(MockResponse::graph_error(400, 131026, "Message undeliverable"));
        queue(&app.store, RESIDENT, "reply", &OutboundBody::text("Surat siap diantar")).await;
        drain(&w).await;
        let alerts: Vec<(String, String)> = mock
            .message_requests()
            .iter()
            .skip(1)
            .map(|r| (r.json()["to"].as_str().unwrap().to_string(), text_of(&r.json())))
            .collect();
        let mut to: Vec<&str> = alerts.iter().map(|(t, _)| t.as_str()).collect();
        to.sort();
        assert_eq!(to, vec!["6281300000001", "6281300000002"], "operators and sekdes of this village only");
        assert!(alerts[0].1.contains(RESIDENT) && alerts[0].1.contains("131026") && alerts[0].1.contains("Surat siap diantar"), "{}", alerts[0].1);
    }

    async fn attachments_are_downloaded_into_the_data_folder(app) {
        use kentongan::outbound::fetch::{MediaFetcher, MediaSource};
        use kentongan::outbound::MediaLimits;
        let mock = GraphMock::start().await;
        let photo = b"\xff\xd8\xff\xe0 a photo of a KTP".to_vec();
        mock.add_honest_media("111222333", photo.clone(), "image/jpeg");
        mock.add_media("444555666", b"tampered".to_vec(), "image/jpeg", "0000", 8);
        let mut ids = Vec::new();
        let mut tx = app.store.begin().await.unwrap();
        for media_id in ["111222333", "444555666"] {
            ids.push(tx.insert_attachment(&kentongan::store::NewAttachment {
                village_id: "kaliploso",
                request_id: None,
                complaint_id: None,
                inbound_message_id: None,
                requirement_key: Some("ktp"),
                media_id: Some(media_id),
                mime_type: Some("image/jpeg"),
                now: Timestamp::now(),
            }).await.unwrap());
        }
        tx.commit().await.unwrap();
        let client = GraphClient::new(&mock.base_url(), Secret::new(GraphMock::TOKEN), Duration::from_secs(2)).unwrap();
        let fetcher = MediaFetcher::new(app.store.clone(), MediaSource::Graph(client), app.data_dir.clone(), MediaLimits::default());
        assert_eq!(fetcher.run_once().await.unwrap(), 2);
        let good = app.store.attachment_file(ids[0]).await.unwrap().unwrap();
        let path = good.file_path.expect("downloaded");
        assert!(path.starts_with(&app.data_dir.join("media/kaliploso").display().to_string()), "{path}");
        assert_eq!(std::fs::read(&path).unwrap(), photo);
        assert_eq!(good.size_bytes, Some(photo.len() as i64));
        let bad = app.store.attachment_file(ids[1]).await.unwrap().unwrap();
        assert_eq!(bad.file_path, None);
        assert_eq!(bad.download_attempts, 1);
        assert!(bad.download_error.unwrap().contains("sha256"));
        // Retried a bounded number of times, then left for an officer.
        for _ in 0..10 {
            fetcher.run_once().await.unwrap();
        }
        let bad = app.store.attachment_file(ids[1]).await.unwrap().unwrap();
        assert_eq!(bad.download_attempts, kentongan::store::MAX_DOWNLOAD_ATTEMPTS as i64);
    }

    async fn outside_the_window_131047_becomes_the_configured_template(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        mock.push_response(MockResponse::graph_error(400, 131047, "Re-engagement message"));
        let id = queue(&app.store, RESIDENT, "status_update", &OutboundBody::text("Surat KLP-0001\nsiap diantar")).await;
        drain(&w).await;
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 2);
        let template = sent[1].json();
        assert_eq!(template["type"], "template");
        assert_eq!(template["template"]["name"], "kentongan_status");
        assert_eq!(template["template"]["language"]["code"], "id");
        assert_eq!(template["template"]["components"][0]["parameters"][0]["text"], "Surat KLP-0001 · siap diantar");
        assert_valid_message(&template);
        let row = app.store.outbound(id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.kind.as_str()), ("sent", "template"));
        let outcomes: Vec<_> = app.store.attempts_of(id).await.unwrap().into_iter().map(|a| (a.outcome, a.error_code)).collect();
        assert_eq!(outcomes, vec![("template".to_string(), Some(131047)), ("sent".to_string(), None)]);
    }

    async fn a_late_131047_status_resends_as_a_template(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        let id = queue(&app.store, RESIDENT, "reply", &OutboundBody::text("Permohonan diterima")).await;
        drain(&w).await;
        let wamid = app.store.outbound(id).await.unwrap().unwrap().wamid.unwrap();
        let failed = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": KALIPLOSO_NUMBER},
            "statuses": [{"id": wamid, "status": "failed", "timestamp": "1764300009", "recipient_id": RESIDENT,
                "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}}]}]});
        assert_eq!(app.post_webhook(failed.to_string()).await.status(), 200);
        // Redelivered: still one resend.
        assert_eq!(app.post_webhook(failed.to_string()).await.status(), 200);
        drain(&w).await;
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].json()["template"]["name"], "kentongan_pemberitahuan");
        assert_eq!(sent[1].json()["template"]["components"][0]["parameters"][0]["text"], "Permohonan diterima");
    }

    async fn a_131047_failure_received_before_the_wamid_was_recorded_still_resends(app) {
        let id = queue(&app.store, RESIDENT, "status_update", &OutboundBody::text("Surat siap")).await;
        let failed = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": KALIPLOSO_NUMBER},
            "statuses": [{"id": "wamid.early.fail", "status": "failed", "timestamp": "1764300009", "recipient_id": RESIDENT,
                "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}}]}]});
        assert_eq!(app.post_webhook(failed.to_string()).await.status(), 200);
        let mut tx = app.store.begin().await.unwrap();
        tx.mark_outbound_sent(id, "wamid.early.fail", Timestamp::now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(app.store.outbound(id).await.unwrap().unwrap().status, "failed");
        let mock = GraphMock::start().await;
        drain(&worker(&app.store, &mock, settings())).await;
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].json()["template"]["name"], "kentongan_status", "the template of the message's purpose");
    }

    async fn an_officer_alert_refused_outside_the_window_is_resent_as_a_template(app) {
        app.store.add_officer("kaliploso", "Bu Operator", "6281300000001", &["operator"]).await.unwrap();
        let mut tx = app.store.begin().await.unwrap();
        assert_eq!(tx.alert_officers("kaliploso", "Pesan gagal", Timestamp::now()).await.unwrap(), 1);
        tx.commit().await.unwrap();
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        drain(&w).await;
        let wamid = mock.message_requests()[0].json()["to"].clone();
        assert_eq!(wamid, "6281300000001");
        // Meta accepts it, then reports 131047.
        let counts = app.store.outbox_counts().await.unwrap();
        assert_eq!(counts.sent, 1);
        let failed = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": KALIPLOSO_NUMBER},
            "statuses": [{"id": "wamid.mock.1", "status": "failed", "timestamp": "1764300009", "recipient_id": "6281300000001",
                "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}}]}]});
        assert_eq!(app.post_webhook(failed.to_string()).await.status(), 200);
        drain(&w).await;
        let sent = mock.message_requests();
        assert_eq!(sent.len(), 2, "the alert goes out again");
        assert_eq!(sent[1].json()["type"], "template");
    }

    async fn undeliverable_131026_fails_permanently(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        mock.push_response(MockResponse::graph_error(400, 131026, "Message undeliverable"));
        let id = queue(&app.store, RESIDENT, "reply", &OutboundBody::text("x")).await;
        drain(&w).await;
        let row = app.store.outbound(id).await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.error_code), ("failed", Some(131026)));
        assert_eq!(mock.message_requests().len(), 1, "not retried");
    }

    async fn an_expired_token_pauses_sending_instead_of_burning_the_queue(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        mock.push_response(MockResponse::graph_error(401, 190, "Error validating access token"));
        let a = queue(&app.store, "6281111111111", "reply", &OutboundBody::text("a")).await;
        let b = queue(&app.store, "6282222222222", "reply", &OutboundBody::text("b")).await;
        w.run_once().await.unwrap();
        assert!(w.is_paused());
        // Paused: nothing more is tried.
        assert_eq!(w.run_once().await.unwrap(), 0);
        let tried = mock.message_requests().len();
        assert!(tried <= 2, "at most the batch in flight was tried: {tried}");
        for id in [a, b] {
            let row = app.store.outbound(id).await.unwrap().unwrap();
            assert_ne!(row.status, "failed", "a paused message is kept for later");
        }
        let counts = app.store.outbox_counts().await.unwrap();
        assert_eq!(counts.failed, 0);
    }

    async fn a_slow_graph_api_times_out_and_is_retried(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        mock.push_response(MockResponse::sent("wamid.late").with_delay(Duration::from_millis(2000)));
        let id = queue(&app.store, RESIDENT, "reply", &OutboundBody::text("x")).await;
        w.run_once().await.unwrap();
        let row = app.store.outbound(id).await.unwrap().unwrap();
        assert_eq!(row.status, "queued");
        assert_eq!(app.store.attempts_of(id).await.unwrap()[0].outcome, "retry");
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        drain(&w).await;
        assert_eq!(app.store.outbound(id).await.unwrap().unwrap().status, "sent");
    }

    async fn order_per_recipient_is_kept_under_retries(app) {
        let mock = GraphMock::start().await;
        let w = worker(&app.store, &mock, settings());
        mock.push_response(MockResponse::graph_error(500, 1, "temporary"));
        for text in ["satu", "dua", "tiga"] {
            queue(&app.store, RESIDENT, "reply", &OutboundBody::text(text)).await;
        }
        // Only "satu" is due for this resident; it fails.
        assert_eq!(w.run_once().await.unwrap(), 1);
        queue(&app.store, "6289999999999", "reply", &OutboundBody::text("lain")).await;
        w.run_once().await.unwrap();
        // "dua" and "tiga" wait behind the failed "satu"; another resident is not held up.
        let texts: Vec<String> = mock.message_requests().iter().map(|r| text_of(&r.json())).collect();
        assert_eq!(texts, vec!["satu", "lain"]);
        app.store.make_outbound_due(Timestamp::now()).await.unwrap();
        drain(&w).await;
        let to_resident: Vec<String> = mock
            .message_requests()
            .iter()
            .filter(|r| r.json()["to"] == RESIDENT)
            .map(|r| text_of(&r.json()))
            .collect();
        assert_eq!(to_resident, vec!["satu", "satu", "dua", "tiga"]);
    }

    async fn the_outbox_survives_a_restart_mid_queue(app) {
        let mock = GraphMock::start().await;
        for i in 0..5 {
            queue(&app.store, &format!("62811000000{i:02}"), "reply", &OutboundBody::text(format!("m{i}"))).await;
        }
        // A worker claims two and dies before recording anything (lease of 0 s).
        let claimed = app.store.claim_outbound(2, 0, Timestamp::now()).await.unwrap();
        assert_eq!(claimed.len(), 2);
        tokio::time::sleep(Duration::from_millis(20)).await;
        // A new worker (after a restart) sends everything, the two orphans included.
        let w = worker(&app.store, &mock, settings());
        drain(&w).await;
        let counts = app.store.outbox_counts().await.unwrap();
        assert_eq!((counts.sent, counts.queued, counts.sending), (5, 0, 0));
        let mut texts: Vec<String> = mock.message_requests().iter().map(|r| text_of(&r.json())).collect();
        texts.sort();
        assert_eq!(texts, vec!["m0", "m1", "m2", "m3", "m4"]);
    }

    async fn two_workers_on_one_database_send_each_message_once(app) {
        let mock = GraphMock::start().await;
        let total = 120;
        for i in 0..total {
            queue(&app.store, &format!("628120000{:04}", i % 40), "reply", &OutboundBody::text(format!("n{i}"))).await;
        }
        let a = worker(&app.store, &mock, OutboxSettings { batch: 7, ..settings() });
        // A second instance: its own connection pool to the same database.
        let other = Store::connect(&kentongan::config::DatabaseSettings {
            url: Secret::new(app.database_url()),
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
        })
        .await
        .unwrap();
        let b = worker(&other, &mock, OutboxSettings { batch: 5, ..settings() });
        let (na, nb) = tokio::join!(drain(&a), drain(&b));
        assert_eq!(na + nb, total);
        let mut texts: Vec<String> = mock.message_requests().iter().map(|r| text_of(&r.json())).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), total, "every message sent exactly once");
        assert_eq!(mock.message_requests().len(), total);
        // Per recipient, in queue order.
        for r in 0..40 {
            let to = format!("628120000{r:04}");
            let seq: Vec<usize> = mock
                .message_requests()
                .iter()
                .filter(|q| q.json()["to"] == to.as_str())
                .map(|q| text_of(&q.json())[1..].parse().unwrap())
                .collect();
            let mut sorted = seq.clone();
            sorted.sort();
            assert_eq!(seq, sorted, "order for {to}");
        }
        other.close().await;
    }
}
