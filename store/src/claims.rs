//! Imported readiness documents, kept as received so that the claims of
//! the latest one are judged by every certificate issued after it.
//!
//! A claims document is not evidence: it is what a team asserted, which the
//! evidence then confirms or contradicts. So it has its own table rather
//! than an artifact row: it never counts towards evidence coverage, never
//! feeds an audit rule, is not listed among a project's evidence, and is
//! not subject to evidence retention. The certificate carries the claims it
//! judged, so a certificate never needs the document again.

use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use readiness_core::claims::{ClaimsDocument, parse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The largest claims document accepted, in bytes. A readiness page is a
/// few kilobytes; this leaves room for long ones.
pub const MAX_CLAIMS_BYTES: usize = 1 << 20;

/// A stored claims document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClaims {
    pub id: i64,
    pub file_name: String,
    /// Of the Markdown as received.
    pub sha256: String,
    pub imported_at: DateTime<Utc>,
    /// `user NAME` or `cli`.
    pub imported_by: String,
    #[serde(skip)]
    pub markdown: String,
}

impl StoredClaims {
    /// The document's claims and unmatched lines, read again from the
    /// Markdown (parsing is pure, so this is what was read at import).
    pub fn document(&self) -> ClaimsDocument {
        parse(&self.file_name, &self.markdown)
    }
}

impl Store {
    /// Stores a project's claims document; it replaces the previous one for
    /// the certificates issued from now on.
    pub async fn insert_claims(
        &self,
        project_id: i64,
        file_name: &str,
        markdown: &str,
        imported_by: &str,
    ) -> Result<StoredClaims> {
        if markdown.len() > MAX_CLAIMS_BYTES {
            return Err(StoreError::Invalid(format!(
                "the claims document is {} bytes; the limit is {MAX_CLAIMS_BYTES}",
                markdown.len()
            )));
        }
        let file_name = file_name.trim();
        if file_name.is_empty() || file_name.len() > 255 {
            return Err(StoreError::Invalid(
                "the claims document needs a file name of 1 to 255 characters".to_owned(),
            ));
        }
        let sha256 = format!("{:x}", Sha256::digest(markdown.as_bytes()));
        let imported_at = now();
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO claims_documents (project_id, file_name, markdown, sha256, imported_at,
                 imported_by)
             VALUES (?, ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(project_id)
        .bind(file_name)
        .bind(markdown)
        .bind(&sha256)
        .bind(imported_at)
        .bind(imported_by)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(StoredClaims {
            id,
            file_name: file_name.to_owned(),
            sha256,
            imported_at,
            imported_by: imported_by.to_owned(),
            markdown: markdown.to_owned(),
        })
    }

    /// The project's latest claims document, if one was imported.
    pub async fn latest_claims(&self, project_id: i64) -> Result<Option<StoredClaims>> {
        let row = sqlx::query(
            "SELECT id, file_name, markdown, sha256, imported_at, imported_by
             FROM claims_documents WHERE project_id = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(StoredClaims {
                id: row.try_get("id")?,
                file_name: row.try_get("file_name")?,
                sha256: row.try_get("sha256")?,
                imported_at: row.try_get("imported_at")?,
                imported_by: row.try_get("imported_by")?,
                markdown: row.try_get("markdown")?,
            })
        })
        .transpose()
    }
}
