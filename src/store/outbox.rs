//! The outbox: claiming due messages for sending and recording what came of each attempt.

use sqlx::Row;

use super::{Result, Store, Timestamp, Tx};

/// A claimed outbound message, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedMessage {
    pub id: i64,
    pub village_id: String,
    pub resident_id: Option<i64>,
    pub recipient: String,
    pub kind: String,
    pub purpose: String,
    pub body_json: String,
    pub reply_to: Option<String>,
    /// Including this one.
    pub attempts: i64,
    /// When the recipient last wrote to us (start of the 24-hour window), if known.
    pub last_inbound_at: Option<Timestamp>,
}

/// What happened to one send attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Sent {
        wamid: String,
    },
    /// Done without a message id (a read receipt).
    Done,
    /// Try again at `at`.
    Retry {
        at: Timestamp,
    },
    /// Rewritten as a template (outside the 24-hour window); send again now.
    Template {
        body_json: String,
    },
    Failed,
    /// Sending is paused (credentials broken); the attempt does not count.
    Paused,
}

/// One attempt to record: the message, what came of it and Meta's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub message: ClaimedMessage,
    pub outcome: AttemptOutcome,
    pub http_status: Option<u16>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    /// A message for the village's operators and Sekdes, queued with the record (used when a
    /// message to a resident is given up).
    pub officer_alert: Option<String>,
}

impl AttemptOutcome {
    fn label(&self) -> &'static str {
        match self {
            AttemptOutcome::Sent { .. } | AttemptOutcome::Done => "sent",
            AttemptOutcome::Retry { .. } => "retry",
            AttemptOutcome::Template { .. } => "template",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::Paused => "paused",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub outcome: String,
    pub http_status: Option<i64>,
    pub error_code: Option<i64>,
}

/// Counts for the health panel and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// How many of the oldest due messages a claim looks at. Messages queued behind an earlier
/// unsent one to the same resident are skipped, so the window must be wider than a batch; only a
/// single resident with more than this many messages waiting behind a backing-off one could hold
/// others up, and only until that one is sent.
const CLAIM_WINDOW: i64 = 500;

impl Store {
    /// Claim up to `limit` due messages. A message is due when its time has come and no earlier
    /// message to the same recipient is still unsent, so replies never overtake each other.
    /// On Postgres, rows claimed by another worker are skipped (`for update skip locked`);
    /// SQLite has a single writer, so the claim is atomic as it is.
    pub async fn claim_outbound(
        &self,
        limit: i64,
        lease_secs: i64,
        now: Timestamp,
    ) -> Result<Vec<ClaimedMessage>> {
        let mut tx = self.begin().await?;
        let lock = match tx {
            Tx::Postgres(_) => "for update of o skip locked",
            Tx::Sqlite(..) => "",
        };
        let lease = Timestamp::from(now.as_datetime() + chrono::Duration::seconds(lease_secs));
        // The picked rows are a CTE: Postgres evaluates it (and takes its locks) exactly once.
        // As an `id in (subquery)` it may rescan the subquery, and with SKIP LOCKED each scan
        // returns other rows, claiming more than `limit`.
        let sql = format!(
            "with picked as (
                 select o.id from outbound_message o
                 -- Checked again on the locked row itself: under READ COMMITTED Postgres
                 -- re-evaluates only the locked row's own conditions when another worker
                 -- claimed it meanwhile.
                 where o.status = 'queued' and o.next_attempt_at <= $1
                   and o.id in (
                     -- The oldest due messages first, through the partial index: the cost of a
                     -- claim stays bounded however long the queue is.
                     select q.id from outbound_message q
                     where q.status = 'queued' and q.next_attempt_at <= $1
                     order by q.id limit {CLAIM_WINDOW})
                   and not exists (
                       select 1 from outbound_message p
                       where p.village_id = o.village_id and p.recipient = o.recipient
                         and p.id < o.id and p.status in ('queued', 'sending'))
                 order by o.id limit $2 {lock})
             update outbound_message set status = 'sending', claimed_until = $3,
                 attempts = attempts + 1, updated_at = $1
             from picked
             where outbound_message.id = picked.id and outbound_message.status = 'queued'
             returning outbound_message.id, village_id, resident_id, recipient, kind, purpose,
                 body_json, reply_to, attempts"
        );
        let mut claimed = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(&sql)
                .bind(now)
                .bind(limit)
                .bind(lease)
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(ClaimedMessage {
                        id: r.try_get("id")?,
                        village_id: r.try_get("village_id")?,
                        resident_id: r.try_get("resident_id")?,
                        recipient: r.try_get("recipient")?,
                        kind: r.try_get("kind")?,
                        purpose: r.try_get("purpose")?,
                        body_json: r.try_get("body_json")?,
                        reply_to: r.try_get("reply_to")?,
                        attempts: r.try_get::<i32, _>("attempts").map(i64::from)?,
                        last_inbound_at: None,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        for m in claimed.iter_mut() {
            if let Some(resident) = m.resident_id {
                m.last_inbound_at = on_conn!(&mut tx, |c| sqlx::query(
                    "select last_inbound_at from resident where id = $1"
                )
                .bind(resident)
                .fetch_optional(c)
                .await?
                .map(|r| r.try_get::<Timestamp, _>("last_inbound_at"))
                .transpose()?);
            }
        }
        tx.commit().await?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    /// Return claims whose lease ran out (their worker died mid-send) to the queue. Their send
    /// may or may not have reached Meta, so they may go out twice; the count is reported.
    pub async fn release_expired_claims(&self, now: Timestamp) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let ids = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "update outbound_message set status = 'queued', claimed_until = null, updated_at = $1
                 where status = 'sending' and claimed_until < $1 returning id",
            )
            .bind(now)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| r.try_get::<i64, _>("id"))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(ids)
    }

    /// Return this worker's in-flight claims to the queue (graceful shutdown).
    pub async fn release_claims(&self, ids: &[i64], now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        for id in ids {
            on_conn!(&mut tx, |c| sqlx::query(
                "update outbound_message set status = 'queued', claimed_until = null,
                     attempts = attempts - 1, updated_at = $2
                 where id = $1 and status = 'sending'"
            )
            .bind(id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        }
        tx.commit().await
    }

    /// Record a batch of attempts and move each message accordingly, in one transaction (one
    /// commit for a whole batch of sends).
    pub async fn record_attempts(&self, records: &[AttemptRecord], now: Timestamp) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for r in records {
            tx.record_attempt(r, now).await?;
        }
        tx.commit().await
    }

    /// Make queued messages due now (an operator's "retry now"; also used by tests to skip a
    /// backoff delay). Returns how many were rescheduled.
    pub async fn make_outbound_due(&self, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on_conn!(&mut tx, |c| {
            sqlx::query(
            "update outbound_message set next_attempt_at = $1 where status = 'queued' and next_attempt_at > $1"
        )
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
        });
        tx.commit().await?;
        Ok(n)
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let mut tx = self.begin().await?;
        let counts = on_conn!(&mut tx, |c| {
            let r = sqlx::query(
                "select
                    (select count(*) from outbound_message where status = 'queued') as queued,
                    (select count(*) from outbound_message where status = 'sending') as sending,
                    (select count(*) from outbound_message where status in ('sent', 'delivered', 'read', 'played')) as sent,
                    (select count(*) from outbound_message where status = 'failed') as failed",
            )
            .fetch_one(c)
            .await?;
            OutboxCounts {
                queued: r.try_get("queued")?,
                sending: r.try_get("sending")?,
                sent: r.try_get("sent")?,
                failed: r.try_get("failed")?,
            }
        });
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn attempts_of(&self, outbound_id: i64) -> Result<Vec<AttemptRow>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select outcome, http_status, error_code from outbound_attempt
                 where outbound_id = $1 order by id",
            )
            .bind(outbound_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AttemptRow {
                        outcome: r.try_get("outcome")?,
                        http_status: r.try_get::<Option<i32>, _>("http_status")?.map(i64::from),
                        error_code: r.try_get::<Option<i32>, _>("error_code")?.map(i64::from),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }
}

impl Tx {
    /// Record one attempt and move the message accordingly.
    pub async fn record_attempt(&mut self, r: &AttemptRecord, now: Timestamp) -> Result<()> {
        let message = &r.message;
        let outcome = &r.outcome;
        let http_status = r.http_status;
        let error_code = r.error_code;
        let error_title = r.error_title.as_deref();
        let tx = self;
        on_conn!(&mut *tx, |c| sqlx::query(
            "insert into outbound_attempt (village_id, outbound_id, attempted_at, outcome,
                 http_status, error_code, error_title)
             values ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(&message.village_id)
        .bind(message.id)
        .bind(now)
        .bind(outcome.label())
        .bind(http_status.map(i32::from))
        .bind(error_code.and_then(|c| i32::try_from(c).ok()))
        .bind(error_title)
        .execute(c)
        .await?
        .rows_affected());
        match outcome {
            AttemptOutcome::Sent { wamid } => {
                on_conn!(&mut *tx, |c| sqlx::query(
                    "update outbound_message set claimed_until = null where id = $1"
                )
                .bind(message.id)
                .execute(c)
                .await?
                .rows_affected());
                tx.mark_outbound_sent(message.id, wamid, now).await?;
            }
            AttemptOutcome::Done => {
                on_conn!(&mut *tx, |c| sqlx::query(
                    "update outbound_message set status = 'sent', claimed_until = null,
                         sent_at = $2, updated_at = $2
                     where id = $1"
                )
                .bind(message.id)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
            }
            AttemptOutcome::Retry { at } => {
                on_conn!(&mut *tx, |c| sqlx::query(
                    "update outbound_message set status = 'queued', claimed_until = null,
                         next_attempt_at = $2, error_code = $3, error_title = $4, updated_at = $5
                     where id = $1"
                )
                .bind(message.id)
                .bind(at)
                .bind(error_code.and_then(|c| i32::try_from(c).ok()))
                .bind(error_title)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
            }
            AttemptOutcome::Template { body_json } => {
                on_conn!(&mut *tx, |c| sqlx::query(
                    "update outbound_message set status = 'queued', claimed_until = null,
                         kind = 'template', body_json = $2, next_attempt_at = $3, updated_at = $3
                     where id = $1"
                )
                .bind(message.id)
                .bind(body_json)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
            }
            AttemptOutcome::Failed => {
                // Only from our own claim: recording the same batch twice (a commit whose
                // answer was lost) must not alert the officers twice.
                let changed = on_conn!(&mut *tx, |c| sqlx::query(
                    "update outbound_message set status = 'failed', claimed_until = null,
                         failed_at = $2, updated_at = $2, error_code = $3, error_title = $4
                     where id = $1 and status = 'sending'"
                )
                .bind(message.id)
                .bind(now)
                .bind(error_code.and_then(|c| i32::try_from(c).ok()))
                .bind(error_title)
                .execute(c)
                .await?
                .rows_affected());
                if let (1, Some(alert)) = (changed, &r.officer_alert) {
                    tx.alert_officers(&message.village_id, alert, now).await?;
                }
            }
            AttemptOutcome::Paused => {
                on_conn!(&mut *tx, |c| sqlx::query(
                    "update outbound_message set status = 'queued', claimed_until = null,
                         attempts = attempts - 1, updated_at = $2
                     where id = $1"
                )
                .bind(message.id)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
            }
        }
        Ok(())
    }

    /// Queue a message with its purpose and the message it replies to.
    #[allow(clippy::too_many_arguments)]
    pub async fn enqueue(
        &mut self,
        village_id: &str,
        resident_id: Option<i64>,
        recipient: &str,
        kind: &str,
        purpose: &str,
        body_json: &str,
        reply_to: Option<&str>,
        now: Timestamp,
    ) -> Result<i64> {
        let id = on_conn!(self, |c| sqlx::query(
            "insert into outbound_message (village_id, resident_id, recipient, kind, purpose,
                 body_json, reply_to, status, next_attempt_at, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $8) returning id"
        )
        .bind(village_id)
        .bind(resident_id)
        .bind(recipient)
        .bind(kind)
        .bind(purpose)
        .bind(body_json)
        .bind(reply_to)
        .bind(now)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?);
        Ok(id)
    }

    /// Queue a text for every active operator and Sekretaris Desa of the village (officers are
    /// managed per village; with none configured the alert is only logged).
    pub async fn alert_officers(
        &mut self,
        village_id: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<usize> {
        let recipients = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select coalesce(wa_id, user_id) as recipient, roles from officer
                 where village_id = $1 and active = $2 and coalesce(wa_id, user_id) is not null",
            )
            .bind(village_id)
            .bind(true)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<String, _>("recipient")?,
                        r.try_get::<String, _>("roles")?,
                    ))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let body = serde_json::json!({ "kind": "text", "body": text }).to_string();
        let mut sent = 0;
        for (recipient, roles) in recipients {
            let concerned = roles
                .split(',')
                .map(str::trim)
                .any(|r| r == "operator" || r == "sekdes");
            if concerned {
                self.enqueue(
                    village_id,
                    None,
                    &recipient,
                    "text",
                    "officer_alert",
                    &body,
                    None,
                    now,
                )
                .await?;
                sent += 1;
            }
        }
        if sent == 0 {
            tracing::error!(village = %village_id, "no active operator or Sekdes to alert about a failed message");
        }
        Ok(sent)
    }

    /// Queue several messages to one recipient in one statement, in the given order (ids are
    /// assigned in VALUES order, which the per-recipient send order follows).
    #[allow(clippy::too_many_arguments)]
    pub async fn enqueue_many(
        &mut self,
        village_id: &str,
        resident_id: Option<i64>,
        recipient: &str,
        messages: &[(&str, &str, String)],
        now: Timestamp,
    ) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let mut sql = String::from(
            "insert into outbound_message (village_id, resident_id, recipient, kind, purpose,
                 body_json, status, next_attempt_at, created_at, updated_at) values ",
        );
        for i in 0..messages.len() {
            let base = 5 + i * 3;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "($1, $2, $3, ${}, ${}, ${}, 'queued', $4, $4, $4)",
                base,
                base + 1,
                base + 2
            ));
        }
        on_conn!(self, |c| {
            let mut q = sqlx::query(&sql)
                .bind(village_id)
                .bind(resident_id)
                .bind(recipient)
                .bind(now);
            for (kind, purpose, body) in messages {
                q = q.bind(*kind).bind(*purpose).bind(body.as_str());
            }
            q.execute(c).await?.rows_affected()
        });
        Ok(())
    }

    /// A message Meta refused after the fact with 131047 (outside the 24-hour window): queue
    /// the same content again, to be sent as the template for its purpose, right away.
    pub(super) async fn resend_as_template(
        &mut self,
        village_id: &str,
        wamid: &str,
        now: Timestamp,
    ) -> Result<()> {
        let row = on_conn!(self, |c| sqlx::query(
            "select resident_id, recipient, kind, purpose, body_json from outbound_message
             where village_id = $1 and wamid = $2"
        )
        .bind(village_id)
        .bind(wamid)
        .fetch_optional(c)
        .await?
        .map(|r| -> Result<_, sqlx::Error> {
            Ok((
                r.try_get::<Option<i64>, _>("resident_id")?,
                r.try_get::<String, _>("recipient")?,
                r.try_get::<String, _>("kind")?,
                r.try_get::<String, _>("purpose")?,
                r.try_get::<String, _>("body_json")?,
            ))
        })
        .transpose()?);
        if let Some((resident_id, recipient, kind, purpose, body)) = row {
            // Officer alerts too: an officer who has not written lately is outside the window
            // as well. No loop: the resend becomes a template before it is sent.
            if kind != "template" && kind != "mark_read" {
                self.enqueue(
                    village_id,
                    resident_id,
                    &recipient,
                    "template_resend",
                    &purpose,
                    &body,
                    None,
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }
}
