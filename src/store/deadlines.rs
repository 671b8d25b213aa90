//! What the deadline checker reads and changes: overdue requests and their escalation level,
//! deliveries the resident has not confirmed, once-a-day village jobs, and the figures of the
//! morning summary. Every query filters by village; every change is conditional on the row
//! still being as it was read, so two server instances never act twice on the same thing.

use sqlx::Row;

use super::{Result, Timestamp, Tx};

/// An overdue request that has not yet reached the escalation level now due.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueRequest {
    pub id: i64,
    pub ticket_code: String,
    pub service_code: String,
    pub state: String,
    pub assigned_officer_id: Option<i64>,
    pub assigned_name: Option<String>,
    pub due_at: Timestamp,
    pub escalation_level: i64,
}

/// A delivery handed over but neither confirmed by the resident nor reported yet.
#[derive(Debug, Clone, PartialEq)]
pub struct UnconfirmedDelivery {
    pub delivery_id: i64,
    pub request_id: i64,
    pub ticket_code: String,
    pub service_code: String,
    pub courier_name: Option<String>,
    pub delivered_at: Timestamp,
}

/// A village's figures over one local day (`from` ≤ t < `to`), and its open complaints now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayFigures {
    /// Requests that reached `diterima` in the period.
    pub received: i64,
    /// Ratings of the requests closed in the period: how many, and their sum.
    pub ratings: i64,
    pub rating_sum: i64,
    /// Complaints not closed (state other than `selesai`).
    pub open_complaints: i64,
}

/// `$start, $start+1, …` for `n` bound values.
fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tx {
    /// Requests in one of `states` whose due escalation level is above their current one:
    /// level 1 is due at `due_at` (`level1_before` = now), level 2 a step later (`level2_before`
    /// = now − step), level 3 two steps later. Earliest deadline first, at most `limit`.
    #[allow(clippy::too_many_arguments)]
    pub async fn requests_to_escalate(
        &mut self,
        village_id: &str,
        states: &[&str],
        level1_before: Timestamp,
        level2_before: Timestamp,
        level3_before: Timestamp,
        limit: i64,
    ) -> Result<Vec<OverdueRequest>> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "select r.id, r.ticket_code, r.service_code, r.state, r.assigned_officer_id,
                    a.name as assigned_name, r.due_at, r.escalation_level
             from service_request r left join officer a on a.id = r.assigned_officer_id
             where r.village_id = $1 and r.due_at is not null and r.state in ({})
               and ((r.escalation_level < 1 and r.due_at <= $2)
                 or (r.escalation_level < 2 and r.due_at <= $3)
                 or (r.escalation_level < 3 and r.due_at <= $4))
             order by r.due_at, r.id limit $5",
            placeholders(6, states.len())
        );
        let rows = on_conn!(self, |c| {
            let mut q = sqlx::query(&sql)
                .bind(village_id)
                .bind(level1_before)
                .bind(level2_before)
                .bind(level3_before)
                .bind(limit);
            for s in states {
                q = q.bind(*s);
            }
            q.fetch_all(c)
                .await?
                .iter()
                .map(|r| {
                    Ok(OverdueRequest {
                        id: r.try_get("id")?,
                        ticket_code: r.try_get("ticket_code")?,
                        service_code: r.try_get("service_code")?,
                        state: r.try_get("state")?,
                        assigned_officer_id: r.try_get("assigned_officer_id")?,
                        assigned_name: r.try_get("assigned_name")?,
                        due_at: r.try_get("due_at")?,
                        escalation_level: r.try_get::<i32, _>("escalation_level").map(i64::from)?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Raise a request's escalation level from `from` to `to`, only if it is still at `from` and
    /// still in `state`. Returns whether this call changed it (only then may the caller alert).
    pub async fn raise_escalation(
        &mut self,
        village_id: &str,
        request_id: i64,
        state: &str,
        from: i64,
        to: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_conn!(self, |c| sqlx::query(
            "update service_request set escalation_level = $3, escalated_at = $4
             where village_id = $1 and id = $2 and escalation_level = $5 and state = $6"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(to as i32)
        .bind(now)
        .bind(from as i32)
        .bind(state)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Deliveries handed over at or before `delivered_before`, unanswered and not reported,
    /// whose request is still out for delivery. Oldest first, at most `limit`.
    pub async fn unconfirmed_deliveries(
        &mut self,
        village_id: &str,
        delivered_before: Timestamp,
        limit: i64,
    ) -> Result<Vec<UnconfirmedDelivery>> {
        let rows = on_conn!(self, |c| {
            sqlx::query(
                "select d.id, d.request_id, r.ticket_code, r.service_code, d.delivered_at,
                        k.name as courier_name
                 from delivery d
                 join service_request r on r.id = d.request_id and r.village_id = d.village_id
                 left join officer k on k.id = d.courier_officer_id
                 where d.village_id = $1 and d.confirmation is null and d.alerted_at is null
                   and d.delivered_at is not null and d.delivered_at <= $2
                   and r.state = 'diantar'
                 order by d.delivered_at, d.id limit $3",
            )
            .bind(village_id)
            .bind(delivered_before)
            .bind(limit)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok(UnconfirmedDelivery {
                    delivery_id: r.try_get("id")?,
                    request_id: r.try_get("request_id")?,
                    ticket_code: r.try_get("ticket_code")?,
                    service_code: r.try_get("service_code")?,
                    courier_name: r.try_get("courier_name")?,
                    delivered_at: r.try_get("delivered_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Record that the Sekdes was told about a delivery, only if nobody did yet and the
    /// resident still has not answered. Returns whether this call recorded it.
    pub async fn mark_delivery_alerted(
        &mut self,
        village_id: &str,
        delivery_id: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_conn!(self, |c| sqlx::query(
            "update delivery set alerted_at = $3
             where village_id = $1 and id = $2 and alerted_at is null and confirmation is null"
        )
        .bind(village_id)
        .bind(delivery_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Claim a once-a-day job of a village for `local_date` (`YYYY-MM-DD`): true only for the
    /// first caller that date (a later date than the one recorded). Concurrent callers on
    /// Postgres wait for the first one's transaction and then find the date taken.
    pub async fn claim_village_job(
        &mut self,
        village_id: &str,
        name: &str,
        local_date: &str,
    ) -> Result<bool> {
        let n = on_conn!(self, |c| sqlx::query(
            "insert into village_job (village_id, name, last_run) values ($1, $2, $3)
             on conflict (village_id, name) do update set last_run = excluded.last_run
             where village_job.last_run < excluded.last_run"
        )
        .bind(village_id)
        .bind(name)
        .bind(local_date)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// The local date a village job last ran for, if ever.
    pub async fn village_job_last_run(
        &mut self,
        village_id: &str,
        name: &str,
    ) -> Result<Option<String>> {
        let last = on_conn!(self, |c| sqlx::query(
            "select last_run from village_job where village_id = $1 and name = $2"
        )
        .bind(village_id)
        .bind(name)
        .fetch_optional(c)
        .await?
        .map(|r| r.try_get::<String, _>("last_run"))
        .transpose()?);
        Ok(last)
    }

    /// Requests in one of `states` (the open ones), counted by state.
    pub async fn request_counts(
        &mut self,
        village_id: &str,
        states: &[&str],
    ) -> Result<Vec<(String, i64)>> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "select state, count(*) as n from service_request
             where village_id = $1 and state in ({})
             group by state order by state",
            placeholders(2, states.len())
        );
        let rows = on_conn!(self, |c| {
            let mut q = sqlx::query(&sql).bind(village_id);
            for s in states {
                q = q.bind(*s);
            }
            q.fetch_all(c)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Requests in one of `states` whose deadline is at or before `now`: how many in all, and
    /// the first `limit` (earliest deadline first) as (ticket code, service code).
    pub async fn overdue_requests(
        &mut self,
        village_id: &str,
        states: &[&str],
        now: Timestamp,
        limit: i64,
    ) -> Result<(i64, Vec<(String, String)>)> {
        if states.is_empty() {
            return Ok((0, Vec::new()));
        }
        let filter = format!(
            "from service_request where village_id = $1 and due_at is not null and due_at <= $2
               and state in ({})",
            placeholders(3, states.len())
        );
        let count_sql = format!("select count(*) as n {filter}");
        let list_sql = format!(
            "select ticket_code, service_code {filter} order by due_at, id limit ${}",
            3 + states.len()
        );
        let (total, list) = on_conn!(self, |c| {
            let mut q = sqlx::query(&count_sql).bind(village_id).bind(now);
            for s in states {
                q = q.bind(*s);
            }
            let total: i64 = q.fetch_one(&mut *c).await?.try_get("n")?;
            let mut q = sqlx::query(&list_sql).bind(village_id).bind(now);
            for s in states {
                q = q.bind(*s);
            }
            let list = q
                .bind(limit)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("ticket_code")?, r.try_get("service_code")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            (total, list)
        });
        Ok((total, list))
    }

    /// What happened in a village between `from` and `to`: requests received by their
    /// residents, ratings of requests closed; and the complaints open now.
    pub async fn day_figures(
        &mut self,
        village_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<DayFigures> {
        let figures = on_conn!(self, |c| {
            let r = sqlx::query(
                "select
                   (select count(distinct h.request_id) from request_status_history h
                     where h.village_id = $1 and h.to_state = 'diterima'
                       and h.created_at >= $2 and h.created_at < $3) as received,
                   (select count(r.rating) from service_request r
                     where r.village_id = $1 and r.rating is not null
                       and r.closed_at >= $2 and r.closed_at < $3) as ratings,
                   (select coalesce(sum(r.rating), 0) from service_request r
                     where r.village_id = $1 and r.rating is not null
                       and r.closed_at >= $2 and r.closed_at < $3) as rating_sum,
                   (select count(*) from complaint k
                     where k.village_id = $1 and k.state <> 'selesai') as open_complaints",
            )
            .bind(village_id)
            .bind(from)
            .bind(to)
            .fetch_one(c)
            .await?;
            DayFigures {
                received: r.try_get("received")?,
                ratings: r.try_get("ratings")?,
                rating_sum: r.try_get("rating_sum")?,
                open_complaints: r.try_get("open_complaints")?,
            }
        });
        Ok(figures)
    }
}
