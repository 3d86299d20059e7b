//! People: users with argon2id password hashes, their sessions, their roles
//! in projects, project visibility, and the audit log of who changed what.
//!
//! Password hashing is deliberately slow, so callers in async code run
//! [`hash_password`] and [`verify_password`] on a blocking thread; the
//! store only keeps and compares what they produce.

use crate::projects::ProjectRef;
use crate::{Result, Store, StoreError, now};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use readiness_core::access::{Action, Decision, Principal, ProjectAccess, Role, decide};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// How long a session lasts.
pub const SESSION_DAYS: i64 = 14;

/// A user as pages and the CLI list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
    /// Their roles, by project slug.
    pub roles: Vec<(String, Role)>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub project: Option<String>,
    pub detail: String,
}

/// A user name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
pub fn validate_user_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "invalid user name `{name}`: expected 1 to 64 letters, digits, `.`, `_`, `-` or `@`"
        )))
    }
}

/// The argon2id hash of a password, as a PHC string; slow on purpose.
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::Invalid(format!(
            "the password is too short: use at least {MIN_PASSWORD} characters"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Invalid(format!("cannot encode a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches a stored hash. Given no hash (an unknown
/// user), it still spends the time of a check, so timing does not tell
/// which names exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    // A valid hash of a random password nobody knows.
    const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$0vI3QiqDsEpVQ7BLlqMqG2+LMaGBNvp94x3uRmHvD4g";
    let hash = stored.unwrap_or(DECOY);
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && stored.is_some()
}

fn secret_hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

fn random_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))?;
    Ok(std::iter::once(prefix.to_owned())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect())
}

impl Store {
    /// Adds a user with an already hashed password.
    pub async fn add_user(&self, name: &str, password_hash: &str, is_admin: bool) -> Result<i64> {
        validate_user_name(name)?;
        let mut tx = self.write().await?;
        let taken = sqlx::query("SELECT 1 FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if taken {
            return Err(StoreError::Conflict(format!(
                "a user named `{name}` already exists"
            )));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)
             RETURNING id",
        )
        .bind(name)
        .bind(password_hash)
        .bind(is_admin)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a user's password and ends their sessions.
    pub async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let id = user_id(&mut tx, name).await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables (or enables again) a user; disabling ends their sessions.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let mut tx = self.write().await?;
        let id = user_id(&mut tx, name).await?;
        sqlx::query("UPDATE users SET disabled_at = ? WHERE id = ?")
            .bind(disabled.then(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query(
                "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            )
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored hash of an enabled user's password, with the user; `None`
    /// for an unknown or disabled name.
    pub async fn login_candidate(&self, name: &str) -> Result<Option<(Principal, String)>> {
        let row = sqlx::query(
            "SELECT id, name, is_admin, password_hash FROM users
             WHERE name = ? AND disabled_at IS NULL",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                Principal::User {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    is_admin: row.try_get("is_admin")?,
                },
                row.try_get("password_hash")?,
            ))
        })
        .transpose()
    }

    /// Starts a session for a user; the returned secret goes in a cookie
    /// and cannot be read again.
    pub async fn create_session(&self, user_id: i64) -> Result<(String, DateTime<Utc>)> {
        let secret = random_secret("rds_")?;
        let expires = now() + chrono::Duration::days(SESSION_DAYS);
        sqlx::query(
            "INSERT INTO sessions (user_id, secret_sha256, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(user_id)
        .bind(secret_hash(&secret))
        .bind(now())
        .bind(expires)
        .execute(&self.pool)
        .await?;
        Ok((secret, expires))
    }

    /// The user of a live session: not expired, not revoked, not disabled.
    pub async fn session_user(&self, secret: &str) -> Result<Option<Principal>> {
        if !secret.starts_with("rds_") || secret.len() > 100 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT u.id, u.name, u.is_admin FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.secret_sha256 = ? AND s.revoked_at IS NULL AND s.expires_at > ?
               AND u.disabled_at IS NULL",
        )
        .bind(secret_hash(secret))
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Principal::User {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                is_admin: row.try_get("is_admin")?,
            })
        })
        .transpose()
    }

    /// Ends a session (signing out).
    pub async fn revoke_session(&self, secret: &str) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = ? WHERE secret_sha256 = ? AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(secret_hash(secret))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends every session of a user.
    pub async fn revoke_sessions_of(&self, name: &str) -> Result<u64> {
        let mut tx = self.write().await?;
        let id = user_id(&mut tx, name).await?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Every user with their roles.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let users = sqlx::query(
            "SELECT id, name, is_admin, created_at, disabled_at FROM users ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let roles = sqlx::query(
            "SELECT m.user_id, p.slug, m.role FROM memberships m JOIN projects p ON p.id = m.project_id
             ORDER BY p.slug",
        )
        .fetch_all(&self.pool)
        .await?;
        users
            .iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                let mut mine = Vec::new();
                for r in roles.iter() {
                    if r.try_get::<i64, _>("user_id")? == id {
                        let role: String = r.try_get("role")?;
                        mine.push((
                            r.try_get("slug")?,
                            role.parse().map_err(StoreError::Corrupt)?,
                        ));
                    }
                }
                Ok(User {
                    id,
                    name: row.try_get("name")?,
                    is_admin: row.try_get("is_admin")?,
                    created_at: row.try_get("created_at")?,
                    disabled: row
                        .try_get::<Option<DateTime<Utc>>, _>("disabled_at")?
                        .is_some(),
                    roles: mine,
                })
            })
            .collect()
    }

    /// Gives a user a role in a project, or takes it away (`None`).
    pub async fn set_role(
        &self,
        project: &ProjectRef,
        user: &str,
        role: Option<Role>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let id = user_id(&mut tx, user).await?;
        match role {
            Some(role) => {
                sqlx::query(
                    "INSERT INTO memberships (project_id, user_id, role) VALUES (?, ?, ?)
                     ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(project.id)
                .bind(id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM memberships WHERE project_id = ? AND user_id = ?")
                    .bind(project.id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The members of a project and their roles.
    pub async fn members(&self, project: &ProjectRef) -> Result<Vec<(String, Role)>> {
        let rows = sqlx::query(
            "SELECT u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.project_id = ? ORDER BY u.name",
        )
        .bind(project.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok((
                    r.try_get("name")?,
                    role.parse().map_err(StoreError::Corrupt)?,
                ))
            })
            .collect()
    }

    /// Makes a project public (read-only to everyone) or private.
    pub async fn set_public(&self, project: &ProjectRef, public: bool) -> Result<()> {
        sqlx::query("UPDATE projects SET public = ? WHERE id = ?")
            .bind(public)
            .bind(project.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether a project is public.
    pub async fn is_public(&self, project: &ProjectRef) -> Result<bool> {
        Ok(sqlx::query("SELECT public FROM projects WHERE id = ?")
            .bind(project.id)
            .fetch_one(&self.pool)
            .await?
            .try_get("public")?)
    }

    /// The project named by `slug`, if `principal` may do `action` in it;
    /// otherwise why not, in a way that does not reveal a private project
    /// to those without access.
    pub async fn authorize(
        &self,
        principal: &Principal,
        slug: &str,
        action: Action,
    ) -> Result<ProjectRef> {
        let row = sqlx::query("SELECT id, slug, name, public FROM projects WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        let not_found = || StoreError::NotFound(format!("no project has the slug `{slug}`"));
        let Some(row) = row else {
            return Err(match principal {
                Principal::Anonymous => {
                    StoreError::Unauthorized("sign in to see this project".to_owned())
                }
                _ => not_found(),
            });
        };
        let project = ProjectRef {
            id: row.try_get("id")?,
            slug: row.try_get("slug")?,
            name: row.try_get("name")?,
        };
        let member = match principal {
            Principal::User { id, .. } => {
                let role: Option<String> = sqlx::query(
                    "SELECT role FROM memberships WHERE project_id = ? AND user_id = ?",
                )
                .bind(project.id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get("role"))
                .transpose()?;
                role.map(|r| r.parse().map_err(StoreError::Corrupt))
                    .transpose()?
            }
            _ => None,
        };
        let access = ProjectAccess {
            id: project.id,
            public: row.try_get("public")?,
            member,
        };
        match decide(principal, &access, action) {
            Decision::Allow => Ok(project),
            Decision::SignIn(why) => Err(StoreError::Unauthorized(why)),
            Decision::Forbidden(why) => Err(StoreError::Forbidden(why)),
            Decision::Hidden => Err(not_found()),
        }
    }

    /// The slugs of the projects `principal` may read.
    pub async fn readable_projects(&self, principal: &Principal) -> Result<Vec<String>> {
        let rows = match principal {
            Principal::User { is_admin: true, .. } => {
                sqlx::query("SELECT slug FROM projects")
                    .fetch_all(&self.pool)
                    .await?
            }
            Principal::User { id, .. } => {
                sqlx::query(
                    "SELECT slug FROM projects WHERE public = 1
                        OR id IN (SELECT project_id FROM memberships WHERE user_id = ?)",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?
            }
            Principal::Token { project_id, .. } => {
                sqlx::query("SELECT slug FROM projects WHERE public = 1 OR id = ?")
                    .bind(project_id)
                    .fetch_all(&self.pool)
                    .await?
            }
            Principal::Anonymous => {
                sqlx::query("SELECT slug FROM projects WHERE public = 1")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(|r| Ok(r.try_get("slug")?)).collect()
    }

    /// Records who did what; a failure to record is an error of the action.
    pub async fn record(
        &self,
        principal: &Principal,
        action: &str,
        project: Option<&ProjectRef>,
        detail: &str,
    ) -> Result<()> {
        self.record_as(&principal.actor(), action, project, detail)
            .await
    }

    /// Records an action of an actor named directly (`cli`).
    pub async fn record_as(
        &self,
        actor: &str,
        action: &str,
        project: Option<&ProjectRef>,
        detail: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, project_id, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(project.map(|p| p.id))
        .bind(detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The audit log, newest first, `limit` entries before `before` (an id).
    pub async fn audit_log(&self, before: Option<i64>, limit: i64) -> Result<Vec<LogEntry>> {
        let rows = sqlx::query(
            "SELECT l.id, l.at, l.actor, l.action, p.slug, l.detail
             FROM audit_log l LEFT JOIN projects p ON p.id = l.project_id
             WHERE l.id < ? ORDER BY l.id DESC LIMIT ?",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LogEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    project: r.try_get("slug")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

async fn user_id(tx: &mut sqlx::SqliteConnection, name: &str) -> Result<i64> {
    sqlx::query("SELECT id FROM users WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no user is named `{name}`")))?
        .try_get("id")
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery staple", Some(&hash)));
        assert!(!verify_password(
            "correct horse battery stapler",
            Some(&hash)
        ));
        // No user: never a match, whatever the password.
        assert!(!verify_password("correct horse battery staple", None));
        assert!(
            hash_password("short")
                .unwrap_err()
                .to_string()
                .contains("at least 12")
        );
    }

    #[test]
    fn the_decoy_hash_is_a_valid_argon2id_hash() {
        // Were it invalid, an unknown name would answer faster than a known one.
        let decoy = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$0vI3QiqDsEpVQ7BLlqMqG2+LMaGBNvp94x3uRmHvD4g";
        assert!(PasswordHash::new(decoy).is_ok());
    }
}
