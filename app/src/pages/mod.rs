//! One module per page.

pub mod access;
pub mod admin;
pub mod assessment;
pub mod audit;
pub mod certificates;
pub mod compare;
pub mod evidence;
pub mod host;
pub mod project;
pub mod projects;
pub mod run;
pub mod targets;
pub mod upload;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <h1>"Page not found"</h1>
        <p>
            "There is nothing at this address. "
            <a href="/">"See all projects"</a>
            "."
        </p>
    }
}
