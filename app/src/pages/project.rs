//! A project's page: its assessment, and its runs, each headline figure
//! judged against the project's targets, in a table that sorts in the
//! browser.

use crate::components::{Figure, LoadError, error_text, format_time};
use crate::pages::assessment::AssessmentPanel;
use crate::server_fns::load_project;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
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
                    Ok(project) => {
                        let tokens_href = format!("/projects/{}/tokens", project.slug);
                        view! {
                            <Title text=project.name.clone() />
                            <nav class="crumbs" aria-label="Breadcrumb">
                                <a href="/">"Projects"</a>
                                " / "
                                <span aria-current="page">{project.name.clone()}</span>
                            </nav>
                            <h1>{project.name.clone()}</h1>
                            <p class="actions">
                                <a href=format!("/projects/{}/targets", project.slug)>"Targets"</a>
                                " · "
                                <a href=format!("/projects/{}/compare", project.slug)>"Compare runs"</a>
                                " · "
                                <a href=format!("/projects/{}/audit", project.slug)>"Audit"</a>
                                " · "
                                <a href=tokens_href>"CI tokens"</a>
                            </p>
                            <AssessmentPanel slug=project.slug.clone() />
                            <h2>"Runs"</h2>
                            <TargetsLegend targets=project.targets.clone() />
                            <RunsTable runs=project.runs targets=project.targets />
                        }
                            .into_any()
                    }
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

#[island]
fn RunsTable(runs: Vec<RunSummary>, targets: Vec<Target>) -> impl IntoView {
    let targets = StoredValue::new(run_targets(&targets));
    let target_for = move |metric: Metric| {
        targets.with_value(|t| t.iter().find(|t| t.metric == metric).cloned())
    };
    if runs.is_empty() {
        return view! {
            <p class="empty">
                "No runs yet. Upload a k6 summary from CI with a project token (see CI tokens)."
            </p>
        }
        .into_any();
    }
    let sort = RwSignal::new((SortKey::Uploaded, true));
    let runs = StoredValue::new(runs);
    let rows = move || {
        let (key, descending) = sort.get();
        sorted(runs.get_value(), key, descending)
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
    }
    .into_any()
}
