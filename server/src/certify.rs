//! Issuing a certificate, as the API and the CLI both do it: assemble it
//! from the store, sign it, render its PDF once, and store all three under
//! the project's next number. And importing the claims document that later
//! certificates judge.

use readiness_core::claims::ClaimsDocument;
use readiness_report::{ReportError, SignedCertificate, SigningKey, VerifyError, render_pdf, sign};
use readiness_store::certificates::{
    CertificateRequest, CertificateSummary, NewCertificate, VALIDITY_DAYS,
};
use readiness_store::claims::StoredClaims;
use readiness_store::projects::ProjectRef;
use readiness_store::{Store, StoreError, TargetSettings};
use std::sync::Arc;

/// How many times issuing starts again when another certificate of the
/// project took its number meanwhile.
const ATTEMPTS: usize = 5;

/// Why a certificate was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the certificate cannot be signed: {0}")]
    Sign(#[from] VerifyError),
    #[error(transparent)]
    Render(#[from] ReportError),
    #[error("the PDF renderer stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("certificates of {0} were issued too often at once to take a number; issue it again")]
    Contended(String),
}

/// A certificate as issued and stored.
#[derive(Debug)]
pub struct Issued {
    pub summary: CertificateSummary,
    pub signed: SignedCertificate,
    /// The signed JSON file, as stored and served.
    pub json: String,
    /// The PDF, as stored and served.
    pub pdf: Vec<u8>,
    /// The claims document the certificate judged, if any.
    pub claims: Option<String>,
}

/// What to certify, and who asks.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub commit: Option<String>,
    pub environment: Option<String>,
    /// How the audit log and the certificate list name the issuer.
    pub issued_by: String,
}

/// Issues a certificate of the project's evidence as it stands now, judging
/// the claims of its latest claims document, and records it in the audit
/// log as `certificate.issue`.
pub async fn issue(
    store: &Store,
    key: &Arc<SigningKey>,
    project: &ProjectRef,
    request: &IssueRequest,
) -> Result<Issued, IssueError> {
    let stored_claims = store.latest_claims(project.id).await?;
    let claims: Option<ClaimsDocument> = stored_claims.as_ref().map(|c| c.document());
    for _ in 0..ATTEMPTS {
        let number = store.next_certificate_number(project.id).await?;
        let certificate = store
            .assemble_certificate(
                project,
                &CertificateRequest {
                    number,
                    commit: request.commit.clone(),
                    environment: request.environment.clone(),
                    issued_at: chrono::Utc::now(),
                    validity_days: VALIDITY_DAYS,
                },
                claims.as_ref(),
            )
            .await?;
        let signed = sign(&certificate, key)?;
        // Typesetting takes a good part of a second of CPU.
        let (signed, pdf) = tokio::task::spawn_blocking(move || {
            let pdf = render_pdf(&signed);
            (signed, pdf)
        })
        .await?;
        let pdf = pdf?;
        let json = String::from_utf8(signed.to_json()).expect("serde_json writes UTF-8");
        let stored = store
            .insert_certificate(NewCertificate {
                project_id: project.id,
                certificate: &signed.certificate,
                signed_json: &json,
                pdf: &pdf,
                issued_by: &request.issued_by,
            })
            .await?;
        let Some(summary) = stored else {
            // Another certificate took this number: assemble again, as of
            // now, with the next one.
            continue;
        };
        let mut detail = format!(
            "certificate {} ({}, coverage {:.0} %, {} artifacts",
            summary.number,
            summary.verdict.label(),
            summary.coverage * 100.0,
            summary.evidence
        );
        if let Some(commit) = &summary.commit {
            detail.push_str(&format!(", commit {commit}"));
        }
        if let Some(environment) = &summary.environment {
            detail.push_str(&format!(", environment {environment}"));
        }
        detail.push(')');
        store
            .record_as(
                &request.issued_by,
                "certificate.issue",
                Some(project),
                &detail,
            )
            .await?;
        return Ok(Issued {
            summary,
            signed,
            json,
            pdf,
            claims: stored_claims.map(|c| c.file_name),
        });
    }
    Err(IssueError::Contended(project.slug.clone()))
}

/// Why a claims document was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The document holds no claim that matches a target: importing it
    /// would only hide the previous document.
    #[error(
        "{file_name} claims no target Readiness can match, so nothing was imported (and the \
         targets were left as they are): expected a targets table such as `| Metric | Target |` \
         with rows like `| p95 Response Time | < 500ms |`, or sentences such as \
         \"p95 under 500 ms\"{unmatched}"
    )]
    NoTargets {
        file_name: String,
        unmatched: String,
    },
}

/// A claims document as imported.
#[derive(Debug)]
pub struct ImportedClaims {
    pub stored: StoredClaims,
    pub document: ClaimsDocument,
    /// The project's targets as they are now, when the document's replaced
    /// them.
    pub targets_replaced: Option<Vec<String>>,
}

/// Imports a readiness document: stores it so later certificates judge its
/// claims and, when asked, makes its targets the project's; both are
/// recorded in the audit log under `actor`.
pub async fn import_claims(
    store: &Store,
    project: &ProjectRef,
    file_name: &str,
    markdown: &str,
    replace_targets: bool,
    actor: &str,
) -> Result<ImportedClaims, ImportError> {
    let document = readiness_core::claims::parse(file_name, markdown);
    let targets = document.targets();
    if targets.is_empty() {
        let unmatched: Vec<String> = document
            .unmatched
            .iter()
            .take(5)
            .map(|u| format!("line {}: {}", u.line, u.reason))
            .collect();
        return Err(ImportError::NoTargets {
            file_name: file_name.to_owned(),
            unmatched: if unmatched.is_empty() {
                String::new()
            } else {
                format!("; lines that look like claims: {}", unmatched.join("; "))
            },
        });
    }
    let stored = store
        .insert_claims(project.id, file_name, markdown, actor)
        .await?;
    store
        .record_as(
            actor,
            "claims.import",
            Some(project),
            &format!(
                "{file_name} ({} claims, {} unmatched lines, sha256 {})",
                document.claims.len(),
                document.unmatched.len(),
                stored.sha256
            ),
        )
        .await?;
    let mut targets_replaced = None;
    if replace_targets {
        let settings = TargetSettings {
            targets,
            max_age_days: store.targets(project.id).await?.max_age_days,
        };
        store.set_targets(project.id, &settings).await?;
        let written: Vec<String> = settings.targets.iter().map(ToString::to_string).collect();
        store
            .record_as(
                actor,
                "targets.set",
                Some(project),
                &format!("{} (from {file_name})", written.join(", ")),
            )
            .await?;
        targets_replaced = Some(written);
    }
    Ok(ImportedClaims {
        stored,
        document,
        targets_replaced,
    })
}
