//! The letters made for requests: one per request, numbered from the village's counter for the
//! year. The number is taken with [`Tx::next_counter`] in the same transaction that inserts the
//! letter, so a failed save gives its number back; the table's unique constraints (request,
//! village + year + sequence, village + number) make a duplicate impossible even if the
//! counter were ever wrong.

use sqlx::Row;

use super::{Result, Timestamp, Tx};

/// A stored letter.
#[derive(Debug, Clone, PartialEq)]
pub struct LetterRow {
    pub id: i64,
    pub request_id: i64,
    pub year: i64,
    pub seq: i64,
    pub number: String,
    /// The letter's fields as the officer checked them, as JSON.
    pub fields_json: String,
    /// The rendered letter as last saved.
    pub html: String,
    pub created_by: Option<i64>,
    pub created_at: Timestamp,
    pub updated_by: Option<i64>,
    pub updated_at: Timestamp,
}

/// A letter to insert.
#[derive(Debug, Clone, Copy)]
pub struct NewLetter<'a> {
    pub village_id: &'a str,
    pub request_id: i64,
    pub year: i32,
    pub seq: i64,
    pub number: &'a str,
    pub fields_json: &'a str,
    pub html: &'a str,
    pub officer_id: i64,
    pub now: Timestamp,
}

impl Tx {
    /// The letter of a request of this village, if one was made.
    pub async fn letter_for_request(
        &mut self,
        village_id: &str,
        request_id: i64,
    ) -> Result<Option<LetterRow>> {
        let row = on_conn!(self, |c| {
            let row = sqlx::query(
                "select id, request_id, year, seq, number, fields_json, html, created_by,
                        created_at, updated_by, updated_at
                 from letter where village_id = $1 and request_id = $2",
            )
            .bind(village_id)
            .bind(request_id)
            .fetch_optional(c)
            .await?;
            match row {
                None => None,
                Some(r) => Some(LetterRow {
                    id: r.try_get("id")?,
                    request_id: r.try_get("request_id")?,
                    year: r.try_get::<i32, _>("year").map(i64::from)?,
                    seq: r.try_get::<i32, _>("seq").map(i64::from)?,
                    number: r.try_get("number")?,
                    fields_json: r.try_get("fields_json")?,
                    html: r.try_get("html")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                    updated_by: r.try_get("updated_by")?,
                    updated_at: r.try_get("updated_at")?,
                }),
            }
        });
        Ok(row)
    }

    /// Insert a request's letter. `None` when the request already has one (another officer
    /// saved it first): the caller then rolls back, which also gives the counter step back.
    pub async fn insert_letter(&mut self, l: &NewLetter<'_>) -> Result<Option<i64>> {
        // Both columns are `integer`; a sequence beyond i32 would be a broken counter.
        let seq = i32::try_from(l.seq).unwrap_or(i32::MAX);
        let id = on_conn!(self, |c| {
            let row = sqlx::query(
                "insert into letter (village_id, request_id, year, seq, number, fields_json, html,
                     created_by, created_at, updated_by, updated_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9)
                 on conflict (request_id) do nothing
                 returning id",
            )
            .bind(l.village_id)
            .bind(l.request_id)
            .bind(l.year)
            .bind(seq)
            .bind(l.number)
            .bind(l.fields_json)
            .bind(l.html)
            .bind(l.officer_id)
            .bind(l.now)
            .fetch_optional(c)
            .await?;
            match row {
                Some(r) => Some(r.try_get::<i64, _>("id")?),
                None => None,
            }
        });
        Ok(id)
    }

    /// Replace a letter's fields and rendering after the officer corrected it; the number stays.
    pub async fn update_letter(
        &mut self,
        village_id: &str,
        request_id: i64,
        fields_json: &str,
        html: &str,
        officer_id: i64,
        now: Timestamp,
    ) -> Result<u64> {
        let n = on_conn!(self, |c| sqlx::query(
            "update letter set fields_json = $3, html = $4, updated_by = $5, updated_at = $6
             where village_id = $1 and request_id = $2"
        )
        .bind(village_id)
        .bind(request_id)
        .bind(fields_json)
        .bind(html)
        .bind(officer_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n)
    }
}
