//! The projects list, and the form that creates a project.

use crate::components::{LoadError, error_text, format_time};
use crate::server_fns::{CreateProject, load_projects};
use leptos::prelude::*;
use leptos_meta::Title;

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
                        view! {
                            <table class="data" data-test="projects">
                                <thead>
                                    <tr>
                                        <th scope="col">"Project"</th>
                                        <th scope="col">"Slug"</th>
                                        <th scope="col" class="num">"Runs"</th>
                                        <th scope="col">"Last upload"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|p| {
                                            let href = format!("/projects/{}", p.slug);
                                            view! {
                                                <tr>
                                                    <td>
                                                        <a href=href>{p.name}</a>
                                                    </td>
                                                    <td>
                                                        <code>{p.slug}</code>
                                                    </td>
                                                    <td class="num">{p.run_count}</td>
                                                    <td>
                                                        {p
                                                            .last_upload_at
                                                            .map(|t| format_time(&t))
                                                            .unwrap_or_else(|| "never".to_owned())}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
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
