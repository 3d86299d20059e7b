//! Gathering a project's evidence for an assessment: only the runs it can
//! use are loaded whole, and the latest audit upload of each evidence kind
//! is read again from its stored artifact, so rules always judge the
//! evidence as received.
//!
//! An assessment at a moment sees only the evidence uploaded by then, so
//! judging a certificate's evidence again at its issue time gives the
//! certificate's figures, whatever was uploaded since.

use crate::bundle::files_of;
use crate::projects::ProjectRef;
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use readiness_core::assess::{
    Assessment, AuditInput, EvidenceRef, Exemption, Policy, RunEvidence, assess,
};
use readiness_core::audit::{self, Finding, Inputs, Kind, Stack};
use readiness_core::input::Source;
use readiness_core::model::RunDetail;
use readiness_core::run::ScenarioKind;
use readiness_core::targets::{Metric, Target};
use std::collections::BTreeSet;

/// An assessment with the evidence it was made from: what a certificate
/// freezes.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub assessment: Assessment,
    /// Every run the assessment read, newest first (some may be cited only
    /// to say why they could not be used).
    pub runs: Vec<RunDetail>,
    /// Every audit finding, before exemptions.
    pub findings: Vec<Finding>,
    /// The audit evidence uploads the findings were made from, by id.
    pub uploads: Vec<i64>,
}

impl Store {
    /// The project's assessment for a commit and environment, at `now`.
    pub async fn assessment(
        &self,
        project: &ProjectRef,
        commit: Option<String>,
        environment: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Assessment> {
        Ok(self
            .evaluate(project, commit, environment, now)
            .await?
            .assessment)
    }

    /// [`Store::assessment`], with the runs, findings and uploads it used.
    pub async fn evaluate(
        &self,
        project: &ProjectRef,
        commit: Option<String>,
        environment: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Evaluation> {
        let settings = self.targets(project.id).await?;
        let mut summaries = self.list_runs(project.id).await?;
        summaries.retain(|s| s.uploaded_at <= now);
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
        let latest_run = evidence
            .iter()
            .find(|r| policy.staleness(r.summary).is_none())
            .map(|r| (r.summary.id, r.run.requests));
        let audit = self
            .audit_input(project.id, &settings.targets, &policy, latest_run)
            .await?;
        let assessment = assess(&settings.targets, &evidence, &audit, &policy);
        Ok(Evaluation {
            assessment,
            runs: details,
            findings: audit.findings,
            uploads: audit.evidence,
        })
    }

    /// The stack built from the latest fresh evidence upload of each kind,
    /// and the ids of the uploads used.
    pub async fn audit_stack(&self, project_id: i64, policy: &Policy) -> Result<(Stack, Vec<i64>)> {
        let uploads = self.list_evidence(project_id).await?;
        let usable: Vec<_> = uploads
            .iter()
            .filter(|e| match &policy.environment {
                Some(env) => e.provenance.environment.as_deref() == Some(env.as_str()),
                None => true,
            })
            .filter(|e| e.uploaded_at <= policy.now)
            .filter(|e| (policy.now - e.uploaded_at).num_days() < policy.max_age_days)
            .collect();
        // For each kind, the newest upload that has it.
        let mut chosen: Vec<(i64, Vec<Kind>)> = Vec::new();
        for upload in &usable {
            let fresh_kinds: Vec<Kind> = upload
                .kinds
                .iter()
                .copied()
                .filter(|k| !chosen.iter().any(|(_, ks)| ks.contains(k)))
                .collect();
            if !fresh_kinds.is_empty() {
                chosen.push((upload.id, fresh_kinds));
            }
        }
        let mut stack = Stack::default();
        let mut used = Vec::new();
        // Oldest first, so that a newer upload's kinds replace older ones.
        for (id, kinds) in chosen.into_iter().rev() {
            let artifact = self.evidence_artifact(id).await?;
            let files = files_of(&artifact.file_name, &artifact.bytes)
                .map_err(|e| StoreError::Corrupt(format!("evidence {id}: {e}")))?;
            let sources: Vec<&dyn Source> = files.iter().map(|f| f as &dyn Source).collect();
            let parsed = audit::load(&sources)
                .map_err(|e| StoreError::Corrupt(format!("evidence {id} no longer parses: {e}")))?;
            stack.take_kinds(parsed, &kinds);
            used.push(id);
        }
        used.sort_unstable();
        Ok((stack, used))
    }

    async fn audit_input(
        &self,
        project_id: i64,
        targets: &[Target],
        policy: &Policy,
        latest_run: Option<(i64, Option<u64>)>,
    ) -> Result<AuditInput> {
        let (stack, used) = self.audit_stack(project_id, policy).await?;
        let host = self.host_profile(project_id).await?;
        let threshold = |metric: Metric| {
            targets
                .iter()
                .find(|t| t.metric == metric && t.scope.is_empty() && t.baseline_run.is_none())
                .map(|t| t.threshold)
        };
        let inputs = Inputs {
            host,
            target_users: threshold(Metric::Users),
            target_rps: threshold(Metric::Throughput),
            mean_service_s: None,
            heuristics: Default::default(),
        };
        let findings = audit::evaluate(&stack, &inputs);
        let exemptions = self
            .exemptions(project_id)
            .await?
            .into_iter()
            .map(|e| Exemption {
                rule: e.rule,
                reason: e.reason,
                expires_on: e.expires_on,
            })
            .collect();
        // The figures targets and the Application check read, each with the
        // newest upload that carried it.
        let latest = used.last().copied();
        let db_query_p95_ms = audit::mysql::db_p95_ms(&stack.workload).value.zip(latest);
        let cache_hit_rate = stack
            .redis_info
            .as_ref()
            .and_then(audit::redis::cache_hit_rate)
            .filter(|h| h.lookups >= audit::redis::MIN_LOOKUPS)
            .map(|h| h.ratio)
            .zip(latest);
        let queries_per_request = match (latest_run, latest) {
            (Some((run_id, Some(requests))), Some(evidence)) => {
                let figure = audit::mysql::queries_per_request(&stack.workload, requests);
                figure.value.map(|v| {
                    (
                        v,
                        format!("{} against run {run_id}", figure.detail),
                        vec![EvidenceRef::Upload(evidence), EvidenceRef::Run(run_id)],
                    )
                })
            }
            _ => None,
        };
        Ok(AuditInput {
            findings,
            evidence: used,
            exemptions,
            db_query_p95_ms,
            cache_hit_rate,
            queries_per_request,
        })
    }
}
