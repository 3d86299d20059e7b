//! Uploads from the browser, in pieces: a page declares the files, sends
//! each one in chunks (so it can show progress, and a dropped connection
//! costs one chunk), then finishes the upload, which stores it exactly as an
//! API upload of the same files would be stored.
//!
//! - `POST /ui/projects/{project}/uploads` with `{"files": [{"name",
//!   "size"}], "kind": "auto" | "run" | "evidence", "scenario", "commit",
//!   "branch", "environment", "label"}` answers `{"id", "chunk_size"}`.
//! - `PUT /ui/uploads/{id}/files/{n}?offset=B` appends a chunk to file `n`;
//!   `offset` must be the bytes received so far (a 409 answer says how many).
//! - `POST /ui/uploads/{id}/finish` stores the files and answers as the API
//!   does for a run or for evidence.
//!
//! These routes serve the pages, as server functions do; the API for CI
//! stays behind project tokens.

use super::AppState;
use super::api::{UploadParams, internal, store_run};
use super::audit::store_evidence;
use super::error::{ApiError, ApiResult};
use crate::evidence::FileSource;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Extension, Json};
use readiness_core::access::{Action, Principal};
use readiness_core::input::Source;
use readiness_store::projects::ProjectRef;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The size of the chunks pages send.
pub const CHUNK_SIZE: u64 = 4 << 20;
/// How many files one upload may hold.
const MAX_FILES: usize = 64;
/// How many uploads may be open at once.
const MAX_OPEN: usize = 32;
/// An upload nobody has touched for this long is dropped with its files.
const IDLE: Duration = Duration::from_secs(30 * 60);

/// The uploads in progress.
#[derive(Debug, Default)]
pub struct Uploads {
    open: Mutex<HashMap<String, Upload>>,
}

#[derive(Debug)]
struct Upload {
    /// Who started it: only they may add to it and finish it.
    owner: Principal,
    project: ProjectRef,
    work: tempfile::TempDir,
    files: Vec<Part>,
    kind: Kind,
    params: UploadParams,
    touched: Instant,
    /// A chunk is being written or the upload is finishing.
    busy: bool,
}

#[derive(Debug)]
struct Part {
    name: String,
    path: PathBuf,
    size: u64,
    received: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// A load-test result, or else audit evidence.
    Auto,
    Run,
    Evidence,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    files: Vec<FileDecl>,
    #[serde(default = "auto")]
    kind: Kind,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

fn auto() -> Kind {
    Kind::Auto
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDecl {
    name: String,
    size: u64,
}

pub fn router(state: AppState) -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/projects/{project}/uploads",
            post(start).layer(axum::middleware::from_fn_with_state(
                state,
                super::auth::upload_limit,
            )),
        )
        .route(
            "/uploads/{id}/files/{n}",
            put(chunk).layer(axum::extract::DefaultBodyLimit::max(
                CHUNK_SIZE as usize + 1024,
            )),
        )
        .route("/uploads/{id}/finish", post(finish))
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Upload>> {
        // A panic while holding the lock leaves plain data behind; keep
        // serving rather than poisoning every later upload.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops uploads left idle, with their files.
    fn sweep(&self) {
        self.lock()
            .retain(|_, u| u.busy || u.touched.elapsed() < IDLE);
    }
}

fn not_open(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no upload `{id}` is open: it finished, or was idle for more than {} minutes; start it again",
        IDLE.as_secs() / 60
    ))
}

async fn start(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let project = state
        .store
        .authorize(&principal, &slug, Action::Upload)
        .await?;
    let body: StartBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!(
                "the body must be {{\"files\": [{{\"name\": \"result.json\", \"size\": 1234}}], \"kind\": \"auto\"}}: {e}"
            ),
        )
    })?;
    if body.files.is_empty() || body.files.len() > MAX_FILES {
        return Err(ApiError::bad_request(
            "bad_files",
            format!(
                "an upload holds 1 to {MAX_FILES} files; this one declared {}",
                body.files.len()
            ),
        ));
    }
    let limit = state.config.max_upload;
    let total: u64 = body.files.iter().map(|f| f.size).sum();
    if total > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the files add up to {total} bytes; the server takes at most {limit} per upload"
            ),
        ));
    }
    for f in &body.files {
        if f.size == 0 {
            return Err(ApiError::bad_request(
                "empty_body",
                format!("{}: the file is empty", f.name),
            ));
        }
        if f.name.trim().is_empty() || f.name.len() > 255 {
            return Err(ApiError::bad_request(
                "bad_files",
                "each file needs a name of 1 to 255 bytes",
            ));
        }
    }
    let mut params = UploadParams::default();
    for (name, value) in [
        ("scenario", &body.scenario),
        ("commit", &body.commit),
        ("branch", &body.branch),
        ("environment", &body.environment),
        ("label", &body.label),
    ] {
        if let Some(value) = value {
            if value.len() > 1024 {
                return Err(ApiError::bad_request(
                    "bad_query",
                    format!("`{name}` is longer than 1024 characters"),
                ));
            }
            params.set(name, value);
        }
    }
    if let Some(scenario) = &params.scenario {
        scenario
            .parse::<readiness_core::run::ScenarioKind>()
            .map_err(|e| ApiError::bad_request("bad_query", e.to_string()))?;
    }
    let work = state
        .work_dir()
        .map_err(internal("cannot create a work folder"))?;
    let files = body
        .files
        .into_iter()
        .enumerate()
        .map(|(n, f)| Part {
            // Only the name's last component: it names the artifact.
            name: f
                .name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("upload")
                .to_owned(),
            path: work.path().join(format!("part-{n}")),
            size: f.size,
            received: 0,
        })
        .collect::<Vec<_>>();
    for part in &files {
        std::fs::File::create(&part.path).map_err(internal("cannot create an upload file"))?;
    }
    let id = new_id().map_err(internal("cannot draw an upload id"))?;
    state.uploads.sweep();
    {
        let mut open = state.uploads.lock();
        if open.len() >= MAX_OPEN {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!("{MAX_OPEN} uploads are in progress; try again when one has finished"),
            ));
        }
        open.insert(
            id.clone(),
            Upload {
                owner: principal,
                project,
                work,
                files,
                kind: body.kind,
                params,
                touched: Instant::now(),
                busy: false,
            },
        );
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "chunk_size": CHUNK_SIZE})),
    )
        .into_response())
}

fn new_id() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChunkQuery {
    offset: u64,
}

/// Marks an upload busy while a request works on it, and free again when
/// the request ends, however it ends.
struct Claim<'a> {
    uploads: &'a Uploads,
    id: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Some(u) = self.uploads.lock().get_mut(&self.id) {
            u.busy = false;
            u.touched = Instant::now();
        }
    }
}

async fn chunk(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, n)): Path<(String, usize)>,
    query: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> ApiResult<Response> {
    let Query(ChunkQuery { offset }) = query.map_err(|e| {
        ApiError::bad_request(
            "bad_query",
            format!(
                "{}; expected ?offset=<bytes received so far>",
                e.body_text()
            ),
        )
    })?;
    let (path, size, name) = {
        let mut open = state.uploads.lock();
        let upload = open
            .get_mut(&id)
            .filter(|u| u.owner == principal)
            .ok_or_else(|| not_open(&id))?;
        if upload.busy {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "busy",
                "another chunk of this upload is being written; send chunks one after another",
            ));
        }
        let count = upload.files.len();
        let part = upload.files.get(n).ok_or_else(|| {
            ApiError::not_found(format!("this upload has files 0 to {}; not {n}", count - 1))
        })?;
        if offset != part.received {
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                "wrong_offset",
                format!(
                    "{}: the server has {} bytes of this file; send the chunk at offset {}",
                    part.name, part.received, part.received
                ),
            );
            error.details = Some(json!({"received": part.received}));
            return Err(error);
        }
        let out = (part.path.clone(), part.size, part.name.clone());
        upload.busy = true;
        out
    };
    let _claim = Claim {
        uploads: &state.uploads,
        id: id.clone(),
    };
    let bytes = axum::body::to_bytes(body, CHUNK_SIZE as usize)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("a chunk holds at most {CHUNK_SIZE} bytes"),
            )
        })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("empty_body", "the chunk is empty"));
    }
    let received = offset + bytes.len() as u64;
    if received > size {
        return Err(ApiError::bad_request(
            "too_long",
            format!("{name}: this chunk ends at byte {received}, past the declared size {size}"),
        ));
    }
    {
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .await
            .map_err(internal("cannot open an upload file"))?;
        file.write_all(&bytes)
            .await
            .map_err(internal("cannot write an upload file"))?;
        file.flush()
            .await
            .map_err(internal("cannot write an upload file"))?;
    }
    if let Some(u) = state.uploads.lock().get_mut(&id)
        && let Some(part) = u.files.get_mut(n)
    {
        part.received = received;
    }
    Ok(Json(json!({"received": received, "size": size})).into_response())
}

async fn finish(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let upload = {
        let mut open = state.uploads.lock();
        let upload = open
            .get(&id)
            .filter(|u| u.owner == principal)
            .ok_or_else(|| not_open(&id))?;
        if upload.busy {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "busy",
                "a chunk of this upload is still being written; finish after the last chunk",
            ));
        }
        if let Some(part) = upload.files.iter().find(|p| p.received != p.size) {
            return Err(ApiError::bad_request(
                "incomplete",
                format!(
                    "{}: the server has {} of its {} bytes; send the rest before finishing",
                    part.name, part.received, part.size
                ),
            ));
        }
        // Taken out: an upload is finished once, whatever the outcome.
        open.remove(&id).ok_or_else(|| not_open(&id))?
    };
    let Upload {
        owner,
        project,
        work,
        files,
        kind,
        params,
        ..
    } = upload;
    let files: Vec<FileSource> = files
        .into_iter()
        .map(|p| FileSource::new(p.name, p.path))
        .collect();
    let base = super::api::public_url(&state, &headers);
    match kind {
        Kind::Run => store_run(&state, &owner, &project, files, work, &params, &base).await,
        Kind::Evidence => store_evidence(&state, &owner, &project, files, work, &params).await,
        Kind::Auto => {
            // Copies for the second attempt: the first consumes its folder.
            let second = state
                .work_dir()
                .map_err(internal("cannot create a work folder"))?;
            let mut copies = Vec::new();
            for (n, f) in files.iter().enumerate() {
                let path = second.path().join(format!("part-{n}"));
                std::fs::hard_link(f.path(), &path)
                    .or_else(|_| std::fs::copy(f.path(), &path).map(|_| ()))
                    .map_err(internal("cannot copy an upload file"))?;
                copies.push(FileSource::new(f.name().to_owned(), path));
            }
            match store_run(&state, &owner, &project, files, work, &params, &base).await {
                Err(err) if is_unknown_format(&err) => {
                    store_evidence(&state, &owner, &project, copies, second, &params)
                        .await
                        .map_err(|evidence_err| {
                            ApiError::unprocessable(
                                "unrecognized",
                                format!(
                                    "Not a load-test result: {}\n\nNot audit evidence either: {}",
                                    err.message, evidence_err.message
                                ),
                            )
                        })
                }
                other => other,
            }
        }
    }
}

fn is_unknown_format(err: &ApiError) -> bool {
    err.details
        .as_ref()
        .and_then(|d| d.get("reason"))
        .and_then(|r| r.as_str())
        == Some("unknown_format")
}
