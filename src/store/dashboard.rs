//! What the dashboard reads: the village's requests for the queue, the conversation with a
//! resident as chat bubbles, complaints. Read-only; changes go through the officers' work.

use sqlx::Row;

use super::{Result, Store, Timestamp};

/// A request as the queue lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub ticket_code: String,
    pub service_code: String,
    pub state: String,
    pub subject_name: Option<String>,
    pub resident_name: Option<String>,
    pub assigned_officer_id: Option<i64>,
    pub assigned_name: Option<String>,
    pub data_json: String,
    pub submitted_at: Timestamp,
    pub updated_at: Timestamp,
    pub due_at: Option<Timestamp>,
}

/// One message of a conversation: from the resident (`inbound`) or to them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub inbound: bool,
    pub kind: String,
    /// Text, caption or the outbound body's JSON.
    pub body: Option<String>,
    pub at: Timestamp,
    /// Delivery status of an outbound message.
    pub status: Option<String>,
    /// Part of a complaint (its text, our answers about it): only for the Kades and Sekdes.
    pub about_complaint: bool,
}

/// A complaint in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintItem {
    pub code: String,
    pub state: String,
    pub body: String,
    pub resident_name: Option<String>,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

impl Store {
    /// The village's most recently active requests (newest activity first), up to `limit`.
    pub async fn queue_items(&self, village_id: &str, limit: i64) -> Result<Vec<QueueItem>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select r.ticket_code, r.service_code, r.state, r.subject_name,
                        res.profile_name as resident_name, r.assigned_officer_id,
                        o.name as assigned_name, r.data_json, r.submitted_at, r.updated_at,
                        r.due_at
                 from service_request r join resident res on res.id = r.resident_id
                 left join officer o on o.id = r.assigned_officer_id
                 where r.village_id = $1 order by r.updated_at desc, r.id desc limit $2",
            )
            .bind(village_id)
            .bind(limit)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(QueueItem {
                        ticket_code: r.try_get("ticket_code")?,
                        service_code: r.try_get("service_code")?,
                        state: r.try_get("state")?,
                        subject_name: r.try_get("subject_name")?,
                        resident_name: r.try_get("resident_name")?,
                        assigned_officer_id: r.try_get("assigned_officer_id")?,
                        assigned_name: r.try_get("assigned_name")?,
                        data_json: r.try_get("data_json")?,
                        submitted_at: r.try_get("submitted_at")?,
                        updated_at: r.try_get("updated_at")?,
                        due_at: r.try_get("due_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// The last `limit` messages between the village and a resident, oldest first (read
    /// receipts left out).
    pub async fn chat_with(
        &self,
        village_id: &str,
        resident_id: i64,
        limit: i64,
    ) -> Result<Vec<ChatMessage>> {
        let mut tx = self.begin().await?;
        let mut messages = on_conn!(&mut tx, |c| {
            let inbound = sqlx::query(
                "select i.kind, i.body, i.received_at,
                        case when i.body like '%ADU-%' or exists (
                            select 1 from complaint k where k.village_id = i.village_id
                              and k.resident_id = i.resident_id and k.body = i.body)
                        then 1 else 0 end as about_complaint
                 from inbound_message i
                 where i.village_id = $1 and i.resident_id = $2 order by i.id desc limit $3",
            )
            .bind(village_id)
            .bind(resident_id)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
            let outbound = sqlx::query(
                "select kind, body_json, created_at, status,
                        case when about_complaint_id is not null or body_json like '%ADU-%'
                        then 1 else 0 end as about_complaint
                 from outbound_message
                 where village_id = $1 and resident_id = $2 and kind <> 'mark_read'
                 order by id desc limit $3",
            )
            .bind(village_id)
            .bind(resident_id)
            .bind(limit)
            .fetch_all(c)
            .await?;
            let mut all = Vec::with_capacity(inbound.len() + outbound.len());
            for r in &inbound {
                all.push(ChatMessage {
                    inbound: true,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    at: r.try_get("received_at")?,
                    status: None,
                    about_complaint: r.try_get::<i32, _>("about_complaint")? == 1,
                });
            }
            for r in &outbound {
                all.push(ChatMessage {
                    inbound: false,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body_json")?,
                    at: r.try_get("created_at")?,
                    status: r.try_get("status")?,
                    about_complaint: r.try_get::<i32, _>("about_complaint")? == 1,
                });
            }
            all
        });
        tx.commit().await?;
        // Received before answered when both fall in the same instant.
        messages.sort_by_key(|m| (m.at, !m.inbound));
        let skip = messages.len().saturating_sub(limit as usize);
        Ok(messages.split_off(skip))
    }

    /// The village's complaints, open ones first, newest first.
    pub async fn complaint_items(&self, village_id: &str) -> Result<Vec<ComplaintItem>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select c.code, c.state, c.body, res.profile_name as resident_name,
                        c.created_at, c.closed_at
                 from complaint c join resident res on res.id = c.resident_id
                 where c.village_id = $1
                 order by case when c.state = 'selesai' then 1 else 0 end, c.id desc
                 limit 200",
            )
            .bind(village_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ComplaintItem {
                        code: r.try_get("code")?,
                        state: r.try_get("state")?,
                        body: r.try_get("body")?,
                        resident_name: r.try_get("resident_name")?,
                        created_at: r.try_get("created_at")?,
                        closed_at: r.try_get("closed_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// A complaint's photos and documents.
    pub async fn complaint_attachments(
        &self,
        village_id: &str,
        complaint_id: i64,
    ) -> Result<Vec<super::AttachmentBrief>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select id, requirement_key, mime_type, file_path, deleted_at from attachment
                 where village_id = $1 and complaint_id = $2 order by id",
            )
            .bind(village_id)
            .bind(complaint_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(super::AttachmentBrief {
                        id: r.try_get("id")?,
                        requirement_key: r.try_get("requirement_key")?,
                        mime_type: r.try_get("mime_type")?,
                        downloaded: r.try_get::<Option<String>, _>("file_path")?.is_some(),
                        deleted: r.try_get::<Option<Timestamp>, _>("deleted_at")?.is_some(),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }
}
