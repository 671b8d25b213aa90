//! Deadlines: overdue requests are escalated step by step, deliveries the resident has not
//! confirmed are reported, and every morning the Sekdes gets a summary of the village's work.
//!
//! [`Deadlines::run_once`] takes the time as an argument, so tests drive it with any clock;
//! [`Deadlines::run`] calls it with the real time every `tick_secs`. Everything it does is
//! recorded before (or together with) the messages it queues, with conditional updates: running
//! it twice at the same time, or in two server instances at once, sends nothing twice.
//!
//! Escalation of a request whose state is still the office's work
//! ([`State::is_office_work`]):
//!
//! | level | when | who is told |
//! |---|---|---|
//! | 1 | at `due_at` | the assigned officer; nobody assigned: every on-duty operator |
//! | 2 | `due_at + escalation_step` | every active Sekdes |
//! | 3 | `due_at + 2 × escalation_step` | every active Kades |

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Timelike, Utc};
use tokio::sync::{watch, Notify};

use crate::catalogue::Catalogue;
use crate::config::{OfficerSettings, VillageConfig};
use crate::outbound::OutboundBody;
use crate::requests::{next_hint, Roles, State, ALL_STATES};
use crate::store::{About, Audit, OfficerBrief, OverdueRequest, Store, StoreError, Timestamp, Tx};

/// Name of the morning summary in `village_job`.
pub const SUMMARY_JOB: &str = "ringkasan_pagi";
/// Overdue requests listed by code in the summary.
const SUMMARY_OVERDUE_LISTED: i64 = 10;
/// Requests or deliveries handled per village and tick; the rest wait for the next tick.
const BATCH: i64 = 200;
/// Highest escalation level (the Kades).
pub const MAX_LEVEL: i64 = 3;

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Requests whose escalation level was raised (and their officers told; with nobody to
    /// tell, the level is raised all the same and the audit trail says so).
    pub escalated: usize,
    /// Unconfirmed deliveries reported.
    pub delivery_alerts: usize,
    /// Villages whose morning summary was made.
    pub summaries: usize,
}

impl TickReport {
    pub fn is_empty(&self) -> bool {
        *self == TickReport::default()
    }
}

/// The deadline checker: escalations, unconfirmed deliveries and the morning summary.
pub struct Deadlines {
    store: Store,
    settings: OfficerSettings,
    villages: Vec<VillageConfig>,
    catalogue: Catalogue,
    outbox_wake: Option<Arc<Notify>>,
}

impl Deadlines {
    pub fn new(
        store: Store,
        settings: OfficerSettings,
        villages: Vec<VillageConfig>,
        catalogue: Catalogue,
    ) -> Self {
        Self {
            store,
            settings,
            villages,
            catalogue,
            outbox_wake: None,
        }
    }

    /// Wake the outbox worker when a tick has queued messages.
    pub fn with_outbox_wake(mut self, wake: Arc<Notify>) -> Self {
        self.outbox_wake = Some(wake);
        self
    }

    /// Check every village once, as of `now`. A village whose check fails does not stop the
    /// others (the first such error is returned after all were tried); an unavailable database
    /// ends the tick at once.
    pub async fn run_once(&self, now: Timestamp) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        let mut first_error = None;
        let outcome = async {
            for village in &self.villages {
                let v = village.id.as_str();
                report.escalated += keep(
                    self.escalate(village, now).await,
                    "escalation",
                    v,
                    &mut first_error,
                )?;
                report.delivery_alerts += keep(
                    self.unconfirmed_deliveries(village, now).await,
                    "unconfirmed deliveries",
                    v,
                    &mut first_error,
                )?;
                report.summaries += keep(
                    self.morning_summary(village, now).await,
                    "morning summary",
                    v,
                    &mut first_error,
                )?;
            }
            Ok::<(), StoreError>(())
        }
        .await;
        if !report.is_empty() {
            if let Some(wake) = &self.outbox_wake {
                wake.notify_one();
            }
        }
        outcome?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Tick every `tick_secs` until `shutdown` turns true (or its sender is gone). A database
    /// that is unavailable is logged and tried again at the next tick.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let tick = Duration::from_secs(self.settings.tick_secs.max(1));
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_once(Timestamp::now()).await {
                Ok(report) if !report.is_empty() => tracing::info!(
                    escalated = report.escalated,
                    delivery_alerts = report.delivery_alerts,
                    summaries = report.summaries,
                    "deadline check"
                ),
                Ok(_) => {}
                Err(e) if e.is_unavailable() => {
                    tracing::warn!(error = %e, "deadline check: database unavailable; trying again next tick")
                }
                // Already logged with its village by run_once.
                Err(_) => {}
            }
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = tokio::time::sleep(tick) => {}
            }
        }
        tracing::info!("deadline checker stopped");
    }

    /// Raise the escalation level of the village's overdue requests and tell who the new level
    /// names. Returns how many requests were escalated.
    async fn escalate(&self, village: &VillageConfig, now: Timestamp) -> Result<usize, StoreError> {
        let step = self.settings.escalation_step_secs;
        let before = |steps: i64| {
            Timestamp::from(now.as_datetime() - chrono::Duration::seconds(step * steps))
        };
        let states = office_work_states();
        let mut tx = self.store.begin().await?;
        let due = tx
            .requests_to_escalate(&village.id, &states, now, before(1), before(2), BATCH)
            .await?;
        let officers = if due.is_empty() {
            Vec::new()
        } else {
            tx.village_officers(&village.id).await?
        };
        tx.commit().await?;
        let mut escalated = 0;
        for r in due {
            let level = level_due(r.due_at, now, step);
            if level <= r.escalation_level {
                continue;
            }
            // A request first seen far past its deadline (the server was down, or the request
            // left `perlu_dokumen` long after its deadline) goes straight to the highest level
            // due, and only that level's people are told: one message, to the ones who can act
            // on a request that late, instead of a burst of three stale alerts at once.
            let mut tx = self.store.begin().await?;
            if !tx
                .raise_escalation(&village.id, r.id, &r.state, r.escalation_level, level, now)
                .await?
            {
                // Another instance escalated it, or the request moved on: nothing to do.
                continue;
            }
            let recipients = escalation_recipients(level, r.assigned_officer_id, &officers);
            let title = service_title(&self.catalogue, &r.service_code);
            let text = escalation_text(level, &r, title, village, now, step);
            let about = About {
                request_id: Some(r.id),
                ..About::default()
            };
            let sent = send_to(&mut tx, &village.id, &recipients, &text, about, now).await?;
            let mut detail = recipients_detail(&recipients);
            if sent == 0 {
                tracing::warn!(
                    village = %village.id,
                    request_id = r.id,
                    level,
                    "overdue request: no active officer to tell at this escalation level; level raised all the same"
                );
            }
            if r.escalation_level + 1 < level {
                detail.push_str(&format!(" (langsung dari level {})", r.escalation_level));
            }
            let action = format!("eskalasi_{level}");
            tx.insert_audit(
                &Audit {
                    village_id: &village.id,
                    actor_kind: "system",
                    actor_id: None,
                    action: &action,
                    request_id: Some(r.id),
                    complaint_id: None,
                    detail: Some(&detail),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            escalated += 1;
        }
        Ok(escalated)
    }

    /// Report deliveries handed over `delivery_confirm_secs` ago or more that the resident has
    /// not confirmed, to the Sekdes (the Kades when the village has no Sekdes), once each.
    async fn unconfirmed_deliveries(
        &self,
        village: &VillageConfig,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let before = Timestamp::from(
            now.as_datetime() - chrono::Duration::seconds(self.settings.delivery_confirm_secs),
        );
        let mut tx = self.store.begin().await?;
        let waiting = tx
            .unconfirmed_deliveries(&village.id, before, BATCH)
            .await?;
        let officers = if waiting.is_empty() {
            Vec::new()
        } else {
            tx.village_officers(&village.id).await?
        };
        tx.commit().await?;
        let mut alerted = 0;
        for d in waiting {
            let mut tx = self.store.begin().await?;
            if !tx
                .mark_delivery_alerted(&village.id, d.delivery_id, now)
                .await?
            {
                continue;
            }
            let recipients = leadership(&officers);
            let text = format!(
                "📦 *{}* ({}): sudah diantar oleh {} pada {}, tetapi warga belum mengonfirmasi. \
                 Mohon dicek dengan kurir atau warga.",
                d.ticket_code,
                service_title(&self.catalogue, &d.service_code),
                d.courier_name.as_deref().unwrap_or("kurir"),
                short_time(local_time(d.delivered_at, village)),
            );
            let about = About {
                request_id: Some(d.request_id),
                ..About::default()
            };
            let sent = send_to(&mut tx, &village.id, &recipients, &text, about, now).await?;
            if sent == 0 {
                tracing::warn!(
                    village = %village.id,
                    request_id = d.request_id,
                    "unconfirmed delivery: the village has no active Sekdes or Kades to tell"
                );
            }
            let detail = recipients_detail(&recipients);
            tx.insert_audit(
                &Audit {
                    village_id: &village.id,
                    actor_kind: "system",
                    actor_id: None,
                    action: "konfirmasi_terlambat",
                    request_id: Some(d.request_id),
                    complaint_id: None,
                    detail: Some(&detail),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            alerted += 1;
        }
        Ok(alerted)
    }

    /// Once per local date, at or after `summary_hour`, send the village's summary to its Sekdes
    /// (the Kades when there is none). Returns 1 when this call made it.
    async fn morning_summary(
        &self,
        village: &VillageConfig,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let local = local_time(now, village);
        if local.hour() < self.settings.summary_hour {
            return Ok(0);
        }
        let date = local.date_naive().format("%Y-%m-%d").to_string();
        let mut tx = self.store.begin().await?;
        let done = tx
            .village_job_last_run(&village.id, SUMMARY_JOB)
            .await?
            .is_some_and(|last| last >= date);
        // The claim and the messages commit together: a failure before the commit leaves the
        // day unclaimed, and the next tick tries again.
        if done
            || !tx
                .claim_village_job(&village.id, SUMMARY_JOB, &date)
                .await?
        {
            tx.commit().await?;
            return Ok(0);
        }
        let officers = tx.village_officers(&village.id).await?;
        let recipients = leadership(&officers);
        let text = summary_text(&mut tx, village, &self.catalogue, now).await?;
        let sent = send_to(
            &mut tx,
            &village.id,
            &recipients,
            &text,
            About::default(),
            now,
        )
        .await?;
        if sent == 0 {
            tracing::warn!(
                village = %village.id,
                "morning summary: the village has no active Sekdes or Kades to send it to"
            );
        }
        // Each courier starts the day with their delivery list.
        let work = super::work::Work {
            village,
            catalogue: &self.catalogue,
            settings: &self.settings,
            now,
        };
        for courier in officers
            .iter()
            .filter(|o| crate::requests::Roles::parse(&o.roles).kurir)
        {
            let list = tx.courier_deliveries(&village.id, courier.id).await?;
            if list.is_empty() {
                continue;
            }
            let mut text = format!("🛵 Daftar antar hari ini ({}):", list.len());
            for d in &list {
                text.push_str(&format!(
                    "\n\n{}",
                    super::desk::delivery_line(&work, &d.request)
                ));
            }
            text.push_str(
                "\n\nSetelah diserahkan ketik *terkirim KLP-…* (boleh dengan foto bukti).",
            );
            send_to(
                &mut tx,
                &village.id,
                &[courier],
                &text,
                About::default(),
                now,
            )
            .await?;
        }
        let detail = format!("{date}: {}", recipients_detail(&recipients));
        tx.insert_audit(
            &Audit {
                village_id: &village.id,
                actor_kind: "system",
                actor_id: None,
                action: "ringkasan",
                request_id: None,
                complaint_id: None,
                detail: Some(&detail),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(1)
    }
}

/// Log a village step's error and remember the first one; only an unavailable database stops
/// the tick.
fn keep(
    result: Result<usize, StoreError>,
    what: &str,
    village: &str,
    first_error: &mut Option<StoreError>,
) -> Result<usize, StoreError> {
    match result {
        Ok(n) => Ok(n),
        Err(e) if e.is_unavailable() => Err(e),
        Err(e) => {
            tracing::error!(village, error = %e, "deadline check: {what} failed");
            first_error.get_or_insert(e);
            Ok(0)
        }
    }
}

/// The escalation level due `now` for a request due at `due_at`: 0 before the deadline, 1 from
/// the deadline, 2 one step later, 3 from two steps later.
pub fn level_due(due_at: Timestamp, now: Timestamp, step_secs: i64) -> i64 {
    let late = now.as_datetime() - due_at.as_datetime();
    let step = chrono::Duration::seconds(step_secs.max(1));
    if late < chrono::Duration::zero() {
        0
    } else if late < step {
        1
    } else if late < step * 2 {
        2
    } else {
        MAX_LEVEL
    }
}

/// States in which a request is the office's work (deadlines run).
fn office_work_states() -> Vec<&'static str> {
    ALL_STATES
        .into_iter()
        .filter(|s| s.is_office_work())
        .map(State::as_str)
        .collect()
}

/// States of requests that are not closed.
fn open_states() -> Vec<&'static str> {
    ALL_STATES
        .into_iter()
        .filter(|s| !s.is_closed())
        .map(State::as_str)
        .collect()
}

/// Who is told at an escalation level. Only officers with somewhere to send to count.
fn escalation_recipients(
    level: i64,
    assigned: Option<i64>,
    officers: &[OfficerBrief],
) -> Vec<&OfficerBrief> {
    let reachable = || officers.iter().filter(|o| o.recipient.is_some());
    match level {
        1 => {
            let holder: Vec<_> = reachable().filter(|o| Some(o.id) == assigned).collect();
            if holder.is_empty() {
                reachable()
                    .filter(|o| o.on_duty && Roles::parse(&o.roles).operator)
                    .collect()
            } else {
                holder
            }
        }
        2 => reachable()
            .filter(|o| Roles::parse(&o.roles).sekdes)
            .collect(),
        _ => reachable()
            .filter(|o| Roles::parse(&o.roles).kades)
            .collect(),
    }
}

/// The village's leadership for reports: every active Sekdes, else every active Kades.
fn leadership(officers: &[OfficerBrief]) -> Vec<&OfficerBrief> {
    let with = |pick: fn(Roles) -> bool| -> Vec<&OfficerBrief> {
        officers
            .iter()
            .filter(|o| o.recipient.is_some() && pick(Roles::parse(&o.roles)))
            .collect()
    };
    let sekdes = with(|r| r.sekdes);
    if sekdes.is_empty() {
        with(|r| r.kades)
    } else {
        sekdes
    }
}

/// Queue `text` to each officer; returns how many messages were queued.
async fn send_to(
    tx: &mut Tx,
    village_id: &str,
    officers: &[&OfficerBrief],
    text: &str,
    about: About,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let body = OutboundBody::text(fit_text(text));
    let body_json = serde_json::to_string(&body).expect("a text body serialises");
    let mut sent = 0;
    for o in officers {
        let Some(recipient) = o.recipient.as_deref() else {
            continue;
        };
        tx.enqueue_about(
            village_id,
            o.resident_id,
            recipient,
            body.kind(),
            "officer_alert",
            &body_json,
            about,
            now,
        )
        .await?;
        sent += 1;
    }
    Ok(sent)
}

/// The audit detail naming who was told.
fn recipients_detail(officers: &[&OfficerBrief]) -> String {
    if officers.is_empty() {
        "tidak ada petugas aktif yang bisa diberi tahu".to_string()
    } else {
        format!(
            "ke: {}",
            officers
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// WhatsApp's limit on a text body, in characters.
fn fit_text(text: &str) -> String {
    let max = crate::outbound::message::MAX_TEXT_BODY;
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// The short title of a service ("Pengantar SKCK"), disabled ones included; the code when the
/// catalogue no longer has it.
fn service_title<'a>(catalogue: &'a Catalogue, code: &'a str) -> &'a str {
    catalogue
        .all()
        .iter()
        .find(|s| s.code == code)
        .map(|s| s.title.as_str())
        .unwrap_or(code)
}

fn local_time(at: Timestamp, village: &VillageConfig) -> DateTime<FixedOffset> {
    at.as_datetime().with_timezone(&village.time_zone())
}

/// "28/11 14.00".
fn short_time(at: DateTime<FixedOffset>) -> String {
    at.format("%d/%m %H.%M").to_string()
}

/// "40 menit", "5 jam", "3 hari".
fn lateness(late: chrono::Duration) -> String {
    let minutes = late.num_minutes().max(0);
    if minutes < 60 {
        format!("{minutes} menit")
    } else if minutes < 48 * 60 {
        format!("{} jam", minutes / 60)
    } else {
        format!("{} hari", minutes / (24 * 60))
    }
}

/// The alert for a request reaching `level`.
fn escalation_text(
    level: i64,
    r: &OverdueRequest,
    title: &str,
    village: &VillageConfig,
    now: Timestamp,
    step_secs: i64,
) -> String {
    let ticket = r.ticket_code.as_str();
    let state = State::parse(&r.state);
    let late = now.as_datetime() - r.due_at.as_datetime();
    let next_level_in =
        r.due_at.as_datetime() + chrono::Duration::seconds(2 * step_secs) - now.as_datetime();
    let label = state.map(State::label).unwrap_or("Dalam proses");
    let mut text = match level {
        1 => String::new(),
        2 => "⚠️ *Eskalasi ke Sekretaris Desa*\n".to_string(),
        _ => "🚨 *Eskalasi ke Kepala Desa*\n".to_string(),
    };
    let since = short_time(local_time(r.due_at, village));
    let by = if late >= chrono::Duration::minutes(1) {
        format!(" ({})", lateness(late))
    } else {
        String::new()
    };
    text.push_str(&format!(
        "⏰ *{ticket}* ({title}) lewat target sejak {since}{by} — status: {label}."
    ));
    if level == 1 {
        if let Some(state) = state {
            let hint = next_hint(state, ticket);
            if !hint.is_empty() {
                text.push('\n');
                text.push_str(&hint);
            }
        }
    } else {
        text.push('\n');
        match r.assigned_name.as_deref() {
            Some(name) => text.push_str(&format!("Dipegang: {name}.")),
            None => text.push_str("Belum ada petugas yang mengambil permohonan ini."),
        }
        if level == 2 && next_level_in > chrono::Duration::zero() {
            text.push_str(&format!(
                " Jika belum ditangani, Kepala Desa diberi tahu dalam {}.",
                lateness(next_level_in)
            ));
        }
    }
    text
}

fn hari(day: NaiveDate) -> &'static str {
    match day.weekday().number_from_monday() {
        1 => "Senin",
        2 => "Selasa",
        3 => "Rabu",
        4 => "Kamis",
        5 => "Jumat",
        6 => "Sabtu",
        _ => "Minggu",
    }
}

/// Midnight at the start of a local date, as an instant.
fn local_midnight(date: NaiveDate, tz: FixedOffset) -> Timestamp {
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    let at = tz
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive));
    Timestamp::from(at)
}

/// The morning summary of a village as of `now`: open requests by state, the overdue ones,
/// yesterday's (local day) receipts and ratings, open complaints. Short enough for a phone
/// screen; the officers' `ringkasan` command sends the same text on demand.
pub async fn summary_text(
    tx: &mut Tx,
    village: &VillageConfig,
    catalogue: &Catalogue,
    now: Timestamp,
) -> Result<String, StoreError> {
    let tz = village.time_zone();
    let today = now.as_datetime().with_timezone(&tz).date_naive();
    let yesterday = today.pred_opt().unwrap_or(today);
    let counts = tx.request_counts(&village.id, &open_states()).await?;
    let (overdue_total, overdue) = tx
        .overdue_requests(
            &village.id,
            &office_work_states(),
            now,
            SUMMARY_OVERDUE_LISTED,
        )
        .await?;
    let day = tx
        .day_figures(
            &village.id,
            local_midnight(yesterday, tz),
            local_midnight(today, tz),
        )
        .await?;

    let mut text = format!(
        "☀️ *Ringkasan {}*\n{}, {}\n\n",
        village.name,
        hari(today),
        crate::domain::date::format_tanggal(today)
    );
    let open_total: i64 = counts.iter().map(|(_, n)| n).sum();
    if open_total == 0 {
        text.push_str("📂 Tidak ada permohonan terbuka.\n");
    } else {
        text.push_str(&format!("📂 Permohonan terbuka: {open_total}\n"));
        // In lifecycle order, not alphabetical.
        for state in ALL_STATES {
            if let Some((_, n)) = counts.iter().find(|(s, _)| s == state.as_str()) {
                text.push_str(&format!("• {}: {n}\n", state.label()));
            }
        }
    }
    if overdue_total == 0 {
        text.push_str("⏰ Tidak ada yang lewat target.\n");
    } else {
        let listed: Vec<String> = overdue
            .iter()
            .map(|(ticket, code)| format!("{ticket} ({})", service_title(catalogue, code)))
            .collect();
        text.push_str(&format!(
            "⏰ Lewat target: {overdue_total}\n{}",
            listed.join(", ")
        ));
        let more = overdue_total - overdue.len() as i64;
        if more > 0 {
            text.push_str(&format!(", dan {more} lainnya"));
        }
        text.push('\n');
    }
    text.push_str(&format!("📦 Diterima warga kemarin: {}\n", day.received));
    if day.ratings == 0 {
        text.push_str("⭐ Penilaian kemarin: belum ada\n");
    } else {
        let average = day.rating_sum as f64 / day.ratings as f64;
        text.push_str(&format!(
            "⭐ Penilaian kemarin: {}, rata-rata {}\n",
            day.ratings,
            format!("{average:.1}").replace('.', ",")
        ));
    }
    text.push_str(&format!("📣 Aduan terbuka: {}", day.open_complaints));
    Ok(fit_text(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn levels_follow_the_deadline_in_steps() {
        let due = at(0);
        let step = 4 * 3600;
        assert_eq!(level_due(due, at(-1), step), 0);
        assert_eq!(level_due(due, at(0), step), 1);
        assert_eq!(level_due(due, at(step - 1), step), 1);
        assert_eq!(level_due(due, at(step), step), 2);
        assert_eq!(level_due(due, at(2 * step - 1), step), 2);
        assert_eq!(level_due(due, at(2 * step), step), 3);
        assert_eq!(level_due(due, at(100 * step), step), 3);
    }

    #[test]
    fn deadline_states_are_the_office_work() {
        let states = office_work_states();
        assert!(states.contains(&"diajukan"));
        assert!(states.contains(&"diantar"));
        assert!(!states.contains(&"perlu_dokumen"));
        assert!(!states.contains(&"diterima"));
        assert!(!states.contains(&"selesai"));
        assert!(open_states().contains(&"perlu_dokumen"));
        assert!(!open_states().contains(&"ditolak"));
    }

    fn officer(id: i64, roles: &str, on_duty: bool) -> OfficerBrief {
        OfficerBrief {
            id,
            name: format!("o{id}"),
            recipient: Some(format!("62812000000{id}")),
            roles: roles.into(),
            on_duty,
            resident_id: None,
        }
    }

    #[test]
    fn recipients_by_level() {
        let officers = vec![
            officer(1, "operator", true),
            officer(2, "operator", false),
            officer(3, "sekdes", true),
            officer(4, "kades", true),
            officer(5, "operator,kurir", true),
        ];
        let ids = |v: Vec<&OfficerBrief>| v.iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(ids(escalation_recipients(1, Some(2), &officers)), vec![2]);
        assert_eq!(ids(escalation_recipients(1, None, &officers)), vec![1, 5]);
        // Assigned to someone no longer active: the on-duty operators.
        assert_eq!(
            ids(escalation_recipients(1, Some(99), &officers)),
            vec![1, 5]
        );
        assert_eq!(ids(escalation_recipients(2, Some(1), &officers)), vec![3]);
        assert_eq!(ids(escalation_recipients(3, Some(1), &officers)), vec![4]);
        assert_eq!(ids(leadership(&officers)), vec![3]);
        assert_eq!(ids(leadership(&officers[..2])), Vec::<i64>::new());
        assert_eq!(ids(leadership(&[officers[3].clone()])), vec![4]);
    }

    #[test]
    fn texts_fit_whatsapp() {
        assert_eq!(fit_text(&"a".repeat(5000)).chars().count(), 4096);
        assert_eq!(lateness(chrono::Duration::minutes(40)), "40 menit");
        assert_eq!(lateness(chrono::Duration::hours(5)), "5 jam");
        assert_eq!(lateness(chrono::Duration::hours(80)), "3 hari");
    }
}
