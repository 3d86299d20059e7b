//! Projects: the systems being certified.

use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use readiness_core::model::{ProjectSummary, validate_project_name, validate_slug};
use sqlx::Row;

/// A project's identity, as other queries need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl Store {
    /// Creates a project; the slug must be free.
    pub async fn create_project(&self, slug: &str, name: &str) -> Result<ProjectSummary> {
        validate_slug(slug).map_err(StoreError::Invalid)?;
        validate_project_name(name).map_err(StoreError::Invalid)?;
        let created_at = now();
        let mut tx = self.write().await?;
        let taken = sqlx::query("SELECT 1 FROM projects WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if taken {
            return Err(StoreError::Conflict(format!(
                "a project with the slug `{slug}` already exists; choose another slug"
            )));
        }
        let project_id: i64 = sqlx::query(
            "INSERT INTO projects (slug, name, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(slug)
        .bind(name.trim())
        .bind(created_at)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for (position, expression) in crate::targets::initial_targets().iter().enumerate() {
            sqlx::query(
                "INSERT INTO project_targets (project_id, position, expression) VALUES (?, ?, ?)",
            )
            .bind(project_id)
            .bind(position as i64)
            .bind(expression)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ProjectSummary {
            slug: slug.to_owned(),
            name: name.trim().to_owned(),
            created_at,
            run_count: 0,
            last_upload_at: None,
        })
    }

    /// Every project, most recently active first.
    pub async fn list_projects(&self) -> Result<Vec<ProjectSummary>> {
        let rows = sqlx::query(
            "SELECT p.slug, p.name, p.created_at,
                    (SELECT COUNT(*) FROM runs r WHERE r.project_id = p.id) AS run_count,
                    (SELECT MAX(a.uploaded_at) FROM artifacts a WHERE a.project_id = p.id)
                        AS last_upload_at
             FROM projects p
             ORDER BY COALESCE(last_upload_at, p.created_at) DESC, p.slug",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ProjectSummary {
                    slug: row.try_get("slug")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                    run_count: row.try_get::<i64, _>("run_count")? as u64,
                    last_upload_at: row.try_get::<Option<DateTime<Utc>>, _>("last_upload_at")?,
                })
            })
            .collect()
    }

    /// Finds a project by slug, or says that none has it.
    pub async fn project(&self, slug: &str) -> Result<ProjectRef> {
        let row = sqlx::query("SELECT id, slug, name FROM projects WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(ProjectRef {
                id: row.try_get("id")?,
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
            }),
            None => Err(StoreError::NotFound(format!(
                "no project has the slug `{slug}`"
            ))),
        }
    }

    /// The project a run belongs to.
    pub async fn project_of_run(&self, run_id: i64) -> Result<String> {
        sqlx::query(
            "SELECT p.slug FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = ?",
        )
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no run has the id {run_id}")))?
        .try_get("slug")
        .map_err(Into::into)
    }

    /// The project an evidence upload belongs to.
    pub async fn project_of_evidence(&self, evidence_id: i64) -> Result<String> {
        sqlx::query(
            "SELECT p.slug FROM evidence e JOIN projects p ON p.id = e.project_id WHERE e.id = ?",
        )
        .bind(evidence_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no evidence has the id {evidence_id}")))?
        .try_get("slug")
        .map_err(Into::into)
    }
}
