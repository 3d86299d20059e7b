//! The JSON API under `/api/v1`: what CI and scripts call.

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::evidence::{self, EvidenceError, FileSource};
use axum::Extension;
use axum::Json;
use axum::extract::FromRequest;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use readiness_core::access::{Action, Principal};
use readiness_core::formats::Format;
use readiness_core::input::Source;
use readiness_core::model::{ArtifactEntry, Provenance, RunSummary};
use readiness_core::run::ScenarioKind;
use readiness_core::targets::Target;
use readiness_store::projects::ProjectRef;
use readiness_store::{CompressedArtifact, Inserted, NewRun, TargetSettings};
use serde::Deserialize;
use serde_json::json;

pub fn router(state: AppState) -> axum::Router<AppState> {
    axum::Router::new()
        .route("/health", get(health))
        .route(
            "/session",
            get(super::auth::get_session)
                .post(super::auth::post_session)
                .delete(super::auth::delete_session),
        )
        .route(
            "/projects/{project}/runs",
            // Uploads enforce their own limit while streaming to disk; the
            // extractors' 2 MiB default would cut multipart uploads short.
            get(list_runs)
                .post(upload_run)
                .layer(axum::extract::DefaultBodyLimit::disable())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    super::auth::upload_limit,
                )),
        )
        .route(
            "/projects/{project}/targets",
            get(get_targets).put(put_targets),
        )
        .route(
            "/projects/{project}/evidence",
            get(super::audit::list_evidence)
                .post(super::audit::upload_evidence)
                .layer(axum::extract::DefaultBodyLimit::disable())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    super::auth::upload_limit,
                )),
        )
        .route("/projects/{project}/audit", get(super::audit::findings))
        .route(
            "/projects/{project}/host",
            get(super::audit::get_host).put(super::audit::put_host),
        )
        .route(
            "/projects/{project}/exemptions/{rule}",
            axum::routing::put(super::audit::put_exemption).delete(super::audit::delete_exemption),
        )
        .route("/projects/{project}/assessment", get(assessment))
        .route(
            "/projects/{project}/certificates",
            get(super::certificates::list_certificates)
                .post(super::certificates::issue_certificate),
        )
        .route(
            "/projects/{project}/certificates/{number}",
            get(super::certificates::certificate_json),
        )
        .route(
            "/projects/{project}/certificates/{number}/pdf",
            get(super::certificates::certificate_pdf),
        )
        .route(
            "/projects/{project}/claims",
            get(super::certificates::get_claims).post(super::certificates::post_claims),
        )
        .route("/signing-key", get(super::certificates::signing_key))
        .route("/runs/{id}", get(run_detail))
        .route("/runs/{a}/compare/{b}", get(compare_runs))
        .route("/runs/{id}/artifact", get(run_artifact))
        .route("/evidence/{id}/artifact", get(evidence_artifact))
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

/// The project named in a path, when the one asking may do `action` in it.
pub(super) async fn project_for(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    action: Action,
) -> ApiResult<ProjectRef> {
    Ok(state.store.authorize(principal, slug, action).await?)
}

/// The project of a run (or an evidence upload), when the one asking may
/// do `action` in it. An anonymous request learns nothing about ids it
/// may not read.
async fn project_of(
    state: &AppState,
    principal: &Principal,
    slug: readiness_store::Result<String>,
    action: Action,
) -> ApiResult<ProjectRef> {
    match slug {
        Ok(slug) => project_for(state, principal, &slug, action).await,
        Err(readiness_store::StoreError::NotFound(_)) if *principal == Principal::Anonymous => Err(
            ApiError::unauthorized("sign in (or send a token) to read runs and evidence"),
        ),
        Err(err) => Err(err.into()),
    }
}

/// Refuses a run the one asking may not read (401 for the anonymous, who
/// learn nothing about ids, 403 or 404 otherwise).
async fn readable_run(state: &AppState, principal: &Principal, id: i64) -> ApiResult<ProjectRef> {
    project_of(
        state,
        principal,
        state.store.project_of_run(id).await,
        Action::Read,
    )
    .await
}

/// Metadata CI sends with an upload, as query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadParams {
    pub(super) scenario: Option<String>,
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
    pub(super) fn parse(query: Option<&str>) -> ApiResult<UploadParams> {
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

    fn is_param(name: &str) -> bool {
        UPLOAD_PARAMS.split(", ").any(|p| p == name)
    }

    /// Sets a parameter from a multipart text field; false when the name is
    /// not a parameter.
    pub(super) fn set(&mut self, name: &str, value: &str) -> bool {
        let slot = match name {
            "scenario" => &mut self.scenario,
            "commit" => &mut self.commit,
            "branch" => &mut self.branch,
            "environment" => &mut self.environment,
            "ci_job_url" => &mut self.ci_job_url,
            "label" => &mut self.label,
            "format" => &mut self.format,
            "filename" => &mut self.filename,
            _ => return false,
        };
        if !value.trim().is_empty() {
            *slot = Some(value.chars().take(1024).collect());
        }
        true
    }

    pub(super) fn provenance(&self) -> Provenance {
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

pub(super) fn public_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the upload is larger than the limit of {limit} bytes (READINESS_MAX_UPLOAD)"),
    )
}

pub(super) fn internal(context: &str) -> impl FnOnce(std::io::Error) -> ApiError + '_ {
    move |err| {
        tracing::error!(error = %err, "{context}");
        ApiError::internal()
    }
}

/// Streams bytes to a file, counting them against the upload limit, so the
/// server never holds an upload in memory.
async fn spool<S, E>(
    mut stream: S,
    path: &std::path::Path,
    received: &mut u64,
    limit: u64,
) -> ApiResult<()>
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let file = tokio::fs::File::create(path)
        .await
        .map_err(internal("cannot create an upload file"))?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, file);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "body_unreadable",
                format!("the request body could not be read: {e}"),
            )
        })?;
        *received += chunk.len() as u64;
        if *received > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk)
            .await
            .map_err(internal("cannot write an upload file"))?;
    }
    file.flush()
        .await
        .map_err(internal("cannot write an upload file"))?;
    Ok(())
}

/// The files of an upload, spooled to `work`: the body as one file, or each
/// file part of a multipart form. Multipart text fields named like the
/// query parameters fill in the metadata.
pub(super) async fn receive(
    state: &AppState,
    request: axum::extract::Request,
    work: &std::path::Path,
    params: &mut UploadParams,
) -> ApiResult<Vec<FileSource>> {
    let limit = state.config.max_upload;
    let headers = request.headers().clone();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut received = 0u64;
    let mut files = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
        loop {
            let field = multipart.next_field().await.map_err(|e| {
                ApiError::bad_request(
                    "bad_multipart",
                    format!("the multipart body could not be read: {e}"),
                )
            })?;
            let Some(field) = field else { break };
            let field_name = field.name().unwrap_or("file").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            // A part without a file name is a text field: an upload
            // parameter, or the file itself when named `file` (curl's
            // `-F 'file=<result.json'`). Anything else is a mistake worth
            // reporting, as a misspelled query parameter is.
            if file_name.is_none() && field_name != "file" {
                if !UploadParams::is_param(&field_name) {
                    return Err(ApiError::bad_request(
                        "bad_query",
                        format!(
                            "unknown form field `{field_name}`: expected a file part (with a file name) \
                             or one of {UPLOAD_PARAMS}"
                        ),
                    ));
                }
                let value = field.text().await.map_err(|e| {
                    ApiError::bad_request(
                        "bad_multipart",
                        format!("field `{field_name}` could not be read: {e}"),
                    )
                })?;
                params.set(&field_name, &value);
                continue;
            }
            let name = file_name.unwrap_or(field_name);
            let path = work.join(format!("part-{}", files.len()));
            spool(field, &path, &mut received, limit).await?;
            files.push(FileSource::new(name, path));
        }
    } else {
        let encoding = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase());
        let name = params
            .filename
            .clone()
            .unwrap_or_else(|| "upload".to_owned());
        let path = work.join("body");
        spool(
            request.into_body().into_data_stream(),
            &path,
            &mut received,
            limit,
        )
        .await?;
        match encoding.as_deref() {
            None | Some("identity") => files.push(FileSource::new(name, path)),
            Some("gzip") | Some("x-gzip") => {
                // The artifact is the content, not its transport encoding.
                let decoded = work.join("body-decoded");
                let limits = state.limits();
                let (from, to, shown) = (path.clone(), decoded.clone(), name.clone());
                tokio::task::spawn_blocking(move || evidence::gunzip(&from, &to, &shown, limits))
                    .await
                    .map_err(|_| ApiError::internal())?
                    .map_err(evidence_error)?;
                files.push(FileSource::new(name, decoded));
            }
            Some(other) => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_encoding",
                    format!(
                        "Content-Encoding `{other}` is not supported: send the file as is or gzip-compressed"
                    ),
                ));
            }
        }
    }
    if files.is_empty() && content_type.starts_with("multipart/form-data") {
        return Err(ApiError::bad_request(
            "empty_body",
            "the form has no file part: send the result file as a part with a file name, \
             for example `curl -F file=@result.json`",
        ));
    }
    if files.is_empty() || received == 0 {
        return Err(ApiError::bad_request(
            "empty_body",
            "the request body is empty: send the result file as the body, for example \
             `curl --data-binary @summary.json`, or as multipart file parts",
        ));
    }
    Ok(files)
}

pub(super) fn evidence_error(err: EvidenceError) -> ApiError {
    match err {
        EvidenceError::TooLarge(message) => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
        }
        EvidenceError::Invalid(message) => ApiError::unprocessable("invalid_bundle", message),
        EvidenceError::Io { context, source } => {
            tracing::error!(error = %source, "{context}");
            ApiError::internal()
        }
    }
}

/// The artifact of an upload, ready to store.
pub(super) struct Prepared {
    pub file_name: String,
    pub artifact: CompressedArtifact,
    /// The files packed into the artifact, when there were several.
    pub packed: Vec<ArtifactEntry>,
}

/// One file is stored as received; several are packed into one tar first.
pub(super) fn prepare(
    files: &[FileSource],
    work: &std::path::Path,
) -> Result<Prepared, EvidenceError> {
    let (file_name, path, packed) = match files {
        [one] => (one.name().to_owned(), one.path().to_path_buf(), Vec::new()),
        several => {
            let path = work.join("upload.tar");
            let packed = evidence::pack(several, &path)?;
            ("upload.tar".to_owned(), path, packed)
        }
    };
    let file = std::fs::File::open(&path).map_err(|source| EvidenceError::Io {
        context: "cannot read the upload".to_owned(),
        source,
    })?;
    let artifact =
        CompressedArtifact::from_reader(std::io::BufReader::new(file)).map_err(|source| {
            EvidenceError::Io {
                context: "cannot compress the upload".to_owned(),
                source,
            }
        })?;
    Ok(Prepared {
        file_name,
        artifact,
        packed,
    })
}

async fn upload_run(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let headers = request.headers().clone();
    let project = project_for(&state, &principal, &slug, Action::Upload).await?;
    let mut params = UploadParams::parse(query.as_deref())?;
    let work = state
        .work_dir()
        .map_err(internal("cannot create a work folder"))?;
    let files = receive(&state, request, work.path(), &mut params).await?;
    let base = public_url(&state, &headers);
    store_run(&state, &principal, &project, files, work, &params, &base).await
}

/// Parses spooled upload files as one run and stores it with its artifact;
/// the same bytes again answer with the run already stored.
pub(super) async fn store_run(
    state: &AppState,
    principal: &Principal,
    project: &readiness_store::projects::ProjectRef,
    files: Vec<FileSource>,
    work: tempfile::TempDir,
    params: &UploadParams,
    base: &str,
) -> ApiResult<Response> {
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

    // Hashing and compressing are CPU work: off the async workers.
    let (files, work, prepared) = tokio::task::spawn_blocking(move || {
        let prepared = prepare(&files, work.path());
        (files, work, prepared)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let prepared = prepared.map_err(evidence_error)?;
    if let Some(existing) = state
        .store
        .run_by_sha256(project.id, &prepared.artifact.sha256)
        .await?
    {
        return existing_run(state, base, existing).await;
    }

    let limits = state.limits();
    let (work, read) = tokio::task::spawn_blocking(move || {
        let read = evidence::read_run(&files, work.path(), limits, format);
        (work, read)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let (mut run, unpacked) = read.map_err(|err| match err {
        evidence::ReadError::Evidence(err) => evidence_error(err),
        evidence::ReadError::Ingest(err) => {
            let unknown = matches!(
                err,
                readiness_core::formats::IngestError::UnknownFormat { .. }
            );
            let mut error = ApiError::unprocessable("invalid_result", err.to_string());
            if unknown {
                // Tells a client that chose no kind that this may be audit
                // evidence instead.
                error.details = Some(json!({"reason": "unknown_format"}));
            }
            error
        }
    })?;
    drop(work);
    if let Some(scenario) = scenario {
        run.scenario = scenario;
    }
    let entries = if prepared.packed.is_empty() {
        unpacked
    } else {
        prepared.packed
    };
    let provenance = params.provenance();
    let inserted = state
        .store
        .insert_run(NewRun {
            project_id: project.id,
            file_name: &prepared.file_name,
            artifact: &prepared.artifact,
            entries: &entries,
            provenance: &provenance,
            run: &run,
        })
        .await?;
    match inserted {
        Inserted::Created(summary) => {
            state
                .store
                .record(
                    principal,
                    "upload.run",
                    Some(project),
                    &format!(
                        "run {} from {} ({} bytes, sha256 {})",
                        summary.id, prepared.file_name, prepared.artifact.size, summary.sha256
                    ),
                )
                .await?;
            let body = json!({
                "id": summary.id,
                "url": format!("{base}/runs/{}", summary.id),
                "sha256": summary.sha256,
                "files": entries,
                "run": run,
            });
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        // Another upload of the same bytes won the race.
        Inserted::Existing(summary) => existing_run(state, base, summary).await,
    }
}

/// The answer to an upload of bytes already stored: the existing run.
async fn existing_run(state: &AppState, base: &str, summary: RunSummary) -> ApiResult<Response> {
    let detail = state.store.run_detail(summary.id).await?;
    let body = json!({
        "id": summary.id,
        "url": format!("{base}/runs/{}", summary.id),
        "sha256": summary.sha256,
        "files": detail.entries,
        "run": detail.run,
    });
    Ok((StatusCode::OK, Json(body)).into_response())
}

async fn list_runs(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
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
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = run_id(&id)?;
    readable_run(&state, &principal, id).await?;
    let detail = state.store.run_detail(id).await?;
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
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = run_id(&id)?;
    readable_run(&state, &principal, id).await?;
    let artifact = state.store.run_artifact(id).await?;
    Ok(download(artifact))
}

/// An evidence upload's artifact, as received.
async fn evidence_artifact(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = id.parse::<i64>().map_err(|_| {
        ApiError::bad_request(
            "bad_id",
            format!("`{id}` is not an evidence id: expected a whole number such as 12"),
        )
    })?;
    project_of(
        &state,
        &principal,
        state.store.project_of_evidence(id).await,
        Action::Read,
    )
    .await?;
    let artifact = state.store.evidence_artifact(id).await?;
    Ok(download(artifact))
}

/// An artifact as a download named after the uploaded file, with its
/// SHA-256 in a header so a client can check what it received.
fn download(artifact: readiness_store::artifacts::ArtifactBytes) -> Response {
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
    (headers, artifact.bytes).into_response()
}

/// A project's targets as the API shows and takes them.
#[derive(Debug, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsBody {
    targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_age_days: Option<i64>,
}

async fn get_targets(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let settings = state.store.targets(project.id).await?;
    Ok(Json(json!({
        "targets": settings.targets.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "max_age_days": settings.max_age_days,
    })))
}

/// Parses target expressions, with every error located.
pub fn parse_targets(expressions: &[String]) -> Result<Vec<Target>, ApiError> {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for (index, expression) in expressions.iter().enumerate() {
        match expression.parse::<Target>() {
            Ok(target) => targets.push(target),
            Err(err) => errors.push((index, err)),
        }
    }
    if errors.is_empty() {
        return Ok(targets);
    }
    let message = errors
        .iter()
        .map(|(index, err)| format!("targets[{index}]: {err}"))
        .collect::<Vec<_>>()
        .join("; ");
    let details = errors
        .iter()
        .map(|(index, err)| {
            json!({
                "index": index,
                "expression": err.expression,
                "column": err.column,
                "expected": err.expected,
                "found": err.found,
            })
        })
        .collect();
    let mut error = ApiError::unprocessable("invalid_targets", message);
    error.details = Some(serde_json::Value::Array(details));
    Err(error)
}

async fn put_targets(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Maintain).await?;
    let body: TargetsBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!(
                "the body must be JSON like {{\"targets\": [\"p95 < 500ms\", \"error_rate < 0.1%\"], \"max_age_days\": 14}}: {e}"
            ),
        )
    })?;
    let targets = parse_targets(&body.targets)?;
    let current = state.store.targets(project.id).await?;
    let settings = TargetSettings {
        targets,
        max_age_days: body.max_age_days.unwrap_or(current.max_age_days),
    };
    state.store.set_targets(project.id, &settings).await?;
    let written: Vec<String> = settings.targets.iter().map(ToString::to_string).collect();
    state
        .store
        .record(
            &principal,
            "targets.set",
            Some(&project),
            &format!(
                "{}; evidence older than {} days is unverified",
                written.join(", "),
                settings.max_age_days
            ),
        )
        .await?;
    Ok(Json(json!({
        "targets": settings.targets.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "max_age_days": settings.max_age_days,
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentParams {
    commit: Option<String>,
    environment: Option<String>,
    /// The moment to assess at (RFC 3339), such as a certificate's
    /// `issued_at`: only evidence uploaded by then counts. Defaults to now.
    at: Option<String>,
}

async fn assessment(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<serde_json::Value>> {
    let params: AssessmentParams = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| {
            ApiError::bad_request(
                "bad_query",
                format!("invalid query parameters: {e}; expected commit, environment and at"),
            )
        })?;
    let clean = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let now = chrono::Utc::now();
    let at = match clean(params.at) {
        None => now,
        Some(at) => chrono::DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&chrono::Utc))
            .ok()
            .filter(|t| *t <= now)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "bad_query",
                    format!(
                        "`at` is `{at}`: expected a moment in the past in RFC 3339, such as \
                         2026-11-29T12:00:00Z"
                    ),
                )
            })?,
    };
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let assessment = state
        .store
        .assessment(
            &project,
            clean(params.commit),
            clean(params.environment),
            at,
        )
        .await?;
    Ok(Json(
        json!({ "project": project.slug, "assessment": assessment }),
    ))
}

async fn compare_runs(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((a, b)): Path<(String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let (a, b) = (run_id(&a)?, run_id(&b)?);
    readable_run(&state, &principal, a).await?;
    readable_run(&state, &principal, b).await?;
    let baseline = state.store.run_detail(a).await?;
    let candidate = state.store.run_detail(b).await?;
    if baseline.project_slug != candidate.project_slug {
        return Err(ApiError::unprocessable(
            "different_projects",
            format!(
                "run {a} belongs to {} and run {b} to {}: compare runs of one project",
                baseline.project_slug, candidate.project_slug
            ),
        ));
    }
    let comparison = readiness_core::compare::compare(&baseline.run, &candidate.run);
    Ok(Json(json!({
        "baseline": baseline.summary,
        "candidate": candidate.summary,
        "comparison": comparison,
    })))
}
