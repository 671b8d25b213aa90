//! Whole resident conversations driven through the signed webhook: every reply is read back
//! from the outbox, every request, attachment and complaint from the database.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use crate::helpers::*;

pub(crate) const NIK: &str = "3510061505900001";

static WAMID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn wamid() -> String {
    format!(
        "wamid.conv.{}.{}",
        std::process::id(),
        WAMID.fetch_add(1, Ordering::Relaxed)
    )
}

/// A `messages` payload carrying one message object from `from`.
pub(crate) fn payload(number_id: &str, from: &str, message: Value) -> String {
    let mut message = message;
    message["from"] = json!(from);
    message["timestamp"] = json!("1764300000");
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281200000000", "phone_number_id": number_id},
            "contacts": [{"profile": {"name": "Warga"}, "wa_id": from}],
            "messages": [message]
        }}]}]
    })
    .to_string()
}

pub(crate) fn text_msg(body: &str) -> Value {
    json!({"id": wamid(), "type": "text", "text": {"body": body}})
}

pub(crate) fn button_msg(id: &str, title: &str) -> Value {
    json!({"id": wamid(), "type": "interactive",
           "interactive": {"type": "button_reply", "button_reply": {"id": id, "title": title}}})
}

pub(crate) fn list_msg(id: &str, title: &str) -> Value {
    json!({"id": wamid(), "type": "interactive",
           "interactive": {"type": "list_reply", "list_reply": {"id": id, "title": title}}})
}

pub(crate) fn image_msg(media_id: &str) -> Value {
    json!({"id": wamid(), "type": "image",
           "image": {"id": media_id, "mime_type": "image/jpeg", "sha256": "abc"}})
}

pub(crate) fn location_msg(lat: f64, lon: f64, address: &str) -> Value {
    json!({"id": wamid(), "type": "location",
           "location": {"latitude": lat, "longitude": lon, "address": address}})
}

/// One resident of one village.
pub(crate) struct Resident<'a> {
    app: &'a TestApp,
    number: &'a str,
    village: &'a str,
    pub(crate) from: String,
}

impl<'a> Resident<'a> {
    pub(crate) fn new(app: &'a TestApp, from: &str) -> Self {
        Self::of(app, KALIPLOSO_NUMBER, "kaliploso", from)
    }

    pub(crate) fn of(app: &'a TestApp, number: &'a str, village: &'a str, from: &str) -> Self {
        Self {
            app,
            number,
            village,
            from: from.to_string(),
        }
    }

    /// Post one message (retrying like Meta on a busy database) and return the replies it got.
    pub(crate) async fn send(&self, message: Value) -> Vec<(String, Value)> {
        let before = self.outbound().await.len();
        let body = payload(self.number, &self.from, message);
        post_until_ok(self.app, body).await;
        self.outbound().await.split_off(before)
    }

    pub(crate) async fn text(&self, body: &str) -> Vec<(String, Value)> {
        self.send(text_msg(body)).await
    }

    pub(crate) async fn tap(&self, id: &str, title: &str) -> Vec<(String, Value)> {
        self.send(button_msg(id, title)).await
    }

    pub(crate) async fn pick(&self, id: &str, title: &str) -> Vec<(String, Value)> {
        self.send(list_msg(id, title)).await
    }

    pub(crate) async fn photo(&self, media_id: &str) -> Vec<(String, Value)> {
        self.send(image_msg(media_id)).await
    }

    /// The replies to this resident (read receipts left out).
    pub(crate) async fn outbound(&self) -> Vec<(String, Value)> {
        let mut all = self.outbound_all().await;
        all.retain(|(kind, _)| kind != "mark_read");
        all
    }

    /// Every outbound row to this resident, read receipts included.
    pub(crate) async fn outbound_all(&self) -> Vec<(String, Value)> {
        self.app
            .store
            .outbound_for(self.village, &self.from)
            .await
            .expect("outbound rows")
            .into_iter()
            .map(|(kind, body)| (kind, serde_json::from_str(&body).expect("body json")))
            .collect()
    }
}

/// Post all bodies at the same time, each retried until accepted.
pub(crate) async fn post_concurrently(app: &TestApp, bodies: Vec<String>) {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let client = app.client.clone();
        let url = app.url("/webhook");
        tasks.spawn(async move {
            let sig = kentongan::webhook::signature::sign(APP_SECRET.as_bytes(), body.as_bytes());
            for _ in 0..50 {
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", &sig)
                    .body(body.clone())
                    .send()
                    .await
                    .expect("request sent");
                if r.status() == 200 {
                    return;
                }
                assert_eq!(r.status(), 503, "only a busy database is retried");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("webhook never accepted");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
}

pub(crate) async fn post_until_ok(app: &TestApp, body: String) {
    for _ in 0..20 {
        let r = app.post_webhook(body.clone()).await;
        if r.status() == 200 {
            return;
        }
        assert_eq!(r.status(), 503, "only a busy database is retried");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("webhook never accepted");
}

/// Everything said in these replies, joined.
pub(crate) fn said(replies: &[(String, Value)]) -> String {
    replies
        .iter()
        .map(|(_, b)| b["body"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Ids of the buttons or rows of the last interactive reply.
pub(crate) fn ids(replies: &[(String, Value)]) -> Vec<String> {
    let Some((_, b)) = replies.iter().rev().find(|(k, _)| k != "text") else {
        return vec![];
    };
    let from_buttons = b["buttons"]
        .as_array()
        .map(|bs| bs.iter().map(|x| x["id"].as_str().unwrap().to_string()));
    let from_rows = b["sections"].as_array().map(|ss| {
        ss.iter()
            .flat_map(|s| s["rows"].as_array().unwrap().clone())
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    });
    match (from_buttons, from_rows) {
        (Some(b), _) => b.collect(),
        (None, Some(r)) => r,
        _ => vec![],
    }
}

/// A short request from start to ticket: the loss letter, its KTP brought to the office.
/// Returns the confirmation text.
pub(crate) async fn submit_kehilangan(r: &Resident<'_>) -> String {
    let replies = r.text("mau buat surat kehilangan").await;
    if ids(&replies).contains(&"saved:use".to_string()) {
        r.tap("saved:use", "Ya, pakai").await;
    } else {
        r.text(NIK).await;
        r.text("Budi Santoso").await;
    }
    r.text("dompet dan STNK").await;
    r.text("20-11-2026").await;
    r.text("pasar Cluring").await;
    let summary = r.tap("doc:later", "Bawa ke kantor").await;
    assert_eq!(
        ids(&summary),
        vec!["confirm:send", "confirm:edit", "confirm:cancel"],
        "{}",
        said(&summary)
    );
    said(&r.tap("confirm:send", "Kirim").await)
}

both_backends! {
    async fn halo_gets_the_welcome_and_the_menu(app) {
        let r = Resident::new(&app, "6281230000001");
        let replies = r.text("halo").await;
        assert_eq!(replies.len(), 2, "{replies:?}");
        assert_eq!(replies[0].0, "text");
        let welcome = replies[0].1["body"].as_str().unwrap();
        assert!(welcome.contains("Desa Kaliploso"));
        assert!(welcome.contains("NIK"));
        assert_eq!(replies[1].0, "list");
        let rows = ids(&replies);
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[0], "svc:skck");
        assert_eq!(rows[9], "menu:page:1");
        let page2 = r.pick("menu:page:1", "Layanan lainnya ›").await;
        let rows2 = ids(&page2);
        assert!(rows2.contains(&"svc:kehilangan".to_string()));
        assert!(rows2.contains(&"menu:aduan".to_string()));
        // No second welcome.
        assert!(!said(&r.text("halo").await).contains("Selamat datang"));
    }

    async fn typed_indonesian_skck_with_a_photo_and_a_document_brought_later(app) {
        let r = Resident::new(&app, "6281230000002");
        let replies = r.text("mw urus skck gmn caranya").await;
        let text = said(&replies);
        assert!(text.contains("Surat Pengantar SKCK"), "{text}");
        assert!(text.contains("NIK"), "{text}");
        // A friendly explanation for a wrong NIK, then the right one.
        let replies = r.text("12345").await;
        assert!(said(&replies).contains("16"), "{}", said(&replies));
        r.text(&format!("NIK saya {NIK}")).await;
        r.text("Budi Santoso").await;
        let replies = r.text("melamar kerja").await;
        assert!(said(&replies).contains("Foto KTP"));
        let replies = r.photo("media-ktp-1").await;
        assert!(said(&replies).contains("Foto KTP sudah kami terima"));
        let replies = r.text("KK nya bawa ke kantor").await;
        assert!(said(&replies).contains("Foto Kartu Keluarga dibawa ke kantor"), "{}", said(&replies));
        let summary = r.tap("doc:skip", "Lewati").await;
        let text = said(&summary);
        assert!(text.contains("• Nama lengkap: Budi Santoso"), "{text}");
        assert!(text.contains("• Foto KTP: ✅ terkirim"), "{text}");
        let done = said(&r.text("kirim").await);
        assert!(done.contains("Nomor tiket: *KLP-0001*"), "{done}");
        assert!(done.contains("diantar ke rumah"), "{done}");

        let requests = app.store.requests_of("kaliploso").await.unwrap();
        assert_eq!(requests.len(), 1);
        let req = &requests[0];
        assert_eq!(req.ticket_code, "KLP-0001");
        assert_eq!(req.service_code, "skck");
        assert_eq!(req.state, "diajukan");
        let data: Value = serde_json::from_str(&req.data_json).unwrap();
        assert_eq!(data["values"]["nik"], NIK);
        assert_eq!(data["values"]["keperluan"], "melamar kerja");
        assert_eq!(data["documents"]["kk"]["provided"], "later");
        let history = app.store.history_of("kaliploso", req.id).await.unwrap();
        assert_eq!(history, vec![(None, "diajukan".to_string())]);
        let attachments = app.store.attachments_of("kaliploso", req.id).await.unwrap();
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].requirement_key.as_deref(), Some("ktp"));
        assert_eq!(attachments[0].media_id.as_deref(), Some("media-ktp-1"));
        assert!(attachments[0].inbound_message_id.is_some());
    }

    async fn javanese_krama_nikah_to_a_confirmed_request(app) {
        let r = Resident::new(&app, "6281230000003");
        let replies = r.text("kulo nyuwun surat pengantar nikah").await;
        assert!(said(&replies).contains("Surat Pengantar Nikah"), "{}", said(&replies));
        r.text(NIK).await;
        r.text("Agus Wibowo").await;
        r.text("Siti Nurhaliza").await;
        let replies = r.text("3510065505920002").await;
        assert!(said(&replies).contains("Rencana tanggal"), "{}", said(&replies));
        // A wedding date a month ahead of the real clock.
        let wedding = (chrono::Utc::now() + chrono::Duration::days(30))
            .format("%d-%m-%Y")
            .to_string();
        r.text(&wedding).await;
        let replies = r.text("Masjid Baitul Makmur").await;
        assert_eq!(ids(&replies), vec!["choice:0", "choice:1"]);
        let replies = r.tap("choice:0", "KUA (Islam)").await;
        assert!(said(&replies).contains("Foto KTP calon pengantin"));
        r.photo("media-ktp").await;
        r.photo("media-kk").await;
        r.text("dereng wonten, nanti dibawa").await;
        r.tap("doc:later", "Bawa ke kantor").await;
        r.tap("doc:later", "Bawa ke kantor").await;
        let summary = r.tap("doc:skip", "Lewati").await;
        assert!(said(&summary).contains("• Dicatat di: KUA (Islam)"), "{}", said(&summary));
        let done = said(&r.text("nggih").await);
        assert!(done.contains("KLP-0001"), "{done}");
        let req = &app.store.requests_of("kaliploso").await.unwrap()[0];
        assert_eq!(req.service_code, "nikah");
        let keys: Vec<_> = app
            .store
            .attachments_of("kaliploso", req.id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.requirement_key.unwrap(), a.media_id.unwrap()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("kk".to_string(), "media-kk".to_string()),
                ("ktp".to_string(), "media-ktp".to_string())
            ]
        );
    }

    async fn osing_akta_procot_to_a_confirmed_request(app) {
        let r = Resident::new(&app, "6281230000004");
        let replies = r.text("isun arep gawe akta procot").await;
        assert!(said(&replies).contains("Akta Kelahiran"), "{}", said(&replies));
        assert!(said(&replies).contains("gratis"), "population documents are free");
        r.text(NIK).await;
        r.text("Slamet").await;
        let replies = r.text("Dewi Lestari").await;
        assert_eq!(ids(&replies), vec!["choice:0", "choice:1"]);
        r.tap("choice:1", "Perempuan").await;
        r.text("5 november 2026").await;
        r.text("Puskesmas Cluring").await;
        let replies = r.text("1").await;
        assert!(said(&replies).contains("Surat kelahiran"), "{}", said(&replies));
        r.photo("media-lahir").await;
        r.tap("doc:later", "Bawa ke kantor").await;
        r.tap("doc:later", "Bawa ke kantor").await;
        let summary = r.tap("doc:skip", "Lewati").await;
        let text = said(&summary);
        assert!(text.contains("• Jenis kelamin anak: Perempuan"), "{text}");
        assert!(text.contains("• Tanggal lahir: 5 November 2026"), "{text}");
        let done = said(&r.tap("confirm:send", "Kirim").await);
        assert!(done.contains("KLP-0001"), "{done}");
        let req = &app.store.requests_of("kaliploso").await.unwrap()[0];
        assert_eq!(req.service_code, "akta_lahir");
        let data: Value = serde_json::from_str(&req.data_json).unwrap();
        assert_eq!(data["values"]["tanggal_lahir"], "2026-11-05");
        assert_eq!(data["values"]["anak_ke"], "1");
    }

    async fn a_tapped_path_with_list_and_button_ids(app) {
        let r = Resident::new(&app, "6281230000005");
        r.text("menu").await;
        let replies = r.pick("svc:kk", "Kartu Keluarga (KK)").await;
        assert!(said(&replies).contains("Pengantar Kartu Keluarga"));
        r.text(NIK).await;
        let replies = r.text("Budi Santoso").await;
        // Five options: a list, not buttons.
        assert_eq!(replies.last().unwrap().0, "list");
        assert_eq!(ids(&replies).len(), 5);
        let replies = r.pick("choice:1", "Tambah anggota").await;
        assert_eq!(ids(&replies), vec!["field:skip"]);
        r.tap("field:skip", "Lewati").await;
        r.tap("doc:skip", "Lewati").await;
        let summary = r.tap("doc:skip", "Lewati").await;
        let text = said(&summary);
        assert!(text.contains("• Alasan: Tambah anggota"), "{text}");
        assert!(text.contains("• No. KK lama: -"), "{text}");
        // Ubah → pick a field → change → back to the summary.
        let edit = r.tap("confirm:edit", "Ubah").await;
        assert!(ids(&edit).contains(&"edit:nama".to_string()));
        r.pick("edit:nama", "Nama kepala keluarga").await;
        let summary = r.text("Budi Santosa").await;
        assert!(said(&summary).contains("• Nama kepala keluarga: Budi Santosa"));
        let done = said(&r.tap("confirm:send", "Kirim").await);
        assert!(done.contains("KLP-0001"), "{done}");
        let req = &app.store.requests_of("kaliploso").await.unwrap()[0];
        let data: Value = serde_json::from_str(&req.data_json).unwrap();
        assert_eq!(data["values"]["alasan"], "Tambah anggota");
        assert_eq!(data["values"]["nama"], "Budi Santosa");
        assert_eq!(data["values"]["no_kk_lama"], "");
    }

    async fn a_location_fills_the_address_and_goes_with_the_request(app) {
        let r = Resident::new(&app, "6281230000006");
        r.text("minta surat keterangan domisili").await;
        r.text(NIK).await;
        let replies = r.text("Budi Santoso").await;
        assert!(said(&replies).contains("Alamat tempat tinggal"));
        let replies = r.send(location_msg(-8.35, 114.25, "Dusun Krajan")).await;
        assert!(said(&replies).contains("RT/RW"), "{}", said(&replies));
        r.text("2/1").await;
        r.text("01-03-2020").await;
        r.text("daftar sekolah anak").await;
        r.tap("doc:later", "Bawa ke kantor").await;
        r.tap("doc:later", "Bawa ke kantor").await;
        let summary = r.tap("doc:skip", "Lewati").await;
        assert!(said(&summary).contains("Dusun Krajan (-8.350000, 114.250000)"));
        r.tap("confirm:send", "Kirim").await;
        let req = &app.store.requests_of("kaliploso").await.unwrap()[0];
        assert_eq!(req.service_code, "domisili");
    }

    async fn a_redelivered_webhook_gets_no_second_reply(app) {
        let from = "6281230000007";
        let body = payload(KALIPLOSO_NUMBER, from, text_msg("halo"));
        assert_eq!(app.post_webhook(body.clone()).await.status(), 200);
        let r = Resident::new(&app, from);
        assert_eq!(r.outbound().await.len(), 2, "welcome and menu");
        let first = r.outbound_all().await.len();
        for _ in 0..3 {
            assert_eq!(app.post_webhook(body.clone()).await.status(), 200);
        }
        assert_eq!(r.outbound_all().await.len(), first, "no row at all for a redelivery");
        assert_eq!(app.store.inbound_handled_counts("kaliploso").await.unwrap(), (1, 1));
        // Concurrent redeliveries too.
        let body = payload(KALIPLOSO_NUMBER, from, text_msg("status"));
        post_concurrently(&app, vec![body; 5]).await;
        assert_eq!(r.outbound().await.len(), 3);
        assert_eq!(app.store.inbound_handled_counts("kaliploso").await.unwrap(), (2, 2));
    }

    async fn a_burst_of_twenty_messages_is_handled_each_exactly_once(app) {
        let from = "6281230000008";
        let r = Resident::new(&app, from);
        r.text("halo").await;
        let base = r.outbound().await.len();
        let bodies: Vec<String> = (0..20)
            .map(|i| {
                let msg = if i % 2 == 0 { text_msg("status") } else { text_msg("cek status") };
                payload(KALIPLOSO_NUMBER, from, msg)
            })
            .collect();
        post_concurrently(&app, bodies).await;
        let replies = r.outbound().await;
        assert_eq!(replies.len(), base + 20, "one status reply per message");
        assert!(replies[base..]
            .iter()
            .all(|(_, b)| b["body"].as_str().unwrap().contains("Belum ada permohonan")));
        assert_eq!(app.store.inbound_handled_counts("kaliploso").await.unwrap(), (21, 21));
        let resident = app.store.residents("kaliploso").await.unwrap()[0].id;
        let state = app.store.conversation_state("kaliploso", resident).await.unwrap().unwrap();
        let state: Value = serde_json::from_str(&state).unwrap();
        assert_eq!(state["stage"]["stage"], "menu", "{state}");
    }

    async fn cek_shows_the_history_and_batal_cancels(app) {
        let r = Resident::new(&app, "6281230000009");
        let done = submit_kehilangan(&r).await;
        assert!(done.contains("KLP-0001"), "{done}");
        let status = said(&r.text("cek KLP-0001").await);
        assert!(status.contains("*KLP-0001* — Pengantar Kehilangan"), "{status}");
        assert!(status.contains("Riwayat:"), "{status}");
        assert!(status.contains("Diajukan, menunggu diperiksa"), "{status}");
        let all = said(&r.text("status").await);
        assert!(all.contains("*KLP-0001* Pengantar Kehilangan"), "{all}");
        let missing = said(&r.text("cek KLP-0099").await);
        assert!(missing.contains("KLP-0099 tidak kami temukan"), "{missing}");

        let ask = r.text("batal").await;
        assert!(said(&ask).contains("Batalkan permohonan *KLP-0001*"), "{}", said(&ask));
        assert_eq!(ids(&ask), vec!["cancel:yes", "cancel:no"]);
        let done = said(&r.tap("cancel:yes", "Ya, batalkan").await);
        assert!(done.contains("Permohonan KLP-0001 sudah dibatalkan"), "{done}");
        let req = &app.store.requests_of("kaliploso").await.unwrap()[0];
        assert_eq!(req.state, "dibatalkan");
        let history = app.store.history_of("kaliploso", req.id).await.unwrap();
        assert_eq!(
            history,
            vec![
                (None, "diajukan".to_string()),
                (Some("diajukan".to_string()), "dibatalkan".to_string())
            ]
        );
        // Nothing left to cancel.
        let none = said(&r.text("batal").await);
        assert!(none.contains("tidak ada permohonan yang bisa dibatalkan"), "{none}");
        // Typed confirmation works as well.
        submit_kehilangan(&r).await;
        r.text("batal").await;
        let done = said(&r.text("Ya, batalkan").await);
        assert!(done.contains("KLP-0002 sudah dibatalkan"), "{done}");
    }

    async fn a_complaint_gets_its_own_code_and_photo(app) {
        let r = Resident::new(&app, "6281230000010");
        let prompt = said(&r.text("aduan").await);
        assert!(prompt.contains("Silakan tulis pengaduan"), "{prompt}");
        let filed = said(&r.text("Petugas tidak datang mengantar surat saya").await);
        assert!(filed.contains("ADU-KLP-0001"), "{filed}");
        let added = said(&r.photo("media-bukti").await);
        assert!(added.contains("Foto pendukung"), "{added}");
        let complaints = app.store.complaints_of("kaliploso").await.unwrap();
        assert_eq!(complaints.len(), 1);
        assert_eq!(complaints[0].code, "ADU-KLP-0001");
        assert_eq!(complaints[0].body, "Petugas tidak datang mengantar surat saya");
        let photos = app
            .store
            .complaint_attachments_of("kaliploso", complaints[0].id)
            .await
            .unwrap();
        assert_eq!(photos.len(), 1);
        assert_eq!(photos[0].media_id.as_deref(), Some("media-bukti"));
        // A second complaint, filed at once because it already says what is wrong.
        let other = Resident::new(&app, "6281230000011");
        let filed = said(&other.text("saya mau komplain pelayanan kantor desa lambat sekali kemarin").await);
        assert!(filed.contains("ADU-KLP-0002"), "{filed}");
    }

    async fn tickets_are_unique_per_village_and_each_village_starts_at_one(app) {
        let a = Resident::new(&app, "6281230000012");
        let b = Resident::new(&app, "6281230000013");
        let c = Resident::of(&app, SUKAMAJU_NUMBER, "sukamaju", "6281230000014");
        assert!(submit_kehilangan(&a).await.contains("KLP-0001"));
        assert!(submit_kehilangan(&b).await.contains("KLP-0002"));
        let second = submit_kehilangan(&a).await;
        assert!(second.contains("KLP-0003"), "{second}");
        assert!(submit_kehilangan(&c).await.contains("SKM-0001"));
        let k: Vec<String> = app
            .store
            .requests_of("kaliploso")
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.ticket_code)
            .collect();
        assert_eq!(k, vec!["KLP-0001", "KLP-0002", "KLP-0003"]);
        let s = app.store.requests_of("sukamaju").await.unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].ticket_code, "SKM-0001");
    }

    async fn the_daily_limit_refuses_politely(app) {
        let r = Resident::new(&app, "6281230000015");
        for n in 1..=5 {
            let done = submit_kehilangan(&r).await;
            assert!(done.contains(&format!("KLP-000{n}")), "{done}");
        }
        let refused = said(&r.text("mau buat surat kehilangan").await);
        assert!(refused.contains("batas harian"), "{refused}");
        assert_eq!(app.store.requests_of("kaliploso").await.unwrap().len(), 5);
        // Status still works.
        assert!(said(&r.text("status").await).contains("KLP-0005"));
    }
}
