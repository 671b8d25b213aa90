//! The two database backends: pool setup, embedded migrations and transaction start. Everything
//! above this file is backend-neutral.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions;

use super::{Result, StoreError, Tx};
use crate::config::DatabaseSettings;

static PG_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(super) enum Backend {
    Postgres(PgPool),
    Sqlite {
        pool: SqlitePool,
        writer: Arc<tokio::sync::Mutex<()>>,
    },
}

impl Backend {
    pub(super) async fn connect(settings: &DatabaseSettings) -> Result<Self> {
        let url = settings.url.expose();
        if settings.is_postgres() {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| {
                    StoreError::Setup(format!(
                        "DATABASE_URL {} is not a valid PostgreSQL URL: {e}",
                        settings.redacted_url()
                    ))
                })?
                // Statements are logged at debug level only: they carry no personal data
                // (values are bound), but are noise at info.
                .log_statements(tracing::log::LevelFilter::Debug)
                .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .min_connections(1)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await
                .map_err(|e| {
                    StoreError::Setup(format!(
                        "cannot connect to PostgreSQL at {}: {e}",
                        settings.redacted_url()
                    ))
                })?;
            Ok(Backend::Postgres(pool))
        } else {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| {
                    StoreError::Setup(format!(
                        "DATABASE_URL {url} is not a valid SQLite URL (e.g. sqlite://data/kentongan.db): {e}"
                    ))
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL + NORMAL is durable against process crashes; a power cut can lose the last
                // transactions, which FULL would keep at a large cost per commit. We choose FULL:
                // a webhook answered 200 must survive anything, since Meta will not resend it.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(settings.acquire_timeout)
                .log_statements(tracing::log::LevelFilter::Debug);
            if let Some(dir) = options.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Setup(format!(
                            "cannot create the database folder {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections.clamp(1, 8))
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await
                .map_err(|e| {
                    StoreError::Setup(format!("cannot open SQLite database {url}: {e}"))
                })?;
            Ok(Backend::Sqlite {
                pool,
                writer: Arc::new(tokio::sync::Mutex::new(())),
            })
        }
    }

    pub(super) fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite { .. } => "sqlite",
        }
    }

    pub(super) async fn migrate(&self) -> Result<()> {
        match self {
            Backend::Postgres(pool) => PG_MIGRATIONS.run(pool).await?,
            Backend::Sqlite { pool, .. } => SQLITE_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    pub(super) async fn begin(&self) -> Result<Tx> {
        match self {
            Backend::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
            Backend::Sqlite { pool, writer } => {
                // Waiting for the in-process writer lock is bounded like waiting for a pooled
                // connection, so a stuck writer turns into 503s rather than a pile-up.
                let guard = tokio::time::timeout(
                    pool.options().get_acquire_timeout(),
                    writer.clone().lock_owned(),
                )
                .await
                .map_err(|_| StoreError::Unavailable(sqlx::Error::PoolTimedOut))?;
                // IMMEDIATE takes the write lock up front; a deferred transaction that reads
                // first could fail to upgrade when another process has written meanwhile.
                let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(Tx::Sqlite(tx, guard))
            }
        }
    }

    pub(super) async fn ping(&self) -> Result<()> {
        match self {
            Backend::Postgres(pool) => {
                sqlx::query("select 1").execute(pool).await?;
            }
            Backend::Sqlite { .. } => {
                // Reads of an SQLite file succeed even while another process holds the write
                // lock; what the service needs is to write, so take (and release) that lock.
                let tx = self.begin().await?;
                drop(tx);
            }
        }
        Ok(())
    }

    pub(super) async fn close(&self) {
        match self {
            Backend::Postgres(pool) => pool.close().await,
            Backend::Sqlite { pool, .. } => pool.close().await,
        }
    }
}
