//! A run's page: every figure, where it came from, and the tool's own
//! thresholds.

use crate::components::{Figure, LoadError, error_text, format_time};
use crate::pages::project::ProjectNav;
use crate::server_fns::load_run;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use readiness_core::Run;
use readiness_core::chart::{self, Band, Chart, Line, Marker, Unit};
use readiness_core::model::{ArtifactEntry, RunDetail, RunSummary};
use readiness_core::scenarios::{DEFAULT_SOAK_TOLERANCE, Limits, ScenarioVerdict, judge};
use readiness_core::targets::{Metric, Target, format_ms, trim_number};

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
                    Ok(page) => view! { <RunView detail=page.detail targets=page.targets /> }.into_any(),
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
fn RunView(detail: RunDetail, targets: Vec<Target>) -> impl IntoView {
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
        <ProjectNav slug=project_slug.clone() current="" />

        {figures_section(&run, &targets)}
        {charts_section(&run, &targets)}
        {thresholds_section(&run)}
        {endpoints_section(&run)}
        {evidence_section(&summary, &run, &file_name, size, &entries)}
    }
}

/// The project's whole-run target of a metric.
fn target_of(targets: &[Target], metric: Metric) -> Option<Target> {
    targets
        .iter()
        .find(|t| t.metric == metric && t.scope.is_empty() && t.baseline_run.is_none())
        .cloned()
}

fn ms(v: Option<f64>) -> String {
    v.map(format_ms)
        .unwrap_or_else(|| "not measured".to_owned())
}

fn figures_section(run: &Run, targets: &[Target]) -> AnyView {
    let target = |metric: Metric| target_of(targets, metric);
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
    if run.endpoints.is_empty() {
        return view! { <span></span> }.into_any();
    }
    let rows: Vec<EndpointRow> = run
        .endpoints
        .iter()
        .map(|e| EndpointRow {
            name: match &e.method {
                Some(m) => format!("{m} {}", e.name),
                None => e.name.clone(),
            },
            requests: e.requests,
            failed: e.failed,
            p50: e.latency_ms.p50,
            p95: e.latency_ms.p95,
            p99: e.latency_ms.p99,
            max: e.latency_ms.max,
        })
        .collect();
    view! {
        <section aria-labelledby="endpoints">
            <h2 id="endpoints">"Endpoints"</h2>
            <EndpointsTable rows />
        </section>
    }
    .into_any()
}

/// An endpoint's figures, as the table shows them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndpointRow {
    pub name: String,
    pub requests: Option<u64>,
    pub failed: Option<u64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndpointKey {
    Name,
    Requests,
    Failed,
    P50,
    P95,
    P99,
    Max,
}

impl EndpointKey {
    fn value(self, row: &EndpointRow) -> Option<f64> {
        match self {
            EndpointKey::Name => None,
            EndpointKey::Requests => row.requests.map(|v| v as f64),
            EndpointKey::Failed => row.failed.map(|v| v as f64),
            EndpointKey::P50 => row.p50,
            EndpointKey::P95 => row.p95,
            EndpointKey::P99 => row.p99,
            EndpointKey::Max => row.max,
        }
    }
}

/// The endpoints of a run, sortable by any column and filtered by name as
/// one types.
#[island]
fn EndpointsTable(rows: Vec<EndpointRow>) -> impl IntoView {
    let rows = StoredValue::new(rows);
    let filter = RwSignal::new(String::new());
    let sort = RwSignal::new((EndpointKey::Requests, true));
    let shown = move || {
        let needle = filter.get().to_ascii_lowercase();
        let (key, descending) = sort.get();
        let mut list: Vec<EndpointRow> = rows
            .get_value()
            .into_iter()
            .filter(|r| needle.is_empty() || r.name.to_ascii_lowercase().contains(&needle))
            .collect();
        list.sort_by(|a, b| {
            let order = match key {
                EndpointKey::Name => a.name.cmp(&b.name),
                _ => match (key.value(a), key.value(b)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Greater,
                    (None, Some(_)) => std::cmp::Ordering::Less,
                    (None, None) => std::cmp::Ordering::Equal,
                },
            };
            if descending { order.reverse() } else { order }
        });
        list
    };
    let header = move |label: &'static str, key: EndpointKey, numeric: bool| {
        let aria = move || match sort.get() {
            (k, true) if k == key => "descending",
            (k, false) if k == key => "ascending",
            _ => "none",
        };
        view! {
            <th scope="col" class:num=numeric aria-sort=aria>
                <button
                    type="button"
                    class="sort"
                    on:click=move |_| {
                        sort.update(|(k, d)| {
                            if *k == key {
                                *d = !*d;
                            } else {
                                *k = key;
                                *d = key != EndpointKey::Name;
                            }
                        })
                    }
                >
                    {label}
                </button>
            </th>
        }
    };
    let ms_text = |v: Option<f64>| {
        v.map(format_ms)
            .unwrap_or_else(|| "not measured".to_owned())
    };
    view! {
        <label class="filter">
            "Filter endpoints "
            <input
                type="search"
                placeholder="name or method"
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
        </label>
        <table class="data" data-test="endpoints">
            <thead>
                <tr>
                    {header("Endpoint", EndpointKey::Name, false)}
                    {header("Requests", EndpointKey::Requests, true)}
                    {header("Failed", EndpointKey::Failed, true)}
                    {header("p50", EndpointKey::P50, true)}
                    {header("p95", EndpointKey::P95, true)}
                    {header("p99", EndpointKey::P99, true)}
                    {header("max", EndpointKey::Max, true)}
                </tr>
            </thead>
            <tbody>
                <For each=shown key=|r| r.name.clone() let:row>
                    <tr>
                        <td>{row.name.clone()}</td>
                        <td class="num">{row.requests.map(|v| v.to_string()).unwrap_or_else(|| "—".to_owned())}</td>
                        <td class="num">{row.failed.map(|v| v.to_string()).unwrap_or_else(|| "—".to_owned())}</td>
                        <td class="num">{ms_text(row.p50)}</td>
                        <td class="num">{ms_text(row.p95)}</td>
                        <td class="num">{ms_text(row.p99)}</td>
                        <td class="num">{ms_text(row.max)}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

/// The run over time: latency, throughput, errors and users on the same
/// time axis, each with its target, and the scenario's verdict marked.
fn charts_section(run: &Run, targets: &[Target]) -> AnyView {
    let Some(series) = run.series.as_ref().filter(|s| !s.points.is_empty()) else {
        return view! {
            <section aria-labelledby="over-time">
                <h2 id="over-time">"Over time"</h2>
                <p class="empty">
                    "This run is a summary: it has no time series. Upload the tool's raw results to see it over time and to judge its scenario."
                </p>
            </section>
        }
        .into_any();
    };
    let limits = Limits::from_targets(targets);
    let verdict = judge(run, &limits, DEFAULT_SOAK_TOLERANCE);
    let (bands, markers) = verdict_marks(&verdict);
    let bucket = series.bucket_s;
    let points = &series.points;
    let x_label = "seconds".to_owned();
    let target_line =
        |metric: Metric| target_of(targets, metric).map(|t| (t.threshold, t.to_string()));
    let charts = [
        Chart {
            id: "latency".to_owned(),
            title: "Latency percentiles".to_owned(),
            x_label: x_label.clone(),
            x_names: None,
            unit: Unit::Ms,
            lines: vec![
                Line {
                    name: "p50".to_owned(),
                    points: points.iter().map(|p| (p.t, p.p50_ms)).collect(),
                },
                Line {
                    name: "p95".to_owned(),
                    points: points.iter().map(|p| (p.t, p.p95_ms)).collect(),
                },
                Line {
                    name: "p99".to_owned(),
                    points: points.iter().map(|p| (p.t, p.p99_ms)).collect(),
                },
            ],
            target: target_line(Metric::P95),
            bands: bands.clone(),
            markers: markers.clone(),
        },
        Chart {
            id: "throughput".to_owned(),
            title: "Throughput".to_owned(),
            x_label: x_label.clone(),
            x_names: None,
            unit: Unit::PerSecond,
            lines: vec![Line {
                name: "requests per second".to_owned(),
                points: points
                    .iter()
                    .map(|p| (p.t, Some(p.requests as f64 / bucket)))
                    .collect(),
            }],
            target: target_line(Metric::Throughput),
            bands: bands.clone(),
            markers: markers.clone(),
        },
        Chart {
            id: "errors".to_owned(),
            title: "Error rate".to_owned(),
            x_label: x_label.clone(),
            x_names: None,
            unit: Unit::Ratio,
            lines: vec![Line {
                name: "failed share".to_owned(),
                points: points
                    .iter()
                    .map(|p| {
                        (
                            p.t,
                            (p.requests > 0).then(|| p.failed as f64 / p.requests as f64),
                        )
                    })
                    .collect(),
            }],
            target: target_line(Metric::ErrorRate),
            bands: bands.clone(),
            markers: markers.clone(),
        },
        Chart {
            id: "users".to_owned(),
            title: "Virtual users".to_owned(),
            x_label,
            x_names: None,
            unit: Unit::Count,
            lines: vec![Line {
                name: "users".to_owned(),
                points: points
                    .iter()
                    .map(|p| (p.t, p.vus.map(|v| v as f64)))
                    .collect(),
            }],
            target: target_line(Metric::Users),
            bands,
            markers,
        },
    ];
    let has_users = points.iter().any(|p| p.vus.is_some());
    view! {
        <section aria-labelledby="over-time">
            <h2 id="over-time">"Over time"</h2>
            <p class="verdict-line" data-test="scenario-verdict">
                <strong>{format!("{} scenario: ", verdict.kind)}</strong>
                {match verdict.held {
                    Some(true) => "✓ held. ",
                    Some(false) => "✗ did not hold. ",
                    None => "? not judged. ",
                }}
                {verdict.summary.clone()}
            </p>
            <div class="charts">
                {charts
                    .into_iter()
                    .filter(|c| c.id != "users" || has_users)
                    .map(|c| view! { <figure class="chart-box" inner_html=chart::render(&c, 640.0, 260.0)></figure> })
                    .collect_view()}
            </div>
        </section>
    }
    .into_any()
}

/// The windows and moments a scenario verdict marks on the charts.
fn verdict_marks(verdict: &ScenarioVerdict) -> (Vec<Band>, Vec<Marker>) {
    let mut bands = Vec::new();
    let mut markers = Vec::new();
    if let Some(w) = &verdict.steady {
        bands.push(Band {
            from: w.from_s,
            to: w.to_s,
            label: "steady state".to_owned(),
        });
    }
    if let Some(spike) = &verdict.spike {
        bands.push(Band {
            from: spike.window.from_s,
            to: spike.window.to_s,
            label: "spike".to_owned(),
        });
        if let Some(recovery) = spike.recovery_s {
            markers.push(Marker {
                at: spike.window.to_s + recovery,
                label: format!("recovered after {} s", trim_number(recovery, 0)),
            });
        }
    }
    if let Some(capacity) = &verdict.capacity
        && let Some(at) = capacity.broke_at_s
    {
        markers.push(Marker {
            at,
            label: format!("knee: {}", capacity.broke.join(", ")),
        });
    }
    if let Some(soak) = &verdict.soak
        && let Some(drift) = soak.p95_drift
    {
        markers.push(Marker {
            at: 0.0,
            label: format!("p95 drift {:+.1} %", drift * 100.0),
        });
    }
    (bands, markers)
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
