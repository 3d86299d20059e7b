//! The certificate API: issuing certificates, listing them, their signed
//! JSON and PDF, the public signing key, and imported claims documents.

use super::AppState;
use super::api::{project_for, public_url};
use super::error::{ApiError, ApiResult};
use crate::certify::{ImportError, IssueError, IssueRequest, import_claims, issue};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use readiness_core::access::{Action, Principal};
use readiness_core::claims::{ClaimsDocument, judge};
use readiness_report::ALGORITHM;
use readiness_store::certificates::CertificateSummary;
use readiness_store::claims::{MAX_CLAIMS_BYTES, StoredClaims};
use readiness_store::projects::ProjectRef;
use serde::Deserialize;
use serde_json::{Value, json};

/// The longest commit or environment name accepted.
const MAX_NAME: usize = 1024;

/// `GET /api/v1/signing-key`: the key certificates are signed with, for
/// anyone to check them against. Public.
pub async fn signing_key(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "algorithm": ALGORITHM,
        "public_key": state.signing_key.public_key_hex(),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueParams {
    commit: Option<String>,
    environment: Option<String>,
}

/// Reads optional query parameters, naming the ones expected when they do
/// not parse.
fn query<T: for<'de> Deserialize<'de>>(raw: Option<&str>, expected: &str) -> ApiResult<T> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
        ApiError::bad_request(
            "bad_query",
            format!("invalid query parameters: {e}; expected {expected}"),
        )
    })
}

/// A commit or environment parameter: trimmed, empty as absent, bounded.
fn name(parameter: &str, value: Option<String>) -> ApiResult<Option<String>> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.len() > MAX_NAME) {
        return Err(ApiError::bad_request(
            "bad_query",
            format!("query parameter `{parameter}` is longer than {MAX_NAME} characters"),
        ));
    }
    Ok(value)
}

/// A certificate as the API lists it: its summary and where to get it.
fn described(base: &str, slug: &str, summary: &CertificateSummary) -> Value {
    let mut value = serde_json::to_value(summary).unwrap_or(Value::Null);
    let n = summary.number;
    value["url"] = json!(format!("{base}/projects/{slug}/certificates/{n}"));
    value["json_url"] = json!(format!("{base}/api/v1/projects/{slug}/certificates/{n}"));
    value["pdf_url"] = json!(format!(
        "{base}/api/v1/projects/{slug}/certificates/{n}/pdf"
    ));
    value
}

impl From<ImportError> for ApiError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Store(err) => err.into(),
            no_targets @ ImportError::NoTargets { .. } => {
                ApiError::unprocessable("no_targets", no_targets.to_string())
            }
        }
    }
}

/// A claims document's bytes as Markdown text: not empty, not too large,
/// UTF-8; each refusal names the file and what was expected.
fn markdown_of(file_name: &str, bytes: &[u8]) -> ApiResult<String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "empty_body",
            format!(
                "{file_name} is empty: send the Markdown readiness document, for example \
                 `curl --data-binary @READINESS.md`"
            ),
        ));
    }
    if bytes.len() > MAX_CLAIMS_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("{file_name}: a claims document may be at most {MAX_CLAIMS_BYTES} bytes"),
        ));
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        ApiError::bad_request(
            "bad_encoding",
            format!(
                "{file_name}: a claims document must be UTF-8 Markdown; byte {} is not UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

impl From<IssueError> for ApiError {
    fn from(err: IssueError) -> Self {
        match err {
            IssueError::Store(err) => err.into(),
            IssueError::Contended(message) => {
                let mut error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message);
                error.retry_after = Some(1);
                error
            }
            other => {
                tracing::error!(error = %other, "issuing a certificate failed");
                ApiError::internal()
            }
        }
    }
}

/// `POST /api/v1/projects/{project}/certificates?commit=&environment=`:
/// issues the next certificate (maintainers and admins).
pub async fn issue_certificate(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let params: IssueParams = query(raw.as_deref(), "commit and environment")?;
    let project = project_for(&state, &principal, &slug, Action::Certify).await?;
    let request = IssueRequest {
        commit: name("commit", params.commit)?,
        environment: name("environment", params.environment)?,
        issued_by: principal.actor(),
    };
    let issued = issue(&state.store, &state.signing_key, &project, &request).await?;
    let base = public_url(&state, &headers);
    let mut body = described(&base, &project.slug, &issued.summary);
    body["claims"] = json!(issued.claims);
    let location = body["json_url"].as_str().unwrap_or_default().to_owned();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// `GET /api/v1/projects/{project}/certificates`: the project's
/// certificates, newest first.
pub async fn list_certificates(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let base = public_url(&state, &headers);
    let certificates: Vec<Value> = state
        .store
        .list_certificates(project.id)
        .await?
        .iter()
        .map(|s| described(&base, &project.slug, s))
        .collect();
    Ok(Json(json!({
        "project": project.slug,
        "public_key": state.signing_key.public_key_hex(),
        "certificates": certificates,
    })))
}

fn number(raw: &str) -> ApiResult<u64> {
    raw.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::bad_request(
            "bad_path",
            format!("`{raw}` is not a certificate number: expected a whole number from 1"),
        )
    })
}

/// `GET /api/v1/projects/{project}/certificates/{number}`: the signed JSON
/// file, exactly as issued.
pub async fn certificate_json(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((slug, raw)): Path<(String, String)>,
) -> ApiResult<Response> {
    let number = number(&raw)?;
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let (_, json) = state.store.certificate(project.id, number).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{}\"",
                    file_name(&project.slug, number, "json")
                ),
            ),
        ],
        json,
    )
        .into_response())
}

/// `GET /api/v1/projects/{project}/certificates/{number}/pdf`: the PDF,
/// exactly as rendered when it was issued.
pub async fn certificate_pdf(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((slug, raw)): Path<(String, String)>,
) -> ApiResult<Response> {
    let number = number(&raw)?;
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let pdf = state.store.certificate_pdf(project.id, number).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    file_name(&project.slug, number, "pdf")
                ),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// `readiness-<slug>-certificate-<n>.<extension>`; slugs are already safe
/// in a file name (lowercase letters, digits and hyphens).
pub fn file_name(slug: &str, number: u64, extension: &str) -> String {
    format!("readiness-{slug}-certificate-{number}.{extension}")
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsParams {
    filename: Option<String>,
    replace_targets: Option<bool>,
    commit: Option<String>,
    environment: Option<String>,
}

/// The answer about a claims document: what it claims, what could not be
/// matched, and how the evidence stands to each claim now.
async fn claims_answer(
    state: &AppState,
    project: &ProjectRef,
    stored: &StoredClaims,
    document: &ClaimsDocument,
    commit: Option<String>,
    environment: Option<String>,
) -> ApiResult<Value> {
    let assessment = state
        .store
        .assessment(project, commit, environment, chrono::Utc::now())
        .await?;
    let judgement = judge(&document.claims, &assessment);
    Ok(json!({
        "project": project.slug,
        "document": stored,
        "claims": document.claims,
        "unmatched": document.unmatched,
        "judgement": judgement,
    }))
}

/// `POST /api/v1/projects/{project}/claims?filename=&replace_targets=`:
/// imports a readiness document (Markdown, as the body) whose claims later
/// certificates judge; with `replace_targets=true` the project's targets
/// become the document's (maintainers and admins).
pub async fn post_claims(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let params: ClaimsParams = query(
        raw.as_deref(),
        "filename, replace_targets (true or false), commit and environment",
    )?;
    let commit = name("commit", params.commit)?;
    let environment = name("environment", params.environment)?;
    let file_name = name("filename", params.filename)?.unwrap_or_else(|| "claims.md".to_owned());
    let project = project_for(&state, &principal, &slug, Action::Maintain).await?;
    let body = axum::body::to_bytes(request.into_body(), MAX_CLAIMS_BYTES)
        .await
        .map_err(|e| {
            let inner = e.into_inner();
            if inner
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("a claims document may be at most {MAX_CLAIMS_BYTES} bytes"),
                )
            } else {
                ApiError::bad_request(
                    "body_unreadable",
                    format!("the request body could not be read: {inner}"),
                )
            }
        })?;
    let markdown = markdown_of(&file_name, &body)?;
    let imported = import_claims(
        &state.store,
        &project,
        &file_name,
        &markdown,
        params.replace_targets.unwrap_or(false),
        &principal.actor(),
    )
    .await?;
    let mut body = claims_answer(
        &state,
        &project,
        &imported.stored,
        &imported.document,
        commit,
        environment,
    )
    .await?;
    body["targets_replaced"] = json!(imported.targets_replaced);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct JudgeParams {
    commit: Option<String>,
    environment: Option<String>,
}

/// `GET /api/v1/projects/{project}/claims?commit=&environment=`: the latest
/// claims document and its judgement now; 404 when none was imported.
pub async fn get_claims(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let params: JudgeParams = query(raw.as_deref(), "commit and environment")?;
    let project = project_for(&state, &principal, &slug, Action::Read).await?;
    let stored = state
        .store
        .latest_claims(project.id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "{} has no claims document; import one with POST /api/v1/projects/{}/claims",
                project.slug, project.slug
            ))
        })?;
    let document = stored.document();
    Ok(Json(
        claims_answer(
            &state,
            &project,
            &stored,
            &document,
            name("commit", params.commit)?,
            name("environment", params.environment)?,
        )
        .await?,
    ))
}

/// Where a browser form's answer goes back to: the project's certificates
/// page, with a notice or an error to show.
fn back_to_list(slug: &str, key: &str, message: &str) -> Response {
    let query = serde_urlencoded::to_string([(key, message)]).unwrap_or_default();
    axum::response::Redirect::to(&format!("/projects/{slug}/certificates?{query}")).into_response()
}

/// A small page for an error met while showing a certificate page, with
/// the error's status; a visitor who is not signed in gets a link to sign in
/// that comes back here.
fn page_error(err: ApiError, path: &str) -> Response {
    let mut message = html_escape(&err.message);
    if err.status == StatusCode::UNAUTHORIZED {
        let next = serde_urlencoded::to_string([("next", path)]).unwrap_or_default();
        message.push_str(&format!(
            " <a href=\"/login?{}\">Sign in</a>",
            html_escape(&next)
        ));
    }
    (
        err.status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Certificate</title>\
             <link rel=\"stylesheet\" href=\"/pkg/readiness.css\"></head><body><main><h1>Certificate</h1>\
             <p class=\"error\" role=\"alert\">{message}</p><p><a href=\"/\">Projects</a></p></main></body></html>"
        ),
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /projects/{project}/certificates/{number}`: the certificate as a
/// printable HTML page, from the same signed data as its PDF.
pub async fn certificate_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((slug, raw)): Path<(String, String)>,
) -> Response {
    let path = format!("/projects/{slug}/certificates/{raw}");
    let shown = async {
        let number = number(&raw)?;
        let project = project_for(&state, &principal, &slug, Action::Read).await?;
        let (_, json) = state.store.certificate(project.id, number).await?;
        let signed =
            readiness_report::SignedCertificate::from_json(json.as_bytes()).map_err(|e| {
                tracing::error!(error = %e, "a stored certificate does not read back");
                ApiError::internal()
            })?;
        let api = format!("/api/v1/projects/{}/certificates/{number}", project.slug);
        let links = readiness_report::HtmlLinks {
            stylesheet: "/pkg/readiness.css".to_owned(),
            pdf: format!("{api}/pdf"),
            json: api,
            back: format!("/projects/{}/certificates", project.slug),
        };
        Ok::<_, ApiError>(readiness_report::render_html(&signed, &links))
    };
    match shown.await {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(err) => page_error(err, &path),
    }
}

/// What the certificates page's issue form sends.
#[derive(Debug, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    commit: String,
    #[serde(default)]
    environment: String,
}

/// `POST /projects/{project}/certificates/issue`: the browser's "Issue"
/// button. Issues as the API does, then shows the new certificate.
pub async fn issue_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    axum::Form(form): axum::Form<IssueForm>,
) -> Response {
    let issued = async {
        let clean = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let request = IssueRequest {
            commit: name("commit", clean(form.commit))?,
            environment: name("environment", clean(form.environment))?,
            issued_by: principal.actor(),
        };
        let project = project_for(&state, &principal, &slug, Action::Certify).await?;
        let issued = issue(&state.store, &state.signing_key, &project, &request).await?;
        Ok::<_, ApiError>((project, issued))
    };
    match issued.await {
        Ok((project, issued)) => axum::response::Redirect::to(&format!(
            "/projects/{}/certificates/{}",
            project.slug, issued.summary.number
        ))
        .into_response(),
        Err(err) => back_to_list(&slug, "error", &err.message),
    }
}

/// `POST /projects/{project}/claims/import`: the browser's claims upload, a
/// multipart form with the Markdown file and the replace-targets choice.
pub async fn claims_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(slug): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let imported = async {
        let project = project_for(&state, &principal, &slug, Action::Maintain).await?;
        let (mut file, mut replace) = (None, false);
        while let Some(field) = multipart.next_field().await.map_err(|e| {
            ApiError::bad_request("bad_multipart", format!("the form could not be read: {e}"))
        })? {
            match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or("claims.md").to_owned();
                    let bytes = field.bytes().await.map_err(|e| {
                        ApiError::bad_request("bad_multipart", format!("{name}: {e}"))
                    })?;
                    file = Some((name, bytes));
                }
                Some("replace_targets") => replace = true,
                _ => {}
            }
        }
        let (file_name, bytes) = file.ok_or_else(|| {
            ApiError::bad_request("empty_body", "choose a Markdown file to import")
        })?;
        let markdown = markdown_of(&file_name, &bytes)?;
        let imported = import_claims(
            &state.store,
            &project,
            &file_name,
            &markdown,
            replace,
            &principal.actor(),
        )
        .await?;
        let mut notice = format!(
            "Imported {file_name}: {} claims matched to targets, {} lines not matched",
            imported.document.claims.len(),
            imported.document.unmatched.len()
        );
        if let Some(targets) = &imported.targets_replaced {
            notice.push_str(&format!("; the targets are now {}", targets.join(", ")));
        }
        Ok::<_, ApiError>(notice)
    };
    match imported.await {
        Ok(notice) => back_to_list(&slug, "notice", &notice),
        Err(err) => back_to_list(&slug, "error", &err.message),
    }
}
