//! Attachments waiting to be downloaded from Meta, and the outcome of each download.

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

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentFile {
    pub file_path: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub download_attempts: i64,
    pub download_error: Option<String>,
}

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

    pub async fn attachment_file(&self, attachment_id: i64) -> Result<Option<AttachmentFile>> {
        let mut tx = self.begin().await?;
        let row = on_conn!(&mut tx, |c| {
            let row = sqlx::query(
                "select file_path, size_bytes, sha256, download_attempts, download_error
                 from attachment where id = $1",
            )
            .bind(attachment_id)
            .fetch_optional(c)
            .await?;
            match row {
                None => None,
                Some(r) => Some(AttachmentFile {
                    file_path: r.try_get("file_path")?,
                    size_bytes: r.try_get("size_bytes")?,
                    sha256: r.try_get("sha256")?,
                    download_attempts: r.try_get::<i32, _>("download_attempts").map(i64::from)?,
                    download_error: r.try_get("download_error")?,
                }),
            }
        });
        tx.commit().await?;
        Ok(row)
    }
}
