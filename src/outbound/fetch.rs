//! Fetches residents' photos and PDFs (attachments of requests and complaints) from Meta into the
//! data folder, `{data_dir}/media/{village}/`, so that officers can see them after Meta's media
//! ids expire (7 days). In sandbox mode the files come from the local sandbox instead.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::media::extension_for;
use super::sandbox::Sandbox;
use super::{GraphClient, MediaLimits};
use crate::store::{PendingMedia, Store, StoreError, Timestamp};

pub enum MediaSource {
    Graph(GraphClient),
    Sandbox(Arc<Sandbox>),
}

pub struct MediaFetcher {
    store: Store,
    source: MediaSource,
    dir: PathBuf,
    limits: MediaLimits,
    pub wake: Arc<tokio::sync::Notify>,
}

impl MediaFetcher {
    pub fn new(store: Store, source: MediaSource, data_dir: PathBuf, limits: MediaLimits) -> Self {
        Self {
            store,
            source,
            dir: data_dir.join("media"),
            limits,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Download what is pending (a batch); returns how many were tried.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let pending = self.store.pending_media(8).await?;
        for item in &pending {
            let outcome = self.fetch(item).await;
            let now = Timestamp::now();
            match &outcome {
                Ok((path, size, sha)) => {
                    tracing::info!(
                        attachment_id = item.attachment_id,
                        size,
                        "attachment downloaded"
                    );
                    self.store
                        .record_media_download(item.attachment_id, Ok((path, *size, sha)), now)
                        .await?;
                }
                Err(e) => {
                    tracing::warn!(attachment_id = item.attachment_id, error = %e, "attachment download failed");
                    self.store
                        .record_media_download(item.attachment_id, Err(e), now)
                        .await?;
                }
            }
        }
        Ok(pending.len())
    }

    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let tried = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "media fetcher could not reach the database; retrying");
                    0
                }
            };
            if tried > 0 {
                continue;
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
    }

    /// The file's path, size and sha256 (hex), or why it could not be had.
    async fn fetch(&self, item: &PendingMedia) -> Result<(String, i64, String), String> {
        // Village ids are validated identifiers ([a-z0-9_-]); safe as a folder name.
        let dir = self.dir.join(&item.village_id);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        match &self.source {
            MediaSource::Graph(client) => {
                let got = client
                    .download_media(&item.media_id, &dir, &self.limits)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok((
                    got.path.display().to_string(),
                    got.size as i64,
                    got.sha256_hex,
                ))
            }
            MediaSource::Sandbox(sandbox) => {
                let media = sandbox
                    .media(&item.media_id)
                    .ok_or_else(|| format!("the sandbox has no media {}", item.media_id))?;
                let limit = self.limits.for_mime(&media.mime_type);
                if media.bytes.len() as u64 > limit {
                    return Err(format!(
                        "{} bytes is over the {limit}-byte limit",
                        media.bytes.len()
                    ));
                }
                let digits: String = item
                    .media_id
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                let path = dir.join(format!("{digits}.{}", extension_for(&media.mime_type)));
                tokio::fs::write(&path, &media.bytes)
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                let sha = hex::encode(Sha256::digest(&media.bytes));
                Ok((path.display().to_string(), media.bytes.len() as i64, sha))
            }
        }
    }
}
