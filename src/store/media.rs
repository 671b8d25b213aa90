//! Attachments waiting to be downloaded from Meta, the outcome of each download, and the
//! stored files as the outbox reads them to send them on to officers.

use sqlx::Row;

use super::{Result, Store, Timestamp};

/// Attempts before a download is given up (the error stays on the row for an officer).
pub const MAX_DOWNLOAD_ATTEMPTS: i32 = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct PendingMedia {
    pub attachment_id: i64,
    pub village_id: String,
    pub media_id: String,
    pub mime_type: Option<String>,
}

/// An attachment row: where its file is, and how its download went.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentFile {
    pub id: i64,
    pub village_id: String,
    /// Meta's id of what the resident sent (cannot be re-sent; only for downloading).
    pub media_id: Option<String>,
    pub mime_type: Option<String>,
    /// Which required document it answers (`ktp`, `kk`, …).
    pub requirement_key: Option<String>,
    /// The ticket code of its request, or the code of its complaint.
    pub reference_code: Option<String>,
    /// Set once downloaded.
    pub file_path: Option<String>,
    pub size_bytes: Option<i64>,
    /// Lowercase hex, of the downloaded file.
    pub sha256: Option<String>,
    pub download_attempts: i64,
    pub download_error: Option<String>,
    pub downloaded_at: Option<Timestamp>,
    /// Set when the file was deleted under the retention rules (the row stays for the audit).
    pub deleted_at: Option<Timestamp>,
}

impl AttachmentFile {
    /// Downloads are still being tried: the file may yet come.
    pub fn download_pending(&self) -> bool {
        self.file_path.is_none()
            && self.deleted_at.is_none()
            && self.media_id.is_some()
            && self.download_attempts < i64::from(MAX_DOWNLOAD_ATTEMPTS)
    }
}

const ATTACHMENT_COLUMNS: &str = "a.id, a.village_id, a.media_id, a.mime_type, a.requirement_key,
     coalesce(r.ticket_code, k.code) as reference_code, a.file_path, a.size_bytes, a.sha256,
     a.download_attempts, a.download_error, a.downloaded_at, a.deleted_at
     from attachment a
     left join service_request r on r.id = a.request_id and r.village_id = a.village_id
     left join complaint k on k.id = a.complaint_id and k.village_id = a.village_id";

impl Store {
    pub async fn pending_media(&self, limit: i64) -> Result<Vec<PendingMedia>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select id, village_id, media_id, mime_type from attachment
                 where file_path is null and deleted_at is null and media_id is not null
                   and download_attempts < $1
                 order by id limit $2",
            )
            .bind(MAX_DOWNLOAD_ATTEMPTS)
            .bind(limit)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(PendingMedia {
                        attachment_id: r.try_get("id")?,
                        village_id: r.try_get("village_id")?,
                        media_id: r.try_get("media_id")?,
                        mime_type: r.try_get("mime_type")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// Record a finished download, or a failed attempt with its reason.
    pub async fn record_media_download(
        &self,
        attachment_id: i64,
        outcome: std::result::Result<(&str, i64, &str), &str>,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        match outcome {
            Ok((path, size, sha256)) => on_conn!(&mut tx, |c| sqlx::query(
                "update attachment set file_path = $2, size_bytes = $3, sha256 = $4,
                     downloaded_at = $5, download_attempts = download_attempts + 1,
                     download_error = null
                 where id = $1"
            )
            .bind(attachment_id)
            .bind(path)
            .bind(size)
            .bind(sha256)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()),
            Err(error) => on_conn!(&mut tx, |c| sqlx::query(
                "update attachment set download_attempts = download_attempts + 1,
                     download_error = $2
                 where id = $1"
            )
            .bind(attachment_id)
            .bind(error)
            .execute(c)
            .await?
            .rows_affected()),
        };
        tx.commit().await
    }

    /// The attachment `attachment_id`, whatever its village (tests, administration). Code that
    /// acts for a village uses [`Store::attachment_for_village`].
    pub async fn attachment_file(&self, attachment_id: i64) -> Result<Option<AttachmentFile>> {
        self.fetch_attachment(attachment_id, None).await
    }

    /// The attachment `attachment_id` if it belongs to `village_id`; `None` when there is no
    /// such attachment in that village (another village's is never read).
    pub async fn attachment_for_village(
        &self,
        village_id: &str,
        attachment_id: i64,
    ) -> Result<Option<AttachmentFile>> {
        self.fetch_attachment(attachment_id, Some(village_id)).await
    }

    async fn fetch_attachment(
        &self,
        attachment_id: i64,
        village_id: Option<&str>,
    ) -> Result<Option<AttachmentFile>> {
        let sql = match village_id {
            Some(_) => format!("select {ATTACHMENT_COLUMNS} where a.id = $1 and a.village_id = $2"),
            None => format!("select {ATTACHMENT_COLUMNS} where a.id = $1"),
        };
        let mut tx = self.begin().await?;
        let row = on_conn!(&mut tx, |c| {
            let mut query = sqlx::query(&sql).bind(attachment_id);
            if let Some(v) = village_id {
                query = query.bind(v);
            }
            match query.fetch_optional(c).await? {
                None => None,
                Some(r) => Some(AttachmentFile {
                    id: r.try_get("id")?,
                    village_id: r.try_get("village_id")?,
                    media_id: r.try_get("media_id")?,
                    mime_type: r.try_get("mime_type")?,
                    requirement_key: r.try_get("requirement_key")?,
                    reference_code: r.try_get("reference_code")?,
                    file_path: r.try_get("file_path")?,
                    size_bytes: r.try_get("size_bytes")?,
                    sha256: r.try_get("sha256")?,
                    download_attempts: r.try_get::<i32, _>("download_attempts").map(i64::from)?,
                    download_error: r.try_get("download_error")?,
                    downloaded_at: r.try_get("downloaded_at")?,
                    deleted_at: r.try_get("deleted_at")?,
                }),
            }
        });
        tx.commit().await?;
        Ok(row)
    }

    /// Record that an attachment's file was deleted under the retention rules (the caller
    /// removes the file itself). Returns false when the village has no such attachment.
    pub async fn mark_attachment_deleted(
        &self,
        village_id: &str,
        attachment_id: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let changed = on_conn!(&mut tx, |c| sqlx::query(
            "update attachment set deleted_at = coalesce(deleted_at, $3)
             where id = $1 and village_id = $2"
        )
        .bind(attachment_id)
        .bind(village_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(changed == 1)
    }
}
