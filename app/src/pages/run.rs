//! A run's page: every figure, where it came from, and the tool's own
//! thresholds.

use crate::components::{Figure, LoadError, error_text, format_time};
use crate::server_fns::load_run;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use readiness_core::Run;
use readiness_core::model::{ArtifactEntry, RunDetail, RunSummary};
use readiness_core::targets::{Metric, default_targets, format_ms, trim_number};

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(-1)
    };
    let data = Resource::new(id, load_run);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading run…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => view! { <RunView detail /> }.into_any(),
                    Err(err) => {
                        view! {
                            <Title text="Run not found" />
                            <h1>"Run"</h1>
                            <LoadError message=error_text(&err) />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "—".to_owned())
}

#[component]
fn RunView(detail: RunDetail) -> impl IntoView {
    let RunDetail {
        summary,
        project_slug,
        project_name,
        file_name,
        size,
        entries,
        run,
    } = detail;
    let title = format!("Run {} · {}", summary.id, project_name);
    let project_href = format!("/projects/{project_slug}");

    view! {
        <Title text=title />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=project_href>{project_name}</a>
            " / "
            <span aria-current="page">{format!("Run {}", summary.id)}</span>
        </nav>
        <h1>{format!("Run {}", summary.id)}</h1>

        {figures_section(&run)}
        {thresholds_section(&run)}
        {endpoints_section(&run)}
        {evidence_section(&summary, &run, &file_name, size, &entries)}
    }
}

fn target(metric: Metric) -> Option<readiness_core::targets::Target> {
    default_targets().into_iter().find(|t| t.metric == metric)
}

fn ms(v: Option<f64>) -> String {
    v.map(format_ms)
        .unwrap_or_else(|| "not measured".to_owned())
}

fn figures_section(run: &Run) -> AnyView {
    let latency = [
        ("min", run.latency_ms.min),
        ("avg", run.latency_ms.avg),
        ("p50", run.latency_ms.p50),
        ("p90", run.latency_ms.p90),
        ("p95", run.latency_ms.p95),
        ("p99", run.latency_ms.p99),
        ("max", run.latency_ms.max),
    ];
    view! {
        <section aria-labelledby="figures">
            <h2 id="figures">"Figures"</h2>
            <dl class="figures" data-test="figures">
                <div>
                    <dt>"p95 latency"</dt>
                    <dd>
                        <Figure metric=Metric::P95 value=run.latency_ms.p95 target=target(Metric::P95) />
                    </dd>
                </div>
                <div>
                    <dt>"p99 latency"</dt>
                    <dd>
                        <Figure metric=Metric::P99 value=run.latency_ms.p99 target=target(Metric::P99) />
                    </dd>
                </div>
                <div>
                    <dt>"Error rate"</dt>
                    <dd>
                        <Figure metric=Metric::ErrorRate value=run.error_rate target=target(Metric::ErrorRate) />
                    </dd>
                </div>
                <div>
                    <dt>"Throughput"</dt>
                    <dd>
                        <Figure metric=Metric::Throughput value=run.throughput_rps target=target(Metric::Throughput) />
                    </dd>
                </div>
                <div>
                    <dt>"Max VUs"</dt>
                    <dd>
                        <Figure metric=Metric::Users value=run.vus_max.map(|v| v as f64) target=target(Metric::Users) />
                    </dd>
                </div>
                <div>
                    <dt>"Requests"</dt>
                    <dd>{or_dash(run.requests.map(|v| v.to_string()))}</dd>
                </div>
                <div>
                    <dt>"Failed"</dt>
                    <dd>{or_dash(run.failed.map(|v| v.to_string()))}</dd>
                </div>
                <div>
                    <dt>"Duration"</dt>
                    <dd>{or_dash(run.duration_s.map(|s| format!("{} s", trim_number(s, 1))))}</dd>
                </div>
            </dl>
            <table class="data compact" data-test="latency">
                <caption>"Latency over all requests"</caption>
                <thead>
                    <tr>
                        {latency
                            .iter()
                            .map(|(label, _)| view! { <th scope="col" class="num">{*label}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <tr>
                        {latency
                            .iter()
                            .map(|(_, v)| view! { <td class="num">{ms(*v)}</td> })
                            .collect_view()}
                    </tr>
                </tbody>
            </table>
            <p class="legend">
                {format!(
                    "Figures are {} ({}). A figure the input does not carry is shown as not measured.",
                    run.exactness.as_str(),
                    match run.exactness.as_str() {
                        "exact" => "computed from every sample",
                        "approximate" => "computed from a histogram",
                        _ => "copied from the tool's own summary",
                    },
                )}
            </p>
        </section>

    }
    .into_any()
}

fn thresholds_section(run: &Run) -> AnyView {
    let thresholds = run.thresholds.clone();
    view! {
        <section aria-labelledby="thresholds">
            <h2 id="thresholds">"Thresholds evaluated by " {run.tool.clone()}</h2>
            {if thresholds.is_empty() {
                view! { <p class="empty">"The tool evaluated no thresholds in this run."</p> }.into_any()
            } else {
                view! {
                    <table class="data" data-test="thresholds">
                        <thead>
                            <tr>
                                <th scope="col">"Metric"</th>
                                <th scope="col">"Expression"</th>
                                <th scope="col">"Outcome"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {thresholds
                                .into_iter()
                                .map(|t| {
                                    let (class, mark, text) = if t.ok {
                                        ("figure pass", "✓", "passed")
                                    } else {
                                        ("figure fail", "✗", "failed")
                                    };
                                    view! {
                                        <tr>
                                            <td><code>{t.metric}</code></td>
                                            <td><code>{t.expression}</code></td>
                                            <td>
                                                <span class=class>
                                                    <span class="mark" aria-hidden="true">{mark}</span>
                                                    {text}
                                                </span>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>

    }
    .into_any()
}

fn endpoints_section(run: &Run) -> AnyView {
    let endpoints = run.endpoints.clone();
    view! {
        {(!endpoints.is_empty()).then(|| view! {
            <section aria-labelledby="endpoints">
                <h2 id="endpoints">"Endpoints"</h2>
                <table class="data" data-test="endpoints">
                    <thead>
                        <tr>
                            <th scope="col">"Endpoint"</th>
                            <th scope="col" class="num">"Requests"</th>
                            <th scope="col" class="num">"p50"</th>
                            <th scope="col" class="num">"p95"</th>
                            <th scope="col" class="num">"p99"</th>
                            <th scope="col" class="num">"max"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {endpoints.into_iter().map(|e| view! {
                            <tr>
                                <td>{match e.method { Some(m) => format!("{m} {}", e.name), None => e.name }}</td>
                                <td class="num">{or_dash(e.requests.map(|v| v.to_string()))}</td>
                                <td class="num">{ms(e.latency_ms.p50)}</td>
                                <td class="num">{ms(e.latency_ms.p95)}</td>
                                <td class="num">{ms(e.latency_ms.p99)}</td>
                                <td class="num">{ms(e.latency_ms.max)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}

    }
    .into_any()
}

fn evidence_section(
    summary: &RunSummary,
    run: &Run,
    file_name: &str,
    size: u64,
    entries: &[ArtifactEntry],
) -> AnyView {
    let download = format!("/api/v1/runs/{}/artifact", summary.id);
    let file_name = file_name.to_owned();
    let entries = entries.to_vec();
    view! {
        <section aria-labelledby="evidence">
            <h2 id="evidence">"Evidence"</h2>
            <dl class="meta">
                <dt>"Scenario"</dt>
                <dd>{summary.scenario.as_str()}</dd>
                <dt>"Format"</dt>
                <dd>
                    {run.format.clone()}
                    {run.tool_version.clone().map(|v| format!(" ({v})"))}
                </dd>
                <dt>"Uploaded"</dt>
                <dd>{format_time(&summary.uploaded_at)}</dd>
                <dt>"Commit"</dt>
                <dd><code>{or_dash(summary.provenance.commit.clone())}</code></dd>
                <dt>"Branch"</dt>
                <dd>{or_dash(summary.provenance.branch.clone())}</dd>
                <dt>"Environment"</dt>
                <dd>{or_dash(summary.provenance.environment.clone())}</dd>
                <dt>"File"</dt>
                <dd>
                    <a href=download download=file_name.clone()>{file_name.clone()}</a>
                    {format!(" ({size} bytes)")}
                </dd>
                <dt>"SHA-256"</dt>
                <dd><code class="hash" data-test="sha256">{summary.sha256.clone()}</code></dd>
            </dl>
            {(!entries.is_empty()).then(|| view! {
                <table class="data compact" data-test="entries">
                    <caption>"Files in this bundle"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"File"</th>
                            <th scope="col" class="num">"Bytes"</th>
                            <th scope="col">"SHA-256"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {entries.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.name}</td>
                                <td class="num">{e.size}</td>
                                <td><code class="hash">{e.sha256}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
    .into_any()
}
