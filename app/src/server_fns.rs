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
    /// The latest runs (a page of them), newest first.
    pub runs: Vec<RunSummary>,
    /// How many runs the project has in all.
    pub total_runs: usize,
    /// The runs the trend charts draw, oldest first.
    pub trend: Vec<RunSummary>,
    pub targets: Vec<Target>,
    pub max_age_days: i64,
    /// Audit evidence uploads, newest first (a few).
    pub evidence: Vec<readiness_store_view::EvidenceRow>,
}

/// Views of stored records that pages show; plain data, so the browser
/// bundle can hold them without the store.
pub mod readiness_store_view {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct EvidenceRow {
        pub id: i64,
        pub file_name: String,
        pub uploaded_at: chrono::DateTime<chrono::Utc>,
        pub commit: Option<String>,
        pub environment: Option<String>,
        pub kinds: Vec<String>,
        pub files: usize,
        pub sha256: String,
        pub size: u64,
    }
}

/// How many runs a page lists; the trend charts draw this many too.
pub const RUNS_PER_PAGE: usize = 50;
pub const TREND_RUNS: usize = 100;

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
    /// The two runs' time series, for charts that overlay them.
    pub series: Option<(
        Option<readiness_core::run::Series>,
        Option<readiness_core::run::Series>,
    )>,
    pub targets: Vec<Target>,
}

/// Who the request being served is from.
#[cfg(feature = "ssr")]
pub fn principal_now() -> readiness_core::access::Principal {
    backend::principal()
}

#[cfg(feature = "ssr")]
pub(crate) mod backend {
    use leptos::prelude::*;
    pub use readiness_core::access::{Action, Principal};
    use readiness_store::{Store, StoreError};

    /// Who is asking, as the server's middleware found.
    pub fn principal() -> Principal {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>().cloned())
            .unwrap_or(Principal::Anonymous)
    }

    /// Refuses anyone but an admin.
    pub fn require_admin() -> Result<(), ServerFnError> {
        match readiness_core::access::is_admin(&principal()) {
            readiness_core::access::Decision::Allow => Ok(()),
            readiness_core::access::Decision::SignIn(why) => {
                Err(to_server_error(StoreError::Unauthorized(why)))
            }
            readiness_core::access::Decision::Forbidden(why) => {
                Err(to_server_error(StoreError::Forbidden(why)))
            }
            readiness_core::access::Decision::Hidden => Err(to_server_error(
                StoreError::Forbidden("only an admin may do this".to_owned()),
            )),
        }
    }

    /// The project, when the one asking may do `action` in it.
    pub async fn authorize(
        store: &Store,
        slug: &str,
        action: Action,
    ) -> Result<readiness_store::projects::ProjectRef, ServerFnError> {
        store
            .authorize(&principal(), slug, action)
            .await
            .map_err(to_server_error)
    }

    /// Records who did what; the action fails if it cannot be recorded.
    pub async fn record(
        store: &Store,
        action: &str,
        project: &readiness_store::projects::ProjectRef,
        detail: &str,
    ) -> Result<(), ServerFnError> {
        store
            .record(&principal(), action, Some(project), detail)
            .await
            .map_err(to_server_error)
    }

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
            StoreError::Unauthorized(message) => {
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::UNAUTHORIZED);
                }
                ServerFnError::new(message)
            }
            StoreError::Forbidden(message) => {
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::FORBIDDEN);
                }
                ServerFnError::new(message)
            }
            other => {
                tracing::error!(error = %other, "server function failed");
                ServerFnError::new("the server could not complete the request; see its log")
            }
        }
    }
}

/// A project as the projects list shows it: its verdict, category scores
/// and evidence coverage for its latest commit, and when evidence last
/// arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectOverview {
    pub summary: ProjectSummary,
    pub assessment: readiness_core::assess::Assessment,
    pub evidence_count: usize,
    pub last_activity: Option<chrono::DateTime<chrono::Utc>>,
}

#[server]
pub async fn load_projects() -> Result<Vec<ProjectOverview>, ServerFnError> {
    use backend::*;
    let store = store()?;
    let now = chrono::Utc::now();
    let readable = store
        .readable_projects(&principal())
        .await
        .map_err(to_server_error)?;
    let mut out = Vec::new();
    for summary in store
        .list_projects()
        .await
        .map_err(to_server_error)?
        .into_iter()
        .filter(|p| readable.contains(&p.slug))
    {
        let project = store
            .project(&summary.slug)
            .await
            .map_err(to_server_error)?;
        let latest = store.list_runs(project.id).await.map_err(to_server_error)?;
        let commit = latest.first().and_then(|r| r.provenance.commit.clone());
        let assessment = store
            .assessment(&project, commit, None, now)
            .await
            .map_err(to_server_error)?;
        let evidence = store
            .list_evidence(project.id)
            .await
            .map_err(to_server_error)?;
        let last_activity = evidence
            .iter()
            .map(|e| e.uploaded_at)
            .chain(summary.last_upload_at)
            .max();
        out.push(ProjectOverview {
            summary,
            assessment,
            evidence_count: evidence.len(),
            last_activity,
        });
    }
    Ok(out)
}

#[server]
pub async fn create_project(slug: String, name: String) -> Result<ProjectSummary, ServerFnError> {
    use backend::*;
    let slug = slug.trim().to_owned();
    require_admin()?;
    let store = store()?;
    let created = store
        .create_project(&slug, &name)
        .await
        .map_err(to_server_error)?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    record(&store, "project.create", &project, &created.name).await?;
    Ok(created)
}

#[server]
pub async fn load_project(slug: String) -> Result<ProjectRuns, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let mut runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    let settings = store.targets(project.id).await.map_err(to_server_error)?;
    let total_runs = runs.len();
    let mut trend: Vec<RunSummary> = runs.iter().take(TREND_RUNS).cloned().collect();
    trend.reverse();
    runs.truncate(LATEST_RUNS);
    let evidence = store
        .list_evidence(project.id)
        .await
        .map_err(to_server_error)?
        .into_iter()
        .map(evidence_row)
        .collect();
    Ok(ProjectRuns {
        slug: project.slug,
        name: project.name,
        runs,
        total_runs,
        trend,
        targets: settings.targets,
        max_age_days: settings.max_age_days,
        evidence,
    })
}

#[cfg(feature = "ssr")]
fn evidence_row(e: readiness_store::EvidenceSummary) -> readiness_store_view::EvidenceRow {
    readiness_store_view::EvidenceRow {
        id: e.id,
        file_name: e.file_name,
        uploaded_at: e.uploaded_at,
        commit: e.provenance.commit,
        environment: e.provenance.environment,
        kinds: e.kinds.iter().map(|k| k.label().to_owned()).collect(),
        files: e.files.len(),
        sha256: e.sha256,
        size: e.size,
    }
}

/// The runs uploaded after run `after`, newest first: what an open page
/// polls for.
#[server]
pub async fn runs_since(slug: String, after: i64) -> Result<Vec<RunSummary>, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    Ok(runs
        .into_iter()
        .take_while(|r| r.id > after)
        .take(RUNS_PER_PAGE)
        .collect())
}

/// One page of a project's runs, newest first.
#[server]
pub async fn load_runs_page(
    slug: String,
    page: usize,
) -> Result<(ProjectRuns, usize), ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    let settings = store.targets(project.id).await.map_err(to_server_error)?;
    let pages = runs.len().div_ceil(RUNS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let total_runs = runs.len();
    let runs = runs
        .into_iter()
        .skip((page - 1) * RUNS_PER_PAGE)
        .take(RUNS_PER_PAGE)
        .collect();
    Ok((
        ProjectRuns {
            slug: project.slug,
            name: project.name,
            runs,
            total_runs,
            trend: Vec::new(),
            targets: settings.targets,
            max_age_days: settings.max_age_days,
            evidence: Vec::new(),
        },
        pages,
    ))
}

#[server]
pub async fn load_assessment(
    slug: String,
    commit: Option<String>,
    environment: Option<String>,
) -> Result<AssessmentView, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
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
    let project = authorize(&store, &slug, Action::Maintain).await?;
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
    let written: Vec<String> = settings.targets.iter().map(ToString::to_string).collect();
    record(
        &store,
        "targets.set",
        &project,
        &format!(
            "{}; evidence older than {} days is unverified",
            written.join(", "),
            settings.max_age_days
        ),
    )
    .await?;
    Ok(written)
}

#[server]
pub async fn load_comparison(
    slug: String,
    baseline: Option<i64>,
    candidate: Option<i64>,
) -> Result<CompareView, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    let pick = |id: Option<i64>| id.and_then(|id| runs.iter().find(|r| r.id == id).cloned());
    let (baseline, candidate) = (pick(baseline), pick(candidate));
    let (comparison, series) = match (&baseline, &candidate) {
        (Some(a), Some(b)) => {
            let a = store.run_detail(a.id).await.map_err(to_server_error)?;
            let b = store.run_detail(b.id).await.map_err(to_server_error)?;
            (
                Some(readiness_core::compare::compare(&a.run, &b.run)),
                Some((a.run.series, b.run.series)),
            )
        }
        _ => (None, None),
    };
    let targets = store
        .targets(project.id)
        .await
        .map_err(to_server_error)?
        .targets;
    Ok(CompareView {
        slug: project.slug,
        name: project.name,
        runs,
        baseline,
        candidate,
        comparison,
        series,
        targets,
    })
}

/// Creates a token for CI; `scope` is `upload` or `read`.
#[server]
pub async fn create_token(slug: String, scope: String) -> Result<String, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Administer).await?;
    let scope: readiness_core::access::Scope = scope.parse().map_err(ServerFnError::new)?;
    let token = store
        .create_token(&slug, scope, &principal().actor())
        .await
        .map_err(to_server_error)?;
    record(
        &store,
        "token.create",
        &project,
        &format!("{}… ({scope})", &token[..10]),
    )
    .await?;
    Ok(token)
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
    let slug = match store.project_of_run(id).await {
        Err(readiness_store::StoreError::NotFound(_)) if principal() == Principal::Anonymous => {
            return Err(to_server_error(readiness_store::StoreError::Unauthorized(
                "sign in to see this run".to_owned(),
            )));
        }
        other => other.map_err(to_server_error)?,
    };
    authorize(&store, &slug, Action::Read).await?;
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
    let project = authorize(&store, &slug, Action::Read).await?;
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
    let project = authorize(&store, &slug, Action::Maintain).await?;
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
    record(
        &store,
        "exemption.set",
        &project,
        &format!("{rule} until {date}: {reason}"),
    )
    .await?;
    Ok(rule)
}

/// A project's evidence, filtered, with the choices the filters offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidencePage {
    pub slug: String,
    pub name: String,
    /// The artifacts of this page of the filtered list.
    pub items: Vec<readiness_core::model::ArtifactListing>,
    /// How many match the filters, on every page.
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    /// (value, label) of each kind present, `run` for load-test results.
    pub kinds: Vec<(String, String)>,
    pub commits: Vec<String>,
    pub environments: Vec<String>,
}

/// Artifacts listed on one page of the evidence page.
pub const EVIDENCE_PER_PAGE: usize = 100;

/// Runs the overview lists; the runs page has them all.
pub const LATEST_RUNS: usize = 20;

/// The value of the kind filter that selects load-test results.
pub const RUN_KIND: &str = "run";

/// The filter value of an evidence kind: its name in the API.
pub fn kind_value(kind: readiness_core::audit::Kind) -> String {
    kind.name().to_owned()
}

#[server]
pub async fn load_evidence(
    slug: String,
    kind: Option<String>,
    commit: Option<String>,
    environment: Option<String>,
    page: Option<usize>,
) -> Result<EvidencePage, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let all = store
        .list_artifacts(project.id)
        .await
        .map_err(to_server_error)?;
    let mut kinds: Vec<(String, String)> = Vec::new();
    let mut commits: Vec<String> = Vec::new();
    let mut environments: Vec<String> = Vec::new();
    let add = |list: &mut Vec<String>, v: &Option<String>| {
        if let Some(v) = v
            && !list.contains(v)
        {
            list.push(v.clone());
        }
    };
    for item in &all {
        add(&mut commits, &item.provenance.commit);
        add(&mut environments, &item.provenance.environment);
        if item.run.is_some() && !kinds.iter().any(|(v, _)| v == RUN_KIND) {
            kinds.insert(0, (RUN_KIND.to_owned(), "load-test result".to_owned()));
        }
        for k in item.evidence.iter().flat_map(|(_, k)| k) {
            let value = kind_value(*k);
            if !kinds.iter().any(|(v, _)| *v == value) {
                kinds.push((value, k.label().to_owned()));
            }
        }
    }
    let wanted = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (kind, commit, environment) = (wanted(&kind), wanted(&commit), wanted(&environment));
    let total = all.len();
    let items = all
        .into_iter()
        .filter(|item| match kind.as_deref() {
            None => true,
            Some(RUN_KIND) => item.run.is_some(),
            Some(k) => item
                .evidence
                .iter()
                .flat_map(|(_, kinds)| kinds)
                .any(|x| kind_value(*x) == k),
        })
        .filter(|item| commit.is_none() || item.provenance.commit == commit)
        .filter(|item| environment.is_none() || item.provenance.environment == environment)
        .collect::<Vec<_>>();
    let matching = items.len();
    let pages = matching.div_ceil(EVIDENCE_PER_PAGE).max(1);
    let page = page.unwrap_or(1).clamp(1, pages);
    let items = items
        .into_iter()
        .skip((page - 1) * EVIDENCE_PER_PAGE)
        .take(EVIDENCE_PER_PAGE)
        .collect();
    Ok(EvidencePage {
        slug: project.slug,
        name: project.name,
        items,
        matching,
        page,
        pages,
        total,
        kinds,
        commits,
        environments,
    })
}

/// One server row of the host profile form; empty rows are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerRow {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub web: Option<String>,
    #[serde(default)]
    pub php: Option<String>,
    #[serde(default)]
    pub db: Option<String>,
    #[serde(default)]
    pub cache: Option<String>,
    #[serde(default)]
    pub ram: String,
    #[serde(default)]
    pub cpus: String,
}

/// The project's name, when the one asking may upload to it.
#[server]
pub async fn may_upload(slug: String) -> Result<String, ServerFnError> {
    use backend::*;
    let store = store()?;
    Ok(authorize(&store, &slug, Action::Upload).await?.name)
}

/// A project's host profile, or none yet.
#[server]
pub async fn load_host(
    slug: String,
) -> Result<(String, Option<readiness_core::audit::HostProfile>), ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = authorize(&store, &slug, Action::Read).await?;
    let host = store
        .host_profile(project.id)
        .await
        .map_err(to_server_error)?;
    Ok((project.name, host))
}

/// Saves the host profile form; every mistake is reported with its row
/// and field, and nothing is saved until all are fixed.
#[server]
pub async fn save_host(
    slug: String,
    #[server(default)] servers: Vec<ServerRow>,
    #[server(default)] php_files: String,
    #[server(default)] worker_rss: String,
    #[server(default)] queue_workers: String,
    #[server(default)] redis_shared: String,
    #[server(default)] tls_at_load_balancer: String,
) -> Result<readiness_core::audit::HostProfile, ServerFnError> {
    use backend::*;
    use readiness_core::audit::model::memory_size;
    use readiness_core::audit::{HostProfile, Role, Server};
    let mut errors = Vec::new();
    let mut profile = HostProfile::default();
    for (i, row) in servers.iter().enumerate() {
        let blank =
            row.name.trim().is_empty() && row.ram.trim().is_empty() && row.cpus.trim().is_empty();
        if blank {
            continue;
        }
        let n = i + 1;
        let name = row.name.trim().to_owned();
        if name.is_empty() {
            errors.push(format!(
                "server {n}: the name is empty; name it as your hosts do, e.g. `app1`"
            ));
        }
        let roles: Vec<Role> = [
            (&row.web, Role::Web),
            (&row.php, Role::Php),
            (&row.db, Role::Db),
            (&row.cache, Role::Cache),
        ]
        .into_iter()
        .filter(|(on, _)| on.is_some())
        .map(|(_, role)| role)
        .collect();
        if roles.is_empty() {
            errors.push(format!(
                "server {n} ({name}): choose at least one role (web, PHP, database, cache)"
            ));
        }
        let ram = memory_size(&row.ram)
            .map_err(|e| errors.push(format!("server {n} ({name}) RAM: {e}")))
            .unwrap_or(0);
        let cpus = match row.cpus.trim().parse::<u32>() {
            Ok(c) if (1..=4096).contains(&c) => c,
            _ => {
                errors.push(format!(
                    "server {n} ({name}) CPUs: `{}` is not a CPU count: expected a whole number from 1 to 4096",
                    row.cpus.trim()
                ));
                0
            }
        };
        profile.servers.push(Server {
            name,
            roles,
            ram_bytes: ram,
            cpus,
        });
    }
    let optional_number = |field: &str, text: &str, errors: &mut Vec<String>| -> Option<u64> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        text.parse::<u64>()
            .map_err(|_| errors.push(format!("{field}: `{text}` is not a whole number")))
            .ok()
    };
    profile.php_files = optional_number("PHP files deployed", &php_files, &mut errors);
    profile.queue_workers = optional_number("queue workers", &queue_workers, &mut errors)
        .map(|n| n.min(u32::MAX as u64) as u32);
    if !worker_rss.trim().is_empty() {
        profile.worker_rss_bytes = memory_size(&worker_rss)
            .map_err(|e| errors.push(format!("memory of one PHP-FPM worker: {e}")))
            .ok();
    }
    let yes_no = |text: &str| match text {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    profile.redis_shared = yes_no(&redis_shared);
    profile.tls_at_load_balancer = yes_no(&tls_at_load_balancer);
    if !errors.is_empty() {
        return Err(ServerFnError::ServerError(format!(
            "Nothing was saved. Fix these and save again:\n{}",
            errors.join("\n")
        )));
    }
    let store = store()?;
    let project = authorize(&store, &slug, Action::Maintain).await?;
    store
        .set_host_profile(project.id, &profile)
        .await
        .map_err(to_server_error)?;
    record(
        &store,
        "host.set",
        &project,
        &format!("{} servers", profile.servers.len()),
    )
    .await?;
    Ok(profile)
}
