//! The audit API: evidence uploads (configurations, status dumps, workload
//! exports, monitoring inventories), the host profile, exemptions, and the
//! project's current findings.

use super::AppState;
use super::api::{UploadParams, evidence_error, internal, prepare, project_for, receive};
use super::error::{ApiError, ApiResult};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use readiness_core::access::{Action, Principal};
use readiness_core::assess::Policy;
use readiness_core::audit::{self, HostProfile, Inputs};
use readiness_core::input::{MemorySource, Source};
use readiness_core::targets::Metric;
use readiness_store::NewEvidence;
use readiness_store::bundle::files_of;
use serde::Deserialize;
use serde_json::json;

/// Reads spooled upload files into memory, unpacking bundles; evidence is
/// small (bounded by the bundle limits).
fn in_memory(files: &[crate::evidence::FileSource]) -> Result<Vec<MemorySource>, ApiError> {
    let mut out = Vec::new();
    let several = files.len() > 1;
    for file in files {
        let bytes = std::fs::read(file.path()).map_err(internal("cannot read a spooled upload"))?;
        let inner = files_of(file.name(), &bytes).map_err(|e| match e {
            readiness_store::bundle::BundleError::TooLarge(m) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", m)
            }
            readiness_store::bundle::BundleError::Invalid(m) => {
                ApiError::unprocessable("invalid_bundle", m)
            }
        })?;
        // Several parts are stored as one tar, which is unpacked one level
        // deep when read again: a part that is itself a bundle would not be.
        if several && (inner.len() != 1 || inner[0].name != file.name()) {
            return Err(ApiError::unprocessable(
                "invalid_bundle",
                format!(
                    "{}: a bundle among several files; send one tar.gz or zip, or several plain files",
                    file.name()
                ),
            ));
        }
        out.extend(inner);
    }
    Ok(out)
}

pub async fn upload_evidence(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let project = project_for(&state, &principal, &slug, Action::Upload).await?;
    let mut params = UploadParams::parse(query.as_deref())?;
    let work = state
        .work_dir()
        .map_err(internal("cannot create a work folder"))?;
    let files = receive(&state, request, work.path(), &mut params).await?;
    store_evidence(&state, &principal, &project, files, work, &params).await
}

/// Reads spooled upload files as audit evidence, stores them with their
/// artifact, and answers with what was recognised and the findings.
pub(super) async fn store_evidence(
    state: &AppState,
    principal: &Principal,
    project: &readiness_store::projects::ProjectRef,
    files: Vec<crate::evidence::FileSource>,
    work: tempfile::TempDir,
    params: &UploadParams,
) -> ApiResult<Response> {
    let (read, prepared) = tokio::task::spawn_blocking(move || {
        let read = in_memory(&files).and_then(|sources| {
            let refs: Vec<&dyn Source> = sources.iter().map(|s| s as &dyn Source).collect();
            audit::load(&refs)
                .map(|stack| {
                    (
                        sources.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
                        stack,
                    )
                })
                .map_err(|e| ApiError::unprocessable("invalid_evidence", e.to_string()))
        });
        let prepared = prepare(&files, work.path());
        drop(work);
        (read, prepared)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    let (_, stack) = read?;
    let prepared = prepared.map_err(evidence_error)?;
    let provenance = params.provenance();
    let (created, summary) = state
        .store
        .insert_evidence(NewEvidence {
            project_id: project.id,
            file_name: &prepared.file_name,
            artifact: &prepared.artifact,
            entries: &prepared.packed,
            provenance: &provenance,
            files: &stack.files,
        })
        .await?;
    if created {
        let kinds: Vec<&str> = summary.files.iter().map(|(_, k)| k.label()).collect();
        state
            .store
            .record(
                principal,
                "upload.evidence",
                Some(project),
                &format!(
                    "evidence {} from {} ({}; sha256 {})",
                    summary.id,
                    summary.file_name,
                    kinds.join(", "),
                    summary.sha256
                ),
            )
            .await?;
    }
    let inputs = inputs_for(state, project.id).await?;
    let findings = audit::evaluate(&stack, &inputs);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = json!({
        "id": summary.id,
        "sha256": summary.sha256,
        "files": summary.files.iter().map(|(name, kind)| json!({"name": name, "kind": kind, "label": kind.label()})).collect::<Vec<_>>(),
        "findings": findings,
    });
    Ok((status, Json(body)).into_response())
}

/// The rules' inputs for a project: its host profile and targets.
pub async fn inputs_for(state: &AppState, project_id: i64) -> ApiResult<Inputs> {
    let host = state.store.host_profile(project_id).await?;
    let targets = state.store.targets(project_id).await?.targets;
    let threshold = |metric: Metric| {
        targets
            .iter()
            .find(|t| t.metric == metric && t.scope.is_empty() && t.baseline_run.is_none())
            .map(|t| t.threshold)
    };
    Ok(Inputs {
        host,
        target_users: threshold(Metric::Users),
        target_rps: threshold(Metric::Throughput),
        mean_service_s: None,
        heuristics: Default::default(),
    })
}

pub async fn list_evidence(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let evidence = state.store.list_evidence(project.id).await?;
    Ok(Json(json!({"project": project.slug, "evidence": evidence})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    environment: Option<String>,
}

/// The project's findings from its latest evidence of each kind.
pub async fn findings(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<serde_json::Value>> {
    let params: AuditParams =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).map_err(|e| {
            ApiError::bad_request(
                "bad_query",
                format!("invalid query parameters: {e}; expected environment"),
            )
        })?;
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let settings = state.store.targets(project.id).await?;
    let policy = Policy {
        environment: params.environment,
        max_age_days: settings.max_age_days,
        ..Policy::new(chrono::Utc::now())
    };
    let (stack, used) = state.store.audit_stack(project.id, &policy).await?;
    let inputs = inputs_for(&state, project.id).await?;
    let findings = audit::evaluate(&stack, &inputs);
    let exemptions = state.store.exemptions(project.id).await?;
    Ok(Json(json!({
        "project": project.slug,
        "evidence": used,
        "files": stack.files.iter().map(|(name, kind)| json!({"name": name, "kind": kind})).collect::<Vec<_>>(),
        "findings": findings,
        "exemptions": exemptions,
    })))
}

pub async fn get_host(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    Ok(Json(
        json!({"host": state.store.host_profile(project.id).await?}),
    ))
}

pub async fn put_host(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Maintain).await?;
    let profile: HostProfile = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!(
                "the body must be a host profile like {{\"servers\": [{{\"name\": \"app1\", \"roles\": [\"web\", \"php\", \"db\", \"cache\"], \"ram_bytes\": 8589934592, \"cpus\": 4}}]}}: {e}"
            ),
        )
    })?;
    state.store.set_host_profile(project.id, &profile).await?;
    state
        .store
        .record(
            &principal,
            "host.set",
            Some(&project),
            &format!("{} servers", profile.servers.len()),
        )
        .await?;
    Ok(Json(json!({"host": profile})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExemptionBody {
    reason: String,
    expires_on: chrono::NaiveDate,
}

pub async fn put_exemption(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((slug, rule)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Maintain).await?;
    if !audit::rules().iter().any(|r| r.id == rule) {
        return Err(ApiError::not_found(format!(
            "no audit rule has the id `{rule}`"
        )));
    }
    let body: ExemptionBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!(
                "the body must be {{\"reason\": \"...\", \"expires_on\": \"2027-03-31\"}}: {e}"
            ),
        )
    })?;
    state
        .store
        .exempt(project.id, &rule, &body.reason, body.expires_on)
        .await?;
    state
        .store
        .record(
            &principal,
            "exemption.set",
            Some(&project),
            &format!("{rule} until {}: {}", body.expires_on, body.reason),
        )
        .await?;
    Ok(Json(
        json!({"exemptions": state.store.exemptions(project.id).await?}),
    ))
}

pub async fn delete_exemption(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((slug, rule)): Path<(String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let project = project_for(&state, &principal, &slug, Action::Maintain).await?;
    state.store.remove_exemption(project.id, &rule).await?;
    state
        .store
        .record(&principal, "exemption.remove", Some(&project), &rule)
        .await?;
    Ok(Json(
        json!({"exemptions": state.store.exemptions(project.id).await?}),
    ))
}
