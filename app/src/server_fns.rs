//! Server functions: what pages ask of the server. Their bodies run only on
//! the server, where the store is in the Leptos context; the browser calls
//! them over HTTP.

use leptos::prelude::*;
use readiness_core::model::{ProjectSummary, RunDetail, RunSummary};
use serde::{Deserialize, Serialize};

/// A project's page data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRuns {
    pub slug: String,
    pub name: String,
    pub runs: Vec<RunSummary>,
}

#[cfg(feature = "ssr")]
mod backend {
    use leptos::prelude::*;
    use readiness_store::{Store, StoreError};

    pub fn store() -> Result<Store, ServerFnError> {
        use_context::<Store>()
            .ok_or_else(|| ServerFnError::new("the server has no database configured"))
    }

    /// Errors people can act on keep their text; anything else is logged
    /// and reported without internals.
    pub fn to_server_error(err: StoreError) -> ServerFnError {
        match err {
            StoreError::NotFound(message) => {
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::NOT_FOUND);
                }
                ServerFnError::new(message)
            }
            StoreError::Conflict(message) | StoreError::Invalid(message) => {
                ServerFnError::new(message)
            }
            other => {
                tracing::error!(error = %other, "server function failed");
                ServerFnError::new("the server could not complete the request; see its log")
            }
        }
    }
}

#[server]
pub async fn load_projects() -> Result<Vec<ProjectSummary>, ServerFnError> {
    use backend::*;
    store()?.list_projects().await.map_err(to_server_error)
}

#[server]
pub async fn create_project(slug: String, name: String) -> Result<ProjectSummary, ServerFnError> {
    use backend::*;
    let slug = slug.trim().to_owned();
    store()?
        .create_project(&slug, &name)
        .await
        .map_err(to_server_error)
}

#[server]
pub async fn load_project(slug: String) -> Result<ProjectRuns, ServerFnError> {
    use backend::*;
    let store = store()?;
    let project = store.project(&slug).await.map_err(to_server_error)?;
    let runs = store.list_runs(project.id).await.map_err(to_server_error)?;
    Ok(ProjectRuns {
        slug: project.slug,
        name: project.name,
        runs,
    })
}

#[server]
pub async fn create_token(slug: String) -> Result<String, ServerFnError> {
    use backend::*;
    store()?.create_token(&slug).await.map_err(to_server_error)
}

#[server]
pub async fn load_run(id: i64) -> Result<RunDetail, ServerFnError> {
    use backend::*;
    store()?.run_detail(id).await.map_err(to_server_error)
}
