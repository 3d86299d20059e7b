//! A project's CI tokens: create one and see it once.

use crate::components::{LoadError, error_text};
use crate::pages::project::ProjectNav;
use crate::server_fns::CreateToken;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TokensPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    view! {
        <Title text="CI tokens" />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Projects"</a>
            " / "
            <a href=move || format!("/projects/{}", slug())>{slug}</a>
            " / "
            <span aria-current="page">"CI tokens"</span>
        </nav>
        <h1>"CI tokens"</h1>
        <ProjectNav slug=slug() current="CI tokens" />
        <p>
            "A token lets CI upload results to this project and to no other. "
            "It is shown once; Readiness keeps only its hash."
        </p>
        <CreateTokenForm slug=slug() />
    }
}

/// Creates a token and shows it once.
#[island]
fn CreateTokenForm(slug: String) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let slug = StoredValue::new(slug);
    let slug = move || slug.get_value();
    view! {
        <ActionForm action=create attr:class="form inline">
            <input type="hidden" name="slug" value=slug />
            <button type="submit">"Create token"</button>
        </ActionForm>
        {move || {
            create
                .value()
                .get()
                .map(|result| match result {
                    Ok(token) => {
                        let example = format!(
                            "curl -H \"Authorization: Bearer {token}\" --data-binary @summary.json \\\n  \"{}/api/v1/projects/{}/runs?scenario=sustained&commit=$GIT_COMMIT\"",
                            origin(),
                            slug(),
                        );
                        view! {
                            <section class="panel" aria-labelledby="new-token">
                                <h2 id="new-token">"New token"</h2>
                                <p>"Copy it now: it will not be shown again."</p>
                                <p>
                                    <code class="secret" data-test="token">
                                        {token}
                                    </code>
                                </p>
                                <p>"Upload a k6 summary with it:"</p>
                                <pre>{example}</pre>
                            </section>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <LoadError message=error_text(&err) /> }.into_any(),
                })
        }}
    }
}

/// The address this page was served from, for the copyable example.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::window()
            .location()
            .origin()
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        "http://127.0.0.1:3000".to_owned()
    }
}
