//! Audit evidence uploads, the project's host profile, and exemptions.

use crate::artifacts::{CompressedArtifact, ENCODING_GZIP, write_chunks};
use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, NaiveDate, Utc};
use readiness_core::audit::{HostProfile, Kind};
use readiness_core::model::{ArtifactEntry, Provenance};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// An audit evidence upload, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceSummary {
    pub id: i64,
    pub sha256: String,
    pub file_name: String,
    pub size: u64,
    pub uploaded_at: DateTime<Utc>,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub kinds: Vec<Kind>,
    /// Every file read, with what it was recognised as.
    pub files: Vec<(String, Kind)>,
}

/// A parsed evidence upload, ready to store.
#[derive(Debug)]
pub struct NewEvidence<'a> {
    pub project_id: i64,
    pub file_name: &'a str,
    pub artifact: &'a CompressedArtifact,
    pub entries: &'a [ArtifactEntry],
    pub provenance: &'a Provenance,
    pub files: &'a [(String, Kind)],
}

/// A maintainer's exemption of a rule for a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    pub rule: String,
    pub reason: String,
    pub expires_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

const EVIDENCE_COLUMNS: &str = "e.id, a.sha256, a.file_name, a.size, a.uploaded_at, a.commit_sha,
    a.branch, a.environment, a.ci_job_url, a.label, e.kinds, e.files";

fn evidence(row: &SqliteRow) -> Result<EvidenceSummary> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("evidence row: {e}"));
    Ok(EvidenceSummary {
        id: row.try_get("id")?,
        sha256: row.try_get("sha256")?,
        file_name: row.try_get("file_name")?,
        size: row.try_get::<i64, _>("size")? as u64,
        uploaded_at: row.try_get("uploaded_at")?,
        provenance: Provenance {
            commit: row.try_get("commit_sha")?,
            branch: row.try_get("branch")?,
            environment: row.try_get("environment")?,
            ci_job_url: row.try_get("ci_job_url")?,
            label: row.try_get("label")?,
        },
        kinds: serde_json::from_str(row.try_get("kinds")?).map_err(corrupt)?,
        files: serde_json::from_str(row.try_get("files")?).map_err(corrupt)?,
    })
}

impl Store {
    /// Stores an evidence upload; the same bytes again give back the first.
    pub async fn insert_evidence(&self, new: NewEvidence<'_>) -> Result<(bool, EvidenceSummary)> {
        let mut kinds: Vec<Kind> = new.files.iter().map(|(_, k)| *k).collect();
        kinds.sort();
        kinds.dedup();
        let kinds_json = to_json(&kinds)?;
        let files_json = to_json(&new.files)?;
        let entries = if new.entries.is_empty() {
            None
        } else {
            Some(to_json(&new.entries)?)
        };
        let mut tx = self.write().await?;
        let existing = sqlx::query("SELECT 1 FROM artifacts WHERE project_id = ? AND sha256 = ?")
            .bind(new.project_id)
            .bind(&new.artifact.sha256)
            .fetch_optional(&mut *tx)
            .await?;
        if existing.is_some() {
            drop(tx);
            let found = self
                .evidence_by_sha256(new.project_id, &new.artifact.sha256)
                .await?
                .ok_or_else(|| {
                    StoreError::Conflict(format!(
                        "these bytes (SHA-256 {}) are already stored as a load-test run",
                        new.artifact.sha256
                    ))
                })?;
            return Ok((false, found));
        }
        let artifact_id: i64 = sqlx::query(
            "INSERT INTO artifacts (project_id, sha256, size, kind, format, file_name, encoding,
                 uploaded_at, commit_sha, branch, environment, ci_job_url, label, entries)
             VALUES (?, ?, ?, 'audit', 'audit-evidence', ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(new.project_id)
        .bind(&new.artifact.sha256)
        .bind(new.artifact.size as i64)
        .bind(new.file_name)
        .bind(ENCODING_GZIP)
        .bind(now())
        .bind(&new.provenance.commit)
        .bind(&new.provenance.branch)
        .bind(&new.provenance.environment)
        .bind(&new.provenance.ci_job_url)
        .bind(&new.provenance.label)
        .bind(entries)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        write_chunks(&mut tx, artifact_id, new.artifact).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO evidence (project_id, artifact_id, kinds, files) VALUES (?, ?, ?, ?)
             RETURNING id",
        )
        .bind(new.project_id)
        .bind(artifact_id)
        .bind(kinds_json)
        .bind(files_json)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        let created = self
            .list_evidence(new.project_id)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("evidence {id} vanished")))?;
        Ok((true, created))
    }

    async fn evidence_by_sha256(
        &self,
        project_id: i64,
        sha256: &str,
    ) -> Result<Option<EvidenceSummary>> {
        let sql = format!(
            "SELECT {EVIDENCE_COLUMNS} FROM evidence e JOIN artifacts a ON a.id = e.artifact_id
             WHERE a.project_id = ? AND a.sha256 = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(evidence).transpose()
    }

    /// A project's evidence uploads, newest first.
    pub async fn list_evidence(&self, project_id: i64) -> Result<Vec<EvidenceSummary>> {
        let sql = format!(
            "SELECT {EVIDENCE_COLUMNS} FROM evidence e JOIN artifacts a ON a.id = e.artifact_id
             WHERE e.project_id = ? ORDER BY e.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(evidence).collect()
    }

    pub async fn host_profile(&self, project_id: i64) -> Result<Option<HostProfile>> {
        let row = sqlx::query("SELECT host_profile FROM projects WHERE id = ?")
            .bind(project_id)
            .fetch_one(&self.pool)
            .await?;
        match row.try_get::<Option<&str>, _>("host_profile")? {
            None => Ok(None),
            Some(json) => serde_json::from_str(json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("host profile: {e}"))),
        }
    }

    pub async fn set_host_profile(&self, project_id: i64, profile: &HostProfile) -> Result<()> {
        validate_host(profile)?;
        let json = serde_json::to_string(profile)
            .map_err(|e| StoreError::Invalid(format!("host profile: {e}")))?;
        sqlx::query("UPDATE projects SET host_profile = ? WHERE id = ?")
            .bind(json)
            .bind(project_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn exemptions(&self, project_id: i64) -> Result<Vec<Exemption>> {
        let rows = sqlx::query(
            "SELECT rule, reason, expires_on, created_at FROM exemptions
             WHERE project_id = ? ORDER BY rule",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let expires: &str = row.try_get("expires_on")?;
                Ok(Exemption {
                    rule: row.try_get("rule")?,
                    reason: row.try_get("reason")?,
                    expires_on: expires
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("exemption date: {e}")))?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Exempts a rule (replacing an earlier exemption of it).
    pub async fn exempt(
        &self,
        project_id: i64,
        rule: &str,
        reason: &str,
        expires_on: NaiveDate,
    ) -> Result<()> {
        if reason.trim().len() < 5 {
            return Err(StoreError::Invalid(
                "an exemption needs a reason people can read (at least five characters)".to_owned(),
            ));
        }
        if expires_on <= now().date_naive() {
            return Err(StoreError::Invalid(format!(
                "the expiry date {expires_on} is not in the future"
            )));
        }
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO exemptions (project_id, rule, reason, expires_on, created_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (project_id, rule) DO UPDATE SET reason = excluded.reason,
                 expires_on = excluded.expires_on, created_at = excluded.created_at",
        )
        .bind(project_id)
        .bind(rule)
        .bind(reason.trim())
        .bind(expires_on.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_exemption(&self, project_id: i64, rule: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM exemptions WHERE project_id = ? AND rule = ?")
            .bind(project_id)
            .bind(rule)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no exemption of `{rule}`")));
        }
        Ok(())
    }
}

fn validate_host(profile: &HostProfile) -> Result<()> {
    if profile.servers.is_empty() {
        return Err(StoreError::Invalid(
            "a host profile needs at least one server with its roles, RAM and CPUs".to_owned(),
        ));
    }
    for server in &profile.servers {
        if server.name.trim().is_empty()
            || server.roles.is_empty()
            || server.ram_bytes < (64 << 20)
            || server.cpus == 0
        {
            return Err(StoreError::Invalid(format!(
                "server `{}`: expected a name, at least one role (web, php, db, cache), RAM of at \
                 least 64 MiB and at least one CPU",
                server.name
            )));
        }
    }
    Ok(())
}

/// Serializes a JSON column; a failure is a bug, reported as invalid input
/// rather than a panic.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("cannot serialize: {e}")))
}
