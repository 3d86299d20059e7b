//! Server functions of the certificates page: the project's certificates,
//! its latest claims document and the key certificates are signed with.
//! Issuing and importing are plain HTML forms the server answers (see
//! `server/src/http/certificates.rs`), so they work before the WASM loads.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use readiness_core::assess::Verdict;
use serde::{Deserialize, Serialize};

/// The server's public signing key, as hex; provided to every page.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct SigningKeyHex(pub String);

/// One issued certificate, as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateRow {
    pub number: u64,
    pub verdict: Verdict,
    pub commit: Option<String>,
    pub environment: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub issued_by: String,
    pub coverage: f64,
    pub evidence: u64,
    pub pdf_size: u64,
}

/// The claims document later certificates judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsInfo {
    pub file_name: String,
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificatesView {
    pub name: String,
    pub public_key: String,
    /// Whether the one asking may issue certificates and import claims.
    pub can_certify: bool,
    pub certificates: Vec<CertificateRow>,
    pub claims: Option<ClaimsInfo>,
}

/// A project's certificates, newest first.
#[server]
pub async fn load_certificates(slug: String) -> Result<CertificatesView, ServerFnError> {
    use crate::server_fns::backend::*;
    use readiness_core::access::Action;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let can_certify = store
        .authorize(&principal(), &slug, Action::Certify)
        .await
        .is_ok();
    let certificates = store
        .list_certificates(project.id)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(|c| CertificateRow {
            number: c.number,
            verdict: c.verdict,
            commit: c.commit,
            environment: c.environment,
            issued_at: c.issued_at,
            valid_until: c.valid_until,
            issued_by: c.issued_by,
            coverage: c.coverage,
            evidence: c.evidence,
            pdf_size: c.pdf_size,
        })
        .collect();
    let claims = store
        .latest_claims(project.id)
        .await
        .map_err(to_server_error)?
        .map(|c| ClaimsInfo {
            file_name: c.file_name,
            imported_at: c.imported_at,
            imported_by: c.imported_by,
        });
    let public_key = use_context::<SigningKeyHex>()
        .map(|k| k.0)
        .unwrap_or_default();
    Ok(CertificatesView {
        name: project.name,
        public_key,
        can_certify,
        certificates,
        claims,
    })
}
