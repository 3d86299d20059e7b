//! Runs: load-test results, stored with the artifact they were parsed from.

use crate::artifacts::{CompressedArtifact, ENCODING_GZIP, write_chunks};
use crate::{Result, Store, StoreError, now};
use readiness_core::Run;
use readiness_core::model::{ArtifactEntry, Provenance, RunDetail, RunSummary};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// A parsed run and its artifact, ready to store.
#[derive(Debug)]
pub struct NewRun<'a> {
    pub project_id: i64,
    pub file_name: &'a str,
    pub artifact: &'a CompressedArtifact,
    /// The files inside the artifact when it is a bundle.
    pub entries: &'a [ArtifactEntry],
    pub provenance: &'a Provenance,
    pub run: &'a Run,
}

/// Whether an upload created a run or found the same bytes already stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    Created(RunSummary),
    Existing(RunSummary),
}

const SUMMARY_COLUMNS: &str = "r.id, a.sha256, r.scenario, a.format, a.uploaded_at, a.commit_sha,
    a.branch, a.environment, a.ci_job_url, a.label, r.requests, r.p95_ms, r.p99_ms,
    r.error_rate, r.throughput_rps, r.vus_max";

fn summary(row: &SqliteRow) -> Result<RunSummary> {
    let scenario: String = row.try_get("scenario")?;
    Ok(RunSummary {
        id: row.try_get("id")?,
        sha256: row.try_get("sha256")?,
        scenario: scenario
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("run scenario: {e}")))?,
        format: row.try_get("format")?,
        uploaded_at: row.try_get("uploaded_at")?,
        provenance: Provenance {
            commit: row.try_get("commit_sha")?,
            branch: row.try_get("branch")?,
            environment: row.try_get("environment")?,
            ci_job_url: row.try_get("ci_job_url")?,
            label: row.try_get("label")?,
        },
        requests: row.try_get::<Option<i64>, _>("requests")?.map(|v| v as u64),
        p95_ms: row.try_get("p95_ms")?,
        p99_ms: row.try_get("p99_ms")?,
        error_rate: row.try_get("error_rate")?,
        throughput_rps: row.try_get("throughput_rps")?,
        vus_max: row.try_get::<Option<i64>, _>("vus_max")?.map(|v| v as u64),
    })
}

impl Store {
    /// The run already stored for these bytes in this project, if any.
    pub async fn run_by_sha256(&self, project_id: i64, sha256: &str) -> Result<Option<RunSummary>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM runs r JOIN artifacts a ON a.id = r.artifact_id
             WHERE a.project_id = ? AND a.sha256 = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(summary).transpose()
    }

    /// Stores an artifact and its run in one transaction. The same bytes
    /// uploaded twice to one project give back the first run.
    pub async fn insert_run(&self, new: NewRun<'_>) -> Result<Inserted> {
        let normalized = serde_json::to_string(new.run)
            .map_err(|e| StoreError::Invalid(format!("run cannot be serialized: {e}")))?;
        let entries =
            if new.entries.is_empty() {
                None
            } else {
                Some(serde_json::to_string(new.entries).map_err(|e| {
                    StoreError::Invalid(format!("entries cannot be serialized: {e}"))
                })?)
            };
        let mut tx = self.write().await?;
        let existing = sqlx::query("SELECT 1 FROM artifacts WHERE project_id = ? AND sha256 = ?")
            .bind(new.project_id)
            .bind(&new.artifact.sha256)
            .fetch_optional(&mut *tx)
            .await?;
        if existing.is_some() {
            drop(tx);
            let run = self
                .run_by_sha256(new.project_id, &new.artifact.sha256)
                .await?
                .ok_or_else(|| {
                    StoreError::Conflict(format!(
                        "an artifact with SHA-256 {} is stored but is not a run",
                        new.artifact.sha256
                    ))
                })?;
            return Ok(Inserted::Existing(run));
        }
        let artifact_id: i64 = sqlx::query(
            "INSERT INTO artifacts (project_id, sha256, size, kind, format, file_name, encoding,
                 uploaded_at, commit_sha, branch, environment, ci_job_url, label, entries)
             VALUES (?, ?, ?, 'run', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(new.project_id)
        .bind(&new.artifact.sha256)
        .bind(new.artifact.size as i64)
        .bind(&new.run.format)
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
        let figures = RunSummary::figures_of(new.run);
        let run_id: i64 = sqlx::query(
            "INSERT INTO runs (project_id, artifact_id, scenario, requests, p95_ms, p99_ms,
                 error_rate, throughput_rps, vus_max, normalized)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(new.project_id)
        .bind(artifact_id)
        .bind(new.run.scenario.as_str())
        .bind(figures.requests.map(|v| v as i64))
        .bind(figures.p95_ms)
        .bind(figures.p99_ms)
        .bind(figures.error_rate)
        .bind(figures.throughput_rps)
        .bind(figures.vus_max.map(|v| v as i64))
        .bind(normalized)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        let created = self.run_summary(run_id).await?;
        Ok(Inserted::Created(created))
    }

    async fn run_summary(&self, run_id: i64) -> Result<RunSummary> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM runs r JOIN artifacts a ON a.id = r.artifact_id
             WHERE r.id = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run has the id {run_id}")))?;
        summary(&row)
    }

    /// A project's runs, newest first.
    pub async fn list_runs(&self, project_id: i64) -> Result<Vec<RunSummary>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM runs r JOIN artifacts a ON a.id = r.artifact_id
             WHERE r.project_id = ? ORDER BY r.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary).collect()
    }

    /// A run with its normalized figures and where it came from.
    pub async fn run_detail(&self, run_id: i64) -> Result<RunDetail> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, r.normalized, a.file_name, a.size, a.entries, p.slug, p.name
             FROM runs r JOIN artifacts a ON a.id = r.artifact_id
                         JOIN projects p ON p.id = r.project_id
             WHERE r.id = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no run has the id {run_id}")))?;
        let normalized: &str = row.try_get("normalized")?;
        let run: Run = serde_json::from_str(normalized)
            .map_err(|e| StoreError::Corrupt(format!("run {run_id}: {e}")))?;
        let entries = match row.try_get::<Option<&str>, _>("entries")? {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| StoreError::Corrupt(format!("run {run_id} entries: {e}")))?,
            None => Vec::new(),
        };
        Ok(RunDetail {
            summary: summary(&row)?,
            project_slug: row.try_get("slug")?,
            project_name: row.try_get("name")?,
            file_name: row.try_get("file_name")?,
            size: row.try_get::<i64, _>("size")? as u64,
            entries,
            run,
        })
    }
}
