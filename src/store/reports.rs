//! What the monthly report and the health panel read. Every query is filtered by village. The
//! figures themselves (averages, percentiles, on-time shares) are computed in Rust from these
//! rows, so both backends give exactly the same answer.

use sqlx::Row;

use super::{Result, Store, Timestamp};

/// A request submitted in the report's period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedRow {
    pub service_code: String,
    pub submitted_at: Timestamp,
}

/// A request that reached `diterima` (the resident has the letter) in the report's period:
/// its first `diterima` entry in the status history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredRow {
    pub request_id: i64,
    pub service_code: String,
    pub submitted_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub delivered_at: Timestamp,
    /// The resident's rating (1–5), when given.
    pub rating: Option<i64>,
}

/// Complaints of a period: received in it, closed in it, and still open at its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComplaintFigures {
    pub received: i64,
    pub closed: i64,
    pub open: i64,
}

/// Everything the monthly report is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRows {
    /// Requests submitted from `submitted_from` to the end of the period (the chart of the
    /// last months needs more than the period itself).
    pub submitted: Vec<SubmittedRow>,
    pub delivered: Vec<DeliveredRow>,
    pub complaints: ComplaintFigures,
}

/// A village's messaging health, for the settings page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VillageHealth {
    /// Outbound messages waiting to be sent.
    pub queued: i64,
    /// Outbound messages claimed by a worker right now.
    pub sending: i64,
    /// Outbound messages that failed since the given time.
    pub failed_recently: i64,
    /// The last message, status callback or other webhook stored for the village.
    pub last_webhook_at: Option<Timestamp>,
    /// The last outbound message Meta (or the sandbox) accepted.
    pub last_sent_at: Option<Timestamp>,
}

impl Store {
    /// The rows of a village's report for `from` ≤ t < `to`; submissions from `submitted_from`
    /// (≤ `from`). Read in one transaction, so the figures agree with each other.
    pub async fn report_rows(
        &self,
        village_id: &str,
        submitted_from: Timestamp,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<ReportRows> {
        let mut tx = self.begin().await?;
        let submitted = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select service_code, submitted_at from service_request
                 where village_id = $1 and submitted_at >= $2 and submitted_at < $3
                 order by submitted_at, id",
            )
            .bind(village_id)
            .bind(submitted_from)
            .bind(to)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(SubmittedRow {
                        service_code: r.try_get("service_code")?,
                        submitted_at: r.try_get("submitted_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        // The first `diterima` of each request, when it falls in the period (a request reaches
        // it once in the lifecycle; the `not exists` keeps a repeated entry from counting twice).
        let delivered = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select r.id, r.service_code, r.submitted_at, r.due_at, r.rating,
                        h.created_at as delivered_at
                 from request_status_history h
                 join service_request r on r.id = h.request_id and r.village_id = h.village_id
                 where h.village_id = $1 and h.to_state = 'diterima'
                   and h.created_at >= $2 and h.created_at < $3
                   and not exists (
                       select 1 from request_status_history e
                       where e.request_id = h.request_id and e.to_state = 'diterima'
                         and (e.created_at < h.created_at
                              or (e.created_at = h.created_at and e.id < h.id)))
                 order by h.created_at, r.id",
            )
            .bind(village_id)
            .bind(from)
            .bind(to)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(DeliveredRow {
                        request_id: r.try_get("id")?,
                        service_code: r.try_get("service_code")?,
                        submitted_at: r.try_get("submitted_at")?,
                        due_at: r.try_get("due_at")?,
                        delivered_at: r.try_get("delivered_at")?,
                        rating: r.try_get::<Option<i32>, _>("rating")?.map(i64::from),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let complaints = on_conn!(&mut tx, |c| {
            let r = sqlx::query(
                "select
                    (select count(*) from complaint where village_id = $1
                        and created_at >= $2 and created_at < $3) as received,
                    (select count(*) from complaint where village_id = $1
                        and closed_at >= $2 and closed_at < $3) as closed,
                    (select count(*) from complaint where village_id = $1
                        and created_at < $3 and (closed_at is null or closed_at >= $3)) as still_open",
            )
            .bind(village_id)
            .bind(from)
            .bind(to)
            .fetch_one(c)
            .await?;
            ComplaintFigures {
                received: r.try_get("received")?,
                closed: r.try_get("closed")?,
                open: r.try_get("still_open")?,
            }
        });
        tx.commit().await?;
        Ok(ReportRows {
            submitted,
            delivered,
            complaints,
        })
    }

    /// The village's outbox backlog, failures since `failed_since`, and when the last webhook
    /// arrived and the last message went out.
    pub async fn village_health(
        &self,
        village_id: &str,
        failed_since: Timestamp,
    ) -> Result<VillageHealth> {
        let mut tx = self.begin().await?;
        let mut health = on_conn!(&mut tx, |c| {
            let r = sqlx::query(
                "select
                    (select count(*) from outbound_message
                        where village_id = $1 and status = 'queued') as queued,
                    (select count(*) from outbound_message
                        where village_id = $1 and status = 'sending') as sending,
                    (select count(*) from outbound_message
                        where village_id = $1 and status = 'failed' and updated_at >= $2) as failed",
            )
            .bind(village_id)
            .bind(failed_since)
            .fetch_one(c)
            .await?;
            VillageHealth {
                queued: r.try_get("queued")?,
                sending: r.try_get("sending")?,
                failed_recently: r.try_get("failed")?,
                last_webhook_at: None,
                last_sent_at: None,
            }
        });
        // A webhook leaves a message, a status callback or (for other fields) an event row.
        for sql in [
            "select received_at as at from inbound_message where village_id = $1
             order by received_at desc limit 1",
            "select received_at as at from message_status_event where village_id = $1
             order by received_at desc limit 1",
            "select received_at as at from webhook_event where village_id = $1
             order by received_at desc limit 1",
        ] {
            let at = on_conn!(&mut tx, |c| sqlx::query(sql)
                .bind(village_id)
                .fetch_optional(c)
                .await?
                .map(|r| r.try_get::<Timestamp, _>("at"))
                .transpose()?);
            health.last_webhook_at = health.last_webhook_at.max(at);
        }
        health.last_sent_at = on_conn!(&mut tx, |c| sqlx::query(
            "select sent_at from outbound_message where village_id = $1 and sent_at is not null
             order by sent_at desc limit 1"
        )
        .bind(village_id)
        .fetch_optional(c)
        .await?
        .map(|r| r.try_get::<Timestamp, _>("sent_at"))
        .transpose()?);
        tx.commit().await?;
        Ok(health)
    }
}
