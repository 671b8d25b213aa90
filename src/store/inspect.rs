//! Read-only views of what the conversation produced: the outbox, requests with their history
//! and attachments, complaints, and handled inbound messages. Used by the integration tests and
//! for diagnosing a resident's conversation; nothing here changes data.

use sqlx::Row;

use super::{Result, Store};

/// A service request as the tests check it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestView {
    pub id: i64,
    pub ticket_code: String,
    pub resident_id: i64,
    pub service_code: String,
    pub state: String,
    pub relation: Option<String>,
    pub data_json: String,
}

/// A stored attachment: which requirement it answers and which media it is.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentView {
    pub requirement_key: Option<String>,
    pub media_id: Option<String>,
    pub inbound_message_id: Option<i64>,
}

/// A complaint (aduan) and its code.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintView {
    pub id: i64,
    pub code: String,
    pub resident_id: i64,
    pub body: String,
}

impl Store {
    /// Every outbound message to `recipient`, oldest first, as (kind, body JSON).
    pub async fn outbound_for(
        &self,
        village_id: &str,
        recipient: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select kind, body_json from outbound_message
                 where village_id = $1 and recipient = $2 order by id",
            )
            .bind(village_id)
            .bind(recipient)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("body_json")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// Every outbound message to `recipient`, oldest first, with the wamid Meta gave it once
    /// sent: (kind, body JSON, wamid).
    pub async fn outbound_sent_for(
        &self,
        village_id: &str,
        recipient: &str,
    ) -> Result<Vec<(String, String, Option<String>)>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select kind, body_json, wamid from outbound_message
                 where village_id = $1 and recipient = $2 order by id",
            )
            .bind(village_id)
            .bind(recipient)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("kind")?,
                    r.try_get("body_json")?,
                    r.try_get("wamid")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// A request's state history as (from, to, actor kind, reason), oldest first.
    pub async fn trail_of(
        &self,
        village_id: &str,
        ticket_code: &str,
    ) -> Result<Vec<(Option<String>, String, String, Option<String>)>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select h.from_state, h.to_state, h.actor_kind, h.reason
                 from request_status_history h join service_request r on r.id = h.request_id
                 where r.village_id = $1 and r.ticket_code = $2 order by h.id",
            )
            .bind(village_id)
            .bind(ticket_code)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("from_state")?,
                    r.try_get("to_state")?,
                    r.try_get("actor_kind")?,
                    r.try_get("reason")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// Audit actions recorded for a request, oldest first, as (actor kind, action).
    pub async fn audit_of(
        &self,
        village_id: &str,
        ticket_code: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select a.actor_kind, a.action
                 from audit_event a join service_request r on r.id = a.request_id
                 where r.village_id = $1 and r.ticket_code = $2 order by a.id",
            )
            .bind(village_id)
            .bind(ticket_code)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("actor_kind")?, r.try_get("action")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// A request's rating and comment.
    pub async fn rating_of(
        &self,
        village_id: &str,
        ticket_code: &str,
    ) -> Result<(Option<i64>, Option<String>)> {
        let mut tx = self.begin().await?;
        let row = on_conn!(&mut tx, |c| {
            let r = sqlx::query(
                "select rating, rating_comment from service_request
                 where village_id = $1 and ticket_code = $2",
            )
            .bind(village_id)
            .bind(ticket_code)
            .fetch_one(c)
            .await?;
            (
                r.try_get::<Option<i32>, _>("rating")?.map(i64::from),
                r.try_get("rating_comment")?,
            )
        });
        tx.commit().await?;
        Ok(row)
    }

    /// The delivery register of a request: (method, courier name, delivered, has proof,
    /// confirmation), oldest first.
    #[allow(clippy::type_complexity)]
    pub async fn deliveries_of(
        &self,
        village_id: &str,
        ticket_code: &str,
    ) -> Result<Vec<(String, Option<String>, bool, bool, Option<String>)>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select d.method, o.name, d.delivered_at, d.proof_attachment_id, d.confirmation
                 from delivery d join service_request r on r.id = d.request_id
                 left join officer o on o.id = d.courier_officer_id
                 where r.village_id = $1 and r.ticket_code = $2 order by d.id",
            )
            .bind(village_id)
            .bind(ticket_code)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("method")?,
                    r.try_get("name")?,
                    r.try_get::<Option<super::Timestamp>, _>("delivered_at")?
                        .is_some(),
                    r.try_get::<Option<i64>, _>("proof_attachment_id")?
                        .is_some(),
                    r.try_get("confirmation")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// The village's requests in ticket order.
    pub async fn requests_of(&self, village_id: &str) -> Result<Vec<RequestView>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select id, ticket_code, resident_id, service_code, state, relation, data_json
                 from service_request where village_id = $1 order by ticket_seq",
            )
            .bind(village_id)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok(RequestView {
                    id: r.try_get("id")?,
                    ticket_code: r.try_get("ticket_code")?,
                    resident_id: r.try_get("resident_id")?,
                    service_code: r.try_get("service_code")?,
                    state: r.try_get("state")?,
                    relation: r.try_get("relation")?,
                    data_json: r.try_get("data_json")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// A request's state changes, oldest first, as (from, to).
    pub async fn history_of(
        &self,
        village_id: &str,
        request_id: i64,
    ) -> Result<Vec<(Option<String>, String)>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select from_state, to_state from request_status_history
                 where village_id = $1 and request_id = $2 order by id",
            )
            .bind(village_id)
            .bind(request_id)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("from_state")?, r.try_get("to_state")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// A request's attachments, oldest first.
    pub async fn attachments_of(
        &self,
        village_id: &str,
        request_id: i64,
    ) -> Result<Vec<AttachmentView>> {
        self.attachments_where(village_id, "request_id", request_id)
            .await
    }

    /// A complaint's attachments, oldest first.
    pub async fn complaint_attachments_of(
        &self,
        village_id: &str,
        complaint_id: i64,
    ) -> Result<Vec<AttachmentView>> {
        self.attachments_where(village_id, "complaint_id", complaint_id)
            .await
    }

    async fn attachments_where(
        &self,
        village_id: &str,
        column: &'static str,
        id: i64,
    ) -> Result<Vec<AttachmentView>> {
        let sql = format!(
            "select requirement_key, media_id, inbound_message_id from attachment
             where village_id = $1 and {column} = $2 order by id"
        );
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(&sql)
                .bind(village_id)
                .bind(id)
                .fetch_all(c)
                .await?
                .iter()
                .map(|r| {
                    Ok(AttachmentView {
                        requirement_key: r.try_get("requirement_key")?,
                        media_id: r.try_get("media_id")?,
                        inbound_message_id: r.try_get("inbound_message_id")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// The village's complaints, oldest first.
    pub async fn complaints_of(&self, village_id: &str) -> Result<Vec<ComplaintView>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select id, code, resident_id, body from complaint
                 where village_id = $1 order by code_seq",
            )
            .bind(village_id)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok(ComplaintView {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    resident_id: r.try_get("resident_id")?,
                    body: r.try_get("body")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// Inbound messages of the village: (all, handled).
    pub async fn inbound_handled_counts(&self, village_id: &str) -> Result<(i64, i64)> {
        let mut tx = self.begin().await?;
        let counts = on_conn!(&mut tx, |c| {
            let r = sqlx::query(
                "select count(*) as total, count(handled_at) as handled
                 from inbound_message where village_id = $1",
            )
            .bind(village_id)
            .fetch_one(c)
            .await?;
            (r.try_get("total")?, r.try_get("handled")?)
        });
        tx.commit().await?;
        Ok(counts)
    }

    /// The stored dialogue state of a resident, if any.
    pub async fn conversation_state(
        &self,
        village_id: &str,
        resident_id: i64,
    ) -> Result<Option<String>> {
        let mut tx = self.begin().await?;
        let state = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select state_json from conversation where village_id = $1 and resident_id = $2",
            )
            .bind(village_id)
            .bind(resident_id)
            .fetch_optional(c)
            .await?
            .map(|r| r.try_get::<String, _>("state_json"))
            .transpose()?
        });
        tx.commit().await?;
        Ok(state)
    }

    /// Every inbound message of the village with its sender, in wamid order, as one line of
    /// text each: wamid, sender's wa_id, kind, body, button id, whether it was answered.
    pub async fn inbound_lines(&self, village_id: &str) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select m.wamid, r.wa_id, m.kind, m.body, m.reply_id, m.sent_at,
                        m.handled_at is not null as answered
                 from inbound_message m left join resident r on r.id = m.resident_id
                 where m.village_id = $1 order by m.wamid",
            )
            .bind(village_id)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok(format!(
                    "{} {:?} {} {:?} {:?} {} {}",
                    r.try_get::<String, _>("wamid")?,
                    r.try_get::<Option<String>, _>("wa_id")?,
                    r.try_get::<String, _>("kind")?,
                    r.try_get::<Option<String>, _>("body")?,
                    r.try_get::<Option<String>, _>("reply_id")?,
                    r.try_get::<super::Timestamp, _>("sent_at")?,
                    r.try_get::<bool, _>("answered")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// Every resident of the village, by wa_id, as one line of text each: keys, profile name,
    /// username, first seen, start of the 24-hour window.
    pub async fn resident_lines(&self, village_id: &str) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            sqlx::query(
                "select wa_id, user_id, profile_name, username, first_seen_at, last_inbound_at
                 from resident where village_id = $1 order by wa_id, user_id",
            )
            .bind(village_id)
            .fetch_all(c)
            .await?
            .iter()
            .map(|r| {
                Ok(format!(
                    "{:?} {:?} {:?} {:?} {} {}",
                    r.try_get::<Option<String>, _>("wa_id")?,
                    r.try_get::<Option<String>, _>("user_id")?,
                    r.try_get::<Option<String>, _>("profile_name")?,
                    r.try_get::<Option<String>, _>("username")?,
                    r.try_get::<super::Timestamp, _>("first_seen_at")?,
                    r.try_get::<super::Timestamp, _>("last_inbound_at")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }
}
