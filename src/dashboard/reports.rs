//! Monthly reports for the kecamatan: `GET /dasbor/laporan?bulan=2026-11` shows the month's
//! figures of the officer's village with server-drawn charts; `GET /dasbor/laporan.csv?bulan=…`
//! downloads them as CSV. Every officer may see them; only the own village is ever counted.
//!
//! What counts where, for a month in the village's local time:
//! - *permohonan*: requests submitted in the month;
//! - *selesai diantar*, times, on-time share and ratings: requests that reached `diterima` (the
//!   resident has the letter, delivered or collected) in the month, timed from submission to
//!   that first `diterima` in the status history;
//! - *tepat waktu*: of those, the share that reached `diterima` by their target (`due_at`);
//! - complaints: received in the month, closed in the month, and still open at its end.
//!
//! Averages and percentiles are computed here, in Rust, from the rows, so that both databases
//! give the same figures.

use std::collections::BTreeMap;
use std::fmt;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use crate::app::AppState;
use crate::catalogue::Catalogue;
use crate::config::VillageConfig;
use crate::store::{ComplaintFigures, ReportRows, Timestamp};

use super::svg::BarChart;
use super::{render, Chrome, DashError, Officer};

/// The report's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dasbor/laporan", get(page))
        .route("/dasbor/laporan.csv", get(csv))
}

const MONTH_NAMES: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// A calendar month, written `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// A month of the years 2000–2100 (anything else is a typo in a report URL).
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((2000..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// Exactly `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.split_once('-')?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// The month a local time falls in.
    pub fn containing(t: DateTime<FixedOffset>) -> Month {
        Month {
            year: t.year(),
            month: t.month(),
        }
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month `n` months earlier.
    pub fn minus(self, n: u32) -> Month {
        (0..n).fold(self, |m, _| m.previous())
    }

    /// Midnight at the start of the month, local time `tz`, as an instant.
    pub fn start(self, tz: FixedOffset) -> Timestamp {
        let local = NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .unwrap_or_default()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        let utc = tz
            .from_local_datetime(&local)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local));
        Timestamp::from(utc)
    }

    /// The start of the next month: the end (exclusive) of this one.
    pub fn end(self, tz: FixedOffset) -> Timestamp {
        self.next().start(tz)
    }

    /// "November 2026".
    pub fn name(self) -> String {
        format!("{} {}", MONTH_NAMES[self.month as usize - 1], self.year)
    }

    /// "Nov 2026".
    pub fn short_name(self) -> String {
        let name = MONTH_NAMES[self.month as usize - 1];
        format!("{} {}", &name[..3], self.year)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The nearest-rank percentile `p` (0–100) of `values`: the smallest value such that at least
/// `p` percent of the values are at or below it (so "90% were delivered within the p90"). Always
/// one of the values; `None` when there are none. Non-finite values are ignored.
pub fn percentile(values: &[f64], p: u32) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    // ceil(p/100 · n) in integers, so that 90% of 10 is exactly 9.
    let rank = (p.min(100) as usize * n).div_ceil(100).max(1);
    Some(v[rank.min(n) - 1])
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// One line of the report: a service, or the total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceFigures {
    pub code: String,
    pub title: String,
    /// Requests submitted in the month.
    pub requests: i64,
    /// Requests that reached `diterima` in the month.
    pub delivered: i64,
    /// Hours from submission to `diterima`, one per delivered request.
    pub hours: Vec<f64>,
    /// Delivered requests with a target, and how many of them were delivered by it.
    pub with_due: i64,
    pub on_time: i64,
    /// Ratings (1–5) of the delivered requests.
    pub rating_count: i64,
    pub rating_sum: i64,
}

impl ServiceFigures {
    fn new(code: &str, title: &str) -> ServiceFigures {
        ServiceFigures {
            code: code.to_string(),
            title: title.to_string(),
            ..Default::default()
        }
    }

    pub fn average_hours(&self) -> Option<f64> {
        mean(&self.hours)
    }

    pub fn p90_hours(&self) -> Option<f64> {
        percentile(&self.hours, 90)
    }

    /// Percent of the delivered requests with a target that made it.
    pub fn on_time_percent(&self) -> Option<f64> {
        (self.with_due > 0).then(|| self.on_time as f64 * 100.0 / self.with_due as f64)
    }

    pub fn average_rating(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| self.rating_sum as f64 / self.rating_count as f64)
    }

    fn add(&mut self, other: &ServiceFigures) {
        self.requests += other.requests;
        self.delivered += other.delivered;
        self.hours.extend_from_slice(&other.hours);
        self.with_due += other.with_due;
        self.on_time += other.on_time;
        self.rating_count += other.rating_count;
        self.rating_sum += other.rating_sum;
    }
}

/// A village's figures for one month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyReport {
    pub month: Month,
    /// Every enabled service in catalogue order, then any other service that has figures.
    pub services: Vec<ServiceFigures>,
    pub total: ServiceFigures,
    /// Requests submitted in each of the six months ending with this one, oldest first.
    pub per_month: Vec<(Month, i64)>,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub ratings: [i64; 5],
    pub complaints: ComplaintFigures,
}

/// How many months the chart of submissions shows.
pub const CHART_MONTHS: u32 = 6;

impl MonthlyReport {
    /// Compute the figures from the rows read for `month` (submissions from
    /// `CHART_MONTHS - 1` months earlier).
    pub fn build(
        catalogue: &Catalogue,
        month: Month,
        tz: FixedOffset,
        rows: &ReportRows,
    ) -> MonthlyReport {
        let mut by_code: BTreeMap<String, ServiceFigures> = BTreeMap::new();
        fn line<'a>(
            by_code: &'a mut BTreeMap<String, ServiceFigures>,
            catalogue: &Catalogue,
            code: &str,
        ) -> &'a mut ServiceFigures {
            by_code.entry(code.to_string()).or_insert_with(|| {
                let title = catalogue
                    .all()
                    .iter()
                    .find(|s| s.code == code)
                    .map(|s| s.title.as_str())
                    // A service since removed from the catalogue: its code is all there is.
                    .unwrap_or(code);
                ServiceFigures::new(code, title)
            })
        }
        let first = month.minus(CHART_MONTHS - 1);
        let mut per_month: Vec<(Month, i64)> = (0..CHART_MONTHS)
            .map(|i| (month.minus(CHART_MONTHS - 1 - i), 0))
            .collect();
        for r in &rows.submitted {
            let m = Month::containing(r.submitted_at.as_datetime().with_timezone(&tz));
            if m < first || m > month {
                continue;
            }
            if let Some(slot) = per_month.iter_mut().find(|(pm, _)| *pm == m) {
                slot.1 += 1;
            }
            if m == month {
                line(&mut by_code, catalogue, &r.service_code).requests += 1;
            }
        }
        let mut ratings = [0i64; 5];
        for d in &rows.delivered {
            let l = line(&mut by_code, catalogue, &d.service_code);
            l.delivered += 1;
            let secs = (d.delivered_at.unix_seconds() - d.submitted_at.unix_seconds()).max(0);
            l.hours.push(secs as f64 / 3600.0);
            if let Some(due) = d.due_at {
                l.with_due += 1;
                if d.delivered_at <= due {
                    l.on_time += 1;
                }
            }
            if let Some(rating) = d.rating.filter(|r| (1..=5).contains(r)) {
                l.rating_count += 1;
                l.rating_sum += rating;
                ratings[rating as usize - 1] += 1;
            }
        }
        let mut services: Vec<ServiceFigures> = catalogue
            .enabled()
            .map(|s| {
                by_code
                    .remove(&s.code)
                    .unwrap_or_else(|| ServiceFigures::new(&s.code, &s.title))
            })
            .collect();
        services.extend(by_code.into_values());
        let mut total = ServiceFigures::new("", "Jumlah");
        for s in &services {
            total.add(s);
        }
        MonthlyReport {
            month,
            services,
            total,
            per_month,
            ratings,
            complaints: rows.complaints,
        }
    }

    /// The monthly report to the kecamatan as CSV (RFC 4180, CRLF line ends): a header row, one
    /// row per service and a total row.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        push_csv_row(
            &mut out,
            &[
                "layanan",
                "jumlah permohonan",
                "selesai diantar",
                "rata-rata jam",
                "p90 jam",
                "tepat waktu %",
                "rata-rata nilai",
            ],
        );
        let dot = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
        for s in self.services.iter().chain(std::iter::once(&self.total)) {
            push_csv_row(
                &mut out,
                &[
                    &s.title,
                    &s.requests.to_string(),
                    &s.delivered.to_string(),
                    &dot(s.average_hours()),
                    &dot(s.p90_hours()),
                    &dot(s.on_time_percent()),
                    &dot(s.average_rating()),
                ],
            );
        }
        out
    }
}

fn push_csv_row(out: &mut String, cells: &[&str]) {
    let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// One CSV field: quoted when it holds a comma, quote or line break (quotes doubled), and
/// defused against formula injection: a cell a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`.
pub fn csv_field(value: &str) -> String {
    let mut v = String::with_capacity(value.len() + 3);
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.push('\'');
    }
    v.push_str(value);
    if v.contains([',', '"', '\n', '\r', ';']) || v.starts_with(' ') || v.ends_with(' ') {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// A number on the page: one decimal with a decimal comma, "—" when there is none.
fn id_decimal(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}").replace('.', ","))
        .unwrap_or_else(|| "—".to_string())
}

fn id_percent(v: Option<f64>) -> String {
    v.map(|v| format!("{}%", id_decimal(Some(v))))
        .unwrap_or_else(|| "—".to_string())
}

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    bulan: Option<String>,
}

/// One row of the page's table, formatted.
struct Line {
    title: String,
    requests: i64,
    delivered: i64,
    average_hours: String,
    p90_hours: String,
    on_time: String,
    rating: String,
}

impl From<&ServiceFigures> for Line {
    fn from(s: &ServiceFigures) -> Line {
        Line {
            title: s.title.clone(),
            requests: s.requests,
            delivered: s.delivered,
            average_hours: id_decimal(s.average_hours()),
            p90_hours: id_decimal(s.p90_hours()),
            on_time: id_percent(s.on_time_percent()),
            rating: id_decimal(s.average_rating()),
        }
    }
}

struct MonthChoice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard/reports.html")]
struct ReportPage {
    chrome: Chrome,
    month_name: String,
    month_value: String,
    village_name: String,
    in_progress: bool,
    choices: Vec<MonthChoice>,
    lines: Vec<Line>,
    total: Line,
    service_chart: String,
    month_chart: String,
    rating_chart: String,
    /// (rating, count) for 1–5.
    ratings: Vec<(i64, i64)>,
    rating_count: i64,
    rating_average: String,
    complaints: ComplaintFigures,
}

fn village<'a>(state: &'a AppState, officer: &Officer) -> Result<&'a VillageConfig, DashError> {
    state
        .villages()
        .iter()
        .find(|v| v.id == officer.village_id())
        .ok_or_else(|| DashError::Forbidden("Desa Anda tidak lagi dilayani server ini.".into()))
}

/// The month asked for, or the current local month when none is.
fn chosen_month(asked: Option<&str>, current: Month) -> Result<Month, DashError> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(current),
        Some(text) => Month::parse(text).ok_or_else(|| {
            DashError::BadRequest(format!(
                "Bulan \"{}\" tidak dikenal. Tulis bulan sebagai TTTT-BB, misalnya {current}.",
                text.chars().take(20).collect::<String>()
            ))
        }),
    }
}

async fn load(
    state: &AppState,
    officer: &Officer,
    query: &ReportQuery,
) -> Result<(MonthlyReport, Month), DashError> {
    let village = village(state, officer)?;
    let tz = village.time_zone();
    let current = Month::containing(Utc::now().with_timezone(&tz));
    let month = chosen_month(query.bulan.as_deref(), current)?;
    let rows = state
        .store()
        .report_rows(
            officer.village_id(),
            month.minus(CHART_MONTHS - 1).start(tz),
            month.start(tz),
            month.end(tz),
        )
        .await?;
    let report = MonthlyReport::build(state.conversation().catalogue(), month, tz, &rows);
    Ok((report, current))
}

/// `GET /dasbor/laporan?bulan=2026-11`
async fn page(
    State(state): State<AppState>,
    officer: Officer,
    Query(query): Query<ReportQuery>,
) -> Result<Response, DashError> {
    let (report, current) = load(&state, &officer, &query).await?;
    let month = report.month;
    let mut choices: Vec<MonthChoice> = (0..12)
        .map(|i| current.minus(i))
        .map(|m| MonthChoice {
            value: m.to_string(),
            label: m.name(),
            selected: m == month,
        })
        .collect();
    if !choices.iter().any(|c| c.selected) {
        choices.insert(
            0,
            MonthChoice {
                value: month.to_string(),
                label: month.name(),
                selected: true,
            },
        );
    }
    let service_chart = report
        .services
        .iter()
        .filter(|s| s.requests > 0)
        .fold(
            BarChart::horizontal(format!("Permohonan per layanan, {}", month.name()))
                .unit(" permohonan"),
            |chart, s| chart.bar(&s.title, s.requests as f64),
        )
        .render();
    let month_chart = report
        .per_month
        .iter()
        .fold(
            BarChart::vertical(format!(
                "Permohonan per bulan, {} sampai {}",
                report.per_month[0].0.name(),
                month.name()
            ))
            .unit(" permohonan"),
            |chart, (m, n)| chart.bar(m.short_name(), *n as f64),
        )
        .render();
    let rating_chart = if report.total.rating_count > 0 {
        (1..=5)
            .fold(
                BarChart::horizontal(format!("Sebaran nilai dari warga, {}", month.name()))
                    .unit(" warga"),
                |chart, r| chart.bar(format!("Nilai {r}"), report.ratings[r - 1] as f64),
            )
            .render()
    } else {
        String::new()
    };
    let page = ReportPage {
        chrome: Chrome::new(&state, &officer, "laporan"),
        month_name: month.name(),
        month_value: month.to_string(),
        village_name: village(&state, &officer)?.name.clone(),
        in_progress: month >= current,
        choices,
        lines: report.services.iter().map(Line::from).collect(),
        total: Line::from(&report.total),
        service_chart,
        month_chart,
        rating_chart,
        ratings: (1..=5)
            .map(|r| (r, report.ratings[r as usize - 1]))
            .collect(),
        rating_count: report.total.rating_count,
        rating_average: id_decimal(report.total.average_rating()),
        complaints: report.complaints,
    };
    Ok(render(&page))
}

/// `GET /dasbor/laporan.csv?bulan=2026-11`
async fn csv(
    State(state): State<AppState>,
    officer: Officer,
    Query(query): Query<ReportQuery>,
) -> Result<Response, DashError> {
    let (report, _) = load(&state, &officer, &query).await?;
    // Village ids are [a-z0-9_-] (checked at start-up), so the name needs no quoting.
    let disposition = format!(
        "attachment; filename=\"laporan-{}-{}.csv\"",
        officer.village_id(),
        report.month
    );
    let mut response = report.to_csv().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DeliveredRow, SubmittedRow};

    fn wib() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::from(
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc),
        )
    }

    #[test]
    fn percentile_is_nearest_rank() {
        assert_eq!(percentile(&[], 90), None);
        assert_eq!(percentile(&[f64::NAN], 90), None);
        assert_eq!(percentile(&[5.0], 90), Some(5.0));
        assert_eq!(percentile(&[5.0], 0), Some(5.0));
        let ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(percentile(&ten, 90), Some(9.0));
        assert_eq!(percentile(&ten, 50), Some(5.0));
        assert_eq!(percentile(&ten, 100), Some(10.0));
        assert_eq!(percentile(&ten, 91), Some(10.0));
        assert_eq!(percentile(&ten, 0), Some(1.0));
        assert_eq!(percentile(&[10.0, 20.0, 30.0, 40.0], 90), Some(40.0));
        assert_eq!(percentile(&[10.0, 20.0, 30.0, 40.0], 75), Some(30.0));
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 90), Some(3.0));
        // Twenty values: the 18th smallest.
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&twenty, 90), Some(18.0));
        assert_eq!(percentile(&[2.0, f64::INFINITY, 1.0], 90), Some(2.0));
    }

    #[test]
    fn months_parse_strictly_and_count_in_local_time() {
        assert_eq!(Month::parse("2026-11"), Month::new(2026, 11));
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "",
            "abcd-ef",
            "1999-12",
            "+026-11",
            "2026-+1",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        let nov = Month::new(2026, 11).unwrap();
        assert_eq!(nov.to_string(), "2026-11");
        assert_eq!(nov.name(), "November 2026");
        assert_eq!(nov.short_name(), "Nov 2026");
        assert_eq!(nov.minus(11).to_string(), "2025-12");
        assert_eq!(Month::new(2026, 12).unwrap().next().to_string(), "2027-01");
        // Midnight WIB is 17:00 UTC the day before.
        assert_eq!(nov.start(wib()), at("2026-10-31T17:00:00Z"));
        assert_eq!(nov.end(wib()), at("2026-11-30T17:00:00Z"));
        let current = nov;
        assert_eq!(chosen_month(None, current).unwrap(), nov);
        assert_eq!(chosen_month(Some(" "), current).unwrap(), nov);
        assert!(matches!(
            chosen_month(Some("2026-13"), current),
            Err(DashError::BadRequest(_))
        ));
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("SKTM"), "SKTM");
        assert_eq!(csv_field("Domisili, usaha"), "\"Domisili, usaha\"");
        assert_eq!(csv_field("Surat \"Sakti\""), "\"Surat \"\"Sakti\"\"\"");
        assert_eq!(csv_field("dua\nbaris"), "\"dua\nbaris\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("+62812"), "'+62812");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"klik\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"klik\"\")\""
        );
        assert_eq!(csv_field("12.5"), "12.5");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn figures_are_computed_per_service_and_in_total() {
        let catalogue =
            Catalogue::from_toml_str(include_str!("../../config/services.toml")).unwrap();
        let nov = Month::new(2026, 11).unwrap();
        let submitted = |code: &str, t: &str| SubmittedRow {
            service_code: code.into(),
            submitted_at: at(t),
        };
        let delivered = |id: i64, code: &str, hours: i64, due_hours: i64, rating: Option<i64>| {
            let from = at("2026-11-02T01:00:00Z");
            DeliveredRow {
                request_id: id,
                service_code: code.into(),
                submitted_at: from,
                due_at: Some(Timestamp::from(
                    from.as_datetime() + chrono::Duration::hours(due_hours),
                )),
                delivered_at: Timestamp::from(from.as_datetime() + chrono::Duration::hours(hours)),
                rating,
            }
        };
        let rows = ReportRows {
            submitted: vec![
                submitted("skck", "2026-11-02T01:00:00Z"),
                submitted("skck", "2026-11-03T01:00:00Z"),
                // 1 November 05:00 WIB: November, not October.
                submitted("sktm", "2026-10-31T22:00:00Z"),
                submitted("sktm", "2026-10-15T01:00:00Z"),
                submitted("skck", "2026-06-15T01:00:00Z"),
                // Before the chart's six months.
                submitted("skck", "2026-05-15T01:00:00Z"),
                submitted("hapus_lama", "2026-11-20T01:00:00Z"),
            ],
            delivered: vec![
                delivered(1, "skck", 10, 24, Some(5)),
                delivered(2, "skck", 30, 24, Some(4)),
                delivered(3, "sktm", 20, 24, None),
            ],
            complaints: ComplaintFigures {
                received: 2,
                closed: 1,
                open: 3,
            },
        };
        let r = MonthlyReport::build(&catalogue, nov, wib(), &rows);
        let skck = r.services.iter().find(|s| s.code == "skck").unwrap();
        assert_eq!((skck.requests, skck.delivered), (2, 2));
        assert_eq!(skck.average_hours(), Some(20.0));
        assert_eq!(skck.p90_hours(), Some(30.0));
        assert_eq!(skck.on_time_percent(), Some(50.0));
        assert_eq!(skck.average_rating(), Some(4.5));
        let sktm = r.services.iter().find(|s| s.code == "sktm").unwrap();
        assert_eq!((sktm.requests, sktm.delivered), (1, 1));
        assert_eq!(sktm.average_rating(), None);
        // A service no longer in the catalogue is still counted, under its code.
        let old = r.services.last().unwrap();
        assert_eq!((old.title.as_str(), old.requests), ("hapus_lama", 1));
        assert_eq!(r.total.requests, 4);
        assert_eq!(r.total.delivered, 3);
        assert_eq!(r.total.average_hours(), Some(20.0));
        assert_eq!(r.total.p90_hours(), Some(30.0));
        assert_eq!(r.total.on_time, 2);
        assert_eq!(r.ratings, [0, 0, 0, 1, 1]);
        let months: Vec<(String, i64)> = r
            .per_month
            .iter()
            .map(|(m, n)| (m.to_string(), *n))
            .collect();
        assert_eq!(
            months,
            [
                ("2026-06".to_string(), 1),
                ("2026-07".to_string(), 0),
                ("2026-08".to_string(), 0),
                ("2026-09".to_string(), 0),
                ("2026-10".to_string(), 1),
                ("2026-11".to_string(), 4),
            ]
        );
        // Every enabled service has a line, even without requests.
        assert_eq!(r.services.len(), catalogue.enabled().count() + 1);
        let csv = r.to_csv();
        let mut lines = csv.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("layanan,jumlah permohonan,selesai diantar,rata-rata jam,p90 jam,tepat waktu %,rata-rata nilai")
        );
        assert!(
            csv.contains("\r\nPengantar SKCK,2,2,20.0,30.0,50.0,4.5\r\n"),
            "{csv}"
        );
        assert!(
            csv.ends_with("\r\nJumlah,4,3,20.0,30.0,66.7,4.5\r\n"),
            "{csv}"
        );
    }
}
