//! A project's assessment: the verdict and its reasons, the five category
//! scores, evidence coverage, and every check with its value, target,
//! margin and evidence.

use crate::components::{LoadError, error_text, outcome_mark};
use crate::server_fns::{AssessmentView, load_assessment};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use readiness_core::assess::{Assessment, Check, Verdict};
use readiness_core::targets::{Outcome, trim_number};

#[component]
pub fn AssessmentPanel(slug: String) -> impl IntoView {
    let query = use_query_map();
    let slug_for_fetch = slug.clone();
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                slug_for_fetch.clone(),
                q.get("commit"),
                q.get("environment"),
            )
        },
        |(slug, commit, environment)| load_assessment(slug, commit, environment),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Assessing…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(view) => assessment_view(&slug, view),
                        Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

pub fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Certified => "verdict pass",
        Verdict::Conditional => "verdict warn",
        Verdict::NotCertified => "verdict fail",
    }
}

pub fn verdict_mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Certified => "✓",
        Verdict::Conditional => "!",
        Verdict::NotCertified => "✗",
    }
}

fn assessment_view(slug: &str, view: AssessmentView) -> AnyView {
    let AssessmentView {
        assessment,
        commits,
        environments,
    } = view;
    let Assessment {
        commit,
        environment,
        verdict,
        reasons,
        coverage,
        categories,
        checks,
        ..
    } = assessment;
    let selected_commit = commit.clone().unwrap_or_default();
    let selected_env = environment.clone().unwrap_or_default();
    let scope = format!(
        "commit {} · {}",
        commit.clone().unwrap_or_else(|| "(none)".to_owned()),
        environment
            .clone()
            .map(|e| format!("environment {e}"))
            .unwrap_or_else(|| "every environment".to_owned())
    );
    let reason_count = reasons.len();
    view! {
        <section class="assessment" aria-labelledby="assessment">
            <h2 id="assessment">"Readiness"</h2>
            <form method="get" class="form inline scope" aria-label="What to assess">
                <label>
                    "Commit "
                    <select name="commit">
                        <option value="" selected=selected_commit.is_empty()>"latest run's commit"</option>
                        {commits
                            .into_iter()
                            .map(|c| {
                                let selected = c == selected_commit;
                                view! { <option value=c.clone() selected=selected>{c.chars().take(12).collect::<String>()}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    " Environment "
                    <select name="environment">
                        <option value="" selected=selected_env.is_empty()>"every environment"</option>
                        {environments
                            .into_iter()
                            .map(|e| {
                                let selected = e == selected_env;
                                view! { <option value=e.clone() selected=selected>{e.clone()}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit">"Assess"</button>
            </form>
            <div class=verdict_class(verdict) data-test="verdict">
                <span class="mark" aria-hidden="true">{verdict_mark(verdict)}</span>
                <strong>{verdict.label()}</strong>
                <span class="scope">{scope}</span>
                <span class="coverage">
                    {format!("evidence covers {} % of the checks", trim_number(coverage * 100.0, 0))}
                </span>
            </div>
            <details class="reasons" open=reason_count <= 6>
                <summary>{format!("{reason_count} reasons")}</summary>
                <ul>{reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
            </details>
            <ul class="categories" data-test="categories">
                {categories
                    .into_iter()
                    .map(|c| {
                        let label = c.category.label();
                        view! {
                            <li>
                                <span class="name">{label}</span>
                                <meter min="0" max="100" low="50" high="90" optimum="100" value=c.score aria-label=format!("{label} score")>
                                    {format!("{} %", c.score)}
                                </meter>
                                <span class="score">{format!("{} / 100", trim_number(c.score, 0))}</span>
                                <span class="verified">{format!("{} of {} checks verified", c.verified, c.checks)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {checks_table(slug, checks)}
        </section>
    }
    .into_any()
}

/// The targets first, as a lead reads them; the audit's many checks
/// follow folded, with their outcomes counted.
fn checks_table(slug: &str, checks: Vec<Check>) -> AnyView {
    let (targets, others): (Vec<Check>, Vec<Check>) = checks
        .into_iter()
        .partition(|c| c.target.is_some() || c.id.starts_with("scenario:"));
    let count = |o: Outcome| others.iter().filter(|c| c.outcome == o).count();
    let summary = format!(
        "{} audit and coverage checks: {} failed, {} warned, {} unverified, {} passed",
        others.len(),
        count(Outcome::Fail),
        count(Outcome::Warn),
        count(Outcome::Unverified),
        count(Outcome::Pass),
    );
    view! {
        {check_rows("Targets and scenarios, with the evidence each used", "checks", targets)}
        <details class="other-checks">
            <summary>{summary}</summary>
            {check_rows("Audit and coverage checks", "other-checks", others)}
            <p>
                <a href=format!("/projects/{slug}/audit")>"Findings with the files' lines"</a>
            </p>
        </details>
    }
    .into_any()
}

fn check_rows(caption: &'static str, test: &'static str, checks: Vec<Check>) -> AnyView {
    view! {
        <div class="table-scroll">
        <table class="data" data-test=test>
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Category"</th>
                    <th scope="col">"Check"</th>
                    <th scope="col">"Scenario"</th>
                    <th scope="col" class="num">"Measured"</th>
                    <th scope="col" class="num">"Margin"</th>
                    <th scope="col">"Evidence"</th>
                </tr>
            </thead>
            <tbody>
                {checks
                    .into_iter()
                    .map(|c| {
                        let class = format!("figure {}", c.outcome.as_str());
                        let margin = match (c.margin_pct, c.outcome) {
                            (Some(pct), _) => format!("{:+} %", trim_number(pct, 1)),
                            (None, Outcome::Unverified) => "—".to_owned(),
                            (None, _) => String::new(),
                        };
                        view! {
                            <tr data-check=c.id.clone()>
                                <td>
                                    <span class=class>
                                        <span class="mark" aria-hidden="true">{outcome_mark(c.outcome)}</span>
                                        <span class="outcome">{c.outcome.as_str()}</span>
                                    </span>
                                </td>
                                <td>{c.category.label()}</td>
                                <td class="wrap">
                                    <strong>{c.target.clone().unwrap_or_else(|| c.title.clone())}</strong>
                                    <br />
                                    <span class="detail">{c.detail.clone()}</span>
                                </td>
                                <td>{c.scenario.map(|s| s.as_str()).unwrap_or("—")}</td>
                                <td class="num">{c.measured_text.clone().unwrap_or_else(|| "not measured".to_owned())}</td>
                                <td class="num">{margin}</td>
                                <td>
                                    {c.evidence
                                        .iter()
                                        .map(|e| view! { <a href=e.href()>{e.label()}</a>" " })
                                        .collect_view()}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}
