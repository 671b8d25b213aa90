//! `spawn_app()`: a server on a random port against a fresh database (SQLite file or a new
//! PostgreSQL database), and a client that talks to it the way Meta does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kentongan::app::Application;
use kentongan::config::Settings;
use kentongan::store::Store;
use kentongan::webhook::signature;
use sqlx::Connection;

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
/// The fixtures' business number; owned by the village `kaliploso` in tests.
pub const KALIPLOSO_NUMBER: &str = "1122334455667";
/// A second village's number (some fixtures use it): proves multi-village routing.
pub const SUKAMAJU_NUMBER: &str = "106540352242922";

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Run one async test body against both backends, as `name::sqlite` and `name::postgres`.
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($app: $crate::helpers::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                        run(app).await
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        run(app).await
                    }
                }
            }
        )*
    };
}
pub(crate) use both_backends;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// Where this app keeps downloaded attachments.
    pub data_dir: PathBuf,
    database: TestDatabase,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

enum TestDatabase {
    Sqlite { dir: PathBuf, url: String },
    Postgres { admin_url: String, name: String },
}

/// Where the Postgres tests create their databases. `KENTONGAN_TEST_POSTGRES=skip` skips them
/// on a machine without a server (CI never sets it).
fn postgres_admin_url() -> Option<String> {
    match std::env::var("KENTONGAN_TEST_POSTGRES") {
        Ok(v) if v == "skip" => None,
        Ok(v) if !v.is_empty() => Some(v),
        _ => Some("postgres://postgres@127.0.0.1:5432/postgres".to_string()),
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

pub fn test_config() -> &'static str {
    r#"
[database]
max_connections = 8
acquire_timeout_ms = 1500

[[village]]
id = "kaliploso"
name = "Desa Kaliploso"
ticket_prefix = "KLP"
phone_number_id = "1122334455667"
kode_desa = "35.10.06.2009"
kecamatan = "Cluring"
kabupaten = "Banyuwangi"
address = "Jl. Raya Kaliploso No. 1, Cluring, Banyuwangi 68482"
kepala_desa = "Slamet Riyadi"

[[village]]
id = "sukamaju"
name = "Desa Sukamaju"
ticket_prefix = "SKM"
phone_number_id = "106540352242922"
"#
}

pub fn init_tracing() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            kentongan::telemetry::init(kentongan::config::LogFormat::Text);
        }
    });
}

/// Start a server on a fresh database; `None` when Postgres tests are switched off.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, extra_env: &[(&str, &str)]) -> Option<TestApp> {
    init_tracing();
    let database = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("kentongan-test-{}", random_suffix()));
            let url = format!("sqlite://{}/kentongan.db", dir.display());
            TestDatabase::Sqlite { dir, url }
        }
        Backend::Postgres => {
            let Some(admin_url) = postgres_admin_url() else {
                eprintln!("KENTONGAN_TEST_POSTGRES=skip: Postgres test skipped");
                return None;
            };
            let name = format!("kt_test_{}", random_suffix());
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                panic!(
                    "cannot reach PostgreSQL at {admin_url} for the Postgres tests: {e}. \
                     Start it, point KENTONGAN_TEST_POSTGRES at another server, or set KENTONGAN_TEST_POSTGRES=skip"
                )
            });
            sqlx::query(&format!("create database {name}"))
                .execute(&mut admin)
                .await
                .expect("create test database");
            TestDatabase::Postgres { admin_url, name }
        }
    };
    let url = database.url();
    let data_dir = std::env::temp_dir().join(format!("kentongan-data-{}", random_suffix()));
    let data_dir_text = data_dir.display().to_string();
    let mut env: HashMap<String, String> = [
        ("KENTONGAN_DATA_DIR", data_dir_text.as_str()),
        ("KENTONGAN_LISTEN", "127.0.0.1:0"),
        // Tests drive the outbox worker themselves, deterministically; those that want the
        // background worker switch it on.
        ("KENTONGAN_OUTBOX_WORKER", "off"),
        ("DATABASE_URL", url.as_str()),
        ("WHATSAPP_APP_SECRET", APP_SECRET),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra_env {
        env.insert(k.to_string(), v.to_string());
    }
    // Placed beside the shipped configuration so that the shipped service catalogue is used.
    let config_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/test.toml");
    let settings = Settings::from_parts(&config_path, test_config(), |k| env.get(k).cloned())
        .expect("test settings");
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://{}", app.local_addr());
    let store = app.store().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    Some(TestApp {
        address,
        client: reqwest::Client::new(),
        store,
        data_dir,

        database,
        shutdown: Some(tx),
        server: Some(server),
    })
}

impl TestDatabase {
    fn url(&self) -> String {
        match self {
            TestDatabase::Sqlite { url, .. } => url.clone(),
            TestDatabase::Postgres { admin_url, name } => {
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(admin_url);
                format!("{base}/{name}")
            }
        }
    }
}

/// While alive, the database refuses the application: Postgres refuses connections to the test
/// database and drops the open ones; the SQLite file is held under an exclusive lock.
pub enum Outage {
    Postgres {
        admin: sqlx::PgConnection,
        name: String,
    },
    Sqlite(sqlx::SqliteConnection),
}

impl Outage {
    pub async fn end(self) {
        match self {
            Outage::Postgres { mut admin, name } => {
                sqlx::query(&format!("alter database {name} allow_connections true"))
                    .execute(&mut admin)
                    .await
                    .expect("re-allow connections");
            }
            Outage::Sqlite(mut conn) => {
                sqlx::query("rollback")
                    .execute(&mut conn)
                    .await
                    .expect("release lock");
            }
        }
    }
}

impl TestApp {
    /// The application's database URL (for a second "instance" on the same database).
    pub fn database_url(&self) -> String {
        self.database.url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POST a body to /webhook, signed like Meta signs it.
    pub async fn post_webhook(&self, body: impl Into<Vec<u8>>) -> reqwest::Response {
        let body = body.into();
        let sig = signature::sign(APP_SECRET.as_bytes(), &body);
        self.post_webhook_with_signature(body, Some(&sig)).await
    }

    pub async fn post_webhook_with_signature(
        &self,
        body: impl Into<Vec<u8>>,
        signature: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/webhook"))
            .header("content-type", "application/json")
            .body(body.into());
        if let Some(sig) = signature {
            req = req.header("x-hub-signature-256", sig);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Make the database unavailable to the application until [`Outage::end`].
    pub async fn stop_database(&self) -> Outage {
        match &self.database {
            TestDatabase::Postgres { admin_url, name } => {
                let mut admin = sqlx::PgConnection::connect(admin_url).await.expect("admin");
                sqlx::query(&format!("alter database {name} allow_connections false"))
                    .execute(&mut admin)
                    .await
                    .expect("disallow connections");
                sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()")
                    .bind(name)
                    .execute(&mut admin)
                    .await
                    .expect("terminate connections");
                Outage::Postgres {
                    admin,
                    name: name.clone(),
                }
            }
            TestDatabase::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("second connection");
                sqlx::query("begin exclusive")
                    .execute(&mut conn)
                    .await
                    .expect("exclusive lock");
                Outage::Sqlite(conn)
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        match &self.database {
            TestDatabase::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDatabase::Postgres { admin_url, name } => {
                // Drop runs outside any await point; a short-lived thread with its own runtime
                // removes the database (forcing the app's connections closed) so that test runs
                // do not pile databases up.
                let admin_url = admin_url.clone();
                let name = name.clone();
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(rt) = rt {
                        rt.block_on(async {
                            if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                                let _ = sqlx::query(&format!(
                                    "drop database if exists {name} with (force)"
                                ))
                                .execute(&mut admin)
                                .await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// A minimal `messages` payload for one text message.
pub fn text_payload(number_id: &str, wamid: &str, from: &str, name: &str, body: &str) -> String {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281200000000", "phone_number_id": number_id},
            "contacts": [{"profile": {"name": name}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": "1764300000", "type": "text", "text": {"body": body}}]
        }}]}]
    })
    .to_string()
}

/// A `messages` payload carrying status callbacks for our outbound messages.
pub fn status_payload(number_id: &str, statuses: &[(&str, &str, i64)]) -> String {
    let statuses: Vec<_> = statuses
        .iter()
        .map(|(wamid, status, ts)| {
            serde_json::json!({"id": wamid, "status": status, "timestamp": ts.to_string(), "recipient_id": "6281234567890"})
        })
        .collect();
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281200000000", "phone_number_id": number_id},
            "statuses": statuses
        }}]}]
    })
    .to_string()
}

/// Make the database refuse the message `wamid.poison` for good.
pub async fn poison(app: &TestApp) {
    let url = app.database_url();
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("create function kt_poison() returns trigger language plpgsql as $$ begin if new.wamid = 'wamid.poison' then raise exception 'poisoned message'; end if; return new; end $$")
            .execute(&mut c).await.unwrap();
        sqlx::query("create trigger kt_poison before insert on inbound_message for each row execute function kt_poison()")
            .execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("create trigger kt_poison before insert on inbound_message when new.wamid = 'wamid.poison' begin select raise(abort, 'poisoned message'); end")
            .execute(&mut c).await.unwrap();
    }
}
