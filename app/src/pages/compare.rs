//! Two runs side by side: every figure and every endpoint, with the change
//! and, for raw runs, whether it stands out of the noise.

use crate::components::{LoadError, error_text, format_time};
use crate::pages::project::ProjectNav;
use crate::server_fns::{CompareView, load_comparison};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use readiness_core::chart::{self, Chart, Line, Unit};
use readiness_core::compare::{Change, Significance};
use readiness_core::model::RunSummary;
use readiness_core::run::{Series, SeriesPoint};
use readiness_core::targets::{Metric, Target, format_ms, format_ratio, trim_number};

#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                params.read().get("slug").unwrap_or_default(),
                q.get("baseline").and_then(|v| v.parse::<i64>().ok()),
                q.get("candidate").and_then(|v| v.parse::<i64>().ok()),
            )
        },
        |(slug, baseline, candidate)| load_comparison(slug, baseline, candidate),
    );
    view! {
        <Title text="Compare runs" />
        <Suspense fallback=|| view! { <p class="loading">"Comparing…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => compare_view(view),
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn run_label(run: &RunSummary) -> String {
    format!(
        "run {} · {} · {} · {}",
        run.id,
        run.scenario,
        run.provenance
            .commit
            .as_deref()
            .map(|c| c.chars().take(10).collect::<String>())
            .unwrap_or_else(|| "no commit".to_owned()),
        format_time(&run.uploaded_at)
    )
}

fn run_select(
    name: &'static str,
    label: &'static str,
    runs: &[RunSummary],
    selected: Option<i64>,
) -> AnyView {
    view! {
        <label>
            {label}
            <select name=name>
                <option value="" selected=selected.is_none()>"choose a run"</option>
                {runs
                    .iter()
                    .map(|r| {
                        let is = selected == Some(r.id);
                        view! { <option value=r.id.to_string() selected=is>{run_label(r)}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
    .into_any()
}

/// A figure's value in its unit.
fn value(figure: &str, v: Option<f64>) -> String {
    match v {
        None => "not measured".to_owned(),
        Some(v) if figure.ends_with("_ms") => format_ms(v),
        Some(v) if figure == "error_rate" => format_ratio(v),
        Some(v) if figure == "throughput_rps" => format!("{}/s", trim_number(v, 1)),
        Some(v) if figure == "duration_s" => format!("{} s", trim_number(v, 1)),
        Some(v) => trim_number(v, 2),
    }
}

fn significance(change: &Change) -> AnyView {
    let (class, mark, text) = match change.significance {
        Some(Significance::Regression) => ("figure fail", "▲", "regression"),
        Some(Significance::Improvement) => ("figure pass", "▼", "improvement"),
        Some(Significance::NoSignificantChange) => ("figure", "=", "no significant change"),
        Some(Significance::NoNoiseEstimate) => ("figure unverified", "?", "no noise estimate"),
        None => return view! { <span></span> }.into_any(),
    };
    view! {
        <span class=class>
            <span class="mark" aria-hidden="true">{mark}</span>
            {text}
        </span>
    }
    .into_any()
}

fn relative(change: &Change) -> String {
    match (change.change, change.relative) {
        // A ratio changes by percentage points; a relative change of a
        // rate that was zero means nothing.
        (Some(d), _) if change.figure == "error_rate" => format!("{:+.2} pp", d * 100.0),
        (_, Some(r)) => format!("{:+.1} %", r * 100.0),
        (Some(d), None) => format!("{:+}", trim_number(d, 2)),
        _ => "—".to_owned(),
    }
}

fn compare_view(view: CompareView) -> AnyView {
    let CompareView {
        slug,
        name,
        runs,
        baseline,
        candidate,
        comparison,
        series,
        targets,
    } = view;
    let charts = match (&series, &baseline, &candidate) {
        (Some((Some(a), Some(b))), Some(ra), Some(rb)) => overlay_charts(
            a,
            b,
            &format!("baseline #{}", ra.id),
            &format!("candidate #{}", rb.id),
            &targets,
        ),
        (Some(_), _, _) => view! {
            <p class="legend">
                "Charts over time need both runs' time series; at least one of them is a summary."
            </p>
        }
        .into_any(),
        _ => ().into_any(),
    };
    let form = view! {
        <form method="get" class="form inline compare-form" aria-label="Runs to compare">
            {run_select("baseline", "Baseline ", &runs, baseline.as_ref().map(|r| r.id))}
            {run_select("candidate", " Candidate ", &runs, candidate.as_ref().map(|r| r.id))}
            <button type="submit">"Compare"</button>
        </form>
    };
    let body = match comparison {
        None => view! { <p class="empty">"Choose a baseline and a candidate run."</p> }.into_any(),
        Some(comparison) => {
            let note = if comparison.noise_estimated {
                "Both runs are raw: latency and error-rate changes are judged against the runs' own noise (95 % intervals)."
            } else {
                "At least one run is a summary: changes are shown with no noise estimate."
            };
            view! {
                <p class="legend">{note}</p>
                {charts}
                <table class="data" data-test="figures">
                    <thead>
                        <tr>
                            <th scope="col">"Figure"</th>
                            <th scope="col" class="num">"Baseline"</th>
                            <th scope="col" class="num">"Candidate"</th>
                            <th scope="col" class="num">"Change"</th>
                            <th scope="col">"Significance"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {comparison
                            .figures
                            .iter()
                            .map(|c| view! {
                                <tr data-figure=c.figure.clone()>
                                    <td>{c.figure.replace('_', " ")}</td>
                                    <td class="num">{value(&c.figure, c.baseline)}</td>
                                    <td class="num">{value(&c.figure, c.candidate)}</td>
                                    <td class="num">{relative(c)}</td>
                                    <td>{significance(c)}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
                <h2>"Endpoints"</h2>
                <table class="data" data-test="endpoint-changes">
                    <thead>
                        <tr>
                            <th scope="col">"Endpoint"</th>
                            <th scope="col" class="num">"p95 baseline"</th>
                            <th scope="col" class="num">"p95 candidate"</th>
                            <th scope="col" class="num">"Change"</th>
                            <th scope="col">"Significance"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {comparison
                            .endpoints
                            .iter()
                            .map(|e| {
                                let p95 = e.changes.iter().find(|c| c.figure == "latency_p95_ms").cloned();
                                let name = match &e.method {
                                    Some(m) => format!("{m} {}", e.name),
                                    None => e.name.clone(),
                                };
                                let presence = match (e.in_baseline, e.in_candidate) {
                                    (true, false) => " (only in the baseline)",
                                    (false, true) => " (only in the candidate)",
                                    _ => "",
                                };
                                view! {
                                    <tr>
                                        <td>{name}{presence}</td>
                                        <td class="num">{value("latency_p95_ms", p95.as_ref().and_then(|c| c.baseline))}</td>
                                        <td class="num">{value("latency_p95_ms", p95.as_ref().and_then(|c| c.candidate))}</td>
                                        <td class="num">{p95.as_ref().map(relative).unwrap_or_default()}</td>
                                        <td>{p95.as_ref().map(significance)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }
    };
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=format!("/projects/{}", slug)>{name}</a>
            " / "
            <span aria-current="page">"Compare"</span>
        </nav>
        <h1>"Compare runs"</h1>
        <ProjectNav slug=slug.clone() current="Compare" />
        {form}
        {body}
    }
    .into_any()
}

/// The baseline and candidate drawn over each other against time since
/// each run's start, with the targets.
fn overlay_charts(
    a: &Series,
    b: &Series,
    a_name: &str,
    b_name: &str,
    targets: &[Target],
) -> AnyView {
    let target = |metric: Metric| {
        targets
            .iter()
            .find(|t| t.metric == metric && t.scope.is_empty() && t.baseline_run.is_none())
            .map(|t| (t.threshold, t.to_string()))
    };
    let line = |name: &str, s: &Series, f: &dyn Fn(&SeriesPoint, f64) -> Option<f64>| Line {
        name: name.to_owned(),
        points: s.points.iter().map(|p| (p.t, f(p, s.bucket_s))).collect(),
    };
    let p95 = |p: &SeriesPoint, _: f64| p.p95_ms;
    let rps = |p: &SeriesPoint, bucket: f64| Some(p.requests as f64 / bucket);
    let errors =
        |p: &SeriesPoint, _: f64| (p.requests > 0).then(|| p.failed as f64 / p.requests as f64);
    let chart = |id: &str,
                 title: &str,
                 unit: Unit,
                 f: &dyn Fn(&SeriesPoint, f64) -> Option<f64>,
                 metric: Metric| Chart {
        id: format!("compare-{id}"),
        title: title.to_owned(),
        x_label: "seconds since the run started".to_owned(),
        x_names: None,
        unit,
        lines: vec![line(a_name, a, f), line(b_name, b, f)],
        target: target(metric),
        bands: Vec::new(),
        markers: Vec::new(),
    };
    let charts = [
        chart("p95", "p95 latency", Unit::Ms, &p95, Metric::P95),
        chart(
            "throughput",
            "Throughput",
            Unit::PerSecond,
            &rps,
            Metric::Throughput,
        ),
        chart(
            "errors",
            "Error rate",
            Unit::Ratio,
            &errors,
            Metric::ErrorRate,
        ),
    ];
    view! {
        <div class="charts" data-test="overlay">
            {charts
                .into_iter()
                .map(|c| view! { <figure class="chart-box" inner_html=chart::render(&c, 640.0, 240.0)></figure> })
                .collect_view()}
        </div>
    }
    .into_any()
}
