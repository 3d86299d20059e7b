//! Readiness storage: one SQLite database holds projects, tokens, artifacts
//! (compressed, with their SHA-256), the runs parsed from them, and the
//! certificates issued on them.
//!
//! Every query lives in this crate, so moving to PostgreSQL is a change here
//! and nowhere else. Writes use `BEGIN IMMEDIATE` transactions: SQLite has
//! one writer, and taking the write lock up front turns contention into a
//! wait (bounded by the busy timeout) instead of a failed upgrade.

pub mod artifacts;
mod assessment;
pub mod backup;
pub mod bundle;
pub mod certificates;
pub mod claims;
mod evidence;
pub mod projects;
pub mod retention;
mod runs;
mod targets;
mod tokens;
pub mod users;

pub use artifacts::CompressedArtifact;
pub use assessment::Evaluation;
pub use evidence::{EvidenceSummary, Exemption, NewEvidence};
pub use runs::{Inserted, NewRun};
pub use targets::TargetSettings;
pub use tokens::TokenOwner;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

/// How long a connection waits for SQLite's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// What was asked for does not exist; the text names it.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what is stored (a slug already taken).
    #[error("{0}")]
    Conflict(String),
    /// The request itself is invalid; the text says what was expected.
    #[error("{0}")]
    Invalid(String),
    /// Whoever asks must sign in (or send a token) first.
    #[error("{0}")]
    Unauthorized(String),
    /// Whoever asks may not do this; the text says who may.
    #[error("{0}")]
    Forbidden(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database, shared by the server, the CLI and server functions.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating when missing) the database file and applies the
    /// embedded migrations. Safe while another process uses the same file.
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before it is acknowledged, so an
            // upload answered 201 survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction that holds SQLite's write lock from its start.
    async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Answers whether the database can be read.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
