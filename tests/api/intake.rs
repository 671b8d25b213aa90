//! Group commit: webhooks that arrive together are written in one transaction, their
//! conversations locked and read together and their replies written together. Whatever the
//! batching, every resident must be told exactly what they would be told if the same webhooks
//! came one at a time.

use serde_json::{json, Value};

use crate::conversation::{button_msg, payload, post_concurrently, post_until_ok, text_msg, NIK};
use crate::helpers::*;

const OFFICER: &str = "6281300000001";
const SUBMITTER: &str = "6281240000000";

fn resident(i: usize) -> String {
    format!("62812400{i:05}")
}

/// What each resident sends in each wave; every resident at most once per wave, so that the
/// outcome does not depend on the order within a wave.
fn waves() -> Vec<Vec<(String, Value)>> {
    let submitter = [
        text_msg("mau buat surat kehilangan"),
        text_msg(NIK),
        text_msg("Budi Santoso"),
        text_msg("dompet dan STNK"),
        text_msg("20-11-2026"),
        text_msg("pasar Cluring"),
        button_msg("doc:later", "Bawa ke kantor"),
        button_msg("confirm:send", "Kirim"),
        text_msg("cek status"),
        text_msg("aduan: lampu jalan di dusun krajan mati"),
    ];
    let others = [
        "halo",
        "mau urus skck",
        NIK,
        "Siti Aminah",
        "batal",
        "assalamualaikum",
        "sktm",
        "cek status",
        "menu",
        "matur nuwun",
    ];
    let officer = ["bantuan", "antrian", "bantuan", "antrian"];
    (0..submitter.len())
        .map(|w| {
            let mut wave = vec![(SUBMITTER.to_string(), submitter[w].clone())];
            for i in 1..=24 {
                wave.push((resident(i), text_msg(others[(w + i) % others.len()])));
            }
            // Never in the wave where the submitter files the request (7): the officer is told
            // of it, and within one wave the order of that alert and the command's answer
            // depends on arrival.
            if let Some(command) = officer.get(w / 3).filter(|_| w % 3 == 2) {
                wave.push((OFFICER.to_string(), text_msg(command)));
            }
            wave
        })
        .collect()
}

/// Two messages in one payload from one resident (read ahead is skipped for them).
fn two_in_one(from: &str, first: &str, second: &str) -> String {
    let mut body: Value =
        serde_json::from_str(&payload(KALIPLOSO_NUMBER, from, text_msg(first))).unwrap();
    let mut next = text_msg(second);
    next["from"] = json!(from);
    next["timestamp"] = json!("1764300001");
    body["entry"][0]["changes"][0]["value"]["messages"]
        .as_array_mut()
        .unwrap()
        .push(next);
    body.to_string()
}

async fn told(app: &TestApp, who: &str) -> Vec<(String, String)> {
    app.store
        .outbound_for("kaliploso", who)
        .await
        .expect("outbound rows")
}

both_backends! {
    async fn webhooks_written_together_are_answered_as_if_they_came_one_by_one(app) {
        let backend = if app.database_url().starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite };
        // One intake worker: while it writes, the next webhooks queue up and go together.
        let Some(batched) = spawn_app_with(backend, &[("KENTONGAN_INTAKE_WORKERS", "1"), ("KENTONGAN_INTAKE_BATCH", "64")]).await else { return };
        for a in [&app, &batched] {
            a.store.add_officer("kaliploso", "Sari", OFFICER, &["operator"]).await.expect("officer added");
            poison(a).await;
        }
        let mut everyone: Vec<String> = (1..=24).map(resident).collect();
        everyone.push(SUBMITTER.into());
        everyone.push(OFFICER.into());

        for (w, wave) in waves().into_iter().enumerate() {
            let mut bodies: Vec<String> = wave
                .iter()
                .map(|(from, message)| payload(KALIPLOSO_NUMBER, from, message.clone()))
                .collect();
            if w == 2 {
                // A redelivery in the same wave: stored and answered once.
                bodies.push(bodies[3].clone());
                // A resident not otherwise in this wave writes twice in one payload.
                bodies.push(two_in_one(&resident(25), "halo", "mau urus domisili"));
            }
            if w == 3 {
                // A message the database refuses fails its whole batch, which is then written
                // payload by payload: only that message is dead-lettered. A signed payload that
                // cannot be read is dead-lettered whole; statuses are kept.
                bodies.push(payload(KALIPLOSO_NUMBER, &resident(26), json!({"id": "wamid.poison", "type": "text", "text": {"body": "halo"}})));
                bodies.push(r#"{"object":"whatsapp_business_account","entry":"not a list"}"#.to_string());
                bodies.push(status_payload(KALIPLOSO_NUMBER, &[("wamid.elsewhere", "delivered", 1764300002)]));
            }
            if w == 0 {
                everyone.push(resident(25));
            }
            // A new profile name arrives with a later message, then an older message with an
            // older name comes late: the newer name stays.
            let renamed = |name: &str, timestamp: &str, body: &str| {
                let mut p: Value = serde_json::from_str(&payload(KALIPLOSO_NUMBER, &resident(6), text_msg(body))).unwrap();
                let value = &mut p["entry"][0]["changes"][0]["value"];
                value["contacts"][0]["profile"]["name"] = json!(name);
                value["messages"][0]["timestamp"] = json!(timestamp);
                p.to_string()
            };
            match w {
                4 => bodies[6] = renamed("Bu Sri Wahyuni", "1764300500", "halo"),
                5 => bodies[6] = renamed("Sri", "1764300100", "menu"),
                _ => {}
            }
            // One at a time on the first app, all at once on the other.
            for body in &bodies {
                post_until_ok(&app, body.clone()).await;
            }
            post_concurrently(&batched, bodies).await;
        }

        for who in &everyone {
            let one_by_one = told(&app, who).await;
            assert!(!one_by_one.is_empty() || who == &resident(25), "{who} was told nothing");
            assert_eq!(told(&batched, who).await, one_by_one, "what {who} was told");
        }
        let counts = app.store.counts().await.unwrap();
        assert_eq!(batched.store.counts().await.unwrap(), counts);
        assert_eq!((counts.dead_letters, counts.status_events), (2, 1), "{counts:?}");
        let residents = app.store.resident_lines("kaliploso").await.unwrap();
        assert_eq!(batched.store.resident_lines("kaliploso").await.unwrap(), residents);
        let sri = residents.iter().find(|l| l.contains(&resident(6))).unwrap();
        assert!(sri.contains("Bu Sri Wahyuni"), "{sri}");
        assert_eq!(batched.store.inbound_lines("kaliploso").await.unwrap(), app.store.inbound_lines("kaliploso").await.unwrap());
        let submitter_told = told(&batched, SUBMITTER).await;
        let all = submitter_told.iter().map(|(_, b)| b.as_str()).collect::<String>();
        assert!(all.contains("KLP-"), "the submitter got a ticket: {all}");
        assert!(all.contains("ADU-"), "the complaint was filed: {all}");

        // The batched app really wrote several payloads per transaction.
        let metrics = batched.get("/metrics").await.text().await.unwrap();
        let value = |name: &str| -> u64 {
            metrics.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or_else(|| panic!("{name} missing: {metrics}"))
        };
        let (transactions, payloads) = (value("kentongan_intake_transactions_total "), value("kentongan_intake_payloads_total "));
        assert!(payloads >= 250, "{payloads} payloads");
        assert!(transactions < payloads / 2, "{transactions} transactions for {payloads} payloads");
    }
}

/// A batch that loses a deadlock (here: the database reports one, once, for one message) is
/// written again payload by payload: every request of the batch is answered 200 on its first
/// attempt, none 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_loses_a_deadlock_is_written_again_one_by_one() {
    let Some(app) = spawn_app_with(
        Backend::Postgres,
        &[
            ("KENTONGAN_INTAKE_WORKERS", "1"),
            ("KENTONGAN_INTAKE_BATCH", "64"),
        ],
    )
    .await
    else {
        return;
    };
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&app.database_url())
            .await
            .unwrap();
        for sql in [
            "create sequence kt_trip",
            // wamid.slow keeps the one intake worker busy while the others queue up into one
            // batch; wamid.conflict fails with a deadlock the first time it is inserted (a
            // sequence is not rolled back with the transaction).
            "create function kt_trip() returns trigger language plpgsql as $$ begin
                 if new.wamid = 'wamid.slow' then perform pg_sleep(2); end if;
                 if new.wamid = 'wamid.conflict' and nextval('kt_trip') = 1 then
                     raise exception 'simulated deadlock' using errcode = '40P01';
                 end if;
                 return new; end $$",
            "create trigger kt_trip before insert on inbound_message for each row execute function kt_trip()",
        ] {
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }
    let first_attempt = |body: String| {
        let client = app.client.clone();
        let url = app.url("/webhook");
        async move {
            let sig = kentongan::webhook::signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
            client
                .post(&url)
                .header("x-hub-signature-256", sig)
                .body(body)
                .send()
                .await
                .expect("sent")
                .status()
        }
    };
    let message = |id: &str| json!({"id": id, "type": "text", "text": {"body": "halo"}});
    let slow = tokio::spawn(first_attempt(payload(
        KALIPLOSO_NUMBER,
        &resident(90),
        message("wamid.slow"),
    )));
    // Until the worker is inside the slow payload's transaction.
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&app.database_url())
            .await
            .unwrap();
        let mut sleeping = 0i64;
        for _ in 0..100 {
            sleeping = sqlx::query_scalar(
                "select count(*) from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            if sleeping > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(sleeping, 1, "the slow payload is being written");
    }
    let mut queued = tokio::task::JoinSet::new();
    for i in 0..10 {
        let id = if i == 5 {
            "wamid.conflict".to_string()
        } else {
            format!("wamid.queued.{i}")
        };
        queued.spawn(first_attempt(payload(
            KALIPLOSO_NUMBER,
            &resident(100 + i),
            message(&id),
        )));
    }
    assert_eq!(slow.await.unwrap(), 200);
    while let Some(status) = queued.join_next().await {
        assert_eq!(status.unwrap(), 200, "answered on the first attempt");
    }
    assert_eq!(app.store.counts().await.unwrap().inbound, 11);
    assert!(app
        .store
        .inbound_by_wamid("kaliploso", "wamid.conflict")
        .await
        .unwrap()
        .is_some());
    // The queued ten were taken as one batch (which failed) and then written one by one.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("kentongan_intake_payloads_total 11")
            && metrics.contains("kentongan_intake_transactions_total 11"),
        "{metrics}"
    );
}
