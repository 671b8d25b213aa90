//! Settings: `config/kentongan.toml` (or `KENTONGAN_CONFIG`), then environment variables, which win.
//!
//! Secrets come only from the environment and are typed as [`Secret`] so they never print.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::phone::{UserId, WaId};
use crate::store::officers::Role;

/// Default location of the configuration file, relative to the working directory.
pub const DEFAULT_CONFIG_PATH: &str = "config/kentongan.toml";
/// Default database: the embedded SQLite file, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/kentongan.db";
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8080";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v24.0";
/// Meta's payloads can reach about 3 MB.
pub const DEFAULT_BODY_LIMIT: usize = 3 * 1024 * 1024;

/// A value that must never appear in logs or command output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(message.into())
}

/// What the file may contain. Unknown keys are refused so that a typo does not silently fall back
/// to a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    server: FileServer,
    #[serde(default)]
    database: FileDatabase,
    #[serde(default)]
    whatsapp: FileWhatsApp,
    #[serde(default)]
    log: FileLog,
    #[serde(default)]
    conversation: FileConversation,
    #[serde(default)]
    outbox: FileOutbox,
    #[serde(default)]
    officers: FileOfficers,
    #[serde(default)]
    village: Vec<VillageConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOfficers {
    relay_timeout_minutes: Option<i64>,
    document_wait_hours: Option<i64>,
    delivery_confirm_hours: Option<i64>,
    escalation_step_hours: Option<i64>,
    summary_hour: Option<u32>,
    tick_seconds: Option<u64>,
}

/// How officers' work is timed: relays, waiting for documents and confirmations, escalation of
/// overdue requests, the morning summary.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerSettings {
    /// A relay (officer talking with a resident) ends after this long without a message.
    pub relay_timeout_secs: i64,
    /// After `kurang`, the resident's messages go to the officer for this long.
    pub document_wait_secs: i64,
    /// A delivery the resident has not confirmed after this long is reported to the Sekdes.
    pub delivery_confirm_secs: i64,
    /// Overdue requests go to the assigned officer at the deadline, to the Sekdes this much
    /// later, and to the Kades twice this much later.
    pub escalation_step_secs: i64,
    /// Local hour of the morning summary to the Sekdes.
    pub summary_hour: u32,
    /// How often deadlines are checked.
    pub tick_secs: u64,
}

impl Default for OfficerSettings {
    fn default() -> Self {
        OfficerSettings {
            relay_timeout_secs: 120 * 60,
            document_wait_secs: 72 * 3600,
            delivery_confirm_secs: 24 * 3600,
            escalation_step_secs: 4 * 3600,
            summary_hour: 7,
            tick_secs: 60,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConversation {
    /// The service catalogue, relative to the configuration file's folder.
    services_file: Option<String>,
    idle_timeout_minutes: Option<i64>,
    daily_request_limit: Option<u32>,
}

/// How the resident dialogue behaves.
#[derive(Debug, Clone)]
pub struct ConversationSettings {
    pub services_file: PathBuf,
    /// After this long without a message, a half-filled request is offered for resuming.
    pub idle_timeout_secs: i64,
    /// Requests one resident may submit per day.
    pub daily_request_limit: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServer {
    listen: Option<String>,
    /// Folder for downloaded attachments (photos of KTP/KK, PDFs).
    data_dir: Option<String>,
    webhook_body_limit_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDatabase {
    url: Option<String>,
    max_connections: Option<u32>,
    acquire_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWhatsApp {
    graph_url: Option<String>,
    /// Timeout of each Graph API call, in milliseconds.
    timeout_ms: Option<u64>,
    /// Language code of the approved templates.
    template_language: Option<String>,
    /// Template for messages outside the 24-hour window whose purpose has none of its own.
    fallback_template: Option<String>,
    /// Template per message purpose (status_update, delivery_notice, reminder, …).
    #[serde(default)]
    templates: std::collections::HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOutbox {
    rate_per_sec: Option<f64>,
    max_attempts: Option<i64>,
    batch: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLog {
    format: Option<String>,
}

/// One village office served by this deployment.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VillageConfig {
    /// Short stable identifier, e.g. `kaliploso`; stored with every row of the village's data.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub kecamatan: String,
    #[serde(default)]
    pub kabupaten: String,
    #[serde(default)]
    pub provinsi: String,
    /// Kemendagri region code of the desa, e.g. `35.10.06.2009`.
    #[serde(default)]
    pub kode_desa: String,
    #[serde(default)]
    pub address: String,
    /// Prefix of ticket codes, e.g. `KLP` in `KLP-0042`.
    pub ticket_prefix: String,
    #[serde(default)]
    pub display_phone_number: String,
    /// The Cloud API phone number id residents message; identifies the village on every webhook.
    pub phone_number_id: Option<String>,
    /// Hours ahead of UTC of the village's local time (WIB 7, WITA 8, WIT 9).
    #[serde(default = "default_utc_offset")]
    pub utc_offset_hours: i32,
    /// Office days as ISO weekday numbers (Monday = 1).
    #[serde(default = "default_office_days")]
    pub office_days: Vec<u32>,
    /// Opening and closing time, "HH:MM" local.
    #[serde(default = "default_office_open")]
    pub office_open: String,
    #[serde(default = "default_office_close")]
    pub office_close: String,
    /// Officers recorded at start-up when the village does not have them yet
    /// (`[[village.officers]]`); afterwards they are managed with `kentongan officer …`.
    #[serde(default)]
    pub officers: Vec<OfficerConfig>,
    /// How letter numbers are written (see [`crate::letters::number`]): placeholders `{kode}`
    /// (the service's classification code), `{nomor}` (sequence of the year, 3 digits),
    /// `{kode_desa}`, `{bulan}` (Roman month) and `{tahun}`. Default: OpenSID's
    /// `{kode}/{nomor}/{kode_desa}/{bulan}/{tahun}`.
    #[serde(default = "default_letter_number_format")]
    pub letter_number_format: String,
    /// Name of the Kepala Desa (village head), printed under the signature on letters.
    #[serde(default)]
    pub kepala_desa: String,
    /// The Kepala Desa's NIP (civil servant number), if any.
    #[serde(default)]
    pub kepala_desa_nip: Option<String>,
    /// Name of the Sekretaris Desa (village secretary), who signs "a.n." for some letters.
    #[serde(default)]
    pub sekretaris_desa: String,
    /// The Sekretaris Desa's NIP, if any.
    #[serde(default)]
    pub sekretaris_desa_nip: Option<String>,
}

/// An officer listed under a village in the configuration file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OfficerConfig {
    pub name: String,
    /// WhatsApp number as people write it (`0812…`, `+62 812…`, `62812…`).
    #[serde(default)]
    pub phone: Option<String>,
    /// Business-scoped user id, for an officer known without a number.
    #[serde(default)]
    pub user_id: Option<String>,
    /// `operator`, `sekdes`, `kades`, `kurir`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A configured officer's number, user id and roles, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedOfficer {
    pub wa_id: Option<WaId>,
    pub user_id: Option<UserId>,
    pub roles: Vec<Role>,
}

impl OfficerConfig {
    /// Validate the entry: a name, a valid number or user id, known roles (at least one).
    pub fn checked(&self) -> Result<CheckedOfficer, String> {
        if self.name.trim().is_empty() {
            return Err("the officer has no name".into());
        }
        let wa_id = self
            .phone
            .as_deref()
            .map(|p| {
                WaId::parse(p).map_err(|e| format!("phone {p:?} is not a WhatsApp number: {e}"))
            })
            .transpose()?;
        let user_id = self
            .user_id
            .as_deref()
            .map(|u| UserId::parse(u).map_err(|e| format!("user_id {u:?} is not valid: {e}")))
            .transpose()?;
        if wa_id.is_none() && user_id.is_none() {
            return Err("give the officer's phone (or user_id)".into());
        }
        let mut roles = Vec::new();
        for r in &self.roles {
            let role = Role::parse(r)?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            return Err(format!(
                "the officer has no roles; give roles = [\"…\"] with one or more of {}",
                Role::valid_list()
            ));
        }
        Ok(CheckedOfficer {
            wa_id,
            user_id,
            roles,
        })
    }
}

fn default_utc_offset() -> i32 {
    7
}
fn default_office_days() -> Vec<u32> {
    vec![1, 2, 3, 4, 5]
}
fn default_office_open() -> String {
    "08:00".into()
}
fn default_office_close() -> String {
    "15:00".into()
}
fn default_letter_number_format() -> String {
    crate::letters::number::DEFAULT_FORMAT.into()
}

/// The letter settings of a village: a number format with known placeholders, NIPs of digits.
fn validate_letter_settings(v: &VillageConfig) -> Result<(), ConfigError> {
    crate::letters::number::NumberFormat::parse(&v.letter_number_format).map_err(|e| {
        invalid(format!(
            "village {:?}: letter_number_format {:?}: {e}",
            v.id, v.letter_number_format
        ))
    })?;
    for (what, nip) in [
        ("kepala_desa_nip", &v.kepala_desa_nip),
        ("sekretaris_desa_nip", &v.sekretaris_desa_nip),
    ] {
        let Some(nip) = nip else { continue };
        let digits: String = nip.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 18 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(format!(
                "village {:?}: {what} {nip:?} is not a NIP (18 digits, spaces allowed); leave it out if there is none",
                v.id
            )));
        }
    }
    for (what, name) in [
        ("kepala_desa", &v.kepala_desa),
        ("sekretaris_desa", &v.sekretaris_desa),
    ] {
        if name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(invalid(format!(
                "village {:?}: {what} must be a name of at most 80 characters on one line",
                v.id
            )));
        }
    }
    Ok(())
}

impl VillageConfig {
    /// The village's local time zone.
    pub fn time_zone(&self) -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(self.utc_offset_hours * 3600).unwrap_or_else(|| {
            chrono::FixedOffset::east_opt(7 * 3600).expect("WIB is a valid offset")
        })
    }

    pub fn office_hours(&self) -> crate::conversation::dialogue::OfficeHours {
        let parse = |t: &str| chrono::NaiveTime::parse_from_str(t, "%H:%M").ok();
        let default = crate::conversation::dialogue::OfficeHours::default();
        crate::conversation::dialogue::OfficeHours {
            days: self.office_days.clone(),
            open: parse(&self.office_open).unwrap_or(default.open),
            close: parse(&self.office_close).unwrap_or(default.close),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// May contain a password, hence a secret.
    pub url: Secret,
    pub max_connections: u32,
    pub acquire_timeout: std::time::Duration,
}

impl DatabaseSettings {
    pub fn is_postgres(&self) -> bool {
        let url = self.url.expose();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// The URL with any password replaced, for printing.
    pub fn redacted_url(&self) -> String {
        redact_url_password(self.url.expose())
    }
}

#[derive(Debug, Clone)]
pub struct WhatsAppSettings {
    /// Timeout of each Graph API call.
    pub timeout: std::time::Duration,
    pub app_secret: Option<Secret>,
    pub verify_token: Option<Secret>,
    pub access_token: Option<Secret>,
    pub graph_url: String,
}

/// How the server talks to WhatsApp, decided from which credentials are present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Real Cloud API credentials: webhooks must carry Meta's signature, replies go to Meta.
    Live,
    /// No access token: the try-it-out mode. Replies stay in the local sandbox.
    Sandbox,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub config_path: PathBuf,
    pub listen: SocketAddr,
    /// Where downloaded attachments are kept (`{data_dir}/media/{village}/`).
    pub data_dir: PathBuf,
    pub webhook_body_limit: usize,
    pub database: DatabaseSettings,
    pub whatsapp: WhatsAppSettings,
    pub log_format: LogFormat,
    pub conversation: ConversationSettings,
    pub officers: OfficerSettings,
    pub outbox: crate::outbound::outbox::OutboxSettings,
    /// Whether this process runs the outbox worker (`KENTONGAN_OUTBOX_WORKER=off` disables it,
    /// e.g. for an instance that only receives webhooks).
    pub run_outbox_worker: bool,
    /// Group commit of webhooks (`KENTONGAN_INTAKE_WORKERS`, `KENTONGAN_INTAKE_BATCH`); `None`
    /// takes the backend's defaults.
    pub intake: Option<crate::webhook::intake::IntakeSettings>,
    pub villages: Vec<VillageConfig>,
}

impl Settings {
    pub fn mode(&self) -> Mode {
        if self.whatsapp.access_token.is_some() {
            Mode::Live
        } else {
            Mode::Sandbox
        }
    }

    /// Load from the file named by `KENTONGAN_CONFIG` (or the default path) and the process
    /// environment.
    pub fn load() -> Result<Self, ConfigError> {
        let path = std::env::var("KENTONGAN_CONFIG")
            .ok()
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH));
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Self::from_parts(&path, &text, |key| std::env::var(key).ok())
    }

    /// Build settings from a file's text and an environment lookup; the pure core of [`load`],
    /// so that tests can supply their own environment.
    ///
    /// [`load`]: Settings::load
    pub fn from_parts(
        path: &Path,
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        // Environment values that are set but empty count as unset: `FOO= kentongan` is a common
        // way to switch something off.
        let env = |key: &str| env(key).filter(|v| !v.trim().is_empty());

        let listen_text = env("KENTONGAN_LISTEN")
            .or(file.server.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text.trim().parse().map_err(|_| {
            invalid(format!(
                "listen address {listen_text:?} is not of the form HOST:PORT (e.g. 0.0.0.0:8080)"
            ))
        })?;

        let webhook_body_limit = match env("KENTONGAN_WEBHOOK_BODY_LIMIT") {
            Some(v) => v.trim().parse().map_err(|_| {
                invalid(format!(
                    "KENTONGAN_WEBHOOK_BODY_LIMIT={v:?} is not a number of bytes"
                ))
            })?,
            None => file
                .server
                .webhook_body_limit_bytes
                .unwrap_or(DEFAULT_BODY_LIMIT),
        };
        if webhook_body_limit < 1024 {
            return Err(invalid(format!(
                "webhook body limit of {webhook_body_limit} bytes is too small; Meta sends payloads up to 3 MiB"
            )));
        }

        let url = env("DATABASE_URL")
            .or(file.database.url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let scheme_ok = ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|s| url.starts_with(s));
        if !scheme_ok {
            return Err(invalid(format!(
                "DATABASE_URL {:?} must start with sqlite:// (embedded) or postgres:// (production)",
                redact_url_password(&url)
            )));
        }
        let max_connections = file.database.max_connections.unwrap_or(16);
        if max_connections == 0 {
            return Err(invalid("database.max_connections must be at least 1"));
        }
        let database = DatabaseSettings {
            url: Secret::new(url),
            max_connections,
            acquire_timeout: std::time::Duration::from_millis(
                file.database.acquire_timeout_ms.unwrap_or(3000),
            ),
        };

        let graph_url = env("WHATSAPP_GRAPH_URL")
            .or(file.whatsapp.graph_url.clone())
            .unwrap_or_else(|| DEFAULT_GRAPH_URL.to_string());
        let graph_url = graph_url.trim().trim_end_matches('/').to_string();
        if !(graph_url.starts_with("https://") || graph_url.starts_with("http://")) {
            return Err(invalid(format!(
                "WHATSAPP_GRAPH_URL {graph_url:?} must be an http(s) URL such as {DEFAULT_GRAPH_URL}"
            )));
        }
        let whatsapp = WhatsAppSettings {
            timeout: std::time::Duration::from_millis(
                file.whatsapp.timeout_ms.unwrap_or(10_000).max(100),
            ),
            app_secret: env("WHATSAPP_APP_SECRET").map(Secret::new),
            verify_token: env("WHATSAPP_VERIFY_TOKEN").map(Secret::new),
            access_token: env("WHATSAPP_ACCESS_TOKEN").map(Secret::new),
            graph_url,
        };

        let log_format = match env("KENTONGAN_LOG_FORMAT")
            .or(file.log.format)
            .as_deref()
            .map(str::trim)
        {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(format!(
                    "log format {other:?} is unknown; use \"text\" or \"json\""
                )))
            }
        };

        let base_dir = path.parent().unwrap_or(Path::new("."));
        let conversation = ConversationSettings {
            services_file: base_dir.join(
                file.conversation
                    .services_file
                    .as_deref()
                    .unwrap_or("services.toml"),
            ),
            idle_timeout_secs: file.conversation.idle_timeout_minutes.unwrap_or(120) * 60,
            daily_request_limit: file.conversation.daily_request_limit.unwrap_or(5),
        };
        if conversation.idle_timeout_secs <= 0 || conversation.daily_request_limit == 0 {
            return Err(invalid(
                "conversation.idle_timeout_minutes and conversation.daily_request_limit must be at least 1",
            ));
        }

        let d = OfficerSettings::default();
        let o = &file.officers;
        let officers = OfficerSettings {
            relay_timeout_secs: o
                .relay_timeout_minutes
                .map_or(d.relay_timeout_secs, |m| m * 60),
            document_wait_secs: o
                .document_wait_hours
                .map_or(d.document_wait_secs, |h| h * 3600),
            delivery_confirm_secs: o
                .delivery_confirm_hours
                .map_or(d.delivery_confirm_secs, |h| h * 3600),
            escalation_step_secs: o
                .escalation_step_hours
                .map_or(d.escalation_step_secs, |h| h * 3600),
            summary_hour: o.summary_hour.unwrap_or(d.summary_hour),
            tick_secs: o.tick_seconds.unwrap_or(d.tick_secs),
        };
        if officers.relay_timeout_secs <= 0
            || officers.document_wait_secs <= 0
            || officers.delivery_confirm_secs <= 0
            || officers.escalation_step_secs <= 0
            || officers.tick_secs == 0
        {
            return Err(invalid(
                "officers.relay_timeout_minutes, document_wait_hours, delivery_confirm_hours, escalation_step_hours and tick_seconds must be at least 1",
            ));
        }
        if officers.summary_hour > 23 {
            return Err(invalid("officers.summary_hour must be between 0 and 23"));
        }

        let defaults = crate::outbound::outbox::OutboxSettings::default();
        let outbox = crate::outbound::outbox::OutboxSettings {
            batch: file.outbox.batch.unwrap_or(defaults.batch).clamp(1, 500),
            rate_per_sec: match env("KENTONGAN_OUTBOX_RATE") {
                Some(v) => v.trim().parse().map_err(|_| {
                    invalid(format!(
                        "KENTONGAN_OUTBOX_RATE={v:?} is not a number of messages per second"
                    ))
                })?,
                None => file.outbox.rate_per_sec.unwrap_or(defaults.rate_per_sec),
            },
            max_attempts: file.outbox.max_attempts.unwrap_or(defaults.max_attempts),
            templates: crate::outbound::outbox::TemplateSettings {
                default: file.whatsapp.fallback_template.clone(),
                by_purpose: file.whatsapp.templates.clone(),
                language: file
                    .whatsapp
                    .template_language
                    .clone()
                    .unwrap_or_else(|| "id".into()),
            },
            ..defaults
        };
        if !(outbox.rate_per_sec > 0.0 && outbox.rate_per_sec <= 1000.0) || outbox.max_attempts < 1
        {
            return Err(invalid(
                "outbox.rate_per_sec must be between 0 and 1000 (Meta's highest tier) and outbox.max_attempts at least 1",
            ));
        }
        // A batch must finish well within a claim's lease, or another instance would take
        // over (and resend) messages still in flight.
        let batch_secs = outbox.batch as f64 / outbox.rate_per_sec
            + file.whatsapp.timeout_ms.unwrap_or(10_000) as f64 / 1000.0;
        if batch_secs + 10.0 > outbox.lease_secs as f64 {
            return Err(invalid(format!(
                "outbox: a batch of {} at {}/s with the Graph timeout takes up to {batch_secs:.0} s, too close to the {} s claim lease; send faster, in smaller batches, or with a shorter whatsapp.timeout_ms",
                outbox.batch, outbox.rate_per_sec, outbox.lease_secs
            )));
        }
        let run_outbox_worker = !matches!(
            env("KENTONGAN_OUTBOX_WORKER").as_deref().map(str::trim),
            Some("off" | "0" | "false" | "no")
        );

        let intake = {
            let count = |name: &str| -> Result<Option<usize>, ConfigError> {
                match env(name) {
                    None => Ok(None),
                    Some(v) => match v.trim().parse::<usize>() {
                        Ok(n) if n >= 1 => Ok(Some(n)),
                        _ => Err(invalid(format!(
                            "{name}={v:?} is not a whole number of at least 1"
                        ))),
                    },
                }
            };
            let workers = count("KENTONGAN_INTAKE_WORKERS")?;
            let max_batch = count("KENTONGAN_INTAKE_BATCH")?;
            (workers.is_some() || max_batch.is_some()).then(|| {
                let defaults = crate::webhook::intake::IntakeSettings::for_backend(
                    if database.is_postgres() {
                        "postgres"
                    } else {
                        "sqlite"
                    },
                );
                crate::webhook::intake::IntakeSettings {
                    workers: workers.unwrap_or(defaults.workers),
                    max_batch: max_batch.unwrap_or(defaults.max_batch),
                }
            })
        };
        let mut villages = file.village;
        assign_env_phone_number_id(&mut villages, env("WHATSAPP_PHONE_NUMBER_ID"))?;
        let data_dir = PathBuf::from(
            env("KENTONGAN_DATA_DIR")
                .or(file.server.data_dir.clone())
                .unwrap_or_else(|| "data".into()),
        );
        let settings = Settings {
            config_path: path.to_path_buf(),
            listen,
            data_dir,
            webhook_body_limit,
            database,
            whatsapp,
            log_format,
            conversation,
            officers,
            outbox,
            run_outbox_worker,
            intake,
            villages,
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.villages.is_empty() {
            return Err(invalid(format!(
                "{} lists no [[village]]; at least one village is needed",
                self.config_path.display()
            )));
        }
        let mut ids = HashSet::new();
        let mut prefixes = HashSet::new();
        let mut numbers = HashSet::new();
        for v in &self.villages {
            let ok_id = !v.id.is_empty()
                && v.id.len() <= 32
                && v.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !ok_id {
                return Err(invalid(format!(
                    "village id {:?} must be 1–32 characters of a-z, 0-9, '_' or '-'",
                    v.id
                )));
            }
            if !ids.insert(v.id.as_str()) {
                return Err(invalid(format!("village id {:?} appears twice", v.id)));
            }
            if v.name.trim().is_empty() {
                return Err(invalid(format!("village {:?} has no name", v.id)));
            }
            let ok_prefix = (2..=5).contains(&v.ticket_prefix.len())
                && v.ticket_prefix.chars().all(|c| c.is_ascii_uppercase());
            if !ok_prefix {
                return Err(invalid(format!(
                    "village {:?}: ticket_prefix {:?} must be 2–5 capital letters, e.g. \"KLP\"",
                    v.id, v.ticket_prefix
                )));
            }
            if v.ticket_prefix.starts_with("ADU") {
                return Err(invalid(format!(
                    "village {:?}: ticket_prefix {:?} may not start with ADU (complaint codes use it)",
                    v.id, v.ticket_prefix
                )));
            }
            if !(-12..=14).contains(&v.utc_offset_hours) {
                return Err(invalid(format!(
                    "village {:?}: utc_offset_hours {} is not a time zone",
                    v.id, v.utc_offset_hours
                )));
            }
            for t in [&v.office_open, &v.office_close] {
                if chrono::NaiveTime::parse_from_str(t, "%H:%M").is_err() {
                    return Err(invalid(format!(
                        "village {:?}: office time {t:?} is not HH:MM",
                        v.id
                    )));
                }
            }
            if v.office_days.iter().any(|d| !(1..=7).contains(d)) {
                return Err(invalid(format!(
                    "village {:?}: office_days must be weekday numbers 1 (Monday) to 7 (Sunday)",
                    v.id
                )));
            }
            if !prefixes.insert(v.ticket_prefix.as_str()) {
                return Err(invalid(format!(
                    "ticket_prefix {:?} is used by two villages; residents could not tell tickets apart",
                    v.ticket_prefix
                )));
            }
            if let Some(n) = &v.phone_number_id {
                if n.trim().is_empty() || n.len() > 64 {
                    return Err(invalid(format!(
                        "village {:?}: phone_number_id {n:?} is not a Cloud API phone number id",
                        v.id
                    )));
                }
                if !numbers.insert(n.as_str()) {
                    return Err(invalid(format!(
                        "phone_number_id {n:?} is given to two villages; each village needs its own number"
                    )));
                }
            }
            validate_officers(v)?;
            validate_letter_settings(v)?;
        }
        if self.mode() == Mode::Live {
            if self.whatsapp.app_secret.is_none() {
                return Err(invalid(
                    "WHATSAPP_ACCESS_TOKEN is set but WHATSAPP_APP_SECRET is not: live mode needs the app secret to verify webhooks",
                ));
            }
            if let Some(v) = self.villages.iter().find(|v| v.phone_number_id.is_none()) {
                return Err(invalid(format!(
                    "live mode: village {:?} has no phone_number_id (set it in the config file, or WHATSAPP_PHONE_NUMBER_ID for a single village)",
                    v.id
                )));
            }
        }
        Ok(())
    }

    /// The phone number id of each village; in sandbox mode a village without one gets
    /// `sandbox-{id}`, which only the local simulator uses.
    pub fn routing_number(village: &VillageConfig) -> String {
        village
            .phone_number_id
            .clone()
            .unwrap_or_else(|| format!("sandbox-{}", village.id))
    }

    /// A multi-line summary for `kentongan check-config`, with secrets redacted.
    pub fn summary(&self) -> String {
        let set = |s: &Option<Secret>| {
            if s.is_some() {
                "set (hidden)"
            } else {
                "not set"
            }
        };
        let mut out = String::new();
        out.push_str(&format!(
            "config file:      {}\n",
            self.config_path.display()
        ));
        out.push_str(&format!(
            "mode:             {}\n",
            match self.mode() {
                Mode::Live => "live (replies are sent through the WhatsApp Cloud API)",
                Mode::Sandbox => "sandbox (no WHATSAPP_ACCESS_TOKEN: replies stay on this machine)",
            }
        ));
        out.push_str(&format!("listen:           {}\n", self.listen));
        out.push_str(&format!("data folder:      {}\n", self.data_dir.display()));
        out.push_str(&format!(
            "database:         {} ({})\n",
            self.database.redacted_url(),
            if self.database.is_postgres() {
                "PostgreSQL"
            } else {
                "embedded SQLite"
            }
        ));
        out.push_str(&format!(
            "webhook limit:    {} bytes\n",
            self.webhook_body_limit
        ));
        out.push_str(&format!("graph url:        {}\n", self.whatsapp.graph_url));
        out.push_str(&format!(
            "app secret:       {}\n",
            set(&self.whatsapp.app_secret)
        ));
        out.push_str(&format!(
            "verify token:     {}\n",
            set(&self.whatsapp.verify_token)
        ));
        out.push_str(&format!(
            "access token:     {}\n",
            set(&self.whatsapp.access_token)
        ));
        for v in &self.villages {
            out.push_str(&format!(
                "village:          {} — {} (tickets {}-0001, phone_number_id {})\n",
                v.id,
                v.name,
                v.ticket_prefix,
                v.phone_number_id.as_deref().unwrap_or("none: sandbox only")
            ));
            for o in &v.officers {
                // Validated already; numbers are masked here like everywhere in output.
                let (contact, roles) = match o.checked() {
                    Ok(c) => (
                        c.wa_id
                            .map(|w| w.masked())
                            .or(c.user_id.map(|u| u.masked()))
                            .unwrap_or_default(),
                        c.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    ),
                    Err(_) => (String::new(), Vec::new()),
                };
                out.push_str(&format!(
                    "  officer:        {} — {contact} ({})\n",
                    o.name.trim(),
                    roles.join(", ")
                ));
            }
        }
        out
    }
}

/// A village's configured officers: each valid, and no two with the same number, user id or
/// name (a configured officer is recorded only while the village has no officer of that number,
/// user id or name, so a second one with the same name would silently be skipped).
fn validate_officers(v: &VillageConfig) -> Result<(), ConfigError> {
    let mut numbers = std::collections::HashMap::new();
    let mut user_ids = std::collections::HashMap::new();
    let mut names = std::collections::HashMap::new();
    for o in &v.officers {
        let checked = o.checked().map_err(|e| {
            invalid(format!(
                "village {:?}: officer {:?}: {e}",
                v.id,
                o.name.trim()
            ))
        })?;
        let name = o.name.trim();
        let twice = |what: &str, other: &str| {
            invalid(format!(
                "village {:?}: officers {other:?} and {name:?} have the same {what}; each officer is listed once",
                v.id
            ))
        };
        if let Some(other) = names.insert(name.to_lowercase(), name) {
            return Err(twice("name", other));
        }
        if let Some(w) = &checked.wa_id {
            if let Some(other) = numbers.insert(w.as_str().to_string(), name) {
                return Err(twice("phone number", other));
            }
        }
        if let Some(u) = &checked.user_id {
            if let Some(other) = user_ids.insert(u.as_str().to_string(), name) {
                return Err(twice("user_id", other));
            }
        }
    }
    Ok(())
}

/// `WHATSAPP_PHONE_NUMBER_ID` is the single-village shortcut: it fills in the one village that has
/// no number in the file.
fn assign_env_phone_number_id(
    villages: &mut [VillageConfig],
    from_env: Option<String>,
) -> Result<(), ConfigError> {
    let Some(number) = from_env.map(|n| n.trim().to_string()) else {
        return Ok(());
    };
    let already_listed = villages
        .iter()
        .any(|v| v.phone_number_id.as_deref() == Some(number.as_str()));
    let mut missing: Vec<_> = villages
        .iter_mut()
        .filter(|v| v.phone_number_id.is_none())
        .collect();
    match missing.as_mut_slice() {
        [only] => {
            only.phone_number_id = Some(number);
            Ok(())
        }
        [] if already_listed => Ok(()),
        [] => Err(invalid(format!(
            "WHATSAPP_PHONE_NUMBER_ID={number} is set but every village already has a phone_number_id in the config file, none of them this one"
        ))),
        _ => Err(invalid(
            "WHATSAPP_PHONE_NUMBER_ID only works with a single village without a phone_number_id; with several villages give each one its phone_number_id in the config file",
        )),
    }
}

/// Replace the password in `scheme://user:password@host/…` with `***`.
pub fn redact_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}://{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const BASE: &str = r#"
[[village]]
id = "kaliploso"
name = "Desa Kaliploso"
ticket_prefix = "KLP"
"#;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_parts(Path::new("test.toml"), text, |k| env.get(k).cloned())
    }

    #[test]
    fn shipped_config_is_valid() {
        let text = include_str!("../config/kentongan.toml");
        let s = load(text, &[]).expect("shipped config loads");
        assert_eq!(s.mode(), Mode::Sandbox);
        assert_eq!(s.villages[0].ticket_prefix, "KLP");
        assert_eq!(s.database.url.expose(), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn intake_batching_is_tuned_from_the_environment() {
        use crate::webhook::intake::IntakeSettings;
        assert_eq!(load(BASE, &[]).unwrap().intake, None);
        let s = load(
            BASE,
            &[
                ("KENTONGAN_INTAKE_WORKERS", "2"),
                ("DATABASE_URL", "postgres://u@localhost/db"),
            ],
        )
        .unwrap();
        assert_eq!(
            s.intake,
            Some(IntakeSettings {
                workers: 2,
                max_batch: 64
            })
        );
        let s = load(BASE, &[("KENTONGAN_INTAKE_BATCH", "8")]).unwrap();
        assert_eq!(
            s.intake,
            Some(IntakeSettings {
                workers: 1,
                max_batch: 8
            })
        );
        for (name, value) in [
            ("KENTONGAN_INTAKE_WORKERS", "0"),
            ("KENTONGAN_INTAKE_BATCH", "many"),
        ] {
            let e = load(BASE, &[(name, value)]).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("at least 1"), "{e}");
        }
    }

    #[test]
    fn environment_wins_over_file() {
        let s = load(
            &format!("[server]\nlisten = \"127.0.0.1:1\"\n{BASE}"),
            &[
                ("KENTONGAN_LISTEN", "127.0.0.1:9999"),
                ("DATABASE_URL", "postgres://u:pw@localhost/db"),
                ("WHATSAPP_GRAPH_URL", "http://127.0.0.1:1234/v24.0/"),
                ("KENTONGAN_LOG_FORMAT", "json"),
            ],
        )
        .unwrap();
        assert_eq!(s.listen.port(), 9999);
        assert!(s.database.is_postgres());
        assert_eq!(s.whatsapp.graph_url, "http://127.0.0.1:1234/v24.0");
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn secrets_never_print() {
        let s = load(
            BASE,
            &[
                ("WHATSAPP_APP_SECRET", "s3cr3t-app"),
                ("WHATSAPP_ACCESS_TOKEN", "EAAtoken"),
                ("WHATSAPP_PHONE_NUMBER_ID", "123456"),
                ("DATABASE_URL", "postgres://kt:hunter2@db/kt"),
            ],
        )
        .unwrap();
        let printed = format!("{s:?}\n{}", s.summary());
        for secret in ["s3cr3t-app", "EAAtoken", "hunter2"] {
            assert!(!printed.contains(secret), "{secret} leaked: {printed}");
        }
        assert!(printed.contains("postgres://kt:***@db/kt"));
        assert_eq!(s.mode(), Mode::Live);
    }

    #[test]
    fn single_village_takes_phone_number_id_from_env() {
        let s = load(BASE, &[("WHATSAPP_PHONE_NUMBER_ID", " 1122334455667 ")]).unwrap();
        assert_eq!(
            s.villages[0].phone_number_id.as_deref(),
            Some("1122334455667")
        );
    }

    #[test]
    fn sandbox_village_gets_a_local_routing_number() {
        let s = load(BASE, &[]).unwrap();
        assert_eq!(
            Settings::routing_number(&s.villages[0]),
            "sandbox-kaliploso"
        );
    }

    #[test]
    fn live_mode_without_app_secret_is_refused() {
        let err = load(
            BASE,
            &[
                ("WHATSAPP_ACCESS_TOKEN", "t"),
                ("WHATSAPP_PHONE_NUMBER_ID", "1"),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("WHATSAPP_APP_SECRET"), "{err}");
    }

    #[test]
    fn bad_values_get_clear_errors() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (BASE, &[("KENTONGAN_LISTEN", "eighty")], "HOST:PORT"),
            (BASE, &[("DATABASE_URL", "mysql://x")], "sqlite://"),
            (BASE, &[("KENTONGAN_LOG_FORMAT", "xml")], "\"json\""),
            (BASE, &[("WHATSAPP_GRAPH_URL", "graph")], "http(s)"),
            ("", &[], "no [[village]]"),
            (
                "[[village]]\nid = \"Kali Ploso\"\nname = \"x\"\nticket_prefix = \"KLP\"",
                &[],
                "village id",
            ),
            (
                "[[village]]\nid = \"a\"\nname = \"x\"\nticket_prefix = \"klp\"",
                &[],
                "ticket_prefix",
            ),
            (
                "[[village]]\nid = \"a\"\nname = \"A\"\nticket_prefix = \"AA\"\nphone_number_id = \"1\"\n[[village]]\nid = \"b\"\nname = \"B\"\nticket_prefix = \"BB\"\nphone_number_id = \"1\"",
                &[],
                "two villages",
            ),
            ("[server]\nlisen = \"x\"\n", &[], "unknown field"),
            (
                "[[village]]\nid = \"a\"\nname = \"A\"\nticket_prefix = \"AA\"\n[[village]]\nid = \"b\"\nname = \"B\"\nticket_prefix = \"BB\"",
                &[("WHATSAPP_PHONE_NUMBER_ID", "5")],
                "single village",
            ),
        ];
        for (text, env, expected) in cases {
            let err = load(text, env).expect_err(text);
            assert!(
                err.to_string().contains(expected),
                "expected {expected:?} in {err}"
            );
        }
    }

    #[test]
    fn secrets_in_the_file_are_refused() {
        let err = load(&format!("[whatsapp]\napp_secret = \"x\"\n{BASE}"), &[]).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    const WITH_OFFICERS: &str = r#"
[[village]]
id = "kaliploso"
name = "Desa Kaliploso"
ticket_prefix = "KLP"

[[village.officers]]
name = "Pak Kades"
phone = "0812 3456 7890"
roles = ["Kades"]

[[village.officers]]
name = "Bu Sekdes"
user_id = "ID.1234567890"
roles = ["sekdes", "operator"]
"#;

    #[test]
    fn configured_officers_are_read_and_shown_masked() {
        let s = load(WITH_OFFICERS, &[]).unwrap();
        let officers = &s.villages[0].officers;
        assert_eq!(officers.len(), 2);
        let kades = officers[0].checked().unwrap();
        assert_eq!(kades.wa_id.unwrap().as_str(), "6281234567890");
        assert_eq!(kades.roles, vec![Role::Kades]);
        let sekdes = officers[1].checked().unwrap();
        assert_eq!(sekdes.user_id.unwrap().as_str(), "ID.1234567890");
        assert_eq!(sekdes.roles, vec![Role::Sekdes, Role::Operator]);
        let summary = s.summary();
        assert!(
            summary.contains("Pak Kades — 628******7890 (kades)"),
            "{summary}"
        );
        assert!(summary.contains("Bu Sekdes"), "{summary}");
        assert!(!summary.contains("6281234567890"), "{summary}");
        assert!(!summary.contains("ID.1234567890"), "{summary}");
    }

    #[test]
    fn shipped_officer_example_is_valid_once_uncommented() {
        let text = include_str!("../config/kentongan.toml");
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest == "[[village.officers]]"
                        || ["name = ", "phone = ", "user_id = ", "roles = "]
                            .iter()
                            .any(|k| rest.starts_with(k)) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let s = load(&uncommented, &[]).expect("the officer example loads");
        let roles: Vec<Vec<Role>> = s.villages[0]
            .officers
            .iter()
            .map(|o| o.checked().unwrap().roles)
            .collect();
        assert!(roles.contains(&vec![Role::Kades]), "{roles:?}");
        assert!(roles.contains(&vec![Role::Sekdes]), "{roles:?}");
    }

    #[test]
    fn bad_configured_officers_get_clear_errors() {
        let officer = |body: &str| format!("{BASE}\n[[village.officers]]\n{body}\n");
        let two = |a: &str, b: &str| {
            format!("{BASE}\n[[village.officers]]\n{a}\n[[village.officers]]\n{b}\n")
        };
        let cases = [
            (
                officer("name = \"Budi\"\nphone = \"0812-abc\"\nroles = [\"kurir\"]"),
                vec![
                    "\"kaliploso\"",
                    "\"Budi\"",
                    "\"0812-abc\"",
                    "not a WhatsApp number",
                ],
            ),
            (
                officer("name = \"Budi\"\nphone = \"081234567890\"\nroles = [\"lurah\"]"),
                vec![
                    "\"kaliploso\"",
                    "\"Budi\"",
                    "unknown role \"lurah\"",
                    "operator, sekdes, kades, kurir",
                ],
            ),
            (
                officer("name = \"Budi\"\nphone = \"081234567890\"\nroles = []"),
                vec!["\"Budi\"", "no roles"],
            ),
            (
                officer("name = \"Budi\"\nphone = \"081234567890\""),
                vec!["\"Budi\"", "no roles"],
            ),
            (
                officer("name = \"Budi\"\nroles = [\"kurir\"]"),
                vec!["\"Budi\"", "phone (or user_id)"],
            ),
            (
                officer("name = \" \"\nphone = \"081234567890\"\nroles = [\"kurir\"]"),
                vec!["\"kaliploso\"", "no name"],
            ),
            (
                officer("name = \"Budi\"\nuser_id = \"no spaces\"\nroles = [\"kurir\"]"),
                vec!["\"Budi\"", "user_id \"no spaces\""],
            ),
            (
                two(
                    "name = \"Budi\"\nphone = \"081234567890\"\nroles = [\"kurir\"]",
                    "name = \"Sri\"\nphone = \"+62 812-3456-7890\"\nroles = [\"sekdes\"]",
                ),
                vec!["\"kaliploso\"", "\"Budi\" and \"Sri\"", "same phone number"],
            ),
            (
                two(
                    "name = \"Budi\"\nphone = \"081234567890\"\nroles = [\"kurir\"]",
                    "name = \"budi\"\nphone = \"081234567891\"\nroles = [\"kurir\"]",
                ),
                vec!["\"Budi\" and \"budi\"", "same name"],
            ),
            (
                two(
                    "name = \"Budi\"\nuser_id = \"ID.1\"\nroles = [\"kurir\"]",
                    "name = \"Sri\"\nuser_id = \"ID.1\"\nroles = [\"sekdes\"]",
                ),
                vec!["\"Budi\" and \"Sri\"", "same user_id"],
            ),
            (
                officer(
                    "name = \"Budi\"\nphone = \"081234567890\"\nroles = [\"kurir\"]\nrole = \"x\"",
                ),
                vec!["unknown field"],
            ),
        ];
        for (text, expected) in cases {
            let err = load(&text, &[]).expect_err(&text).to_string();
            for e in expected {
                assert!(err.contains(e), "expected {e:?} in {err}\n{text}");
            }
        }
    }

    #[test]
    fn letter_settings_have_defaults_and_are_checked() {
        let s = load(BASE, &[]).unwrap();
        let v = &s.villages[0];
        assert_eq!(
            v.letter_number_format,
            crate::letters::number::DEFAULT_FORMAT
        );
        assert!(v.kepala_desa.is_empty() && v.kepala_desa_nip.is_none());
        assert!(v.sekretaris_desa.is_empty() && v.sekretaris_desa_nip.is_none());

        let with = |extra: &str| format!("{BASE}\n{extra}\n");
        let s = load(
            &with(
                "letter_number_format = \"{nomor}/{kode}/KLP/{bulan}/{tahun}\"\nkepala_desa = \"Slamet\"\nsekretaris_desa_nip = \"19800101 200501 2 003\"",
            ),
            &[],
        )
        .unwrap();
        assert_eq!(s.villages[0].kepala_desa, "Slamet");
        assert_eq!(
            s.villages[0].letter_number_format,
            "{nomor}/{kode}/KLP/{bulan}/{tahun}"
        );

        let cases = [
            (
                "letter_number_format = \"{kode}/{nomer}/{tahun}\"",
                vec![
                    "\"kaliploso\"",
                    "letter_number_format",
                    "unknown placeholder {nomer}",
                ],
            ),
            (
                "letter_number_format = \"{kode}/{nomor}\"",
                vec!["{tahun} is missing"],
            ),
            (
                "kepala_desa_nip = \"12345\"",
                vec!["kepala_desa_nip \"12345\"", "18 digits"],
            ),
            (
                "sekretaris_desa = \"Rina\\nWulan\"",
                vec!["sekretaris_desa", "one line"],
            ),
        ];
        for (extra, expected) in cases {
            let err = load(&with(extra), &[]).expect_err(extra).to_string();
            for e in expected {
                assert!(err.contains(e), "expected {e:?} in {err}");
            }
        }
    }

    #[test]
    fn shipped_letter_example_is_valid_once_uncommented() {
        let text = include_str!("../config/kentongan.toml");
        let keys = [
            "letter_number_format = ",
            "kepala_desa = ",
            "kepala_desa_nip = ",
            "sekretaris_desa = ",
            "sekretaris_desa_nip = ",
        ];
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if keys.iter().any(|k| rest.starts_with(k)) => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let s = load(&uncommented, &[]).expect("the letter example loads");
        let v = &s.villages[0];
        assert_eq!(v.kepala_desa, "Nama Kepala Desa");
        assert!(v.sekretaris_desa_nip.is_some());
        crate::letters::NumberFormat::parse(&v.letter_number_format).unwrap();
    }

    #[test]
    fn url_redaction() {
        assert_eq!(
            redact_url_password("postgres://a:b@h:5432/d"),
            "postgres://a:***@h:5432/d"
        );
        assert_eq!(redact_url_password("postgres://a@h/d"), "postgres://a@h/d");
        assert_eq!(
            redact_url_password("sqlite://data/k.db"),
            "sqlite://data/k.db"
        );
    }
}
