//! Downloading media residents send (photos of a KTP/KK, voice notes, PDFs).
//!
//! Two steps: `GET {base}/{media_id}` gives `{url, mime_type, sha256, file_size, id}`, then the
//! url (valid 5 minutes) is fetched with the same Bearer token. Nothing Meta announces is trusted
//! on its own: the size limit is checked before downloading and enforced again while streaming,
//! and the file only appears under its final name once size and sha256 both match — a failed
//! download leaves nothing behind.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::error::{GraphError, MediaError};
use super::graph::{error_response, GraphClient};

/// Largest file accepted per media type, in bytes. The defaults are WhatsApp's own limits, so
/// nothing a resident can legitimately send is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    pub image: u64,
    pub audio: u64,
    pub video: u64,
    pub document: u64,
    pub sticker: u64,
}

const MB: u64 = 1024 * 1024;

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            image: 5 * MB,
            audio: 16 * MB,
            video: 16 * MB,
            document: 100 * MB,
            sticker: 500 * 1024,
        }
    }
}

impl MediaLimits {
    /// The limit for a MIME type. WhatsApp sends stickers as `image/webp` (photos are JPEG or
    /// PNG); anything that is not image, audio or video is a document.
    pub fn for_mime(&self, mime_type: &str) -> u64 {
        let essence = mime_essence(mime_type);
        if essence == "image/webp" {
            self.sticker
        } else if essence.starts_with("image/") {
            self.image
        } else if essence.starts_with("audio/") {
            self.audio
        } else if essence.starts_with("video/") {
            self.video
        } else {
            self.document
        }
    }
}

/// A media file safely on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedMedia {
    pub path: PathBuf,
    pub mime_type: String,
    pub size: u64,
    pub sha256_hex: String,
}

/// What `GET {base}/{media_id}` announces.
#[derive(Debug)]
struct MediaInfo {
    url: String,
    mime_type: String,
    /// Raw digest bytes, decoded from hex or base64.
    sha256: Vec<u8>,
    file_size: Option<u64>,
}

impl MediaInfo {
    fn parse(v: &Value) -> Result<Self, GraphError> {
        let text = |key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| GraphError::InvalidResponse(format!("media metadata without {key}")))
        };
        let sha_text = text("sha256")?;
        let sha256 = decode_sha256(sha_text).ok_or_else(|| {
            GraphError::InvalidResponse(format!(
                "media sha256 {sha_text:?} is neither hex nor base64"
            ))
        })?;
        // Meta documents file_size as a number; some SDKs see it as a string. Accept both.
        let file_size = match v.get("file_size") {
            None | Some(Value::Null) => None,
            Some(size) => Some(
                size.as_u64()
                    .or_else(|| size.as_str().and_then(|s| s.trim().parse().ok()))
                    .ok_or_else(|| {
                        GraphError::InvalidResponse(format!("media file_size {size} is not a size"))
                    })?,
            ),
        };
        Ok(MediaInfo {
            url: text("url")?.to_string(),
            mime_type: text("mime_type")?.to_string(),
            sha256,
            file_size,
        })
    }
}

impl GraphClient {
    /// Download the media `media_id` into `dest_dir` (which must exist) as `{id}.{ext}`.
    pub async fn download_media(
        &self,
        media_id: &str,
        dest_dir: &Path,
        limits: &MediaLimits,
    ) -> Result<DownloadedMedia, GraphError> {
        let file_stem = checked_media_id(media_id)?;
        let info = MediaInfo::parse(&self.get_json(media_id).await?)?;
        let limit = limits.for_mime(&info.mime_type);
        if let Some(announced) = info.file_size {
            if announced > limit {
                return Err(MediaError::TooLarge {
                    mime_type: info.mime_type,
                    announced,
                    limit,
                }
                .into());
            }
        }
        // The token goes wherever the url points; never let it travel unencrypted when the Graph
        // API itself is reached over https.
        if self.base_url().starts_with("https://") && !info.url.starts_with("https://") {
            return Err(MediaError::InsecureUrl(info.url).into());
        }

        let response = self
            .http()
            .get(&info.url)
            .bearer_auth(self.token())
            .timeout(self.media_timeout())
            .send()
            .await?;
        if !response.status().is_success() {
            // An expired url (they live 5 minutes) shows up here as a 4xx.
            return Err(error_response(response).await);
        }

        let final_path = dest_dir.join(format!("{file_stem}.{}", extension_for(&info.mime_type)));
        let temp_path = dest_dir.join(format!(".{file_stem}.{:016x}.part", rand::random::<u64>()));
        let written = stream_to_file(response, &temp_path, limit).await;
        let outcome = match written {
            Ok((size, digest)) => verify(&info, size, &digest).map(|()| (size, digest)),
            Err(e) => Err(e),
        };
        let (size, digest) = match outcome {
            Ok(ok) => ok,
            Err(e) => {
                // Best effort: the error that matters is the download's, not the cleanup's.
                let _ = tokio::fs::remove_file(&temp_path).await;
                return Err(e);
            }
        };
        if let Err(e) = tokio::fs::rename(&temp_path, &final_path).await {
            let _ = tokio::fs::remove_file(&temp_path).await;
            return Err(MediaError::Io(e).into());
        }
        let sha256_hex = hex::encode(digest);
        tracing::info!(media_id, size, mime_type = %info.mime_type, "media downloaded");
        Ok(DownloadedMedia {
            path: final_path,
            mime_type: info.mime_type,
            size,
            sha256_hex,
        })
    }
}

/// Stream the body into `path`, hashing as it goes and stopping as soon as it passes `limit`.
/// Content-Length is not consulted: like the announced size, it is a claim, and this cap is
/// what actually bounds the disk and memory a download can use.
async fn stream_to_file(
    mut response: reqwest::Response,
    path: &Path,
    limit: u64,
) -> Result<(u64, Vec<u8>), GraphError> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(MediaError::Io)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = response.chunk().await? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(MediaError::BodyTooLarge { limit }.into());
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(MediaError::Io)?;
    }
    // Durable before the rename makes it visible under its real name.
    file.sync_all().await.map_err(MediaError::Io)?;
    Ok((size, hasher.finalize().to_vec()))
}

fn verify(info: &MediaInfo, size: u64, digest: &[u8]) -> Result<(), GraphError> {
    if let Some(announced) = info.file_size {
        if announced != size {
            return Err(MediaError::SizeMismatch {
                announced,
                actual: size,
            }
            .into());
        }
    }
    if info.sha256 != digest {
        return Err(MediaError::ShaMismatch {
            expected: hex::encode(&info.sha256),
            actual: hex::encode(digest),
        }
        .into());
    }
    Ok(())
}

/// Media ids come from webhooks, i.e. from outside: they end up in a URL path and a file name,
/// so only plain id characters are accepted.
pub(crate) fn checked_media_id(media_id: &str) -> Result<&str, GraphError> {
    let ok = !media_id.is_empty()
        && media_id.len() <= 128
        && media_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(media_id)
    } else {
        Err(MediaError::InvalidId(media_id.chars().take(140).collect()).into())
    }
}

/// `audio/ogg; codecs=opus` → `audio/ogg`.
pub fn mime_essence(mime_type: &str) -> String {
    mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The file extension for the MIME types WhatsApp delivers; `bin` for anything else.
pub fn extension_for(mime_type: &str) -> &'static str {
    match mime_essence(mime_type).as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/aac" => "aac",
        "audio/mp4" => "m4a",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        _ => "bin",
    }
}

/// Meta's media endpoint gives the sha256 as lowercase hex, webhooks give it base64: accept both.
pub fn decode_sha256(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() == 64 {
        if let Ok(bytes) = hex::decode(s) {
            return Some(bytes);
        }
    }
    decode_base64(s).filter(|b| b.len() == 32)
}

/// Standard or URL-safe base64, padding optional. (Small enough not to need a crate.)
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.trim_end_matches('=');
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_by_mime_type() {
        let l = MediaLimits::default();
        assert_eq!(l.for_mime("image/jpeg"), 5 * MB);
        assert_eq!(l.for_mime("image/webp"), 500 * 1024);
        assert_eq!(l.for_mime("audio/ogg; codecs=opus"), 16 * MB);
        assert_eq!(l.for_mime("VIDEO/MP4"), 16 * MB);
        assert_eq!(l.for_mime("application/pdf"), 100 * MB);
        assert_eq!(l.for_mime(""), 100 * MB);
    }

    #[test]
    fn extensions() {
        assert_eq!(extension_for("audio/ogg; codecs=opus"), "ogg");
        assert_eq!(extension_for("image/jpeg"), "jpg");
        assert_eq!(extension_for("application/x-msdownload"), "bin");
    }

    #[test]
    fn sha256_in_hex_or_base64() {
        let digest = Sha256::digest(b"foto ktp");
        let hex_form = hex::encode(digest);
        assert_eq!(decode_sha256(&hex_form).as_deref(), Some(&digest[..]));
        assert_eq!(
            decode_sha256(&hex_form.to_uppercase()).as_deref(),
            Some(&digest[..])
        );
        // Known vector: sha256("") in base64, as a webhook would carry it.
        let empty = Sha256::digest(b"");
        let b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(decode_sha256(b64).as_deref(), Some(&empty[..]));
        assert_eq!(
            decode_sha256(b64.trim_end_matches('=')).as_deref(),
            Some(&empty[..])
        );
        let url_safe = b64.replace('+', "-").replace('/', "_");
        assert_eq!(decode_sha256(&url_safe).as_deref(), Some(&empty[..]));
        assert_eq!(decode_sha256("not a digest!"), None);
        assert_eq!(decode_sha256("AAAA"), None);
    }

    #[test]
    fn media_ids_are_checked() {
        assert!(checked_media_id("1234567890").is_ok());
        assert!(checked_media_id("../etc/passwd").is_err());
        assert!(checked_media_id("").is_err());
        assert!(checked_media_id("a?b").is_err());
    }

    #[test]
    fn metadata_tolerates_string_sizes_and_refuses_garbage() {
        let sha = hex::encode(Sha256::digest(b"x"));
        let v = serde_json::json!({"url": "https://x/y", "mime_type": "image/jpeg", "sha256": sha, "file_size": "12", "id": "1"});
        assert_eq!(MediaInfo::parse(&v).expect("parses").file_size, Some(12));
        let v = serde_json::json!({"url": "https://x/y", "mime_type": "image/jpeg", "sha256": sha, "file_size": -3});
        assert!(MediaInfo::parse(&v).is_err());
        let v = serde_json::json!({"mime_type": "image/jpeg", "sha256": sha});
        assert!(MediaInfo::parse(&v).is_err());
    }
}
