use std::path::Path;

use serde_json::Value;

use crate::helpers::*;

/// Every case of every fixture file, with message and status ids made unique per case so that
/// each case's rows can be found (the fixtures reuse `wamid.xyzxyz`).
fn fixture_cases() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/meta-webhooks");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let all: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for (case, payload) in all.as_object().unwrap() {
            let name = format!("{stem}/{case}");
            let mut payload = payload.clone();
            for entry in payload["entry"].as_array_mut().unwrap() {
                for change in entry["changes"].as_array_mut().unwrap() {
                    for key in ["messages", "statuses"] {
                        if let Some(list) =
                            change["value"].get_mut(key).and_then(Value::as_array_mut)
                        {
                            for item in list {
                                let id = item["id"].as_str().unwrap().to_string();
                                item["id"] = Value::String(format!("{id}.{stem}.{case}"));
                            }
                        }
                    }
                }
            }
            cases.push((name, payload));
        }
    }
    assert!(
        cases.len() >= 60,
        "expected all fixture cases, found {}",
        cases.len()
    );
    cases
}

fn village_of(number: &str) -> Option<&'static str> {
    match number {
        KALIPLOSO_NUMBER => Some("kaliploso"),
        SUKAMAJU_NUMBER => Some("sukamaju"),
        _ => None,
    }
}

/// What a message's stored row must show, derived independently from the fixture JSON.
async fn check_message(app: &TestApp, case: &str, village: &str, msg: &Value) {
    let wamid = msg["id"].as_str().unwrap();
    let row = app
        .store
        .inbound_by_wamid(village, wamid)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{case}: message {wamid} not stored"));
    let kind = msg["type"].as_str().unwrap_or("unknown");
    assert_eq!(row.kind, kind, "{case}: kind");
    // The raw message is kept exactly.
    let raw: Value = serde_json::from_str(&row.raw_json).unwrap();
    assert_eq!(&raw, msg, "{case}: raw json");
    let expect_body = match kind {
        "text" => msg["text"]["body"].as_str(),
        "image" | "video" | "document" | "audio" | "sticker" => msg[kind]["caption"].as_str(),
        "reaction" => msg["reaction"]["emoji"].as_str().filter(|e| !e.is_empty()),
        "interactive" => msg["interactive"]["button_reply"]["title"]
            .as_str()
            .or(msg["interactive"]["list_reply"]["title"].as_str())
            .or(msg["interactive"]["nfm_reply"]["body"].as_str()),
        "button" => msg["button"]["text"].as_str(),
        "system" => msg["system"]["body"].as_str(),
        _ => row.body.as_deref(),
    };
    assert_eq!(row.body.as_deref(), expect_body, "{case}: body");
    let expect_reply_id = msg["interactive"]["button_reply"]["id"]
        .as_str()
        .or(msg["interactive"]["list_reply"]["id"].as_str())
        .or(msg["button"]["payload"].as_str());
    assert_eq!(row.reply_id.as_deref(), expect_reply_id, "{case}: reply id");
    if ["image", "video", "document", "audio", "sticker"].contains(&kind) {
        assert_eq!(
            row.media_id.as_deref(),
            msg[kind]["id"].as_str(),
            "{case}: media id"
        );
        assert_eq!(
            row.media_mime.as_deref(),
            msg[kind]["mime_type"].as_str(),
            "{case}: mime"
        );
    }
    if kind == "location" {
        assert_eq!(
            row.latitude,
            msg["location"]["latitude"].as_f64(),
            "{case}: latitude"
        );
        assert_eq!(
            row.longitude,
            msg["location"]["longitude"].as_f64(),
            "{case}: longitude"
        );
    }
    assert_eq!(
        row.context_wamid.as_deref(),
        msg["context"]["id"].as_str(),
        "{case}: context"
    );
    assert_eq!(
        row.forwarded,
        msg["context"]["forwarded"].as_bool().unwrap_or(false)
            || msg["context"]["frequently_forwarded"]
                .as_bool()
                .unwrap_or(false),
        "{case}: forwarded"
    );
    let has_sender = msg["from"].is_string() || msg["from_user_id"].is_string();
    assert_eq!(row.resident_id.is_some(), has_sender, "{case}: resident");
}

both_backends! {
    async fn handshake_echoes_the_challenge_on_a_token_match(app) {
        let r = app
            .get(&format!("/webhook?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "1158201444");
        // The challenge is opaque: echoed as is.
        let r = app
            .get(&format!("/webhook?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=abc%2Bxyz"))
            .await;
        assert_eq!(r.text().await.unwrap(), "abc+xyz");
    }

    async fn handshake_refuses_a_wrong_token_or_mode(app) {
        for query in [
            "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
            "hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1",
            "hub.mode=subscribe&hub.challenge=1",
            "",
        ] {
            let r = app.get(&format!("/webhook?{query}")).await;
            assert_eq!(r.status(), 403, "{query}");
        }
    }

    async fn missing_or_bad_signature_is_401_and_stores_nothing(app) {
        let body = text_payload(KALIPLOSO_NUMBER, "wamid.sig", "6281234567890", "Pak Budi", "halo");
        let wrong_secret = kentongan::webhook::signature::sign(b"not-the-secret", body.as_bytes());
        let tampered = kentongan::webhook::signature::sign(APP_SECRET.as_bytes(), body.replace("halo", "hal0").as_bytes());
        for sig in [None, Some(""), Some("sha256=00"), Some(wrong_secret.as_str()), Some(tampered.as_str()), Some("md5=abc")] {
            let r = app.post_webhook_with_signature(body.clone(), sig).await;
            assert_eq!(r.status(), 401, "{sig:?}");
        }
        let counts = app.store.counts().await.unwrap();
        assert_eq!(counts, Default::default(), "nothing stored: {counts:?}");
    }

    async fn every_fixture_is_acknowledged_and_stored_as_expected(app) {
        for (case, payload) in fixture_cases() {
            let before = app.store.counts().await.unwrap();
            let r = app.post_webhook(payload.to_string()).await;
            assert_eq!(r.status(), 200, "{case}");
            let after = app.store.counts().await.unwrap();
            if after.dead_letters != before.dead_letters {
                let letters = app.store.dead_letters().await.unwrap();
                panic!("{case}: dead-lettered: {}", letters.last().unwrap().error);
            }
            let mut expect_messages = 0;
            let mut expect_statuses = 0;
            let mut expect_events = 0;
            for entry in payload["entry"].as_array().unwrap() {
                for change in entry["changes"].as_array().unwrap() {
                    let value = &change["value"];
                    let number = value["metadata"]["phone_number_id"].as_str().unwrap_or("");
                    let field = change["field"].as_str().unwrap();
                    if field != "messages" || village_of(number).is_none() {
                        expect_events += 1;
                        let events = app.store.webhook_events().await.unwrap();
                        let last = &events[events.len() - 1];
                        assert_eq!(last.field, field, "{case}");
                        let reason = if field == "messages" { "unrouted" } else { "other_field" };
                        assert_eq!(last.reason, reason, "{case}");
                        assert_eq!(last.village_id.as_deref(), village_of(number), "{case}");
                        let raw: Value = serde_json::from_str(&last.raw_json).unwrap();
                        assert_eq!(&raw, value, "{case}: kept raw");
                        continue;
                    }
                    let village = village_of(number).unwrap();
                    for msg in value["messages"].as_array().into_iter().flatten() {
                        expect_messages += 1;
                        check_message(&app, &case, village, msg).await;
                    }
                    expect_statuses += value["statuses"].as_array().map_or(0, Vec::len) as i64;
                }
            }
            assert_eq!(after.inbound - before.inbound, expect_messages, "{case}: messages");
            assert_eq!(after.status_events - before.status_events, expect_statuses, "{case}: statuses");
            assert_eq!(after.webhook_events - before.webhook_events, expect_events, "{case}: events");
        }
    }

    async fn the_same_message_sent_twenty_times_concurrently_is_stored_once(app) {
        let body = text_payload(KALIPLOSO_NUMBER, "wamid.dup", "6281234567890", "Bu Sri", "mau buat skck");
        let sig = kentongan::webhook::signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
        let sends = (0..20).map(|_| {
            let request = app
                .client
                .post(app.url("/webhook"))
                .header("x-hub-signature-256", sig.clone())
                .body(body.clone());
            async move { request.send().await.expect("sent").status() }
        });
        for status in futures_join_all(sends).await {
            assert_eq!(status, 200);
        }
        let counts = app.store.counts().await.unwrap();
        assert_eq!(counts.inbound, 1);
        assert_eq!(counts.residents, 1);
        let text = app.get("/metrics").await.text().await.unwrap();
        assert!(text.contains("kentongan_messages_stored_total 1"), "{text}");
        assert!(text.contains("kentongan_messages_duplicate_total 19"), "{text}");
    }

    async fn a_payload_with_several_entries_changes_and_messages_is_stored_whole(app) {
        let msg = |id: &str, from: &str, body: &str| serde_json::json!(
            {"from": from, "id": id, "timestamp": "1764300000", "type": "text", "text": {"body": body}});
        let change = |number: &str, contacts: Value, messages: Vec<Value>| serde_json::json!(
            {"field": "messages", "value": {"messaging_product": "whatsapp",
              "metadata": {"phone_number_id": number}, "contacts": contacts, "messages": messages}});
        let payload = serde_json::json!({"object": "whatsapp_business_account", "entry": [
            {"id": "A", "changes": [
                change(KALIPLOSO_NUMBER,
                    serde_json::json!([{"profile": {"name": "Satu"}, "wa_id": "6281111111111"}, {"profile": {"name": "Dua"}, "wa_id": "6282222222222"}]),
                    vec![msg("wamid.m1", "6281111111111", "satu"), msg("wamid.m2", "6282222222222", "dua"), msg("wamid.m3", "6281111111111", "tiga")]),
                change(SUKAMAJU_NUMBER,
                    serde_json::json!([{"profile": {"name": "Empat"}, "wa_id": "6284444444444"}]),
                    vec![msg("wamid.m4", "6284444444444", "empat")]),
            ]},
            {"id": "B", "changes": [
                change(KALIPLOSO_NUMBER, serde_json::json!([]), vec![msg("wamid.m5", "6285555555555", "lima")]),
                {"field": "account_update", "value": {"event": "ACCOUNT_RESTRICTION"}},
            ]},
        ]});
        assert_eq!(app.post_webhook(payload.to_string()).await.status(), 200);
        let counts = app.store.counts().await.unwrap();
        assert_eq!(counts.inbound, 5);
        assert_eq!(counts.webhook_events, 1);
        for (village, wamid, body) in [
            ("kaliploso", "wamid.m1", "satu"), ("kaliploso", "wamid.m2", "dua"), ("kaliploso", "wamid.m3", "tiga"),
            ("sukamaju", "wamid.m4", "empat"), ("kaliploso", "wamid.m5", "lima"),
        ] {
            let row = app.store.inbound_by_wamid(village, wamid).await.unwrap().unwrap();
            assert_eq!(row.body.as_deref(), Some(body));
        }
        // Contacts are matched to their own messages.
        let residents = app.store.residents("kaliploso").await.unwrap();
        let names: Vec<_> = residents.iter().map(|r| (r.wa_id.clone().unwrap(), r.profile_name.clone())).collect();
        assert_eq!(names, vec![
            ("6281111111111".to_string(), Some("Satu".to_string())),
            ("6282222222222".to_string(), Some("Dua".to_string())),
            ("6285555555555".to_string(), None),
        ]);
        // Villages are kept apart.
        assert_eq!(app.store.residents("sukamaju").await.unwrap().len(), 1);
        assert!(app.store.inbound_by_wamid("sukamaju", "wamid.m1").await.unwrap().is_none());
    }

    async fn non_ascii_emoji_and_at_sign_are_verified_over_the_raw_bytes(app) {
        // Meta escapes non-ASCII as \uXXXX; the signature covers those exact bytes.
        let escaped = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1122334455667"},"contacts":[{"profile":{"name":"J\u00fcrgen \ud83d\ude00"},"wa_id":"6281234500001"}],"messages":[{"from":"6281234500001","id":"wamid.esc","timestamp":"1764300000","type":"text","text":{"body":"Sugeng enjing \ud83d\ude4f, email budi@desa.id, caf\u00e9 \/ \"kutip\""}}]}}]}]}"#;
        assert_eq!(app.post_webhook(escaped).await.status(), 200);
        let row = app.store.inbound_by_wamid("kaliploso", "wamid.esc").await.unwrap().unwrap();
        assert_eq!(row.body.as_deref(), Some("Sugeng enjing 🙏, email budi@desa.id, café / \"kutip\""));
        // The raw form is kept byte for byte.
        assert!(row.raw_json.contains(r"\ud83d\ude4f"));
        let resident = &app.store.residents("kaliploso").await.unwrap()[0];
        assert_eq!(resident.profile_name.as_deref(), Some("Jürgen 😀"));

        // The same content as raw UTF-8 is a different byte string with its own valid signature.
        let raw_utf8 = text_payload(KALIPLOSO_NUMBER, "wamid.utf8", "6281234500002", "Ñoño", "Matur nuwun 🙏 @pakkades ꦲꦏ꧀ꦱꦫ");
        assert_eq!(app.post_webhook(raw_utf8.clone()).await.status(), 200);
        let row = app.store.inbound_by_wamid("kaliploso", "wamid.utf8").await.unwrap().unwrap();
        assert_eq!(row.body.as_deref(), Some("Matur nuwun 🙏 @pakkades ꦲꦏ꧀ꦱꦫ"));

        // Re-serialising changes the bytes: a signature over the re-serialised JSON fails.
        let reserialised = serde_json::to_string(&serde_json::from_str::<Value>(escaped).unwrap()).unwrap();
        assert_ne!(reserialised, escaped);
        let sig = kentongan::webhook::signature::sign(APP_SECRET.as_bytes(), reserialised.as_bytes());
        assert_eq!(app.post_webhook_with_signature(escaped, Some(&sig)).await.status(), 401);
    }

    async fn a_sender_with_only_a_business_scoped_id_is_a_resident(app) {
        let payload = |wamid: &str, with_phone: bool, name: &str| {
            let mut contact = serde_json::json!({"profile": {"name": name, "username": "@sri.lestari"}, "user_id": "US.13491208655302741918"});
            let mut msg = serde_json::json!({"from_user_id": "US.13491208655302741918", "id": wamid, "timestamp": "1764300000", "type": "text", "text": {"body": "halo"}});
            if with_phone {
                contact["wa_id"] = "6281234567890".into();
                msg["from"] = "6281234567890".into();
            }
            serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "metadata": {"phone_number_id": KALIPLOSO_NUMBER}, "contacts": [contact], "messages": [msg]}}]}]}).to_string()
        };
        assert_eq!(app.post_webhook(payload("wamid.b1", false, "Sri")).await.status(), 200);
        let residents = app.store.residents("kaliploso").await.unwrap();
        assert_eq!(residents.len(), 1);
        assert_eq!(residents[0].wa_id, None);
        assert_eq!(residents[0].user_id.as_deref(), Some("US.13491208655302741918"));
        assert_eq!(residents[0].username.as_deref(), Some("@sri.lestari"));
        let row = app.store.inbound_by_wamid("kaliploso", "wamid.b1").await.unwrap().unwrap();
        assert_eq!(row.resident_id, Some(residents[0].id));

        // Later the same user arrives with a phone number too: linked, not duplicated, and the
        // profile name follows the newest message.
        assert_eq!(app.post_webhook(payload("wamid.b2", true, "Sri Lestari")).await.status(), 200);
        let residents = app.store.residents("kaliploso").await.unwrap();
        assert_eq!(residents.len(), 1);
        assert_eq!(residents[0].wa_id.as_deref(), Some("6281234567890"));
        assert_eq!(residents[0].profile_name.as_deref(), Some("Sri Lestari"));
    }

    async fn a_phone_row_and_a_username_row_of_one_person_do_not_break_intake(app) {
        let payload = |wamid: &str, wa: Option<&str>, user: Option<&str>| {
            let mut contact = serde_json::json!({"profile": {"name": "Sri"}});
            let mut msg = serde_json::json!({"id": wamid, "timestamp": "1764300000", "type": "text", "text": {"body": "halo"}});
            if let Some(w) = wa {
                contact["wa_id"] = w.into();
                msg["from"] = w.into();
            }
            if let Some(u) = user {
                contact["user_id"] = u.into();
                msg["from_user_id"] = u.into();
            }
            serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "metadata": {"phone_number_id": KALIPLOSO_NUMBER}, "contacts": [contact], "messages": [msg]}}]}]}).to_string()
        };
        // Known by number first, then by username only, then with both.
        assert_eq!(app.post_webhook(payload("wamid.l1", Some("6281234567890"), None)).await.status(), 200);
        assert_eq!(app.post_webhook(payload("wamid.l2", None, Some("US.777"))).await.status(), 200);
        assert_eq!(app.post_webhook(payload("wamid.l3", Some("6281234567890"), Some("US.777"))).await.status(), 200);
        let rows = app.store.residents("kaliploso").await.unwrap();
        assert_eq!(rows.len(), 2, "two rows stay apart rather than failing: {rows:?}");
        let l3 = app.store.inbound_by_wamid("kaliploso", "wamid.l3").await.unwrap().unwrap();
        assert_eq!(l3.resident_id, Some(rows[0].id), "the message goes to the row of its phone number");
    }

    async fn a_nul_character_in_a_message_is_stored_without_it(app) {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1122334455667"},"contacts":[{"profile":{"name":"A\u0000B"},"wa_id":"6281234500009"}],"messages":[{"from":"6281234500009","id":"wamid.nul","timestamp":"1764300000","type":"text","text":{"body":"ha\u0000lo"}}]}}]}]}"#;
        assert_eq!(app.post_webhook(body).await.status(), 200);
        let row = app.store.inbound_by_wamid("kaliploso", "wamid.nul").await.unwrap().unwrap();
        assert_eq!(row.body.as_deref(), Some("halo"));
        assert!(row.raw_json.contains(r"\u0000"), "the raw JSON keeps it escaped");
    }

    async fn a_message_the_database_refuses_is_dead_lettered_and_the_rest_is_kept(app) {
        // A trigger makes the database refuse one particular message for good.
        poison(&app).await;
        let msg = |id: &str, from: &str| serde_json::json!(
            {"from": from, "id": id, "timestamp": "1764300000", "type": "text", "text": {"body": "halo"}});
        let payload = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": KALIPLOSO_NUMBER},
            "messages": [msg("wamid.good1", "6281111111111"), msg("wamid.poison", "6282222222222"), msg("wamid.good2", "6283333333333")]}}]}]});
        assert_eq!(app.post_webhook(payload.to_string()).await.status(), 200);
        for wamid in ["wamid.good1", "wamid.good2"] {
            assert!(app.store.inbound_by_wamid("kaliploso", wamid).await.unwrap().is_some(), "{wamid} kept");
        }
        assert!(app.store.inbound_by_wamid("kaliploso", "wamid.poison").await.unwrap().is_none());
        let letters = app.store.dead_letters().await.unwrap();
        assert_eq!(letters.len(), 1);
        assert!(String::from_utf8_lossy(&letters[0].body).contains("wamid.poison"));
        assert!(letters[0].error.contains("poisoned message"), "{}", letters[0].error);
    }

    async fn statuses_out_of_order_end_at_the_right_status(app) {
        // Two outbound messages Meta has accepted.
        let mut tx = app.store.begin().await.unwrap();
        let now = kentongan::store::Timestamp::now();
        let a = tx.enqueue_outbound("kaliploso", None, "6281234567890", "text", "{}", now).await.unwrap();
        let b = tx.enqueue_outbound("kaliploso", None, "6281234567890", "text", "{}", now).await.unwrap();
        tx.mark_outbound_sent(a, "wamid.out.a", now).await.unwrap();
        tx.mark_outbound_sent(b, "wamid.out.b", now).await.unwrap();
        tx.commit().await.unwrap();

        // read → delivered → sent → delivered again, split over several callbacks.
        for batch in [
            vec![("wamid.out.a", "read", 1764300003)],
            vec![("wamid.out.a", "delivered", 1764300002), ("wamid.out.b", "sent", 1764300001)],
            vec![("wamid.out.a", "sent", 1764300001), ("wamid.out.a", "delivered", 1764300002)],
            vec![("wamid.out.b", "failed", 1764300005)],
            vec![("wamid.out.b", "delivered", 1764300006), ("wamid.out.b", "read", 1764300007)],
        ] {
            assert_eq!(app.post_webhook(status_payload(KALIPLOSO_NUMBER, &batch)).await.status(), 200);
        }
        assert_eq!(app.store.outbound(a).await.unwrap().unwrap().status, "read");
        // failed is its own end: later delivered/read callbacks do not revive it.
        assert_eq!(app.store.outbound(b).await.unwrap().unwrap().status, "failed");
        // Each (wamid, status) is kept once: a has sent/delivered/read, b sent/failed/delivered/read.
        assert_eq!(app.store.counts().await.unwrap().status_events, 7);
    }

    async fn a_status_before_its_message_is_known_is_applied_later(app) {
        let failed = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1122334455667"},"statuses":[{"id":"wamid.early","status":"delivered","timestamp":"1764300002","recipient_id":"6281234567890"}]}}]}]}"#;
        assert_eq!(app.post_webhook(failed).await.status(), 200);
        let mut tx = app.store.begin().await.unwrap();
        let now = kentongan::store::Timestamp::now();
        let id = tx.enqueue_outbound("kaliploso", None, "6281234567890", "text", "{}", now).await.unwrap();
        tx.mark_outbound_sent(id, "wamid.early", now).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(app.store.outbound(id).await.unwrap().unwrap().status, "delivered");

        // A failure with Meta's error code is recorded on the message.
        let failed = status_failed_payload("wamid.late", 131047, "Re-engagement message");
        let mut tx = app.store.begin().await.unwrap();
        let id = tx.enqueue_outbound("kaliploso", None, "6281234567890", "text", "{}", now).await.unwrap();
        tx.mark_outbound_sent(id, "wamid.late", now).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(app.post_webhook(failed).await.status(), 200);
        let row = app.store.outbound(id).await.unwrap().unwrap();
        assert_eq!(row.status, "failed");
        assert_eq!(row.error_code, Some(131047));
        assert_eq!(row.error_title.as_deref(), Some("Re-engagement message"));
    }

    async fn an_oversized_body_is_413_and_stores_nothing(app) {
        let mut body = text_payload(KALIPLOSO_NUMBER, "wamid.big", "6281234567890", "X", "x");
        body.push_str(&" ".repeat(3 * 1024 * 1024));
        let r = app.post_webhook(body).await;
        assert_eq!(r.status(), 413);
        assert_eq!(app.store.counts().await.unwrap().inbound, 0);
        // Just under the limit is fine.
        let mut body = text_payload(KALIPLOSO_NUMBER, "wamid.big2", "6281234567890", "X", "x");
        body.push_str(&" ".repeat(3 * 1024 * 1024 - body.len()));
        assert_eq!(app.post_webhook(body).await.status(), 200);
        assert_eq!(app.store.counts().await.unwrap().inbound, 1);
    }

    async fn an_unparseable_signed_payload_is_dead_lettered_and_acknowledged(app) {
        for body in [
            b"not json at all".to_vec(),
            br#"{"object":"whatsapp_business_account"}"#.to_vec(),
            br#"{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1122334455667"},"messages":[{"type":"text"}]}}]}]}"#.to_vec(),
            vec![0xff, 0xfe, b'{', b'}'],
        ] {
            let r = app.post_webhook(body.clone()).await;
            assert_eq!(r.status(), 200);
            let letters = app.store.dead_letters().await.unwrap();
            let last = letters.last().unwrap();
            assert_eq!(last.body, body, "kept whole");
            assert!(!last.error.is_empty());
        }
        let letters = app.store.dead_letters().await.unwrap();
        assert_eq!(letters.len(), 4);
        assert!(letters[2].error.contains("id"), "{}", letters[2].error);
        // Nothing half-stored from the payload whose message had no id.
        assert_eq!(app.store.counts().await.unwrap().inbound, 0);
    }

    async fn a_payload_for_an_unknown_number_is_kept_unrouted(app) {
        let body = text_payload("999999999", "wamid.unrouted", "6281234567890", "X", "halo");
        assert_eq!(app.post_webhook(body).await.status(), 200);
        let counts = app.store.counts().await.unwrap();
        assert_eq!((counts.inbound, counts.residents, counts.webhook_events), (0, 0, 1));
        let event = &app.store.webhook_events().await.unwrap()[0];
        assert_eq!(event.reason, "unrouted");
        assert_eq!(event.phone_number_id.as_deref(), Some("999999999"));
    }

    async fn the_database_stopped_mid_test_gives_5xx_then_recovers(app) {
        let first = text_payload(KALIPLOSO_NUMBER, "wamid.before", "6281234567890", "A", "satu");
        assert_eq!(app.post_webhook(first).await.status(), 200);

        let outage = app.stop_database().await;
        let during = text_payload(KALIPLOSO_NUMBER, "wamid.during", "6281234567890", "A", "dua");
        let r = app.post_webhook(during.clone()).await;
        assert!(r.status().is_server_error(), "got {}", r.status());
        outage.end().await;

        // Meta retries; the server recovers by itself once the database is back.
        let mut status = 0;
        for _ in 0..50 {
            status = app.post_webhook(during.clone()).await.status().as_u16();
            if status == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200);
        let counts = app.store.counts().await.unwrap();
        assert_eq!(counts.inbound, 2);
        assert!(app.store.inbound_by_wamid("kaliploso", "wamid.during").await.unwrap().is_some());
    }

    async fn an_older_redelivery_does_not_overwrite_a_newer_profile_name(app) {
        let newer = text_payload(KALIPLOSO_NUMBER, "wamid.new", "6281234567890", "Nama Baru", "x")
            .replace("1764300000", "1764300100");
        let older = text_payload(KALIPLOSO_NUMBER, "wamid.old", "6281234567890", "Nama Lama", "x");
        assert_eq!(app.post_webhook(newer).await.status(), 200);
        assert_eq!(app.post_webhook(older).await.status(), 200);
        let r = &app.store.residents("kaliploso").await.unwrap()[0];
        assert_eq!(r.profile_name.as_deref(), Some("Nama Baru"));
        assert_eq!(r.last_inbound_at.unix_seconds(), 1764300100);
    }
}

fn status_failed_payload(wamid: &str, code: i64, title: &str) -> String {
    serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": KALIPLOSO_NUMBER},
        "statuses": [{"id": wamid, "status": "failed", "timestamp": "1764300009", "recipient_id": "6281234567890",
            "errors": [{"code": code, "title": title, "message": title, "error_data": {"details": "outside the window"}}]}]}}]}]})
    .to_string()
}

/// Await all futures concurrently (each on its own task, so they really overlap).
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
