//! A project's targets, edited as the expressions people write.

use crate::components::{LoadError, error_text};
use crate::pages::project::ProjectNav;
use crate::server_fns::{SaveTargets, load_project};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TargetsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let save = ServerAction::<SaveTargets>::new();
    let data = Resource::new(
        move || (slug(), save.version().get()),
        |(slug, _)| load_project(slug),
    );
    view! {
        <Title text="Targets" />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=move || format!("/projects/{}", slug())>{slug}</a>
            " / "
            <span aria-current="page">"Targets"</span>
        </nav>
        <h1>"Targets"</h1>
        <ProjectNav slug=slug() current="Targets" />
        <p>
            "One target per line, written the way people say it: "
            <code>"p95 < 500ms"</code> ", " <code>"p99 < 1s"</code> ", "
            <code>"error_rate < 0.1%"</code> ", " <code>"throughput >= 100/s"</code> ", "
            <code>"users >= 100"</code> ", " <code>"db_query_p95 < 200ms"</code> ", "
            <code>"cache_hit_rate > 90%"</code> ". Scope one with "
            <code>"endpoint \"POST /api/v1/backups\""</code> " or " <code>"scenario soak"</code>
            "; hold a claimed improvement to a baseline run with " <code>"p95 <= -40% vs run 12"</code> "."
        </p>
        <Suspense fallback=|| view! { <p class="loading">"Loading targets…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(project) => {
                        let text = project.targets.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
                        let rows = (project.targets.len() + 2).max(6);
                        view! {
                            <TargetsEditor
                                slug=project.slug.clone()
                                text=text
                                rows=rows
                                max_age_days=project.max_age_days
                            />
                        }
                            .into_any()
                    }
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The targets form: an island, so a mistake is pointed at in place.
#[island]
fn TargetsEditor(slug: String, text: String, rows: usize, max_age_days: i64) -> impl IntoView {
    let save = ServerAction::<SaveTargets>::new();
    view! {
        <ActionForm action=save attr:class="form">
            <input type="hidden" name="slug" value=slug />
            <label>
                "Targets"
                <textarea name="targets" rows=rows spellcheck="false" data-test="targets">{text}</textarea>
            </label>
            <label>
                "Evidence older than this many days is unverified"
                <input type="number" name="max_age_days" min="1" max="3650" value=max_age_days />
            </label>
            <button type="submit">"Save targets"</button>
        </ActionForm>
        {move || {
            save.value()
                .get()
                .map(|result| match result {
                    Ok(saved) => {
                        view! {
                            <p class="notice" role="status">{format!("Saved {} targets.", saved.len())}</p>
                        }
                            .into_any()
                    }
                    Err(err) => {
                        view! {
                            <pre class="error" role="alert" data-test="target-errors">{error_text(&err)}</pre>
                        }
                            .into_any()
                    }
                })
        }}
    }
}
