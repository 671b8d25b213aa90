//! Deadlines, escalation, unconfirmed deliveries and the morning summary, driven with a
//! controlled clock (`Deadlines::run_once(now)`) on both databases.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use kentongan::catalogue::Catalogue;
use kentongan::config::{OfficerSettings, Settings, VillageConfig};
use kentongan::officers::deadlines::{summary_text, Deadlines, TickReport, SUMMARY_JOB};
use kentongan::store::{NewRequest, ResidentUpsert, SenderKey, Store, Timestamp};

use crate::helpers::*;

const BUDI: &str = "6281100000001"; // operator, kaliploso
const ANI: &str = "6281100000002"; // operator, kaliploso
const SARI: &str = "6281100000003"; // sekdes, kaliploso
const KADES: &str = "6281100000004"; // kades, kaliploso
const JOKO: &str = "6281100000005"; // kurir, kaliploso
const SKM_OPERATOR: &str = "6281200000001";
const SKM_SEKDES: &str = "6281200000002";
const SKM_KADES: &str = "6281200000003";

const HOUR: i64 = 3600;
/// The default escalation step (4 hours), spelled out so the tests read on their own.
const STEP: i64 = 4 * HOUR;

fn settings() -> Settings {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/test.toml");
    Settings::from_parts(&path, test_config(), |_| None).expect("test settings")
}

fn village(id: &str) -> VillageConfig {
    settings()
        .villages
        .into_iter()
        .find(|v| v.id == id)
        .expect("test village")
}

fn catalogue() -> Catalogue {
    Catalogue::load(&settings().conversation.services_file).expect("shipped catalogue")
}

/// The officers' settings of the tests: the shipped defaults, but with the summary at 23.00 so
/// that escalation tests (which run in the local daytime) see only escalations.
fn no_summary() -> OfficerSettings {
    OfficerSettings {
        summary_hour: 23,
        ..OfficerSettings::default()
    }
}

fn checker(store: &Store, officers: OfficerSettings) -> Deadlines {
    assert_eq!(OfficerSettings::default().escalation_step_secs, STEP);
    Deadlines::new(store.clone(), officers, settings().villages, catalogue())
}

/// 2026-12-01 10:00 WIB (03:00 UTC) plus `secs`.
fn at(secs: i64) -> Timestamp {
    Timestamp::from(
        Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap() + chrono::Duration::seconds(secs),
    )
}

/// A local time in the test villages (UTC+7).
fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    let tz = FixedOffset::east_opt(7 * 3600).unwrap();
    Timestamp::from(
        tz.with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc),
    )
}

struct Staff {
    budi: i64,
    ani: i64,
    joko: i64,
    rina: i64,
}

/// Kaliploso: two operators, a Sekdes, a Kades, a courier. Sukamaju: an operator, a Sekdes and a
/// Kades of its own, who must never hear about Kaliploso's work.
async fn staff(store: &Store) -> Staff {
    let budi = store
        .add_officer("kaliploso", "Budi", BUDI, &["operator"])
        .await
        .unwrap();
    let ani = store
        .add_officer("kaliploso", "Ani", ANI, &["operator"])
        .await
        .unwrap();
    store
        .add_officer("kaliploso", "Sari", SARI, &["sekdes"])
        .await
        .unwrap();
    store
        .add_officer("kaliploso", "Pak Harto", KADES, &["kades"])
        .await
        .unwrap();
    let joko = store
        .add_officer("kaliploso", "Joko", JOKO, &["kurir"])
        .await
        .unwrap();
    store
        .add_officer("sukamaju", "Dewi", SKM_OPERATOR, &["operator"])
        .await
        .unwrap();
    let rina = store
        .add_officer("sukamaju", "Rina", SKM_SEKDES, &["sekdes"])
        .await
        .unwrap();
    store
        .add_officer("sukamaju", "Pak Sukarno", SKM_KADES, &["kades"])
        .await
        .unwrap();
    Staff {
        budi,
        ani,
        joko,
        rina,
    }
}

/// File a request (`KLP-000n` / `SKM-000n`) due at `due`, from a resident of its own.
async fn file(store: &Store, village_id: &str, seq: i64, service: &str, due: Timestamp) -> i64 {
    let prefix = if village_id == "kaliploso" {
        "KLP"
    } else {
        "SKM"
    };
    let ticket = format!("{prefix}-{seq:04}");
    let submitted = Timestamp::from(due.as_datetime() - chrono::Duration::hours(24));
    let mut tx = store.begin().await.unwrap();
    let sender = SenderKey {
        wa_id: Some(format!("62857000{seq:05}")),
        user_id: None,
    };
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
            due_at: due,
            now: submitted,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Walk a request along `states` (each a move from the previous one) at `now`.
async fn walk(store: &Store, village_id: &str, id: i64, states: &[&str], now: Timestamp) {
    let mut tx = store.begin().await.unwrap();
    let mut from = tx
        .request_by_id(village_id, id)
        .await
        .unwrap()
        .unwrap()
        .state;
    for to in states {
        let left = tx
            .transition_request(village_id, id, &[&from], to, "officer", None, None, now)
            .await
            .unwrap();
        assert_eq!(left.as_deref(), Some(from.as_str()), "{from} → {to}");
        from = to.to_string();
    }
    tx.commit().await.unwrap();
}

async fn assign(store: &Store, id: i64, officer: i64) {
    let mut tx = store.begin().await.unwrap();
    tx.assign_request("kaliploso", id, officer, at(-20 * HOUR))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The texts queued to one recipient, oldest first.
async fn texts(store: &Store, village_id: &str, recipient: &str) -> Vec<String> {
    store
        .outbound_for(village_id, recipient)
        .await
        .unwrap()
        .into_iter()
        .map(|(kind, body)| {
            assert_eq!(kind, "text");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["kind"], "text");
            let text = v["body"].as_str().unwrap().to_string();
            assert!(text.chars().count() <= 4096);
            text
        })
        .collect()
}

async fn audit(store: &Store, village_id: &str, id: i64) -> Vec<(String, String)> {
    let mut tx = store.begin().await.unwrap();
    let rows = tx.request_audit(village_id, id).await.unwrap();
    tx.commit().await.unwrap();
    rows.into_iter()
        .map(|a| {
            assert_eq!(a.actor_kind, "system");
            (a.action, a.detail.unwrap_or_default())
        })
        .collect()
}

async fn level(store: &Store, village_id: &str, id: i64) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let r = tx.request_by_id(village_id, id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    r.escalation_level
}

fn escalated(n: usize) -> TickReport {
    TickReport {
        escalated: n,
        ..TickReport::default()
    }
}

both_backends! {
    async fn an_overdue_request_climbs_one_level_per_step(app) {
        let staff = staff(&app.store).await;
        let d = checker(&app.store, no_summary());
        let due = at(0);
        let id = file(&app.store, "kaliploso", 42, "skck", due).await;
        walk(&app.store, "kaliploso", id, &["diperiksa"], at(-20 * HOUR)).await;
        assign(&app.store, id, staff.budi).await;

        // Not yet due: nothing.
        assert_eq!(d.run_once(at(-1)).await.unwrap(), TickReport::default());
        assert!(texts(&app.store, "kaliploso", BUDI).await.is_empty());
        assert_eq!(level(&app.store, "kaliploso", id).await, 0);

        // At the deadline: the assigned officer only.
        assert_eq!(d.run_once(at(0)).await.unwrap(), escalated(1));
        let budi = texts(&app.store, "kaliploso", BUDI).await;
        assert_eq!(budi.len(), 1, "{budi:?}");
        assert!(budi[0].contains("KLP-0042") && budi[0].contains("Pengantar SKCK"), "{}", budi[0]);
        assert!(budi[0].contains("lewat target sejak 01/12 10.00"), "{}", budi[0]);
        assert!(budi[0].contains("Sedang diperiksa petugas"), "{}", budi[0]);
        for other in [ANI, SARI, KADES, JOKO] {
            assert!(texts(&app.store, "kaliploso", other).await.is_empty(), "{other} was told");
        }
        assert_eq!(level(&app.store, "kaliploso", id).await, 1);
        // Running again at the same time, or later within the step, sends nothing new.
        assert_eq!(d.run_once(at(0)).await.unwrap(), TickReport::default());
        assert_eq!(d.run_once(at(STEP - 1)).await.unwrap(), TickReport::default());
        assert_eq!(texts(&app.store, "kaliploso", BUDI).await.len(), 1);
        assert!(texts(&app.store, "kaliploso", SARI).await.is_empty());

        // A step later: the Sekdes.
        assert_eq!(d.run_once(at(STEP)).await.unwrap(), escalated(1));
        let sari = texts(&app.store, "kaliploso", SARI).await;
        assert_eq!(sari.len(), 1);
        assert!(sari[0].contains("KLP-0042") && sari[0].contains("Sekretaris Desa"), "{}", sari[0]);
        assert!(sari[0].contains("Dipegang: Budi"), "{}", sari[0]);
        assert!(texts(&app.store, "kaliploso", KADES).await.is_empty());
        assert_eq!(texts(&app.store, "kaliploso", BUDI).await.len(), 1);
        assert_eq!(d.run_once(at(STEP + 60)).await.unwrap(), TickReport::default());

        // Two steps later: the Kades.
        assert_eq!(d.run_once(at(2 * STEP)).await.unwrap(), escalated(1));
        let kades = texts(&app.store, "kaliploso", KADES).await;
        assert_eq!(kades.len(), 1);
        assert!(kades[0].contains("KLP-0042") && kades[0].contains("Kepala Desa"), "{}", kades[0]);
        assert_eq!(level(&app.store, "kaliploso", id).await, 3);

        // The highest level is the last: nothing more, ever.
        assert_eq!(d.run_once(at(2 * STEP)).await.unwrap(), TickReport::default());
        assert_eq!(d.run_once(at(50 * STEP)).await.unwrap(), TickReport::default());
        for (who, n) in [(BUDI, 1), (ANI, 0), (SARI, 1), (KADES, 1), (JOKO, 0)] {
            assert_eq!(texts(&app.store, "kaliploso", who).await.len(), n, "{who}");
        }
        for who in [SKM_OPERATOR, SKM_SEKDES, SKM_KADES] {
            assert!(texts(&app.store, "sukamaju", who).await.is_empty(), "{who} was told");
        }
        let actions: Vec<String> = audit(&app.store, "kaliploso", id).await.into_iter().map(|a| a.0).collect();
        assert_eq!(actions, ["eskalasi_1", "eskalasi_2", "eskalasi_3"]);
        let details = audit(&app.store, "kaliploso", id).await;
        assert!(details[0].1.contains("Budi") && details[1].1.contains("Sari") && details[2].1.contains("Pak Harto"), "{details:?}");
    }

    async fn an_unassigned_request_goes_to_the_operators_on_duty(app) {
        let staff = staff(&app.store).await;
        let mut tx = app.store.begin().await.unwrap();
        tx.set_officer_on_duty("kaliploso", staff.ani, false, at(-HOUR)).await.unwrap();
        tx.commit().await.unwrap();
        let d = checker(&app.store, no_summary());
        file(&app.store, "kaliploso", 7, "sktm", at(0)).await;

        assert_eq!(d.run_once(at(30)).await.unwrap(), escalated(1));
        let budi = texts(&app.store, "kaliploso", BUDI).await;
        assert_eq!(budi.len(), 1);
        assert!(budi[0].contains("KLP-0007") && budi[0].contains("SKTM"), "{}", budi[0]);
        // The resident's next step is named, so the operator can act from the alert.
        assert!(budi[0].contains("ambil KLP-0007"), "{}", budi[0]);
        assert!(texts(&app.store, "kaliploso", ANI).await.is_empty(), "off duty");
        assert!(texts(&app.store, "kaliploso", SARI).await.is_empty());
        assert!(texts(&app.store, "kaliploso", JOKO).await.is_empty(), "a courier is no operator");
        assert!(texts(&app.store, "sukamaju", SKM_OPERATOR).await.is_empty());

        // At the Sekdes' step the text says nobody has taken it.
        d.run_once(at(STEP)).await.unwrap();
        let sari = texts(&app.store, "kaliploso", SARI).await;
        assert_eq!(sari.len(), 1);
        assert!(sari[0].contains("Belum ada petugas"), "{}", sari[0]);
    }

    async fn waiting_and_closed_requests_are_never_escalated(app) {
        staff(&app.store).await;
        let d = checker(&app.store, no_summary());
        let waiting = file(&app.store, "kaliploso", 1, "skck", at(0)).await;
        walk(&app.store, "kaliploso", waiting, &["perlu_dokumen"], at(-HOUR)).await;
        let rejected = file(&app.store, "kaliploso", 2, "skck", at(0)).await;
        walk(&app.store, "kaliploso", rejected, &["ditolak"], at(-HOUR)).await;
        let cancelled = file(&app.store, "kaliploso", 3, "skck", at(0)).await;
        walk(&app.store, "kaliploso", cancelled, &["dibatalkan"], at(-HOUR)).await;
        let received = file(&app.store, "kaliploso", 4, "skck", at(0)).await;
        walk(
            &app.store,
            "kaliploso",
            received,
            &["diperiksa", "diproses", "menunggu_ttd", "siap_antar", "diterima"],
            at(-HOUR),
        )
        .await;

        for t in [at(0), at(STEP), at(2 * STEP), at(10 * STEP)] {
            assert_eq!(d.run_once(t).await.unwrap(), TickReport::default());
        }
        for who in [BUDI, ANI, SARI, KADES] {
            assert!(texts(&app.store, "kaliploso", who).await.is_empty(), "{who} was told");
        }
        for id in [waiting, rejected, cancelled, received] {
            assert_eq!(level(&app.store, "kaliploso", id).await, 0);
            assert!(audit(&app.store, "kaliploso", id).await.is_empty());
        }

        // The resident sends the document long after the deadline: the request is the office's
        // work again and goes straight to the highest level due, with that level's message only.
        walk(&app.store, "kaliploso", waiting, &["diperiksa"], at(10 * STEP)).await;
        assert_eq!(d.run_once(at(10 * STEP + 60)).await.unwrap(), escalated(1));
        assert_eq!(level(&app.store, "kaliploso", waiting).await, 3);
        let kades = texts(&app.store, "kaliploso", KADES).await;
        assert_eq!(kades.len(), 1);
        assert!(kades[0].contains("KLP-0001") && kades[0].contains("(40 jam)"), "{}", kades[0]);
        for who in [BUDI, ANI, SARI] {
            assert!(texts(&app.store, "kaliploso", who).await.is_empty(), "{who} was told");
        }
        let rows = audit(&app.store, "kaliploso", waiting).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, "eskalasi_3");
        assert!(rows[0].1.contains("langsung dari level 0"), "{rows:?}");
        assert_eq!(d.run_once(at(10 * STEP + 120)).await.unwrap(), TickReport::default());
    }

    async fn each_village_hears_only_of_its_own_requests(app) {
        staff(&app.store).await;
        let d = checker(&app.store, no_summary());
        let klp = file(&app.store, "kaliploso", 1, "skck", at(0)).await;
        let skm = file(&app.store, "sukamaju", 1, "skck", at(0)).await;
        assert_eq!(d.run_once(at(0)).await.unwrap(), escalated(2));
        assert_eq!(d.run_once(at(STEP)).await.unwrap(), escalated(2));
        assert_eq!(d.run_once(at(2 * STEP)).await.unwrap(), escalated(2));
        for who in [BUDI, ANI, SARI, KADES] {
            let got = texts(&app.store, "kaliploso", who).await;
            assert_eq!(got.len(), 1, "{who}: {got:?}");
            assert!(got[0].contains("KLP-0001") && !got[0].contains("SKM-"), "{who}: {}", got[0]);
        }
        for who in [SKM_OPERATOR, SKM_SEKDES, SKM_KADES] {
            let got = texts(&app.store, "sukamaju", who).await;
            assert_eq!(got.len(), 1, "{who}: {got:?}");
            assert!(got[0].contains("SKM-0001") && !got[0].contains("KLP-"), "{who}: {}", got[0]);
            // Nothing of the other village was queued under this number either.
            assert!(texts(&app.store, "kaliploso", who).await.is_empty());
        }
        assert_eq!(audit(&app.store, "kaliploso", klp).await.len(), 3);
        assert_eq!(audit(&app.store, "sukamaju", skm).await.len(), 3);
        // Audit rows are filtered by village too.
        assert!(audit(&app.store, "sukamaju", klp).await.is_empty());
    }

    async fn a_missing_role_still_raises_the_level_once(app) {
        // Sukamaju with an operator only.
        app.store.add_officer("sukamaju", "Dewi", SKM_OPERATOR, &["operator"]).await.unwrap();
        let d = checker(&app.store, no_summary());
        let id = file(&app.store, "sukamaju", 3, "domisili", at(0)).await;
        assert_eq!(d.run_once(at(0)).await.unwrap(), escalated(1));
        assert_eq!(d.run_once(at(STEP)).await.unwrap(), escalated(1));
        assert_eq!(level(&app.store, "sukamaju", id).await, 2);
        // Checked again and again, the missing Sekdes is not reported again.
        for t in [at(STEP + 60), at(STEP + 120), at(2 * STEP - 1)] {
            assert_eq!(d.run_once(t).await.unwrap(), TickReport::default());
        }
        assert_eq!(d.run_once(at(2 * STEP)).await.unwrap(), escalated(1));
        assert_eq!(d.run_once(at(3 * STEP)).await.unwrap(), TickReport::default());
        assert_eq!(texts(&app.store, "sukamaju", SKM_OPERATOR).await.len(), 1);
        let rows = audit(&app.store, "sukamaju", id).await;
        let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(actions, ["eskalasi_1", "eskalasi_2", "eskalasi_3"]);
        assert!(rows[1].1.contains("tidak ada"), "{rows:?}");
        assert!(rows[2].1.contains("tidak ada"), "{rows:?}");
    }

    async fn two_instances_escalate_once(app) {
        let staff = staff(&app.store).await;
        let first = checker(&app.store, no_summary());
        let second = checker(&app.store, no_summary());
        for seq in 1..=5 {
            let id = file(&app.store, "kaliploso", seq, "skck", at(0)).await;
            assign(&app.store, id, staff.budi).await;
        }
        let (a, b) = tokio::join!(first.run_once(at(0)), second.run_once(at(0)));
        assert_eq!(a.unwrap().escalated + b.unwrap().escalated, 5);
        assert_eq!(texts(&app.store, "kaliploso", BUDI).await.len(), 5);
        let (a, b) = tokio::join!(first.run_once(at(STEP)), second.run_once(at(STEP)));
        assert_eq!(a.unwrap().escalated + b.unwrap().escalated, 5);
        let sari = texts(&app.store, "kaliploso", SARI).await;
        assert_eq!(sari.len(), 5);
        for seq in 1..=5 {
            let code = format!("KLP-{seq:04}");
            assert_eq!(sari.iter().filter(|t| t.contains(&code)).count(), 1, "{code}");
        }
    }

    async fn an_unconfirmed_delivery_is_reported_to_the_sekdes_once(app) {
        let staff = staff(&app.store).await;
        let d = checker(&app.store, no_summary());
        // Deadlines far away: only the delivery check speaks.
        let far = at(60 * 24 * HOUR);
        let delivered_at = at(0);
        let mut ids = Vec::new();
        for seq in 1..=3 {
            let id = file(&app.store, "kaliploso", seq, "skck", far).await;
            walk(
                &app.store,
                "kaliploso",
                id,
                &["diperiksa", "diproses", "menunggu_ttd", "siap_antar", "diantar"],
                at(-2 * HOUR),
            )
            .await;
            let mut tx = app.store.begin().await.unwrap();
            tx.start_delivery("kaliploso", id, Some(staff.joko), Some(staff.budi), "antar", at(-2 * HOUR))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            ids.push(id);
        }
        // KLP-0001: handed over, unanswered. KLP-0002: handed over and confirmed.
        // KLP-0003: still on its way (not handed over).
        let mut tx = app.store.begin().await.unwrap();
        assert!(tx.mark_delivered("kaliploso", ids[0], None, delivered_at).await.unwrap());
        assert!(tx.mark_delivered("kaliploso", ids[1], None, delivered_at).await.unwrap());
        tx.confirm_delivery("kaliploso", ids[1], "diterima", at(HOUR)).await.unwrap();
        tx.commit().await.unwrap();
        walk(&app.store, "kaliploso", ids[1], &["diterima", "selesai"], at(HOUR)).await;

        let day = 24 * HOUR;
        assert_eq!(d.run_once(at(day - 1)).await.unwrap(), TickReport::default());
        assert!(texts(&app.store, "kaliploso", SARI).await.is_empty());

        let report = d.run_once(at(day)).await.unwrap();
        assert_eq!(report, TickReport { delivery_alerts: 1, ..TickReport::default() });
        let sari = texts(&app.store, "kaliploso", SARI).await;
        assert_eq!(sari.len(), 1);
        assert!(sari[0].contains("KLP-0001"), "{}", sari[0]);
        assert!(sari[0].contains("sudah diantar oleh Joko pada 01/12 10.00"), "{}", sari[0]);
        assert!(sari[0].contains("belum mengonfirmasi"), "{}", sari[0]);
        for who in [BUDI, ANI, KADES, JOKO] {
            assert!(texts(&app.store, "kaliploso", who).await.is_empty(), "{who} was told");
        }
        assert!(texts(&app.store, "sukamaju", SKM_SEKDES).await.is_empty());
        let rows = audit(&app.store, "kaliploso", ids[0]).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "konfirmasi_terlambat");
        assert!(audit(&app.store, "kaliploso", ids[1]).await.is_empty());

        // Once only.
        assert_eq!(d.run_once(at(day)).await.unwrap(), TickReport::default());
        assert_eq!(d.run_once(at(3 * day)).await.unwrap(), TickReport::default());
        assert_eq!(texts(&app.store, "kaliploso", SARI).await.len(), 1);

        // KLP-0003 handed over later is reported a day after that, once.
        let mut tx = app.store.begin().await.unwrap();
        assert!(tx.mark_delivered("kaliploso", ids[2], None, at(3 * day)).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(d.run_once(at(4 * day - 1)).await.unwrap(), TickReport::default());
        assert_eq!(d.run_once(at(4 * day)).await.unwrap().delivery_alerts, 1);
        assert_eq!(d.run_once(at(4 * day)).await.unwrap(), TickReport::default());
        let sari = texts(&app.store, "kaliploso", SARI).await;
        assert_eq!(sari.len(), 2);
        assert!(sari[1].contains("KLP-0003"), "{}", sari[1]);
    }

    async fn the_morning_summary_goes_out_once_per_local_day(app) {
        let staff = staff(&app.store).await;
        // Sukamaju loses its Sekdes: its summary goes to the Kades.
        assert!(app.store.set_officer_active(staff.rina, false).await.unwrap());
        // Escalation steps far apart: only operators hear of overdue requests.
        let d = checker(
            &app.store,
            OfficerSettings { escalation_step_secs: 1000 * 24 * HOUR, ..OfficerSettings::default() },
        );
        // Today is Wednesday 2 December 2026 (local).
        let today_9 = wib(2026, 12, 2, 9, 0);
        // Open: KLP-0001 diajukan, overdue; KLP-0002 diperiksa, due tomorrow; KLP-0003 waiting
        // for a document, past its deadline (not the office's work, so not overdue).
        let overdue = file(&app.store, "kaliploso", 1, "skck", wib(2026, 12, 1, 15, 0)).await;
        let checking = file(&app.store, "kaliploso", 2, "sktm", wib(2026, 12, 3, 9, 0)).await;
        walk(&app.store, "kaliploso", checking, &["diperiksa"], wib(2026, 12, 1, 9, 0)).await;
        let waiting = file(&app.store, "kaliploso", 3, "domisili", wib(2026, 12, 1, 9, 0)).await;
        walk(&app.store, "kaliploso", waiting, &["perlu_dokumen"], wib(2026, 12, 1, 9, 0)).await;
        // Received and rated: yesterday morning (4★), just after midnight yesterday (5★), just
        // after midnight today (1★, today's) and the day before yesterday (1★).
        let received = [
            (4, wib(2026, 12, 1, 10, 0), 4),
            (5, wib(2026, 12, 1, 0, 30), 5),
            (6, wib(2026, 12, 2, 0, 30), 1),
            (7, wib(2026, 11, 30, 10, 0), 1),
        ];
        for (seq, when, stars) in received {
            let id = file(&app.store, "kaliploso", seq, "skck", wib(2026, 12, 5, 9, 0)).await;
            walk(
                &app.store,
                "kaliploso",
                id,
                &["diperiksa", "diproses", "menunggu_ttd", "siap_antar", "diantar"],
                wib(2026, 11, 29, 9, 0),
            )
            .await;
            walk(&app.store, "kaliploso", id, &["diterima", "selesai"], when).await;
            let mut tx = app.store.begin().await.unwrap();
            tx.set_rating("kaliploso", id, Some(stars), None).await.unwrap();
            tx.commit().await.unwrap();
        }
        // Complaints: one open, one answered and closed.
        let mut tx = app.store.begin().await.unwrap();
        let resident = tx.request_by_id("kaliploso", overdue).await.unwrap().unwrap().resident_id;
        tx.insert_complaint("kaliploso", 1, "ADU-KLP-0001", resident, "jalan rusak", wib(2026, 12, 1, 8, 0))
            .await
            .unwrap();
        let closed = tx
            .insert_complaint("kaliploso", 2, "ADU-KLP-0002", resident, "lampu mati", wib(2026, 12, 1, 8, 0))
            .await
            .unwrap();
        tx.update_complaint("kaliploso", closed, "selesai", staff.budi, Some("sudah"), wib(2026, 12, 1, 9, 0))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Sukamaju has an open request of its own.
        file(&app.store, "sukamaju", 1, "skck", wib(2026, 12, 9, 9, 0)).await;

        // Before seven, local: nothing (the overdue request's operator alert aside).
        let report = d.run_once(wib(2026, 12, 2, 6, 59)).await.unwrap();
        assert_eq!(report.summaries, 0);
        assert_eq!(report.escalated, 1);
        assert!(texts(&app.store, "kaliploso", SARI).await.is_empty());

        // At seven: one summary per village.
        let seven = wib(2026, 12, 2, 7, 0);
        assert_eq!(d.run_once(seven).await.unwrap(), TickReport { summaries: 2, ..TickReport::default() });
        let sari = texts(&app.store, "kaliploso", SARI).await;
        assert_eq!(sari.len(), 1, "{sari:?}");
        let text = &sari[0];
        for expected in [
            "Desa Kaliploso",
            "Rabu, 2 Desember 2026",
            "Permohonan terbuka: 3",
            "• Diajukan, menunggu diperiksa: 1",
            "• Sedang diperiksa petugas: 1",
            "• Perlu kelengkapan dokumen: 1",
            "Lewat target: 1\nKLP-0001 (Pengantar SKCK)",
            "Diterima warga kemarin: 2",
            "Penilaian kemarin: 2, rata-rata 4,5",
            "Aduan terbuka: 1",
        ] {
            assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
        }
        for absent in ["KLP-0002", "KLP-0003", "SKM-", "Selesai"] {
            assert!(!text.contains(absent), "{absent:?} in:\n{text}");
        }
        // The on-demand text is the same.
        let mut tx = app.store.begin().await.unwrap();
        let again = summary_text(&mut tx, &village("kaliploso"), &catalogue(), seven).await.unwrap();
        assert_eq!(&again, text);
        assert_eq!(
            tx.village_job_last_run("kaliploso", SUMMARY_JOB).await.unwrap().as_deref(),
            Some("2026-12-02")
        );
        tx.commit().await.unwrap();
        // Kaliploso has a Sekdes, so its Kades gets none; Sukamaju's goes to its Kades.
        assert!(texts(&app.store, "kaliploso", KADES).await.is_empty());
        let skm_kades = texts(&app.store, "sukamaju", SKM_KADES).await;
        assert_eq!(skm_kades.len(), 1);
        assert!(skm_kades[0].contains("Desa Sukamaju") && skm_kades[0].contains("Permohonan terbuka: 1"), "{}", skm_kades[0]);
        assert!(!skm_kades[0].contains("KLP-"), "{}", skm_kades[0]);
        assert!(texts(&app.store, "sukamaju", SKM_SEKDES).await.is_empty(), "inactive");

        // Later the same day, and early the next morning: nothing.
        assert_eq!(d.run_once(wib(2026, 12, 2, 7, 1)).await.unwrap(), TickReport::default());
        assert_eq!(d.run_once(today_9).await.unwrap(), TickReport::default());
        assert_eq!(d.run_once(wib(2026, 12, 2, 23, 59)).await.unwrap(), TickReport::default());
        assert_eq!(d.run_once(wib(2026, 12, 3, 6, 59)).await.unwrap(), TickReport::default());
        assert_eq!(texts(&app.store, "kaliploso", SARI).await.len(), 1);

        // The next morning, again; yesterday is now the 2nd.
        let report = d.run_once(wib(2026, 12, 3, 7, 30)).await.unwrap();
        assert_eq!(report.summaries, 2);
        let sari = texts(&app.store, "kaliploso", SARI).await;
        assert_eq!(sari.len(), 2);
        assert!(sari[1].contains("Kamis, 3 Desember 2026"), "{}", sari[1]);
        assert!(sari[1].contains("Diterima warga kemarin: 1"), "{}", sari[1]);
        assert!(sari[1].contains("Penilaian kemarin: 1, rata-rata 1,0"), "{}", sari[1]);
        // KLP-0002 is due at nine on the 3rd: not yet overdue at 07.30.
        assert!(sari[1].contains("Lewat target: 1\n"), "{}", sari[1]);
        assert_eq!(d.run_once(wib(2026, 12, 3, 8, 0)).await.unwrap().summaries, 0);
    }

    async fn the_background_loop_ticks_and_stops(app) {
        let staff = staff(&app.store).await;
        let id = file(&app.store, "kaliploso", 9, "skck", Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() - 60).unwrap()).await;
        assign(&app.store, id, staff.budi).await;
        let d = Arc::new(checker(
            &app.store,
            OfficerSettings { tick_secs: 1, ..OfficerSettings::default() },
        ));
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(d.run(stop_rx));
        let mut told = Vec::new();
        for _ in 0..100 {
            told = texts(&app.store, "kaliploso", BUDI).await;
            if !told.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].contains("KLP-0009"));
        // Several more ticks change nothing.
        tokio::time::sleep(Duration::from_millis(2200)).await;
        assert_eq!(texts(&app.store, "kaliploso", BUDI).await.len(), 1);
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the loop stops on shutdown")
            .unwrap();
    }
}

#[test]
fn dates_in_the_tests_are_what_they_say() {
    // 1 December 2026 is a Tuesday; the summary test's "today" is Wednesday the 2nd.
    use chrono::Datelike;
    assert_eq!(
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().weekday(),
        chrono::Weekday::Wed
    );
}

both_backends! {
    async fn each_courier_gets_the_days_delivery_list_in_the_morning(app) {
        let staff = staff(&app.store).await;
        let d = checker(
            &app.store,
            OfficerSettings { escalation_step_secs: 1000 * 24 * HOUR, ..OfficerSettings::default() },
        );
        // Two letters out with Joko, one still waiting to be handed to a courier.
        let far = wib(2026, 12, 20, 9, 0);
        for seq in 1..=3 {
            let id = file(&app.store, "kaliploso", seq, "skck", far).await;
            let path: &[&str] = if seq < 3 {
                &["diperiksa", "diproses", "menunggu_ttd", "siap_antar", "diantar"]
            } else {
                &["diperiksa", "diproses", "menunggu_ttd", "siap_antar"]
            };
            walk(&app.store, "kaliploso", id, path, wib(2026, 12, 1, 14, 0)).await;
            if seq < 3 {
                let mut tx = app.store.begin().await.unwrap();
                tx.start_delivery("kaliploso", id, Some(staff.joko), Some(staff.budi), "antar", wib(2026, 12, 1, 14, 0))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }
        d.run_once(wib(2026, 12, 2, 6, 0)).await.unwrap();
        assert!(texts(&app.store, "kaliploso", JOKO).await.is_empty(), "not before the hour");
        d.run_once(wib(2026, 12, 2, 7, 0)).await.unwrap();
        let joko = texts(&app.store, "kaliploso", JOKO).await;
        assert_eq!(joko.len(), 1, "{joko:?}");
        assert!(joko[0].contains("Daftar antar hari ini (2)"), "{}", joko[0]);
        assert!(joko[0].contains("KLP-0001") && joko[0].contains("KLP-0002"), "{}", joko[0]);
        assert!(!joko[0].contains("KLP-0003"), "{}", joko[0]);
        // Once a day.
        d.run_once(wib(2026, 12, 2, 9, 0)).await.unwrap();
        assert_eq!(texts(&app.store, "kaliploso", JOKO).await.len(), 1);
    }
}
