//! The JSON API under `/api/v1`: what CI and scripts call.

use super::AppState;
use super::error::{ApiError, ApiResult};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use readiness_core::formats::{Format, parse_run};
use readiness_core::model::{Provenance, RunSummary};
use readiness_core::run::ScenarioKind;
use readiness_store::{CompressedArtifact, Inserted, NewRun, TokenOwner};
use serde::Deserialize;
use serde_json::json;

pub fn router(state: AppState) -> axum::Router<AppState> {
    axum::Router::new()
        .route("/health", get(health))
        .route("/projects/{project}/runs", get(list_runs).post(upload_run))
        .route("/runs/{id}", get(run_detail))
        .route("/runs/{id}/artifact", get(run_artifact))
        .fallback(unknown_route)
        .with_state(state)
}

async fn unknown_route() -> ApiError {
    ApiError::not_found("no API route matches this path; the API is described in the README")
}

async fn health(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    state.store.ping().await?;
    Ok(Json(json!({"status": "ok"})))
}

/// The project a bearer token belongs to, or why the request may not go on.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<TokenOwner> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "missing API token: send `Authorization: Bearer <token>`; an admin creates one \
             with `readiness token create --project <slug>`",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::unauthorized("malformed Authorization header: expected `Bearer <token>`")
        })?;
    let owner = state
        .store
        .authenticate_token(token)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the API token is not valid (unknown or revoked)"))?;
    if let Err(err) = state.store.touch_token(owner.token_id).await {
        // Recording last use is bookkeeping; the upload must not fail on it.
        tracing::warn!(error = %err, "cannot record token use");
    }
    Ok(owner)
}

/// Metadata CI sends with an upload, as query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadParams {
    scenario: Option<String>,
    commit: Option<String>,
    branch: Option<String>,
    environment: Option<String>,
    ci_job_url: Option<String>,
    label: Option<String>,
    format: Option<String>,
    filename: Option<String>,
}

const UPLOAD_PARAMS: &str =
    "scenario, commit, branch, environment, ci_job_url, label, format, filename";

impl UploadParams {
    fn parse(query: Option<&str>) -> ApiResult<UploadParams> {
        let params: UploadParams =
            serde_urlencoded::from_str(query.unwrap_or("")).map_err(|e| {
                ApiError::bad_request(
                    "bad_query",
                    format!("invalid query parameters: {e}; expected any of {UPLOAD_PARAMS}"),
                )
            })?;
        for (name, value) in [
            ("commit", &params.commit),
            ("branch", &params.branch),
            ("environment", &params.environment),
            ("ci_job_url", &params.ci_job_url),
            ("label", &params.label),
            ("filename", &params.filename),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > 1024) {
                return Err(ApiError::bad_request(
                    "bad_query",
                    format!("query parameter `{name}` is longer than 1024 characters"),
                ));
            }
        }
        Ok(params)
    }

    fn provenance(&self) -> Provenance {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Provenance {
            commit: clean(&self.commit),
            branch: clean(&self.branch),
            environment: clean(&self.environment),
            ci_job_url: clean(&self.ci_job_url),
            label: clean(&self.label),
        }
    }
}

fn public_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Reads the request body up to the configured limit.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> ApiResult<Vec<u8>> {
    let limit = state.config.max_upload;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the upload is larger than the limit of {limit} bytes (READINESS_MAX_UPLOAD)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(err) => {
            let is_limit = std::error::Error::source(&err)
                .is_some_and(|s| s.is::<http_body_util_limited::LengthLimitError>());
            if is_limit {
                Err(too_large())
            } else {
                Err(ApiError::bad_request(
                    "body_unreadable",
                    format!("the request body could not be read: {err}"),
                ))
            }
        }
    }
}

mod http_body_util_limited {
    pub use http_body_util::LengthLimitError;
}

async fn upload_run(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let owner = authenticate(&state, &headers).await?;
    let project = state.store.project(&slug).await?;
    if owner.project_id != project.id {
        return Err(ApiError::forbidden(format!(
            "this token belongs to another project; use a token created for `{}`",
            project.slug
        )));
    }
    let params = UploadParams::parse(query.as_deref())?;
    let scenario = params
        .scenario
        .as_deref()
        .map(str::parse::<ScenarioKind>)
        .transpose()
        .map_err(|e| ApiError::bad_request("bad_query", e.to_string()))?;
    let format = params
        .format
        .as_deref()
        .map(str::parse::<Format>)
        .transpose()
        .map_err(|e| ApiError::bad_request("bad_query", e.to_string()))?;
    let file_name = params
        .filename
        .clone()
        .unwrap_or_else(|| "upload".to_owned());

    let bytes = read_body(&state, &headers, body).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "the request body is empty: send the result file as the body, for example \
             `curl --data-binary @summary.json`",
        ));
    }

    // Parsing and hashing are CPU work: off the async workers.
    let name = file_name.clone();
    let (parsed, artifact) = tokio::task::spawn_blocking(move || {
        let parsed = parse_run(&name, &bytes, format);
        let artifact = parsed
            .is_ok()
            .then(|| CompressedArtifact::from_bytes(&bytes));
        (parsed, artifact)
    })
    .await
    .map_err(|err| {
        tracing::error!(error = %err, "parser task failed");
        ApiError::internal()
    })?;
    let mut run =
        parsed.map_err(|err| ApiError::unprocessable("invalid_result", err.to_string()))?;
    let artifact = artifact.ok_or_else(ApiError::internal)?;
    if let Some(scenario) = scenario {
        run.scenario = scenario;
    }
    let provenance = params.provenance();
    let inserted = state
        .store
        .insert_run(NewRun {
            project_id: project.id,
            file_name: &file_name,
            artifact: &artifact,
            provenance: &provenance,
            run: &run,
        })
        .await?;
    let base = public_url(&state, &headers);
    let (status, summary, run) = match inserted {
        Inserted::Created(summary) => (StatusCode::CREATED, summary, run),
        Inserted::Existing(summary) => {
            let stored = state.store.run_detail(summary.id).await?.run;
            (StatusCode::OK, summary, stored)
        }
    };
    let body = json!({
        "id": summary.id,
        "url": format!("{base}/runs/{}", summary.id),
        "sha256": summary.sha256,
        "run": run,
    });
    Ok((status, Json(body)).into_response())
}

async fn list_runs(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let project = state.store.project(&slug).await?;
    let runs: Vec<RunSummary> = state.store.list_runs(project.id).await?;
    Ok(Json(json!({"project": project.slug, "runs": runs})))
}

fn run_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_path",
            format!("`{raw}` is not a run id: expected a number"),
        )
    })
}

async fn run_detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let detail = state.store.run_detail(run_id(&id)?).await?;
    Ok(Json(json!({
        "id": detail.summary.id,
        "project": detail.project_slug,
        "summary": detail.summary,
        "file_name": detail.file_name,
        "size": detail.size,
        "run": detail.run,
    })))
}

async fn run_artifact(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let artifact = state.store.run_artifact(run_id(&id)?).await?;
    let safe_name: String = artifact
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe_name}\""),
        ),
        (
            header::HeaderName::from_static("x-content-sha256"),
            artifact.sha256.clone(),
        ),
    ];
    Ok((headers, artifact.bytes).into_response())
}
