//! Retention: removing runs, evidence uploads and their artifacts older
//! than an age, except those an issued certificate cites, which are kept as
//! long as the certificate is, so that it can always be verified against
//! its evidence.
//!
//! The database enforces the exception as well: `certificate_evidence`
//! references the artifact without an `ON DELETE` action, so deleting a
//! cited artifact fails rather than leaving a certificate without its
//! evidence.

use crate::projects::ProjectRef;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use readiness_core::assess::EvidenceRef;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;

/// One artifact retention looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgedArtifact {
    pub project: String,
    pub artifact_id: i64,
    /// The run or upload it is; `None` for an artifact left without either.
    pub evidence: Option<EvidenceRef>,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    /// The numbers of the project's certificates that cite it: the reason
    /// it is kept. Empty for a removed artifact.
    pub certificates: Vec<u64>,
}

/// What a prune removed (or, on a dry run, would remove) and what it kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneReport {
    /// Artifacts uploaded before this moment were considered.
    pub cutoff: DateTime<Utc>,
    pub dry_run: bool,
    pub removed: Vec<AgedArtifact>,
    /// Older than the cutoff but cited by a certificate.
    pub kept: Vec<AgedArtifact>,
}

impl PruneReport {
    /// The bytes (as uploaded) of the artifacts removed.
    pub fn removed_bytes(&self) -> u64 {
        self.removed.iter().map(|a| a.size).sum()
    }
}

impl Store {
    /// Removes the artifacts uploaded before `cutoff` (of one project, or
    /// of all), with their runs and evidence rows, except those an issued
    /// certificate cites. With `dry_run`, only says what it would do. One
    /// transaction: either every removal happens or none.
    pub async fn prune(
        &self,
        cutoff: DateTime<Utc>,
        project: Option<&ProjectRef>,
        dry_run: bool,
    ) -> Result<PruneReport> {
        let project_id = project.map(|p| p.id);
        let mut tx = self.write().await?;
        // Times are compared here, not in SQL: stored RFC 3339 texts with
        // different fractions of a second do not sort as the times do.
        let rows = sqlx::query(
            "SELECT a.id, p.slug, a.file_name, a.size, a.sha256, a.uploaded_at,
                    r.id AS run_id, e.id AS evidence_id
             FROM artifacts a
             JOIN projects p ON p.id = a.project_id
             LEFT JOIN runs r ON r.artifact_id = a.id
             LEFT JOIN evidence e ON e.artifact_id = a.id
             WHERE ? IS NULL OR a.project_id = ?
             ORDER BY p.slug, a.id",
        )
        .bind(project_id)
        .bind(project_id)
        .fetch_all(&mut *tx)
        .await?;
        let citing = sqlx::query(
            "SELECT ce.artifact_id, c.number FROM certificate_evidence ce
             JOIN certificates c ON c.id = ce.certificate_id
             ORDER BY c.number",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut certificates: BTreeMap<i64, Vec<u64>> = BTreeMap::new();
        for row in &citing {
            certificates
                .entry(row.try_get("artifact_id")?)
                .or_default()
                .push(row.try_get::<i64, _>("number")? as u64);
        }
        let mut report = PruneReport {
            cutoff,
            dry_run,
            removed: Vec::new(),
            kept: Vec::new(),
        };
        for row in &rows {
            let uploaded_at: DateTime<Utc> = row.try_get("uploaded_at")?;
            if uploaded_at >= cutoff {
                continue;
            }
            let artifact_id: i64 = row.try_get("id")?;
            let evidence = match (
                row.try_get::<Option<i64>, _>("run_id")?,
                row.try_get::<Option<i64>, _>("evidence_id")?,
            ) {
                (Some(run), _) => Some(EvidenceRef::Run(run)),
                (None, Some(upload)) => Some(EvidenceRef::Upload(upload)),
                (None, None) => None,
            };
            let mut aged = AgedArtifact {
                project: row.try_get("slug")?,
                artifact_id,
                evidence,
                file_name: row.try_get("file_name")?,
                size: row.try_get::<i64, _>("size")? as u64,
                sha256: row.try_get("sha256")?,
                uploaded_at,
                certificates: Vec::new(),
            };
            if let Some(numbers) = certificates.get(&artifact_id) {
                aged.certificates = numbers.clone();
                report.kept.push(aged);
                continue;
            }
            if !dry_run {
                // Cascades to its chunks and to its run or evidence row.
                sqlx::query("DELETE FROM artifacts WHERE id = ?")
                    .bind(artifact_id)
                    .execute(&mut *tx)
                    .await?;
            }
            report.removed.push(aged);
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(report)
    }
}
