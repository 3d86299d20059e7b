//! The projects list, and the form that creates a project.

use crate::components::{LoadError, error_text, format_time};
use crate::pages::assessment::{verdict_class, verdict_mark};
use crate::server_fns::{CreateProject, ProjectOverview, load_projects};
use leptos::prelude::*;
use leptos_meta::Title;
use readiness_core::assess::Category;
use readiness_core::targets::trim_number;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| load_projects());

    view! {
        <Title text="Projects" />
        <h1>"Projects"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
            {move || Suspend::new(async move {
                match projects.await {
                    Ok(list) if list.is_empty() => {
                        view! {
                            <p class="empty">
                                "No projects yet. Create one below, then give its CI a token."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        let categories: Vec<&'static str> = Category::ALL
                            .iter()
                            .map(|c| c.label())
                            .collect();
                        view! {
                            <div class="table-scroll">
                            <table class="data" data-test="projects">
                                <caption>
                                    "Each project assessed for its latest run's commit, across environments."
                                </caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Project"</th>
                                        <th scope="col">"Verdict"</th>
                                        {categories
                                            .iter()
                                            .map(|c| view! { <th scope="col" class="num">{*c}</th> })
                                            .collect_view()}
                                        <th scope="col" class="num">"Coverage"</th>
                                        <th scope="col" class="num">"Runs"</th>
                                        <th scope="col" class="num">"Audit uploads"</th>
                                        <th scope="col">"Last activity"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(project_row).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                }
            })}
        </Suspense>

        <NewProjectForm />
    }
}

/// One project's line: every figure with its words, not colour alone.
fn project_row(p: ProjectOverview) -> impl IntoView {
    let href = format!("/projects/{}", p.summary.slug);
    let slug = p.summary.slug.clone();
    let a = p.assessment;
    let scores = Category::ALL
        .iter()
        .map(|category| {
            let score = a.categories.iter().find(|c| c.category == *category);
            match score {
                Some(c) if c.verified > 0 => view! {
                    <td class="num" title=format!("{} of {} checks verified", c.verified, c.checks)>
                        {trim_number(c.score, 0)}
                    </td>
                }
                .into_any(),
                Some(c) => view! {
                    <td class="num muted" title=format!("none of {} checks verified", c.checks)>
                        "unverified"
                    </td>
                }
                .into_any(),
                None => view! { <td class="num muted">"—"</td> }.into_any(),
            }
        })
        .collect_view();
    view! {
        <tr data-project=slug>
            <th scope="row">
                <a href=href>{p.summary.name}</a>
                " "
                <code class="slug">{p.summary.slug}</code>
            </th>
            <td>
                <span class=verdict_class(a.verdict)>
                    <span class="mark" aria-hidden="true">{verdict_mark(a.verdict)}</span>
                    " "
                    {a.verdict.label()}
                </span>
            </td>
            {scores}
            <td class="num">{format!("{} %", trim_number(a.coverage * 100.0, 0))}</td>
            <td class="num">{p.summary.run_count}</td>
            <td class="num">{p.evidence_count}</td>
            <td>
                {p
                    .last_activity
                    .map(|t| format_time(&t))
                    .unwrap_or_else(|| "never".to_owned())}
            </td>
        </tr>
    }
}

/// The form that creates a project: an island, so it answers in place when
/// the WASM is there, and still posts when it is not.
#[island]
fn NewProjectForm() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    view! {
        <section class="panel" aria-labelledby="new-project">
            <h2 id="new-project">"New project"</h2>
            <ActionForm action=create attr:class="form">
                <label>
                    "Slug" <span class="hint">"lowercase letters, digits and hyphens; used in URLs and CI"</span>
                    <input
                        name="slug"
                        required
                        pattern="[a-z0-9][a-z0-9-]{0,63}"
                        placeholder="chom"
                        autocomplete="off"
                    />
                </label>
                <label>
                    "Name" <input name="name" required maxlength="200" placeholder="CHOM API" />
                </label>
                <button type="submit">"Create project"</button>
            </ActionForm>
            {move || {
                create
                    .value()
                    .get()
                    .map(|result| match result {
                        Ok(p) => {
                            let href = format!("/projects/{}", p.slug);
                            view! {
                                <p class="notice" role="status">
                                    "Created " <a href=href>{p.name}</a> "."
                                </p>
                            }
                                .into_any()
                        }
                        Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                    })
            }}
        </section>
    }
}
