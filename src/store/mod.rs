//! Storage: one interface, two backends (PostgreSQL in production, embedded SQLite by default).
//!
//! [`Store`] owns the pool; [`Tx`] is a transaction on it. The SQL is written once and run on
//! either backend: both accept `$1` placeholders, `on conflict` and `returning`, and the
//! [`on_conn!`] macro instantiates each query body once per backend so it is type-checked against
//! both drivers. Where the dialects really differ the code says so with an explicit `match`.
//!
//! Every query filters by `village_id`: one village's data never leaks into another's.

mod backend;
mod time;

pub use time::Timestamp;

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{Postgres, Row, Sqlite};

use crate::config::{DatabaseSettings, Settings, VillageConfig};

/// Run `$body` with `$c` bound to the transaction's connection, once per backend.
macro_rules! on_conn {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Postgres($c) => {
                let $c: &mut sqlx::PgConnection = &mut *$c;
                $body
            }
            $crate::store::Tx::Sqlite($c, _) => {
                let $c: &mut sqlx::SqliteConnection = &mut *$c;
                $body
            }
        }
    };
}

mod dashboard;
mod deadlines;
mod inspect;
mod letters;
mod media;
pub mod officers;
mod outbox;
mod reports;
mod requests;
mod sessions;
mod work;
pub use dashboard::{ChatMessage, ComplaintItem, QueueItem};
pub use deadlines::{DayFigures, OverdueRequest, UnconfirmedDelivery};
pub use inspect::{AttachmentView, ComplaintView, RequestView};
pub use letters::{LetterRow, NewLetter};
pub use media::{AttachmentFile, PendingMedia, MAX_DOWNLOAD_ATTEMPTS};
pub use outbox::{AttemptOutcome, AttemptRecord, AttemptRow, ClaimedMessage, OutboxCounts};
pub use reports::{ComplaintFigures, DeliveredRow, ReportRows, SubmittedRow, VillageHealth};
pub use requests::{
    ConversationRow, HistoryRow, NewAttachment, NewRequest, PendingSave, Relay, RequestRow,
    SenderOfficer, CLOSED_STATES,
};
pub use sessions::{LoginOfficer, SessionOfficer};
pub use work::{
    About, AttachmentBrief, Audit, AuditRow, ComplaintDetail, DeliveryRow, OfficerBrief, QueueRow,
    RequestDetail,
};

/// What went wrong in the database, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is too busy right now; the caller should answer so
    /// that the work is retried later (503 to Meta).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Setup(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            StoreError::Unavailable(e)
        } else {
            StoreError::Database(e)
        }
    }
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// A deadlock or serialization failure (PostgreSQL 40P01, 40001): this transaction lost to
    /// another one; the same work done again, in a transaction of its own, will succeed.
    pub fn is_conflict(&self) -> bool {
        match self {
            StoreError::Unavailable(sqlx::Error::Database(db))
            | StoreError::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40P01" | "40001"))
            }
            _ => false,
        }
    }
}

/// Errors that say "not now" rather than "never": lost connections, pool exhaustion, a locked
/// SQLite file, a Postgres server shutting down or refusing connections.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED (and their extended codes, low byte).
            // Only for SQLite errors: Postgres codes such as 22021 would match by accident.
            let sqlite_busy = db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                && code
                    .parse::<i32>()
                    .map(|c| matches!(c & 0xff, 5 | 6))
                    .unwrap_or(false);
            // Postgres: class 08 connection exception, 57P0x shutdown/cannot connect now,
            // 53300 too many connections, 40001/40P01 serialization failure/deadlock.
            // 57014 statement timeout, 55P03 lock timeout, 25P03 idle-in-transaction timeout:
            // contention, not bad data.
            sqlite_busy
                || code == "57014"
                || code == "55P03"
                || code == "25P03"
                || code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                || code == "40001"
                || code == "40P01"
        }
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Store {
    inner: Arc<backend::Backend>,
}

/// A transaction. Dropping it without [`Tx::commit`] rolls it back.
pub enum Tx {
    Postgres(sqlx::Transaction<'static, Postgres>),
    /// SQLite has one writer at a time; the guard serialises this process's writers so they
    /// queue fairly instead of polling on SQLITE_BUSY.
    Sqlite(
        sqlx::Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
}

/// Who sent an inbound message: the WhatsApp id when Meta gives one, else the business-scoped
/// user id (BSUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderKey {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ResidentUpsert<'a> {
    pub village_id: &'a str,
    pub sender: &'a SenderKey,
    pub profile_name: Option<&'a str>,
    pub username: Option<&'a str>,
    pub seen_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    pub village_id: &'a str,
    pub wamid: &'a str,
    pub resident_id: Option<i64>,
    pub kind: &'a str,
    pub body: Option<&'a str>,
    pub reply_id: Option<&'a str>,
    pub media_id: Option<&'a str>,
    pub media_mime: Option<&'a str>,
    pub media_sha256: Option<&'a str>,
    pub context_wamid: Option<&'a str>,
    pub forwarded: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub raw_json: &'a str,
    pub sent_at: Timestamp,
    pub received_at: Timestamp,
    /// Set when the message is answered in the same transaction that stores it.
    pub handled_at: Option<Timestamp>,
}

/// What [`Tx::store_inbound`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredInbound {
    /// The sender's resident row, when Meta said who sent the message.
    pub resident_id: Option<i64>,
    /// The resident row was inserted by this transaction (their first message).
    pub new_resident: bool,
    /// The message's id when it is new; `None` for a redelivery.
    pub inbound_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewStatusEvent<'a> {
    pub village_id: &'a str,
    pub wamid: &'a str,
    pub status: &'a str,
    pub status_at: Timestamp,
    pub recipient: Option<&'a str>,
    pub error_code: Option<i64>,
    pub error_title: Option<&'a str>,
    pub raw_json: &'a str,
    pub received_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewWebhookEvent<'a> {
    pub village_id: Option<&'a str>,
    pub reason: &'a str,
    pub field: &'a str,
    pub phone_number_id: Option<&'a str>,
    pub raw_json: &'a str,
    pub received_at: Timestamp,
}

/// A stored inbound message, as later features read it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundRow {
    pub id: i64,
    pub village_id: String,
    pub wamid: String,
    pub resident_id: Option<i64>,
    pub kind: String,
    pub body: Option<String>,
    pub reply_id: Option<String>,
    pub media_id: Option<String>,
    pub media_mime: Option<String>,
    pub context_wamid: Option<String>,
    pub forwarded: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub raw_json: String,
    pub sent_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResidentRow {
    pub id: i64,
    pub village_id: String,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub profile_name: Option<String>,
    pub last_inbound_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRow {
    pub id: i64,
    pub village_id: String,
    pub recipient: String,
    pub kind: String,
    pub body_json: String,
    pub attempts: i64,
    pub status: String,
    pub wamid: Option<String>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEventRow {
    pub village_id: Option<String>,
    pub reason: String,
    pub field: String,
    pub phone_number_id: Option<String>,
    pub raw_json: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterRow {
    pub id: i64,
    pub body: Vec<u8>,
    pub error: String,
}

/// Row counts of the main tables, for tests and the health panel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub residents: i64,
    pub inbound: i64,
    pub status_events: i64,
    pub webhook_events: i64,
    pub dead_letters: i64,
}

impl Store {
    /// Open the database named in the settings (creating an SQLite file and its folder if
    /// needed) and apply the embedded migrations.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self> {
        let backend = backend::Backend::connect(settings).await?;
        let store = Store {
            inner: Arc::new(backend),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Open without migrating (for `kentongan migrate`, which reports what it applied).
    pub async fn connect_only(settings: &DatabaseSettings) -> Result<Self> {
        Ok(Store {
            inner: Arc::new(backend::Backend::connect(settings).await?),
        })
    }

    pub async fn migrate(&self) -> Result<()> {
        self.inner.migrate().await
    }

    pub fn backend_name(&self) -> &'static str {
        self.inner.name()
    }

    pub async fn begin(&self) -> Result<Tx> {
        self.inner.begin().await
    }

    pub async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }

    pub async fn close(&self) {
        self.inner.close().await
    }

    /// Make the `village` table match the configuration (villages are configured, not created
    /// through the application).
    pub async fn sync_villages(&self, villages: &[VillageConfig]) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = Timestamp::now();
        for v in villages {
            let number = Settings::routing_number(v);
            on_conn!(&mut tx, |c| {
                sqlx::query(
                "insert into village (id, name, phone_number_id, ticket_prefix, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $5)
                 on conflict (id) do update set name = excluded.name,
                     phone_number_id = excluded.phone_number_id,
                     ticket_prefix = excluded.ticket_prefix, updated_at = excluded.updated_at"
            )
            .bind(&v.id)
            .bind(&v.name)
            .bind(&number)
            .bind(&v.ticket_prefix)
            .bind(now)
            .execute(c)
            .await
            .map_err(|e| StoreError::Setup(format!(
                "cannot record village {:?} (phone_number_id {number}): {e}; is that number or ticket prefix used by another village in this database?",
                v.id
            )))?
            .rows_affected()
            });
        }
        tx.commit().await
    }

    /// Keep a correctly signed payload that could not be parsed, whole, with the reason.
    pub async fn insert_dead_letter(&self, body: &[u8], error: &str) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = tx.insert_dead_letter(body, error, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query("select id, body, error from dead_letter order by id")
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(DeadLetterRow {
                        id: r.try_get("id")?,
                        body: r.try_get("body")?,
                        error: r.try_get("error")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn counts(&self) -> Result<Counts> {
        let mut tx = self.begin().await?;
        let counts = on_conn!(&mut tx, |c| {
            let row = sqlx::query(
                "select (select count(*) from resident) as residents,
                        (select count(*) from inbound_message) as inbound,
                        (select count(*) from message_status_event) as status_events,
                        (select count(*) from webhook_event) as webhook_events,
                        (select count(*) from dead_letter) as dead_letters",
            )
            .fetch_one(c)
            .await?;
            Counts {
                residents: row.try_get("residents")?,
                inbound: row.try_get("inbound")?,
                status_events: row.try_get("status_events")?,
                webhook_events: row.try_get("webhook_events")?,
                dead_letters: row.try_get("dead_letters")?,
            }
        });
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn inbound_by_wamid(
        &self,
        village_id: &str,
        wamid: &str,
    ) -> Result<Option<InboundRow>> {
        let mut tx = self.begin().await?;
        let row = on_conn!(&mut tx, |c| {
            let row = sqlx::query(
                "select id, village_id, wamid, resident_id, kind, body, reply_id, media_id,
                        media_mime, context_wamid, forwarded, latitude, longitude, raw_json, sent_at
                 from inbound_message where village_id = $1 and wamid = $2",
            )
            .bind(village_id)
            .bind(wamid)
            .fetch_optional(c)
            .await?;
            match row {
                None => None,
                Some(r) => Some(InboundRow {
                    id: r.try_get("id")?,
                    village_id: r.try_get("village_id")?,
                    wamid: r.try_get("wamid")?,
                    resident_id: r.try_get("resident_id")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    reply_id: r.try_get("reply_id")?,
                    media_id: r.try_get("media_id")?,
                    media_mime: r.try_get("media_mime")?,
                    context_wamid: r.try_get("context_wamid")?,
                    forwarded: r.try_get("forwarded")?,
                    latitude: r.try_get("latitude")?,
                    longitude: r.try_get("longitude")?,
                    raw_json: r.try_get("raw_json")?,
                    sent_at: r.try_get("sent_at")?,
                }),
            }
        });
        tx.commit().await?;
        Ok(row)
    }

    pub async fn residents(&self, village_id: &str) -> Result<Vec<ResidentRow>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select id, village_id, wa_id, user_id, username, profile_name, last_inbound_at
                 from resident where village_id = $1 order by id",
            )
            .bind(village_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ResidentRow {
                        id: r.try_get("id")?,
                        village_id: r.try_get("village_id")?,
                        wa_id: r.try_get("wa_id")?,
                        user_id: r.try_get("user_id")?,
                        username: r.try_get("username")?,
                        profile_name: r.try_get("profile_name")?,
                        last_inbound_at: r.try_get("last_inbound_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn webhook_events(&self) -> Result<Vec<WebhookEventRow>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select village_id, reason, field, phone_number_id, raw_json
                 from webhook_event order by id",
            )
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(WebhookEventRow {
                        village_id: r.try_get("village_id")?,
                        reason: r.try_get("reason")?,
                        field: r.try_get("field")?,
                        phone_number_id: r.try_get("phone_number_id")?,
                        raw_json: r.try_get("raw_json")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn outbound(&self, id: i64) -> Result<Option<OutboundRow>> {
        let mut tx = self.begin().await?;
        let row = on_conn!(&mut tx, |c| {
            let row = sqlx::query(
                "select id, village_id, recipient, kind, body_json, attempts, status, wamid,
                        error_code, error_title
                 from outbound_message where id = $1",
            )
            .bind(id)
            .fetch_optional(c)
            .await?;
            match row {
                None => None,
                Some(r) => Some(OutboundRow {
                    id: r.try_get("id")?,
                    village_id: r.try_get("village_id")?,
                    recipient: r.try_get("recipient")?,
                    kind: r.try_get("kind")?,
                    body_json: r.try_get("body_json")?,
                    attempts: r.try_get::<i32, _>("attempts").map(i64::from)?,
                    status: r.try_get("status")?,
                    wamid: r.try_get("wamid")?,
                    error_code: r.try_get::<Option<i32>, _>("error_code")?.map(i64::from),
                    error_title: r.try_get("error_title")?,
                }),
            }
        });
        tx.commit().await?;
        Ok(row)
    }
}

/// The refresh of a resident's row by a message seen at `$seen` carrying `$profile` and
/// `$username`: profile fields only move forward (an older, redelivered message must not
/// overwrite a newer name), and the 24-hour window starts at the newest message.
macro_rules! refresh_profile_sql {
    ($seen:literal, $profile:literal, $username:literal) => {
        concat!(
            "profile_name = case when ",
            $seen,
            " >= resident.last_inbound_at
                 then coalesce(",
            $profile,
            ", resident.profile_name)
                 else coalesce(resident.profile_name, ",
            $profile,
            ") end,
             username = case when ",
            $seen,
            " >= resident.last_inbound_at
                 then coalesce(",
            $username,
            ", resident.username)
                 else coalesce(resident.username, ",
            $username,
            ") end,
             last_inbound_at = case when ",
            $seen,
            " > resident.last_inbound_at
                 then ",
            $seen,
            " else resident.last_inbound_at end,
             updated_at = ",
            $seen
        )
    };
}

/// The refresh of a known resident (see [`refresh_profile_sql`]), keyed on `$2` (`wa_id` or
/// `user_id`). The other key (`$6`) is attached when the message brought one and no other
/// resident of the village has it.
macro_rules! refresh_resident_sql {
    ($key:literal, $other:literal) => {
        concat!(
            "update resident set ",
            refresh_profile_sql!("$3", "$4", "$5"),
            ",
                 ",
            $other,
            " = coalesce(",
            $other,
            ", case when not exists (
                     select 1 from resident other
                     where other.village_id = $1 and other.",
            $other,
            " = $6) then $6 end)
             where village_id = $1 and ",
            $key,
            " = $2 returning id"
        )
    };
}

/// PostgreSQL only: [`refresh_resident_sql`] and the message insert in one statement. The insert
/// takes its resident from the update's result, so when no resident has the key nothing is
/// inserted and `resident_id` is null (the caller then takes the two-step path).
macro_rules! refresh_and_insert_sql {
    ($key:literal, $other:literal) => {
        concat!(
            "with r as (",
            refresh_resident_sql!($key, $other),
            "), ",
            insert_inbound_from_r_sql!(),
            ", i as (select null::bigint as id)",
            resident_and_message_ids_sql!()
        )
    };
}

/// PostgreSQL only, for a sender with one key (`$6` is null) whom [`refresh_and_insert_sql`]
/// did not find: the resident inserted as [`Tx::upsert_resident`] does, and the message, in one
/// statement. A concurrent first message of the same new resident makes the resident insert do
/// nothing: `resident_id` is then null (the caller then takes the two-step path).
macro_rules! insert_resident_and_insert_sql {
    ($key:literal, $other:literal) => {
        concat!(
            "with i as (
                 insert into resident (village_id, ",
            $key,
            ", ",
            $other,
            ", username, profile_name, first_seen_at, last_inbound_at, updated_at)
                 values ($1, $2, $6, $5, $4, $3, $3, $3)
                 on conflict do nothing returning id),
             r as (select id from i), ",
            insert_inbound_from_r_sql!(),
            resident_and_message_ids_sql!()
        )
    };
}

/// The message insert of the statements above: its resident is the row of `r`, if any.
macro_rules! insert_inbound_from_r_sql {
    () => {
        "m as (
             insert into inbound_message (village_id, wamid, resident_id, kind, body, reply_id,
                 media_id, media_mime, media_sha256, context_wamid, forwarded, latitude,
                 longitude, raw_json, sent_at, received_at, handled_at)
             select $1, $7, r.id, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                 $20, $21
             from r
             on conflict (village_id, wamid) do nothing returning id)"
    };
}

macro_rules! resident_and_message_ids_sql {
    () => {
        "
         select (select id from r) as resident_id, (select id from i) is not null as new_resident,
             (select id from m) as inbound_id"
    };
}

/// Bind an inbound message's fields from `kind` to `handled_at`, in column order (the statements
/// storing a message put them last).
macro_rules! bind_message_fields {
    ($q:expr, $m:expr) => {
        $q.bind($m.kind)
            .bind($m.body)
            .bind($m.reply_id)
            .bind($m.media_id)
            .bind($m.media_mime)
            .bind($m.media_sha256)
            .bind($m.context_wamid)
            .bind($m.forwarded)
            .bind($m.latitude)
            .bind($m.longitude)
            .bind($m.raw_json)
            .bind($m.sent_at)
            .bind($m.received_at)
            .bind($m.handled_at)
    };
}

/// PostgreSQL only: [`refresh_resident_sql`] and the message insert of many messages from
/// distinct single-key senders in one statement (see [`Tx::store_inbound_many`]). Answers one
/// row per refreshed resident: its position `n` in the input (from 1), its id and the message's
/// id (null for a redelivery). Senders not found are missing from the answer.
macro_rules! store_many_sql {
    ($key:literal) => {
        concat!(
            store_many_input_sql!(),
            ",
             r as (
                 update resident set ",
            refresh_profile_sql!("input.seen", "input.profile", "input.username"),
            "
                 from input
                 where resident.village_id = input.v and resident.",
            $key,
            " = input.k
                 returning resident.id, input.n), ",
            store_many_insert_sql!()
        )
    };
}

/// The input of the statements above: one row per message, numbered `n` from 1.
macro_rules! store_many_input_sql {
    () => {
        "with input as (
             select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[],
                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                 $11::text[], $12::text[], $13::text[], $14::bool[], $15::float8[],
                 $16::float8[], $17::text[], $18::timestamptz[], $19::timestamptz[],
                 $20::timestamptz[])
             with ordinality as t(v, k, seen, profile, username, wamid, kind, body,
                 reply_id, media_id, media_mime, media_sha256, context_wamid, forwarded,
                 lat, lon, raw_json, sent_at, received_at, handled_at, n))"
    };
}

/// The messages of the residents in `r` (id, n) inserted, and the answer.
macro_rules! store_many_insert_sql {
    () => {
        "m as (
             insert into inbound_message (village_id, wamid, resident_id, kind, body,
                 reply_id, media_id, media_mime, media_sha256, context_wamid, forwarded,
                 latitude, longitude, raw_json, sent_at, received_at, handled_at)
             select input.v, input.wamid, r.id, input.kind, input.body, input.reply_id,
                 input.media_id, input.media_mime, input.media_sha256, input.context_wamid,
                 input.forwarded, input.lat, input.lon, input.raw_json, input.sent_at,
                 input.received_at, input.handled_at
             from input join r on r.n = input.n
             order by input.n
             on conflict (village_id, wamid) do nothing
             returning id, village_id, wamid)
         select r.n, r.id as resident_id, m.id as inbound_id
         from r join input on input.n = r.n
         left join m on m.village_id = input.v and m.wamid = input.wamid"
    };
}

/// Run one of the statements of [`Tx::store_inbound_many`] over `items[chosen]`; the answer
/// names each stored item by its index in `items`.
async fn store_many(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    sql: &'static str,
    items: &[(ResidentUpsert<'_>, NewInbound<'_>)],
    chosen: &[usize],
) -> Result<Vec<(usize, StoredInbound)>> {
    macro_rules! column {
        (|$r:ident, $m:ident| $value:expr) => {
            chosen
                .iter()
                .map(|i| {
                    let ($r, $m) = &items[*i];
                    let _ = ($r, $m);
                    $value
                })
                .collect::<Vec<_>>()
        };
    }
    let key = |r: &ResidentUpsert<'_>| -> Option<String> {
        r.sender.wa_id.clone().or_else(|| r.sender.user_id.clone())
    };
    let rows = sqlx::query(sql)
        .bind(column!(|r, m| r.village_id))
        .bind(column!(|r, m| key(r)))
        .bind(column!(|r, m| r.seen_at.as_datetime()))
        .bind(column!(|r, m| r.profile_name))
        .bind(column!(|r, m| r.username))
        .bind(column!(|r, m| m.wamid))
        .bind(column!(|r, m| m.kind))
        .bind(column!(|r, m| m.body))
        .bind(column!(|r, m| m.reply_id))
        .bind(column!(|r, m| m.media_id))
        .bind(column!(|r, m| m.media_mime))
        .bind(column!(|r, m| m.media_sha256))
        .bind(column!(|r, m| m.context_wamid))
        .bind(column!(|r, m| m.forwarded))
        .bind(column!(|r, m| m.latitude))
        .bind(column!(|r, m| m.longitude))
        .bind(column!(|r, m| m.raw_json))
        .bind(column!(|r, m| m.sent_at.as_datetime()))
        .bind(column!(|r, m| m.received_at.as_datetime()))
        .bind(column!(|r, m| m.handled_at.map(|t| t.as_datetime())))
        .fetch_all(&mut **tx)
        .await?;
    let mut stored = Vec::with_capacity(rows.len());
    for row in rows {
        let n: i64 = row.try_get("n")?;
        if let Some(&i) = usize::try_from(n - 1).ok().and_then(|n| chosen.get(n)) {
            stored.push((
                i,
                StoredInbound {
                    resident_id: Some(row.try_get("resident_id")?),
                    new_resident: false,
                    inbound_id: row.try_get("inbound_id")?,
                },
            ));
        }
    }
    Ok(stored)
}

/// PostgreSQL only: like [`store_many_sql`] for senders not yet known: each inserted as
/// [`Tx::upsert_resident`] inserts one, with their message. A sender a concurrent transaction
/// inserted meanwhile is missing from the answer.
macro_rules! insert_many_sql {
    ($key:literal) => {
        concat!(
            store_many_input_sql!(),
            ",
             i as (
                 insert into resident (village_id, ",
            $key,
            ", username, profile_name,
                     first_seen_at, last_inbound_at, updated_at)
                 select v, k, username, profile, seen, seen, seen from input order by n
                 on conflict do nothing
                 returning id, village_id, ",
            $key,
            "),
             r as (
                 select i.id, input.n from i
                 join input on input.v = i.village_id and input.k = i.",
            $key,
            "), ",
            store_many_insert_sql!()
        )
    };
}

const STORE_MANY_BY_WA_ID: &str = store_many_sql!("wa_id");
const INSERT_MANY_BY_WA_ID: &str = insert_many_sql!("wa_id");
const INSERT_MANY_BY_USER_ID: &str = insert_many_sql!("user_id");
const STORE_MANY_BY_USER_ID: &str = store_many_sql!("user_id");
const REFRESH_BY_WA_ID: &str = refresh_resident_sql!("wa_id", "user_id");
const REFRESH_BY_USER_ID: &str = refresh_resident_sql!("user_id", "wa_id");
const REFRESH_BY_WA_ID_AND_INSERT: &str = refresh_and_insert_sql!("wa_id", "user_id");
const REFRESH_BY_USER_ID_AND_INSERT: &str = refresh_and_insert_sql!("user_id", "wa_id");
const INSERT_BY_WA_ID_AND_INSERT: &str = insert_resident_and_insert_sql!("wa_id", "user_id");
const INSERT_BY_USER_ID_AND_INSERT: &str = insert_resident_and_insert_sql!("user_id", "wa_id");

fn no_sender_key() -> StoreError {
    StoreError::Setup("a resident needs a wa_id or a business-scoped user id".into())
}

impl Tx {
    /// Mark a point to roll back to without losing the rest of the transaction.
    pub async fn savepoint(&mut self) -> Result<()> {
        on_conn!(self, |c| sqlx::query("savepoint item")
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn release_savepoint(&mut self) -> Result<()> {
        on_conn!(self, |c| sqlx::query("release savepoint item")
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn rollback_to_savepoint(&mut self) -> Result<()> {
        on_conn!(self, |c| sqlx::query("rollback to savepoint item")
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Keep something that could not be processed, whole, with the reason.
    pub async fn insert_dead_letter(
        &mut self,
        body: &[u8],
        error: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let id = on_conn!(self, |c| {
            sqlx::query(
            "insert into dead_letter (body, error, received_at) values ($1, $2, $3) returning id"
        )
        .bind(body)
        .bind(error)
        .bind(now)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?
        });
        Ok(id)
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Postgres(tx) => tx.commit().await?,
            Tx::Sqlite(tx, _guard) => tx.commit().await?,
        }
        Ok(())
    }

    /// Find or create the resident who sent a message and refresh their profile and last
    /// inbound time. Keyed on wa_id when present, else on the business-scoped id; a resident
    /// first seen by one key and later with both is linked rather than duplicated.
    pub async fn upsert_resident(&mut self, r: &ResidentUpsert<'_>) -> Result<i64> {
        Ok(self.upsert_resident_after(r, false).await?.0)
    }

    /// [`Tx::upsert_resident`], skipping the refresh by the sender's first key (`wa_id`, else
    /// `user_id`) when `key_refreshed` says this transaction just tried it and found no row.
    /// Also says whether the resident was inserted by this call.
    async fn upsert_resident_after(
        &mut self,
        r: &ResidentUpsert<'_>,
        key_refreshed: bool,
    ) -> Result<(i64, bool)> {
        if r.sender.wa_id.is_none() && r.sender.user_id.is_none() {
            return Err(no_sender_key());
        }
        // Two attempts: a concurrent first message from the same new resident can win the
        // insert between our update and our insert; the second round then finds its row.
        for attempt in 0..2 {
            let skip_key = key_refreshed && attempt == 0;
            if let Some(id) = self.refresh_resident(r, skip_key).await? {
                return Ok((id, false));
            }
            let inserted = on_conn!(self, |c| sqlx::query(
                "insert into resident (village_id, wa_id, user_id, username, profile_name,
                                       first_seen_at, last_inbound_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6, $6, $6)
                 on conflict do nothing returning id"
            )
            .bind(r.village_id)
            .bind(r.sender.wa_id.as_deref())
            .bind(r.sender.user_id.as_deref())
            .bind(r.username)
            .bind(r.profile_name)
            .bind(r.seen_at)
            .fetch_optional(c)
            .await?
            .map(|row| row.try_get::<i64, _>("id"))
            .transpose()?);
            if let Some(id) = inserted {
                return Ok((id, true));
            }
        }
        Err(StoreError::Setup(
            "resident could neither be found nor inserted".into(),
        ))
    }

    /// Refresh the resident by wa_id, else by business-scoped id (`skip_key`: not by the first
    /// of those the sender has, already tried).
    async fn refresh_resident(
        &mut self,
        r: &ResidentUpsert<'_>,
        skip_key: bool,
    ) -> Result<Option<i64>> {
        let skip_user_id = skip_key && r.sender.wa_id.is_none();
        if let Some(wa_id) = r.sender.wa_id.as_deref().filter(|_| !skip_key) {
            let id = on_conn!(self, |c| sqlx::query(REFRESH_BY_WA_ID)
                .bind(r.village_id)
                .bind(wa_id)
                .bind(r.seen_at)
                .bind(r.profile_name)
                .bind(r.username)
                .bind(r.sender.user_id.as_deref())
                .fetch_optional(c)
                .await?
                .map(|row| row.try_get::<i64, _>("id"))
                .transpose()?);
            if id.is_some() {
                return Ok(id);
            }
        }
        if let Some(user_id) = r.sender.user_id.as_deref().filter(|_| !skip_user_id) {
            let id = on_conn!(self, |c| sqlx::query(REFRESH_BY_USER_ID)
                .bind(r.village_id)
                .bind(user_id)
                .bind(r.seen_at)
                .bind(r.profile_name)
                .bind(r.username)
                .bind(r.sender.wa_id.as_deref())
                .fetch_optional(c)
                .await?
                .map(|row| row.try_get::<i64, _>("id"))
                .transpose()?);
            return Ok(id);
        }
        Ok(None)
    }

    /// Refresh the sender (see [`Tx::upsert_resident`]) and store their message (see
    /// [`Tx::insert_inbound`]; `m.resident_id` is ignored and replaced by the sender's id).
    ///
    /// The webhook's hot path: on PostgreSQL a known resident is refreshed and the message
    /// inserted in one statement (one round trip instead of two), and a new resident with a
    /// single key is inserted with the message in a second one (two instead of three); anything
    /// else (a sender with both keys not found by wa_id, a lost race with a concurrent first
    /// message, SQLite) continues with the remaining steps of the two-step path. Either way the
    /// same rows are written with the same values.
    pub async fn store_inbound(
        &mut self,
        resident: Option<&ResidentUpsert<'_>>,
        m: &NewInbound<'_>,
    ) -> Result<StoredInbound> {
        let Some(r) = resident else {
            let inbound_id = self
                .insert_inbound(&NewInbound {
                    resident_id: None,
                    ..m.clone()
                })
                .await?;
            return Ok(StoredInbound {
                resident_id: None,
                new_resident: false,
                inbound_id,
            });
        };
        let mut key_refreshed = false;
        if let Tx::Postgres(_) = self {
            // A known resident: refreshed by the key Meta sent, and the message, in one
            // statement. Not found, and only one key: inserted with the message in another. (With
            // both keys, a resident not found by wa_id may still be found by user_id: the
            // two-step path does that.)
            let (key, other, refresh, insert) =
                match (r.sender.wa_id.as_deref(), r.sender.user_id.as_deref()) {
                    (Some(wa_id), None) => (
                        wa_id,
                        None,
                        REFRESH_BY_WA_ID_AND_INSERT,
                        Some(INSERT_BY_WA_ID_AND_INSERT),
                    ),
                    (Some(wa_id), Some(user_id)) => {
                        (wa_id, Some(user_id), REFRESH_BY_WA_ID_AND_INSERT, None)
                    }
                    (None, Some(user_id)) => (
                        user_id,
                        None,
                        REFRESH_BY_USER_ID_AND_INSERT,
                        Some(INSERT_BY_USER_ID_AND_INSERT),
                    ),
                    (None, None) => return Err(no_sender_key()),
                };
            for sql in std::iter::once(refresh).chain(insert) {
                if let Some(stored) = self.pg_store_inbound(sql, r, key, other, m).await? {
                    return Ok(stored);
                }
            }
            key_refreshed = true;
        }
        let (resident_id, new_resident) = self.upsert_resident_after(r, key_refreshed).await?;
        let inbound_id = self
            .insert_inbound(&NewInbound {
                resident_id: Some(resident_id),
                ..m.clone()
            })
            .await?;
        Ok(StoredInbound {
            resident_id: Some(resident_id),
            new_resident,
            inbound_id,
        })
    }

    /// [`Tx::store_inbound`] for several messages in one statement per kind of sender key, on
    /// PostgreSQL: the known residents among their senders refreshed and the messages inserted.
    /// The answer has one entry per item; `None` where this did not store the message (SQLite;
    /// a sender not yet known, with both keys, or with another message in `items`), which the
    /// caller then stores with [`Tx::store_inbound`]. The rows written are those
    /// [`Tx::store_inbound`] would write.
    pub async fn store_inbound_many(
        &mut self,
        items: &[(ResidentUpsert<'_>, NewInbound<'_>)],
    ) -> Result<Vec<Option<StoredInbound>>> {
        let mut stored = vec![None; items.len()];
        let Tx::Postgres(tx) = self else {
            return Ok(stored);
        };
        fn key<'k>(r: &ResidentUpsert<'k>) -> Option<(bool, &'k str)> {
            match (r.sender.wa_id.as_deref(), r.sender.user_id.as_deref()) {
                (Some(wa_id), None) => Some((true, wa_id)),
                (None, Some(user_id)) => Some((false, user_id)),
                _ => None,
            }
        }
        let mut senders: HashMap<(&str, bool, &str), usize> = HashMap::new();
        let mut wamids: HashMap<(&str, &str), usize> = HashMap::new();
        for (r, m) in items {
            if let Some((by_wa_id, k)) = key(r) {
                *senders.entry((r.village_id, by_wa_id, k)).or_default() += 1;
            }
            *wamids.entry((m.village_id, m.wamid)).or_default() += 1;
        }
        for by_wa_id in [true, false] {
            let chosen: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, (r, m))| {
                    // A sender with one message here, and a wamid only once here (a redelivery
                    // in the same batch is told apart from its original one by one).
                    key(r).is_some_and(|(w, k)| {
                        w == by_wa_id && senders.get(&(r.village_id, w, k)) == Some(&1)
                    }) && wamids.get(&(m.village_id, m.wamid)) == Some(&1)
                })
                .map(|(i, _)| i)
                .collect();
            if chosen.is_empty() {
                continue;
            }
            let (refresh, insert) = if by_wa_id {
                (STORE_MANY_BY_WA_ID, INSERT_MANY_BY_WA_ID)
            } else {
                (STORE_MANY_BY_USER_ID, INSERT_MANY_BY_USER_ID)
            };
            // Known residents first; those not found are new (unless a concurrent first
            // message inserts them meanwhile: then the caller's one-by-one path finds them).
            for (i, found) in store_many(tx, refresh, items, &chosen).await? {
                stored[i] = Some(StoredInbound {
                    new_resident: false,
                    ..found
                });
            }
            let missing: Vec<usize> = chosen
                .into_iter()
                .filter(|i| stored[*i].is_none())
                .collect();
            if missing.is_empty() {
                continue;
            }
            for (i, inserted) in store_many(tx, insert, items, &missing).await? {
                stored[i] = Some(StoredInbound {
                    new_resident: true,
                    ..inserted
                });
            }
        }
        Ok(stored)
    }

    /// Run one of the PostgreSQL statements of [`Tx::store_inbound`] (all take the same
    /// parameters); `None` when it found or inserted no resident (nothing was written).
    async fn pg_store_inbound(
        &mut self,
        sql: &'static str,
        r: &ResidentUpsert<'_>,
        key: &str,
        other: Option<&str>,
        m: &NewInbound<'_>,
    ) -> Result<Option<StoredInbound>> {
        let Tx::Postgres(tx) = self else {
            return Ok(None);
        };
        let q = sqlx::query(sql)
            .bind(r.village_id)
            .bind(key)
            .bind(r.seen_at)
            .bind(r.profile_name)
            .bind(r.username)
            .bind(other)
            .bind(m.wamid);
        let row = bind_message_fields!(q, m).fetch_one(&mut **tx).await?;
        let Some(resident_id) = row.try_get::<Option<i64>, _>("resident_id")? else {
            return Ok(None);
        };
        Ok(Some(StoredInbound {
            resident_id: Some(resident_id),
            new_resident: row.try_get("new_resident")?,
            inbound_id: row.try_get("inbound_id")?,
        }))
    }

    /// Store an inbound message once. Returns its id when it is new, `None` when this wamid was
    /// already stored (a redelivery): only the caller that gets an id may act on the message.
    pub async fn insert_inbound(&mut self, m: &NewInbound<'_>) -> Result<Option<i64>> {
        let id = on_conn!(self, |c| bind_message_fields!(
            sqlx::query(
                "insert into inbound_message (village_id, wamid, resident_id, kind, body, reply_id,
                 media_id, media_mime, media_sha256, context_wamid, forwarded, latitude, longitude,
                 raw_json, sent_at, received_at, handled_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             on conflict (village_id, wamid) do nothing returning id"
            )
            .bind(m.village_id)
            .bind(m.wamid)
            .bind(m.resident_id),
            m
        )
        .fetch_optional(c)
        .await?
        .map(|row| row.try_get::<i64, _>("id"))
        .transpose()?);
        Ok(id)
    }

    /// Serialise, per wamid, recording a wamid against a status callback for it. Without it,
    /// on Postgres the two transactions could each miss the other's uncommitted row and the
    /// status would never be applied. (SQLite has a single writer already.)
    pub async fn lock_wamid(&mut self, wamid: &str) -> Result<()> {
        if let Tx::Postgres(tx) = self {
            sqlx::query("select pg_advisory_xact_lock(hashtext($1))")
                .bind(wamid)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Record a status callback once per (wamid, status); returns whether it was new.
    pub async fn insert_status_event(&mut self, s: &NewStatusEvent<'_>) -> Result<bool> {
        let done = on_conn!(self, |c| sqlx::query(
            "insert into message_status_event (village_id, wamid, status, status_at, recipient,
                 error_code, error_title, raw_json, received_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             on conflict (village_id, wamid, status) do nothing"
        )
        .bind(s.village_id)
        .bind(s.wamid)
        .bind(s.status)
        .bind(s.status_at)
        .bind(s.recipient)
        .bind(s.error_code.and_then(|c| i32::try_from(c).ok()))
        .bind(s.error_title)
        .bind(s.raw_json)
        .bind(s.received_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done == 1)
    }

    pub async fn insert_webhook_event(&mut self, e: &NewWebhookEvent<'_>) -> Result<()> {
        on_conn!(self, |c| {
            sqlx::query(
            "insert into webhook_event (village_id, reason, field, phone_number_id, raw_json, received_at)
             values ($1, $2, $3, $4, $5, $6)"
        )
        .bind(e.village_id)
        .bind(e.reason)
        .bind(e.field)
        .bind(e.phone_number_id)
        .bind(e.raw_json)
        .bind(e.received_at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// Queue a reply for sending; the outbox worker delivers it.
    pub async fn enqueue_outbound(
        &mut self,
        village_id: &str,
        resident_id: Option<i64>,
        recipient: &str,
        kind: &str,
        body_json: &str,
        now: Timestamp,
    ) -> Result<i64> {
        self.enqueue(
            village_id,
            resident_id,
            recipient,
            kind,
            "reply",
            body_json,
            None,
            now,
        )
        .await
    }

    /// Record that Meta accepted an outbound message under `wamid`, then fold in any status
    /// callbacks that arrived before we knew the wamid.
    pub async fn mark_outbound_sent(&mut self, id: i64, wamid: &str, now: Timestamp) -> Result<()> {
        self.lock_wamid(wamid).await?;
        let village_id = on_conn!(self, |c| {
            sqlx::query(
            "update outbound_message set wamid = $2, status = case when status in ('queued', 'sending') then 'sent' else status end,
                 sent_at = coalesce(sent_at, $3), updated_at = $3
             where id = $1 returning village_id"
        )
        .bind(id)
        .bind(wamid)
        .bind(now)
        .fetch_optional(c)
        .await?
        .map(|row| row.try_get::<String, _>("village_id"))
        .transpose()?
        });
        let Some(village_id) = village_id else {
            return Err(StoreError::Setup(format!(
                "outbound message {id} does not exist"
            )));
        };
        let pending = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select status, status_at, error_code, error_title from message_status_event
                 where village_id = $1 and wamid = $2 order by id",
            )
            .bind(&village_id)
            .bind(wamid)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<String, _>("status")?,
                        r.try_get::<Timestamp, _>("status_at")?,
                        r.try_get::<Option<i32>, _>("error_code")?.map(i64::from),
                        r.try_get::<Option<String>, _>("error_title")?,
                    ))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        for (status, at, code, title) in pending {
            self.apply_status(&village_id, wamid, &status, at, code, title.as_deref())
                .await?;
        }
        Ok(())
    }

    /// Move the outbound message with this wamid forward through its one-way status machine.
    /// Returns `false` when no outbound message has this wamid yet (the event stays in
    /// `message_status_event` and is applied by [`Tx::mark_outbound_sent`]) or when the status
    /// would move it backwards.
    pub async fn apply_status(
        &mut self,
        village_id: &str,
        wamid: &str,
        status: &str,
        at: Timestamp,
        error_code: Option<i64>,
        error_title: Option<&str>,
    ) -> Result<bool> {
        use crate::outbound::DeliveryStatus;
        let Some(incoming) = DeliveryStatus::parse(status) else {
            return Ok(false);
        };
        // Compare-and-set against the status we read, so that two callbacks for the same
        // message processed concurrently cannot move it backwards.
        for _ in 0..5 {
            let current = on_conn!(self, |c| sqlx::query(
                "select status from outbound_message where village_id = $1 and wamid = $2"
            )
            .bind(village_id)
            .bind(wamid)
            .fetch_optional(c)
            .await?
            .map(|row| row.try_get::<String, _>("status"))
            .transpose()?);
            let Some(current) = current else {
                return Ok(false);
            };
            let Some(current_status) = DeliveryStatus::parse(&current) else {
                return Ok(false);
            };
            let Some(next) = current_status.advance(incoming) else {
                return Ok(false);
            };
            let column = next.timestamp_column();
            let sql = format!(
                "update outbound_message set status = $3, updated_at = $4,
                     {column} = coalesce({column}, $4),
                     error_code = coalesce($5, error_code), error_title = coalesce($6, error_title)
                 where village_id = $1 and wamid = $2 and status = $7"
            );
            let changed = on_conn!(self, |c| sqlx::query(&sql)
                .bind(village_id)
                .bind(wamid)
                .bind(next.as_str())
                .bind(at)
                .bind(error_code.and_then(|c| i32::try_from(c).ok()))
                .bind(error_title)
                .bind(&current)
                .execute(c)
                .await?
                .rows_affected());
            if changed == 1 {
                // Whether the failure arrives now or was kept until the wamid became known,
                // a 131047 means "send it as a template".
                if next == DeliveryStatus::Failed && error_code == Some(131047) {
                    self.resend_as_template(village_id, wamid, at).await?;
                }
                return Ok(true);
            }
        }
        Err(StoreError::Database(sqlx::Error::Protocol(format!(
            "status of {wamid} kept changing under us"
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::other(
            "reset"
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
    }
}
