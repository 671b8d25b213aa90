//! `GET /dasbor/pengaturan`: a read-only summary of how the server is configured — villages,
//! services, the village's officers (numbers partly masked), timings — and the health panel
//! that tells the office at a glance whether WhatsApp is still flowing: mode, database, outbox
//! backlog, recent failures, the last webhook received and the last message sent. Secrets are
//! never shown, only whether they are set.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, TimeZone, Utc};

use crate::app::AppState;
use crate::catalogue::{Issuer, Signer};
use crate::config::{Secret, Settings, VillageConfig};
use crate::conversation::dialogue::OfficeHours;
use crate::domain::mask::mask_digits;
use crate::store::Timestamp;

use super::{render, Chrome, DashError, Officer};

pub fn routes() -> Router<AppState> {
    Router::new().route("/dasbor/pengaturan", get(page))
}

/// Without any webhook for this much office time, the panel warns that WhatsApp may have
/// stopped reaching the server (expired token, changed webhook URL, blocked number…).
pub const QUIET_OFFICE_SECS: i64 = 2 * 3600;

const DAY_NAMES: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];

struct VillageLine {
    name: String,
    id: String,
    kode_desa: String,
    ticket_prefix: String,
    office_hours: String,
    phone_number_id: String,
    own: bool,
}

struct ServiceLine {
    title: String,
    code: String,
    issuer: String,
    signer: &'static str,
    sla_hours: u32,
    classification_code: String,
    enabled: bool,
}

struct OfficerLine {
    name: String,
    contact: String,
    roles: String,
    active: bool,
    on_duty: bool,
}

/// A labelled value of the configuration.
struct Item {
    label: &'static str,
    value: String,
}

struct Health {
    live: bool,
    database: &'static str,
    queued: i64,
    sending: i64,
    failed_24h: i64,
    last_webhook: String,
    /// Set when the office should look: nothing arrived for a long stretch of office time.
    webhook_warning: Option<String>,
    last_sent: String,
}

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    health: Health,
    villages: Vec<VillageLine>,
    services: Vec<ServiceLine>,
    officers: Vec<OfficerLine>,
    secrets: Vec<Item>,
    timings: Vec<Item>,
}

/// "Senin–Jumat", or the days listed when they are not one run.
pub fn days_text(days: &[u32]) -> String {
    let mut days: Vec<u32> = days
        .iter()
        .copied()
        .filter(|d| (1..=7).contains(d))
        .collect();
    days.sort_unstable();
    days.dedup();
    let name = |d: u32| DAY_NAMES[d as usize - 1];
    match days.as_slice() {
        [] => "tidak ada hari kerja".into(),
        [one] => name(*one).into(),
        [first, .., last] if (*last - *first) as usize + 1 == days.len() && days.len() > 2 => {
            format!("{}–{}", name(*first), name(*last))
        }
        _ => days.iter().map(|d| name(*d)).collect::<Vec<_>>().join(", "),
    }
}

/// How much of `from`–`to` fell within the office's hours, in seconds (counted over at most
/// the last 60 days).
pub fn office_seconds_between(
    hours: &OfficeHours,
    tz: FixedOffset,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    if to <= from || hours.close <= hours.open {
        return 0;
    }
    let from = from.max(to - Duration::days(60));
    let mut day = from.with_timezone(&tz).date_naive();
    let last = to.with_timezone(&tz).date_naive();
    let local = |t: NaiveTime, d: chrono::NaiveDate| {
        tz.from_local_datetime(&d.and_time(t))
            .single()
            .map(|x| x.with_timezone(&Utc))
    };
    let mut total = 0;
    while day <= last {
        if hours.days.contains(&day.weekday().number_from_monday()) {
            if let (Some(open), Some(close)) = (local(hours.open, day), local(hours.close, day)) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += (end - start).num_seconds();
                }
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    total
}

/// "3 jam 5 menit lalu".
pub fn ago(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 {
        return "baru saja".into();
    }
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let text = if days > 0 {
        if hours > 0 {
            format!("{days} hari {hours} jam")
        } else {
            format!("{days} hari")
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!("{hours} jam {minutes} menit")
        } else {
            format!("{hours} jam")
        }
    } else {
        format!("{minutes} menit")
    };
    format!("{text} lalu")
}

/// "WIB", "WITA", "WIT", else "UTC+5".
fn zone_name(offset_hours: i32) -> String {
    match offset_hours {
        7 => "WIB".into(),
        8 => "WITA".into(),
        9 => "WIT".into(),
        h if h >= 0 => format!("UTC+{h}"),
        h => format!("UTC{h}"),
    }
}

fn local_time(t: Timestamp, village: &VillageConfig) -> String {
    format!(
        "{} {}",
        t.as_datetime()
            .with_timezone(&village.time_zone())
            .format("%d-%m-%Y %H:%M"),
        zone_name(village.utc_offset_hours)
    )
}

fn set(secret: &Option<Secret>) -> String {
    if secret.is_some() {
        "diatur"
    } else {
        "belum diatur"
    }
    .to_string()
}

fn minutes(secs: i64) -> String {
    if secs % 3600 == 0 {
        format!("{} jam", secs / 3600)
    } else {
        format!("{} menit", secs / 60)
    }
}

fn secrets(settings: &Settings) -> Vec<Item> {
    vec![
        Item {
            label: "WHATSAPP_APP_SECRET",
            value: if settings.whatsapp.app_secret.is_some() {
                "diatur".into()
            } else {
                "belum diatur (server memakai rahasia acak untuk simulator)".into()
            },
        },
        Item {
            label: "WHATSAPP_VERIFY_TOKEN",
            value: set(&settings.whatsapp.verify_token),
        },
        Item {
            label: "WHATSAPP_ACCESS_TOKEN",
            value: set(&settings.whatsapp.access_token),
        },
    ]
}

fn timings(settings: &Settings) -> Vec<Item> {
    let o = &settings.officers;
    let out = &settings.outbox;
    let c = &settings.conversation;
    vec![
        Item {
            label: "Kecepatan kirim",
            value: format!("{} pesan per detik", out.rate_per_sec),
        },
        Item {
            label: "Percobaan kirim sebelum gagal",
            value: out.max_attempts.to_string(),
        },
        Item {
            label: "Pesan per putaran kirim",
            value: out.batch.to_string(),
        },
        Item {
            label: "Pengirim pesan di server ini",
            value: if settings.run_outbox_worker {
                "aktif"
            } else {
                "mati (dikirim server lain)"
            }
            .into(),
        },
        Item {
            label: "Templat di luar 24 jam",
            value: format!(
                "{} (bahasa {})",
                out.templates.default.as_deref().unwrap_or("tidak ada"),
                out.templates.language
            ),
        },
        Item {
            label: "Percakapan petugas–warga berakhir setelah",
            value: minutes(o.relay_timeout_secs),
        },
        Item {
            label: "Menunggu dokumen warga",
            value: minutes(o.document_wait_secs),
        },
        Item {
            label: "Konfirmasi terima ditunggu",
            value: minutes(o.delivery_confirm_secs),
        },
        Item {
            label: "Langkah eskalasi (petugas → Sekdes → Kades)",
            value: minutes(o.escalation_step_secs),
        },
        Item {
            label: "Ringkasan pagi untuk Sekdes",
            value: format!("pukul {:02}.00", o.summary_hour),
        },
        Item {
            label: "Pemeriksaan tenggat",
            value: format!("tiap {} detik", o.tick_secs),
        },
        Item {
            label: "Permohonan setengah jadi ditawarkan ulang setelah",
            value: minutes(c.idle_timeout_secs),
        },
        Item {
            label: "Batas permohonan per warga per hari",
            value: c.daily_request_limit.to_string(),
        },
    ]
}

/// `GET /dasbor/pengaturan`
async fn page(State(state): State<AppState>, officer: Officer) -> Result<Response, DashError> {
    let settings = state.settings();
    let village = state
        .villages()
        .iter()
        .find(|v| v.id == officer.village_id())
        .ok_or_else(|| DashError::Forbidden("Desa Anda tidak lagi dilayani server ini.".into()))?;
    let now = Timestamp::now();
    let day_ago = Timestamp::from(now.as_datetime() - Duration::hours(24));
    let h = state
        .store()
        .village_health(officer.village_id(), day_ago)
        .await?;
    let tz = village.time_zone();
    let (last_webhook, webhook_warning) = match h.last_webhook_at {
        Some(at) => {
            let quiet = office_seconds_between(
                &village.office_hours(),
                tz,
                at.as_datetime(),
                now.as_datetime(),
            );
            let warning = (quiet >= QUIET_OFFICE_SECS).then(|| {
                format!(
                    "Sudah {} jam kerja kantor tidak ada pesan WhatsApp yang masuk. Periksa apakah nomor desa dan webhook masih tersambung.",
                    quiet / 3600
                )
            });
            (
                format!(
                    "{} ({})",
                    local_time(at, village),
                    ago(now.unix_seconds() - at.unix_seconds())
                ),
                warning,
            )
        }
        None => (
            "belum pernah".into(),
            Some(
                "Belum ada pesan WhatsApp yang masuk untuk desa ini. Periksa pendaftaran webhook di Meta."
                    .into(),
            ),
        ),
    };
    let last_sent = match h.last_sent_at {
        Some(at) => format!(
            "{} ({})",
            local_time(at, village),
            ago(now.unix_seconds() - at.unix_seconds())
        ),
        None => "belum pernah".into(),
    };
    let health = Health {
        live: state.live(),
        database: match state.store().backend_name() {
            "postgres" => "PostgreSQL",
            _ => "SQLite (tertanam)",
        },
        queued: h.queued,
        sending: h.sending,
        failed_24h: h.failed_recently,
        last_webhook,
        webhook_warning,
        last_sent,
    };
    let villages = settings
        .villages
        .iter()
        .map(|v| VillageLine {
            name: v.name.clone(),
            id: v.id.clone(),
            kode_desa: if v.kode_desa.is_empty() {
                "—".into()
            } else {
                v.kode_desa.clone()
            },
            ticket_prefix: v.ticket_prefix.clone(),
            office_hours: format!(
                "{}, {}–{} {}",
                days_text(&v.office_days),
                v.office_open,
                v.office_close,
                zone_name(v.utc_offset_hours)
            ),
            phone_number_id: v
                .phone_number_id
                .clone()
                .unwrap_or_else(|| format!("{} (hanya simulator)", Settings::routing_number(v))),
            own: v.id == village.id,
        })
        .collect();
    let services = state
        .conversation()
        .catalogue()
        .all()
        .iter()
        .map(|s| ServiceLine {
            title: s.title.clone(),
            code: s.code.clone(),
            issuer: match (s.issuer, &s.issued_to) {
                (Issuer::Desa, _) => "Desa".into(),
                (Issuer::Pengantar, Some(to)) => format!("Pengantar ke {to}"),
                (Issuer::Pengantar, None) => "Pengantar".into(),
            },
            signer: match s.signer {
                Signer::Kades => "Kepala Desa",
                Signer::Sekdes => "Sekretaris Desa",
            },
            sla_hours: s.sla_hours,
            classification_code: s.classification_code.clone(),
            enabled: s.enabled,
        })
        .collect();
    let officers = state
        .store()
        .officers(Some(officer.village_id()), true)
        .await?
        .into_iter()
        .map(|o| OfficerLine {
            contact: o
                .wa_id
                .as_deref()
                .or(o.user_id.as_deref())
                .map(mask_digits)
                .unwrap_or_else(|| "—".into()),
            name: o.name,
            roles: o.roles.join(", "),
            active: o.active,
            on_duty: o.on_duty,
        })
        .collect();
    let page = SettingsPage {
        chrome: Chrome::new(&state, &officer, "pengaturan"),
        health,
        villages,
        services,
        officers,
        secrets: secrets(settings),
        timings: timings(settings),
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wib() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn office_time_counts_only_open_hours() {
        // Monday–Friday 08:00–15:00.
        let hours = OfficeHours::default();
        // Friday 2026-11-27 14:00 WIB to Monday 2026-11-30 10:00 WIB: 1 h + 2 h.
        let from = utc("2026-11-27T07:00:00Z");
        let to = utc("2026-11-30T03:00:00Z");
        assert_eq!(office_seconds_between(&hours, wib(), from, to), 3 * 3600);
        // A weekend alone is no office time.
        let sat = utc("2026-11-28T01:00:00Z");
        let sun = utc("2026-11-29T10:00:00Z");
        assert_eq!(office_seconds_between(&hours, wib(), sat, sun), 0);
        // Within one working day.
        let a = utc("2026-11-30T02:30:00Z"); // 09:30 WIB
        let b = utc("2026-11-30T04:00:00Z"); // 11:00 WIB
        assert_eq!(office_seconds_between(&hours, wib(), a, b), 90 * 60);
        assert_eq!(office_seconds_between(&hours, wib(), b, a), 0);
        // Evening to the next morning before opening.
        let evening = utc("2026-11-30T12:00:00Z"); // 19:00 WIB
        let morning = utc("2026-12-01T00:30:00Z"); // 07:30 WIB
        assert_eq!(office_seconds_between(&hours, wib(), evening, morning), 0);
    }

    #[test]
    fn texts() {
        assert_eq!(days_text(&[1, 2, 3, 4, 5]), "Senin–Jumat");
        assert_eq!(days_text(&[1, 3]), "Senin, Rabu");
        assert_eq!(days_text(&[6]), "Sabtu");
        assert_eq!(days_text(&[]), "tidak ada hari kerja");
        assert_eq!(ago(5), "baru saja");
        assert_eq!(ago(61), "1 menit lalu");
        assert_eq!(ago(3 * 3600 + 5 * 60), "3 jam 5 menit lalu");
        assert_eq!(ago(2 * 86_400 + 3600), "2 hari 1 jam lalu");
        assert_eq!(zone_name(8), "WITA");
        assert_eq!(minutes(120 * 60), "2 jam");
        assert_eq!(minutes(90 * 60), "90 menit");
    }
}
