//! Backups: a consistent copy of a live database in one file, and the
//! restore that checks such a copy and puts it in place of a database.
//!
//! Artifacts live in the database as chunks, so one file holds everything.
//! A backup is `VACUUM INTO` a temporary file beside the destination: SQLite
//! copies the database as of one read transaction, which in WAL mode runs
//! beside the server's writes without stopping them. The copy is fsynced
//! and only then given its name, so a backup that was interrupted leaves no
//! file that looks complete.
//!
//! A restore never trusts its file: it copies it beside the database, checks
//! the copy (SQLite's integrity check, the migrations this binary knows,
//! the tables Readiness needs), fsyncs it, and renames it over the database
//! while it holds the database's exclusive lock, so it refuses while a
//! server or another command has the database open. The old database's
//! write-ahead log is folded in and removed first: a stale `-wal` file left
//! beside the new database would be replayed into it.
//!
//! Both do blocking file I/O besides their queries; they are for the command
//! line, not for request handlers.

use crate::Store;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};
use sqlx::{Connection, Row};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The tables a Readiness database has, each with the migration that
/// creates it; a file without them is some other application's database.
/// A backup made before a migration lacks its tables and is still a
/// Readiness backup: the migration runs when the restored database opens.
const TABLES: [(&str, i64); 12] = [
    ("_sqlx_migrations", 0),
    ("projects", 1),
    ("api_tokens", 1),
    ("artifacts", 1),
    ("artifact_chunks", 1),
    ("runs", 1),
    ("project_targets", 3),
    ("evidence", 4),
    ("exemptions", 4),
    ("certificates", 6),
    ("certificate_evidence", 6),
    ("claims_documents", 6),
];

/// How long a restore waits for other connections to let go of the
/// database before it says the database is in use.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The file given is not what was expected; the text says what it is.
    #[error("{0}")]
    Invalid(String),
    /// A file is in the way, or the database is in use.
    #[error("{0}")]
    Conflict(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

type Result<T, E = BackupError> = std::result::Result<T, E>;

/// What a backup or a restore holds, to tell the person who ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub projects: i64,
    pub runs: i64,
    pub evidence: i64,
    pub artifacts: i64,
    /// The size of the database file written, in bytes.
    pub bytes: u64,
}

impl Store {
    /// Writes a consistent copy of the database to `dest`, while other
    /// connections go on reading and writing. Refuses to replace an
    /// existing `dest` unless `overwrite`.
    pub async fn backup(&self, dest: &Path, overwrite: bool) -> Result<BackupSummary> {
        if !overwrite && dest.exists() {
            return Err(BackupError::Conflict(format!(
                "{} already exists; choose another file, or pass --force to replace it",
                dest.display()
            )));
        }
        let temp = TempPath::beside(dest, "backup")?;
        let temp_text = temp.path.to_str().ok_or_else(|| {
            BackupError::Invalid(format!(
                "{}: the backup's folder must be a UTF-8 path",
                dest.display()
            ))
        })?;
        // One statement, one read transaction: the copy is the database as
        // of one moment, whatever the server commits meanwhile.
        sqlx::query("VACUUM INTO ?")
            .bind(temp_text)
            .execute(&self.pool)
            .await?;
        let summary = summarize(&temp.path).await?;
        sync_file(&temp.path)?;
        if overwrite {
            std::fs::rename(&temp.path, dest).map_err(|e| io_error(dest, "cannot write", e))?;
        } else {
            // A hard link fails when `dest` appeared meanwhile: a file made
            // by someone else is never replaced.
            std::fs::hard_link(&temp.path, dest).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    BackupError::Conflict(format!(
                        "{} already exists; choose another file, or pass --force to replace it",
                        dest.display()
                    ))
                } else {
                    io_error(dest, "cannot write", e)
                }
            })?;
        }
        drop(temp);
        sync_parent(dest)?;
        Ok(summary)
    }
}

/// Replaces the database at `db` with the backup `backup`, after checking
/// that the backup is a whole Readiness database. `db` need not exist. On
/// any refusal, `db` is left as it was.
pub async fn restore(backup: &Path, db: &Path) -> Result<BackupSummary> {
    check_header(backup)?;
    let wal = sidecar(backup, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(BackupError::Invalid(format!(
            "{} has a write-ahead log beside it ({}): it is a database in use or not closed \
             cleanly, not a backup; make a backup of it with `readiness backup` and restore that",
            backup.display(),
            wal.display()
        )));
    }
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, "cannot create", e))?;
    }
    let temp = TempPath::beside(db, "restore")?;
    std::fs::copy(backup, &temp.path).map_err(|e| io_error(backup, "cannot read", e))?;
    check_readiness_database(backup, &temp.path).await?;
    let summary = summarize(&temp.path).await?;
    sync_file(&temp.path)?;

    // Holding the exclusive lock of the database being replaced keeps every
    // other connection out until the new file has its name.
    let held = if db.exists() {
        Some(lock_exclusively(db).await?)
    } else {
        None
    };
    for stale in [sidecar(db, "-wal"), sidecar(db, "-journal")] {
        remove_if_present(&stale)?;
    }
    std::fs::rename(&temp.path, db).map_err(|e| io_error(db, "cannot replace", e))?;
    drop(temp);
    sync_parent(db)?;
    // The shared-memory index described the old file; SQLite rebuilds it.
    remove_if_present(&sidecar(db, "-shm"))?;
    if let Some(conn) = held {
        // It still refers to the old file, which the rename unlinked.
        conn.close().await?;
    }
    Ok(summary)
}

/// Opens the database alone: out of WAL mode (which folds the log into the
/// file and removes it), in exclusive locking mode, and with a write lock
/// taken, so no one else can read or write it while the connection lives.
async fn lock_exclusively(db: &Path) -> Result<SqliteConnection> {
    let in_use = |e: sqlx::Error| {
        BackupError::Conflict(format!(
            "{} is in use (is a server running on it?); stop it and restore again: {e}",
            db.display()
        ))
    };
    let options = SqliteConnectOptions::new()
        .filename(db)
        .busy_timeout(LOCK_WAIT);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    sqlx::query("PRAGMA locking_mode = EXCLUSIVE")
        .execute(&mut conn)
        .await?;
    // Leaving WAL mode needs every other connection gone; SQLite answers
    // busy, or keeps the mode, when one is left.
    let mode: String = sqlx::query("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut conn)
        .await
        .map_err(in_use)?
        .try_get(0)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(BackupError::Conflict(format!(
            "{} is in use (is a server running on it?); stop it and restore again",
            db.display()
        )));
    }
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut conn)
        .await
        .map_err(in_use)?;
    sqlx::query("COMMIT").execute(&mut conn).await?;
    Ok(conn)
}

/// Refuses files that are not SQLite databases, with what they look like.
fn check_header(path: &Path) -> Result<()> {
    let mut file = File::open(path).map_err(|e| io_error(path, "cannot read", e))?;
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(path, "cannot read", e)),
        }
    }
    if read < header.len() || &header != SQLITE_HEADER {
        return Err(BackupError::Invalid(format!(
            "{} is not a Readiness backup: expected an SQLite database (a file made by \
             `readiness backup`), found {}",
            path.display(),
            if read == 0 {
                "an empty file".to_owned()
            } else {
                format!(
                    "a file starting with {:?}",
                    String::from_utf8_lossy(&header[..read])
                )
            }
        )));
    }
    Ok(())
}

/// Checks a copy of a backup: SQLite finds it whole, it has the tables of
/// Readiness, and every migration it records is one this binary has, with
/// the same checksum (a database from a newer Readiness is refused rather
/// than half understood). The copy is taken out of WAL mode, so it is one
/// self-contained file.
async fn check_readiness_database(shown: &Path, copy: &Path) -> Result<()> {
    let not_ours = |what: String| {
        BackupError::Invalid(format!(
            "{} is not a Readiness backup: {what}",
            shown.display()
        ))
    };
    let options = SqliteConnectOptions::new()
        .filename(copy)
        .journal_mode(SqliteJournalMode::Delete);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| not_ours(format!("SQLite cannot open it: {e}")))?;
    let problems: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| not_ours(format!("SQLite cannot read it: {e}")))?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<std::result::Result<_, _>>()?;
    if problems != ["ok"] {
        let shown_problems: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
        return Err(not_ours(format!(
            "SQLite's integrity check failed: {}",
            shown_problems.join("; ")
        )));
    }
    let tables: Vec<String> =
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut conn)
            .await?
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<std::result::Result<_, _>>()?;
    // Which migrations ran decides which tables must be there; without a
    // migrations table, every table is missing.
    let applied_versions: Vec<i64> = if tables.iter().any(|t| t == "_sqlx_migrations") {
        sqlx::query("SELECT version FROM _sqlx_migrations")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| not_ours(format!("its migrations table cannot be read: {e}")))?
            .iter()
            .map(|row| row.try_get::<i64, _>("version"))
            .collect::<std::result::Result<_, _>>()?
    } else {
        Vec::new()
    };
    let missing: Vec<&str> = TABLES
        .iter()
        .filter(|(_, version)| *version == 0 || applied_versions.contains(version))
        .map(|(table, _)| *table)
        .filter(|t| !tables.iter().any(|have| have == t))
        .collect();
    if !missing.is_empty() {
        return Err(not_ours(format!(
            "it lacks the tables {} (it has: {})",
            missing.join(", "),
            if tables.is_empty() {
                "none".to_owned()
            } else {
                tables.join(", ")
            }
        )));
    }
    let known = sqlx::migrate!("./migrations");
    let applied = sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| not_ours(format!("its migrations table cannot be read: {e}")))?;
    for row in &applied {
        let version: i64 = row.try_get("version")?;
        let checksum: Vec<u8> = row.try_get("checksum")?;
        let success: bool = row.try_get("success")?;
        if !success {
            return Err(not_ours(format!("its migration {version} did not finish")));
        }
        match known.iter().find(|m| m.version == version) {
            None => {
                return Err(not_ours(format!(
                    "it was made by a newer Readiness (migration {version} is unknown to this one)"
                )));
            }
            Some(m) if *m.checksum != *checksum => {
                return Err(not_ours(format!(
                    "its migration {version} differs from this Readiness's"
                )));
            }
            Some(_) => {}
        }
    }
    check_artifacts(&mut conn, &not_ours).await?;
    conn.close().await?;
    Ok(())
}

/// Every artifact's stored bytes still decompress to the SHA-256 recorded
/// with it: damage inside an artifact's pages is invisible to SQLite's
/// integrity check, and a restore must not bring back evidence that no
/// longer is what was uploaded.
async fn check_artifacts(
    conn: &mut SqliteConnection,
    not_ours: &impl Fn(String) -> BackupError,
) -> Result<()> {
    use sha2::{Digest, Sha256};
    use std::io::Write as _;

    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let artifacts: Vec<(i64, String)> = sqlx::query("SELECT id, sha256 FROM artifacts ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("sha256")?)))
        .collect::<Result<_>>()?;
    for (id, sha256) in artifacts {
        let damaged = |what: String| not_ours(format!("artifact {id} is damaged: {what}"));
        let mut decoder = flate2::write::GzDecoder::new(Hashing(Sha256::new()));
        // One chunk at a time, so a large artifact is never whole in memory.
        let seqs: Vec<i64> = sqlx::query_scalar(
            "SELECT seq FROM artifact_chunks WHERE artifact_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        for seq in seqs {
            let data: Vec<u8> = sqlx::query_scalar(
                "SELECT data FROM artifact_chunks WHERE artifact_id = ? AND seq = ?",
            )
            .bind(id)
            .bind(seq)
            .fetch_one(&mut *conn)
            .await?;
            decoder
                .write_all(&data)
                .map_err(|e| damaged(e.to_string()))?;
        }
        let hashing = decoder.finish().map_err(|e| damaged(e.to_string()))?;
        let actual = format!("{:x}", hashing.0.finalize());
        if actual != sha256 {
            return Err(damaged(format!(
                "its bytes hash to {actual}, not the SHA-256 {sha256} it was stored with"
            )));
        }
    }
    Ok(())
}

/// Counts what a database file holds. The file is left out of WAL mode, so
/// it is one self-contained file, whatever mode its source was in.
async fn summarize(path: &Path) -> Result<BackupSummary> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Delete);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM projects) AS projects,
                (SELECT COUNT(*) FROM runs) AS runs,
                (SELECT COUNT(*) FROM evidence) AS evidence,
                (SELECT COUNT(*) FROM artifacts) AS artifacts",
    )
    .fetch_one(&mut conn)
    .await?;
    let summary = BackupSummary {
        projects: row.try_get("projects")?,
        runs: row.try_get("runs")?,
        evidence: row.try_get("evidence")?,
        artifacts: row.try_get("artifacts")?,
        bytes: std::fs::metadata(path)
            .map_err(|e| io_error(path, "cannot read", e))?
            .len(),
    };
    conn.close().await?;
    Ok(summary)
}

/// A file beside `near` that is removed when dropped, unless it was
/// renamed away by then.
struct TempPath {
    path: PathBuf,
}

impl TempPath {
    fn beside(near: &Path, purpose: &str) -> Result<TempPath> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| BackupError::Invalid(format!("no randomness for a file name: {e}")))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let name = near.file_name().map_or_else(
            || "readiness.db".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let path = near.with_file_name(format!(".{name}.{purpose}-{suffix}.tmp"));
        Ok(TempPath { path })
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        for path in [
            self.path.clone(),
            sidecar(&self.path, "-journal"),
            sidecar(&self.path, "-wal"),
            sidecar(&self.path, "-shm"),
        ] {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `db-wal`, `db-shm` and `db-journal`: the files SQLite keeps beside a
/// database.
fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(path, "cannot remove", e)),
    }
}

fn sync_file(path: &Path) -> Result<()> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_error(path, "cannot flush to disk", e))
}

/// Makes a rename in a folder durable.
fn sync_parent(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_error(parent, "cannot flush to disk", e))
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> BackupError {
    BackupError::Io {
        what: format!("{what} {}", path.display()),
        source: e,
    }
}
