//! A project's evidence: every artifact uploaded, newest first, filtered by
//! kind, commit and environment with a plain form, so the filters work
//! (and can be bookmarked) before or without the WASM.

use crate::components::{LoadError, error_text, format_time};
use crate::pages::project::ProjectNav;
use crate::server_fns::{EvidencePage, load_evidence};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use readiness_core::model::ArtifactListing;

#[component]
pub fn EvidencePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let q = query.read();
        (
            params.read().get("slug").unwrap_or_default(),
            q.get("kind"),
            q.get("commit"),
            q.get("environment"),
            q.get("page").and_then(|p| p.parse::<usize>().ok()),
        )
    };
    let data = Resource::new(key, |(slug, kind, commit, environment, page)| {
        load_evidence(slug, kind, commit, environment, page)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading evidence…"</p> }>
            {move || Suspend::new(async move {
                let (_, kind, commit, environment, _) = key();
                match data.await {
                    Ok(page) => evidence_view(page, kind, commit, environment),
                    Err(err) => {
                        view! {
                            <Title text="Evidence" />
                            <h1>"Evidence"</h1>
                            <LoadError message=error_text(&err) />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn evidence_view(
    page: EvidencePage,
    kind: Option<String>,
    commit: Option<String>,
    environment: Option<String>,
) -> AnyView {
    let selected = |v: &Option<String>| v.clone().unwrap_or_default();
    let (kind, commit, environment) = (selected(&kind), selected(&commit), selected(&environment));
    let shown = page.matching;
    let mut summary = if shown == page.total {
        format!("{} artifacts, newest first.", page.total)
    } else {
        format!("{shown} of {} artifacts match, newest first.", page.total)
    };
    if page.pages > 1 {
        summary.push_str(&format!(" Page {} of {}.", page.page, page.pages));
    }
    // Links to the other pages keep the filters.
    let pager = {
        let mut base: Vec<(String, String)> = Vec::new();
        for (name, value) in [
            ("kind", &kind),
            ("commit", &commit),
            ("environment", &environment),
        ] {
            if !value.is_empty() {
                base.push((name.to_owned(), value.clone()));
            }
        }
        let slug = page.slug.clone();
        let (current, pages) = (page.page, page.pages);
        (pages > 1).then(move || {
            let href = move |p: usize| {
                let mut query = base.clone();
                query.push(("page".to_owned(), p.to_string()));
                let query: Vec<String> = query
                    .iter()
                    .map(|(k, v)| format!("{k}={}", encode(v)))
                    .collect();
                format!("/projects/{slug}/evidence?{}", query.join("&"))
            };
            view! {
                <nav class="pager" aria-label="Evidence pages">
                    {(current > 1).then(|| view! { <a href=href(current - 1) rel="prev">"Newer"</a> " " })}
                    {format!("Page {current} of {pages}")}
                    {(current < pages).then(|| view! { " " <a href=href(current + 1) rel="next">"Older"</a> })}
                </nav>
            }
        })
    };
    let options = |choices: Vec<(String, String)>, selected: String, all: &'static str| {
        view! {
            <option value="" selected=selected.is_empty()>{all}</option>
            {choices
                .into_iter()
                .map(|(value, label)| {
                    let is = value == selected;
                    view! { <option value=value selected=is>{label}</option> }
                })
                .collect_view()}
        }
    };
    let same = |list: Vec<String>| list.into_iter().map(|v| (v.clone(), v)).collect::<Vec<_>>();
    view! {
        <Title text=format!("Evidence · {}", page.name) />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=format!("/projects/{}", page.slug)>{page.name.clone()}</a>
            " / "
            <span aria-current="page">"Evidence"</span>
        </nav>
        <h1>"Evidence"</h1>
        <ProjectNav slug=page.slug.clone() current="Evidence" />
        <p>
            "Every file stored as received, with its SHA-256: the bytes any figure can be traced back to."
        </p>
        <form method="get" class="form inline filters" aria-label="Filter evidence">
            <label>
                "Kind "
                <select name="kind">{options(page.kinds, kind, "every kind")}</select>
            </label>
            <label>
                " Commit "
                <select name="commit">{options(same(page.commits), commit, "every commit")}</select>
            </label>
            <label>
                " Environment "
                <select name="environment">
                    {options(same(page.environments), environment, "every environment")}
                </select>
            </label>
            <button type="submit">"Filter"</button>
            " "
            <a href=format!("/projects/{}/evidence", page.slug)>"Clear"</a>
        </form>
        <p role="status" data-test="evidence-count">{summary}</p>
        {if page.items.is_empty() {
            view! {
                <p class="empty">
                    "Nothing here yet. Upload results and configurations on the "
                    <a href=format!("/projects/{}/upload", page.slug)>"upload page"</a>
                    " or from CI."
                </p>
            }
                .into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table class="data" data-test="evidence">
                        <thead>
                            <tr>
                                <th scope="col">"File"</th>
                                <th scope="col">"Kind"</th>
                                <th scope="col">"Uploaded"</th>
                                <th scope="col">"Commit"</th>
                                <th scope="col">"Environment"</th>
                                <th scope="col" class="num">"Size"</th>
                                <th scope="col">"SHA-256"</th>
                            </tr>
                        </thead>
                        <tbody>{page.items.into_iter().map(evidence_row).collect_view()}</tbody>
                    </table>
                </div>
                {pager}
            }
                .into_any()
        }}
    }
    .into_any()
}

/// A query value, percent-encoded.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn evidence_row(item: ArtifactListing) -> impl IntoView {
    let (download, kind, link) = match (&item.run, &item.evidence) {
        (Some((id, scenario)), _) => (
            format!("/api/v1/runs/{id}/artifact"),
            format!("load-test result ({}, {})", item.format, scenario.as_str()),
            Some((format!("/runs/{id}"), format!("run {id}"))),
        ),
        (None, Some((id, kinds))) => (
            format!("/api/v1/evidence/{id}/artifact"),
            kinds
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
            None,
        ),
        (None, None) => (String::new(), item.format.clone(), None),
    };
    let ci = item.provenance.ci_job_url.clone();
    view! {
        <tr data-artifact=item.artifact_id>
            <td>
                <a href=download download=item.file_name.clone()>
                    {item.file_name.clone()}
                </a>
                {link.map(|(href, text)| view! { " → " <a href=href>{text}</a> })}
                {ci.map(|url| view! { " · " <a href=url rel="nofollow noopener">"CI job"</a> })}
            </td>
            <td>{kind}</td>
            <td>{format_time(&item.uploaded_at)}</td>
            <td>
                <code>
                    {item
                        .provenance
                        .commit
                        .map(|c| c.chars().take(12).collect::<String>())
                        .unwrap_or_else(|| "—".to_owned())}
                </code>
            </td>
            <td>{item.provenance.environment.unwrap_or_else(|| "—".to_owned())}</td>
            <td class="num">{format_size(item.size)}</td>
            <td>
                <code class="sha" title=item.sha256.clone()>
                    {item.sha256.clone()}
                </code>
            </td>
        </tr>
    }
}

/// A byte count the way people read it.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}
