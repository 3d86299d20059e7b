//! A project's audit: every finding of the rules, grouped by category and
//! severity, with the lines of the file it points at, and exemptions.

use crate::components::{LoadError, error_text, outcome_mark};
use crate::pages::project::ProjectNav;
use crate::server_fns::{AuditView, ExemptRule, FindingView, load_audit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use readiness_core::assess::{Category, Severity};
use readiness_core::targets::Outcome;

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        load_audit,
    );
    view! {
        <Title text="Audit" />
        <Suspense fallback=|| view! { <p class="loading">"Auditing…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => audit_view(view),
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Fail => 0,
        Outcome::Warn => 1,
        Outcome::Unverified => 2,
        Outcome::Pass => 3,
    }
}

fn audit_view(view: AuditView) -> AnyView {
    let AuditView {
        slug,
        name,
        evidence,
        files,
        findings,
    } = view;
    let count = |o: Outcome| {
        findings
            .iter()
            .filter(|f| f.finding.evaluation.outcome == o)
            .count()
    };
    let summary = format!(
        "{} failed, {} warned, {} unverified, {} passed",
        count(Outcome::Fail),
        count(Outcome::Warn),
        count(Outcome::Unverified),
        count(Outcome::Pass)
    );
    let sections = Category::ALL
        .into_iter()
        .filter_map(|category| {
            let mut of: Vec<FindingView> = findings
                .iter()
                .filter(|f| f.finding.category == category)
                .cloned()
                .collect();
            if of.is_empty() {
                return None;
            }
            of.sort_by_key(|f| {
                (
                    rank(f.finding.evaluation.outcome),
                    std::cmp::Reverse(f.finding.severity),
                    f.finding.rule.clone(),
                )
            });
            let id = format!(
                "audit-{}",
                category.label().to_ascii_lowercase().replace(' ', "-")
            );
            let heading = id.clone();
            let slug = slug.clone();
            Some(view! {
                <section aria-labelledby=id>
                    <h2 id=heading>{category.label()}</h2>
                    <ul class="findings">
                        {of.into_iter().map(|f| finding_view(&slug, f)).collect_view()}
                    </ul>
                </section>
            })
        })
        .collect_view();
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=format!("/projects/{slug}")>{name}</a>
            " / "
            <span aria-current="page">"Audit"</span>
        </nav>
        <h1>"Audit"</h1>
        <ProjectNav slug=slug.clone() current="Audit" />
        {if files.is_empty() {
            view! {
                <p class="empty">
                    "No configuration, status or monitoring evidence yet: every rule is unverified. Upload php.ini, php-fpm, my.cnf, redis.conf and nginx.conf files, status dumps, a statement digest, Grafana dashboards and Prometheus rules (POST /api/v1/projects/"
                    {slug.clone()}
                    "/evidence, or readiness audit offline)."
                </p>
            }
            .into_any()
        } else {
            view! {
                <p data-test="audit-summary">{summary}</p>
                <details class="files">
                    <summary>{format!("{} files read from evidence {}", files.len(), evidence.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "))}</summary>
                    <ul>{files.into_iter().map(|(n, k)| view! { <li><code>{n}</code>" — "{k}</li> }).collect_view()}</ul>
                </details>
            }
            .into_any()
        }}
        {sections}
    }
    .into_any()
}

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "severity critical",
        Severity::High => "severity high",
        Severity::Medium => "severity medium",
        Severity::Low => "severity low",
    }
}

fn finding_view(slug: &str, f: FindingView) -> AnyView {
    let e = f.finding.evaluation.clone();
    let class = format!("figure {}", e.outcome.as_str());
    let exemptable = matches!(e.outcome, Outcome::Fail | Outcome::Warn) && f.exemption.is_none();
    view! {
        <li class="finding" data-rule=f.finding.rule.clone()>
            <div class="finding-head">
                <span class=class>
                    <span class="mark" aria-hidden="true">{outcome_mark(e.outcome)}</span>
                    <span class="outcome">{e.outcome.as_str()}</span>
                </span>
                <span class=severity_class(f.finding.severity)>{f.finding.severity.as_str()}</span>
                <strong>{f.finding.title.clone()}</strong>
                <code class="rule">{f.finding.rule.clone()}</code>
            </div>
            <p>{e.detail.clone()}</p>
            <dl class="meta compact">
                {e.value.clone().map(|v| view! { <dt>"Value"</dt><dd>{v}</dd> })}
                {(!e.threshold.is_empty()).then(|| view! { <dt>"Threshold"</dt><dd>{e.threshold.clone()}</dd> })}
                {e.location.clone().map(|l| view! { <dt>"Where"</dt><dd><code>{l.to_string()}</code></dd> })}
                {(!e.defaults_assumed.is_empty()).then(|| view! { <dt>"Defaults assumed"</dt><dd>{e.defaults_assumed.join("; ")}</dd> })}
            </dl>
            {f.excerpt.map(|x| {
                let highlight = x.highlight;
                view! {
                    <pre class="excerpt" aria-label=format!("lines of {}", x.file)>
                        {x.lines
                            .into_iter()
                            .enumerate()
                            .map(|(i, line)| {
                                let n = x.first_line + i as u64;
                                let class = if n == highlight { "line hit" } else { "line" };
                                view! { <span class=class>{format!("{n:>5}  {line}\n")}</span> }
                            })
                            .collect_view()}
                    </pre>
                }
            })}
            {f.exemption.map(|reason| view! { <p class="exempted">"Exempted: " {reason}</p> })}
            <details>
                <summary>"Why it matters and how to fix it"</summary>
                <p>{f.finding.why.clone()}</p>
                <p><strong>"Fix: "</strong>{f.finding.fix.clone()}</p>
            </details>
            {exemptable.then(|| view! { <ExemptForm slug=slug.to_owned() rule=f.finding.rule.clone() /> })}
        </li>
    }
    .into_any()
}

/// A maintainer's exemption of one rule, with a reason and an expiry date.
#[island]
fn ExemptForm(slug: String, rule: String) -> impl IntoView {
    let exempt = ServerAction::<ExemptRule>::new();
    view! {
        <details class="exempt">
            <summary>"Exempt this rule…"</summary>
            <ActionForm action=exempt attr:class="form inline">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="rule" value=rule.clone() />
                <label>
                    "Reason " <input name="reason" required minlength="5" placeholder="why it does not apply here" />
                </label>
                <label>"Until " <input name="expires_on" type="date" required /></label>
                <button type="submit">"Exempt"</button>
            </ActionForm>
            {move || exempt.value().get().map(|r| match r {
                Ok(rule) => view! { <p class="notice" role="status">{format!("Exempted {rule}; reload to see the score change.")}</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{error_text(&err)}</p> }.into_any(),
            })}
        </details>
    }
}
