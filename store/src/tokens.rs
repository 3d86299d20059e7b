//! Project-scoped API tokens for CI. A token is shown once, when created;
//! only its SHA-256 is stored. Tokens carry 256 random bits, so a fast hash
//! is enough: there is nothing to guess that a slow hash would protect.

use crate::projects::ProjectRef;
use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use readiness_core::access::{Principal, Scope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Every token starts with this, so secret scanners and people recognise it.
pub const TOKEN_PREFIX: &str = "rdy_";

/// The project a presented token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub token_id: i64,
    pub project_id: i64,
    pub project_slug: String,
    pub scope: Scope,
    pub hint: String,
}

impl TokenOwner {
    pub fn principal(&self) -> Principal {
        Principal::Token {
            id: self.token_id,
            project_id: self.project_id,
            scope: self.scope,
            hint: self.hint.clone(),
        }
    }
}

/// A token as the access page lists it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    /// The token's first characters.
    pub hint: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Creates a token for a project and returns it; it cannot be read again.
    pub async fn create_token(
        &self,
        project_slug: &str,
        scope: Scope,
        created_by: &str,
    ) -> Result<String> {
        let project = self.project(project_slug).await?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))?;
        let token: String = std::iter::once(TOKEN_PREFIX.to_owned())
            .chain(secret.iter().map(|b| format!("{b:02x}")))
            .collect();
        let hint = token[..TOKEN_PREFIX.len() + 6].to_owned();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (project_id, token_sha256, hint, created_at, scope, created_by)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(project.id)
        .bind(hash(&token))
        .bind(hint)
        .bind(now())
        .bind(scope.as_str())
        .bind(created_by)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The project of a valid, unrevoked token; `None` for any other string.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<TokenOwner>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT t.id, t.project_id, p.slug, t.scope, t.hint
             FROM api_tokens t JOIN projects p ON p.id = t.project_id
             WHERE t.token_sha256 = ? AND t.revoked_at IS NULL",
        )
        .bind(hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let owner = TokenOwner {
            token_id: row.try_get("id")?,
            project_id: row.try_get("project_id")?,
            project_slug: row.try_get("slug")?,
            scope: row
                .try_get::<String, _>("scope")?
                .parse()
                .map_err(StoreError::Corrupt)?,
            hint: row.try_get("hint")?,
        };
        Ok(Some(owner))
    }

    /// Records that a token was used, for the tokens page.
    pub async fn touch_token(&self, token_id: i64) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(now())
            .bind(token_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A project's tokens, newest first.
    pub async fn list_tokens(&self, project: &ProjectRef) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, hint, scope, created_at, created_by, last_used_at, revoked_at
             FROM api_tokens WHERE project_id = ? ORDER BY id DESC",
        )
        .bind(project.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TokenInfo {
                    id: row.try_get("id")?,
                    hint: row.try_get("hint")?,
                    scope: row
                        .try_get::<String, _>("scope")?
                        .parse()
                        .map_err(StoreError::Corrupt)?,
                    created_at: row.try_get("created_at")?,
                    created_by: row.try_get("created_by")?,
                    last_used_at: row.try_get("last_used_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a token of a project; its hint, for the audit log.
    pub async fn revoke_token(&self, project: &ProjectRef, token_id: i64) -> Result<String> {
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?)
             WHERE id = ? AND project_id = ? RETURNING hint",
        )
        .bind(now())
        .bind(token_id)
        .bind(project.id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "project `{}` has no token with the id {token_id}",
                project.slug
            ))
        })?;
        Ok(row.try_get("hint")?)
    }
}
