//! A project's page: its assessment; trend charts of the headline figures
//! over its runs with the targets drawn; the latest runs in a table that
//! sorts in the browser; and the latest audit evidence.

use crate::components::{Figure, LoadError, error_text, format_time};
use crate::pages::assessment::AssessmentPanel;
use crate::server_fns::{ProjectRuns, RUNS_PER_PAGE, load_project, load_runs_page};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use readiness_core::chart::{self, Chart, Line, Unit};
use readiness_core::model::{RUN_METRICS, RunSummary};
use readiness_core::targets::{Metric, Target};
use std::cmp::Ordering;

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, load_project);

    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading project…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(project) => project_view(project),
                    Err(err) => {
                        view! {
                            <Title text="Project not found" />
                            <h1>"Project"</h1>
                            <LoadError message=error_text(&err) />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The links every page of a project carries.
#[component]
pub fn ProjectNav(slug: String, current: &'static str) -> impl IntoView {
    let links = [
        ("Overview", String::new()),
        ("Upload", "/upload".to_owned()),
        ("Evidence", "/evidence".to_owned()),
        ("Runs", "/runs".to_owned()),
        ("Compare", "/compare".to_owned()),
        ("Audit", "/audit".to_owned()),
        ("Certificates", "/certificates".to_owned()),
        ("Targets", "/targets".to_owned()),
        ("Host profile", "/host".to_owned()),
        ("Access", "/access".to_owned()),
    ];
    view! {
        <nav class="project-nav" aria-label="Project">
            <ul>
                {links
                    .into_iter()
                    .map(|(label, suffix)| {
                        let href = format!("/projects/{slug}{suffix}");
                        let here = label == current;
                        view! {
                            <li>
                                <a href=href aria-current=here.then_some("page")>
                                    {label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

fn project_view(project: ProjectRuns) -> AnyView {
    let slug = project.slug.clone();
    let more = project.total_runs > project.runs.len();
    view! {
        <Title text=project.name.clone() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <span aria-current="page">{project.name.clone()}</span>
        </nav>
        <h1>{project.name.clone()}</h1>
        <ProjectNav slug=slug.clone() current="Overview" />
        <AssessmentPanel slug=slug.clone() />
        <TrendCharts runs=project.trend.clone() targets=project.targets.clone() />
        <section aria-labelledby="latest-runs">
            <h2 id="latest-runs">"Latest runs"</h2>
            <TargetsLegend targets=project.targets.clone() />
            <RunsTable runs=project.runs targets=project.targets live=Some(slug.clone()) />
            {more.then(|| {
                view! {
                    <p>
                        <a href=format!("/projects/{slug}/runs")>
                            {format!("All {} runs", project.total_runs)}
                        </a>
                    </p>
                }
            })}
        </section>
        <LatestEvidence slug=project.slug.clone() evidence=project.evidence />
        <LatestCertificates slug=project.slug.clone() />
    }
    .into_any()
}

/// The runs page: every run of a project, a page at a time.
#[component]
pub fn RunsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let slug = params.read().get("slug").unwrap_or_default();
        let page = query
            .read()
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1);
        (slug, page)
    };
    let data = Resource::new(key, |(slug, page)| load_runs_page(slug, page));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((project, pages)) => {
                        let page = key().1.clamp(1, pages);
                        let slug = project.slug.clone();
                        let link = move |p: usize, label: &'static str, rel: &'static str| {
                            view! {
                                <a href=format!("/projects/{slug}/runs?page={p}") rel=rel>
                                    {label}
                                </a>
                            }
                        };
                        let first = (page - 1) * RUNS_PER_PAGE + 1;
                        let last = (first + project.runs.len()).saturating_sub(1);
                        view! {
                            <Title text=format!("Runs · {}", project.name) />
                            <nav class="crumbs" aria-label="Breadcrumb">
                                <a href="/">"Projects"</a>
                                " / "
                                <a href=format!("/projects/{}", project.slug)>{project.name.clone()}</a>
                                " / "
                                <span aria-current="page">"Runs"</span>
                            </nav>
                            <h1>"Runs"</h1>
                            <ProjectNav slug=project.slug.clone() current="Runs" />
                            <p>
                                {if project.total_runs == 0 {
                                    "No runs yet.".to_owned()
                                } else {
                                    format!(
                                        "Runs {first} to {last} of {}, newest first. Page {page} of {pages}.",
                                        project.total_runs,
                                    )
                                }}
                            </p>
                            <TargetsLegend targets=project.targets.clone() />
                            <RunsTable
                                runs=project.runs
                                targets=project.targets
                                live=(page == 1).then(|| project.slug.clone())
                            />
                            <nav class="pager" aria-label="Pages">
                                {(page > 1).then(|| link.clone()(page - 1, "← Newer runs", "prev"))}
                                " "
                                {(page < pages).then(|| link(page + 1, "Older runs →", "next"))}
                            </nav>
                        }
                            .into_any()
                    }
                    Err(err) => {
                        view! {
                            <Title text="Runs" />
                            <h1>"Runs"</h1>
                            <LoadError message=error_text(&err) />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The headline figures over the project's runs, oldest to newest, each
/// with its target drawn.
#[component]
fn TrendCharts(runs: Vec<RunSummary>, targets: Vec<Target>) -> impl IntoView {
    if runs.len() < 2 {
        return view! {
            <section aria-labelledby="trends">
                <h2 id="trends">"Trends"</h2>
                <p class="empty">"Trends appear once the project has two runs."</p>
            </section>
        }
        .into_any();
    }
    let targets = run_targets(&targets);
    let x_names: Vec<(f64, String)> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64, format!("#{}", r.id)))
        .collect();
    let chart_of = |id: &str, title: &str, metric: Metric, unit: Unit| Chart {
        id: format!("trend-{id}"),
        title: title.to_owned(),
        x_label: "run".to_owned(),
        x_names: Some(x_names.clone()),
        unit,
        lines: vec![Line {
            name: metric.label().to_owned(),
            points: runs
                .iter()
                .enumerate()
                .map(|(i, r)| (i as f64, r.figure(metric)))
                .collect(),
        }],
        target: targets
            .iter()
            .find(|t| t.metric == metric)
            .map(|t| (t.threshold, t.to_string())),
        bands: Vec::new(),
        markers: Vec::new(),
    };
    let charts = [
        chart_of("p95", "p95 latency per run", Metric::P95, Unit::Ms),
        chart_of("p99", "p99 latency per run", Metric::P99, Unit::Ms),
        chart_of(
            "errors",
            "Error rate per run",
            Metric::ErrorRate,
            Unit::Ratio,
        ),
        chart_of(
            "throughput",
            "Throughput per run",
            Metric::Throughput,
            Unit::PerSecond,
        ),
    ];
    let count = runs.len();
    view! {
        <section aria-labelledby="trends">
            <h2 id="trends">"Trends"</h2>
            <p class="legend">
                {format!(
                    "The last {count} runs, oldest on the left, all environments. A gap is a run that did not measure the figure."
                )}
            </p>
            <div class="charts" data-test="trends">
                {charts
                    .into_iter()
                    .map(|c| {
                        view! {
                            <figure class="chart-box" inner_html=chart::render(&c, 640.0, 240.0)></figure>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
    .into_any()
}

/// The latest audit evidence: configurations, status dumps, inventories.
#[component]
fn LatestEvidence(
    slug: String,
    evidence: Vec<crate::server_fns::readiness_store_view::EvidenceRow>,
) -> impl IntoView {
    let total = evidence.len();
    view! {
        <section aria-labelledby="latest-evidence">
            <h2 id="latest-evidence">"Latest audit evidence"</h2>
            {if evidence.is_empty() {
                view! {
                    <p class="empty">
                        "No configurations, status dumps or monitoring inventories yet: the "
                        <a href=format!("/projects/{slug}/upload")>"upload page"</a>
                        " takes them, as does "
                        <code>"readiness upload --evidence"</code>
                        "."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="evidence-list">
                        {evidence
                            .into_iter()
                            .take(5)
                            .map(|e| {
                                view! {
                                    <li>
                                        <a href=format!("/api/v1/evidence/{}/artifact", e.id)>
                                            {e.file_name.clone()}
                                        </a>
                                        " · "
                                        {e.kinds.join(", ")}
                                        " · "
                                        {format_time(&e.uploaded_at)}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    <p>
                        <a href=format!("/projects/{slug}/audit")>"Findings"</a>
                        " · "
                        <a href=format!("/projects/{slug}/evidence")>
                            {format!("All evidence ({total} audit uploads, plus runs)")}
                        </a>
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The latest certificates, with their verdicts and PDFs.
#[component]
fn LatestCertificates(slug: String) -> impl IntoView {
    let certificates = Resource::new(
        {
            let slug = slug.clone();
            move || slug.clone()
        },
        crate::cert_fns::load_certificates,
    );
    view! {
        <section aria-labelledby="latest-certificates">
            <h2 id="latest-certificates">"Latest certificates"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        let Ok(view) = certificates.await else {
                            return ().into_any();
                        };
                        if view.certificates.is_empty() {
                            return view! {
                                <p class="empty">
                                    "No certificate issued yet: "
                                    <a href=format!("/projects/{slug}/certificates")>"issue one"</a>
                                    " when the evidence is in."
                                </p>
                            }
                                .into_any();
                        }
                        view! {
                            <ul class="evidence-list" data-test="latest-certificates">
                                {view
                                    .certificates
                                    .into_iter()
                                    .take(3)
                                    .map(|c| {
                                        let page = format!("/projects/{slug}/certificates/{}", c.number);
                                        view! {
                                            <li>
                                                <a href=page rel="external">{format!("No. {}", c.number)}</a>
                                                " · "
                                                <span class=crate::pages::assessment::verdict_class(c.verdict)>
                                                    <span class="mark" aria-hidden="true">
                                                        {crate::pages::assessment::verdict_mark(c.verdict)}
                                                    </span>
                                                    " "
                                                    {c.verdict.label()}
                                                </span>
                                                " · "
                                                {c.commit.unwrap_or_else(|| "no commit".to_owned())}
                                                " · "
                                                {format_time(&c.issued_at)}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <p>
                                <a href=format!("/projects/{slug}/certificates")>"All certificates"</a>
                            </p>
                        }
                            .into_any()
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The targets each figure is judged against.
#[component]
fn TargetsLegend(targets: Vec<Target>) -> impl IntoView {
    let targets: Vec<String> = run_targets(&targets)
        .iter()
        .map(ToString::to_string)
        .collect();
    view! {
        <p class="legend">
            "Each figure is judged against the project's targets: " {targets.join(", ")}
            ". A figure the run did not measure is unverified, never passed."
        </p>
    }
}

/// The whole-run targets of the figures in the runs table.
fn run_targets(targets: &[Target]) -> Vec<Target> {
    targets
        .iter()
        .filter(|t| {
            RUN_METRICS.contains(&t.metric) && t.scope.is_empty() && t.baseline_run.is_none()
        })
        .cloned()
        .collect()
}

/// The columns the runs table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Uploaded,
    Scenario,
    Commit,
    Figure(Metric),
}

impl SortKey {
    fn compare(self, a: &RunSummary, b: &RunSummary) -> Ordering {
        match self {
            SortKey::Uploaded => a.id.cmp(&b.id),
            SortKey::Scenario => a.scenario.as_str().cmp(b.scenario.as_str()),
            SortKey::Commit => a.provenance.commit.cmp(&b.provenance.commit),
            SortKey::Figure(metric) => match (a.figure(metric), b.figure(metric)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        }
    }
}

/// Sorts runs; runs without the figure stay at the end in either direction.
fn sorted(mut runs: Vec<RunSummary>, key: SortKey, descending: bool) -> Vec<RunSummary> {
    runs.sort_by(|a, b| {
        let missing = |r: &RunSummary| matches!(key, SortKey::Figure(m) if r.figure(m).is_none());
        match (missing(a), missing(b)) {
            (false, true) => Ordering::Less,
            (true, false) => Ordering::Greater,
            _ if descending => key.compare(b, a),
            _ => key.compare(a, b),
        }
    });
    runs
}

/// The runs table. With `live` (the project's slug) it asks the server for
/// newer runs every few seconds and adds them at the top, so an open page
/// shows what CI uploads without a reload.
#[island]
fn RunsTable(runs: Vec<RunSummary>, targets: Vec<Target>, live: Option<String>) -> impl IntoView {
    let targets = StoredValue::new(run_targets(&targets));
    let target_for = move |metric: Metric| {
        targets.with_value(|t| t.iter().find(|t| t.metric == metric).cloned())
    };
    let sort = RwSignal::new((SortKey::Uploaded, true));
    let runs = RwSignal::new(runs);
    let arrived = RwSignal::new(0usize);
    if let Some(slug) = live {
        poll_new_runs(slug, runs, arrived);
    }
    let rows = move || {
        let (key, descending) = sort.get();
        sorted(runs.get(), key, descending)
    };
    let news = move || {
        match arrived.get() {
        0 => String::new(),
        1 => "1 new run arrived since this page opened; reload for the assessment and trends with it."
            .to_owned(),
        n => format!(
            "{n} new runs arrived since this page opened; reload for the assessment and trends with them."
        ),
    }
    };

    let header = move |label: &'static str, key: SortKey, numeric: bool| {
        let aria = move || {
            let (current, descending) = sort.get();
            if current != key {
                "none"
            } else if descending {
                "descending"
            } else {
                "ascending"
            }
        };
        let on_click = move |_| {
            sort.update(|(current, descending)| {
                if *current == key {
                    *descending = !*descending;
                } else {
                    *current = key;
                    // Worst first: the largest latency or error rate, the
                    // smallest throughput or user count.
                    *descending = !matches!(
                        key,
                        SortKey::Figure(Metric::Throughput) | SortKey::Figure(Metric::Users)
                    );
                }
            })
        };
        view! {
            <th scope="col" class:num=numeric aria-sort=aria>
                <button type="button" class="sort" on:click=on_click>
                    {label}
                </button>
            </th>
        }
    };

    view! {
        <p class="live" role="status" aria-live="polite" data-test="live-runs">
            {news}
        </p>
        <Show
            when=move || !runs.read().is_empty()
            fallback=|| {
                view! {
                    <p class="empty">
                        "No runs yet. Upload a result on the upload page, or from CI with a project token (see Access)."
                    </p>
                }
            }
        >
        <div class="table-scroll">
        <table class="data" data-test="runs">
            <thead>
                <tr>
                    {header("Uploaded", SortKey::Uploaded, false)}
                    {header("Scenario", SortKey::Scenario, false)}
                    {header("Commit", SortKey::Commit, false)}
                    {header("p95", SortKey::Figure(Metric::P95), true)}
                    {header("p99", SortKey::Figure(Metric::P99), true)}
                    {header("Error rate", SortKey::Figure(Metric::ErrorRate), true)}
                    {header("Throughput", SortKey::Figure(Metric::Throughput), true)}
                    {header("Max VUs", SortKey::Figure(Metric::Users), true)}
                </tr>
            </thead>
            <tbody>
                <For each=rows key=|r| r.id let:run>
                    <tr data-run-id=run.id>
                        <td>
                            <a href=format!("/runs/{}", run.id)>{format_time(&run.uploaded_at)}</a>
                        </td>
                        <td>{run.scenario.as_str()}</td>
                        <td>
                            <code>
                                {run
                                    .provenance
                                    .commit
                                    .clone()
                                    .map(|c| c.chars().take(12).collect::<String>())
                                    .unwrap_or_else(|| "—".to_owned())}
                            </code>
                        </td>
                        {RUN_METRICS
                            .into_iter()
                            .map(|metric| {
                                view! {
                                    <td class="num">
                                        <Figure metric value=run.figure(metric) target=target_for(metric) />
                                    </td>
                                }
                            })
                            .collect_view()}
                    </tr>
                </For>
            </tbody>
        </table>
        </div>
        </Show>
    }
    .into_any()
}

/// How often an open page asks for new uploads.
pub const POLL_MS: u64 = 5_000;

/// Asks the server every few seconds for runs newer than the newest shown,
/// and adds them; stops asking while the tab is hidden.
fn poll_new_runs(slug: String, runs: RwSignal<Vec<RunSummary>>, arrived: RwSignal<usize>) {
    #[cfg(feature = "hydrate")]
    {
        use crate::server_fns::runs_since;
        let busy = StoredValue::new(false);
        let tick = move || {
            let hidden = document().hidden();
            if hidden || busy.get_value() {
                return;
            }
            busy.set_value(true);
            let after = runs.with_untracked(|r| r.iter().map(|r| r.id).max().unwrap_or(0));
            let slug = slug.clone();
            leptos::task::spawn_local(async move {
                if let Ok(new) = runs_since(slug, after).await
                    && !new.is_empty()
                {
                    arrived.update(|n| *n += new.len());
                    runs.update(|r| {
                        let known: std::collections::HashSet<i64> =
                            r.iter().map(|r| r.id).collect();
                        let mut fresh: Vec<RunSummary> =
                            new.into_iter().filter(|n| !known.contains(&n.id)).collect();
                        fresh.append(r);
                        *r = fresh;
                    });
                }
                busy.set_value(false);
            });
        };
        if let Ok(handle) =
            set_interval_with_handle(tick, std::time::Duration::from_millis(POLL_MS))
        {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (slug, runs, arrived);
}
