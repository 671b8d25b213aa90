//! Officers working from WhatsApp, as whole stories through the signed webhook: residents and
//! officers both write to the village number; what each is told is read back from the outbox,
//! the lifecycle from the request's history, the audit trail and the delivery register.

use serde_json::{json, Value};

use crate::conversation::{ids, said, submit_kehilangan, wamid, Resident};
use crate::graph_mock::GraphMock;
use crate::helpers::*;

const OPERATOR: &str = "6281300000001";
const KADES: &str = "6281300000002";
const SEKDES: &str = "6281300000003";
const KURIR: &str = "6281300000004";

async fn staff(app: &TestApp) {
    for (name, number, roles) in [
        ("Sari", OPERATOR, &["operator"][..]),
        ("Pak Kades Slamet", KADES, &["kades"][..]),
        ("Bu Sekdes Rina", SEKDES, &["sekdes"][..]),
        ("Budi", KURIR, &["kurir"][..]),
    ] {
        app.store
            .add_officer("kaliploso", name, number, roles)
            .await
            .expect("officer added");
    }
}

async fn state_of(app: &TestApp, ticket: &str) -> String {
    app.store
        .requests_of("kaliploso")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.ticket_code == ticket)
        .map(|r| r.state)
        .expect("request exists")
}

fn image_with_caption(media_id: &str, caption: &str) -> Value {
    json!({"id": wamid(), "type": "image",
           "image": {"id": media_id, "mime_type": "image/jpeg", "sha256": "abc", "caption": caption}})
}

fn quote(body: &str, context_wamid: &str) -> Value {
    json!({"id": wamid(), "type": "text", "text": {"body": body},
           "context": {"from": "6281200000000", "id": context_wamid}})
}

both_backends! {
    async fn a_request_taken_sent_back_made_signed_delivered_and_confirmed(app) {
        staff(&app).await;
        let resident = Resident::new(&app, "6281230000101");
        let operator = Resident::new(&app, OPERATOR);
        let kades = Resident::new(&app, KADES);
        let sekdes = Resident::new(&app, SEKDES);
        let kurir = Resident::new(&app, KURIR);

        let confirmation = submit_kehilangan(&resident).await;
        assert!(confirmation.contains("KLP-0001"), "{confirmation}");
        // The operator on duty hears of it at once, NIK masked, with buttons.
        let notice = operator.outbound().await;
        let notice_text = said(&notice);
        assert!(notice_text.contains("Permohonan baru KLP-0001"), "{notice_text}");
        assert!(!notice_text.contains("3510061505900001"), "NIK must be masked: {notice_text}");
        assert_eq!(ids(&notice), vec!["ofc:ambil:KLP-0001", "ofc:lihat:KLP-0001"]);
        // Couriers and the Kades are not bothered with new requests.
        assert!(kurir.outbound().await.is_empty());
        assert!(kades.outbound().await.is_empty());

        // Taking it: assigned, being checked, and the resident is told.
        let taken = said(&operator.tap("ofc:ambil:KLP-0001", "Ambil").await);
        assert!(taken.contains("Anda pegang"), "{taken}");
        assert_eq!(state_of(&app, "KLP-0001").await, "diperiksa");
        assert!(said(&resident.outbound().await).contains("sedang diperiksa"));

        // Viewing shows the whole NIK to the operator.
        let view = said(&operator.text("lihat klp 1").await);
        assert!(view.contains("3510061505900001"), "{view}");
        assert!(view.contains("Sedang diperiksa"), "{view}");

        // Something is missing: the reason goes to the resident, whose photo comes back.
        let asked = said(&operator.text("kurang KLP-0001 foto KTP belum jelas, mohon foto ulang").await);
        assert!(asked.contains("sudah dikirim ke warga"), "{asked}");
        assert_eq!(state_of(&app, "KLP-0001").await, "perlu_dokumen");
        let before = resident.outbound().await.len();
        let last = resident.outbound().await;
        assert!(said(&last).contains("foto KTP belum jelas, mohon foto ulang"));
        let reply = resident.photo("media-ktp-ulang").await;
        assert!(said(&reply).contains("sudah kami terima"), "{}", said(&reply));
        assert!(resident.outbound().await.len() > before);
        assert_eq!(state_of(&app, "KLP-0001").await, "diperiksa");
        let forwarded = operator.outbound().await;
        assert!(said(&forwarded).contains("mengirim foto"), "{}", said(&forwarded));
        assert!(forwarded.iter().any(|(kind, body)| kind == "attachment" && body["attachment_id"].is_i64()));

        // Made, then waiting for the Kades, who alone may sign this service.
        assert!(said(&operator.text("proses KLP-0001").await).contains("Sedang dibuat"));
        assert!(said(&operator.text("siap KLP-0001").await).contains("Menunggu tanda tangan"));
        assert_eq!(state_of(&app, "KLP-0001").await, "menunggu_ttd");
        assert_eq!(ids(&kades.outbound().await), vec!["ofc:setuju:KLP-0001", "ofc:lihat:KLP-0001"]);
        let refused = said(&sekdes.text("setuju KLP-0001").await);
        assert!(refused.contains("Kepala Desa"), "{refused}");
        assert_eq!(state_of(&app, "KLP-0001").await, "menunggu_ttd");
        assert!(said(&kades.tap("ofc:setuju:KLP-0001", "Setuju").await).contains("disetujui"));
        assert_eq!(state_of(&app, "KLP-0001").await, "siap_antar");

        // Ready: the resident chooses home delivery and gives the address.
        let ready = resident.outbound().await;
        assert_eq!(ids(&ready), vec!["dlv:antar:KLP-0001", "dlv:ambil:KLP-0001"]);
        let ask = said(&resident.tap("dlv:antar:KLP-0001", "Antar ke rumah").await);
        assert!(ask.contains("alamat"), "{ask}");
        let saved = said(&resident.text("Dusun Krajan RT 02 RW 01, rumah cat hijau").await);
        assert!(saved.contains("alamat pengantaran"), "{saved}");

        // The operator hands it to the courier, who gets the address and contact.
        let handed = said(&operator.text("antar KLP-0001 pak budi").await);
        assert!(handed.contains("Budi"), "{handed}");
        assert_eq!(state_of(&app, "KLP-0001").await, "diantar");
        let task = kurir.outbound().await;
        let task_text = said(&task);
        assert!(task_text.contains("Dusun Krajan"), "{task_text}");
        assert!(task_text.contains("+6281230000101"), "{task_text}");
        assert_eq!(ids(&task), vec!["ofc:terkirim:KLP-0001"]);
        assert!(said(&resident.outbound().await).contains("sedang diantar oleh Budi"));
        assert!(said(&kurir.text("kiriman").await).contains("KLP-0001"));

        // Handed over with a photo as proof; the resident confirms and rates.
        let done = said(&kurir.send(image_with_caption("media-bukti-antar", "terkirim KLP-0001")).await);
        assert!(done.contains("foto bukti"), "{done}");
        let ask = resident.outbound().await;
        assert_eq!(ids(&ask), vec!["rcv:ya:KLP-0001", "rcv:belum:KLP-0001"]);
        let thanks = resident.tap("rcv:ya:KLP-0001", "Sudah diterima").await;
        assert_eq!(state_of(&app, "KLP-0001").await, "selesai");
        assert_eq!(ids(&thanks).len(), 5, "rating 1-5");
        assert!(said(&resident.send(crate::conversation::list_msg("rate:5:KLP-0001", "Sangat puas")).await).contains("5/5"));
        assert!(said(&resident.text("cepat sekali, terima kasih pak").await).contains("sudah kami catat"));
        assert_eq!(
            app.store.rating_of("kaliploso", "KLP-0001").await.unwrap(),
            (Some(5), Some("cepat sekali, terima kasih pak".to_string()))
        );

        // Who did what, when: the whole trail.
        let trail: Vec<(String, String)> = app
            .store
            .trail_of("kaliploso", "KLP-0001")
            .await
            .unwrap()
            .into_iter()
            .map(|(_, to, actor, _)| (to, actor))
            .collect();
        let expected: Vec<(String, String)> = [
            ("diajukan", "resident"),
            ("diperiksa", "officer"),
            ("perlu_dokumen", "officer"),
            ("diperiksa", "resident"),
            ("diproses", "officer"),
            ("menunggu_ttd", "officer"),
            ("siap_antar", "officer"),
            ("diantar", "officer"),
            ("diterima", "resident"),
            ("selesai", "resident"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(trail, expected);
        let reasons = app.store.trail_of("kaliploso", "KLP-0001").await.unwrap();
        assert_eq!(reasons[2].3.as_deref(), Some("foto KTP belum jelas, mohon foto ulang"));
        let audit: Vec<String> = app
            .store
            .audit_of("kaliploso", "KLP-0001")
            .await
            .unwrap()
            .into_iter()
            .map(|(_, action)| action)
            .collect();
        for action in ["ambil", "lihat", "pilih_antar", "terkirim", "nilai"] {
            assert!(audit.contains(&action.to_string()), "{action} missing from {audit:?}");
        }
        assert_eq!(
            app.store.deliveries_of("kaliploso", "KLP-0001").await.unwrap(),
            vec![("antar".to_string(), Some("Budi".to_string()), true, true, Some("diterima".to_string()))]
        );
    }

    async fn a_rejection_tells_the_resident_why_and_closes_the_request(app) {
        staff(&app).await;
        let resident = Resident::new(&app, "6281230000102");
        let operator = Resident::new(&app, OPERATOR);
        submit_kehilangan(&resident).await;
        let answer = said(&operator.text("Tolak KLP-0001 alasan: NIK tidak terdaftar di Desa Kaliploso").await);
        assert!(answer.contains("ditolak"), "{answer}");
        assert_eq!(state_of(&app, "KLP-0001").await, "ditolak");
        let told = said(&resident.outbound().await);
        assert!(told.contains("NIK tidak terdaftar di Desa Kaliploso"), "{told}");
        // A closed request cannot move again, and the officer is told why.
        let refused = said(&operator.text("proses KLP-0001").await);
        assert!(refused.contains("tidak bisa diubah"), "{refused}");
        // A reason is required.
        let submit_again = Resident::new(&app, "6281230000103");
        submit_kehilangan(&submit_again).await;
        let missing = said(&operator.text("tolak KLP-0002").await);
        assert!(missing.contains("alasan"), "{missing}");
        assert_eq!(state_of(&app, "KLP-0002").await, "diajukan");
    }

    async fn a_complaint_reaches_kades_and_sekdes_who_answer_and_close_it(app) {
        staff(&app).await;
        let resident = Resident::new(&app, "6281230000104");
        let operator = Resident::new(&app, OPERATOR);
        let kades = Resident::new(&app, KADES);
        let sekdes = Resident::new(&app, SEKDES);
        let filed = said(&resident.text("saya mau komplain pelayanan kantor desa lambat sekali kemarin").await);
        assert!(filed.contains("ADU-KLP-0001"), "{filed}");
        for leader in [&kades, &sekdes] {
            let got = said(&leader.outbound().await);
            assert!(got.contains("Aduan baru ADU-KLP-0001"), "{got}");
            assert!(got.contains("lambat sekali"), "{got}");
        }
        assert!(operator.outbound().await.is_empty(), "operators do not get complaints");
        // Operators may not handle complaints.
        assert!(said(&operator.text("aduan").await).contains("hanya untuk Kades dan Sekdes"));
        // The Sekdes answers; the resident's reply comes back to the Sekdes, not the bot.
        assert!(said(&sekdes.text("aduan").await).contains("ADU-KLP-0001"));
        sekdes.text("balas ADU-KLP-0001 Mohon maaf Bapak, petugas kami sudah kami tegur.").await;
        let answer = said(&resident.outbound().await);
        assert!(answer.contains("petugas kami sudah kami tegur"), "{answer}");
        assert!(answer.contains("Sekretaris Desa"), "{answer}");
        let quiet = resident.text("baik bu, terima kasih").await;
        assert!(quiet.is_empty(), "the bot stays quiet during a relay: {quiet:?}");
        assert!(said(&sekdes.outbound().await).contains("baik bu, terima kasih"));
        let closed = said(&sekdes.text("tutup ADU-KLP-0001 petugas sudah ditegur").await);
        assert!(closed.contains("ditutup"), "{closed}");
        let told = said(&resident.outbound().await);
        assert!(told.contains("sudah ditangani dan ditutup"), "{told}");
        let complaints = app.store.complaints_of("kaliploso").await.unwrap();
        assert_eq!(complaints.len(), 1);
        // After the close the bot answers the resident again.
        assert!(!resident.text("halo").await.is_empty());
    }

    async fn residents_cannot_use_officer_commands(app) {
        staff(&app).await;
        let resident = Resident::new(&app, "6281230000105");
        let other = Resident::new(&app, "6281230000106");
        submit_kehilangan(&resident).await;
        for command in ["ambil KLP-0001", "tolak KLP-0001 alasan iseng", "antrian", "ofc:ambil"] {
            other.text(command).await;
        }
        other.tap("ofc:ambil:KLP-0001", "Ambil").await;
        assert_eq!(state_of(&app, "KLP-0001").await, "diajukan");
        let said_to_other = said(&other.outbound().await);
        assert!(!said_to_other.contains("Anda pegang"), "{said_to_other}");
        assert!(!said_to_other.contains("Antrian"), "{said_to_other}");
        // A resident cannot confirm someone else's delivery or pick their delivery method.
        let refused = said(&other.tap("dlv:ambil:KLP-0001", "Ambil di kantor").await);
        assert!(refused.contains("tidak ditemukan"), "{refused}");
        let trail = app.store.trail_of("kaliploso", "KLP-0001").await.unwrap();
        assert_eq!(trail.len(), 1);
    }

    async fn an_officer_of_another_village_cannot_act_here(app) {
        staff(&app).await;
        app.store
            .add_officer("sukamaju", "Operator Sukamaju", "6281300000009", &["operator"])
            .await
            .unwrap();
        let resident = Resident::new(&app, "6281230000107");
        submit_kehilangan(&resident).await;
        // From their own village's number: Kaliploso's ticket does not exist there.
        let foreign = Resident::of(&app, SUKAMAJU_NUMBER, "sukamaju", "6281300000009");
        let answer = said(&foreign.text("ambil KLP-0001").await);
        assert!(answer.contains("tidak ditemukan"), "{answer}");
        // Writing to Kaliploso's number they are just a resident.
        let as_resident = Resident::new(&app, "6281300000009");
        let reply = said(&as_resident.text("ambil KLP-0001").await);
        assert!(!reply.contains("Anda pegang"), "{reply}");
        assert_eq!(state_of(&app, "KLP-0001").await, "diajukan");
    }

    async fn an_officer_relays_a_question_and_the_answer_returns_to_them(app) {
        staff(&app).await;
        let mock = GraphMock::start().await;
        let worker = crate::outbox::worker(&app.store, &mock, crate::outbox::settings());
        let resident = Resident::new(&app, "6281230000108");
        let operator = Resident::new(&app, OPERATOR);
        submit_kehilangan(&resident).await;
        operator.text("ambil KLP-0001").await;
        let sent = said(&operator.text("balas KLP-0001 Dompetnya hilang di pasar mana, Pak?").await);
        assert!(sent.contains("Terkirim"), "{sent}");
        let question = said(&resident.outbound().await);
        assert!(question.contains("Petugas desa (Sari)"), "{question}");
        assert!(question.contains("hilang di pasar mana"), "{question}");
        // The resident's answer goes to the operator; the bot says nothing.
        let quiet = resident.text("pasar Cluring, dekat parkiran").await;
        assert!(quiet.is_empty(), "{quiet:?}");
        // Everything goes out through the Graph API mock; the forwarded answer gets its wamid.
        while worker.run_once().await.unwrap() > 0 {}
        let posts: Vec<Value> = mock
            .requests()
            .iter()
            .filter(|r| r.is_message_post())
            .map(|r| r.json())
            // Read receipts are a different request body than messages.
            .filter(|json| json.get("status").is_none())
            .collect();
        assert!(posts.len() >= 4, "{posts:?}");
        for post in &posts {
            crate::meta_schema::assert_valid_message(post);
        }
        let rows = app.store.outbound_sent_for("kaliploso", OPERATOR).await.unwrap();
        let (_, _, forwarded_wamid) = rows
            .iter()
            .rev()
            .find(|(_, body, _)| body.contains("pasar Cluring"))
            .expect("answer forwarded to the operator");
        let forwarded_wamid = forwarded_wamid.clone().expect("sent through the mock");
        // A quote-reply to the forwarded message goes back to the resident.
        operator.send(quote("Baik, terima kasih Pak. Surat segera kami proses.", &forwarded_wamid)).await;
        assert!(said(&resident.outbound().await).contains("Surat segera kami proses"));
        // Ending the relay hands the resident back to the bot.
        assert!(said(&operator.text("selesai balas").await).contains("diakhiri"));
        let back = said(&resident.text("cek KLP-0001").await);
        assert!(back.contains("KLP-0001"), "{back}");
        assert!(back.contains("Sedang diperiksa"), "{back}");
    }

    async fn collection_at_the_office_and_a_delivery_not_received(app) {
        staff(&app).await;
        let a = Resident::new(&app, "6281230000109");
        let b = Resident::new(&app, "6281230000110");
        let operator = Resident::new(&app, OPERATOR);
        let kades = Resident::new(&app, KADES);
        let sekdes = Resident::new(&app, SEKDES);
        let kurir = Resident::new(&app, KURIR);
        for (r, ticket) in [(&a, "KLP-0001"), (&b, "KLP-0002")] {
            submit_kehilangan(r).await;
            operator.text(&format!("ambil {ticket}")).await;
            operator.text(&format!("proses {ticket}")).await;
            operator.text(&format!("siap {ticket}")).await;
            kades.text(&format!("setuju {ticket}")).await;
            assert_eq!(state_of(&app, ticket).await, "siap_antar");
        }
        // A collects at the office: no courier can be sent, the officer records the pick-up.
        assert!(said(&a.tap("dlv:ambil:KLP-0001", "Ambil di kantor").await).contains("kantor desa"));
        assert!(said(&operator.outbound().await).contains("memilih mengambil sendiri"));
        assert!(said(&operator.text("antar KLP-0001 Budi").await).contains("diambil KLP-0001"));
        assert!(said(&operator.text("sudah diambil KLP-0001").await).contains("ditutup"));
        assert_eq!(state_of(&app, "KLP-0001").await, "selesai");
        assert_eq!(ids(&a.outbound().await).len(), 5, "rating asked");
        assert_eq!(
            app.store.deliveries_of("kaliploso", "KLP-0001").await.unwrap(),
            vec![("ambil".to_string(), None, true, false, Some("diterima".to_string()))]
        );
        // B's letter is delivered, but B says it has not arrived: the Sekdes is alerted.
        operator.text("antar KLP-0002 budi").await;
        kurir.text("terkirim KLP-0002").await;
        let sorry = said(&b.tap("rcv:belum:KLP-0002", "Belum").await);
        assert!(sorry.contains("Mohon maaf"), "{sorry}");
        assert_eq!(state_of(&app, "KLP-0002").await, "diantar");
        let alert = said(&sekdes.outbound().await);
        assert!(alert.contains("BELUM diterima"), "{alert}");
        assert!(said(&kurir.outbound().await).contains("BELUM diterima"));
    }

    async fn an_officer_asks_for_a_letter_for_themselves(app) {
        staff(&app).await;
        let operator = Resident::new(&app, OPERATOR);
        // Unknown words get the help.
        let help = said(&operator.text("mau buat surat kehilangan").await);
        assert!(help.contains("Perintah tidak dikenal"), "{help}");
        assert!(said(&operator.text("pribadi").await).contains("Mode warga"));
        let confirmation = submit_kehilangan(&operator).await;
        assert!(confirmation.contains("KLP-0001"), "{confirmation}");
        assert!(said(&operator.text("petugas").await).contains("mode petugas"));
        assert!(said(&operator.text("antrian").await).contains("KLP-0001"));
    }

    async fn the_queue_lists_open_requests_oldest_first_and_help_answers_unknown_words(app) {
        staff(&app).await;
        let operator = Resident::new(&app, OPERATOR);
        assert!(said(&operator.text("antrian").await).contains("kosong"));
        let a = Resident::new(&app, "6281230000111");
        let b = Resident::new(&app, "6281230000112");
        submit_kehilangan(&a).await;
        submit_kehilangan(&b).await;
        let queue = said(&operator.text("ANTRAIN").await);
        let first = queue.find("KLP-0001").expect("first listed");
        let second = queue.find("KLP-0002").expect("second listed");
        assert!(first < second, "{queue}");
        let help = said(&operator.text("blablabla").await);
        assert!(help.contains("Perintah petugas"), "{help}");
        let wrong = said(&operator.text("ambil").await);
        assert!(wrong.contains("ambil KLP-"), "{wrong}");
        // A deactivated officer is a resident again, at once.
        let mut tx = app.store.begin().await.unwrap();
        let officers = tx.village_officers("kaliploso").await.unwrap();
        tx.commit().await.unwrap();
        let id = officers.iter().find(|o| o.name == "Sari").unwrap().id;
        app.store.set_officer_active(id, false).await.unwrap();
        let as_resident = said(&operator.text("antrian").await);
        assert!(!as_resident.contains("KLP-0001"), "{as_resident}");
    }
}

both_backends! {
    async fn quoting_a_notice_with_a_bare_command_acts_on_that_request(app) {
        staff(&app).await;
        let mock = GraphMock::start().await;
        let worker = crate::outbox::worker(&app.store, &mock, crate::outbox::settings());
        let resident = Resident::new(&app, "6281230000120");
        let operator = Resident::new(&app, OPERATOR);
        submit_kehilangan(&resident).await;
        while worker.run_once().await.unwrap() > 0 {}
        let rows = app.store.outbound_sent_for("kaliploso", OPERATOR).await.unwrap();
        let notice = rows
            .iter()
            .find(|(_, body, _)| body.contains("Permohonan baru KLP-0001"))
            .and_then(|(_, _, wamid)| wamid.clone())
            .expect("notice sent");
        let before = resident.outbound().await.len();
        let answer = said(&operator.send(quote("ambil", &notice)).await);
        assert!(answer.contains("Anda pegang"), "{answer}");
        assert_eq!(state_of(&app, "KLP-0001").await, "diperiksa");
        let told = resident.outbound().await;
        assert!(!said(&told[before..]).contains("ambil"), "the command is not relayed: {told:?}");
    }

    async fn a_document_request_does_not_swallow_complaints_status_checks_or_small_talk_as_address(app) {
        staff(&app).await;
        let resident = Resident::new(&app, "6281230000121");
        let operator = Resident::new(&app, OPERATOR);
        let kades = Resident::new(&app, KADES);
        let kurir = Resident::new(&app, KURIR);
        submit_kehilangan(&resident).await;
        operator.text("kurang KLP-0001 foto KTP belum jelas").await;
        // A status check and a complaint go to the bot, not to the operator.
        let status = said(&resident.text("cek KLP-0001").await);
        assert!(status.contains("Perlu kelengkapan dokumen"), "{status}");
        let filed = said(&resident.text("saya mau komplain petugas desa tidak sopan").await);
        assert!(filed.contains("ADU-KLP-0001"), "{filed}");
        assert!(!said(&operator.outbound().await).contains("tidak sopan"));
        // The photo that was asked for ends the relay: the bot answers the resident again.
        resident.photo("media-ktp-baru").await;
        assert_eq!(state_of(&app, "KLP-0001").await, "diperiksa");
        assert!(!resident.text("halo").await.is_empty());
        // Through to delivery; "oke" after choosing home delivery is not an address.
        operator.text("proses KLP-0001").await;
        operator.text("siap KLP-0001").await;
        kades.text("setuju KLP-0001").await;
        resident.tap("dlv:antar:KLP-0001", "Antar ke rumah").await;
        let ok = said(&resident.text("oke siap, makasih pak").await);
        assert!(!ok.contains("alamat pengantaran"), "{ok}");
        let saved = said(&resident.text("Dusun Krajan RT 02 RW 01").await);
        assert!(saved.contains("alamat pengantaran"), "{saved}");
        // A courier cannot see another letter's attachments; delivering twice asks once.
        assert!(said(&kurir.text("lampiran KLP-0001").await).contains("hanya untuk"));
        operator.text("antar KLP-0001 Budi").await;
        kurir.text("terkirim KLP-0001").await;
        let again = said(&kurir.text("terkirim KLP-0001").await);
        assert!(again.contains("sudah tercatat terkirim"), "{again}");
        let asks = resident
            .outbound()
            .await
            .iter()
            .filter(|(_, b)| b["body"].as_str().unwrap_or("").contains("Apakah sudah Bapak/Ibu terima"))
            .count();
        assert_eq!(asks, 1);
        // Typed answers work like the buttons (outside the 24-hour window only text arrives).
        resident.text("sudah").await;
        assert_eq!(state_of(&app, "KLP-0001").await, "selesai");
        let thanks = said(&resident.text("5").await);
        assert!(thanks.contains("5/5"), "{thanks}");
        assert_eq!(app.store.rating_of("kaliploso", "KLP-0001").await.unwrap().0, Some(5));
    }
}
