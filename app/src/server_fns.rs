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
