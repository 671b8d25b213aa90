//! The officers' work on requests and complaints, inside a transaction: finding a request by
//! its code, the queue, assignment, deliveries and their confirmation, relays between an
//! officer and a resident, and the audit trail. Every query filters by village.

use sqlx::Row;

use super::{Result, Timestamp, Tx};

/// An active officer of a village, with where to reach them.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerBrief {
    pub id: i64,
    pub name: String,
    /// wa_id, else the business-scoped id.
    pub recipient: Option<String>,
    pub roles: String,
    pub on_duty: bool,
    /// The officer's own resident row (for the 24-hour window), when they have written.
    pub resident_id: Option<i64>,
}

/// A request with what officers need to act on it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDetail {
    pub id: i64,
    pub ticket_code: String,
    pub service_code: String,
    pub state: String,
    pub resident_id: i64,
    /// Where messages to the resident go.
    pub resident_recipient: Option<String>,
    pub resident_name: Option<String>,
    pub subject_name: Option<String>,
    pub relation: Option<String>,
    pub data_json: String,
    pub assigned_officer_id: Option<i64>,
    pub assigned_name: Option<String>,
    pub courier_officer_id: Option<i64>,
    pub courier_name: Option<String>,
    pub delivery_method: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub due_at: Option<Timestamp>,
    pub submitted_at: Timestamp,
    pub updated_at: Timestamp,
    pub escalation_level: i64,
    pub rating: Option<i64>,
}

/// One line of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub id: i64,
    pub ticket_code: String,
    pub service_code: String,
    pub state: String,
    pub subject_name: Option<String>,
    pub assigned_name: Option<String>,
    pub submitted_at: Timestamp,
    pub due_at: Option<Timestamp>,
}

/// A complaint with what the Kades and Sekdes need.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintDetail {
    pub id: i64,
    pub code: String,
    pub state: String,
    pub body: String,
    pub resident_id: i64,
    pub resident_recipient: Option<String>,
    pub resident_name: Option<String>,
    pub response: Option<String>,
    pub created_at: Timestamp,
}

/// What an outbound message was about (for quote-replies).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct About {
    pub resident_id: Option<i64>,
    pub request_id: Option<i64>,
    pub complaint_id: Option<i64>,
}

/// A request's attachment as listed to officers.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentBrief {
    pub id: i64,
    pub requirement_key: Option<String>,
    pub mime_type: Option<String>,
    pub downloaded: bool,
    pub deleted: bool,
}

/// One entry of a courier's delivery list.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub request: RequestDetail,
    pub assigned_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// An entry of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub action: String,
    pub detail: Option<String>,
    pub created_at: Timestamp,
}

/// A new audit trail entry.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub village_id: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub request_id: Option<i64>,
    pub complaint_id: Option<i64>,
    pub detail: Option<&'a str>,
}

const REQUEST_DETAIL_SQL: &str = "select r.id, r.ticket_code, r.service_code, r.state,
        r.resident_id, coalesce(res.wa_id, res.user_id) as resident_recipient,
        res.profile_name as resident_name, r.subject_name, r.relation, r.data_json,
        r.assigned_officer_id, a.name as assigned_name, r.courier_officer_id,
        k.name as courier_name, r.delivery_method, r.latitude, r.longitude, r.due_at,
        r.submitted_at, r.updated_at, r.escalation_level, r.rating
    from service_request r
    join resident res on res.id = r.resident_id
    left join officer a on a.id = r.assigned_officer_id
    left join officer k on k.id = r.courier_officer_id";

macro_rules! request_detail {
    ($r:expr) => {{
        let r = $r;
        RequestDetail {
            id: r.try_get("id")?,
            ticket_code: r.try_get("ticket_code")?,
            service_code: r.try_get("service_code")?,
            state: r.try_get("state")?,
            resident_id: r.try_get("resident_id")?,
            resident_recipient: r.try_get("resident_recipient")?,
            resident_name: r.try_get("resident_name")?,
            subject_name: r.try_get("subject_name")?,
            relation: r.try_get("relation")?,
            data_json: r.try_get("data_json")?,
            assigned_officer_id: r.try_get("assigned_officer_id")?,
            assigned_name: r.try_get("assigned_name")?,
            courier_officer_id: r.try_get("courier_officer_id")?,
            courier_name: r.try_get("courier_name")?,
            delivery_method: r.try_get("delivery_method")?,
            latitude: r.try_get("latitude")?,
            longitude: r.try_get("longitude")?,
            due_at: r.try_get("due_at")?,
            submitted_at: r.try_get("submitted_at")?,
            updated_at: r.try_get("updated_at")?,
            escalation_level: r.try_get::<i32, _>("escalation_level").map(i64::from)?,
            rating: r.try_get::<Option<i32>, _>("rating")?.map(i64::from),
        }
    }};
}

const COMPLAINT_DETAIL_SQL: &str = "select c.id, c.code, c.state, c.body, c.resident_id,
        coalesce(res.wa_id, res.user_id) as resident_recipient,
        res.profile_name as resident_name, c.response, c.created_at
    from complaint c join resident res on res.id = c.resident_id";

macro_rules! complaint_detail {
    ($r:expr) => {{
        let r = $r;
        ComplaintDetail {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            state: r.try_get("state")?,
            body: r.try_get("body")?,
            resident_id: r.try_get("resident_id")?,
            resident_recipient: r.try_get("resident_recipient")?,
            resident_name: r.try_get("resident_name")?,
            response: r.try_get("response")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

impl Tx {
    /// The village's active officers, with their own resident row if they have written.
    pub async fn village_officers(&mut self, village_id: &str) -> Result<Vec<OfficerBrief>> {
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select o.id, o.name, coalesce(o.wa_id, o.user_id) as recipient, o.roles,
                        o.on_duty,
                        (select res.id from resident res
                          where res.village_id = o.village_id
                            and ((o.wa_id is not null and res.wa_id = o.wa_id)
                              or (o.user_id is not null and res.user_id = o.user_id))
                          order by res.id limit 1) as resident_id
                 from officer o where o.village_id = $1 and o.active = $2 order by o.id",
            )
            .bind(village_id)
            .bind(true)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(OfficerBrief {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        recipient: r.try_get("recipient")?,
                        roles: r.try_get("roles")?,
                        on_duty: r.try_get("on_duty")?,
                        resident_id: r.try_get("resident_id")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    pub async fn set_officer_on_duty(
        &mut self,
        village_id: &str,
        officer_id: i64,
        on_duty: bool,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update officer set on_duty = $3, updated_at = $4 where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(officer_id)
        .bind(on_duty)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// A request of this village by its code.
    pub async fn request_by_code(
        &mut self,
        village_id: &str,
        ticket_code: &str,
    ) -> Result<Option<RequestDetail>> {
        let sql = format!("{REQUEST_DETAIL_SQL} where r.village_id = $1 and r.ticket_code = $2");
        let row = on_conn!(self, |c| {
            let row = sqlx::query(&sql)
                .bind(village_id)
                .bind(ticket_code)
                .fetch_optional(c)
                .await?;
            match row {
                Some(r) => Some(request_detail!(&r)),
                None => None,
            }
        });
        Ok(row)
    }

    pub async fn request_by_id(
        &mut self,
        village_id: &str,
        request_id: i64,
    ) -> Result<Option<RequestDetail>> {
        let sql = format!("{REQUEST_DETAIL_SQL} where r.village_id = $1 and r.id = $2");
        let row = on_conn!(self, |c| {
            let row = sqlx::query(&sql)
                .bind(village_id)
                .bind(request_id)
                .fetch_optional(c)
                .await?;
            match row {
                Some(r) => Some(request_detail!(&r)),
                None => None,
            }
        });
        Ok(row)
    }

    /// Open requests in the given states, oldest first.
    pub async fn queue(
        &mut self,
        village_id: &str,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<QueueRow>> {
        let placeholders: Vec<String> = (0..states.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "select r.id, r.ticket_code, r.service_code, r.state, r.subject_name,
                    a.name as assigned_name, r.submitted_at, r.due_at
             from service_request r left join officer a on a.id = r.assigned_officer_id
             where r.village_id = $1 and r.state in ({})
             order by r.submitted_at, r.id limit $2",
            placeholders.join(", ")
        );
        let rows = on_conn!(self, |c| {
            let mut q = sqlx::query(&sql).bind(village_id).bind(limit);
            for s in states {
                q = q.bind(*s);
            }
            let rows = q.fetch_all(c).await?;
            rows.iter()
                .map(|r| {
                    Ok(QueueRow {
                        id: r.try_get("id")?,
                        ticket_code: r.try_get("ticket_code")?,
                        service_code: r.try_get("service_code")?,
                        state: r.try_get("state")?,
                        subject_name: r.try_get("subject_name")?,
                        assigned_name: r.try_get("assigned_name")?,
                        submitted_at: r.try_get("submitted_at")?,
                        due_at: r.try_get("due_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    pub async fn assign_request(
        &mut self,
        village_id: &str,
        request_id: i64,
        officer_id: i64,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update service_request set assigned_officer_id = $3, updated_at = $4
             where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(officer_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn set_approved(
        &mut self,
        village_id: &str,
        request_id: i64,
        officer_id: i64,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update service_request set approved_by = $3, approved_at = $4
             where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(officer_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The resident's choice: 'antar' (home delivery) or 'ambil' (collect at the office).
    pub async fn set_delivery_method(
        &mut self,
        village_id: &str,
        request_id: i64,
        method: &str,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update service_request set delivery_method = $3 where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(method)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn set_rating(
        &mut self,
        village_id: &str,
        request_id: i64,
        rating: Option<i64>,
        comment: Option<&str>,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update service_request set rating = coalesce($3, rating),
                 rating_comment = coalesce($4, rating_comment)
             where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(rating.map(|r| r as i32))
        .bind(comment)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Give a request to a courier (or record the office pick-up) and open its register entry.
    pub async fn start_delivery(
        &mut self,
        village_id: &str,
        request_id: i64,
        courier_id: Option<i64>,
        assigned_by: Option<i64>,
        method: &str,
        now: Timestamp,
    ) -> Result<i64> {
        on_conn!(self, |c| sqlx::query(
            "update service_request set courier_officer_id = $3, updated_at = $4
             where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(courier_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        let id = on_conn!(self, |c| sqlx::query(
            "insert into delivery (village_id, request_id, courier_officer_id, assigned_by,
                 assigned_at, method)
             values ($1, $2, $3, $4, $5, $6) returning id"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(courier_id)
        .bind(assigned_by)
        .bind(now)
        .bind(method)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?);
        Ok(id)
    }

    /// The courier handed the letter over: the latest delivery of the request is delivered (a
    /// proof photo is kept even when it comes after). Returns true only the first time, so the
    /// resident is asked to confirm once.
    pub async fn mark_delivered(
        &mut self,
        village_id: &str,
        request_id: i64,
        proof_attachment_id: Option<i64>,
        now: Timestamp,
    ) -> Result<bool> {
        if proof_attachment_id.is_some() {
            on_conn!(self, |c| {
                sqlx::query(
                "update delivery set proof_attachment_id = $3
                 where id = (select max(id) from delivery where village_id = $1 and request_id = $2)"
            )
            .bind(village_id)
            .bind(request_id)
            .bind(proof_attachment_id)
            .execute(c)
            .await?
            .rows_affected()
            });
        }
        let n = on_conn!(self, |c| sqlx::query(
            "update delivery set delivered_at = $3
             where id = (select max(id) from delivery where village_id = $1 and request_id = $2)
               and delivered_at is null"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// The resident's answer to "has it arrived?": 'diterima' or 'belum'.
    pub async fn confirm_delivery(
        &mut self,
        village_id: &str,
        request_id: i64,
        confirmation: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update delivery set confirmation = $3, confirmed_at = $4,
                 delivered_at = coalesce(delivered_at, $4)
             where id = (select max(id) from delivery where village_id = $1 and request_id = $2)"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(confirmation)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Requests a courier holds that are out for delivery, oldest assignment first.
    pub async fn courier_deliveries(
        &mut self,
        village_id: &str,
        courier_id: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "{REQUEST_DETAIL_SQL}
             join delivery d on d.id = (select max(id) from delivery x where x.request_id = r.id)
             where r.village_id = $1 and r.courier_officer_id = $2 and r.state = 'diantar'
             order by d.assigned_at, r.id"
        )
        .replace(
            "r.escalation_level, r.rating",
            "r.escalation_level, r.rating, d.assigned_at, d.delivered_at",
        );
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(&sql)
                .bind(village_id)
                .bind(courier_id)
                .fetch_all(c)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(DeliveryRow {
                    request: request_detail!(r),
                    assigned_at: r.try_get("assigned_at")?,
                    delivered_at: r.try_get("delivered_at")?,
                });
            }
            out
        });
        Ok(rows)
    }

    pub async fn request_attachments(
        &mut self,
        village_id: &str,
        request_id: i64,
    ) -> Result<Vec<AttachmentBrief>> {
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select id, requirement_key, mime_type, file_path, deleted_at from attachment
                 where village_id = $1 and request_id = $2 order by id",
            )
            .bind(village_id)
            .bind(request_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AttachmentBrief {
                        id: r.try_get("id")?,
                        requirement_key: r.try_get("requirement_key")?,
                        mime_type: r.try_get("mime_type")?,
                        downloaded: r.try_get::<Option<String>, _>("file_path")?.is_some(),
                        deleted: r.try_get::<Option<Timestamp>, _>("deleted_at")?.is_some(),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    pub async fn insert_audit(&mut self, a: &Audit<'_>, now: Timestamp) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "insert into audit_event (village_id, actor_kind, actor_id, action, request_id,
                 complaint_id, detail, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(a.village_id)
        .bind(a.actor_kind)
        .bind(a.actor_id)
        .bind(a.action)
        .bind(a.request_id)
        .bind(a.complaint_id)
        .bind(a.detail)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn complaint_by_code(
        &mut self,
        village_id: &str,
        code: &str,
    ) -> Result<Option<ComplaintDetail>> {
        let sql = format!("{COMPLAINT_DETAIL_SQL} where c.village_id = $1 and c.code = $2");
        let row = on_conn!(self, |c| {
            let row = sqlx::query(&sql)
                .bind(village_id)
                .bind(code)
                .fetch_optional(c)
                .await?;
            match row {
                Some(r) => Some(complaint_detail!(&r)),
                None => None,
            }
        });
        Ok(row)
    }

    pub async fn complaint_by_id(
        &mut self,
        village_id: &str,
        id: i64,
    ) -> Result<Option<ComplaintDetail>> {
        let sql = format!("{COMPLAINT_DETAIL_SQL} where c.village_id = $1 and c.id = $2");
        let row = on_conn!(self, |c| {
            let row = sqlx::query(&sql)
                .bind(village_id)
                .bind(id)
                .fetch_optional(c)
                .await?;
            match row {
                Some(r) => Some(complaint_detail!(&r)),
                None => None,
            }
        });
        Ok(row)
    }

    /// Complaints not yet closed, oldest first.
    pub async fn open_complaints(&mut self, village_id: &str) -> Result<Vec<ComplaintDetail>> {
        let sql = format!(
            "{COMPLAINT_DETAIL_SQL} where c.village_id = $1 and c.state <> 'selesai'
             order by c.id limit 30"
        );
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(&sql).bind(village_id).fetch_all(c).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(complaint_detail!(r));
            }
            out
        });
        Ok(rows)
    }

    /// Move a complaint to `state` ('ditangani' or 'selesai'), recording who and what was said.
    pub async fn update_complaint(
        &mut self,
        village_id: &str,
        id: i64,
        state: &str,
        officer_id: i64,
        response: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let closed = state == "selesai";
        on_conn!(self, |c| sqlx::query(
            "update complaint set state = $3, handled_by = $4,
                 response = coalesce($5, response), updated_at = $6,
                 closed_at = case when $7 then $6 else closed_at end
             where village_id = $1 and id = $2 and state <> 'selesai'"
        )
        .bind(village_id)
        .bind(id)
        .bind(state)
        .bind(officer_id)
        .bind(response)
        .bind(now)
        .bind(closed)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Start (or extend) a relay: the resident's messages go to `officer_id` until `until`.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_relay(
        &mut self,
        village_id: &str,
        resident_id: i64,
        officer_id: i64,
        request_id: Option<i64>,
        complaint_id: Option<i64>,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "insert into conversation (village_id, resident_id, state_json, updated_at,
                 relay_officer_id, relay_request_id, relay_complaint_id, relay_until)
             values ($1, $2, '', $7, $3, $4, $5, $6)
             on conflict (village_id, resident_id) do update set
                 relay_officer_id = $3, relay_request_id = $4, relay_complaint_id = $5,
                 relay_until = $6"
        )
        .bind(village_id)
        .bind(resident_id)
        .bind(officer_id)
        .bind(request_id)
        .bind(complaint_id)
        .bind(until)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// End the relays an officer holds (all, or the one with this resident).
    pub async fn end_relays(
        &mut self,
        village_id: &str,
        officer_id: i64,
        resident_id: Option<i64>,
    ) -> Result<u64> {
        let n = on_conn!(self, |c| sqlx::query(
            "update conversation set relay_officer_id = null, relay_request_id = null,
                 relay_complaint_id = null, relay_until = null
             where village_id = $1 and relay_officer_id = $2
               and ($3 is null or resident_id = $3)"
        )
        .bind(village_id)
        .bind(officer_id)
        .bind(resident_id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n)
    }

    /// The resident is expected to answer something (a rating comment) until `until`.
    pub async fn set_awaiting(
        &mut self,
        village_id: &str,
        resident_id: i64,
        awaiting: Option<(&str, i64, Timestamp)>,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update conversation set awaiting = $3, awaiting_request_id = $4,
                 awaiting_until = $5
             where village_id = $1 and resident_id = $2"
        )
        .bind(village_id)
        .bind(resident_id)
        .bind(awaiting.map(|a| a.0))
        .bind(awaiting.map(|a| a.1))
        .bind(awaiting.map(|a| a.2))
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// An officer talks to the resident dialogue (for their own letter) until `until`.
    pub async fn set_personal(
        &mut self,
        village_id: &str,
        resident_id: i64,
        until: Option<Timestamp>,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update conversation set personal_until = $3
             where village_id = $1 and resident_id = $2"
        )
        .bind(village_id)
        .bind(resident_id)
        .bind(until)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Queue a message that is about a resident, request or complaint, so that a quote-reply
    /// to it can be traced back.
    #[allow(clippy::too_many_arguments)]
    pub async fn enqueue_about(
        &mut self,
        village_id: &str,
        recipient_resident_id: Option<i64>,
        recipient: &str,
        kind: &str,
        purpose: &str,
        body_json: &str,
        about: About,
        now: Timestamp,
    ) -> Result<i64> {
        let id = on_conn!(self, |c| sqlx::query(
            "insert into outbound_message (village_id, resident_id, recipient, kind, purpose,
                 body_json, status, next_attempt_at, created_at, updated_at,
                 about_resident_id, about_request_id, about_complaint_id)
             values ($1, $2, $3, $4, $5, $6, 'queued', $7, $7, $7, $8, $9, $10) returning id"
        )
        .bind(village_id)
        .bind(recipient_resident_id)
        .bind(recipient)
        .bind(kind)
        .bind(purpose)
        .bind(body_json)
        .bind(now)
        .bind(about.resident_id)
        .bind(about.request_id)
        .bind(about.complaint_id)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?);
        Ok(id)
    }

    /// What the message with this wamid (sent by us) was about.
    pub async fn outbound_about(&mut self, village_id: &str, wamid: &str) -> Result<About> {
        let about = on_conn!(self, |c| {
            let row = sqlx::query(
                "select about_resident_id, about_request_id, about_complaint_id
                 from outbound_message where village_id = $1 and wamid = $2",
            )
            .bind(village_id)
            .bind(wamid)
            .fetch_optional(c)
            .await?;
            match row {
                Some(r) => About {
                    resident_id: r.try_get("about_resident_id")?,
                    request_id: r.try_get("about_request_id")?,
                    complaint_id: r.try_get("about_complaint_id")?,
                },
                None => About::default(),
            }
        });
        Ok(about)
    }

    /// Who did what to a request, besides its state changes, oldest first.
    pub async fn request_audit(
        &mut self,
        village_id: &str,
        request_id: i64,
    ) -> Result<Vec<AuditRow>> {
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select actor_kind, actor_id, action, detail, created_at from audit_event
                 where village_id = $1 and request_id = $2 order by id",
            )
            .bind(village_id)
            .bind(request_id)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditRow {
                        actor_kind: r.try_get("actor_kind")?,
                        actor_id: r.try_get("actor_id")?,
                        action: r.try_get("action")?,
                        detail: r.try_get("detail")?,
                        created_at: r.try_get("created_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Replace a request's collected data (e.g. the delivery address added after submission).
    pub async fn set_request_data(
        &mut self,
        village_id: &str,
        request_id: i64,
        data_json: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update service_request set data_json = $3, updated_at = $4
             where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(data_json)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Where to deliver, from a location the resident shared.
    pub async fn set_request_location(
        &mut self,
        village_id: &str,
        request_id: i64,
        latitude: f64,
        longitude: f64,
    ) -> Result<()> {
        on_conn!(self, |c| sqlx::query(
            "update service_request set latitude = $3, longitude = $4
             where village_id = $1 and id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(latitude)
        .bind(longitude)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Residents in a live relay with the officer (one, or all), with where to reach them.
    pub async fn relayed_residents(
        &mut self,
        village_id: &str,
        officer_id: i64,
        resident_id: Option<i64>,
        now: Timestamp,
    ) -> Result<Vec<(i64, Option<String>)>> {
        let rows = on_conn!(self, |c| {
            let rows = sqlx::query(
                "select c.resident_id, coalesce(res.wa_id, res.user_id) as recipient
                 from conversation c join resident res on res.id = c.resident_id
                 where c.village_id = $1 and c.relay_officer_id = $2 and c.relay_until > $4
                   and ($3 is null or c.resident_id = $3)
                 order by c.resident_id",
            )
            .bind(village_id)
            .bind(officer_id)
            .bind(resident_id)
            .bind(now)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("resident_id")?, r.try_get("recipient")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }
}
