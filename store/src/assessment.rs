//! Gathering a project's evidence for an assessment: only the runs it can
//! use are loaded whole, so a project with hundreds of runs assesses fast.

use crate::projects::ProjectRef;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use readiness_core::assess::{Assessment, Policy, RunEvidence, assess};
use readiness_core::model::RunDetail;
use readiness_core::run::ScenarioKind;
use std::collections::BTreeSet;

impl Store {
    /// The project's assessment for a commit and environment, at `now`.
    pub async fn assessment(
        &self,
        project: &ProjectRef,
        commit: Option<String>,
        environment: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Assessment> {
        let settings = self.targets(project.id).await?;
        let summaries = self.list_runs(project.id).await?;
        let policy = Policy {
            commit,
            environment,
            max_age_days: settings.max_age_days,
            ..Policy::new(now)
        };
        // The assessment reads, per scenario kind, the latest fresh run and
        // the latest run of the environment (to say why it is stale), and
        // any baseline run a target names.
        let mut needed = BTreeSet::new();
        for kind in ScenarioKind::ALL {
            let of_kind = summaries
                .iter()
                .filter(|s| s.scenario == kind && policy.in_environment(s));
            if let Some(latest) = of_kind.clone().next() {
                needed.insert(latest.id);
            }
            if let Some(fresh) = of_kind.clone().find(|s| policy.staleness(s).is_none()) {
                needed.insert(fresh.id);
            }
        }
        for target in &settings.targets {
            if let Some(id) = target.baseline_run
                && summaries.iter().any(|s| s.id == id)
            {
                needed.insert(id);
            }
        }
        let mut details: Vec<RunDetail> = Vec::new();
        for id in needed.iter().rev() {
            details.push(self.run_detail(*id).await?);
        }
        // Newest first, as the assessment expects.
        details.sort_by_key(|d| std::cmp::Reverse(d.summary.id));
        let evidence: Vec<RunEvidence<'_>> = details
            .iter()
            .map(|d| RunEvidence {
                summary: &d.summary,
                run: &d.run,
            })
            .collect();
        Ok(assess(&settings.targets, &evidence, &policy))
    }
}
