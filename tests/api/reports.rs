//! The monthly report (page and CSV), the settings page and its health panel over real HTTP,
//! on both databases. Requests are set up directly in the database with known timestamps, so
//! every figure is asserted exactly.

use chrono::{DateTime, Duration, Utc};
use kentongan::store::{NewRequest, ResidentUpsert, SenderKey, Store, Timestamp};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::StatusCode;

use crate::dashboard::{client, Dash};
use crate::helpers::*;

/// A resident-supplied-looking service code no catalogue knows: shown as its own title, with a
/// formula, quotes, a comma and markup in it.
const HOSTILE: &str = "=HYPERLINK(\"http://jahat.example\",\"<b>klik</b>\"), tolong";

fn at(text: &str) -> Timestamp {
    Timestamp::from(
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc),
    )
}

fn plus_hours(t: Timestamp, hours: i64) -> Timestamp {
    Timestamp::from(t.as_datetime() + Duration::hours(hours))
}

/// File a request of `service` submitted at `submitted`, due `due_hours` later; when
/// `received_after` is given, walk it to `diterima` that many hours after submission (the
/// steps before it an hour after submission) and close it, with `rating`.
#[allow(clippy::too_many_arguments)]
async fn request(
    store: &Store,
    village_id: &str,
    seq: i64,
    service: &str,
    submitted: Timestamp,
    due_hours: i64,
    received_after: Option<i64>,
    rating: Option<i64>,
) -> i64 {
    let prefix = if village_id == "kaliploso" {
        "KLP"
    } else {
        "SKM"
    };
    let ticket = format!("{prefix}-{seq:04}");
    let sender = SenderKey {
        wa_id: Some(format!("62857100{seq:05}")),
        user_id: None,
    };
    let mut tx = store.begin().await.unwrap();
    let resident = tx
        .upsert_resident(&ResidentUpsert {
            village_id,
            sender: &sender,
            profile_name: Some("Warga"),
            username: None,
            seen_at: submitted,
        })
        .await
        .unwrap();
    let id = tx
        .insert_request(&NewRequest {
            village_id,
            ticket_seq: seq,
            ticket_code: &ticket,
            resident_id: resident,
            service_code: service,
            subject_name: Some("Sri Wahyuni"),
            relation: None,
            data_json: "{}",
            latitude: None,
            longitude: None,
            due_at: plus_hours(submitted, due_hours),
            now: submitted,
        })
        .await
        .unwrap();
    if let Some(hours) = received_after {
        let steps = [
            ("diajukan", "diperiksa"),
            ("diperiksa", "diproses"),
            ("diproses", "menunggu_ttd"),
            ("menunggu_ttd", "siap_antar"),
            ("siap_antar", "diantar"),
        ];
        for (from, to) in steps {
            let left = tx
                .transition_request(
                    village_id,
                    id,
                    &[from],
                    to,
                    "officer",
                    None,
                    None,
                    plus_hours(submitted, 1),
                )
                .await
                .unwrap();
            assert_eq!(left.as_deref(), Some(from));
        }
        let received = plus_hours(submitted, hours);
        for (from, to) in [("diantar", "diterima"), ("diterima", "selesai")] {
            let left = tx
                .transition_request(
                    village_id,
                    id,
                    &[from],
                    to,
                    "resident",
                    None,
                    None,
                    received,
                )
                .await
                .unwrap();
            assert_eq!(left.as_deref(), Some(from));
        }
        tx.set_rating(village_id, id, rating, None).await.unwrap();
    }
    tx.commit().await.unwrap();
    id
}

async fn complaint(
    store: &Store,
    village_id: &str,
    seq: i64,
    created: &str,
    closed: Option<(&str, i64)>,
) {
    let sender = SenderKey {
        wa_id: Some(format!("62857200{seq:05}")),
        user_id: None,
    };
    let mut tx = store.begin().await.unwrap();
    let resident = tx
        .upsert_resident(&ResidentUpsert {
            village_id,
            sender: &sender,
            profile_name: Some("Warga"),
            username: None,
            seen_at: at(created),
        })
        .await
        .unwrap();
    let id = tx
        .insert_complaint(
            village_id,
            seq,
            &format!("ADU-{seq:04}"),
            resident,
            "Jalan rusak",
            at(created),
        )
        .await
        .unwrap();
    if let Some((when, officer)) = closed {
        tx.update_complaint(village_id, id, "selesai", officer, Some("Sudah"), at(when))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// November 2026 in Kaliploso (WIB), plus data that must not count: October's, December's
/// (by local time) and Sukamaju's.
async fn november(store: &Store, officer: i64, skm_officer: i64) {
    let k = "kaliploso";
    // Pengantar SKCK: 10 h (on time), 30 h (late), 20 h (on time); ratings 5, 4, 2.
    request(
        store,
        k,
        1,
        "skck",
        at("2026-11-02T01:00:00Z"),
        24,
        Some(10),
        Some(5),
    )
    .await;
    request(
        store,
        k,
        2,
        "skck",
        at("2026-11-03T01:00:00Z"),
        24,
        Some(30),
        Some(4),
    )
    .await;
    request(
        store,
        k,
        3,
        "skck",
        at("2026-11-04T01:00:00Z"),
        24,
        Some(20),
        Some(2),
    )
    .await;
    // SKTM: one received after 6 h (on time, not rated), one still being processed, and one
    // sent at 03:00 WIB on 1 November (20:00 UTC on 31 October) received at 05:00 WIB on
    // 1 December: a November request, a December delivery.
    request(
        store,
        k,
        4,
        "sktm",
        at("2026-11-05T01:00:00Z"),
        48,
        Some(6),
        None,
    )
    .await;
    request(
        store,
        k,
        5,
        "sktm",
        at("2026-11-10T01:00:00Z"),
        48,
        None,
        None,
    )
    .await;
    request(
        store,
        k,
        6,
        "sktm",
        at("2026-10-31T20:00:00Z"),
        24,
        Some(722),
        Some(1),
    )
    .await;
    // A service code nobody configured, full of things a spreadsheet or browser would run.
    request(
        store,
        k,
        7,
        HOSTILE,
        at("2026-11-12T01:00:00Z"),
        24,
        None,
        None,
    )
    .await;
    // October: submitted and received in October.
    request(
        store,
        k,
        8,
        "skck",
        at("2026-10-20T01:00:00Z"),
        24,
        Some(12),
        Some(1),
    )
    .await;
    // Sukamaju: never in Kaliploso's figures.
    request(
        store,
        "sukamaju",
        1,
        "skck",
        at("2026-11-02T01:00:00Z"),
        24,
        Some(2),
        Some(1),
    )
    .await;
    request(
        store,
        "sukamaju",
        2,
        "sktm",
        at("2026-11-02T02:00:00Z"),
        24,
        None,
        None,
    )
    .await;
    // Complaints: closed in November (from October), open, opened and closed in November,
    // open since October; Sukamaju's one does not count.
    complaint(
        store,
        k,
        1,
        "2026-10-25T01:00:00Z",
        Some(("2026-11-03T01:00:00Z", officer)),
    )
    .await;
    complaint(store, k, 2, "2026-11-05T01:00:00Z", None).await;
    complaint(
        store,
        k,
        3,
        "2026-11-06T01:00:00Z",
        Some(("2026-11-07T01:00:00Z", officer)),
    )
    .await;
    complaint(store, k, 4, "2026-10-01T01:00:00Z", None).await;
    complaint(
        store,
        "sukamaju",
        1,
        "2026-11-05T01:00:00Z",
        Some(("2026-11-06T01:00:00Z", skm_officer)),
    )
    .await;
}

both_backends! {
    async fn the_monthly_report_counts_exactly_and_only_the_village(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["kurir"]).await;
        let skm = Dash::login_new(&app, "sukamaju", "Dewi", "6281300000009", &["operator"]).await;
        november(&app.store, dash.officer_id, skm.officer_id).await;

        let (status, page) = dash.get("/dasbor/laporan?bulan=2026-11").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("November 2026"), "{page}");
        assert!(page.contains(
            "<tr><th scope=\"row\">Pengantar SKCK</th><td>3</td><td>3</td><td>20,0</td><td>30,0</td><td>66,7%</td><td>3,7</td></tr>"
        ), "{page}");
        assert!(page.contains(
            "<tr><th scope=\"row\">SKTM</th><td>3</td><td>1</td><td>6,0</td><td>6,0</td><td>100,0%</td><td>—</td></tr>"
        ), "{page}");
        assert!(page.contains(
            "<tr><th scope=\"row\">Keterangan Domisili</th><td>0</td><td>0</td><td>—</td><td>—</td><td>—</td><td>—</td></tr>"
        ), "{page}");
        assert!(page.contains(
            "<tr><th scope=\"row\">Jumlah</th><td>7</td><td>4</td><td>16,5</td><td>30,0</td><td>75,0%</td><td>3,7</td></tr>"
        ), "{page}");
        // Ratings 2, 4 and 5 (the 1 of 1 December and October's 1 are other months).
        assert!(page.contains("3 penilaian, rata-rata 3,7 dari 5."), "{page}");
        for (rating, count) in [(1, 0), (2, 1), (3, 0), (4, 1), (5, 1)] {
            assert!(
                page.contains(&format!("<tr><th scope=\"row\">{rating}</th><td>{count}</td></tr>")),
                "rating {rating}: {page}"
            );
        }
        assert!(page.contains("<dd id=\"aduan-masuk\">2</dd>"), "{page}");
        assert!(page.contains("<dd id=\"aduan-ditutup\">2</dd>"), "{page}");
        assert!(page.contains("<dd id=\"aduan-terbuka\">2</dd>"), "{page}");
        // The charts: inline, accessible, the six months with October's two requests.
        assert!(page.contains("<svg "), "{page}");
        assert!(page.contains(
            "aria-label=\"Permohonan per bulan, Juni 2026 sampai November 2026\""
        ), "{page}");
        assert!(page.contains(
            "Jun 2026: 0 permohonan; Jul 2026: 0 permohonan; Agu 2026: 0 permohonan; Sep 2026: 0 permohonan; Okt 2026: 1 permohonan; Nov 2026: 7 permohonan"
        ), "{page}");
        // What residents could have typed is escaped everywhere on the page.
        assert!(!page.contains("<b>klik</b>"), "{page}");
        assert!(page.contains("&lt;b&gt;klik&lt;/b&gt;"), "{page}");

        // Sukamaju's officer sees only Sukamaju.
        let (_, skm_page) = skm.get("/dasbor/laporan?bulan=2026-11").await;
        assert!(skm_page.contains(
            "<tr><th scope=\"row\">Jumlah</th><td>2</td><td>1</td><td>2,0</td><td>2,0</td><td>100,0%</td><td>1,0</td></tr>"
        ), "{skm_page}");
        assert!(skm_page.contains("<dd id=\"aduan-masuk\">1</dd>"), "{skm_page}");

        // December: the request received at 01:00 WIB on 1 December, nothing else.
        let (_, december) = dash.get("/dasbor/laporan?bulan=2026-12").await;
        assert!(december.contains(
            "<tr><th scope=\"row\">Jumlah</th><td>0</td><td>1</td><td>722,0</td><td>722,0</td><td>0,0%</td><td>1,0</td></tr>"
        ), "{december}");
    }

    async fn the_csv_for_the_kecamatan_is_exact_and_safe(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
        let skm = Dash::login_new(&app, "sukamaju", "Dewi", "6281300000009", &["operator"]).await;
        november(&app.store, dash.officer_id, skm.officer_id).await;
        let r = dash
            .client
            .get(app.url("/dasbor/laporan.csv?bulan=2026-11"))
            .header(COOKIE, format!("kentongan_sesi={}", dash.cookie))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()[CONTENT_DISPOSITION],
            "attachment; filename=\"laporan-kaliploso-2026-11.csv\""
        );
        let csv = r.text().await.unwrap();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "layanan,jumlah permohonan,selesai diantar,rata-rata jam,p90 jam,tepat waktu %,rata-rata nilai"
        );
        assert_eq!(lines[1], "Pengantar SKCK,3,3,20.0,30.0,66.7,3.7");
        assert_eq!(lines[2], "SKTM,3,1,6.0,6.0,100.0,");
        assert!(lines.contains(&"Keterangan Domisili,0,0,,,,"), "{csv}");
        // The hostile code survives whole as one field, defused: quoted, quotes doubled, and a
        // leading ' so that no spreadsheet runs it.
        let hostile =
            "\"'=HYPERLINK(\"\"http://jahat.example\"\",\"\"<b>klik</b>\"\"), tolong\",1,0,,,,";
        assert!(lines.contains(&hostile), "{csv}");
        assert_eq!(lines[lines.len() - 2], "Jumlah,7,4,16.5,30.0,75.0,3.7");
        assert_eq!(lines[lines.len() - 1], "", "ends with a line break");
        // No line starts with a formula character.
        assert!(
            lines.iter().all(|l| !l.starts_with(['=', '+', '-', '@'])),
            "{csv}"
        );
        // Sukamaju's download is Sukamaju's.
        let r = skm
            .client
            .get(app.url("/dasbor/laporan.csv?bulan=2026-11"))
            .header(COOKIE, format!("kentongan_sesi={}", skm.cookie))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()[CONTENT_DISPOSITION],
            "attachment; filename=\"laporan-sukamaju-2026-11.csv\""
        );
        let csv = r.text().await.unwrap();
        assert!(csv.ends_with("\r\nJumlah,2,1,2.0,2.0,100.0,1.0\r\n"), "{csv}");
        assert!(!csv.contains("HYPERLINK"), "{csv}");
    }

    async fn reports_refuse_bad_months_and_strangers(app) {
        for path in ["/dasbor/laporan", "/dasbor/laporan.csv?bulan=2026-11", "/dasbor/pengaturan"] {
            let r = client().get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(r.headers()[LOCATION], "/dasbor/masuk", "{path}");
        }
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["kades"]).await;
        for bad in ["2026-13", "2026-1", "november", "2026-11%3Cscript%3E"] {
            let (status, page) = dash.get(&format!("/dasbor/laporan?bulan={bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(page.contains("tidak dikenal"), "{page}");
            assert!(!page.contains("<script>"), "{page}");
            let (status, _) = dash.get(&format!("/dasbor/laporan.csv?bulan={bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        }
        // Without a month: the current one, empty, with the selector of twelve months.
        let (status, page) = dash.get("/dasbor/laporan").await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page.matches("<option value=\"").count(), 12, "{page}");
        assert!(page.contains("Belum ada data"), "{page}");
        assert!(page.contains("<dd id=\"jumlah-permohonan\">0</dd>"), "{page}");
    }

    async fn the_health_panel_shows_the_backlog_and_the_last_webhook(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
        let (status, page) = dash.get("/dasbor/pengaturan").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("<strong>SANDBOX</strong>"), "{page}");
        let backend = if app.database_url().starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
        assert!(page.contains(&format!("<dd id=\"basis-data\">{backend}")), "{page}");
        assert!(page.contains("<dd id=\"antrean\">0 menunggu, 0 sedang dikirim</dd>"), "{page}");
        // Nothing ever arrived: the office is told to look.
        assert!(page.contains("id=\"peringatan-webhook\""), "{page}");
        assert!(page.contains("belum pernah"), "{page}");

        // A resident writes; the bot's answers wait in the outbox (no worker in tests).
        let body = text_payload(KALIPLOSO_NUMBER, "wamid.LAPORAN1", "6281234567890", "Budi", "halo");
        assert_eq!(app.post_webhook(body).await.status(), 200);
        let queued = app.store.outbox_counts().await.unwrap().queued;
        assert!(queued > 0);
        let (_, page) = dash.get("/dasbor/pengaturan").await;
        assert!(
            page.contains(&format!("<dd id=\"antrean\">{queued} menunggu, 0 sedang dikirim</dd>")),
            "{page}"
        );
        assert!(!page.contains("id=\"peringatan-webhook\""), "{page}");
        assert!(page.contains("(baru saja)"), "{page}");
        assert!(page.contains("<dd id=\"gagal\">0</dd>"), "{page}");

        // Sukamaju's panel knows nothing of Kaliploso's traffic.
        let skm = Dash::login_new(&app, "sukamaju", "Dewi", "6281300000009", &["operator"]).await;
        let (_, page) = skm.get("/dasbor/pengaturan").await;
        assert!(page.contains("<dd id=\"antrean\">0 menunggu, 0 sedang dikirim</dd>"), "{page}");
        assert!(page.contains("id=\"peringatan-webhook\""), "{page}");
    }
}

const ACCESS_TOKEN: &str = "EAAG-rahasia-akses-uji-123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_page_never_shows_secrets() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app_with(
            backend,
            &[
                ("WHATSAPP_ACCESS_TOKEN", ACCESS_TOKEN),
                ("WHATSAPP_GRAPH_URL", "http://127.0.0.1:9/v24.0"),
            ],
        )
        .await
        else {
            continue;
        };
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["kurir"]).await;
        app.store
            .add_officer(
                "kaliploso",
                "Bu Sekdes",
                "6281300000002",
                &["sekdes", "operator"],
            )
            .await
            .unwrap();
        app.store
            .add_officer(
                "sukamaju",
                "Pak Lurah Tetangga",
                "6281300000003",
                &["kades"],
            )
            .await
            .unwrap();
        let (status, page) = dash.get("/dasbor/pengaturan").await;
        assert_eq!(status, 200, "{page}");
        for secret in [APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN] {
            assert!(!page.contains(secret), "{secret} leaked on {backend:?}");
        }
        assert!(page.contains("<strong>LIVE</strong>"), "{page}");
        assert!(
            page.contains("<dt><code>WHATSAPP_ACCESS_TOKEN</code></dt><dd>diatur</dd>"),
            "{page}"
        );
        assert!(
            page.contains("<dt><code>WHATSAPP_APP_SECRET</code></dt><dd>diatur</dd>"),
            "{page}"
        );
        // Villages and services from the configuration.
        assert!(page.contains("1122334455667"), "{page}");
        assert!(page.contains("Pengantar ke Polsek Cluring"), "{page}");
        // Only the village's own officers, numbers masked.
        assert!(page.contains("Bu Sekdes"), "{page}");
        assert!(page.contains("sekdes, operator"), "{page}");
        assert!(!page.contains("Pak Lurah Tetangga"), "{page}");
        for number in ["6281300000001", "6281300000002", "6281300000003"] {
            assert!(!page.contains(number), "{number} shown unmasked");
        }
        assert!(page.contains("62*********01"), "{page}");
        // Never cached.
        let r = dash
            .client
            .get(app.url("/dasbor/pengaturan"))
            .header(COOKIE, format!("kentongan_sesi={}", dash.cookie))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
}
