//! Certificates: an assessment assembled with the evidence it rests on,
//! and, once signed and rendered, stored numbered and unchanged.
//!
//! [`Store::assemble_certificate`] gathers what `certificate::build` needs
//! (the assessment, the runs it cites, the findings, the manifest of every
//! artifact cited, the claims judged) and refuses a certificate citing
//! evidence it cannot account for. Signing and rendering are the caller's
//! (they need the key and typst, which this crate does not have); then
//! [`Store::insert_certificate`] stores the result under the next number.
//!
//! Numbers are consecutive per project and decided when the certificate is
//! stored, while the number is also part of what was signed: the caller
//! reads [`Store::next_certificate_number`], signs and renders, and stores.
//! If another certificate took the number meanwhile, the insert stores
//! nothing and says so, and the caller issues again with the next number.
//! Nothing updates a stored certificate: the store has no function for it.

use crate::projects::ProjectRef;
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use readiness_core::assess::{Assessment, EvidenceRef, Verdict};
use readiness_core::audit::Kind;
use readiness_core::certificate::{
    Certificate, CertificateInputs, ClaimRow, ClaimStatus, ManifestEntry, RunRef, build,
};
use readiness_core::claims::{ClaimOutcome, ClaimsDocument, judge};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// How long a certificate is valid after it is issued.
pub const VALIDITY_DAYS: u32 = 90;

/// What to certify: a project's evidence for a commit and environment, as
/// it stands at `issued_at`.
#[derive(Debug, Clone)]
pub struct CertificateRequest {
    pub number: u64,
    pub commit: Option<String>,
    pub environment: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub validity_days: u32,
}

/// A stored certificate, as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateSummary {
    pub number: u64,
    pub commit: Option<String>,
    pub environment: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// `user NAME` or `cli`.
    pub issued_by: String,
    pub verdict: Verdict,
    /// The share of checks that had evidence (0 to 1).
    pub coverage: f64,
    /// How many artifacts its manifest lists.
    pub evidence: u64,
    pub pdf_size: u64,
    pub pdf_sha256: String,
}

/// A certificate signed and rendered, ready to store.
#[derive(Debug)]
pub struct NewCertificate<'a> {
    pub project_id: i64,
    /// The certificate that was signed: its number, verdict and manifest
    /// are stored beside the signed file.
    pub certificate: &'a Certificate,
    /// The signed certificate's JSON file, exactly as it will be served.
    pub signed_json: &'a str,
    pub pdf: &'a [u8],
    pub issued_by: &'a str,
}

/// An artifact that an issued certificate cites, and which certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceInUse {
    pub project: String,
    pub artifact_id: i64,
    pub evidence: EvidenceRef,
    /// The numbers of the project's certificates that cite it, ascending.
    pub certificates: Vec<u64>,
}

const SUMMARY_COLUMNS: &str = "c.number, c.commit_sha, c.environment, c.issued_at, c.valid_until,
    c.issued_by, c.verdict, c.coverage, length(c.pdf) AS pdf_size, c.pdf_sha256,
    (SELECT COUNT(*) FROM certificate_evidence ce WHERE ce.certificate_id = c.id) AS evidence";

fn summary(row: &sqlx::sqlite::SqliteRow) -> Result<CertificateSummary> {
    let verdict: String = row.try_get("verdict")?;
    Ok(CertificateSummary {
        number: row.try_get::<i64, _>("number")? as u64,
        commit: row.try_get("commit_sha")?,
        environment: row.try_get("environment")?,
        issued_at: row.try_get("issued_at")?,
        valid_until: row.try_get("valid_until")?,
        issued_by: row.try_get("issued_by")?,
        verdict: serde_json::from_value(serde_json::Value::String(verdict.clone()))
            .map_err(|_| StoreError::Corrupt(format!("certificate verdict `{verdict}`")))?,
        coverage: row.try_get("coverage")?,
        evidence: row.try_get::<i64, _>("evidence")? as u64,
        pdf_size: row.try_get::<i64, _>("pdf_size")? as u64,
        pdf_sha256: row.try_get("pdf_sha256")?,
    })
}

/// The verdict as the database keeps it: its JSON name (`not_certified`).
fn verdict_name(verdict: Verdict) -> String {
    match serde_json::to_value(verdict) {
        Ok(serde_json::Value::String(name)) => name,
        _ => verdict.label().replace(' ', "_"),
    }
}

/// A claim's judgement as the certificate shows it.
pub fn claim_rows(document: &ClaimsDocument, assessment: &Assessment) -> Vec<ClaimRow> {
    judge(&document.claims, assessment)
        .into_iter()
        .map(|j| ClaimRow {
            line: j.claim.line as u64,
            text: j.claim.text.clone(),
            target: Some(j.claim.target.to_string()),
            status: match j.outcome {
                ClaimOutcome::Confirmed => ClaimStatus::Confirmed,
                ClaimOutcome::Contradicted => ClaimStatus::Contradicted,
                ClaimOutcome::Unsupported => ClaimStatus::Unsupported,
            },
            measured_text: j.measured_text,
            evidence: j.evidence,
        })
        .collect()
}

impl Store {
    /// Assembles the certificate of a project's evidence: its assessment at
    /// `request.issued_at`, the runs the checks cite (charted), every audit
    /// finding, the manifest of every artifact cited or used, and the
    /// claims of `claims` judged against the assessment.
    ///
    /// Fails when the certificate would cite evidence that no stored
    /// artifact accounts for: a certificate names every source it used.
    pub async fn assemble_certificate(
        &self,
        project: &ProjectRef,
        request: &CertificateRequest,
        claims: Option<&ClaimsDocument>,
    ) -> Result<Certificate> {
        let evaluation = self
            .evaluate(
                project,
                request.commit.clone(),
                request.environment.clone(),
                request.issued_at,
            )
            .await?;
        let assessment = &evaluation.assessment;
        let mut cited: BTreeSet<EvidenceRef> = assessment
            .checks
            .iter()
            .flat_map(|c| c.evidence.iter().copied())
            .collect();
        cited.extend(evaluation.uploads.iter().map(|id| EvidenceRef::Upload(*id)));
        let claims = claims.map(|document| claim_rows(document, assessment));
        cited.extend(
            claims
                .iter()
                .flatten()
                .flat_map(|c| c.evidence.iter().copied()),
        );
        let runs: Vec<(RunRef, &readiness_core::Run)> = evaluation
            .runs
            .iter()
            .filter(|d| cited.contains(&EvidenceRef::Run(d.summary.id)))
            .map(|d| {
                (
                    RunRef {
                        id: d.summary.id,
                        label: d.summary.provenance.label.clone(),
                        uploaded_at: d.summary.uploaded_at,
                    },
                    &d.run,
                )
            })
            .collect();
        let stored = self.manifest_entries(project.id).await?;
        let manifest: Vec<ManifestEntry> = cited
            .iter()
            .filter_map(|id| stored.get(id).map(|(_, entry)| entry.clone()))
            .collect();
        let certificate = build(CertificateInputs {
            number: request.number,
            issued_at: request.issued_at,
            validity_days: request.validity_days,
            project_slug: project.slug.clone(),
            project_name: project.name.clone(),
            assessment,
            runs,
            findings: &evaluation.findings,
            manifest,
            claims,
        });
        let unresolved = certificate.unresolved_evidence();
        if !unresolved.is_empty() {
            let names: Vec<String> = unresolved.iter().map(|id| id.label()).collect();
            return Err(StoreError::Corrupt(format!(
                "certificate {} of {} would cite evidence that is not stored: {}",
                request.number,
                project.slug,
                names.join(", ")
            )));
        }
        Ok(certificate)
    }

    /// Every artifact of a project as a manifest lists it, by the id
    /// checks cite, with the artifact's row id.
    async fn manifest_entries(
        &self,
        project_id: i64,
    ) -> Result<BTreeMap<EvidenceRef, (i64, ManifestEntry)>> {
        let rows = sqlx::query(
            "SELECT a.id, a.sha256, a.size, a.format, a.file_name, a.uploaded_at, a.commit_sha,
                    a.branch, a.environment, a.ci_job_url, a.label,
                    r.id AS run_id, e.id AS evidence_id, e.kinds
             FROM artifacts a
             LEFT JOIN runs r ON r.artifact_id = a.id
             LEFT JOIN evidence e ON e.artifact_id = a.id
             WHERE a.project_id = ?",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let mut entries = BTreeMap::new();
        for row in &rows {
            let artifact_id: i64 = row.try_get("id")?;
            let (id, kind) = match (
                row.try_get::<Option<i64>, _>("run_id")?,
                row.try_get::<Option<i64>, _>("evidence_id")?,
            ) {
                (Some(run), _) => {
                    let format: String = row.try_get("format")?;
                    (EvidenceRef::Run(run), format!("run ({format})"))
                }
                (None, Some(upload)) => {
                    let kinds: Vec<Kind> =
                        serde_json::from_str(row.try_get("kinds")?).map_err(|e| {
                            StoreError::Corrupt(format!("evidence {upload} kinds: {e}"))
                        })?;
                    let labels: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
                    (EvidenceRef::Upload(upload), labels.join(", "))
                }
                // An artifact whose run or upload row is gone cites nothing.
                (None, None) => continue,
            };
            let entry = ManifestEntry {
                id,
                kind,
                file_name: row.try_get("file_name")?,
                size: row.try_get::<i64, _>("size")? as u64,
                sha256: row.try_get("sha256")?,
                uploaded_at: row.try_get("uploaded_at")?,
                commit: row.try_get("commit_sha")?,
                branch: row.try_get("branch")?,
                environment: row.try_get("environment")?,
                ci_job_url: row.try_get("ci_job_url")?,
                label: row.try_get("label")?,
            };
            entries.insert(id, (artifact_id, entry));
        }
        Ok(entries)
    }

    /// The number the project's next certificate gets: one more than the
    /// last, from 1.
    pub async fn next_certificate_number(&self, project_id: i64) -> Result<u64> {
        let last: Option<i64> =
            sqlx::query("SELECT MAX(number) AS last FROM certificates WHERE project_id = ?")
                .bind(project_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("last")?;
        Ok(last.unwrap_or(0) as u64 + 1)
    }

    /// Stores a signed and rendered certificate with the evidence its
    /// manifest lists, in one transaction. `None` when its number is no
    /// longer the next one (another certificate of the project was stored
    /// meanwhile): nothing is stored, and the caller issues it again with
    /// [`Store::next_certificate_number`].
    pub async fn insert_certificate(
        &self,
        new: NewCertificate<'_>,
    ) -> Result<Option<CertificateSummary>> {
        let certificate = new.certificate;
        let mut tx = self.write().await?;
        let last: Option<i64> =
            sqlx::query("SELECT MAX(number) AS last FROM certificates WHERE project_id = ?")
                .bind(new.project_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("last")?;
        if certificate.number != last.unwrap_or(0) as u64 + 1 {
            return Ok(None);
        }
        let certificate_id: i64 = sqlx::query(
            "INSERT INTO certificates (project_id, number, commit_sha, environment, issued_at,
                 valid_until, issued_by, verdict, coverage, signed_json, pdf, pdf_sha256)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(new.project_id)
        .bind(certificate.number as i64)
        .bind(&certificate.commit)
        .bind(&certificate.environment)
        .bind(certificate.issued_at)
        .bind(certificate.valid_until)
        .bind(new.issued_by)
        .bind(verdict_name(certificate.verdict))
        .bind(certificate.coverage)
        .bind(new.signed_json)
        .bind(new.pdf)
        .bind(format!("{:x}", Sha256::digest(new.pdf)))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for entry in &certificate.manifest {
            let (table, kind) = match entry.id {
                EvidenceRef::Run(_) => ("runs", "run"),
                EvidenceRef::Upload(_) => ("evidence", "upload"),
            };
            let sql = format!("SELECT artifact_id FROM {table} WHERE id = ? AND project_id = ?");
            // Inside the transaction: evidence pruned since the certificate
            // was assembled is found missing here, not stored as cited.
            let artifact_id: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(entry.id.id())
                .bind(new.project_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "{} is no longer stored (pruned while the certificate was issued); \
                         issue the certificate again",
                        entry.id.label()
                    ))
                })?
                .try_get("artifact_id")?;
            sqlx::query(
                "INSERT INTO certificate_evidence (certificate_id, artifact_id, evidence_kind,
                     evidence_id)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (certificate_id, artifact_id) DO NOTHING",
            )
            .bind(certificate_id)
            .bind(artifact_id)
            .bind(kind)
            .bind(entry.id.id())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.certificate_summary(new.project_id, certificate.number)
            .await
            .map(Some)
    }

    async fn certificate_summary(
        &self,
        project_id: i64,
        number: u64,
    ) -> Result<CertificateSummary> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM certificates c WHERE c.project_id = ? AND c.number = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .bind(number as i64)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found(number))?;
        summary(&row)
    }

    /// A project's certificates, newest first.
    pub async fn list_certificates(&self, project_id: i64) -> Result<Vec<CertificateSummary>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM certificates c WHERE c.project_id = ?
             ORDER BY c.number DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary).collect()
    }

    /// A certificate and its signed JSON file, exactly as issued.
    pub async fn certificate(
        &self,
        project_id: i64,
        number: u64,
    ) -> Result<(CertificateSummary, String)> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, c.signed_json FROM certificates c
             WHERE c.project_id = ? AND c.number = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .bind(number as i64)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found(number))?;
        Ok((summary(&row)?, row.try_get("signed_json")?))
    }

    /// A certificate's PDF, exactly as rendered when it was issued.
    pub async fn certificate_pdf(&self, project_id: i64, number: u64) -> Result<Vec<u8>> {
        let row = sqlx::query(
            "SELECT pdf, pdf_sha256 FROM certificates WHERE project_id = ? AND number = ?",
        )
        .bind(project_id)
        .bind(number as i64)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| not_found(number))?;
        let pdf: Vec<u8> = row.try_get("pdf")?;
        let expected: String = row.try_get("pdf_sha256")?;
        if format!("{:x}", Sha256::digest(&pdf)) != expected {
            return Err(StoreError::Corrupt(format!(
                "the PDF of certificate {number} no longer matches its SHA-256 {expected}"
            )));
        }
        Ok(pdf)
    }

    /// The artifacts issued certificates cite (of one project, or of all),
    /// with the certificates citing each: what retention keeps.
    pub async fn evidence_in_use(&self, project_id: Option<i64>) -> Result<Vec<EvidenceInUse>> {
        let rows = sqlx::query(
            "SELECT p.slug, ce.artifact_id, ce.evidence_kind, ce.evidence_id, c.number
             FROM certificate_evidence ce
             JOIN certificates c ON c.id = ce.certificate_id
             JOIN projects p ON p.id = c.project_id
             WHERE ? IS NULL OR c.project_id = ?
             ORDER BY p.slug, ce.artifact_id, c.number",
        )
        .bind(project_id)
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let mut in_use: Vec<EvidenceInUse> = Vec::new();
        for row in &rows {
            let artifact_id: i64 = row.try_get("artifact_id")?;
            let number = row.try_get::<i64, _>("number")? as u64;
            if let Some(last) = in_use.last_mut()
                && last.artifact_id == artifact_id
            {
                last.certificates.push(number);
                continue;
            }
            let kind: String = row.try_get("evidence_kind")?;
            let id: i64 = row.try_get("evidence_id")?;
            in_use.push(EvidenceInUse {
                project: row.try_get("slug")?,
                artifact_id,
                evidence: match kind.as_str() {
                    "run" => EvidenceRef::Run(id),
                    _ => EvidenceRef::Upload(id),
                },
                certificates: vec![number],
            });
        }
        Ok(in_use)
    }
}

fn not_found(number: u64) -> StoreError {
    StoreError::NotFound(format!("this project has no certificate number {number}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CompressedArtifact, Inserted, NewRun};
    use readiness_core::model::Provenance;
    use readiness_core::run::{Exactness, Run};

    async fn store() -> (tempfile::TempDir, Store, ProjectRef) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.db")).await.unwrap();
        store.create_project("chom", "CHOM").await.unwrap();
        let project = store.project("chom").await.unwrap();
        (dir, store, project)
    }

    async fn run(store: &Store, project: &ProjectRef, bytes: &[u8]) -> i64 {
        let run = Run::empty("k6-summary", "k6", Exactness::Reported);
        let inserted = store
            .insert_run(NewRun {
                project_id: project.id,
                file_name: "summary.json",
                artifact: &CompressedArtifact::from_bytes(bytes),
                entries: &[],
                provenance: &Provenance::default(),
                run: &run,
            })
            .await
            .unwrap();
        match inserted {
            Inserted::Created(summary) => summary.id,
            Inserted::Existing(_) => panic!("new bytes"),
        }
    }

    async fn assemble(store: &Store, project: &ProjectRef, number: u64) -> Certificate {
        let request = CertificateRequest {
            number,
            commit: None,
            environment: None,
            issued_at: Utc::now(),
            validity_days: VALIDITY_DAYS,
        };
        store
            .assemble_certificate(project, &request, None)
            .await
            .unwrap()
    }

    async fn insert(
        store: &Store,
        project: &ProjectRef,
        certificate: &Certificate,
    ) -> Option<CertificateSummary> {
        store
            .insert_certificate(NewCertificate {
                project_id: project.id,
                certificate,
                signed_json: "{}",
                pdf: b"%PDF-",
                issued_by: "cli",
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn numbers_are_consecutive_and_a_taken_number_stores_nothing() {
        let (_dir, store, project) = store().await;
        assert_eq!(store.next_certificate_number(project.id).await.unwrap(), 1);
        let first = assemble(&store, &project, 1).await;
        let stored = insert(&store, &project, &first).await.unwrap();
        assert_eq!(stored.number, 1);
        assert_eq!(stored.verdict, Verdict::NotCertified);
        // Another issuer assembled number 1 too: it is told to start again.
        assert_eq!(insert(&store, &project, &first).await, None);
        // A number past the next one is refused as well: no gaps.
        let third = assemble(&store, &project, 3).await;
        assert_eq!(insert(&store, &project, &third).await, None);
        assert_eq!(store.next_certificate_number(project.id).await.unwrap(), 2);
        assert_eq!(store.list_certificates(project.id).await.unwrap().len(), 1);
        assert_eq!(
            store.certificate_pdf(project.id, 1).await.unwrap(),
            b"%PDF-"
        );
        let missing = store.certificate(project.id, 2).await.unwrap_err();
        assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
    }

    #[tokio::test]
    async fn a_cited_artifact_is_kept_by_retention_and_by_the_database() {
        let (_dir, store, project) = store().await;
        let cited = run(&store, &project, b"cited").await;
        let other = run(&store, &project, b"other").await;
        let mut certificate = assemble(&store, &project, 1).await;
        let stored = store.manifest_entries(project.id).await.unwrap();
        // Only the first run, whatever the assessment chose.
        certificate.manifest = vec![stored[&EvidenceRef::Run(cited)].1.clone()];
        insert(&store, &project, &certificate).await.unwrap();
        let in_use = store.evidence_in_use(Some(project.id)).await.unwrap();
        assert_eq!(in_use.len(), 1);
        assert_eq!(in_use[0].evidence, EvidenceRef::Run(cited));
        assert_eq!(in_use[0].certificates, [1]);

        let later = Utc::now() + chrono::Duration::days(1);
        let dry = store.prune(later, None, true).await.unwrap();
        assert_eq!(dry.removed.len(), 1);
        assert_eq!(store.list_runs(project.id).await.unwrap().len(), 2);
        let done = store.prune(later, Some(&project), false).await.unwrap();
        assert_eq!(done.removed[0].evidence, Some(EvidenceRef::Run(other)));
        assert_eq!(done.kept[0].evidence, Some(EvidenceRef::Run(cited)));
        assert_eq!(done.kept[0].certificates, [1]);
        let runs = store.list_runs(project.id).await.unwrap();
        assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [cited]);
        // Even a direct delete cannot take a certificate's evidence away.
        let refused = sqlx::query("DELETE FROM artifacts")
            .execute(store.pool())
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("FOREIGN KEY"), "{refused}");
        assert!(store.run_artifact(cited).await.is_ok());
    }
}
