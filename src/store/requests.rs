//! Conversations, service requests, complaints, attachments and per-village counters.

use sqlx::Row;

use super::{Result, Timestamp, Tx};

/// A resident's conversation row and what the dialogue needs to know about the resident.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    /// `None` on first contact.
    pub state_json: Option<String>,
    pub saved_nik: Option<String>,
    pub saved_name: Option<String>,
    /// The sender is an active officer of this village.
    pub officer: Option<SenderOfficer>,
    /// An officer is talking with this resident (the bot stays quiet) until `relay_until`.
    pub relay: Option<Relay>,
    /// What the resident was asked to answer (e.g. "comment" after a rating), for which request,
    /// until when.
    pub awaiting: Option<(String, i64, Timestamp)>,
    /// An officer talking to the resident dialogue for their own letter, until then.
    pub personal_until: Option<Timestamp>,
}

/// The officer a message comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct SenderOfficer {
    pub id: i64,
    pub name: String,
    pub roles: String,
}

/// An officer–resident relay in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Relay {
    pub officer_id: i64,
    pub request_id: Option<i64>,
    pub complaint_id: Option<i64>,
    pub until: Timestamp,
}

/// A request as listed to its resident.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    pub id: i64,
    pub ticket_code: String,
    pub service_code: String,
    pub state: String,
    pub submitted_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub village_id: &'a str,
    pub ticket_seq: i64,
    pub ticket_code: &'a str,
    pub resident_id: i64,
    pub service_code: &'a str,
    pub subject_name: Option<&'a str>,
    pub relation: Option<&'a str>,
    pub data_json: &'a str,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub due_at: Timestamp,
    pub now: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub village_id: &'a str,
    pub request_id: Option<i64>,
    pub complaint_id: Option<i64>,
    pub inbound_message_id: Option<i64>,
    pub requirement_key: Option<&'a str>,
    pub media_id: Option<&'a str>,
    pub mime_type: Option<&'a str>,
    pub now: Timestamp,
}

/// The states in which a request is finished.
pub const CLOSED_STATES: &[&str] = &["selesai", "ditolak", "dibatalkan"];

/// The conversation row with what the dialogue needs about its resident. The officer lookup
/// rides along (no extra statement per message), and officers are read from the table every
/// time, so `kentongan officer …` changes apply at once. `$3` is `true` (active officers).
macro_rules! select_conversation {
    ($filter:literal, $tail:literal) => {
        concat!(
            "select conversation.resident_id, conversation.state_json, resident.saved_nik,
                 resident.saved_name,
                 conversation.relay_officer_id, conversation.relay_request_id,
                 conversation.relay_complaint_id, conversation.relay_until,
                 conversation.awaiting, conversation.awaiting_request_id,
                 conversation.awaiting_until, conversation.personal_until,
                 officer.id as officer_id, officer.name as officer_name,
                 officer.roles as officer_roles
             from conversation join resident on resident.id = conversation.resident_id
             left join officer on officer.village_id = conversation.village_id
                 and officer.active = $3
                 and ((resident.wa_id is not null and officer.wa_id = resident.wa_id)
                   or (resident.user_id is not null and officer.user_id = resident.user_id))
             where ",
            $filter,
            $tail
        )
    };
}

/// A conversation whose new state and replies are written later, together with others
/// (see [`Tx::save_conversations_with_replies`]).
#[derive(Debug, Clone)]
pub struct PendingSave {
    pub village_id: String,
    pub resident_id: i64,
    pub recipient: String,
    /// `(kind, purpose, body_json)`, queued in this order.
    pub replies: Vec<(&'static str, &'static str, String)>,
    pub state_json: String,
    pub now: Timestamp,
}

impl Tx {
    /// PostgreSQL only (SQLite answers with nothing, and its callers take the one-by-one path):
    /// lock the conversations of several residents in one statement, in resident order so that
    /// concurrent batches never wait on each other in a circle, after creating those of
    /// `new_residents` (inserted by this transaction, so without one). Residents without a
    /// conversation are missing from the answer.
    pub async fn lock_conversations(
        &mut self,
        residents: &[(&str, i64)],
        new_residents: &[(&str, i64)],
        now: Timestamp,
    ) -> Result<std::collections::HashMap<i64, ConversationRow>> {
        let Tx::Postgres(tx) = self else {
            return Ok(Default::default());
        };
        if !new_residents.is_empty() {
            let (villages, ids): (Vec<&str>, Vec<i64>) = new_residents.iter().copied().unzip();
            sqlx::query(
                "insert into conversation (village_id, resident_id, state_json, updated_at)
                 select v, r, '', $3 from unnest($1::text[], $2::int8[]) as n(v, r)
                 order by r
                 on conflict do nothing",
            )
            .bind(&villages)
            .bind(&ids)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        let (villages, ids): (Vec<&str>, Vec<i64>) = residents.iter().copied().unzip();
        let rows = sqlx::query(select_conversation!(
            "(conversation.village_id, conversation.resident_id) in
                 (select * from unnest($1::text[], $2::int8[]))",
            " order by conversation.resident_id for update of conversation"
        ))
        .bind(&villages)
        .bind(&ids)
        .bind(true)
        .fetch_all(&mut **tx)
        .await?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for r in &rows {
            found.insert(r.try_get::<i64, _>("resident_id")?, conversation_row(r)?);
        }
        Ok(found)
    }

    /// PostgreSQL only (SQLite answers with nothing): [`Tx::resident_requests`] of several
    /// residents in one statement, for every one of them (an empty list for none), unlimited;
    /// the caller applies each one's `since` and limit.
    pub async fn residents_requests(
        &mut self,
        residents: &[(&str, i64)],
        since: Timestamp,
    ) -> Result<std::collections::HashMap<i64, Vec<RequestRow>>> {
        let Tx::Postgres(tx) = self else {
            return Ok(Default::default());
        };
        let (villages, ids): (Vec<&str>, Vec<i64>) = residents.iter().copied().unzip();
        let rows = sqlx::query(
            "select resident_id, id, ticket_code, service_code, state, submitted_at
             from service_request
             where (village_id, resident_id) in (select * from unnest($1::text[], $2::int8[]))
               and (state not in ('selesai', 'ditolak', 'dibatalkan') or submitted_at >= $3)
             order by id desc",
        )
        .bind(&villages)
        .bind(&ids)
        .bind(since)
        .fetch_all(&mut **tx)
        .await?;
        let mut found: std::collections::HashMap<i64, Vec<RequestRow>> =
            ids.iter().map(|id| (*id, Vec::new())).collect();
        for r in &rows {
            let resident_id: i64 = r.try_get("resident_id")?;
            found.entry(resident_id).or_default().push(request_row(r)?);
        }
        Ok(found)
    }

    /// Several [`Tx::save_conversation_with_replies`] at once: every reply queued in the given
    /// order and every state saved, in one statement on PostgreSQL (one by one on SQLite).
    pub async fn save_conversations_with_replies(&mut self, saves: &[PendingSave]) -> Result<()> {
        if saves.is_empty() {
            return Ok(());
        }
        let Tx::Postgres(tx) = self else {
            for s in saves {
                self.save_conversation_with_replies(
                    &s.village_id,
                    s.resident_id,
                    &s.recipient,
                    &s.replies,
                    &s.state_json,
                    s.now,
                )
                .await?;
            }
            return Ok(());
        };
        let replies = saves
            .iter()
            .flat_map(|s| s.replies.iter().map(move |r| (s, r)));
        let n = saves.iter().map(|s| s.replies.len()).sum();
        let mut q = (
            Vec::<&str>::with_capacity(n),
            Vec::<i64>::with_capacity(n),
            Vec::<&str>::with_capacity(n),
            Vec::<&str>::with_capacity(n),
            Vec::<&str>::with_capacity(n),
            Vec::<&str>::with_capacity(n),
            Vec::<chrono::DateTime<chrono::Utc>>::with_capacity(n),
        );
        for (s, (kind, purpose, body)) in replies {
            q.0.push(&s.village_id);
            q.1.push(s.resident_id);
            q.2.push(&s.recipient);
            q.3.push(kind);
            q.4.push(purpose);
            q.5.push(body);
            q.6.push(s.now.as_datetime());
        }
        sqlx::query(
            "with queued as (
                 insert into outbound_message (village_id, resident_id, recipient, kind, purpose,
                     body_json, status, next_attempt_at, created_at, updated_at)
                 select v, r, rc, k, p, b, 'queued', t, t, t
                 from unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[],
                     $6::text[], $7::timestamptz[]) with ordinality as q(v, r, rc, k, p, b, t, n)
                 order by n)
             update conversation set state_json = s.state, updated_at = s.at
             from unnest($8::text[], $9::int8[], $10::text[], $11::timestamptz[]) as s(v, r, state, at)
             where conversation.village_id = s.v and conversation.resident_id = s.r",
        )
        .bind(&q.0)
        .bind(&q.1)
        .bind(&q.2)
        .bind(&q.3)
        .bind(&q.4)
        .bind(&q.5)
        .bind(&q.6)
        .bind(saves.iter().map(|s| s.village_id.as_str()).collect::<Vec<_>>())
        .bind(saves.iter().map(|s| s.resident_id).collect::<Vec<_>>())
        .bind(saves.iter().map(|s| s.state_json.as_str()).collect::<Vec<_>>())
        .bind(saves.iter().map(|s| s.now.as_datetime()).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Read (and on Postgres lock, until commit) the resident's conversation. Creating the row
    /// first gives the lock something to hold even on first contact.
    ///
    /// `new_resident`: the resident was inserted by this transaction, so they cannot have a
    /// conversation yet; it is created without looking for it first.
    pub async fn lock_conversation(
        &mut self,
        village_id: &str,
        resident_id: i64,
        now: Timestamp,
        new_resident: bool,
    ) -> Result<ConversationRow> {
        // A resident who has written before (most messages) has a row: one statement. Otherwise
        // create it (a concurrent first message may have: then nothing is inserted, and the
        // insert waits for that transaction) and read it, now locked, again.
        if !new_resident {
            if let Some(row) = self.read_conversation(village_id, resident_id).await? {
                return Ok(row);
            }
        }
        on_conn!(self, |c| sqlx::query(
            "insert into conversation (village_id, resident_id, state_json, updated_at)
             values ($1, $2, '', $3) on conflict do nothing"
        )
        .bind(village_id)
        .bind(resident_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        self.read_conversation(village_id, resident_id)
            .await?
            .ok_or(super::StoreError::Database(sqlx::Error::RowNotFound))
    }

    async fn read_conversation(
        &mut self,
        village_id: &str,
        resident_id: i64,
    ) -> Result<Option<ConversationRow>> {
        let sql = match self {
            Tx::Postgres(_) => select_conversation!(
                "conversation.village_id = $1 and conversation.resident_id = $2",
                " for update of conversation"
            ),
            Tx::Sqlite(..) => select_conversation!(
                "conversation.village_id = $1 and conversation.resident_id = $2",
                ""
            ),
        };
        let row = on_conn!(self, |c| {
            let r = sqlx::query(sql)
                .bind(village_id)
                .bind(resident_id)
                .bind(true)
                .fetch_optional(c)
                .await?;
            match r {
                None => None,
                Some(r) => Some(conversation_row(&r)?),
            }
        });
        Ok(row)
    }

    pub async fn save_conversation(
        &mut self,
        village_id: &str,
        resident_id: i64,
        state_json: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update conversation set state_json = $3, updated_at = $4
             where village_id = $1 and resident_id = $2"
        )
        .bind(village_id)
        .bind(resident_id)
        .bind(state_json)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Queue the replies to one message (as [`Tx::enqueue_many`]) and save the conversation's
    /// new state (as [`Tx::save_conversation`]). On PostgreSQL both are one statement, the
    /// insert in a data-modifying `with`, so that the last step of an answered message costs one
    /// round trip instead of two; the rows written are the same.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_conversation_with_replies(
        &mut self,
        village_id: &str,
        resident_id: i64,
        recipient: &str,
        replies: &[(&str, &str, String)],
        state_json: &str,
        now: Timestamp,
    ) -> Result<()> {
        let sql = match self {
            Tx::Postgres(_) if !replies.is_empty() => save_with_replies_sql(replies.len()),
            _ => None,
        };
        let Some(sql) = sql else {
            self.enqueue_many(village_id, Some(resident_id), recipient, replies, now)
                .await?;
            return self
                .save_conversation(village_id, resident_id, state_json, now)
                .await;
        };
        if let Tx::Postgres(tx) = self {
            let mut q = sqlx::query(sql)
                .bind(village_id)
                .bind(resident_id)
                .bind(recipient)
                .bind(now)
                .bind(state_json);
            for (kind, purpose, body) in replies {
                q = q.bind(*kind).bind(*purpose).bind(body.as_str());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Next value of a per-village sequence (tickets, complaints, letter numbers of a year).
    /// Atomic: the upsert holds the counter row until commit, so two requests never share a
    /// number.
    pub async fn next_counter(&mut self, village_id: &str, name: &str) -> Result<i64> {
        let value = on_conn!(self, |c| sqlx::query(
            "insert into village_counter (village_id, name, value) values ($1, $2, 1)
             on conflict (village_id, name) do update set value = village_counter.value + 1
             returning value"
        )
        .bind(village_id)
        .bind(name)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("value")?);
        Ok(value)
    }

    /// The resident's requests that are still open, plus any submitted since `since`, newest
    /// first.
    pub async fn resident_requests(
        &mut self,
        village_id: &str,
        resident_id: i64,
        since: Timestamp,
    ) -> Result<Vec<RequestRow>> {
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select id, ticket_code, service_code, state, submitted_at from service_request
                 where village_id = $1 and resident_id = $2
                   and (state not in ('selesai', 'ditolak', 'dibatalkan') or submitted_at >= $3)
                 order by id desc limit 50",
            )
            .bind(village_id)
            .bind(resident_id)
            .bind(since)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(request_row)
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// One request by ticket code, only if it belongs to this resident.
    pub async fn resident_request_by_ticket(
        &mut self,
        village_id: &str,
        resident_id: i64,
        ticket_code: &str,
    ) -> Result<Option<RequestRow>> {
        let row = on_conn!(self, |c| {
            let row = sqlx::query(
                "select id, ticket_code, service_code, state, submitted_at from service_request
                 where village_id = $1 and resident_id = $2 and ticket_code = $3",
            )
            .bind(village_id)
            .bind(resident_id)
            .bind(ticket_code)
            .fetch_optional(c)
            .await?;
            row.as_ref().map(request_row).transpose()?
        });
        Ok(row)
    }

    pub async fn request_history(&mut self, request_id: i64) -> Result<Vec<HistoryRow>> {
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select from_state, to_state, actor_kind, actor_id, reason, created_at
                 from request_status_history where request_id = $1 order by id",
            )
            .bind(request_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(HistoryRow {
                        from_state: r.try_get("from_state")?,
                        to_state: r.try_get("to_state")?,
                        actor_kind: r.try_get("actor_kind")?,
                        actor_id: r.try_get("actor_id")?,
                        reason: r.try_get("reason")?,
                        created_at: r.try_get("created_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// File a request in state `diajukan`, with its first history entry.
    pub async fn insert_request(&mut self, r: &NewRequest<'_>) -> Result<i64> {
        let id = on_conn!(self, |c| sqlx::query(
            "insert into service_request (village_id, ticket_seq, ticket_code, resident_id,
                 service_code, state, subject_name, relation, data_json, latitude, longitude,
                 due_at, submitted_at, updated_at)
             values ($1, $2, $3, $4, $5, 'diajukan', $6, $7, $8, $9, $10, $11, $12, $12)
             returning id"
        )
        .bind(r.village_id)
        .bind(r.ticket_seq as i32)
        .bind(r.ticket_code)
        .bind(r.resident_id)
        .bind(r.service_code)
        .bind(r.subject_name)
        .bind(r.relation)
        .bind(r.data_json)
        .bind(r.latitude)
        .bind(r.longitude)
        .bind(r.due_at)
        .bind(r.now)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?);
        self.insert_history(
            r.village_id,
            id,
            None,
            "diajukan",
            "resident",
            Some(r.resident_id),
            None,
            r.now,
        )
        .await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_history(
        &mut self,
        village_id: &str,
        request_id: i64,
        from_state: Option<&str>,
        to_state: &str,
        actor_kind: &str,
        actor_id: Option<i64>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "insert into request_status_history (village_id, request_id, from_state, to_state,
                 actor_kind, actor_id, reason, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(from_state)
        .bind(to_state)
        .bind(actor_kind)
        .bind(actor_id)
        .bind(reason)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Move a request from one of `from` to `to` if it is still in one of them; returns the
    /// state it left, or `None` when it was no longer in an allowed state (someone acted first).
    #[allow(clippy::too_many_arguments)]
    pub async fn transition_request(
        &mut self,
        village_id: &str,
        request_id: i64,
        from: &[&str],
        to: &str,
        actor_kind: &str,
        actor_id: Option<i64>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<String>> {
        let current = on_conn!(self, |c| sqlx::query(
            "select state from service_request where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .fetch_optional(c)
        .await?
        .map(|r| r.try_get::<String, _>("state"))
        .transpose()?);
        let Some(current) = current.filter(|s| from.contains(&s.as_str())) else {
            return Ok(None);
        };
        let closed = CLOSED_STATES.contains(&to);
        let changed = on_conn!(self, |c| sqlx::query(
            "update service_request set state = $3, updated_at = $4,
                 closed_at = case when $5 then $4 else closed_at end
             where village_id = $1 and id = $2 and state = $6"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(to)
        .bind(now)
        .bind(closed)
        .bind(&current)
        .execute(c)
        .await?
        .rows_affected());
        if changed != 1 {
            return Ok(None);
        }
        self.insert_history(
            village_id,
            request_id,
            Some(&current),
            to,
            actor_kind,
            actor_id,
            reason,
            now,
        )
        .await?;
        Ok(Some(current))
    }

    pub async fn insert_attachment(&mut self, a: &NewAttachment<'_>) -> Result<i64> {
        let id = on_conn!(self, |c| sqlx::query(
            "insert into attachment (village_id, request_id, complaint_id, inbound_message_id,
                 requirement_key, media_id, mime_type, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8) returning id"
        )
        .bind(a.village_id)
        .bind(a.request_id)
        .bind(a.complaint_id)
        .bind(a.inbound_message_id)
        .bind(a.requirement_key)
        .bind(a.media_id)
        .bind(a.mime_type)
        .bind(a.now)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?);
        Ok(id)
    }

    /// Remember the resident's own identity for their next request.
    pub async fn save_resident_identity(
        &mut self,
        resident_id: i64,
        nik: &str,
        name: &str,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update resident set saved_nik = $2, saved_name = $3 where id = $1"
        )
        .bind(resident_id)
        .bind(nik)
        .bind(name)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn insert_complaint(
        &mut self,
        village_id: &str,
        code_seq: i64,
        code: &str,
        resident_id: i64,
        body: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let id = on_conn!(self, |c| sqlx::query(
            "insert into complaint (village_id, code_seq, code, resident_id, body, state,
                 created_at, updated_at)
             values ($1, $2, $3, $4, $5, 'baru', $6, $6) returning id"
        )
        .bind(village_id)
        .bind(code_seq as i32)
        .bind(code)
        .bind(resident_id)
        .bind(body)
        .bind(now)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?);
        Ok(id)
    }

    /// The resident's most recent complaint, for a photo sent after it.
    pub async fn latest_complaint(
        &mut self,
        village_id: &str,
        resident_id: i64,
    ) -> Result<Option<i64>> {
        let id = on_conn!(self, |c| sqlx::query(
            "select id from complaint where village_id = $1 and resident_id = $2
             order by id desc limit 1"
        )
        .bind(village_id)
        .bind(resident_id)
        .fetch_optional(c)
        .await?
        .map(|r| r.try_get::<i64, _>("id"))
        .transpose()?);
        Ok(id)
    }
}

/// The statement of [`Tx::save_conversation_with_replies`] on PostgreSQL for `n` replies (the
/// outbox insert is [`Tx::enqueue_many`]'s), built once per `n` so that each is a fixed string
/// prepared once per connection. `None` past a handful (then it is two statements).
fn save_with_replies_sql(n: usize) -> Option<&'static str> {
    const MAX: usize = 8;
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=MAX)
            .map(|n| {
                let values: Vec<String> = (0..n)
                    .map(|i| {
                        let base = 6 + i * 3;
                        format!(
                            "($1, $2, $3, ${}, ${}, ${}, 'queued', $4, $4, $4)",
                            base,
                            base + 1,
                            base + 2
                        )
                    })
                    .collect();
                format!(
                    "with queued as (
                         insert into outbound_message (village_id, resident_id, recipient, kind,
                             purpose, body_json, status, next_attempt_at, created_at, updated_at)
                         values {})
                     update conversation set state_json = $5, updated_at = $4
                     where village_id = $1 and resident_id = $2",
                    values.join(", ")
                )
            })
            .collect()
    });
    n.checked_sub(1)
        .and_then(|i| all.get(i))
        .map(String::as_str)
}

fn conversation_row<R: Row>(r: &R) -> Result<ConversationRow, sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    i64: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    String: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    Timestamp: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
{
    let state: String = r.try_get("state_json")?;
    let officer = match r.try_get::<Option<i64>, _>("officer_id")? {
        Some(id) => Some(SenderOfficer {
            id,
            name: r.try_get("officer_name")?,
            roles: r.try_get("officer_roles")?,
        }),
        None => None,
    };
    let relay = match (
        r.try_get::<Option<i64>, _>("relay_officer_id")?,
        r.try_get::<Option<Timestamp>, _>("relay_until")?,
    ) {
        (Some(officer_id), Some(until)) => Some(Relay {
            officer_id,
            request_id: r.try_get("relay_request_id")?,
            complaint_id: r.try_get("relay_complaint_id")?,
            until,
        }),
        _ => None,
    };
    let awaiting = match (
        r.try_get::<Option<String>, _>("awaiting")?,
        r.try_get::<Option<i64>, _>("awaiting_request_id")?,
        r.try_get::<Option<Timestamp>, _>("awaiting_until")?,
    ) {
        (Some(what), Some(request), Some(until)) => Some((what, request, until)),
        _ => None,
    };
    Ok(ConversationRow {
        // A row just created holds '' until the dialogue saves a state: first contact.
        state_json: (!state.is_empty()).then_some(state),
        saved_nik: r.try_get("saved_nik")?,
        saved_name: r.try_get("saved_name")?,
        officer,
        relay,
        awaiting,
        personal_until: r.try_get("personal_until")?,
    })
}

fn request_row<R: Row>(r: &R) -> Result<RequestRow, sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    i64: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    String: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    Timestamp: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
{
    Ok(RequestRow {
        id: r.try_get("id")?,
        ticket_code: r.try_get("ticket_code")?,
        service_code: r.try_get("service_code")?,
        state: r.try_get("state")?,
        submitted_at: r.try_get("submitted_at")?,
    })
}
