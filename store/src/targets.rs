//! A project's targets and its evidence freshness setting.

use crate::{Result, Store, StoreError};
use readiness_core::targets::{Target, default_targets};
use sqlx::Row;

/// A project's targets as written, with its maximum evidence age.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSettings {
    pub targets: Vec<Target>,
    pub max_age_days: i64,
}

impl Store {
    pub async fn targets(&self, project_id: i64) -> Result<TargetSettings> {
        let rows = sqlx::query(
            "SELECT expression FROM project_targets WHERE project_id = ? ORDER BY position",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let targets = rows
            .iter()
            .map(|row| {
                let expression: &str = row.try_get("expression")?;
                expression
                    .parse::<Target>()
                    .map_err(|e| StoreError::Corrupt(format!("stored target: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let max_age_days: i64 = sqlx::query("SELECT max_age_days FROM projects WHERE id = ?")
            .bind(project_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("max_age_days")?;
        Ok(TargetSettings {
            targets,
            max_age_days,
        })
    }

    /// Replaces a project's targets (already parsed, so valid).
    pub async fn set_targets(&self, project_id: i64, settings: &TargetSettings) -> Result<()> {
        if !(1..=3650).contains(&settings.max_age_days) {
            return Err(StoreError::Invalid(format!(
                "max_age_days must be between 1 and 3650, not {}",
                settings.max_age_days
            )));
        }
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM project_targets WHERE project_id = ?")
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
        for (position, target) in settings.targets.iter().enumerate() {
            sqlx::query(
                "INSERT INTO project_targets (project_id, position, expression) VALUES (?, ?, ?)",
            )
            .bind(project_id)
            .bind(position as i64)
            .bind(target.to_string())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE projects SET max_age_days = ? WHERE id = ?")
            .bind(settings.max_age_days)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The targets a new project starts with.
pub(crate) fn initial_targets() -> Vec<String> {
    default_targets().iter().map(ToString::to_string).collect()
}
