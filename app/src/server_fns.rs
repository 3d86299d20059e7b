//! Server functions: what pages ask of the server. Their bodies run only on
//! the server, where the store is in the Leptos context; the browser calls
//! them over HTTP.

use leptos::prelude::*;
use readiness_core::assess::Assessment;
use readiness_core::compare::Comparison;
use readiness_core::model::{ProjectSummary, RunDetail, RunSummary};
use readiness_core::targets::Target;
use serde::{Deserialize, Serialize};

/// A project's page data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRuns {
    pub slug: String,
    pub name: String,
    pub runs: Vec<RunSummary>,
    pub targets: Vec<Target>,
    pub max_age_days: i64,
}

/// The assessment of a project for a commit and environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentView {
    pub assessment: Assessment,
    /// The commits of the project's runs, newest first, to choose from.
    pub commits: Vec<String>,
    pub environments: Vec<String>,
}

/// Two runs of one project compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareView {
    pub slug: String,
    pub name: String,
    pub runs: Vec<RunSummary>,
    pub baseline: Option<RunSummary>,
    pub candidate: Option<RunSummary>,
    pub comparison: Option<Comparison>,
}

#[cfg(feature = "ssr")]
mod backend {
    use leptos::prelude::*;
    use readiness_store::{Store, StoreError};

    pub fn store() -> Result<Store, ServerFnError> {
        use_context::<Store>()
            .ok_or_else(|| ServerFnError::new("the server has no database configured"))
    }

    /// Errors people can act on keep their text; anything else is logged
    /// and reported without internals.
    pub fn to_server_error(err: StoreError) -> ServerFnError {
        match err {
            StoreError::NotFound(message) => {
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::NOT_FOUND);
                }
                ServerFnError::new(message)
            }
            StoreError::Conflict(message) | StoreError::Invalid(message) => {
                ServerFnError::new(message)
            }
            other => {
                tracing::error!(error = %other, "server function failed");
                ServerFnError::new("the server could not complete the request; see its log")
            }
        }
    }
}

#[server]
pub async fn load_projects() -> Result<Vec<ProjectSummary>, ServerFnError> {
    use backend::*;
    store()?.list_projects().await.map_err(to_server_error)
}

#[server]
pub async fn create_project(slug: String, name: String) -> Result<ProjectSummary, ServerFnError> {
    use backend::*;
    let slug = slug.trim().to_owned();
    store()?
        .create_project(&slug, &name)
        .await
        .map_err(to_server_error)
}

#[server]
pub async fn load_project(slug: String) -> Result<ProjectRuns, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    let runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    let settings = store.targets(project.id).await.map_err(to_server_error)?;
    Ok(ProjectRuns {
        slug: project.slug,
        name: project.name,
        runs,
        targets: settings.targets,
        max_age_days: settings.max_age_days,
    })
}

#[server]
pub async fn load_assessment(
    slug: String,
    commit: Option<String>,
    environment: Option<String>,
) -> Result<AssessmentView, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    let runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    let mut commits: Vec<String> = Vec::new();
    let mut environments: Vec<String> = Vec::new();
    for run in &runs {
        if let Some(c) = &run.provenance.commit
            && !commits.contains(c)
        {
            commits.push(c.clone());
        }
        if let Some(e) = &run.provenance.environment
            && !environments.contains(e)
        {
            environments.push(e.clone());
        }
    }
    let clean = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    // Without a chosen commit, the latest run's commit is assessed: what a
    // lead most often wants to know.
    let commit = clean(commit).or_else(|| commits.first().cloned());
    let assessment = store
        .assessment(&project, commit, clean(environment), chrono::Utc::now())
        .await
        .map_err(to_server_error)?;
    Ok(AssessmentView {
        assessment,
        commits,
        environments,
    })
}

/// Replaces a project's targets from one expression per line; errors point
/// at the line and character.
#[server]
pub async fn save_targets(
    slug: String,
    targets: String,
    max_age_days: i64,
) -> Result<Vec<String>, ServerFnError> {
    use backend::*;
    use readiness_store::TargetSettings;
    let store = store()?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in targets.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.parse::<Target>() {
            Ok(t) => parsed.push(t),
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    if !errors.is_empty() {
        return Err(ServerFnError::new(errors.join("\n")));
    }
    let settings = TargetSettings {
        targets: parsed,
        max_age_days,
    };
    store
        .set_targets(project.id, &settings)
        .await
        .map_err(to_server_error)?;
    Ok(settings.targets.iter().map(ToString::to_string).collect())
}

#[server]
pub async fn load_comparison(
    slug: String,
    baseline: Option<i64>,
    candidate: Option<i64>,
) -> Result<CompareView, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    let runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    let pick = |id: Option<i64>| id.and_then(|id| runs.iter().find(|r| r.id == id).cloned());
    let (baseline, candidate) = (pick(baseline), pick(candidate));
    let comparison = match (&baseline, &candidate) {
        (Some(a), Some(b)) => {
            let a = store.run_detail(a.id).await.map_err(to_server_error)?;
            let b = store.run_detail(b.id).await.map_err(to_server_error)?;
            Some(readiness_core::compare::compare(&a.run, &b.run))
        }
        _ => None,
    };
    Ok(CompareView {
        slug: project.slug,
        name: project.name,
        runs,
        baseline,
        candidate,
        comparison,
    })
}

#[server]
pub async fn create_token(slug: String) -> Result<String, ServerFnError> {
    use backend::*;
    store()?.create_token(&slug).await.map_err(to_server_error)
}

/// A run's page data: the run and the project's targets it is judged by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPage {
    pub detail: RunDetail,
    pub targets: Vec<Target>,
}

#[server]
pub async fn load_run(id: i64) -> Result<RunPage, ServerFnError> {
    use backend::*;
    let store = store()?;
    let mut detail = store.run_detail(id).await.map_err(to_server_error)?;
    // The page shows figures, not distributions: the histograms stay on
    // the server.
    detail.run.latency_histogram = None;
    for endpoint in &mut detail.run.endpoints {
        endpoint.latency_histogram = None;
    }
    let project = store
        .project(&detail.project_slug)
        .await
        .map_err(to_server_error)?;
    let targets = store
        .targets(project.id)
        .await
        .map_err(to_server_error)?
        .targets;
    Ok(RunPage { detail, targets })
}

/// An excerpt of an evidence file around a finding's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excerpt {
    pub file: String,
    /// The first line's number, then the lines.
    pub first_line: u64,
    pub lines: Vec<String>,
    pub highlight: u64,
}

/// A finding as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingView {
    pub finding: readiness_core::audit::Finding,
    pub excerpt: Option<Excerpt>,
    pub exemption: Option<String>,
}

/// A project's audit: its findings with excerpts, and the files read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub slug: String,
    pub name: String,
    pub evidence: Vec<i64>,
    pub files: Vec<(String, String)>,
    pub findings: Vec<FindingView>,
}

#[server]
pub async fn load_audit(slug: String) -> Result<AuditView, ServerFnError> {
    use backend::*;
    use readiness_core::assess::Policy;
    use readiness_core::audit::{self, Inputs};
    use readiness_core::targets::Metric;
    let store = store()?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    let settings = store.targets(project.id).await.map_err(to_server_error)?;
    let policy = Policy {
        max_age_days: settings.max_age_days,
        ..Policy::new(chrono::Utc::now())
    };
    let (stack, used) = store
        .audit_stack(project.id, &policy)
        .await
        .map_err(to_server_error)?;
    let threshold = |metric: Metric| {
        settings
            .targets
            .iter()
            .find(|t| t.metric == metric && t.scope.is_empty() && t.baseline_run.is_none())
            .map(|t| t.threshold)
    };
    let inputs = Inputs {
        host: store
            .host_profile(project.id)
            .await
            .map_err(to_server_error)?,
        target_users: threshold(Metric::Users),
        target_rps: threshold(Metric::Throughput),
        mean_service_s: None,
        heuristics: Default::default(),
    };
    let findings = audit::evaluate(&stack, &inputs);
    // The text of every file read, for excerpts around findings.
    let mut texts: Vec<(String, String)> = Vec::new();
    for id in &used {
        let artifact = store
            .evidence_artifact(*id)
            .await
            .map_err(to_server_error)?;
        if let Ok(files) = readiness_store::bundle::files_of(&artifact.file_name, &artifact.bytes) {
            for file in files {
                texts.push((
                    file.name.clone(),
                    String::from_utf8_lossy(&file.bytes).into_owned(),
                ));
            }
        }
    }
    let today = chrono::Utc::now().date_naive();
    let exemptions = store
        .exemptions(project.id)
        .await
        .map_err(to_server_error)?;
    let findings = findings
        .into_iter()
        .map(|finding| {
            let excerpt = finding.evaluation.location.as_ref().and_then(|at| {
                let (_, text) = texts.iter().find(|(name, _)| *name == at.file)?;
                let lines: Vec<&str> = text.lines().collect();
                let index = usize::try_from(at.line).ok()?.checked_sub(1)?;
                let from = index.saturating_sub(2);
                let to = (index + 3).min(lines.len());
                (from < to).then(|| Excerpt {
                    file: at.file.clone(),
                    first_line: from as u64 + 1,
                    lines: lines[from..to]
                        .iter()
                        .map(|l| l.chars().take(200).collect())
                        .collect(),
                    highlight: at.line,
                })
            });
            let exemption = exemptions
                .iter()
                .find(|e| e.rule == finding.rule && e.expires_on >= today)
                .map(|e| format!("{} (until {})", e.reason, e.expires_on));
            FindingView {
                finding,
                excerpt,
                exemption,
            }
        })
        .collect();
    Ok(AuditView {
        slug: project.slug,
        name: project.name,
        evidence: used,
        files: stack
            .files
            .iter()
            .map(|(name, kind)| (name.clone(), kind.label().to_owned()))
            .collect(),
        findings,
    })
}

/// Exempts a rule for a project, with a reason and an expiry date.
#[server]
pub async fn exempt_rule(
    slug: String,
    rule: String,
    reason: String,
    expires_on: String,
) -> Result<String, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    let date: chrono::NaiveDate = expires_on.parse().map_err(|_| {
        ServerFnError::new(format!("`{expires_on}` is not a date: expected YYYY-MM-DD"))
    })?;
    if !readiness_core::audit::rules().iter().any(|r| r.id == rule) {
        return Err(ServerFnError::new(format!(
            "no audit rule has the id `{rule}`"
        )));
    }
    store
        .exempt(project.id, &rule, &reason, date)
        .await
        .map_err(to_server_error)?;
    Ok(rule)
}
